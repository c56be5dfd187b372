"""Times, in one place: the store's ISO-8601 UTC form, parsing what users and file names give.

Every time the store, the site and the feeds hold is ``2025-12-04T12:30:02Z`` (``ISO_FORMAT``):
it sorts as text and reads the same in JSON, SQLite and the site. Only ``utc_now`` reads the
clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from kb.errors import QueryError, UsageError

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# Captures are named by their UTC time, ':' written '-' (Open Terms Archive's layout):
# 2025-12-04T12-30-02Z.html, optionally with fractions of a second.
CAPTURE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})(?:\.\d+)?Z$")


def utc_now() -> str:
    return datetime.now(UTC).strftime(ISO_FORMAT)


def parse_time(value: str) -> str:
    """Accept ``2025-12-04``, ``2025-12-04T12:30:02Z``, ``…+01:00`` or the file-name form
    ``2025-12-04T12-30-02Z``; return ``2025-12-04T12:30:02Z``."""
    text = value.strip()
    if len(text) >= 19 and text[10] == "T" and text[13] == "-" and text[16] == "-":
        text = text[:13] + ":" + text[14:16] + ":" + text[17:]  # file-name form
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"bad date {value!r}", hint="use ISO 8601, e.g. 2025-12-04 or 2025-12-04T12:30:02Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(ISO_FORMAT)


def to_datetime(iso: str) -> datetime:
    """``2026-11-01T06:00:00Z`` → an aware datetime in UTC."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)


def compact(iso: str) -> str:
    """``2026-11-01T06:00:00Z`` → ``20261101T060000Z``: a permalink-safe key part."""
    return iso.replace("-", "").replace(":", "").split(".")[0].rstrip("Z") + "Z"


def capture_name_time(stem: str) -> str | None:
    """``2025-12-04T12-30-02Z`` → ``2025-12-04T12:30:02Z``; ``None`` when it is not such a name."""
    match = CAPTURE_NAME.match(stem)
    if not match:
        return None
    day, hours, minutes, seconds = match.groups()
    return parse_time(f"{day}T{hours}:{minutes}:{seconds}Z")


def time_in_name(name: str) -> str | None:
    """A capture time anywhere in a file name (``old-2025-12-04T12-30-02Z.md``), or ``None``."""
    found = re.search(r"(\d{4}-\d{2}-\d{2})T(\d{2})[-:](\d{2})[-:](\d{2})Z", name)
    if not found:
        return None
    day, hours, minutes, seconds = found.groups()
    return parse_time(f"{day}T{hours}:{minutes}:{seconds}Z")


def capture_time(path: Path) -> str:
    """The capture time a file is named by (``2025-12-04T12-30-02Z.html``)."""
    at = capture_name_time(Path(path).stem)
    if at is None:
        raise UsageError(
            f"{Path(path).name}: not named by its capture time",
            hint="name captures like 2025-12-04T12-30-02Z.html (UTC, '-' for ':')",
        )
    return at
