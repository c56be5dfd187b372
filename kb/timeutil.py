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


# Years a time may have, in UTC: four digits (``%Y`` does not pad below 1000 on glibc, so the
# text would not parse back), and a day to spare at the top (a window's end adds one).
FIRST_YEAR, LAST_YEAR = 1000, 9998
_FIRST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
_AFTER_LAST = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)


def parse_time(value: str) -> str:
    """Accept ``2025-12-04``, ``2025-12-04T12:30:02Z``, ``…+01:00`` or the file-name form
    ``2025-12-04T12-30-02Z``; return ``2025-12-04T12:30:02Z``. A time whose UTC form is outside
    the years ``FIRST_YEAR`` to ``LAST_YEAR`` is a bad date."""
    text = value.strip()
    shown = repr(text if len(text) <= 40 else text[:37] + "...")
    hint = "use ISO 8601, e.g. 2025-12-04 or 2025-12-04T12:30:02Z"
    if len(text) >= 19 and text[10] == "T" and text[13] == "-" and text[16] == "-":
        text = text[:13] + ":" + text[14:16] + ":" + text[17:]  # file-name form
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"bad date {shown}", hint=hint) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Compared before converting: 0001-01-01T00:00+01:00 is before year 1 in UTC.
    if not _FIRST <= moment < _AFTER_LAST:
        raise QueryError(f"bad date {shown}: years {FIRST_YEAR} to {LAST_YEAR} only", hint=hint)
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
