"""English: the words that make a passage a rule, and the page furniture around it."""

LEXICON = {
    # Frequent words that say a passage is in this language (diffs.lexicon.language_of).
    "function_words": ("the", "and", "of", "to", "you", "your", "is", "are", "for", "with", "or", "be", "this"),
    "capitalises_nouns": False,
    "negations": ("not", "no", "never", "none", "nor", "neither", "cannot"),
    "modals": (
        "may",
        "must",
        "shall",
        "should",
        "will",
        "can",
        "cannot",
        "might",
        "could",
        "would",
        "required",
        "require",
        "requires",
        "requirement",
        "mandatory",
        "obliged",
        "obligated",
        "prohibited",
        "prohibit",
        "prohibits",
        "forbidden",
        "permitted",
        "permit",
        "permits",
        "allowed",
        "allow",
        "allows",
        "optional",
        "only",
        "need",
        "needs",
        "entitled",
    ),  # fmt: skip
    # Regular expressions (matched case-insensitively, between word boundaries).
    "prohibition": (
        r"must\s+not",
        r"may\s+not",
        r"shall\s+not",
        r"will\s+not",
        r"cannot",
        r"can\s+not",
        r"do\s+not",
        r"not\s+(?:permitted|allowed)",
        r"prohibit(?:ed|s)?",
        r"forbidden",
        r"never",
    ),  # fmt: skip
    "deadline": (
        r"within\s+[\w()-]+(?:\s+[\w()-]+)?\s+(?:business\s+|calendar\s+)?(?:days?|hours?|weeks?|months?|years?)",
        r"no\s+later\s+than",
        r"deadline",
        r"time\s+limit",
    ),  # fmt: skip
    "fee": (r"fees?", r"charges?", r"commissions?", r"surcharges?", r"penalt(?:y|ies)"),
    "obligation": (
        r"must",
        r"shall",
        r"required?",
        r"requires",
        r"mandatory",
        r"oblig(?:ed|ated|ation)",
        r"(?:you|we|sellers?|merchants?|partners?|buyers?|users?)\s+(?:may|will|agree|are\s+responsible|"
        r"have\s+to|need\s+to)",
        r"responsible\s+for",
        r"liable",
        r"at\s+least\s+\d+",
        r"refunds?",
    ),  # fmt: skip
    # Stems of the powers a platform holds over accounts, listings and payments.
    "sanction": (
        r"suspen[ds]\w*",
        r"terminat\w*",
        r"deactivat\w*",
        r"withh[eo]ld\w*",
        r"ban(?:s|ned|ning)?",
        r"block(?:s|ed|ing)?",
        r"restrict\w*",
        r"revok\w*",
        r"delist\w*",
        r"close\s+your\s+account",
    ),  # fmt: skip
    # Rights and remedies a seller or a buyer holds.
    "right": (
        r"right\s+(?:to|of)\s+(?:withdraw\w*|cancel\w*|appeal|object|refund)",
        r"withdrawal",
        r"appeal\w*",
        r"warrant(?:y|ies)",
        r"guarantee",
        r"entitled\s+to",
        r"compensat\w*",
        r"reimburs\w*",
    ),  # fmt: skip
    # What opens a clarifying example ("such as …"): a clause it opens adds no rule.
    "examples": (r"for\s+example", r"e\W?\s?g\b", r"such\s+as", r"for\s+instance"),
    # Accessibility text that links carry, not words of the document.
    "link_decorations": (
        r"opens\s+in\s+(?:a\s+)?new\s+(?:window|tab)(?:\s+or\s+tab)?",
        r"\(?opens\s+in\s+new\s+window\)?",
        r"\(external\s+link\)",
        r"\(link\s+is\s+external\)",
    ),  # fmt: skip
    # Headings of the help centre's furniture under a document: feedback widgets, related pages.
    "chrome_headings": (
        r"was\s+this\s+(?:article|page|information)\s+(?:helpful|useful)",
        r"you\s+might\s+also\s+(?:be\s+interested\s+in|like)",
        r"related\s+(?:articles|pages|topics|help\s+pages)",
        r"(?:see|read)\s+also",
        r"more\s+(?:articles|help)\s+(?:on|about)",
        r"did\s+this\s+(?:answer|help)",
        r"popular\s+articles",
        r"recommended\s+(?:articles|for\s+you)",
    ),  # fmt: skip
    # Spelled-out forms of contractions: "we'll" and "we will" are the same words.
    "contractions": {
        "won't": "will not",
        "can't": "cannot",
        "shan't": "shall not",
        "n't": " not",
        "'ll": " will",
        "'re": " are",
        "'ve": " have",
        "'m": " am",
        "'d": " would",
        "it's": "it is",
        "that's": "that is",
        "there's": "there is",
        "here's": "here is",
        "what's": "what is",
        "let's": "let us",
    },  # fmt: skip
}
