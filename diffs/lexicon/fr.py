"""French."""

LEXICON = {
    "function_words": ("le", "la", "les", "et", "des", "vous", "est", "pour", "dans", "une", "du", "que", "qui"),
    "capitalises_nouns": False,
    "negations": ("pas", "jamais", "aucun", "aucune", "ni", "nullement"),
    "modals": (
        "doit",
        "doivent",
        "devez",
        "devra",
        "devront",
        "peut",
        "peuvent",
        "pouvez",
        "pourra",
        "pourront",
        "interdit",
        "interdite",
        "obligatoire",
        "autorisé",
        "autorisée",
        "tenu",
        "tenue",
        "tenus",
        "seulement",
        "uniquement",
    ),  # fmt: skip
    "prohibition": (r"ne\s+(?:doit|doivent|devez|peut|peuvent|pouvez)\s+pas", r"interdite?s?", r"est\s+prohibée?"),
    "deadline": (r"dans\s+un\s+délai\s+de", r"sous\s+\d+\s+jours", r"délai\w*", r"au\s+plus\s+tard"),
    "fee": (r"frais", r"commissions?", r"redevances?", r"pénalités?"),
    "obligation": (
        r"doit",
        r"doivent",
        r"devez",
        r"obligatoire",
        r"obligation\w*",
        r"(?:vous|nous)\s+(?:pouvez|pouvons|devez|devons|acceptez)",
        r"est\s+tenue?\s+de",
        r"responsable\s+de",
        r"rembours\w*",
    ),  # fmt: skip
    "sanction": (
        r"suspen[dsn]\w*",
        r"résili\w*",
        r"désactiv\w*",
        r"bloqu\w*",
        r"restreindre",
        r"restriction\w*",
        r"retenir",
    ),
    "right": (r"rétractation", r"droit\s+de", r"garantie\s+légale", r"recours", r"réclamation\w*", r"indemni\w*"),
    "examples": (r"par\s+exemple", r"tel(?:le)?s?\s+que"),
    "link_decorations": (
        r"(?:s'ouvre|ouvre)\s+dans\s+une\s+nouvelle\s+(?:fenêtre|fenetre|onglet)",
        r"\(nouvelle\s+fenêtre\)",
    ),
    "chrome_headings": (
        r"cet\s+article\s+(?:vous\s+)?a-t-il\s+été\s+utile",
        r"(?:articles?|pages?)\s+(?:connexes|associée?s|similaires)",
        r"vous\s+pourriez\s+(?:aussi|également)\s+être\s+intéressée?",
        r"voir\s+aussi",
    ),  # fmt: skip
}
