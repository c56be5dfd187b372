"""HTML page → normalized Markdown, following a document's ``select``/``remove`` rules.

This is the only module that imports BeautifulSoup, lxml, soupsieve and markdownify.

``fingerprint`` hashes what extraction would read (the selected subtrees, after removals)
without converting anything: an unchanged page is recognised in well under a millisecond.

Errors are ``kb.errors.ExtractionError`` and its subclasses (``BotWall``,
``SelectorMatchedNothing``, ``InvalidSelector``, ``EmptyPage``): operational, so the caller
records them as a failed check with their ``kind``, never as a version.

Bot-wall detection runs before selection: a wall page lacks the document's selector and
must be reported as a wall, not as a broken declaration.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import lxml.html
import soupsieve
from bs4 import BeautifulSoup, Comment, Doctype, NavigableString, PageElement, Tag
from bs4.dammit import UnicodeDammit
from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from markdownify import (
    ATX,
    BACKSLASH,
    MarkdownConverter,
    re_extract_newlines,
    re_html_heading,
    should_remove_whitespace_inside,
    should_remove_whitespace_outside,
)

from diffs import combine
from diffs.links import clean_link
from diffs.normalize import normalize_markdown
from diffs.ranges import Range, in_document_order, remove_ranges, select_ranges
from kb.errors import (
    BotWall,
    BoundaryNotFound,
    CombinedCaptureError,
    EmptyPage,
    ExtractionError,
    InvalidSelector,
    SelectorMatchedNothing,
)

# Names the extraction and normalization rules: bump it whenever they change what a page
# extracts to, so stored versions say which rules made them (``policywatch reextract``).
# 2: Markdown link targets canonical (tracking parameters dropped) in normalize_markdown.
# 3: C0/C1 control characters dropped; the HTTP charset honoured, UTF-7 never decoded.
EXTRACTOR_VERSION = "3"


@dataclass(frozen=True)
class Rules:
    """Where the document lives in its page.

    ``select``: CSS selectors; the elements they match are concatenated in document order
    (empty: the whole ``<body>``). Every selector must match something, otherwise the page
    changed shape and part of the document would silently vanish; put alternatives in one
    selector with a comma (``".help-content, .cs-help-content"``).
    ``remove``: CSS selectors of elements dropped from the page before selection.
    ``select_ranges``/``remove_ranges``: range selectors (``diffs.ranges``), kept or dropped
    like ``select``/``remove``.
    ``parts``: for a document combined from several pages, each page's rules in order
    (``diffs.combine``); the other fields are then unused.
    """

    select: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    select_ranges: tuple[Range, ...] = ()
    remove_ranges: tuple[Range, ...] = ()
    parts: tuple[Rules, ...] = ()


@dataclass(frozen=True)
class Extracted:
    markdown: str  # normalized Markdown, one paragraph per line
    title: str  # <title> text, else the first <h1>, else ""


def selector_error(selector: str) -> str | None:
    """``None`` if ``selector`` is valid CSS for soupsieve, else a one-line reason."""
    if not selector or not selector.strip():
        return "empty selector"
    try:
        with warnings.catch_warnings():
            # A deprecated form (``:contains()``) still works but warns on every command: refused
            # here, with soupsieve's own sentence naming its replacement (``:-soup-contains()``).
            warnings.simplefilter("error", FutureWarning)
            soupsieve.compile(selector)
    except FutureWarning as exc:
        return f"deprecated: {str(exc).splitlines()[0]}"
    except soupsieve.SelectorSyntaxError as exc:
        return str(exc).splitlines()[0]
    except (TypeError, ValueError, NotImplementedError) as exc:
        return str(exc).splitlines()[0] or type(exc).__name__
    return None


# ---------------------------------------------------------------- decoding


_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# The HTML standard knows no UTF-7 and browsers never decode it (a page could show readers one
# text and the archive another): every name Python accepts for it is refused.
_REFUSED_ENCODINGS = ("utf-7", "utf7", "utf_7", "u7", "unicode-1-1-utf-7", "csunicode11utf7", "x-utf-7")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)


def charset_of(headers: Mapping[str, str] | None) -> str | None:
    """The charset a response's ``Content-Type`` header names, if Python knows it (never UTF-7)."""
    content_type = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), "")
    found = _CHARSET.search(content_type or "")
    return _usable_encoding(found.group(1)) if found else None


def _usable_encoding(name: str | None) -> str | None:
    try:
        canonical = codecs.lookup(name or "").name
    except (LookupError, ValueError):
        return None
    return None if canonical == "utf-7" else name


