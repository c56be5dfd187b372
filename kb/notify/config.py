"""``<home>/notify.yaml``: who is told about which changes, where and how often (strict loader).

Read like ``sources/``: unknown keys, a key given twice, a wrong type or an unknown value are
errors that name the file, the key, its line and the fix, on one line. The keys are an interface
(users' files rely on them): new ones may be added, none is ever renamed::

    site_url: https://policies.example.org/       # optional: where the published site is
    subscriptions:
      - name: amazon-us-important                 # a slug; it identifies the subscription
        to: ["mailto://…", "json://127.0.0.1:8080/hook"]   # Apprise URLs
        marketplaces: [amazon-us]                 # filters, each optional: a list or one value
        documents: [amazon-us/selling-policies]
        classes: [substantive]                    # default: substantive and minor
        severity: [high, medium]                  # diffs.severity
        tags: [account-health]                    # diffs.taxonomy workflows
        mode: each                                # each (default) | daily | weekly
        since: 2026-08-01                         # optional; default: when first seen
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from diffs.severity import SEVERITIES
from diffs.taxonomy import WORKFLOWS
from kb.errors import DeclarationError
from kb.models import CLASSES
from kb.notify.select import DEFAULT_CLASSES, MODES, Subscription
from kb.notify.send import readable
from kb.publish.urls import resolve_site_url
from kb.sources.yamlio import YamlProblem, key_line, load_strict, read_user_file
from kb.timeutil import ISO_FORMAT

NOTIFY_FILE = "notify.yaml"
TOP_KEYS = ("site_url", "subscriptions")
SUBSCRIPTION_KEYS = ("name", "to", "marketplaces", "documents", "classes", "severity", "tags", "mode", "since")
HINT = "fix notify.yaml (see docs/notify.md), then try it with `policywatch notify --dry-run`"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_DOC_ID = re.compile(r"^[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9._/-]*$")


@dataclass(frozen=True)
class NotifyConfig:
    path: Path
    subscriptions: tuple[Subscription, ...]
    site_url: str  # absolute, ends with "/": the permalinks' base

    def get(self, name: str) -> Subscription | None:
        return next((s for s in self.subscriptions if s.name == name), None)


def notify_path(home: Path) -> Path:
    return Path(home) / NOTIFY_FILE


def load_notify(home: Path, *, marketplaces: frozenset[str] = frozenset()) -> NotifyConfig | None:
    """The home's ``notify.yaml``, checked; None when there is none. ``marketplaces``: the ones
    this home knows (declared or stored): a filter naming another is a typo (none known: unchecked)."""
    path = notify_path(home)
    if not path.is_file():
        return None
    try:
        text = read_user_file(path)
    except YamlProblem as exc:
        raise _fail(path, exc.where, exc.problem, exc.fix) from None
    return parse_notify(path, text, marketplaces=marketplaces)


def parse_notify(path: Path, text: str, *, marketplaces: frozenset[str] = frozenset()) -> NotifyConfig:
    def fail(key: str, problem: str, fix: str) -> DeclarationError:
        line = key_line(text, key)
        return _fail(path, f"{key} (line {line})" if line else key, problem, fix)

    try:
        data = load_strict(text)
    except YamlProblem as exc:
        raise _fail(path, exc.where, exc.problem, exc.fix) from None
    if not isinstance(data, dict):
        raise _fail(path, "(top)", "expected a mapping with 'subscriptions:'", "see docs/notify.md")
    _check_keys(fail, "", data, TOP_KEYS)
    site_url = data.get("site_url")
    if site_url is not None and (not isinstance(site_url, str) or not re.match(r"https?://[^/\s]+", site_url)):
        raise fail(
            "site_url", f"{site_url!r} is not an absolute http(s) URL", "write e.g. https://example.org/policies/"
        )
    raw_subs = data.get("subscriptions")
    if not isinstance(raw_subs, list) or not raw_subs:
        raise fail("subscriptions", "missing or empty", "write one '- name: …' entry per subscription")
    subscriptions: list[Subscription] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_subs):
        key = f"subscriptions[{i}]"
        if not isinstance(raw, dict):
            raise fail(key, "expected a mapping", "give at least name and to")
        _check_keys(fail, key, raw, SUBSCRIPTION_KEYS)
        for required in ("name", "to"):
            if required not in raw:
                raise fail(key, f"'{required}' missing", f"add '{required}:'")
        name = raw["name"]
        if not isinstance(name, str) or not _SLUG.match(name):
            raise fail(f"{key}.name", f"{name!r} is not a slug", "use lower-case letters, digits and '-'")
        if name in seen:
            raise fail(
                f"{key}.name", f"'{name}' is also subscriptions[{seen[name]}]", "give each subscription its own name"
            )
        seen[name] = i
        to = _strings(fail, f"{key}.to", raw["to"], "an Apprise URL such as mailto://user:pass@smtp.example.com")
        if not to:
            raise fail(f"{key}.to", "no destination", "give at least one Apprise URL")
        for j, url in enumerate(to):
            if not readable(url):
                raise fail(
                    f"{key}.to[{j}]" if isinstance(raw["to"], list) else f"{key}.to",
                    f"Apprise cannot read the URL {_masked(url)!r}",
                    "write it as in https://github.com/caronc/apprise/wiki (e.g. mailto://, json://, slack://)",
                )
        chosen = {}
        for field, allowed, what in (
            ("classes", CLASSES, "class"),
            ("severity", SEVERITIES, "severity"),
            ("tags", tuple(w.id for w in WORKFLOWS), "workflow tag"),
            ("mode", MODES, "mode"),
        ):
            if field not in raw:
                continue
            values = _strings(fail, f"{key}.{field}", raw[field], f"one of {', '.join(allowed)}")
            if field == "mode" and (not isinstance(raw[field], str) or len(values) != 1):
                raise fail(f"{key}.mode", "expected one value", f"write one of {', '.join(MODES)}")
            for value in values:
                if value not in allowed:
                    raise fail(f"{key}.{field}", f"'{value}' is not a {what}", f"use {', '.join(allowed)}")
            chosen[field] = values
        chosen_marketplaces = _strings(fail, f"{key}.marketplaces", raw.get("marketplaces", []), "a marketplace slug")
        for value in chosen_marketplaces:
            if not _SLUG.match(value) or (marketplaces and value not in marketplaces):
                raise fail(
                    f"{key}.marketplaces",
                    f"'{value}' is not a marketplace of this home",
                    f"use one of {', '.join(sorted(marketplaces)) or 'the marketplaces of sources/'}",
                )
        chosen_documents = _strings(fail, f"{key}.documents", raw.get("documents", []), "a document id")
        for value in chosen_documents:
            if not _DOC_ID.match(value) or (marketplaces and value.split("/")[0] not in marketplaces):
                raise fail(
                    f"{key}.documents",
                    f"'{value}' is not a document id of this home",
                    "write <marketplace>/<id> as `policywatch status` lists them",
                )
        since = _since(fail, f"{key}.since", raw["since"]) if raw.get("since") is not None else None
        subscriptions.append(
            Subscription(
                name=name,
                to=to,
                marketplaces=chosen_marketplaces,
                documents=chosen_documents,
                classes=chosen.get("classes", DEFAULT_CLASSES),
                severity=chosen.get("severity", ()),
                tags=chosen.get("tags", ()),
                mode=chosen.get("mode", ("each",))[0],
                since=since,
            )
        )
    return NotifyConfig(path=path, subscriptions=tuple(subscriptions), site_url=resolve_site_url(site_url))


def _fail(path: Path, key: str, problem: str, fix: str) -> DeclarationError:
    return DeclarationError(f"{path.name}: {key}: {problem}; {fix}", hint=HINT)


def _check_keys(fail, where: str, data: dict, allowed: tuple[str, ...]) -> None:
    for key in data:
        if key not in allowed:
            raise fail(
                f"{where}.{key}" if where else str(key), "unknown key", f"allowed keys here: {', '.join(allowed)}"
            )


def _strings(fail, key: str, value, what: str) -> tuple[str, ...]:
    """A list of strings, or one string as a list of one."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise fail(key, "expected a list of strings", f"write e.g. [{what}]")
    return tuple(v.strip() for v in values)


def _since(fail, key: str, value) -> str:
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).strftime(ISO_FORMAT)
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00Z"
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
            return moment.astimezone(dt.UTC).strftime(ISO_FORMAT)
    raise fail(key, f"{value!r} is not a date", "write a date such as 2026-08-01 (UTC)")


def _masked(url: str) -> str:
    """A URL without its password, for an error message."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1****@", url)
