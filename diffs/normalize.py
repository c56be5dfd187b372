"""Normalize extracted Markdown so that only wording changes make versions.

Pages re-render the same words with different code points (curly vs straight quotes,
no-break spaces, en/em dashes) and different but equivalent markup (``__x__`` vs ``**x**``,
setext vs ATX headings, ``*`` vs ``-`` bullets). Each of those would otherwise record a new
version and an alarming diff. Every rule here is idempotent:
``normalize_markdown(normalize_markdown(x)) == normalize_markdown(x)``.

Dash rule: every dash-like character (U+2010..U+2015, U+2212 minus) becomes ASCII ``-``,
wherever it stands, except as the first character of a line, where ``- `` would turn a
sentence into a list item.

Control rule: C0 and C1 control characters other than tab and newline (ESC, backspace, NUL,
DEL, U+0080..U+009F) are dropped: they are not text, XML refuses them and a terminal obeys them.

Link rule: link targets (``[text](target)``, ``<https://…>``) are put in canonical form by
``diffs.links.canonical_target``: tracking and session parameters dropped, parameters sorted.
"""

from __future__ import annotations

import re
import unicodedata

from diffs.links import canonical_target

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)
# Spaces that render as a space; zero-width characters and soft hyphens that render as nothing.
_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\f\v]")
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_DASH = re.compile("(?<=[^\n])[\u2010-\u2015\u2212]")
_DASH_CHAR = re.compile("[\u2010-\u2015\u2212]")
_INNER_SPACES = re.compile(r"(?<=\S) {2,}")
_FENCE = re.compile(r"^\s*(```|~~~)")

_SETEXT_H1 = re.compile(r"^=+\s*$")
_SETEXT_H2 = re.compile(r"^-+\s*$")
_BLOCK_START = re.compile(r"^\s*([-*+>|#]|\d+[.)]\s|```|~~~)")
_BULLET = re.compile(r"^(\s*)[*+](?= )")
_THEMATIC_BREAK = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_ATX_CLOSING = re.compile(r"^(#{1,6} .*?)\s+#+\s*$")

# Text where underscores and asterisks are not emphasis: inline code, link targets, URLs.
_PROTECTED = re.compile(r"`[^`\n]*`|\]\([^)\n]*\)|<[a-z][a-z0-9+.-]*:[^>\n]*>|https?://[^\s)>\]]+")
_STRONG_UNDERSCORE = re.compile(r"(?<![\w\\])__(?=[^\s_])(.+?)(?<=[^\s_\\])__(?!\w)")
_EM_UNDERSCORE = re.compile(r"(?<![\w\\_*])_(?=[^\s_])(.+?)(?<=[^\s_\\])_(?![\w_*])")
_ESCAPED_INTRAWORD_UNDERSCORE = re.compile(r"(?<=\w)\\_(?=\w)")
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")


def normalize_markdown(md: str) -> str:
    """Return ``md`` in canonical form: NFC, ASCII quotes and dashes, single spaces,
    one blank line between blocks, ``**``/``*`` emphasis, ATX headings, ``-`` bullets,
    and exactly one final newline (empty input gives ``""``)."""
    text = unicodedata.normalize("NFC", md)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    text = drop_controls(text)
    text = text.translate(_QUOTES)
    if _DASH_CHAR.search(text):  # the lookbehind costs at every position: only when a dash is there
        text = _DASH.sub("-", text)

    lines = _normalize_lines(text.split("\n"))
    text = "\n".join(lines).strip("\n")
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text + "\n" if text else ""


def drop_controls(text: str) -> str:
    """``text`` without C0/C1 control characters except tab and newline (``\\r`` dropped too):
    what may be written to XML or shown on a terminal."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n"))


def _normalize_lines(lines: list[str]) -> list[str]:
    out: list[str] = []
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append(line.rstrip())
            continue
        if in_fence:  # code keeps its spacing and markup
            out.append(line.rstrip())
            continue
        # Each pattern below is tried only on a line holding a character it needs: the same
        # result, without a regex scan of every line for markup that plain prose lacks.
        line = (_INNER_SPACES.sub(" ", line) if "  " in line else line).rstrip()
        if not line.strip():
            out.append("")
            continue
        if _setext_underline(line, out):
            level = "#" if line.lstrip().startswith("=") else "##"
            out[-1] = f"{level} {out[-1].strip()}"
            continue
        if ("*" in line or "+" in line) and not _THEMATIC_BREAK.match(line):
            line = _BULLET.sub(r"\1-", line)
        if line.startswith("#"):
            line = _ATX_CLOSING.sub(r"\1", line)
        out.append(_normalize_inline(line))
    return out


def _setext_underline(line: str, previous: list[str]) -> bool:
    """True when ``line`` underlines a single-line paragraph (setext heading)."""
    if not (_SETEXT_H1.match(line.strip()) or _SETEXT_H2.match(line.strip())):
        return False
    if not previous or not previous[-1].strip() or _BLOCK_START.match(previous[-1]):
        return False
    # Only a one-line paragraph: the text line must follow a blank line or the start.
    return len(previous) == 1 or not previous[-2].strip()


def _normalize_inline(line: str) -> str:
    kept: list[str] = []

    def protect(match: re.Match[str]) -> str:
        kept.append(_canonical_link(match.group(0)))
        return f"\x00{len(kept) - 1}\x00"

    if "`" in line or "](" in line or "<" in line or "http" in line:
        line = _PROTECTED.sub(protect, line)
    if "_" in line:  # underscores are all the patterns below change
        line = _ESCAPED_INTRAWORD_UNDERSCORE.sub("_", line)
        line = _STRONG_UNDERSCORE.sub(r"**\1**", line)
        line = _EM_UNDERSCORE.sub(r"*\1*", line)
    return _PLACEHOLDER.sub(lambda m: kept[int(m.group(1))], line) if "\x00" in line else line


def _canonical_link(protected: str) -> str:
    """Canonical target for a protected ``](target)`` or ``<scheme:…>`` span; other spans as is."""
    if protected.startswith("]("):
        return f"]({canonical_target(protected[2:-1])})"
    if protected.startswith("<") and protected.endswith(">"):
        return f"<{canonical_target(protected[1:-1])}>"
    return protected
