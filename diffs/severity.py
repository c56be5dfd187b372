"""How urgent a change is for a seller, in three levels (pure): the one place that decides it.

Read from what classification already found (its class, its reasons, read back by
``diffs.points``, its effective date and the workflows it touches):

- ``high``: a substantive change that moves a deadline, a number, a "not", an obligation word or
  the day a rule takes effect, states an effective date, or touches account health (metrics)
  or termination and suspension; a move in the seller's favour alone (a limit relaxed, a fee
  lowered, a deadline extended, an obligation word softened) is not enough;
- ``medium``: any other substantive change (an obligation, prohibition or fee added or removed);
- ``low``: minor changes and noise.

Subscriptions filter on it (``severity:`` in ``notify.yaml``); ``change_json`` carries it.
"""

from __future__ import annotations

from diffs.dates import in_words
from diffs.points import point
from kb.models import Change

SEVERITIES = ("high", "medium", "low")
# Reason kinds (diffs.KINDS) that change what a seller must do, or by when.
HIGH_KINDS = frozenset({"deadline", "number", "negation", "obligation", "effective-date"})
# diffs.taxonomy workflows where a miss costs the account
HIGH_TAGS = frozenset({"account-health", "termination-suspension"})
# What a change did (diffs.points) that only makes things easier for a seller.
FAVOURABLE = frozenset({
    "limit loosened", "fee lowered", "deadline extended", "due date postponed", "obligation looser",
})  # fmt: skip


def severity(change: Change) -> str:
    """``high``, ``medium`` or ``low`` (see the module's docstring)."""
    if change.label != "substantive":
        return "low"
    # a "+N more reasons" line (no point) keeps its kind: more of them may not be favourable
    kinds = {r.kind for r in change.reasons if (p := point(r)) is None or p.what not in FAVOURABLE}
    if kinds & HIGH_KINDS or change.effective_date or set(change.tags) & HIGH_TAGS:
        return "high"
    return "medium"


def what_to_do(change: Change) -> str | None:
    """The next step a change calls for, when the text says by when; None otherwise."""
    if change.label != "substantive" or not change.effective_date:
        return None
    when = in_words(change.effective_date)
    if change.notice_days is not None and change.notice_days < 0:
        return f"Check that you comply now: the change took effect on {when}, before it was first seen."
    return f"Be ready by {when}, when the change takes effect."