def _decode(body: bytes | str, encoding: str | None) -> str:
    """Decode as browsers do: a BOM, then the caller's encoding (the HTTP header's charset),
    then the page's own declaration, then detection, then windows-1252; each candidate must
    decode strictly, and UTF-7 is never one."""
    if isinstance(body, str):
        return body.lstrip("\ufeff")
    encoding = _usable_encoding(encoding)
    known = [encoding] if encoding and not body.startswith(_BOMS) else []
    dammit = UnicodeDammit(body, known_definite_encodings=known, is_html=True, exclude_encodings=_REFUSED_ENCODINGS)
    if dammit.unicode_markup is not None:
        return dammit.unicode_markup.lstrip("\ufeff")
    return body.decode("utf-8", errors="replace").lstrip("\ufeff")


# ---------------------------------------------------------------- bot walls

# Strings that only challenge pages contain: enough on their own.
_WALL_MARKERS = (
    ("/errors/validatecaptcha", "Amazon robot check"),
    ("to discuss automated access to amazon data", "Amazon robot check"),
    ("type the characters you see in this image", "captcha"),
    ("enter the characters you see below", "captcha"),
    ("_cf_chl_opt", "Cloudflare challenge"),
    ("cf-browser-verification", "Cloudflare challenge"),
    ("cf_chl_prog", "Cloudflare challenge"),
    ('id="px-captcha"', "PerimeterX challenge"),
    ("captcha-delivery.com", "DataDome challenge"),
    ("_incapsula_resource", "Imperva challenge"),
)
# Page titles that challenge and block pages use; only trusted on short pages.
_WALL_TITLES = re.compile(
    r"^\s*(robot check|just a moment\.*|attention required!? \| cloudflare|access denied|"
    r"access to this page has been denied\.?|are you a (robot|human)\??|security check|"
    r"captcha|human verification|pardon our interruption\.*|verify you are human|"
    r"please verify you are a human|bot check|request rejected|one more step)\s*$",
    re.IGNORECASE,
)
# Visible sentences of challenge pages; only trusted on short pages.
_WALL_PHRASES = re.compile(
    r"verify (that )?you are (a )?human|are you a robot|(i'?m|you are) not a robot|"
    r"checking (if the site connection is secure|your browser)|enable (javascript and )?cookies "
    r"to continue|please enable cookies|press (&|and) hold|complete the security check|"
    r"unusual traffic from your (computer|network)|solve (the|this) captcha|"
    r"complete the captcha|you don'?t have permission to access",
    re.IGNORECASE,
)
_CAPTCHA_WIDGETS = (
    "g-recaptcha",
    "h-captcha",
    "cf-turnstile",
    "recaptcha/api.js",
    "hcaptcha.com/1/api.js",
)
_SHORT_PAGE_CHARS = 2000  # visible text of a challenge page; real policies are far longer


def _bot_wall_evidence(html_lower: str, title: str, visible_text: str | None) -> str | None:
    """``visible_text``: the page's text, words joined by single spaces; None when it is longer
    than ``_SHORT_PAGE_CHARS`` (``_short_text``)."""
    for marker, what in _WALL_MARKERS:
        if marker in html_lower:
            return what
    if visible_text is None or len(visible_text) > _SHORT_PAGE_CHARS:
        return None
    if _WALL_TITLES.match(title):
        return f"page title {title.strip()!r}"
    phrase = _WALL_PHRASES.search(visible_text)
    if phrase:
        return f"page says {phrase.group(0)!r}"
    if "captcha" in visible_text.lower() and any(w in html_lower for w in _CAPTCHA_WIDGETS):
        return "captcha form"
    return None


# ---------------------------------------------------------------- cleaning

_ALWAYS_DROPPED = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "svg",
    "canvas",
    "object",
    "embed",
    "input",
    "select",
    "textarea",
    "button",
    "option",
    "datalist",
    "meter",
    "progress",
    "link",
    "meta",
)
MAX_DEPTH = 120  # markdownify recurses once per level; real pages nest a few dozen deep


def _flatten_deep(root: Tag) -> None:
    """Unwrap elements nested deeper than MAX_DEPTH (keeping their text), so a page of
    thousands of unclosed <div>s is read instead of exhausting the recursion limit.

    Linear in the size of the tree (issue 16, 3e): unwrapping the deep tags one by one
    moved every child up once per level, quadratic in the depth."""
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        for child in node.contents:
            if isinstance(child, Tag):
                if depth + 1 == MAX_DEPTH:
                    _keep_only_strings(child)
                else:
                    stack.append((child, depth + 1))


