"""German."""

LEXICON = {
    "function_words": ("der", "die", "das", "und", "nicht", "sie", "ist", "den", "mit", "von", "zu", "für", "ein"),
    "capitalises_nouns": True,
    "negations": ("nicht", "kein", "keine", "keinen", "keinem", "keiner", "nie", "niemals"),
    "modals": (
        "muss", "müssen", "musst", "darf", "dürfen", "soll", "sollen", "sollte", "kann", "können", "verboten",
        "erlaubt", "zulässig", "unzulässig", "verpflichtet", "berechtigt", "pflicht", "nur", "wird", "werden",
    ),  # fmt: skip
    "prohibition": (r"darf\s+nicht", r"dürfen\s+nicht", r"ist\s+(?:es\s+)?untersagt", r"untersagt", r"verboten", r"unzulässig"),
    "deadline": (r"binnen", r"innerhalb\s+(?:von\s+)?\w+\s+(?:tagen|wochen|monaten|stunden|jahren)", r"frist\w*", r"spätestens"),
    "fee": (r"gebühr\w*", r"entgelt\w*", r"provision\w*", r"kosten", r"vertragsstrafe\w*"),
    "obligation": (
        r"muss", r"müssen", r"verpflichtet", r"pflicht\w*", r"(?:sie|wir|verkäufer|händler|nutzer)\s+(?:können|dürfen|werden|haben)",
        r"haftet", r"haften", r"erstatt\w*",
    ),  # fmt: skip
    "sanction": (r"sperr\w*", r"kündig\w*", r"deaktivier\w*", r"einschränk\w*", r"aussetz\w*", r"ausschl(?:uss|ießen)\w*", r"löschen"),
    "right": (
        r"widerruf\w*", r"rücktritt\w*", r"gewährleist\w*", r"garantie\w*", r"anspr(?:uch|üche)\w*", r"berechtigt",
        r"erstattung\w*", r"mängelrecht\w*", r"beschwerde\w*",
    ),  # fmt: skip
    "link_decorations": (r"-?\s*(?:öffnet|wird)\s+in\s+(?:einem\s+)?neuen\s+(?:fenster|tab)(?:\s+geöffnet)?",),
    "chrome_headings": (
        r"war\s+(?:dieser\s+artikel|diese\s+seite|dies)\s+hilfreich", r"(?:das|dies)\s+könnte\s+sie\s+auch\s+interessieren",
        r"(?:ähnliche|verwandte|weitere)\s+(?:artikel|themen|hilfeseiten)", r"siehe\s+auch",
    ),  # fmt: skip
}
