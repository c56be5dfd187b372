"""Apprise, the one module that imports it: every destination is an Apprise URL.

Apprise knows email (``mailto://``, ``mailtos://``), Slack, Discord, Teams, Telegram, ntfy,
Matrix, generic JSON webhooks (``json://``) and many more; policywatch writes no sending code of
its own. This module reads a URL (``readable``, ``shown_as``, ``body_format``) and sends one
message to one URL (``send``), returning the destination's error as a sentence instead of raising:
a failed destination is data (recorded, shown in ``status``, retried on the next run).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import apprise

# Apprise logs each failure as a warning; policywatch reports it itself (returned by ``send``).
logging.getLogger(apprise.LOGGER_NAME).addHandler(logging.NullHandler())
logging.getLogger(apprise.LOGGER_NAME).propagate = False

SEND_TIMEOUT = 60.0  # seconds for one message to one destination: a hung server never stalls a crawl
FORMATS = ("html", "markdown", "text")


def _service(url: str):
    try:
        return apprise.Apprise.instantiate(url)
    except Exception:  # noqa: BLE001 (a plugin's parser may raise anything on odd input)
        return None


def readable(url: str) -> bool:
    """Whether Apprise knows the URL's service and can parse it."""
    return _service(url) is not None


def without_password(url: str) -> str:
    """The URL with the password of its ``user:password@`` part removed."""
    return re.sub(r"^([a-z0-9+.-]+://[^:/@?#]*):[^@/?#]*@", r"\1@", url, flags=re.I)


def shown_as(url: str) -> str:
    """The URL with its secrets masked and its options dropped, for people and the store."""
    service = _service(url)
    if service is None:
        return urlsplit(url).scheme + "://…"
    masked = service.url(privacy=True)
    return masked.split("?", 1)[0]


def body_format(url: str) -> str:
    """The format a destination reads best: ``html`` for email, ``markdown`` where the service
    renders it (Slack, Discord, Telegram, Matrix, …), else ``text``."""
    service = _service(url)
    if service is None:
        return "text"
    if type(service).__name__ == "NotifyEmail":
        return "html"
    supported = service.notify_format
    supported = supported if isinstance(supported, (tuple, list, set, frozenset)) else (supported,)
    return "markdown" if apprise.NotifyFormat.MARKDOWN in supported else "text"


def send(url: str, *, title: str, body: str, fmt: str) -> str | None:
    """Send one message; None when the destination accepted it, else why not (one line)."""
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return f"Apprise cannot read the URL {shown_as(url)}"
    try:
        result = notifier.notify(
            body=body,
            title=title,
            body_format={"html": apprise.NotifyFormat.HTML, "markdown": apprise.NotifyFormat.MARKDOWN}.get(
                fmt, apprise.NotifyFormat.TEXT
            ),
            timeout=SEND_TIMEOUT,
        )
    except Exception as exc:  # noqa: BLE001 (a plugin failing inside is the destination failing)
        return f"{type(exc).__name__}: {exc}"
    if result:
        return None
    problems: list[str] = []
    for service_result in result:
        for attempt in service_result:
            for entry in attempt:
                message = " ".join(str(entry.message).split())
                if entry.level in _PROBLEMS and message not in problems:
                    problems.append(message)
    status = getattr(getattr(result, "status", None), "name", "FAILURE").lower()
    return " ".join(problems[-2:]) if problems else f"the destination did not accept the message ({status})"


_PROBLEMS = ("WARNING", "ERROR", "CRITICAL")
