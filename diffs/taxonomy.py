"""Which seller workflows a change touches: a readable taxonomy of terms.

Each workflow lists the words and phrases that place a passage in it. A term matches whole
words, case-insensitively; a trailing ``*`` matches any ending ("deactivat*" matches
"deactivated" and "deactivation"). A change is tagged with every workflow whose terms appear
in the passages it touches or in the headings above them. Edit the lists here;
``docs/changes.md`` shows them (``tests/diffs/test_classify.py`` checks the two agree).
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
            # "return" alone is everywhere in contracts ("in return", "return or dispose of"):
            # the returns a buyer makes, in the words that say so
            "returns",
            "returned",
            "returning",
            "return request*",
            "return polic*",
            "return label*",
            "return shipping",
            "returnless",
            "return the item*",
            "return an item",
            "return items",
            "return most items",
            "return it",
            "may return",
            "can return",
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
            # not "fulfil your obligations": orders fulfilled, fulfilment services
            "fulfilment*",
            "fulfillment*",
            "fulfilled by",
            "fba",
            "fulfil orders",
            "fulfill orders",
            "order fulfil*",
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
            "appeal*",
            "plan of action",
            "policy violation*",
            "warning*",
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
            # not "electronic communications" or "we may review": with buyers, and reviews
            "communicat* with buyer*",
            "buyer communication*",
            "respond to buyers",
            "product review*",
            "customer review*",
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
    # The four below follow the vocabulary of the real-data labels' rubric
    # (../shared/realdata/labels/README.md), checked by tests/diffs/test_briefs_realdata.py.
    Workflow(
        "termination-suspension",
        "Termination and suspension",
        (
            # not "after termination of the Agreement", in every contract: the account's end
            "suspend*",
            "suspension*",
            "deactivat*",
            "selling privileges",
            "close your account",
            "account closure",
            "terminate your account",
            "terminate this agreement",
            "terminate the agreement",
            "terminate your",
            "termination of your account",
            "terminate access",
            "freeze*",
            "frozen",
            "kündig*",
            "sperr*",
            "résili*",
        ),
    ),
    Workflow(
        "liability-legal",
        "Liability and legal terms",
        (
            "liabilit*",
            "liable",
            "indemnif*",
            "indemnit*",
            "hold harmless",
            "arbitrat*",
            "governing law",
            "jurisdiction",
            "class action*",
            "class or collective",
            "warrant*",
            "insurance",
            "legal proceeding*",
            "mediation",
            "haftung",
            "gewährleistung*",
            "gerichtsstand",
        ),
    ),
    Workflow(
        "data-privacy",
        "Data and privacy",
        (
            "personal data",
            "personal information",
            "privacy",
            "data protection",
            "gdpr",
            "data subject*",
            "data controller*",
            "data processor*",
            "customer data",
            "buyer data",
            "data breach*",
            "security incident*",
            "direct marketing",
            "cookie*",
            "datenschutz*",
        ),
    ),
    Workflow(
        "prohibited-restricted",
        "Prohibited and restricted products",
        (
            "prohibited product*",
            "prohibited item*",
            "prohibited content",
            "prohibited conduct",
            "restricted product*",
            "restricted categor*",
            "recall*",
            "hazardous",
            "hazmat",
            "dangerous goods",
            "gambling",
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
