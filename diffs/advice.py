"""How a brief says each kind of change: the readable templates (data only, no logic).

One row per thing a change can do (``diffs.points.Point.what``), in order of importance: the
first rows are what a seller must act on soonest. Each row gives the headline, the sentence
that says why it matters, and what to do (empty: nothing beyond reading it). ``diffs.briefing``
fills the fields:

- ``{Topic}`` / ``{topic}``: what the number or deadline is ("Late shipment rate target",
  "the deadline to file a SAFE-T claim"), capitalised or not;
- ``{old}``, ``{new}``: the values with their comparison word ("under 4%"), dates in words;
  ``{old_value}``, ``{new_value}``: without it ("4%");
- ``{quote}``: the passage, in quotes, cut at a word; ``{in_section}``: " in Returns" or "";
- ``{detail}``: what the reason said, for a change that sets no rule ("'availble' →
  'available'");
- ``{words}``: for an obligation word, "says 'must' instead of 'may'", "now says 'must'" or
  "no longer says 'may'".

Edit the wording here; ``tests/diffs/test_briefs.py`` holds golden briefs built from real
classifications, and checks that every row is well formed.
"""

from __future__ import annotations

from typing import NamedTuple


class Template(NamedTuple):
    headline: str
    why: str
    do: str = ""
    # A subject that is the words of a rule ("payouts are sent every"), not a name: how the
    # headline reads then ("Payouts are sent every 7 days (was 14 days)").
    phrased: str = ""


