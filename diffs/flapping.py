"""Flapping: a page that goes back and forth between texts it showed recently (pure).

Some pages alternate between a few texts: a block that comes and goes, one line served in
another language. Reporting each switch floods the changelog with changes that mean nothing,
so a capture whose text differs from the document's current version is judged first
(``judge``), against the versions **in the window**: among the last ``WINDOW_VERSIONS``
versions (the current one included), those still in force less than ``WINDOW_DAYS`` before
the capture (a version is in force until the next one is captured, the current one until
this capture). The verdict is one of:

- **flap**: the text equals a version in the window, or every passage that changed (each run
  of changed lines) reads exactly as it read, in the same place, in a version in the window: a
  passage is in the same place when it follows the same unchanged line or precedes the same
  unchanged line (a passage that disappears: when those two lines were adjacent). The
  evidence is kept but no change is reported.
- **reversion**: the text equals an earlier version outside the window, so the current text
  stood longer than the window: a change, reported, that names the version it returns to.
- **change**: anything else.

Only texts and capture times are read, in capture order: a crawl and an import of the same
captures give the same verdicts, and deriving a history again gives them again.
``flapping_passages`` sums up the flaps of a document per passage, for ``policywatch status``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise

from diffs.diff import DELETE, EQUAL, INSERT, diff_lines
from kb.models import FlapPassage
from kb.timeutil import to_datetime

WINDOW_VERSIONS = 12  # the current version and the 11 before it
WINDOW_DAYS = 30
EXCERPT_CHARS = 80

CHANGE, FLAP, REVERSION = "change", "flap", "reversion"

_START, _END = "\x00start", "\x00end"  # the neighbours of a passage at either end of a text


@dataclass(frozen=True)
class Earlier:
    """A recorded version of the document, as the rule reads it. ``text`` is needed for the
    versions that may be in the window (the last ``WINDOW_VERSIONS``), the digest for all."""

    id: int
    captured_at: str
    text_sha256: str
    text: str | None = None


@dataclass(frozen=True)
class Verdict:
    kind: str  # CHANGE, FLAP or REVERSION
    returns_to: Earlier | None = None  # the version whose whole text comes back
    number: int | None = None  # its number in the document's history (1: the first version)
    back: int | None = None  # how many versions before the current one it is (1: the one before)
    passages: tuple[FlapPassage, ...] = ()  # what switched (flaps and reversions)

    @property
    def flap(self) -> bool:
        return self.kind == FLAP


@dataclass(frozen=True)
class _Hunk:
    before: str  # last unchanged line above ("\x00start" at the top)
    deleted: tuple[str, ...]
    inserted: tuple[str, ...]
    after: str  # first unchanged line below ("\x00end" at the bottom)


def text_sha256(text: str) -> str:
    """The digest the store keeps of a version's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def in_window(
    versions: Sequence[Earlier], at: str, *, window_versions: int = WINDOW_VERSIONS, window_days: int = WINDOW_DAYS
) -> list[Earlier]:
    """The versions before the current one (the last of ``versions``, in capture order) that a
    capture taken at ``at`` is compared with."""
    horizon = to_datetime(at) - timedelta(days=window_days)
    last = list(versions[-window_versions:])
    return [v for v, successor in pairwise(last) if to_datetime(successor.captured_at) >= horizon]


