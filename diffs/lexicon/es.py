"""Spanish."""

LEXICON = {
    "function_words": ("el", "la", "los", "las", "y", "de", "que", "en", "un", "una", "por", "con", "para"),
    "capitalises_nouns": False,
    "negations": ("no", "nunca", "ningún", "ninguna", "ni", "jamás"),
    "modals": ("debe", "deben", "debes", "puede", "pueden", "puedes", "podrá", "deberá", "obligatorio", "prohibido", "permitido"),
    "prohibition": (r"no\s+(?:debe|deben|puede|pueden|podrá)", r"prohibid[oa]s?", r"no\s+está\s+permitido"),
    "deadline": (r"en\s+un\s+plazo\s+de", r"dentro\s+de\s+\w+\s+(?:días|horas|semanas|meses)", r"plazo\w*", r"a\s+más\s+tardar"),
    "fee": (r"tarifas?", r"comisi(?:ón|ones)", r"cargos?", r"penalizaci(?:ón|ones)"),
    "obligation": (r"debe", r"deben", r"obligatori[oa]", r"obligaci(?:ón|ones)", r"(?:usted|tú|nosotros)\s+(?:puede|debe|acepta)", r"responsable\s+de"),
    "sanction": (r"suspen[ds]\w*", r"bloque\w*", r"cancelar\s+(?:tu|su)\s+cuenta", r"desactiv\w*", r"restring\w*", r"rescind\w*"),
    "right": (r"desistimiento", r"derecho\s+(?:a|de)", r"garantía", r"reembols\w*", r"reclamaci(?:ón|ones)"),
    "link_decorations": (r"-?\s*se\s+abre\s+en\s+una\s+(?:nueva\s+ventana|ventana\s+nueva|nueva\s+pestaña)",),
    "chrome_headings": (r"¿?(?:te|le)\s+(?:ha\s+)?resultó\s+útil", r"artículos\s+relacionados", r"ver\s+también", r"¿?fue\s+útil\s+este\s+artículo"),
}