def _keep_only_strings(tag: Tag) -> None:
    """Replace ``tag``'s descendants by its strings, in document order: what unwrapping each
    descendant tag would leave, relinked in one pass."""
    descendants = list(tag.descendants)
    if not any(isinstance(node, Tag) for node in descendants):
        return
    after = descendants[-1].next_element  # the first element past tag's subtree
    strings = [node for node in descendants if not isinstance(node, Tag)]
    for node in descendants:
        if isinstance(node, Tag):
            node.parent = node.next_sibling = node.previous_sibling = None
            node.next_element = node.previous_element = None
            node.contents = []
    tag.contents = strings
    previous: PageElement = tag
    for i, string in enumerate(strings):
        string.parent = tag
        string.previous_sibling = strings[i - 1] if i else None
        string.next_sibling = strings[i + 1] if i + 1 < len(strings) else None
        string.previous_element, previous.next_element = previous, string
        previous = string
    previous.next_element = after
    if after is not None:
        after.previous_element = previous


_DROPPED_NAMES = frozenset(_ALWAYS_DROPPED)


def _clean_tree(root: Tag, base_url: str) -> None:
    _flatten_deep(root)
    # One walk finds what to drop and what to rewrite; each kind is then handled in document
    # order as one search per kind would (images and links inside a dropped element go with it).
    comments, dropped, images, links = [], [], [], []
    for node in root.descendants:
        if isinstance(node, Tag):
            name = node.name
            if name in _DROPPED_NAMES:
                dropped.append(node)
            elif name == "img":
                images.append(node)
            elif name == "a":
                links.append(node)
        elif isinstance(node, Comment):
            comments.append(node)
    for comment in comments:
        comment.extract()
    for tag in dropped:
        tag.decompose()
    for img in images:
        if img.decomposed:
            continue
        # Image URLs churn (CDN hashes, sizes); the alt text is what a reader gets.
        alt = (img.get("alt") or "").strip()
        img.replace_with(alt) if alt else img.decompose()
    for link in links:
        if link.decomposed:
            continue
        target = clean_link(str(link.get("href") or ""), base_url)
        if target is None:
            link.unwrap()
        else:
            link.attrs = {"href": target}


# A selector made only of names, classes, ids, attributes and descendant or child combinators
# matches an element by the element and its ancestors alone: removing other elements first
# cannot change what it matches (pseudo-classes such as :first-child and the sibling
# combinators + and ~ can; quotes and escapes could run into the next selector when joined).
_ORDER_FREE_SELECTOR = re.compile(r"[\w\s.#>*\[\]=^$-]+")


def _remove(soup: BeautifulSoup, selectors: tuple[str, ...]) -> None:
    """Drop what each selector matches, one selector after the other. When none of them can
    match differently once the others' elements are gone, the page is searched once, for all
    of them together: the same elements go (each search walks the whole page)."""
    if len(selectors) > 1 and all(_ORDER_FREE_SELECTOR.fullmatch(s) for s in selectors):
        for selector in selectors:
            _check_selector(selector)  # the first invalid one is named, as one by one
        for tag in soup.select(", ".join(selectors)):
            if not tag.decomposed:  # inside an element dropped just before
                tag.decompose()
        return
    for selector in selectors:
        for tag in _select(soup, selector):
            tag.decompose()


def _find_all_ordered(soup: BeautifulSoup, selectors: tuple[str, ...], url: str) -> list[Tag]:
    chosen: dict[int, Tag] = {}
    for selector in selectors:
        matched = _select(soup, selector)
        if not matched:
            raise SelectorMatchedNothing(selector, url)
        for tag in matched:
            chosen.setdefault(id(tag), tag)
    if len(chosen) == 1:  # nothing to order or to nest: no walk of the whole page for it
        return list(chosen.values())
    # Keep outermost elements only, in document order, so nothing is extracted twice.
    order = {id(tag): i for i, tag in enumerate(soup.find_all(True))}
    tags = sorted(chosen.values(), key=lambda t: order[id(t)])
    return [t for t in tags if not any(id(p) in chosen for p in t.parents)]


def _select(soup: BeautifulSoup, selector: str) -> list[Tag]:
    _check_selector(selector)
    return soup.select(selector)


def _check_selector(selector: str) -> None:
    problem = selector_error(selector)
    if problem:
        raise InvalidSelector(selector, problem)


# ---------------------------------------------------------------- conversion


