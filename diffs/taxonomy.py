"""Which seller workflows a change touches: a readable taxonomy of terms.

Each workflow lists the words and phrases that place a passage in it. A term matches whole
words, case-insensitively; a trailing ``*`` matches any ending ("deactivat*" matches
"deactivated" and "deactivation"). A change is tagged with every workflow whose terms appear
in the passages it touches or in the headings above them. Edit the lists here;
``docs/changes.md`` shows them (``tests/test_diffs_classify.py`` checks the two agree).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Workflow:
    id: str
    label: str
    terms: tuple[str, ...]


WORKFLOWS: tuple[Workflow, ...] = (
    Workflow(
        "returns-refunds",
        "Returns and refunds",
        (
            "return*",
            "refund*",
            "restocking fee",
            "return window",
            "prepaid label*",
            "money back",
            "right of withdrawal",
            "withdraw from the contract",
            "widerruf*",
            "rétractation",
        ),
    ),
    Workflow(
        "reimbursements-claims",
        "Reimbursements and claims",
        (
            "a-to-z",
            "a to z guarantee",
            "safe-t",
            "claim*",
            "chargeback*",
            "reimburs*",
            "purchase protection",
            "buyer protection",
            "money back guarantee",
            "item not received",
            "not as described",
            "dispute*",
            "compensat*",
        ),
    ),
    Workflow(
        "listing-eligibility",
        "Listing eligibility and restricted products",
        (
            "restricted product*",
            "prohibited product*",
            "prohibited item*",
            "restricted categor*",
            "category approval",
            "approval to sell",
            "ungat*",
            "gated",
            "listing*",
            "list a product",
            "hazmat",
            "dangerous goods",
            "recall*",
            "product compliance",
            "eligib*",
            "prohibited activit*",
            "product safety",
        ),
    ),
    Workflow(
        "shipping-delivery",
        "Shipping and delivery",
        (
            "ship",
            "ships",
            "shipped",
            "shipping",
            "shipment*",
            "deliver*",
            "carrier*",
            "tracking",
            "handling time",
            "dispatch*",
            "fulfil*",
            "fulfill*",
            "transit",
            "late shipment*",
            "on-time",
            "postage",
            "warehous*",
            "inventory",
            "versand*",
            "livraison",
        ),
    ),
    Workflow(
        "account-health",
        "Account health and metrics",
        (
            "account health",
            "performance",
            "metric*",
            "order defect rate",
            "late shipment rate",
            "cancel rate",
            "cancellation rate",
            "valid tracking rate",
            "response time",
            "suspen*",
            "deactivat*",
            "appeal*",
            "plan of action",
            "policy violation*",
            "warning*",
            "terminat*",
            "strike*",
            "seller rating*",
            "feedback score",
            "account health rating",
        ),
    ),
    Workflow(
        "fees-payments",
        "Fees and payments",
        (
            "fee",
            "fees",
            "commission*",
            "subscription*",
            "payment*",
            "payout*",
            "disburs*",
            "remit*",
            "settlement*",
            "invoice*",
            "vat",
            "tax",
            "taxes",
            "sales proceeds",
            "price",
            "pricing",
            "currency",
            "charge",
            "charges",
            "surcharge*",
            "penalt*",
            "withhold*",
            "reserve",
            "reserves",
            "gebühr*",
            "frais",
        ),
    ),
    Workflow(
        "buyer-communication",
        "Buyer communication",
        (
            "buyer-seller messag*",
            "messag*",
            "contact the buyer",
            "contact buyers",
            "communicat*",
            "respond to buyers",
            "product review*",
            "customer review*",
            "review",
            "reviews",
            "feedback",
            "customer service",
            "email the buyer",
            "buyer questions",
        ),
    ),
    Workflow(
        "intellectual-property",
        "Intellectual property",
        (
            "intellectual property",
            "trademark*",
            "copyright*",
            "patent*",
            "counterfeit*",
            "infring*",
            "brand registry",
            "design right*",
            "takedown",
            "rights owner*",
            "brand owner*",
        ),
    ),
)


def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    parts = []
    for term in terms:
        stem = re.escape(term.rstrip("*")).replace(r"\ ", r"\s+")
        parts.append(stem + (r"[\w-]*" if term.endswith("*") else r"(?![\w-])"))
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + ")", re.IGNORECASE)


_PATTERNS = tuple((w, _pattern(w.terms)) for w in WORKFLOWS)


def tags_for(texts: Iterable[str]) -> tuple[str, ...]:
    """Ids of the workflows whose terms appear in ``texts``, in taxonomy order."""
    joined = "\n".join(texts)
    return tuple(w.id for w, pattern in _PATTERNS if pattern.search(joined))


def label_of(tag: str) -> str:
    for w in WORKFLOWS:
        if w.id == tag:
            return w.label
    return tag


def markdown_table() -> str:
    """The taxonomy as the Markdown table shown in ``docs/changes.md``."""
    rows = ["| tag | workflow | terms |", "| --- | --- | --- |"]
    rows += [f"| `{w.id}` | {w.label} | {', '.join(w.terms)} |" for w in WORKFLOWS]
    return "\n".join(rows) + "\n"
