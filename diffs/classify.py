"""The classification engine; its code moves back here from diffs.rules in the next commit.

This commit only renames the module, so that ``git log --follow diffs/rules.py`` keeps the
history of the classification rules.
"""

from diffs.rules import KINDS, Classification, Reason, SectionChange, classify, stated_date

__all__ = ["KINDS", "Classification", "Reason", "SectionChange", "classify", "stated_date"]