class _Converter(MarkdownConverter):
    """markdownify with the choices that keep diffs small and output stable."""

    def __init__(self) -> None:
        super().__init__(
            heading_style=ATX,
            bullets="-",
            strong_em_symbol="*",
            newline_style=BACKSLASH,
            escape_asterisks=False,
            escape_underscores=False,
            escape_misc=False,
            # wrap=True with no width: newlines from the HTML source collapse to spaces
            # (they are not content) and no paragraph is ever re-wrapped.
            wrap=True,
            wrap_width=None,
            autolinks=True,
        )
        self._part_in_pre = False

    def convert_soup(self, soup: Tag) -> str:
        self._part_in_pre = soup.find_parent("pre") is not None
        return super().convert_soup(soup)

    def process_tag(self, node: Tag, parent_tags: set[str] | None = None) -> str:
        """markdownify 1.2's ``process_tag``, with one change: whether ``node`` is inside a
        ``<pre>`` is read from ``parent_tags`` (the names of its ancestors in the part being
        converted) and from the part's own ancestors, looked up once, instead of from
        ``node.find_parent("pre")``, a search up the tree for every element (a tenth of the
        extraction). ``tests/diffs/test_extract_fast_paths.py`` holds it to markdownify's own."""
        if parent_tags is None:
            parent_tags = set()
        should_remove_inside = should_remove_whitespace_inside(node)

        def _can_ignore(el: PageElement | None) -> bool:
            if isinstance(el, Tag):
                return False
            elif isinstance(el, (Comment, Doctype)):
                return True
            elif isinstance(el, NavigableString):
                if str(el).strip() != "":
                    return False
                elif should_remove_inside and (not el.previous_sibling or not el.next_sibling):
                    return True
                elif should_remove_whitespace_outside(el.previous_sibling) or should_remove_whitespace_outside(
                    el.next_sibling
                ):
                    return True
                else:
                    return False
            elif el is None:
                return True
            else:
                raise ValueError(f"Unexpected element type: {type(el)}")

        children_to_convert = [el for el in node.children if not _can_ignore(el)]
        parent_tags_for_children = set(parent_tags)
        parent_tags_for_children.add(node.name)
        if re_html_heading.match(node.name) is not None or node.name in {"td", "th"}:
            parent_tags_for_children.add("_inline")
        if node.name in {"pre", "code", "kbd", "samp"}:
            parent_tags_for_children.add("_noformat")
        child_strings = [self.process_element(el, parent_tags=parent_tags_for_children) for el in children_to_convert]
        child_strings = [s for s in child_strings if s]
        if node.name == "pre" or "pre" in parent_tags or self._part_in_pre:
            pass  # inside <pre> blocks, newlines are not collapsed
        else:
            updated_child_strings = [""]  # so the first lookback works
            for child_string in child_strings:
                leading_nl, content, trailing_nl = re_extract_newlines.match(child_string).groups()
                if updated_child_strings[-1] and leading_nl:
                    prev_trailing_nl = updated_child_strings.pop()
                    num_newlines = min(2, max(len(prev_trailing_nl), len(leading_nl)))
                    leading_nl = "\n" * num_newlines
                updated_child_strings.extend([leading_nl, content, trailing_nl])
            child_strings = updated_child_strings
        text = "".join(child_strings)
        convert_fn = self.get_conv_fn_cached(node.name)
        if convert_fn is not None:
            text = convert_fn(node, text, parent_tags=parent_tags)
        return text


def _short_text(tag: Tag, limit: int) -> str | None:
    """``_text_of(tag)`` if it is at most ``limit`` characters long, else None, read only as far
    as the limit (a policy page's text is far longer than a challenge page's)."""
    words: list[str] = []
    size = -1  # the words' lengths and the single spaces between them
    for string in tag.strings:  # get_text's strings
        for word in string.split():
            size += len(word) + 1
            if size > limit:
                return None
            words.append(word)
    return " ".join(words)


_NOT_TEXT = frozenset(("script", "style", "noscript", "template"))


def _tags_named(root: Tag, names: frozenset[str]) -> list[Tag]:
    """``root.find_all(names)`` (tags of those names, in document order) without its general
    filter's cost for every element: HTML parsed by lxml has no namespace prefixes to match."""
    return [node for node in root.descendants if isinstance(node, Tag) and node.name in names]


def _text_of(tag: Tag | None) -> str:
    return " ".join(tag.get_text(" ").split()) if tag is not None else ""


