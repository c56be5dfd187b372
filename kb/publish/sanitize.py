"""Make crawled text safe to publish. The only module that imports nh3.

Everything a marketplace serves is untrusted: MkDocs' Markdown passes raw HTML through and
MkDocs treats page titles as HTML, so a page saying ``<script>`` would otherwise run in the
site. Three tools, one per kind of input:

- ``escape_markdown_html``: crawled Markdown (a version's text) → Markdown whose only raw HTML
  is the few tags written here (``<code>``, ``<pre>``, ``<a href>`` with a checked target);
  every ``<``, ``>`` and ``&`` that came from the page is an entity, and links whose target is
  neither http(s), mailto nor relative are shown as plain text.
- ``clean_html``: an HTML fragment we generate from crawled text (diffs, feed bodies) →
  the same fragment restricted to a handful of harmless tags (ammonia, via nh3).
- ``safe_title``: a crawled title → text MkDocs and the theme can print as HTML anywhere,
  including inside ``<title>``, where the theme un-escapes entities with ``striptags``.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

import nh3

# ----------------------------------------------------------------------------- HTML fragments

_TAGS = {"ins", "del", "p", "br", "ul", "li", "strong", "em", "code", "a", "span"}
# The blocks of a readable diff (diffs.render): tables, lists, headings, folds.
_DIFF_TAGS = {"ol", "table", "thead", "tbody", "tr", "th", "td", "h4", "h5", "h6", "blockquote", "hr"}
_DIFF_TAGS |= {"details", "summary", "div"}
# ins/del keep a diff-* class and a title: a moved block is <del class="diff-moved"
# title="moved below"> where it was and <ins class="diff-moved" …> where it went. Every block
# keeps its diff-* class; cells their colspan, ordered items their number, the arrow between a
# deletion and its insertion its aria-hidden.
_ATTRIBUTES = {
    "a": {"href"},
    "span": {"class", "aria-hidden"},
    "ins": {"class", "title"},
    "del": {"class", "title"},
    "td": {"class", "colspan"},
    "th": {"class", "colspan"},
    "li": {"class", "value"},
    **{
        tag: {"class"}
        for tag in ("p", "ul", "ol", "table", "tr", "h4", "h5", "h6", "blockquote", "hr", "details", "div")
    },
}
_CLASS = re.compile(r"(?:diff|pw)-[a-z0-9-]+")  # our own classes only: no theme class reuse
_NUMBER = re.compile(r"\d{1,9}")


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        kept = [name for name in value.split() if _CLASS.fullmatch(name)]
        return " ".join(kept) or None
    if attribute in ("colspan", "value"):
        return value if _NUMBER.fullmatch(value) else None
    if attribute == "aria-hidden":
        return value if value == "true" else None
    return value


def clean_html(fragment: str) -> str:
    """Sanitize a generated HTML fragment: only ins, del (``diff-*`` classes, title), p, br,
    ul, li, strong, em, code, a (absolute http/https ``href`` only), span (``diff-*``/``pw-*``
    classes) and the blocks of a readable diff (``_DIFF_TAGS``, their classes, numbers) survive;
    other tags are dropped with their text kept, except script and style, dropped whole."""
    return nh3.clean(
        fragment,
        tags=_TAGS | _DIFF_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        clean_content_tags={"script", "style"},
        url_schemes={"http", "https"},
        url_relative="deny",
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


# ----------------------------------------------------------------------------- titles


def safe_title(text: str) -> str:
    """A crawled title as HTML-safe single-line text for navigation and page titles.

    Angle brackets become the look-alike ‹ and ›: Material prints ``page.title | striptags``
    into ``<title>``, and ``striptags`` turns ``&lt;/title&gt;`` back into a real end tag."""
    line = " ".join(text.split())
    line = line.replace("<", "‹").replace(">", "›")
    return html.escape(line, quote=True)


# ----------------------------------------------------------------------------- Markdown

# Characters written as numeric references inside generated <code> and link text, so that no
# Markdown syntax (emphasis, links, code spans, table cells) can start or end inside them.
_INERT = {c: f"&#{ord(c)};" for c in "&<>\"'`*_[]|\\~"}


def _inert(text: str) -> str:
    return "".join(_INERT.get(c, c) for c in text)


_FENCE_OPEN = re.compile(r"(`{3,})[^`]*|(~{3,}).*")
_BLOCKQUOTE = re.compile(r"(?:[ ]{0,3}>[ ]?)+")
_HEADING = re.compile(r"([ ]{0,3})(#{1,6})(?=[ \t]|$)")
_AUTOLINK = re.compile(r"<(https?://[^\s<>\[\]()`*_\\|\"']+)>", re.IGNORECASE)
# The usual image form: ![alt](target) or ![alt](<target> "title").
_IMAGE = re.compile(r"!\[([^\[\]\n]*)\]\([ ]*<?([^()\s<>\"]*)>?(?:[ ]+\"[^\"\n]*\")?[ ]*\)")
_ANGLED_TARGET = re.compile(r"<([^<>\n]*)>")  # CommonMark's link destination in <...>
_URL_SAFE = "/:#?&=%@!$*+,;~.-_"  # kept as is when a destination is percent-encoded
_BACKTICKS = re.compile(r"`+")
_SPECIAL = re.compile(r"[\\`<>&\]!]")  # the characters _escape_line looks at
_LINK_TARGET = re.compile(r"\](?=\()|\]:")  # "](" starts an inline target, "]:" a definition
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:")
_SAFE_SCHEMES = ("http:", "https:", "mailto:")  # policies give contact addresses
# What a browser ignores before a URL's scheme: C0 controls and spaces (plus the "<" of
# Markdown's <url> form); it also drops tabs and newlines anywhere.
_LEADING = "".join(map(chr, range(0x21))) + "\x7f<"


def _is_safe_target(raw: str) -> bool:
    """Is a link target http(s), mailto or relative, the way a browser would read it?

    Conservative: entities are decoded, backslashes and all whitespace dropped first, so a
    false alarm is possible (the link then shows as text), a javascript: target getting
    through is not."""
    target = html.unescape(raw).replace("\\", "")
    target = re.sub(r"\s", "", target).lstrip(_LEADING).lower()
    scheme = _SCHEME.match(target)
    return scheme is None or scheme.group() in _SAFE_SCHEMES


def _unsafe_brackets(text: str) -> set[int]:
    """Positions of the ``]`` of every link or reference definition with an unsafe target.

    Every ``](`` and ``]:`` is checked, whether or not Markdown would make a link of it (a
    false alarm only shows a link as text). The target may start on the next line."""
    return {
        match.start()
        for match in _LINK_TARGET.finditer(text)
        if not _is_safe_target(text[match.end() : match.end() + 2048].lstrip("( \n"))
    }


def _code_span(line: str, start: int) -> tuple[int, int] | None:
    """The code span opened by the backtick run at ``start``: (run length, start of the
    closing run of the same length on this line), or None when it is not closed."""
    run = len(_BACKTICKS.match(line, start).group())
    for closing in _BACKTICKS.finditer(line, start + run):
        if len(closing.group()) == run:
            return run, closing.start()
    return None


def _escape_line(line: str, offset: int, flagged: set[int], heading_offset: int) -> str:
    out: list[str] = []
    i = 0
    prefix = _BLOCKQUOTE.match(line)
    if prefix:  # blockquote markers are the one ">" that must stay Markdown
        out.append(prefix.group())
        i = prefix.end()
    heading = _HEADING.match(line, i)
    if heading and heading_offset:
        level = min(6, len(heading.group(2)) + heading_offset)
        out.append(heading.group(1) + "#" * level)
        i = heading.end()
    n = len(line)
    while i < n:
        special = _SPECIAL.search(line, i)
        if special is None:
            out.append(line[i:])
            break
        out.append(line[i : special.start()])  # plain text, in one piece
        i = special.start()
        c = line[i]
        if c == "\\" and i + 1 < n:
            nxt = line[i + 1]
            out.append(
                "\\"
                + (html.escape(nxt, quote=False) if nxt in "<>&" else "&#93;" if offset + i + 1 in flagged else nxt)
            )
            i += 2
            continue
        if c == "`":
            span = _code_span(line, i)
            if span:
                run, close = span
                out.append(f"<code>{_inert(line[i + run : close].strip())}</code>")
                i = close + run
                continue
            run = len(_BACKTICKS.match(line, i).group())
            out.append("`" * run)
            i += run
            continue
        if c == "<":
            angled = _ANGLED_TARGET.match(line, i)
            if angled and line[:i].rstrip(" ").endswith("]("):
                # [text](<a target with spaces>): same link, no raw "<" left.
                target = quote(angled.group(1), safe=_URL_SAFE)
                out.append(target.replace("&", "&amp;"))
                i = angled.end()
                continue
            auto = _AUTOLINK.match(line, i)
            if auto:
                url = auto.group(1)
                out.append(f'<a href="{html.escape(url, quote=True)}">{_inert(url)}</a>')
                i = auto.end()
                continue
            out.append("&lt;")
        elif c == ">":
            out.append("&gt;")
        elif c == "&":
            out.append("&amp;")
        elif c == "]" and offset + i in flagged:
            out.append("&#93;")
        elif c == "!" and line.startswith("[", i + 1):
            # An image would load from the network: show it as a link to the image, or as
            # its alt text when the target is not safe (data: URIs are common).
            image = _IMAGE.match(line, i)
            if image:
                alt, target = image.group(1).strip() or "image", image.group(2)
                if _is_safe_target(target):
                    out.append(f'<a href="{html.escape(target, quote=True)}">{_inert(alt)}</a>')
                else:
                    out.append(_inert(f"[{alt}]"))
                i = image.end()
                continue
            out.append("&#33;")  # any other form: no image syntax left, whatever follows
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _escape_text(text: str, heading_offset: int) -> str:
    flagged = _unsafe_brackets(text)
    lines = []
    offset = 0
    for line in text.split("\n"):
        lines.append(_escape_line(line, offset, flagged, heading_offset))
        offset += len(line) + 1
    return "\n".join(lines)


def _normalize(md: str) -> str:
    # What Python-Markdown does first (its NormalizeWhitespace), so that positions agree and
    # its placeholder characters (STX/ETX) can never be smuggled in.
    text = md.replace("\x02", "").replace("\x03", "").replace("\x00", "")
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    return re.sub(r"(?<=\n) +\n", "\n", text)


def _fence_close(lines: list[str], start: int, fence: str) -> int | None:
    char, size = fence[0], len(fence)
    for k in range(start + 1, len(lines)):
        stripped = lines[k].rstrip(" ")
        if stripped and set(stripped) == {char} and len(stripped) >= size:
            return k
    return None


def escape_markdown_html(md: str, *, heading_offset: int = 0) -> str:
    """Crawled Markdown → Markdown that renders the same text but cannot inject markup.

    Outside code, ``<``, ``>`` and ``&`` become entities (so ``<script>`` shows as text),
    blockquote markers excepted; ``<http(s)://…>`` autolinks become ``<a>`` elements; links,
    images and reference definitions whose target is not http(s), mailto or relative are
    shown as their Markdown text; images become links (nothing in the site loads from the
    network).
    Code spans and fenced code blocks are written as ``<code>`` / ``<pre><code>`` elements with
    their text escaped. ``heading_offset`` demotes headings (``#`` → ``###`` with 2) so that
    the crawled document nests under the page's own title.
    """
    lines = _normalize(md).split("\n")
    out: list[str] = []
    text: list[str] = []
    k = 0
    while k < len(lines):
        opening = _FENCE_OPEN.fullmatch(lines[k].rstrip(" "))
        close = _fence_close(lines, k, opening.group(1) or opening.group(2)) if opening else None
        if close is None:
            text.append(lines[k])
            k += 1
            continue
        if text:
            out.append(_escape_text("\n".join(text), heading_offset))
            text = []
        body = "\n".join(lines[k + 1 : close])
        # Blank lines around: Python-Markdown only reads <pre> as a block at a paragraph start.
        out.append(f"\n<pre><code>{html.escape(body, quote=False)}\n</code></pre>\n")
        k = close + 1
    if text:
        out.append(_escape_text("\n".join(text), heading_offset))
    return "\n".join(out)
