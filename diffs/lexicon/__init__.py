"""The words of rules, per language, as data: one module per language (``en``, ``de``, ``fr``,
``nl``, ``es``, ``it``, ``pl``, ``zh``), each a ``LEXICON`` dict with the same keys.

Pages come in the languages of their markets, and a page of one market often quotes another's
(an English agreement with a French clause), so the classification reads every language at
once: ``words(key)`` is the union of a word list over the languages, ``pattern(key)`` one
regular expression over their phrasings. ``language_of(words)`` guesses a passage's language
from its most frequent words, for the few rules that depend on it (German capitalises every
noun, so a capitalised word there is no name). Adding a language is adding a module and
naming it in ``LANGUAGES``; no rule changes. Pure: nothing here reads a file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from diffs.lexicon import de, en, es, fr, it, nl, pl, zh

LANGUAGES: dict[str, dict] = {
    "en": en.LEXICON,
    "de": de.LEXICON,
    "fr": fr.LEXICON,
    "nl": nl.LEXICON,
    "es": es.LEXICON,
    "it": it.LEXICON,
    "pl": pl.LEXICON,
    "zh": zh.LEXICON,
}
# Keys every language gives: word lists matched against single lowercased words, phrasings
# (regular expressions) matched case-insensitively.
WORD_KEYS = ("function_words", "negations", "modals")
PATTERN_KEYS = (
    "prohibition",
    "deadline",
    "fee",
    "obligation",
    "sanction",
    "right",
    "link_decorations",
    "chrome_headings",
)


@functools.cache
def words(key: str) -> frozenset[str]:
    """Every language's words for ``key`` ("negations", "modals"), lowercased."""
    return frozenset(w.lower() for lexicon in LANGUAGES.values() for w in lexicon.get(key, ()))


@functools.cache
def pattern(key: str) -> re.Pattern[str]:
    """One case-insensitive pattern for ``key`` over every language: whole words where the
    language spaces its words, substrings where it does not (Chinese)."""
    spaced = [p for lexicon in LANGUAGES.values() if lexicon.get("spaced", True) for p in lexicon.get(key, ())]
    unspaced = [p for lexicon in LANGUAGES.values() if not lexicon.get("spaced", True) for p in lexicon.get(key, ())]
    parts = []
    if spaced:
        parts.append(r"(?<!\w)(?:" + "|".join(f"(?:{p})" for p in spaced) + r")(?!\w)")
    parts += [f"(?:{p})" for p in unspaced]
    return re.compile("|".join(parts), re.IGNORECASE)


@functools.cache
def contractions() -> tuple[tuple[str, str], ...]:
    """(contracted, spelled out) pairs, longest first: "won't" before "n't"."""
    pairs = {k: v for lexicon in LANGUAGES.values() for k, v in lexicon.get("contractions", {}).items()}
    return tuple(sorted(pairs.items(), key=lambda kv: (-len(kv[0]), kv[0])))


def language_of(lowered_words: Iterable[str], default: str = "en") -> str:
    """The language whose function words are the most frequent in ``lowered_words``."""
    counts = dict.fromkeys(LANGUAGES, 0)
    for word in lowered_words:
        for code in LANGUAGES:
            if word in _function_words(code):
                counts[code] += 1
    best = max(counts, key=lambda code: (counts[code], code == default))
    return best if counts[best] else default


@functools.cache
def _function_words(code: str) -> frozenset[str]:
    return frozenset(LANGUAGES[code]["function_words"])


def capitalises_nouns(code: str) -> bool:
    return bool(LANGUAGES[code].get("capitalises_nouns"))
