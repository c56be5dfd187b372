"""The vocabulary of the classification: every reason kind with its class, and the words and
patterns that make a passage a rule.

``KINDS`` is the data that ``docs/changes.md`` documents (a test checks that every kind is
explained there). ``diffs.rules`` reads the rest; nothing here runs any rule.
"""

from __future__ import annotations

import re

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
    "effective-date": (
        "substantive",
        "the text announces, or moves, the day a rule takes effect",
    ),
    "added-obligation": (
        "substantive",
        "an added passage states an obligation, prohibition, deadline or fee",
    ),
    "removed-obligation": (
        "substantive",
        "a removed passage stated an obligation, prohibition, deadline or fee",
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
    "link": (
        "minor",
        "only link targets changed",
    ),
    "formatting": (
        "minor",
        "only Markdown markup changed (bold, headings, list markers)",
    ),
    "stated-date": (
        "minor",
        'the page\'s own "Last updated" or "Effective" date changed; never substantive alone',
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

NEGATIONS = {
    "not", "no", "never", "none", "nor", "neither", "cannot", "nicht", "kein", "keine", "keinen",
    "nie", "pas", "jamais", "aucun", "aucune",
}  # fmt: skip
MODALS = {
    "may", "must", "shall", "should", "will", "can", "cannot", "might", "could", "would",
    "required", "require", "requires", "requirement", "mandatory", "obliged", "obligated",
    "prohibited", "prohibit", "prohibits", "forbidden", "permitted", "permit", "permits",
    "allowed", "allow", "allows", "optional", "only", "need", "needs", "entitled", "muss",
    "müssen", "darf", "dürfen", "soll", "sollen", "kann", "können", "verboten", "doit", "doivent",
    "peut", "peuvent", "interdit",
}  # fmt: skip
# What makes an added or removed passage matter: obligations, prohibitions, deadlines, fees.
PROHIBITION = re.compile(
    r"\b(must\s+not|may\s+not|shall\s+not|will\s+not|cannot|can\s+not|do\s+not|not\s+(?:permitted|"
    r"allowed)|prohibit(?:ed|s)?|forbidden|never|darf\s+nicht|dürfen\s+nicht|verboten|interdit)\b",
    re.IGNORECASE,
)
DEADLINE = re.compile(
    r"\b(within\s+[\w()-]+(?:\s+[\w()-]+)?\s+(?:business\s+|calendar\s+)?(?:days?|hours?|weeks?|"
    r"months?)|no\s+later\s+than|deadline|time\s+limit|binnen|innerhalb|frist\w*)\b",
    re.IGNORECASE,
)
FEE = re.compile(
    r"\b(fees?|charges?|commissions?|surcharges?|penalt(?:y|ies)|gebühr\w*|frais)\b|[$€£¥]\s?\d",
    re.IGNORECASE,
)
THRESHOLD = re.compile(
    r"\b(?:under|below|above|over|at\s+least|at\s+most|up\s+to|more\s+than|less\s+than|"
    r"no\s+more\s+than|maximum|minimum)\s+(?:of\s+)?\d|\d\s?(?:%|percent|per\s+cent)",
    re.IGNORECASE,
)
OBLIGATION = re.compile(
    r"\b(must|shall|required?|requires|mandatory|oblig(?:ed|ated|ation)|"
    r"(?:you|we|sellers?|merchants?|partners?)\s+(?:may|will|agree|are\s+responsible|have\s+to|"
    r"need\s+to)|responsible\s+for|liable|at\s+least\s+\d+|refunds?|suspend\w*|terminat\w*|"
    r"muss|müssen|verpflichtet|doit|doivent)\b",
    re.IGNORECASE,
)

# Effect words (diffs.dates.effect_word) that make a date a deadline rather than a start.
DUE = re.compile(r"^(by|before|no later than|deadline|until|through|expires?|expires on|bis|jusqu'au)$")

# The patterns above by name, in the order they are tried on an added or removed passage.
WEIGHTS = (
    ("prohibition", PROHIBITION),
    ("deadline", DEADLINE),
    ("fee", FEE),
    ("threshold", THRESHOLD),
    ("obligation", OBLIGATION),
)
