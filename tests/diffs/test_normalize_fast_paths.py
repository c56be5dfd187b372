"""normalize_markdown skips a pattern on a line that lacks a character the pattern needs: the
output must be exactly what applying every pattern to every line gives (the reference below
is the code before the skips), on text made of the characters those patterns look for."""

import random
import re
import unicodedata

from diffs import normalize
from diffs.normalize import normalize_markdown


def _reference_inline(line: str) -> str:
    kept: list[str] = []

    def protect(match: re.Match[str]) -> str:
        kept.append(normalize._canonical_link(match.group(0)))
        return f"\x00{len(kept) - 1}\x00"

    line = normalize._PROTECTED.sub(protect, line)
    line = normalize._ESCAPED_INTRAWORD_UNDERSCORE.sub("_", line)
    line = normalize._STRONG_UNDERSCORE.sub(r"**\1**", line)
    line = normalize._EM_UNDERSCORE.sub(r"*\1*", line)
    return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], line)


def _reference_lines(lines: list[str]) -> list[str]:
    out: list[str] = []
    in_fence = False
    for line in lines:
        if normalize._FENCE.match(line):
            in_fence = not in_fence
            out.append(line.rstrip())
            continue
        if in_fence:
            out.append(line.rstrip())
            continue
        line = normalize._INNER_SPACES.sub(" ", line).rstrip()
        if not line.strip():
            out.append("")
            continue
        if normalize._setext_underline(line, out):
            level = "#" if line.lstrip().startswith("=") else "##"
            out[-1] = f"{level} {out[-1].strip()}"
            continue
        if not normalize._THEMATIC_BREAK.match(line):
            line = normalize._BULLET.sub(r"\1-", line)
        line = normalize._ATX_CLOSING.sub(r"\1", line)
        out.append(_reference_inline(line))
    return out


def _reference(md: str) -> str:
    text = unicodedata.normalize("NFC", md)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = normalize._INVISIBLE.sub("", text)
    text = normalize._SPACES.sub(" ", text)
    text = normalize.drop_controls(text)
    text = text.translate(normalize._QUOTES)
    text = normalize._DASH.sub("-", text)
    text = "\n".join(_reference_lines(text.split("\n"))).strip("\n")
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text + "\n" if text else ""


PIECES = [
    "word",
    "Sellers",
    " ",
    "  ",
    "   ",
    "\t",
    "\n",
    "\n\n",
    "_",
    "__",
    "\\_",
    "*",
    "**",
    "+",
    "- ",
    "* ",
    "+ ",
    "#",
    "## ",
    " ##",
    "===",
    "---",
    "```",
    "~~~",
    "`code_x`",
    "[link](https://example.com/a_b?utm_source=x&b=1)",
    "](",
    ")",
    "<https://example.com/x_y?gclid=1>",
    "<b>",
    "http://example.com/p_q",
    "https",
    "\u2013",
    "\u2014",
    "\u2212",
    "\u00a0",
    "\u200b",
    "\u2019",
    "\x1b",
    "\x00",
    "1. ",
    "> ",
    "|",
    "snake_case_name",
]


def test_the_skips_change_nothing_on_text_full_of_markup() -> None:
    rng = random.Random(18)
    for _ in range(4000):
        md = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 30)))
        assert normalize_markdown(md) == _reference(md), repr(md)
