"""kb.console: the crawl's progress as a bar on a terminal and as lines elsewhere, and colour
only on a terminal without NO_COLOR (https://no-color.org) or TERM=dumb."""

from __future__ import annotations

import io

import pytest

from kb.console import CrawlProgressView, Paint, colour_wanted
from kb.models import Outcome
from kb.pipeline import CrawlProgress

WALL = "the site served a bot wall instead of the document (Amazon robot check)"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


EVENTS = [
    CrawlProgress(0, 3),
    CrawlProgress(1, 3, "shop/fees", Outcome.NEW_VERSION),
    CrawlProgress(2, 3, "shop/returns", Outcome.FAILED, WALL),
    CrawlProgress(3, 3, "other/shipping", Outcome.UNCHANGED),
    CrawlProgress(3, 3, stage="index"),
]


def shown(view: CrawlProgressView, stream: io.StringIO) -> str:
    for event in EVENTS:
        view(event)
    view.close()
    return stream.getvalue()


def test_lines_name_each_document_its_outcome_and_why_it_failed():
    stream = io.StringIO()
    assert shown(CrawlProgressView(stream, lines=True, paint=Paint(False)), stream) == (
        "checking 3 documents\n"
        "[1/3] changed   shop/fees\n"
        f"[2/3] failed    shop/returns: {WALL}\n"
        "[3/3] unchanged other/shipping\n"
        "updating the search index\n"
    )


def test_the_bar_is_redrawn_in_place_with_counts_then_wiped(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    stream = Terminal()
    frames = shown(CrawlProgressView(stream, lines=False, paint=Paint(False)), stream).split("\r")[1:]
    assert "\n" not in "".join(frames)
    assert [frame.rstrip() for frame in frames] == [
        "[------------------------] 0/3",
        "[########----------------] 1/3  1 changed  shop/fees",
        "[################--------] 2/3  1 changed  1 failed  shop/returns",
        "[########################] 3/3  1 changed  1 failed  other/shipping",
        "updating the search index (3 documents checked)",
        "",  # wiped: the summary starts on a clean line
        "",
    ]
    assert all(len(frame) < 80 for frame in frames)  # never wider than the terminal


def test_the_bar_cuts_the_document_name_to_the_terminal_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "50")
    stream = Terminal()
    view = CrawlProgressView(stream, lines=False, paint=Paint(False))
    view(CrawlProgress(1, 3, "amazon-us/a-very-long-document-identifier-indeed", Outcome.UNCHANGED))
    frame = stream.getvalue().lstrip("\r")
    assert frame == "[########----------------] 1/3  amazon-us/a-very…" and len(frame) == 49


def test_colour_marks_the_outcome_words_and_the_counts():
    stream = Terminal()
    out = shown(CrawlProgressView(stream, lines=True, paint=Paint(True)), stream)
    assert "\x1b[32mchanged\x1b[0m   shop/fees" in out and "\x1b[31mfailed\x1b[0m    shop/returns" in out
    stream = Terminal()
    bar = shown(CrawlProgressView(stream, lines=False, paint=Paint(True)), stream)
    assert "\x1b[32m1 changed\x1b[0m  \x1b[31m1 failed\x1b[0m" in bar


@pytest.mark.parametrize(
    "env, terminal, wanted",
    [
        ({}, True, True),
        ({}, False, False),  # a file, a pipe, cron's mail: never
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # set but empty: no-color.org says it does not count
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch, env, terminal, wanted):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert colour_wanted(Terminal() if terminal else io.StringIO()) is wanted


def test_stdout_keeps_the_consoles_colours_and_drops_every_other_control():
    # main() wraps stdout so crawled text cannot drive the terminal; kb.console's SGR colours pass
    import io

    from kb.cli import _ControlFree
    from kb.console import Paint

    out = io.StringIO()
    green = Paint(True).outcome("new_version")
    _ControlFree(out).write(f"{green} page \x1b]0;title\x07 back\x08space\n")
    assert out.getvalue() == f"{green} page ]0;title backspace\n"