TEMPLATES: dict[str, Template] = {
    "deadline shortened": Template(
        "{Topic} shortened from {old_value} to {new_value}",
        "Sellers get less time: {now} instead of {old}.",
        "Update your procedures and reminders to the shorter deadline ({new}).",
        "Deadline shortened: {subject} {new} (was {old_value})",
    ),
    "due date brought forward": Template(
        "Due date brought forward from {old} to {new}",
        "Sellers get less time: the due date is now {new} instead of {old}.",
        "Update your procedures and reminders to the earlier date ({new}).",
    ),
    "limit tightened": Template(
        "{Topic} tightened from {old} to {new}",
        "The limit is stricter: {now} instead of {old}.",
        "Check that your figures meet the new limit ({new}) before it applies.",
        "{Subject} {new} (was {old_value})",
    ),
    "fee raised": Template(
        "{Topic} raised from {old} to {new}",
        "Sellers pay more: {now} instead of {old}.",
        "Review your prices and margins for the higher amount ({new}).",
        "{Subject} {new} (was {old_value})",
    ),
    "effective date brought forward": Template(
        "Effective date brought forward from {old} to {new}",
        "The change takes effect sooner: on {new}, where it said {old}.",
        "Plan to comply by the earlier date ({new}).",
    ),
    "deadline changed": Template(
        "{Topic} changed from {old} to {new}",
        "{Now} instead of {old}.",
        "Check the new deadline ({new}) and update your procedures.",
        "Deadline changed: {subject} {new} (was {old_value})",
    ),
    "deadline extended": Template(
        "{Topic} extended from {old_value} to {new_value}",
        "Sellers get more time: {now} instead of {old}.",
        "Adjust your reminders if you planned around the old deadline ({old}).",
        "Deadline extended: {subject} {new} (was {old_value})",
    ),
    "due date postponed": Template(
        "Due date postponed from {old} to {new}",
        "Sellers get more time: the due date is now {new} instead of {old}.",
        "Adjust your reminders if you planned around the old date ({old}).",
    ),
    "limit loosened": Template(
        "{Topic} relaxed from {old} to {new}",
        "The limit is less strict: {now} instead of {old}.",
        "Nothing to do to comply; plans made for the old limit ({old}) may be relaxed.",
        "{Subject} {new} (was {old_value})",
    ),
    "fee lowered": Template(
        "{Topic} lowered from {old} to {new}",
        "Sellers pay less: {now} instead of {old}.",
        "Check that your statements apply the lower amount ({new}).",
        "{Subject} {new} (was {old_value})",
    ),
    "number raised": Template(
        "{Topic} raised from {old} to {new}",
        "{Now} instead of {old}.",
        "Check how the new figure ({new}) applies to you.",
        "{Subject} {new} (was {old_value})",
    ),
    "number lowered": Template(
        "{Topic} lowered from {old} to {new}",
        "{Now} instead of {old}.",
        "Check how the new figure ({new}) applies to you.",
        "{Subject} {new} (was {old_value})",
    ),
    "number shortened": Template(
        "{Topic} shortened from {old} to {new}",
        "{Now} instead of {old}.",
        "Check how the shorter period ({new}) applies to you.",
        "{Subject} {new} (was {old_value})",
    ),
    "number extended": Template(
        "{Topic} extended from {old} to {new}",
        "{Now} instead of {old}.",
        "Check how the longer period ({new}) applies to you.",
        "{Subject} {new} (was {old_value})",
    ),
    "number changed": Template(
        "{Topic} changed from {old} to {new}",
        "{Now} instead of {old}.",
        "Check how the new figure ({new}) applies to you.",
        "{Subject} {new} (was {old_value})",
    ),
    "added prohibition": Template(
        "New prohibition{in_section}: {quote}",
        "A new rule{in_section} forbids something: {quote}.",
        "Stop anything the new rule forbids, and check your listings and practices against it.",
    ),
    "added sanction": Template(
        "New sanction{in_section}: {quote}",
        "A new rule{in_section} says what happens to sellers who break it: {quote}.",
        "Find out what triggers the sanction and check that you are clear of it.",
    ),
    "sanction added": Template(
        "New sanction{in_section}: '{new_value}'",
        "A rule{in_section} now says what happens to sellers who break it: {quote}.",
        "Find out what triggers the sanction and check that you are clear of it.",
    ),
    "right added": Template(
        "New right{in_section}: '{new_value}'",
        "A rule{in_section} now gives a right it did not give: {quote}.",
        "Update your terms, listings and customer-service answers so the new right is honoured.",
    ),
    "scope widened": Template(
        "Rule extended{in_section}: adds '{new_value}'",
        "A rule{in_section} now reaches further: {quote}.",
        "Check whether the rule now applies to you, and comply if it does.",
    ),
    "added document": Template(
        "New required document{in_section}: {quote}",
        "Sellers must now provide or keep a document{in_section}: {quote}.",
        "Prepare the document the rule asks for before you are asked to show it.",
    ),
    "added deadline": Template(
        "New deadline{in_section}: {quote}",
        "A new time limit{in_section}: {quote}.",
        "Add the new time limit to your procedures and reminders.",
    ),
    "added fee": Template(
        "New fee{in_section}: {quote}",
        "The text now sets a fee or a charge{in_section}: {quote}.",
        "Check whether the fee applies to you, and update your prices and margins.",
    ),
    "added threshold": Template(
        "New limit{in_section}: {quote}",
        "A new limit{in_section}: {quote}.",
        "Check your figures against the new limit.",
    ),
    "negation added": Template(
        "Rule{in_section} now says {new}: {quote}",
        "The word {new} was added to a rule{in_section}, which can reverse what it allows or requires: {quote}.",
        "Read the rule again: it may now forbid what it allowed.",
    ),
    "negation removed": Template(
        "Rule{in_section} no longer says {old}: {quote}",
        "The word {old} was taken out of a rule{in_section}, which can reverse what it allows or requires: {quote}.",
        "Read the rule again: it may now allow or require what it excluded.",
    ),
    "negation": Template(
        "Rule{in_section} reworded with a different negation: {quote}",
        "A 'not' or 'no' moved in a rule{in_section}, which can change what it allows or requires: {quote}.",
        "Read the rule again as it now reads.",
    ),
    "obligation stricter": Template(
        "Rule{in_section} made stricter, {words}: {quote}",
        "A rule{in_section} {words}, so it binds sellers more firmly: {quote}.",
        "Check that you comply with the rule as it now reads.",
    ),
    "added obligation": Template(
        "New rule{in_section}: {quote}",
        "A new rule{in_section}: {quote}.",
        "Read the new rule and check that you comply.",
    ),
    "number added": Template(
        "New figure in a rule{in_section}: {quote}",
        "A rule{in_section} now states a figure: {quote}.",
        "Check the new figure against how you work.",
    ),
    "removed prohibition": Template(
        "Prohibition removed{in_section}: {quote}",
        "A rule that forbade something was removed{in_section}: {quote}.",
        "Check whether the removal allows what you could not do before; the rule may have moved elsewhere.",
    ),
    "removed sanction": Template(
        "Sanction removed{in_section}: {quote}",
        "A rule that set a sanction was removed{in_section}: {quote}.",
        "Check whether the sanction moved elsewhere in the text.",
    ),
    "sanction removed": Template(
        "Sanction removed{in_section}: '{old_value}'",
        "A rule{in_section} no longer names this consequence: {quote}.",
        "Note what sellers no longer risk; keep complying with the rule itself.",
    ),
    "right removed": Template(
        "Right removed{in_section}: '{old_value}'",
        "A right the rule gave is gone{in_section}: {quote}.",
        "Stop offering or relying on the removed right where the rule no longer requires it.",
    ),
    "scope narrowed": Template(
        "Rule narrowed{in_section}: drops '{old_value}'",
        "A rule{in_section} reaches less far: {quote}.",
        "Check whether the rule still applies to you.",
    ),
    "removed document": Template(
        "Document no longer required{in_section}: {quote}",
        "A rule that asked for a document was removed{in_section}: {quote}.",
        "Check whether another rule still asks you to keep the document.",
    ),
    "removed deadline": Template(
        "Deadline removed{in_section}: {quote}",
        "A rule with a time limit was removed{in_section}: {quote}.",
        "Check whether the time limit moved elsewhere before you drop it from your procedures.",
    ),
    "removed fee": Template(
        "Fee removed{in_section}: {quote}",
        "A rule that set a fee or a charge was removed{in_section}: {quote}.",
        "Check that your statements no longer apply the fee.",
    ),
    "removed threshold": Template(
        "Limit removed{in_section}: {quote}",
        "A rule that set a limit was removed{in_section}: {quote}.",
        "Check whether the limit moved elsewhere in the text.",
    ),
    "removed obligation": Template(
        "Rule removed{in_section}: {quote}",
        "A rule was removed{in_section}: {quote}.",
        "Check whether you relied on the removed rule.",
    ),
    "number removed": Template(
        "Figure taken out of a rule{in_section}: {quote}",
        "A rule{in_section} no longer states a figure: {quote}.",
        "Check whether you relied on the figure that was removed.",
    ),
    "obligation looser": Template(
        "Rule{in_section} relaxed, {words}: {quote}",
        "A rule{in_section} {words}, so it binds sellers less firmly: {quote}.",
        "Check whether the rule still applies to you as it now reads.",
    ),
    "obligation changed": Template(
        "Rule{in_section} reworded, {words}: {quote}",
        "A rule{in_section} {words}: {quote}.",
        "Read the rule as it now reads.",
    ),
    "effective date postponed": Template(
        "Effective date moved from {old} to {new}",
        "The text now takes effect on {new}, where it said {old}.",
    ),
    "effective date announced": Template(
        "Changes announced, taking effect on {new}: {quote}",
        "The text announces when it takes effect: {quote}.",
    ),
    "effective date already in force": Template(
        "Changes in force since {new}: {quote}",
        "The text says it took effect on {new}, before the change was first seen: {quote}.",
    ),
    # Reasons whose wording the points could not read: said by their kind alone.
    "deadline": Template("A deadline changed{in_section}", "A time limit or due date changed{in_section}."),
    "number": Template("A figure in a rule changed{in_section}", "A number in a rule changed{in_section}."),
    "obligation": Template("An obligation changed{in_section}", "A word saying what sellers must or may do changed."),
    "effective-date": Template("The effective date changed", "The day the text takes effect changed."),
    "sanction": Template(
        "A sanction changed{in_section}", "What happens to sellers who break a rule changed: {detail}."
    ),
    "right": Template("A right changed{in_section}", "A right a rule gives changed: {detail}."),
    "scope": Template("A rule's reach changed{in_section}", "Whom or what a rule covers changed: {detail}."),
    "added-obligation": Template("New rule{in_section}: {quote}", "A rule was added{in_section}: {quote}."),
    "removed-obligation": Template("Rule removed{in_section}: {quote}", "A rule was removed{in_section}: {quote}."),
    # Minor changes and noise: nothing a seller must do.
    "wording": Template(
        "Wording changed{in_section}", "Words changed{in_section}, not what a rule requires: {detail}."
    ),
    "moved": Template("Text moved{in_section}", "A passage moved; its words did not change: {detail}."),
    "figure": Template(
        "A figure outside any rule changed{in_section}", "A number that sets no rule changed: {detail}."
    ),
    "date": Template(
        "A date mentioned in passing changed{in_section}", "A date that sets no deadline changed: {detail}."
    ),
    "reference": Template("Cross-references renumbered{in_section}", "Only the numbering of references changed."),
    "link": Template("Links changed{in_section}", "Only the targets of links changed."),
    "formatting": Template("Formatting changed{in_section}", "Only the layout of the text changed."),
    "stated-date": Template("The page's date changed", "Only the page's own “last updated” date changed."),
    # A page that came or went (diffs.events): the change's summary is its headline.
    "page-added": Template(
        "{detail}",
        "A page the marketplace did not have before: {detail}.",
        "Read the new page and check whether its rules apply to you.",
    ),
    "page-removed": Template(
        "{detail}",
        "The page is gone: {detail}.",
        "Check whether its rules moved to another page; its last text stays readable here.",
    ),
    "page-moved": Template(
        "{detail}",
        "The page now redirects elsewhere: {detail}.",
        "Update your links and bookmarks, and read the page at its new address.",
    ),
    "page-back": Template(
        "{detail}",
        "A page that was gone answers again: {detail}.",
        "Read it again: its rules apply once more.",
    ),
    "reflow": Template(
        "Only the layout changed{in_section}", "The same words, cut into passages, numbered or marked up differently."
    ),
    "chrome": Template("Only the help centre's furniture changed", "Only text around the document changed: {detail}."),
    "capture": Template(
        "Not the document: an error or sign-in page was served", "The capture is not the document: {detail}."
    ),
    "counter": Template("Only a view counter changed", "A view or like counter moved; the text did not change."),
    "whitespace": Template("Only spacing changed", "Only spacing, blank lines or punctuation changed."),
}

# What every brief may add, by the change's class and dates.
NOTHING_TO_DO = {
    "minor": "Nothing to do: no rule changed.",
    "noise": "Nothing to do: the text a seller reads did not change.",
}
BE_READY = "Be ready by {date}, when the change takes effect."
COMPLY_NOW = "Check that you comply now: the change took effect on {date}, before it was first seen."
EFFECTIVE_ON = "It takes effect on {date}, {days} after it was first seen."
IN_FORCE_SINCE = "It was already in force when first seen: it took effect on {date}."
SHORT_NOTICE = "That is less notice than the {minimum} days the EU platform-to-business Regulation requires."
SILENT = "The page's own “last updated” date did not change, so the page does not announce this change."
MAJOR = "Major revision: {points}"
MORE = "It also changes {count} other {rules}."