def judge(
    versions: Sequence[Earlier],
    text: str,
    at: str,
    *,
    window_versions: int = WINDOW_VERSIONS,
    window_days: int = WINDOW_DAYS,
) -> Verdict:
    """Is ``text``, captured at ``at``, a change, a flap or a reversion? ``versions``: the
    document's versions before ``at`` (any order); the last in capture order is the current
    one, whose text differs from ``text``."""
    ordered = sorted(versions, key=lambda v: (v.captured_at, v.id))
    if not ordered:
        return Verdict(CHANGE)
    current = ordered[-1]
    if current.text is None:
        raise ValueError("judge needs the text of the current version")
    recent = in_window(ordered, at, window_versions=window_versions, window_days=window_days)
    hunks = _hunks(current.text, text)
    passages = tuple(_passage(h) for h in hunks)
    digest = text_sha256(text)
    recent_ids = {v.id for v in recent}
    for back, earlier in enumerate(reversed(ordered[:-1]), 1):
        if earlier.text_sha256 == digest:
            kind = FLAP if earlier.id in recent_ids else REVERSION
            return Verdict(kind, earlier, len(ordered) - back, back, passages)
    if hunks and recent and all(_seen(h, recent) for h in hunks):
        return Verdict(FLAP, passages=passages)
    return Verdict(CHANGE)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _hunks(old: str, new: str) -> list[_Hunk]:
    """Each run of changed lines between unchanged ones (blank lines do not count)."""
    hunks: list[_Hunk] = []
    before, deleted, inserted = _START, [], []
    for op, text in diff_lines(old, new):
        if op == DELETE:
            deleted += _lines(text)
        elif op == INSERT:
            inserted += _lines(text)
        elif op == EQUAL:
            lines = _lines(text)
            if not lines:  # only blank lines between two edits: one passage
                continue
            if deleted or inserted:
                hunks.append(_Hunk(before, tuple(deleted), tuple(inserted), lines[0]))
                deleted, inserted = [], []
            before = lines[-1]
    if deleted or inserted:
        hunks.append(_Hunk(before, tuple(deleted), tuple(inserted), _END))
    return hunks


def _seen(hunk: _Hunk, recent: Iterable[Earlier]) -> bool:
    """Did a version in the window read, in the same place, as the new text does? A passage
    that is there needs one neighbour in common (the other may have been edited since); one
    that is gone needs both, side by side."""
    if hunk.inserted:
        wanted = ([hunk.before, *hunk.inserted], [*hunk.inserted, hunk.after])
    else:
        wanted = ([hunk.before, hunk.after],)
    for version in recent:
        if version.text is None:
            raise ValueError(f"judge needs the text of version {version.id}, in the window")
        lines = [_START, *_lines(version.text), _END]
        for i, line in enumerate(lines):
            if any(line == w[0] and lines[i : i + len(w)] == w for w in wanted):
                return True
    return False


def _passage(hunk: _Hunk) -> FlapPassage:
    variants = sorted(("\n".join(hunk.deleted), "\n".join(hunk.inserted)))
    key = hashlib.sha256("\x00".join(variants).encode("utf-8")).hexdigest()[:16]
    before, after = _excerpts(hunk.deleted, hunk.inserted)
    return FlapPassage(
        key=key, before=before, after=after, before_lines=len(hunk.deleted), after_lines=len(hunk.inserted)
    )


