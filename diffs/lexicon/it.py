"""Italian."""

LEXICON = {
    "function_words": ("il", "lo", "la", "gli", "le", "e", "di", "che", "non", "per", "un", "una", "del"),
    "capitalises_nouns": False,
    "negations": ("non", "mai", "nessun", "nessuna", "né"),
    "modals": ("deve", "devono", "devi", "può", "possono", "puoi", "potrà", "dovrà", "obbligatorio", "vietato", "consentito"),
    "prohibition": (r"non\s+(?:deve|devono|può|possono|potrà)", r"vietat[oaie]", r"non\s+è\s+consentito"),
    "deadline": (r"entro\s+\w+\s+(?:giorni|ore|settimane|mesi)", r"termine\s+di", r"scadenza"),
    "fee": (r"tariff[ae]", r"commission[ei]", r"cost[io]", r"penal[ei]"),
    "obligation": (r"deve", r"devono", r"obbligatori[oa]", r"obblig[oh]\w*", r"(?:lei|tu|noi)\s+(?:può|puoi|deve|devi|accetta)", r"responsabile\s+(?:di|per)"),
    "sanction": (r"sospen[ds]\w*", r"bloccar\w*", r"disattiv\w*", r"limitar\w*", r"risolvere\s+il\s+contratto", r"chiusura\s+dell'account"),
    "right": (r"recesso", r"diritto\s+(?:di|a)", r"garanzia\s+legale", r"rimbors\w*", r"reclam[oi]"),
    "link_decorations": (r"-?\s*si\s+apre\s+in\s+una\s+nuova\s+(?:finestra|scheda)",),
    "chrome_headings": (r"questo\s+articolo\s+(?:ti\s+)?è\s+stato\s+utile", r"articoli\s+correlati", r"vedi\s+anche"),
}
