"""The fields every rule's JSON carries: the interface issue 15 names (extend, never rename)."""

RULE_FIELDS = (
    "doc_id",
    "section",
    "subject",
    "comparison",
    "value",
    "unit",
    "window",
    "quote",
    "captured_at",
    "in_force_from",
)
