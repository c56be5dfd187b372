"""Briefs (diffs.briefing, diffs.points, diffs.advice): golden briefs of changes classified from
texts, the reading of each reason's wording, and what a brief never says."""

from __future__ import annotations

import re
import string
from dataclasses import replace

import pytest

from diffs import KINDS, compare
from diffs.advice import TEMPLATES
from diffs.brief import change_json
from diffs.briefing import HEADLINE_WORDS, brief, clip
from diffs.points import point
from diffs.severity import severity
from kb.models import Change, Document, Reason, SectionChange

DOC = Document("northwind/metrics", "Customer service performance metrics", "https://x.test/m", "northwind", "policy")


def classified(old: str, new: str, detected_at: str = "2026-08-24T06:00:00Z") -> Change:
    return compare(old, new, detected_at=detected_at).as_change(
        doc_id=DOC.doc_id, key=f"{DOC.doc_id}/20260824T060000Z", detected_at=detected_at
    )


def made(*reasons: Reason, label: str = "substantive", **fields) -> Change:
    return Change(1, "m/d/20260824T060000Z", "m/d", 1, 2, "2026-08-24T06:00:00Z", label, "s", reasons, **fields)


# ---------------------------------------------------------------- golden briefs, from texts

DEMO_OLD = """# Customer service performance metrics

## Summary of targets

| Metric | Target |
| --- | --- |
| Late shipment rate | under 4% |
| Order defect rate | under 1% |

## Late shipment rate

Keep your late shipment rate under 4%.
"""
DEMO_NEW = (
    DEMO_OLD.replace("| Late shipment rate | under 4% |", "| Late shipment rate | under 3% |").replace(
        "Keep your late shipment rate under 4%.",
        "Effective 1 October 2026: the late shipment rate target is lowered to under 3%.",
    )
    + "\nOrders due to ship from that date are measured against the new target.\n"
)


def test_a_threshold_tightened_says_which_way_and_from_when():
    said = brief(classified(DEMO_OLD, DEMO_NEW), DOC, "Northwind Market")
    assert said.headline == "Late shipment rate target tightened from under 4% to under 3%, from 1 October 2026"
    assert said.why[0] == "The limit is stricter: late shipment rate target is now under 3% instead of under 4%."
    assert "It takes effect on 1 October 2026, 38 days after it was first seen." in said.why
    assert said.actions == (
        "Be ready by 1 October 2026, when the change takes effect.",
        "Check that your figures meet the new limit (under 3%) before it applies.",
    )
    assert (said.severity, said.effective_date, said.notice_days) == ("high", "2026-10-01", 38)
    assert said.notice == "effective 1 October 2026, 38 days' notice"
    assert (said.marketplace, said.source, said.document) == ("Northwind Market", "northwind", DOC.title)
    assert "account-health" in said.affects and "Account health and metrics" in said.affects_labels


def test_a_limit_relaxed_is_loosened_and_not_high():
    old = "# Metrics\n\nKeep your cancel rate under 1.5%.\n"
    said = brief(classified(old, old.replace("1.5%", "2.5%")))
    assert said.headline == "Cancel rate relaxed from under 1.5% to under 2.5%"
    # a floor: more is stricter
    floor = "# Ratings\n\nKeep a seller rating of at least 4.5 stars.\n"
    assert "tightened from at least 4.5" in brief(classified(floor, floor.replace("4.5", "4.8"))).headline


def test_a_deadline_shortened():
    old = "# Claims\n\nYou must file a SAFE-T claim within sixty days of the return.\n"
    said = brief(classified(old, old.replace("sixty", "thirty")))
    assert said.headline == "Deadline shortened: file a SAFE-T claim within thirty days (was sixty days)"
    assert said.why[0] == "Sellers get less time: file a SAFE-T claim within thirty days instead of within sixty days."
    assert said.actions == ("Update your procedures and reminders to the shorter deadline (within thirty days).",)
    assert said.severity == "high"


def test_a_deadline_extended_is_not_high():
    old = "# Claims\n\nRequest a reimbursement no later than 18 months after the loss.\n"
    change = classified(old, old.replace("18 months", "24 months"))
    said = brief(change)
    assert said.headline.startswith("Deadline extended: request a reimbursement no later than 24 months")
    assert said.severity == severity(change) == "medium"


def test_a_new_prohibition():
    old = "# Honest dealing\n\nBe honest with buyers.\n"
    new = old + "\nYou must not ask a buyer to change or remove a product review, or offer a refund in exchange.\n"
    said = brief(classified(old, new))
    assert said.headline == (
        "New prohibition in Honest dealing: 'You must not ask a buyer to change or remove a product review, or …'"
    )
    assert said.actions == ("Stop anything the new rule forbids, and check your listings and practices against it.",)
    assert said.severity == "medium"


