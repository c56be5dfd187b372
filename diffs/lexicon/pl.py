"""Polish."""

LEXICON = {
    "function_words": ("i", "w", "z", "na", "się", "że", "do", "nie", "jest", "oraz", "lub", "przez", "dla"),
    "capitalises_nouns": False,
    "negations": ("nie", "nigdy", "żaden", "żadna", "żadne"),
    "modals": ("musi", "muszą", "może", "mogą", "należy", "powinien", "powinna", "zabronione", "wolno", "obowiązkowe"),
    "prohibition": (r"nie\s+(?:może|mogą|wolno)", r"zabronion[eya]", r"zakazan[eya]"),
    "deadline": (
        r"w\s+terminie",
        r"w\s+ciągu\s+\w+\s+(?:dni|godzin|tygodni|miesięcy)",
        r"termin(?:u|ie|y|ów|em|ach|ami)?",
        r"najpóźniej",
    ),
    "fee": (r"opłat\w*", r"prowizj\w*", r"kar[ay]\s+umown\w*"),
    "obligation": (r"musi", r"muszą", r"należy", r"zobowiązan\w*", r"obowiąz\w*", r"odpowiada\w*"),
    "sanction": (
        r"zawiesz\w*",
        r"zawiesi\w*",
        r"zablokow\w*",
        r"blokad\w*",
        r"rozwiąza\w*",
        r"dezaktyw\w*",
        r"ogranicz\w*",
    ),
    "right": (r"odstąpieni\w*", r"prawo\s+do", r"rękojm\w*", r"gwarancj\w*", r"zwrot\w*", r"reklamacj\w*"),
    "examples": (r"na\s+przykład", r"np\b", r"takie\s+jak"),
    "link_decorations": (r"otwiera\s+się\s+w\s+nowym\s+(?:oknie|karcie)",),
    "chrome_headings": (r"czy\s+ten\s+artykuł\s+był\s+pomocny", r"powiązane\s+artykuły", r"zobacz\s+też"),
}
