"""What a rule finds, before the verdict turns it into a reason, and how its text is worded."""

from __future__ import annotations

from dataclasses import dataclass

from diffs.passages import Passage, plain_text


def shorten(text: str, limit: int = 100) -> str:
    """``text`` on one line, cut at ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quote(text: str, limit: int = 100) -> str:
    """A passage as a reason quotes it: its plain text, shortened, in single quotes."""
    return "'" + shorten(plain_text(text), limit) + "'"


@dataclass
class Finding:
    """One thing a rule found; the verdict (``diffs.classify``) turns findings into reasons."""

    kind: str
    text: str  # reason text
    headline: str  # how the summary says it
    unit: Passage | None  # where it was found (new side, else old)
    passages: tuple[str, ...] = ()  # the texts involved, for tagging
    merge: tuple | None = None  # findings with equal merge keys say the same thing
    subject_rank: int = 0  # for merged findings: the better-worded one wins (table > sentence)
    effective: str | None = None  # ISO date this finding says something takes effect
    lead: str | None = None  # how the summary says it when it comes first (with a quote)

    @property
    def order(self) -> int:
        return self.unit.offset if self.unit else -1

    @property
    def section(self) -> str:
        return self.unit.section_label if self.unit else ""


def with_section(unit: Passage | None, text: str) -> str:
    """``text`` after the title of the section it was found in, as a summary says it."""
    title = shorten(unit.section.title, 50) if unit and unit.section else ""
    return f"{title}: {text}" if title else text
