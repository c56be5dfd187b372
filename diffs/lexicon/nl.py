"""Dutch."""

LEXICON = {
    "function_words": ("de", "het", "een", "en", "van", "je", "u", "niet", "voor", "op", "met", "zijn", "dat"),
    "capitalises_nouns": False,
    "negations": ("niet", "geen", "nooit"),
    "modals": (
        "moet",
        "moeten",
        "mag",
        "mogen",
        "kan",
        "kunnen",
        "zal",
        "zullen",
        "verplicht",
        "verboden",
        "toegestaan",
    ),
    "prohibition": (r"mag\s+niet", r"mogen\s+niet", r"niet\s+toegestaan", r"verboden"),
    "deadline": (r"binnen\s+\w+\s+(?:dagen|uur|weken|maanden)", r"uiterlijk", r"termijn\w*"),
    "fee": (r"kosten", r"vergoeding\w*", r"commissie\w*", r"boete\w*"),
    "obligation": (
        r"moet",
        r"moeten",
        r"verplicht\w*",
        r"(?:u|je|wij|we)\s+(?:kunt|kan|mag|moet|gaat\s+akkoord)",
        r"aansprakelijk",
    ),
    "sanction": (r"opschort\w*", r"blokker\w*", r"beëindig\w*", r"deactiver\w*", r"schorsen", r"geschorst"),
    "right": (r"herroep\w*", r"recht\s+(?:op|om)", r"garantie\w*", r"terugbetal\w*", r"bezwaar"),
    "examples": (r"bijvoorbeeld", r"bijv\b", r"zoals"),
    "link_decorations": (r"(?:opent|wordt\s+geopend)\s+in\s+(?:een\s+)?nieuw\s+(?:venster|tabblad)",),
    "chrome_headings": (
        r"was\s+(?:dit\s+artikel|deze\s+pagina)\s+nuttig",
        r"gerelateerde\s+(?:artikelen|pagina's)",
        r"zie\s+ook",
    ),
}
