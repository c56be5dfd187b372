"""Parsing user-given times into the store's ISO-8601 UTC form."""
from __future__ import annotations

from datetime import datetime, timezone

from kb.errors import QueryError


def parse_time(value: str) -> str:
    """Accept ``2025-12-04``, ``2025-12-04T12:30:02Z``, ``…+01:00`` or the file-name form
    ``2025-12-04T12-30-02Z``; return ``2025-12-04T12:30:02Z``."""
    text = value.strip()
    if len(text) >= 19 and text[10] == "T" and text[13] == "-" and text[16] == "-":
        text = text[:13] + ":" + text[14:16] + ":" + text[17:]  # file-name form
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"bad date {value!r}",
                         hint="use ISO 8601, e.g. 2025-12-04 or 2025-12-04T12:30:02Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
