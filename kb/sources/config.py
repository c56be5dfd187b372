"""Who the crawler says it is, and where its helpers live: ``<home>/crawl.yaml``.

Optional; every key also has an environment variable, which wins::

    contact: https://example.org/policywatch-contact   # POLICYWATCH_CONTACT (URL or mailto:)
    chromium: /usr/bin/chromium                        # POLICYWATCH_CHROMIUM
    wayback_url: https://web.archive.org               # POLICYWATCH_WAYBACK_URL

The contact goes into the User-Agent of every request (``policywatch/0.1.0
(+CONTACT; seller-policy change tracker)``), so a site operator who sees the
crawler knows whom to ask. Run your own crawler with your own contact.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from kb.errors import DeclarationError
from kb.sources.yamlio import YamlProblem, load_strict, read_user_file

CONFIG_FILE = "crawl.yaml"
DEFAULT_CONTACT = "https://github.com/policywatch/policywatch"
DEFAULT_WAYBACK = "https://web.archive.org"
ENVIRONMENT = {
    "contact": "POLICYWATCH_CONTACT",
    "chromium": "POLICYWATCH_CHROMIUM",
    "wayback_url": "POLICYWATCH_WAYBACK_URL",
}


@dataclass(frozen=True)
class CrawlConfig:
    contact: str = DEFAULT_CONTACT
    chromium: str | None = None  # None: look for Debian's /usr/bin/chromium
    wayback_url: str = DEFAULT_WAYBACK

    @property
    def user_agent(self) -> str:
        return f"policywatch/{_version()} (+{self.contact}; seller-policy change tracker)"


def load_config(home: Path | None) -> CrawlConfig:
    path = Path(home) / CONFIG_FILE if home else None
    values: dict[str, str] = {}
    if path is not None and path.is_file():
        try:
            data = load_strict(read_user_file(path)) or {}
        except YamlProblem as exc:
            raise DeclarationError(
                f"{path}: {exc.where}: {exc.problem}", hint=f"{exc.fix}; write one 'key: value' per line"
            ) from None
        if not isinstance(data, dict):
            raise DeclarationError(
                f"{path}: expected 'key: value' lines",
                hint=f"allowed keys: {', '.join(ENVIRONMENT)}",
            )
        for key, value in data.items():
            if key not in ENVIRONMENT:
                raise DeclarationError(f"{path}: {key}: unknown key", hint=f"allowed keys: {', '.join(ENVIRONMENT)}")
            if not isinstance(value, str):
                raise DeclarationError(f"{path}: {key}: expected a text", hint=f"write '{key}: …' with one value")
            values[key] = value
    for key, variable in ENVIRONMENT.items():
        if os.environ.get(variable):
            values[key] = os.environ[variable]
    config = replace(CrawlConfig(), **values)
    where = f"{path} or ${ENVIRONMENT['contact']}" if path else f"${ENVIRONMENT['contact']}"
    parts = urlsplit(config.contact)
    if not (parts.scheme in ("http", "https") and parts.netloc) and parts.scheme != "mailto":
        raise DeclarationError(
            f"contact '{config.contact}' is not a URL or mailto: address",
            hint=f"set contact in {where} to e.g. https://example.org/contact",
        )
    if urlsplit(config.wayback_url).scheme not in ("http", "https"):
        raise DeclarationError(
            f"wayback_url '{config.wayback_url}' is not an http(s) URL",
            hint="use e.g. https://web.archive.org",
        )
    return config


def _version() -> str:
    try:
        return metadata.version("policywatch")
    except metadata.PackageNotFoundError:
        return "0.1.0"