def test_a_fee_raised():
    old = "# Fees\n\nA per-item fee of $0.99 applies to every sale.\n"
    said = brief(classified(old, old.replace("$0.99", "$1.29")))
    assert said.headline == "Per-item fee raised from $0.99 to $1.29"
    assert said.why == ("Sellers pay more: per-item fee is now $1.29 instead of $0.99.",)
    assert said.actions == ("Review your prices and margins for the higher amount ($1.29).",)


def test_an_effective_date_with_short_notice_and_one_already_past():
    old = "# Storage\n\nStorage is billed monthly.\n"
    new = old + "\nFrom 1 October 2026, the monthly storage fee rises to $0.87 per cubic foot.\n"
    said = brief(classified(old, new, detected_at="2026-09-25T06:00:00Z"))
    assert said.headline.startswith("Changes announced, taking effect on 1 October 2026: 'From 1 October 2026")
    assert "That is less notice than the 15 days the EU platform-to-business Regulation requires." in said.why
    assert said.notice == "effective 1 October 2026, 6 days' notice, under the 15 days EU law requires"
    late = brief(classified(old, new, detected_at="2026-10-10T06:00:00Z"))
    assert late.headline.startswith("Changes in force since 1 October 2026: 'From 1 October 2026")
    assert late.actions[0].startswith("Check that you comply now: the change took effect on 1 October 2026")
    assert late.notice == "effective 1 October 2026, already in force when first seen"


def test_a_major_revision_names_what_matters_never_counts_or_renumbering():
    clauses = [f"## {n}. Clause {n}\n\nThe seller keeps records of sale number {n} for audit.\n" for n in range(45)]
    old = "# Agreement\n\n" + "\n".join(clauses) + "\nA per-item fee of $0.99 applies.\n"
    new = old.replace(" keeps ", " retains ").replace("$0.99", "$1.29")
    new = new.replace("## 3. Clause 3", "## 4. Clause 3") + "\nYou must not sell recalled products.\n"
    change = classified(old, new)
    assert change.summary.startswith("Major revision: ")  # the summary counts passages; the brief does not
    said = brief(change)
    assert said.major and said.headline.startswith("Major revision: Per-item fee raised from $0.99 to $1.29; ")
    assert said.headline.endswith("; new prohibition in 44. Clause 44: 'You must not sell recalled products.'")
    assert not re.search(r"\d+ (passages|sections)|renumber", said.headline)
    assert len(said.headline.split()) <= HEADLINE_WORDS + 1


# ---------------------------------------------------------------- reading the reasons


@pytest.mark.parametrize(
    ("reason", "what", "old", "new"),
    [
        (Reason("number", "Late shipment rate target: under 4% → 3%"), "limit tightened", "4%", "3%"),
        (Reason("number", "Insurance Limits: €500,000 → €5,000"), "number lowered", "€500,000", "€5,000"),
        (Reason("number", "per-item fee: $0.99 → $1.29"), "fee raised", "$0.99", "$1.29"),
        (Reason("number", "sellers can create: up to 100 listings → 50 listings"), "limit tightened", "100 listings", "50 listings"),
        (Reason("deadline", "file a claim: within 60 days → 30 days"), "deadline shortened", "60 days", "30 days"),
        (Reason("deadline", "confirm shipment: within 24 hours → 2 days"), "deadline extended", "24 hours", "2 days"),
        (Reason("deadline", "due date 2027-03-01 → 2027-02-15"), "due date brought forward", "2027-03-01", "2027-02-15"),
        (Reason("obligation", "may → must: 'You must provide an invoice.'"), "obligation stricter", "'may'", "'must'"),
        (Reason("obligation", "drops 'must': 'You provide an invoice.'"), "obligation looser", "'must'", ""),
        (Reason("obligation", "adds 'may': 'We may close it.'"), "obligation changed", "", "'may'"),
        (Reason("negation", "added 'not': 'Sellers may not use carriers.'"), "negation added", "", "'not'"),
        (Reason("effective-date", "effective date 2027-01-01 → 2027-03-01 (90 days' notice)"),
         "effective date postponed", "2027-01-01", "2027-03-01"),
        (Reason("added-obligation", "added prohibition: 'You must not …'"), "added prohibition", "", ""),
        (Reason("added-obligation", "added obligation: 'You must provide a safety data sheet for batteries.'"),
         "added document", "", ""),
        (Reason("added-obligation", "added obligation: 'We may suspend your account.'"), "added sanction", "", ""),
        (Reason("removed-obligation", "removed fee: 'A $5 fee applies.'"), "removed fee", "", ""),
        (Reason("wording", "'availble' → 'available'"), "wording", "", ""),
    ],
)  # fmt: skip
def test_points_read_each_reason(reason, what, old, new):
    p = point(reason)
    assert (p.what, p.old, p.new) == (what, old, new)
    assert p.what in TEMPLATES