def _excerpts(old: Sequence[str], new: Sequence[str]) -> tuple[str, str]:
    """The first line of each variant, or, when both have lines, the first pair of lines that
    differ, from a little before their first difference (two links that differ only in their
    targets must not read the same)."""
    i = next((k for k, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), 0)
    a = " ".join(old[i].split()) if old else ""
    b = " ".join(new[i].split()) if new else ""
    start = 0
    if a and b:
        same = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        start = max(0, same - EXCERPT_CHARS // 2)
        start = a.rfind(" ", 0, start) + 1 if start else 0  # at the start of a word
    return _shorten(a, start), _shorten(b, start)


def _shorten(line: str, start: int) -> str:
    if not line:
        return ""
    text = ("…" + line[start:].lstrip()) if start else line
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


def variant_text(excerpt: str, lines: int) -> str:
    """``“Related articles”`` or ``“Related articles” (+39 lines)``; ``nothing`` for an absent passage."""
    if not lines:
        return "nothing"
    return f"“{excerpt}”" + (f" (+{lines - 1} lines)" if lines > 1 else "")


def flap_summary(verdict: Verdict) -> str:
    """The recorded summary of a flap (never shown in the changelog)."""
    if verdict.returns_to is not None:
        ago = "the version before" if verdict.back == 1 else f"{verdict.back} versions before"
        return (
            f"Flap: back to the text of version {verdict.number} "
            f"(captured {verdict.returns_to.captured_at}, {ago} the current one)"
        )
    count = len(verdict.passages)
    return (
        f"Flap: {count} passage{'s' if count != 1 else ''} back to {'texts' if count != 1 else 'a text'} seen recently"
    )


def passage_text(passage: FlapPassage) -> str:
    """One passage a flap switched: ``“A” → “B”``."""
    return f"{variant_text(passage.before, passage.before_lines)} → {variant_text(passage.after, passage.after_lines)}"


def reversion_summary(verdict: Verdict, summary: str) -> str:
    """A reversion's summary names the version it returns to, then says what changed."""
    return f"Back to the text of version {verdict.number} (captured {verdict.returns_to.captured_at}): {summary}"


# -- what status says ------------------------------------------------------------------------


@dataclass(frozen=True)
class FlappingPassage:
    """A passage of a document that flapped, summed up over its flaps."""

    key: str
    variants: tuple[tuple[str, int], ...]  # (first line, line count) of each text it switches between
    flaps: int  # flaps that switched it, in its latest run
    since: str  # the first flap of its latest run: it has been ignored since then
    last: str  # its latest flap
    ongoing: bool  # its latest flap is in the window before the document's last good check

    @property
    def text(self) -> str:
        return self.describe()

    def describe(self, time: Callable[[str], str] = str) -> str:
        """What the passage does, its times written by ``time`` (the site writes them its way)."""
        a, b = (variant_text(*v) for v in sorted(self.variants, key=lambda v: v[1] == 0))
        if b == "nothing":  # a block that comes and goes
            a, b = f"{a} comes and goes", ""
        a, b = (a, f" / {b}") if b else (a, "")
        if self.ongoing:
            return f"{a}{b}: this passage alternates between two texts ({self.flaps} flaps); ignored since {time(self.since)}"
        return f"{a}{b}: alternated between two texts ({self.flaps} flaps, {time(self.since)} to {time(self.last)})"

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "variants": [{"text": excerpt, "lines": lines} for excerpt, lines in self.variants],
            "flaps": self.flaps,
            "since": self.since,
            "last": self.last,
            "ongoing": self.ongoing,
            "text": self.text,
        }


MIN_FLAPS = 2  # one switch back is a flap; a passage that keeps flapping has switched twice


def flapping_passages(
    flaps: Iterable[tuple[str, Sequence[FlapPassage]]],
    last_check: str | None,
    *,
    window_days: int = WINDOW_DAYS,
    min_flaps: int = MIN_FLAPS,
) -> list[FlappingPassage]:
    """The passages that flapped at least ``min_flaps`` times in their latest run (flaps less
    than ``window_days`` apart), from a document's flaps ``(detected_at, passages)``; those whose
    latest flap is in the window before ``last_check`` are ``ongoing``. Most flaps first."""
    times: dict[str, list[str]] = {}
    variants: dict[str, tuple[tuple[str, int], ...]] = {}
    for detected_at, passages in flaps:
        for p in passages:
            times.setdefault(p.key, []).append(detected_at)
            variants.setdefault(p.key, ((p.before, p.before_lines), (p.after, p.after_lines)))
    gap = timedelta(days=window_days)
    found = []
    for key, moments in times.items():
        moments.sort()
        start = 0
        for i in range(1, len(moments)):
            if to_datetime(moments[i]) - to_datetime(moments[i - 1]) > gap:
                start = i
        run = moments[start:]
        if len(run) < min_flaps:
            continue
        ongoing = last_check is not None and to_datetime(last_check) - to_datetime(run[-1]) <= gap
        found.append(FlappingPassage(key, variants[key], len(run), run[0], run[-1], ongoing))
    found.sort(key=lambda p: (-p.flaps, p.since, p.key))
    return found
