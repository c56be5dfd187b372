"""Is an extracted text the document it claims to be? Judged after extraction (pure).

A page can answer 200 with a body that reads fine and still not be the document: Seller Central
serves another language despite ``?locale=``, or another marketplace's page ("This article
applies to selling in: France" on the UK site); a site serves its sign-in form at the policy's
URL; a JavaScript application ships its shell and no text. ``judge`` compares the extracted text
with what the declaration expects (``Expectations``: ``lang``, ``expect.text``,
``expect.min_chars``; without a declared or URL language, the language of the current
version) and returns a ``diffs.responses.Fault`` with its kind
(``kb.models.FaultKind``) and one line naming what was expected and the fix, or ``None``. The
recorder records a fault on the check; it never becomes a version.

Language is detected on the extracted text only (link targets and Markdown marks dropped), with
py3langid, the only module that imports it: its model ships in the wheel and is read once, on
the first detection. The answer is a function of the text alone. The raw page is read only for
two signs that explain a text that is too short or missing: a password field (a sign-in page)
and a request to enable JavaScript or an empty application root (a JavaScript shell).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from diffs.notices import notice
from diffs.responses import Fault
from kb.models import FaultKind, Outcome

ANY_LANGUAGE = "any"  # ``lang: any``: the language is not checked
MIN_LANGUAGE_CHARS = 250  # shorter texts are not judged: detection is unreliable below this
SAMPLE_CHARS = 4000  # detection reads this much of a long text, in windows spread over it
SAMPLE_WINDOWS = 8
MIN_CONFIDENCE = 0.9  # a text is in another language only when the detector is this sure
SHELL_CHARS = 500  # without min_chars, a text this short from a page asking for JavaScript is a shell
SHORT_PAGE_CHARS = 2000  # sign-in pages and shells are short; real policies are far longer

# Every language the detector knows (py3langid 0.4's model; a test holds them equal), so a
# declaration is checked at load without reading the model.
LANGUAGES = frozenset(
    "ace af am an ar ary arz as az ba bcl be bg bn br bs ca crh cs cy da de dz el en eo es et eu "
    "ext fa fi fo fr fuv fy ga gcf gcr gd gl gom grc gu gug guw ha hbo he hi hr ht hu hy id ig is "
    "it ja jv ka kab kik kk km kn ko ku ky la lb lg lij ln lo lt ltg lv mg mk ml mn mr ms mt my ne "
    "nl nn no nso oc om or pa pcm pl ps pt qu ro ru rw sa sdh se si sk sl sn so sq sr st sv sw ta "
    "te tg th tk tl tr tt ug uk ur uz uzs vec vi vo wa wuu xh yo yue zh zu".split()
)
# Codes a declaration may use for a language the detector names otherwise.
ALIASES = {"nb": "no", "iw": "he", "in": "id", "fil": "tl"}
# Languages the detector confuses on real pages and that a locale cannot tell apart.
SAME_AS = {"nn": "no", "pcm": "en", "bs": "hr", "sr": "hr", "ms": "id"}
NAMES = {
    "ar": "Arabic",
    "bg": "Bulgarian",
    "ca": "Catalan",
    "cs": "Czech",
    "cy": "Welsh",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "eu": "Basque",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "ga": "Irish",
    "gl": "Galician",
    "he": "Hebrew",
    "hi": "Hindi",
    "hr": "Croatian",
    "hu": "Hungarian",
    "id": "Indonesian",
    "is": "Icelandic",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "lb": "Luxembourgish",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "ms": "Malay",
    "mt": "Maltese",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sq": "Albanian",
    "sr": "Serbian",
    "sv": "Swedish",
    "th": "Thai",
    "tl": "Tagalog",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "zh": "Chinese",
}
# Query parameters that name a page's language, in the order they are trusted.
LANGUAGE_PARAMS = ("mons_sel_locale", "locale", "language", "lang", "hl")
# A bare first path segment is read as a language only for these (``/uk/`` and ``/ca/`` are
# more often countries than Ukrainian or Catalan); ``/en-gb/``-style segments always are.
PATH_LANGUAGES = frozenset("en de fr es it nl pl pt sv da fi no nb cs sk hu ro bg el tr ru ja ko zh".split())
_LOCALE = re.compile(r"^([a-z]{2,3})(?:[-_]([a-z]{2}|\d{3}))?$", re.IGNORECASE)
# Seller Central follows the visitor's language unless its own switch pins it.
_SELLER_CENTRAL = re.compile(r"^sellercentral(-europe)?\.amazon\.", re.IGNORECASE)
_SELLER_CENTRAL_REGIONS = {
    "com": "US",
    "co.uk": "GB",
    "de": "DE",
    "fr": "FR",
    "it": "IT",
    "es": "ES",
    "nl": "NL",
    "se": "SE",
    "pl": "PL",
    "com.be": "BE",
    "com.tr": "TR",
    "ca": "CA",
    "com.mx": "MX",
    "com.br": "BR",
    "com.au": "AU",
    "co.jp": "JP",
    "in": "IN",
    "ae": "AE",
    "sa": "SA",
    "sg": "SG",
}


@dataclass(frozen=True)
class Expectations:
    """What a document's page must show (``lang``, ``expect`` in its declaration).

    ``lang``: an ISO 639-1 code, ``ANY_LANGUAGE``, or ``None`` (not declared: the language named
    by the page's URL, if any, see ``language_of_url``). ``texts``: each must be in the text.
    ``min_chars``: the least number of characters of text (Markdown marks and link targets not
    counted). ``browser``: the page is rendered with a browser (what a shell's fix says).
    """

    lang: str | None = None
    texts: tuple[str, ...] = ()
    min_chars: int = 0
    browser: bool = False

    def language(self, url: str = "") -> tuple[str, str] | None:
        """(the language the text must be in, where that comes from), or None: not checked."""
        if self.lang == ANY_LANGUAGE:
            return None
        if self.lang:
            return self.lang, f"lang: {self.lang}"
        return language_of_url(url)


def language_code(value: str) -> str | None:
    """The detector's code for a declared language (``en``, ``en-GB``, ``de_DE``), or None."""
    match = _LOCALE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    code = match.group(1).lower()
    code = ALIASES.get(code, code)
    return code if code in LANGUAGES else None


def language_name(code: str) -> str:
    return NAMES.get(code, f"language '{code}'")


def language_of_url(url: str) -> tuple[str, str] | None:
    """The language a URL asks for: a query parameter (``locale=en-GB``, ``mons_sel_locale``,
    ``language``, ``lang``, ``hl``), else a first path segment like ``/de/`` or ``/en-gb/``;
    (code, where it was read), or None."""
    parts = urlsplit(url)
    params = {name.lower(): value for name, value in parse_qsl(parts.query)}
    for name in LANGUAGE_PARAMS:
        code = language_code(params.get(name, ""))
        if code:
            return code, f"{name}={params[name]}"
    segment = next((s for s in parts.path.split("/") if s), "")
    match = _LOCALE.match(segment)
    if match and (match.group(2) or segment.lower() in PATH_LANGUAGES):
        code = language_code(segment)
        if code:
            return code, f"/{segment}/"
    return None


# ---------------------------------------------------------------- the judgement


def judge(
    text: str, expected: Expectations, *, url: str = "", page: bytes | str = b"", previous: str = ""
) -> Fault | None:
    """The first expectation an extracted text fails, as a failed check's fault, or None.

    ``text``: the extracted Markdown; ``url``: the URL that was asked for (its locale is the
    default language); ``page``: the raw page, read only to explain a short or missing text;
    ``previous``: the text of the document's current version, whose language is the one
    expected when neither the declaration nor the URL names one."""
    plain = plain_text(text)
    size = len(plain)
    if size < SHORT_PAGE_CHARS:
        fault = _sign_in(plain, page)
        if fault is None and size < max(expected.min_chars, SHELL_CHARS):
            fault = _shell(page, expected)
        if fault:
            return fault
    shown = notice(text)
    if shown is not None:
        return _failed(
            FaultKind.BLOCK_PAGE,
            f'the site served {shown.what} instead of the document ("{shown.said}"): an outage, not a '
            "change of the policy; the next crawl tries again (if it lasts, check the page in a browser)",
        )
    if size < expected.min_chars:
        return _failed(
            FaultKind.TOO_SHORT,
            f"extracted {size:,} characters, expected at least {expected.min_chars:,} (expect.min_chars): "
            "the page came incomplete or the selectors cut the text; check it with `policywatch extract`",
        )
    language = expected.language(url)
    if language is not None:
        fault = _wrong_language(plain, *language, url)
        if fault:
            return fault
    elif expected.lang != ANY_LANGUAGE and previous and previous != text:
        fault = _language_switch(plain, plain_text(previous), url)
        if fault:
            return fault
    for wanted in expected.texts:
        fault = _missing(plain, wanted, url, language[0] if language else None)
        if fault:
            return fault
    return None


def explain_missing(page_text: str, page: bytes | str, expected: Expectations) -> Fault | None:
    """Why extraction found nothing (the selectors matched nothing, or no text was left), when
    the page says: a sign-in page, or a JavaScript shell. ``page_text``: the whole page's
    text. None: the extraction's own fault stands."""
    plain = plain_text(page_text)
    if len(plain) >= SHORT_PAGE_CHARS:
        return None
    return _sign_in(plain, page) or _shell(page, expected)


def _failed(kind: str, reason: str) -> Fault:
    return Fault(Outcome.FAILED, kind, reason)


def _wrong_language(plain: str, code: str, came_from: str, url: str) -> Fault | None:
    detected = detect_language(plain)
    if detected is None:
        return None
    found, confidence = detected
    if confidence < MIN_CONFIDENCE or SAME_AS.get(found, found) == SAME_AS.get(code, code):
        return None
    return _failed(
        FaultKind.WRONG_LANGUAGE,
        f"served in {language_name(found)}, expected {language_name(code)}: {_language_fix(url, code, came_from, found)}",
    )


def _language_switch(plain: str, previous: str, url: str) -> Fault | None:
    """A text confidently in another language than the current version's: the site served a
    translation (geo-IP, a visitor's cookie), not a new policy."""
    detected = _confident_language(plain)
    before = _confident_language(previous) if detected else None
    if before is None or SAME_AS.get(detected, detected) == SAME_AS.get(before, before):
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    pin = (
        f"`mons_sel_locale={before}_{_region(parts.query, host)}`"
        if _SELLER_CENTRAL.match(host)
        else "a locale parameter"
    )
    return _failed(
        FaultKind.WRONG_LANGUAGE,
        f"served in {language_name(detected)}, the previous versions are in {language_name(before)}: "
        f"pin the language with {pin}, or declare `lang: {detected}` if the page really changed language",
    )


def _confident_language(plain: str) -> str | None:
    detected = detect_language(plain)
    return detected[0] if detected and detected[1] >= MIN_CONFIDENCE else None


def _language_fix(url: str, code: str, came_from: str, found: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if _SELLER_CENTRAL.match(host):
        pinned = dict(parse_qsl(parts.query)).get("mons_sel_locale")
        if pinned and language_code(pinned) == code:
            return (
                f"the URL already pins `mons_sel_locale={pinned}`: fetch it with a browser profile "
                "that is not signed in to Seller Central"
            )
        return f"pin the language with `mons_sel_locale={code}_{_region(parts.query, host)}`"
    if came_from.startswith("lang:"):
        return (
            "pin the language in the URL (a `locale=`, `lang=` or `hl=` parameter the site honours), "
            f"or declare `lang: {found}` if that is the language to track"
        )
    return (
        f"the site ignored `{came_from}`; pin the language another way it honours, "
        f"or declare `lang: {found}` if that is the language to track"
    )


def _region(query: str, host: str) -> str:
    """The country of a Seller Central URL: its locale's (``en-GB``), else its domain's."""
    for name, value in parse_qsl(query):
        match = _LOCALE.match(value) if name.lower() in LANGUAGE_PARAMS else None
        if match and match.group(2) and not match.group(2).isdigit():
            return match.group(2).upper()
    suffix = host.split(".amazon.", 1)[-1]
    return _SELLER_CENTRAL_REGIONS.get(suffix, "XX")


def _missing(plain: str, wanted: str, url: str, code: str | None) -> Fault | None:
    """An ``expect.text`` absent from the text; when the page shows its label with another value
    ("This article applies to selling in: France"), another marketplace's page was served."""
    folded = _fold(plain)
    if _fold(wanted) in folded:
        return None
    label, colon, value = _folded_marks(wanted).rpartition(":")
    if colon and label.strip() and value.strip():
        shown = re.compile(r"\s+".join(map(re.escape, label.split())) + r"\s*:[ \t]*(\S[^\n]*)", re.IGNORECASE)
        other = shown.search(_folded_marks(plain))
        if other:
            return _failed(
                FaultKind.WRONG_MARKETPLACE,
                f'served for {other.group(1)[:80].strip()}, expected {value.strip()} ("{label.strip()}: …"): '
                f"{_marketplace_fix(url, code)}",
            )
    return _failed(
        FaultKind.MISSING_TEXT,
        f'the page does not show "{wanted}" (expect.text): check the page; if the site reworded it, update expect.text',
    )


def _marketplace_fix(url: str, code: str | None) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if _SELLER_CENTRAL.match(host):
        return (
            "Seller Central picked the marketplace from the visitor; pin it with "
            f"`mons_sel_locale={code or 'xx'}_{_region(parts.query, host)}`, fetched by a browser profile "
            "not signed in to another marketplace"
        )
    return "the site picked the marketplace from the visitor; pin it in the URL or fetch the marketplace's own host"


# ---------------------------------------------------------------- pages that are not the document

_PASSWORD_FIELD = re.compile(r"<input\b[^>]*\btype\s*=\s*[\"']?password\b", re.IGNORECASE)
_SIGN_IN_WORDS = re.compile(
    r"\b(sign[- ]?in|log[- ]?in|sign on|password|anmelden|passwort|se connecter|connexion|mot de passe|"
    r"iniciar sesión|contraseña|accedi|accesso|wachtwoord|inloggen|zaloguj|hasło|giriş)\b",
    re.IGNORECASE,
)
_JS_REQUIRED = re.compile(
    r"(enable|turn on|activate|allow)\s+javascript|javascript\s+(is\s+)?(required|disabled|not enabled|"
    r"must be enabled|needs to be enabled|is off)|(requires?|needs?)\s+javascript|javascript\s+to\s+run\s+this\s+app|"
    r"javascript\s+(aktivieren|einschalten)|activer\s+(le\s+)?javascript|activez\s+(le\s+)?javascript|"
    r"habilita\s+javascript|attiva\s+javascript",
    re.IGNORECASE,
)
_NOSCRIPT = re.compile(r"<noscript\b[^>]*>(.*?)</noscript>", re.IGNORECASE | re.DOTALL)
_EMPTY_APP_ROOT = re.compile(
    r"<(div|main|section)\b[^>]*\bid\s*=\s*[\"']?(root|app|__next|__nuxt|app-root)[\"']?[^>]*>\s*</\1>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]+>")


def _page_text(page: bytes | str) -> str:
    return page.decode("utf-8", errors="replace") if isinstance(page, bytes) else page


def _sign_in(plain: str, page: bytes | str) -> Fault | None:
    """A short text with sign-in wording from a page with a password field: a sign-in page."""
    html = _page_text(page)
    if not _PASSWORD_FIELD.search(html):
        return None
    words = _SIGN_IN_WORDS.search(plain)
    if not words:
        return None
    return _failed(
        FaultKind.SIGN_IN,
        f'a sign-in page was served instead of the document (a password field, "{words.group(0)}"): '
        "the document is no longer public at its URL or the site wants a session; check it in a browser",
    )


def _shell(page: bytes | str, expected: Expectations) -> Fault | None:
    """A page that asks for JavaScript, or ships an empty application root: a JavaScript shell."""
    html = _page_text(page)
    evidence = None
    for block in _NOSCRIPT.findall(html):
        said = " ".join(_TAG.sub(" ", block).split())
        if _JS_REQUIRED.search(said):
            evidence = f'it says "{said[:100]}"'
            break
    if evidence is None:
        root = _EMPTY_APP_ROOT.search(html)
        asks = _JS_REQUIRED.search(html)
        if root:
            evidence = f'an empty application root <{root.group(1)} id="{root.group(2)}">'
        elif asks:
            evidence = f'it says "{asks.group(0)}"'
    if evidence is None:
        return None
    fix = (
        "the capture was taken before the script built the text; check the page in a browser, and "
        "make `select` name the element that holds the text (the browser waits for it)"
        if expected.browser
        else "declare `render: browser`"
    )
    return _failed(FaultKind.JS_SHELL, f"a JavaScript shell without the document's text ({evidence}): {fix}")


# ---------------------------------------------------------------- text

_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"<?https?://[^\s>)]+>?")
_ESCAPE = re.compile(r"\\(.)")
_UNDERSCORES = re.compile(r"(?<!\w)_+|_+(?!\w)")  # emphasis, not snake_case
_LINE_MARKS = re.compile(r"^[ \t]*(?:#+|>|[-+](?=\s))", re.MULTILINE)  # headings, quotes, bullets
_RULE = re.compile(r"^\s*([=\-_*]\s*){3,}$", re.MULTILINE)
# str.replace, not str.translate: translating a 100 KB text through a dict costs milliseconds.
_FOLDS = (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("–", "-"), ("—", "-"), ("\u00a0", " "), ("\u200b", ""))


def plain_text(markdown: str) -> str:
    """The words of an extracted text, one line per paragraph: link targets, URLs and
    Markdown marks dropped (what a reader sees)."""
    text = _IMAGE.sub(r"\1", markdown)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _RULE.sub("", text)
    text = _ESCAPE.sub(r"\1", text)
    for mark in "*`|":
        text = text.replace(mark, " ")
    if "_" in text:
        text = _UNDERSCORES.sub(" ", text)
    text = _folded_marks(_LINE_MARKS.sub(" ", text))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line and line != "\\")


def _folded_marks(text: str) -> str:
    for typographic, plain in _FOLDS:
        if typographic in text:
            text = text.replace(typographic, plain)
    return text


def _fold(text: str) -> str:
    return " ".join(_folded_marks(text).split()).casefold()


def _sample(text: str) -> str:
    """A long text's windows, spread evenly from start to end: a bounded, deterministic read."""
    if len(text) <= SAMPLE_CHARS:
        return text
    width = SAMPLE_CHARS // SAMPLE_WINDOWS
    step = (len(text) - width) / (SAMPLE_WINDOWS - 1)
    return "\n".join(text[int(i * step) : int(i * step) + width] for i in range(SAMPLE_WINDOWS))


def detect_language(text: str) -> tuple[str, float] | None:
    """(language code, confidence 0–1) of a plain text, or None when it is too short to tell or
    has no words. Lower-cased first: the model reads capitals (a clause in CAPITALS) poorly."""
    sample = " ".join(_sample(text).split())
    if len(sample) < MIN_LANGUAGE_CHARS:
        return None
    code, confidence = _identifier().classify(sample.lower())
    if code == "zxx":  # the model's "no linguistic content"
        return None
    return code, float(confidence)


@functools.cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