def test_quotes_cut_by_the_rules_lose_the_half_word():
    p = point(Reason("added-obligation", "added obligation: 'To begin an arbitration proceeding, you must send yo…'"))
    assert p.passage == "To begin an arbitration proceeding, you must send …"
    assert point(Reason("wording", "+3 more reasons")) is None


def test_clip_never_cuts_a_word():
    assert clip("one two three four", 3) == "one two three …"
    assert clip("one two", 3) == "one two"


# ---------------------------------------------------------------- what a brief never says


def test_every_template_fills_and_every_kind_has_one():
    fields = {"Topic", "topic", "Subject", "subject", "Now", "now", "old", "new", "old_value", "new_value",
              "quote", "in_section", "words", "detail"}  # fmt: skip
    for what, template in TEMPLATES.items():
        for part in template:
            used = {name for _, name, _, _ in string.Formatter().parse(part) if name}
            assert used <= fields, f"{what}: unknown field {used - fields}"
        assert template.headline and template.why, what
    assert set(KINDS) <= set(TEMPLATES)


def test_briefs_show_no_internal_labels_and_minor_changes_ask_nothing():
    change = made(
        Reason("wording", "'availble' → 'available'", "Shipping"),
        Reason("stated-date", "stated date 2026-01-01 → 2026-02-01"),
        label="minor",
        silent=False,
    )
    said = brief(change)
    assert said.headline == "Wording changed in Shipping"
    assert said.why == (
        "Words changed in Shipping, not what a rule requires: 'availble' → 'available'.",
        "Only the page's own “last updated” date changed.",
    )
    assert said.actions == ("Nothing to do: no rule changed.",) and said.severity == "low"
    text = " ".join((said.headline, *said.why, *said.actions))
    assert not re.search(r"\[(\w|-)+\]|\((number|deadline|wording|stated-date|effective-date)\)", text)


def test_an_unread_wording_still_gives_a_plain_brief():
    unread = made(Reason("number", "something the rules will say one day"), section_changes=("A: 1 sentence changed",))
    said = brief(replace(unread, summary=""))
    assert said.headline == "A figure in a rule changed"
    assert said.severity == "high"
    # with a summary of its own, the change is headlined by it rather than by the plain words
    assert brief(replace(unread, summary="Fee raised to 16%")).headline == "Fee raised to 16%"


def test_change_json_carries_the_brief_and_keeps_its_keys():
    change = replace(classified(DEMO_OLD, DEMO_NEW), section_details=(SectionChange("a", "A", "1 sentence changed"),))
    data = change_json(change, DOC, "Northwind Market")
    assert data["brief"] == brief(change, DOC, "Northwind Market").as_json()
    assert (data["headline"], data["marketplace"], data["source"]) == (
        data["brief"]["headline"],
        "Northwind Market",
        "northwind",
    )
    assert data["actions"] == data["brief"]["actions"] and data["what_to_do"] == data["actions"][0]
    assert set(data["brief"]) == {"headline", "why", "affects", "affects_labels", "actions", "severity",
                                  "effective_date", "notice_days", "notice", "marketplace", "source",
                                  "document", "major"}  # fmt: skip
    assert change_json(change)["marketplace"] == "northwind"  # without a name: the id


@pytest.mark.parametrize(
    ("event", "kind", "summary", "todo"),
    [
        ("added", "page-added", "New page: Shop · Returns policy", "Read the new page"),
        ("removed", "page-removed", "Page removed: Shop · Returns policy", "Check whether its rules moved"),
        ("moved", "page-moved", "Page moved to https://shop.example/r: Shop · Returns policy", "Update your links"),
        ("restored", "page-back", "Page back: Shop · Returns policy", "Read it again"),
    ],
)
def test_a_page_that_comes_or_goes_is_briefed_by_its_summary_not_as_a_wording_change(event, kind, summary, todo):
    from kb.models import Event

    change = replace(
        made(Reason(kind, "HTTP 404 Not Found since 2026-08-24T06:00:00Z")), summary=summary, event=Event(event)
    )
    said = brief(change)
    assert said.headline == summary
    assert "Words changed" not in " ".join(said.why) and said.actions[0].startswith(todo)