def extract(body: bytes | str, rules: Rules, *, url: str = "", encoding: str | None = None) -> Extracted:
    """Extract the document described by ``rules`` from a page; raise an
    ``ExtractionError`` subclass when the page cannot yield it."""
    if rules.parts:
        try:
            return combine.extract_combined(body, rules.parts, extract, url=url)
        except CombinedCaptureError as exc:
            raise ExtractionError(str(exc)) from None
    html = _decode(body, encoding)
    soup = BeautifulSoup(html, "lxml")

    title = _text_of(soup.title) or _text_of(soup.find("h1"))
    for tag in _tags_named(soup, _NOT_TEXT):
        tag.decompose()
    evidence = _bot_wall_evidence(html.lower(), title, _short_text(soup.body or soup, _SHORT_PAGE_CHARS))
    if evidence:
        raise BotWall(evidence, url)

    _remove(soup, rules.remove)
    try:
        remove_ranges(soup, rules.remove_ranges)
        ranged = select_ranges(soup, rules.select_ranges)
    except BoundaryNotFound as exc:
        if exc.missing:
            raise SelectorMatchedNothing(exc.selector, url) from None
        raise ExtractionError(f"{exc}; fix the range in the declaration's select/remove") from None
    if rules.select or ranged:
        parts = _find_all_ordered(soup, rules.select, url) if rules.select else []
        parts = in_document_order(soup, parts, ranged) if ranged else parts
    else:
        parts = [soup.body or soup]

    converter = _Converter()
    chunks = []
    for part in parts:
        _clean_tree(part, url)
        chunks.append(converter.convert_soup(part).strip())
    markdown = normalize_markdown("\n\n".join(c for c in chunks if c))
    if not markdown.strip():
        raise EmptyPage(url)
    return Extracted(markdown=markdown, title=normalize_markdown(title).strip())


def read_text_version(body: bytes, *, url: str = "") -> Extracted:
    """A capture that is already the document's text (Markdown, as Open Terms Archive's version
    repositories publish it) → normalized Markdown, like an extracted page. Its title is left
    to the declaration (``""``): such files carry none of their own."""
    markdown = normalize_markdown(body.decode("utf-8", errors="replace").lstrip("\ufeff"))
    if not markdown.strip():
        raise EmptyPage(url)
    return Extracted(markdown=markdown, title="")


def rules_key(rules: Rules) -> str:
    """Names the rules and the extraction code: a fingerprint made under others never matches."""
    return hashlib.sha256(f"{EXTRACTOR_VERSION}|{rules!r}".encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=512)
def _compiled(selector: str) -> CSSSelector:
    return CSSSelector(selector)


def fingerprint(body: bytes, rules: Rules, *, encoding: str | None = None) -> str | None:
    """``<rules key>:<sha256 of the selected subtrees' HTML>``, or None when it cannot be
    computed cheaply and exactly (range selectors, combined pages, a selector lxml cannot
    translate, a selector that matches nothing, a page the parser could not read whole: the
    full extraction decides those).

    Two responses with the same fingerprint extract to the same text: BeautifulSoup's
    "lxml" builder parses with the same parser, removals are applied before selection as
    in ``extract``, and the detected encoding and the header's ``encoding`` are part of the hash.
    """
    if rules.parts or rules.select_ranges or rules.remove_ranges or not body:
        return None
    try:
        parser = lxml.html.HTMLParser()
        root = lxml.html.fromstring(body, parser=parser)
        if any(error.level_name == "FATAL" for error in parser.error_log):
            # libxml2 gave up on part of the page (nesting past 256 levels, a text node over
            # 10 MB): what it read is not what extraction reads, so only extraction may decide.
            return None
        for selector in rules.remove:
            for node in _compiled(selector)(root):
                if node.getparent() is not None:
                    node.drop_tree()
        if rules.select:
            chosen: dict[int, object] = {}
            for selector in rules.select:
                found = _compiled(selector)(root)
                if not found:
                    return None
                chosen.update((id(node), node) for node in found)
            if len(chosen) == 1:  # nothing to order: no walk of the whole page for it
                nodes = list(chosen.values())
            else:
                order = {id(node): i for i, node in enumerate(root.iter())}
                nodes = sorted(chosen.values(), key=lambda node: order.get(id(node), -1))
        else:
            nodes = [root]
    except (SelectorError, ValueError, lxml.etree.LxmlError):
        return None
    digest = hashlib.sha256(f"{root.getroottree().docinfo.encoding}|{_usable_encoding(encoding)}".encode())
    for node in nodes:
        digest.update(lxml.html.tostring(node, encoding="unicode", with_tail=False).encode())
    return f"{rules_key(rules)}:{digest.hexdigest()}"
