"""A notice in the site's own template instead of the document (pure).

A site that cannot show the page often still answers 200 with its template around a short
notice: a consent interstitial ("Before you continue…"), a maintenance message ("We're sorry,
something went wrong"), a region block ("This content is not available in your region") or a
soft 404 ("Sorry, we couldn't find that page"). With a broad selector the template's own text
(breadcrumb, topic lists, a feedback widget) survives, so the text neither vanishes nor shrinks
enough to look broken, and without this check it would become a version and a change.

``notice(markdown)`` reads the *prose* of an extracted text: lines that are not navigation (a
line made only of links, a breadcrumb) and not a fragment (a short label, a button). When that
prose is short and holds notice wording, or notice wording makes up most of it, the text is a
notice: the recorder fails the check with ``FaultKind.BLOCK_PAGE``, and the classification of
a change to or from such a text says so (``diffs.classify``), for text captures too. A policy that mentions such
words in passing has far more prose than its notice sentences.

The wording is data: ``VOCABULARY`` maps each kind of notice to its phrasings per language
(regular expressions, matched case-insensitively on text with typographic quotes folded).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# kind of notice -> language -> phrasings. Add a language or a phrasing here; nothing else changes.
VOCABULARY: dict[str, dict[str, tuple[str, ...]]] = {
    "a consent interstitial": {
        "en": (
            r"before you continue( to)?",
            r"we( and our( \d+)? (partners|vendors))? use cookies",
            r"(accept|reject|decline) all( cookies)?",
            r"manage (your )?(cookie )?(preferences|choices|settings|options)",
            r"(your privacy choices|cookie consent|consent to (the use of )?cookies)",
        ),
        "de": (r"bevor sie (fortfahren|weitergehen)", r"wir verwenden cookies", r"alle (akzeptieren|ablehnen)"),
        "fr": (r"avant de (continuer|poursuivre)", r"nous utilisons des cookies", r"tout (accepter|refuser)"),
        "es": (r"antes de continuar", r"utilizamos cookies", r"(aceptar|rechazar) todo"),
        "it": (r"prima di continuare", r"utilizziamo (i )?cookie", r"(accetta|rifiuta) tutto"),
    },
    "a maintenance notice": {
        "en": (
            r"(we('re| are) )?(sorry, )?something went wrong",
            r"(performing|undergoing|down for) (scheduled |planned )?maintenance",
            r"(under|in) maintenance",
            r"(is |are )?(temporarily|currently) unavailable",
            r"please (try again|check back|come back) (later|soon|in a (few|little) (minutes|while))",
            r"we('ll| will) be back (soon|shortly)",
        ),
        "de": (
            r"wartungsarbeiten",
            r"vorübergehend nicht (verfügbar|erreichbar)",
            r"etwas ist schief ?gelaufen",
            r"versuchen sie es (bitte )?später (erneut|noch einmal)",
        ),
        "fr": (
            r"en (cours de )?maintenance",
            r"temporairement (indisponible|inaccessible)",
            r"une erreur (s'est produite|est survenue)",
            r"veuillez réessayer (plus tard|ultérieurement)",
        ),
        "es": (r"en mantenimiento", r"temporalmente no disponible", r"algo (salió|ha salido) mal", r"más tarde"),
        "it": (
            r"in manutenzione",
            r"temporaneamente non disponibile",
            r"qualcosa è andato storto",
            r"riprova più tardi",
        ),
    },
    "a region notice": {
        "en": (
            r"(is |are )?(not|isn't|aren't|un)available (in|for|from) your (region|country|location|area)",
            r"not (accessible|viewable) (in|from) your (region|country|location)",
            r"(content|page|service) is not available in (your|this) (region|country)",
        ),
        "de": (r"in ihre[rm] (region|land) nicht (verfügbar|erhältlich)",),
        "fr": (r"(pas|non) disponible dans votre (région|pays)",),
        "es": (r"no (está )?disponible en (tu|su) (región|país)",),
        "it": (r"non (è )?disponibile nel(la)? (tuo|tua|vostro|vostra) (paese|regione)",),
    },
    "a sign-in page": {
        "en": (
            r"forgot (your )?password\??",
            r"keep me signed in",
            r"(sign|log) in to (your account|continue)",
            r"new to [\w.]+\? (create|start here|sign up)",
        ),
        "de": (r"passwort vergessen", r"angemeldet bleiben", r"melden sie sich an, um fortzufahren"),
        "fr": (r"mot de passe oublié", r"rester connecté", r"connectez-vous pour continuer"),
        "es": (r"¿?(has )?olvidado (tu|su) contraseña", r"mantener la sesión iniciada"),
        "it": (r"password dimenticata", r"hai dimenticato la password", r"mantieni l'accesso"),
        "nl": (r"wachtwoord vergeten", r"ingelogd blijven"),
        "pl": (r"nie pamiętasz hasła", r"zapomniałeś hasła", r"nie wylogowuj mnie"),
    },
    "a page-not-found notice": {
        "en": (
            r"(sorry, )?we (couldn't|could not|can't|cannot) find (that|this|the) page",
            r"(the )?page you('re| are) looking for",
            r"(the )?page you were (trying to reach|looking for)",
            r"page (you )?requested (could not be found|does not exist|doesn't exist)",
            r"(404|page) not found",
            r"(this|that|the) page (does not|doesn't) exist",
            r"(this|the) page (is no longer available|has been (moved|removed))",
        ),
        "de": (
            r"seite (wurde )?nicht gefunden",
            r"(gesuchte|angeforderte) seite (existiert nicht|wurde nicht gefunden)",
        ),
        "fr": (
            r"page (introuvable|non trouvée)",
            r"la page (que vous (recherchez|cherchez|avez demandée) )?n'existe pas",
        ),
        "es": (r"página no encontrada", r"no (pudimos|podemos) encontrar (la|esta) página", r"la página que buscas"),
        "it": (r"pagina non trovata", r"la pagina che stai cercando"),
    },
}
NOTICE_PROSE_CHARS = 500  # prose this short with notice wording is the notice
MOSTLY_NOTICE_PROSE_CHARS = 1500  # up to this much prose, notice wording making up most of it
MOSTLY = 0.5
FRAGMENT_CHARS = 25  # a line shorter than this is a label or a button, not prose

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|<https?://[^>]*>")
_NOT_WORDS = re.compile(r"[\W_]+")
_MARKS = re.compile(r"^\s*(#+|[-*+]|\d+[.)]|>)\s+")


@dataclass(frozen=True)
class Notice:
    what: str  # "a maintenance notice"
    said: str  # the wording found, as the page has it


def notice(markdown: str) -> Notice | None:
    """The notice an extracted text mostly is, or None when it is a document's text."""
    prose = _prose(markdown, MOSTLY_NOTICE_PROSE_CHARS)
    if prose is None:
        return None
    size = sum(len(line) for line in prose)
    found, notice_chars = None, 0
    for line in prose:
        match = _phrasings().search(_fold(line))
        if match:
            found = found or (match.lastgroup, line)
            notice_chars += len(line)
    if found is None:
        return None
    if size > NOTICE_PROSE_CHARS and notice_chars < MOSTLY * size:
        return None
    kind, line = found
    return Notice(what=_KINDS[kind], said=line[:120])


def _prose(markdown: str, limit: int) -> list[str] | None:
    """The lines a reader reads as text: not links only (navigation), not short fragments;
    None as soon as they pass ``limit`` characters (a document's text, read no further)."""
    lines, size = [], 0
    for line in markdown.splitlines():
        words = _LINK.sub(" ", line)
        if not _NOT_WORDS.sub("", _MARKS.sub("", words)):
            continue  # navigation: nothing but links and separators
        text = " ".join(_MARKS.sub("", _LINK.sub(r"\1", line)).replace("*", "").split())
        if len(text) >= FRAGMENT_CHARS or _phrasings().search(_fold(text)):
            lines.append(text)
            size += len(text)
            if size > limit:
                return None
    return lines


def _fold(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").casefold()


_KINDS = {f"k{i}": what for i, what in enumerate(VOCABULARY)}


@functools.cache
def _phrasings() -> re.Pattern[str]:
    groups = []
    for name, what in _KINDS.items():
        alternatives = "|".join(f"(?:{p})" for phrasings in VOCABULARY[what].values() for p in phrasings)
        groups.append(f"(?P<{name}>\\b(?:{alternatives}))")
    return re.compile("|".join(groups), re.IGNORECASE)
