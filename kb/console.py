"""What the command line draws on a terminal: colour, and a crawl's progress.

Colour only on a terminal, and never when ``NO_COLOR`` is set to anything (https://no-color.org)
or ``TERM`` is ``dumb``. Progress is a bar redrawn in place on a terminal, and one plain line per
document anywhere else (a log file, cron's mail, a CI job). Only ``kb.cli`` uses this module:
the pipeline emits ``kb.pipeline.CrawlProgress`` events and never writes to a terminal.
Plain ANSI: no library is needed for one bar and five colours.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING, TextIO

from kb.models import Outcome

if TYPE_CHECKING:
    from kb.pipeline import CrawlProgress

STYLES = {"red": "31", "green": "32", "yellow": "33", "cyan": "36", "dim": "2", "bold": "1"}
# What a document's check came to, in the words and colours of the crawl's output.
OUTCOME_WORDS = {
    Outcome.FIRST_VERSION: ("new", "cyan"),
    Outcome.NEW_VERSION: ("changed", "green"),
    Outcome.UNCHANGED: ("unchanged", "dim"),
    Outcome.FLAP: ("flap", "dim"),
    Outcome.FAILED: ("failed", "red"),
    Outcome.GONE: ("gone", "yellow"),
}
WORD_WIDTH = max(len(word) for word, _ in OUTCOME_WORDS.values())


def colour_wanted(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return is_terminal(stream)


def is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Paint:
    """``paint(text, "red")``: the text in that style, or as it is when colour is off."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, text: str, style: str) -> str:
        return f"\x1b[{STYLES[style]}m{text}\x1b[0m" if self.enabled and text else text

    def outcome(self, outcome: str | None) -> str:
        """The word for a check's outcome, padded so that the names after it line up."""
        word, style = OUTCOME_WORDS.get(outcome, (str(outcome), "bold"))
        return self(word, style) + " " * (WORD_WIDTH - len(word))


class CrawlProgressView:
    """Draws ``CrawlProgress`` events on ``stream`` (stderr: stdout keeps the summary).

    ``lines=False`` on a terminal: one bar, redrawn in place and wiped at the end, with the
    counts so far and the document just checked. ``lines=True`` (not a terminal, or
    ``--verbose``): one line per document, ``[ 3/16] unchanged  m/doc``, with the reason of a
    failed or gone check."""

    BAR = 24

    def __init__(self, stream: TextIO, *, lines: bool, paint: Paint):
        self.stream, self.lines, self.paint = stream, lines, paint
        self.counts: dict[str, int] = {}
        self.drawn = 0  # width of the bar line on screen

    def __call__(self, event: CrawlProgress) -> None:
        if event.doc_id is not None:
            self.counts[event.outcome] = self.counts.get(event.outcome, 0) + 1
        if self.lines:
            self._line(event)
        else:
            self._bar(event)

    def _line(self, event: CrawlProgress) -> None:
        if event.doc_id is None:
            if event.stage == "index":
                self._write("updating the search index\n")
            else:
                self._write(f"checking {event.total} document{'s' * (event.total != 1)}\n")
            return
        width = len(str(event.total))
        reason = f": {event.reason}" if event.reason else ""
        self._write(
            f"[{event.done:>{width}}/{event.total}] {self.paint.outcome(event.outcome)} {event.doc_id}{reason}\n"
        )

    def _bar(self, event: CrawlProgress) -> None:
        columns = shutil.get_terminal_size((80, 24)).columns - 1  # the last column makes some terminals wrap
        if event.stage == "index":
            plain, coloured = self._fit(f"updating the search index ({event.done} documents checked)", "", columns)
        else:
            filled = self.BAR * event.done // event.total if event.total else 0
            bar = f"[{'#' * filled}{'-' * (self.BAR - filled)}] {event.done}/{event.total}"
            counts = [
                (f"{self.counts[outcome]} {word}", style)
                for outcome, (word, style) in OUTCOME_WORDS.items()
                if self.counts.get(outcome) and outcome not in (Outcome.UNCHANGED, Outcome.FLAP)
            ]
            plain = "  ".join([bar, *(text for text, _ in counts)])
            coloured = "  ".join([bar, *(self.paint(text, style) for text, style in counts)])
            plain, coloured = self._fit(plain, coloured, columns, tail=event.doc_id or "")
        self._write("\r" + coloured + " " * max(0, self.drawn - len(plain)))
        self.drawn = len(plain)

    def _fit(self, plain: str, coloured: str, columns: int, tail: str = "") -> tuple[str, str]:
        """The line and its coloured form, with ``tail`` (the document) cut to what fits."""
        coloured = coloured or plain
        room = columns - len(plain) - 2
        if tail and room > 8:
            tail = tail if len(tail) <= room else tail[: room - 1] + "…"
            return f"{plain}  {tail}", f"{coloured}  {tail}"
        return plain[:columns], coloured if len(plain) <= columns else plain[:columns]

    def close(self) -> None:
        """Wipe the bar, so the summary starts on a clean line."""
        if self.drawn:
            self._write("\r" + " " * self.drawn + "\r")
            self.drawn = 0

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
