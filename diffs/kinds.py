"""The vocabulary of the classification: every reason kind with its class, and the words and
patterns that make a passage a rule.

``KINDS`` is the data that ``docs/changes.md`` documents (a test checks that every kind is
explained there). ``diffs.rules`` reads the rest; nothing here runs any rule.
"""

from __future__ import annotations

import re

from diffs import lexicon

# kind: (class, what it means). The order is the order of importance within a class.
KINDS: dict[str, tuple[str, str]] = {
    "deadline": (
        "substantive",
        'a time limit or due date a seller must meet changed ("within 60 days" → "within 30 days")',
    ),
    "number": (
        "substantive",
        "a number, amount, percentage or duration in a rule changed",
    ),
    "negation": (
        "substantive",
        'a "not", "no" or "never" appeared or disappeared',
    ),
    "obligation": (
        "substantive",
        "an obligation or permission word changed (may → must, should → will)",
    ),
    "sanction": (
        "substantive",
        'a power over accounts, listings or payments came or went in a rule ("suspend", "sperren", "suspendre")',
    ),
    "right": (
        "substantive",
        'a right or remedy came or went in a rule (withdrawal, refund, appeal; "Widerruf", "rétractation")',
    ),
    "effective-date": (
        "substantive",
        "the text announces, or moves, the day a rule takes effect",
    ),
    "added-obligation": (
        "substantive",
        "an added passage states an obligation, prohibition, sanction, right, deadline or fee",
    ),
    "removed-obligation": (
        "substantive",
        "a removed passage stated an obligation, prohibition, sanction, right, deadline or fee",
    ),
    "scope": (
        "substantive",
        "whom or what a rule covers changed: a clause, a name (a country, a programme) added to or removed from it",
    ),
    "wording": (
        "minor",
        "other words changed, or passages without obligations came or went",
    ),
    "moved": (
        "minor",
        "a passage moved, unchanged, to another place",
    ),
    "figure": (
        "minor",
        "a number outside any rule changed (an address, an identifier, a phone number)",
    ),
    "date": (
        "minor",
        "a date mentioned in passing changed",
    ),
    "reference": (
        "minor",
        'only cross-references were renumbered ("Clause 11" → "Clause 13")',
    ),
    "stated-date": (
        "minor",
        'the page\'s own "Last updated" or "Stand" date changed; never substantive alone',
    ),
    "capture": (
        "noise",
        "one of the two captures is not the document (an error page, a sign-in page): no change can be read from it",
    ),
    "chrome": (
        "noise",
        'only the help centre\'s furniture around the document changed ("Was this article helpful?", related articles)',
    ),
    "link": (
        "noise",
        "only link targets changed",
    ),
    "formatting": (
        "noise",
        "only Markdown markup changed (bold, headings, list markers)",
    ),
    "reflow": (
        "noise",
        'the words are the same: only how they are cut into passages, numbered, marked up or contracted ("we\'ll")',
    ),
    "counter": (
        "noise",
        "only a view, like or vote counter changed",
    ),
    "whitespace": (
        "noise",
        "only spacing, blank lines or punctuation changed",
    ),
}
SUBSTANTIVE = tuple(k for k, (c, _) in KINDS.items() if c == "substantive")
MINOR = tuple(k for k, (c, _) in KINDS.items() if c == "minor")
NOISE = tuple(k for k, (c, _) in KINDS.items() if c == "noise")
RANK = {kind: i for i, kind in enumerate(KINDS)}
# Reasons that say a workflow was touched (markup, links and dates of the page touch none).
TAGGED = set(SUBSTANTIVE) | {"wording", "moved", "figure", "date"}

# ---------------------------------------------------------------- words and patterns
# Every language's words (diffs.lexicon), read at once: a page of one market quotes another's.

NEGATIONS = set(lexicon.words("negations"))
MODALS = set(lexicon.words("modals"))
# What makes an added or removed passage matter: obligations, prohibitions, deadlines, fees.
PROHIBITION = lexicon.pattern("prohibition")
DEADLINE = lexicon.pattern("deadline")
FEE = re.compile(lexicon.pattern("fee").pattern + r"|[$€£¥]\s?\d", re.IGNORECASE)
THRESHOLD = re.compile(
    r"\b(?:under|below|above|over|at\s+least|at\s+most|up\s+to|more\s+than|less\s+than|"
    r"no\s+more\s+than|maximum|minimum)\s+(?:of\s+)?\d|\d\s?(?:%|percent|per\s+cent)",
    re.IGNORECASE,
)
OBLIGATION = lexicon.pattern("obligation")
SANCTION = lexicon.pattern("sanction")
RIGHT = lexicon.pattern("right")
CHROME = lexicon.pattern("chrome_headings")
EXAMPLE = lexicon.pattern("examples")

# Effect words (diffs.dates.effect_word) that make a date a deadline rather than a start.
DUE = re.compile(r"^(by|before|no later than|deadline|until|through|expires?|expires on|bis|jusqu'au)$")

# The patterns above by name, in the order they are tried on an added or removed passage.
WEIGHTS = (
    ("prohibition", PROHIBITION),
    ("deadline", DEADLINE),
    ("fee", FEE),
    ("threshold", THRESHOLD),
    ("obligation", OBLIGATION),
    ("sanction", SANCTION),
    ("right", RIGHT),
)
