"""Is a change substantive, minor or noise, and why? Readable rules, no statistics, no model.

The two versions are compared line by line. Each changed run of lines is cut into passages
(sentences, list items, table rows, headings); passages are matched up (identical ones dropped,
similar ones paired, the rest added or removed; a passage removed in one place and added in
another is a move) and each pair or lone passage yields findings (``diffs.rules``), which the
verdict here dedupes, ranks and turns into reasons and a summary. ``diffs.kinds.KINDS`` lists
every reason kind with its class and what it means; ``docs/changes.md`` explains them with
examples.

The class of a change is the strongest class among its reasons. ``silent`` is True when the
text changed but none of the page's own dates ("Last updated", "Effective") did, None when
the page states no date. Everything here is pure: the same texts (and detection time) give the
same classification on any machine.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

from diffs.dates import stated_date, stated_effective_date
from diffs.diff import DELETE, EQUAL, INSERT, Op, diff_lines
from diffs.findings import Finding, shorten, with_section
from diffs.kinds import KINDS, MINOR, NOISE, RANK, SUBSTANTIVE, TAGGED
from diffs.notices import notice
from diffs.passages import Passage, match_passages, pair_passages, passages_in
from diffs.rules import Context, compare_pair, is_chrome, join_counters, lone_passage, moved
from diffs.sections import Section, section_at, sections
from diffs.taxonomy import tags_for
from diffs.wording import Changes, changed_spans, touches
from kb.models import Reason, SectionChange

__all__ = ["KINDS", "Classification", "Reason", "SectionChange", "classify", "stated_date"]

P2B_MIN_NOTICE_DAYS = 15  # Regulation (EU) 2019/1150, Art. 3(2): notice of changes to terms
_MAX_REASONS = 12
_MAJOR_REVISION = 40  # passages; from this many a change is a rewrite and the summary says so


@dataclass(frozen=True)
class Classification:
    label: str  # "substantive" | "minor" | "noise"
    reasons: tuple[Reason, ...]
    summary: str  # one line, built from the reasons, most important first
    silent: bool | None  # text changed, the page's stated dates did not; None without one
    sections: tuple[str, ...]  # labels of the sections touched, in document order
    stated_date_old: str | None
    stated_date_new: str | None
    tags: tuple[str, ...] = ()  # seller workflows touched (diffs.taxonomy)
    effective_date: str | None = None  # when the change takes effect, as the text states it
    notice_days: int | None = None  # days from detection to effective_date (needs detected_at)
    section_changes: tuple[SectionChange, ...] = ()


# ---------------------------------------------------------------- the walk


@dataclass
class _Walk:
    findings: list[Finding] = field(default_factory=list)
    # (section, unit kind, what happened, offset): for the per-section counts
    events: list[tuple[Section | None, str, str, int]] = field(default_factory=list)


_MAX_MOVE_COMPARISONS = 1_000_000  # removed × added passages; beyond, a page was rewritten


def _reworded(unit: Passage, spans: tuple[tuple[int, int], ...]) -> bool:
    return touches(spans, unit.offset, unit.offset + max(len(unit.text), 1))


def _reflowed(unit: Passage) -> Finding:
    text = "the same words, cut into passages, numbered or marked up differently"
    return Finding("reflow", text, text[0].upper() + text[1:], unit)


def _chrome(unit: Passage) -> Finding:
    title = unit.section.title if unit.section else ""
    text = f"the help centre's furniture under «{shorten(title, 60)}» (not the document)"
    return Finding("chrome", text, text[0].upper() + text[1:], unit)


def _only_noise(findings: list[Finding]) -> bool:
    return all(f.kind in NOISE for f in findings)


def _read_pair(o: Passage, n: Passage, ctx: Context, changes: Changes) -> list[Finding]:
    """Findings for a passage edited in place: none of its words changed (the two versions
    only cut or mark it up differently) is a reflow; under the help centre's furniture, chrome."""
    if is_chrome(n.section) or is_chrome(o.section):
        return [_chrome(n)]
    found = compare_pair(o, n, ctx)
    if _only_noise(found) or _reworded(o, changes.removed) or _reworded(n, changes.added):
        return found
    return [_reflowed(n)]


def _read_lone(unit: Passage, added: bool, ctx: Context, changes: Changes) -> list[Finding]:
    if is_chrome(unit.section):
        return [_chrome(unit)]
    found = lone_passage(unit, added, ctx)
    if _only_noise(found) or _reworded(unit, changes.added if added else changes.removed):
        return found
    return [_reflowed(unit)]


def _walk(old: str, new: str, ctx: Context) -> _Walk:
    old_secs, new_secs = sections(old), sections(new)
    changes = changed_spans(old, new)
    walk = _Walk()
    removed: list[Passage] = []
    added: list[Passage] = []
    old_pos = new_pos = 0
    deleted: list[str] = []
    inserted: list[str] = []
    hunk_old = hunk_new = 0
    for op, text in diff_lines(old, new) + [(EQUAL, "")]:
        if op == DELETE:
            deleted.append(text)
            old_pos += len(text)
            continue
        if op == INSERT:
            inserted.append(text)
            new_pos += len(text)
            continue
        if deleted or inserted:
            old_units = passages_in(old, hunk_old, "".join(deleted), old_secs)
            new_units = passages_in(new, hunk_new, "".join(inserted), new_secs)
            pairs, gone, came = pair_passages(old_units, new_units)
            for o, n in pairs:
                walk.findings += _read_pair(o, n, ctx, changes)
                walk.events.append((n.section, n.kind, "changed", n.offset))
            removed += gone
            added += came
            if not (pairs or gone or came):  # only blank lines or table rules moved
                sec = section_at(new_secs, hunk_new)
                unit = Passage("", hunk_new, "sentence", sec)
                walk.findings.append(
                    Finding("whitespace", "blank lines or table rules", with_section(unit, "blank lines"), unit)
                )
            deleted.clear()
            inserted.clear()
        old_pos += len(text)
        new_pos += len(text)
        hunk_old, hunk_new = old_pos, new_pos

    # A passage removed in one place and added in another was moved, and maybe edited.
    identical: dict[str, list[int]] = {}
    for j, unit in enumerate(added):
        identical.setdefault(unit.plain, []).append(j)
    moved_old: set[int] = set()
    moved_new: set[int] = set()
    for i, unit in enumerate(removed):
        twins = [j for j in identical.get(unit.plain, []) if j not in moved_new]
        if twins and unit.key:
            j = twins[0]
            moved_old.add(i)
            moved_new.add(j)
            # When every word reads in the same order in both versions, passages only look moved
            # (cut differently); otherwise the word diff may have kept the moved passage in place
            # and moved its neighbours instead, so a move stays a move.
            walk.findings.append(_reflowed(added[j]) if changes.none else moved(unit, added[j]))
            walk.events.append((unit.section, unit.kind, "moved out", unit.offset))
            walk.events.append((added[j].section, added[j].kind, "moved in", added[j].offset))
    rest_old = [u for i, u in enumerate(removed) if i not in moved_old]
    rest_new = [u for j, u in enumerate(added) if j not in moved_new]
    if len(rest_old) * len(rest_new) <= _MAX_MOVE_COMPARISONS:
        matched, lone_old, lone_new = match_passages(rest_old, rest_new)
    else:
        matched, lone_old, lone_new = [], list(range(len(rest_old))), list(range(len(rest_new)))
    for i, j in matched:
        o, n = rest_old[i], rest_new[j]
        walk.findings += _read_pair(o, n, ctx, changes) or [moved(o, n)]
        walk.events.append((n.section, n.kind, "changed", n.offset))
    lone: list[Finding] = []
    for i in lone_old:
        lone += _read_lone(rest_old[i], False, ctx, changes)
        walk.events.append((rest_old[i].section, rest_old[i].kind, "removed", rest_old[i].offset))
    for j in lone_new:
        lone += _read_lone(rest_new[j], True, ctx, changes)
        walk.events.append((rest_new[j].section, rest_new[j].kind, "added", rest_new[j].offset))
    walk.findings += join_counters(lone)
    return walk


# ---------------------------------------------------------------- verdict


def _label(kinds: set[str]) -> str:
    if kinds & set(SUBSTANTIVE):
        return "substantive"
    if kinds & set(MINOR):
        return "minor"
    return "noise"


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per thing said: the same number change in a table row and in a sentence
    is one reason (worded from the table, which names the metric and the column).

    Each finding's twin is the first kept finding with the same kind and text, or with the
    same merge key and subject; the kept findings are indexed by both, so a rewritten page's
    thousands of findings are not compared with one another pairwise."""
    kept: list[Finding] = []
    by_text: dict[tuple[str, str], list[int]] = {}
    by_merge: dict[tuple, list[int]] = {}

    def index(position: int, finding: Finding) -> None:
        bisect.insort(by_text.setdefault((finding.kind, finding.text), []), position)
        if finding.merge is not None:
            bisect.insort(by_merge.setdefault(finding.merge, []), position)

    def unindex(position: int, finding: Finding) -> None:
        by_text[(finding.kind, finding.text)].remove(position)
        if finding.merge is not None:
            by_merge[finding.merge].remove(position)

    for f in findings:
        same_text = by_text.get((f.kind, f.text))
        twin = same_text[0] if same_text else None
        if f.merge is not None:
            for position in by_merge.get(f.merge, ()):
                if twin is not None and position > twin:
                    break
                if _same_subject(kept[position], f):
                    twin = position
                    break
        if twin is None:
            kept.append(f)
            index(len(kept) - 1, f)
        elif f.subject_rank > kept[twin].subject_rank:
            unindex(twin, kept[twin])
            kept[twin] = f
            index(twin, f)
    return kept


def _same_subject(a: Finding, b: Finding) -> bool:
    x = set(re.findall(r"\w+", a.text.split(":")[0].lower()))
    y = set(re.findall(r"\w+", b.text.split(":")[0].lower()))
    return not x or not y or x <= y or y <= x


def _effective_date(candidates: list[str], detected_at: str | None) -> str | None:
    """The day the change takes effect: the first date the new text gives that is not before
    the detection; failing that, the latest one (a change already in force when we saw it)."""
    if not candidates:
        return None
    if detected_at:
        upcoming = sorted(d for d in candidates if d >= detected_at[:10])
        return upcoming[0] if upcoming else max(candidates)
    return candidates[0]


def _days_between(detected_at: str | None, iso: str | None) -> int | None:
    if not detected_at or not iso:
        return None
    try:
        seen = dt.date.fromisoformat(detected_at[:10])
        return (dt.date.fromisoformat(iso) - seen).days
    except ValueError:
        return None


def _notice_note(days: int) -> str:
    """ "(38 days' notice)", with the EU platform-to-business minimum when it is not met."""
    if days < 0:
        return f"(already in force when first seen, {-days} {'day' if days == -1 else 'days'} earlier)"
    short = (
        f", under the {P2B_MIN_NOTICE_DAYS} days the EU P2B Regulation requires" if (days < P2B_MIN_NOTICE_DAYS) else ""
    )
    return f"({days} {'day' if days == 1 else 'days'}' notice{short})"


def _with_notice(text: str, iso: str | None, days: int | None) -> str:
    """``text`` with the notice period after the first mention of ``iso``."""
    if iso is None or days is None or iso not in text:
        return text
    return text.replace(iso, f"{iso} {_notice_note(days)}", 1)


_NOUNS = {"sentence": "sentence", "list item": "list item", "table row": "table row",
          "heading": "heading"}  # fmt: skip
_VERBS = ("changed", "added", "removed", "moved in", "moved out")


def _section_changes(events: list[tuple[Section | None, str, str, int]]) -> list[SectionChange]:
    """ "Late shipment rate: 1 sentence changed, 1 table row added", per section, in order."""
    first: dict[str, int] = {}
    titled: dict[str, Section | None] = {}
    counts: dict[str, Counter[tuple[str, str]]] = {}
    for section, kind, verb, offset in events:
        sid = section.id if section else ""
        first[sid] = min(offset, first.get(sid, offset))
        titled[sid] = section
        counts.setdefault(sid, Counter())[(kind, verb)] += 1
    out = []
    for sid in sorted(first, key=lambda k: (first[k], k)):
        parts = []
        for verb in _VERBS:
            for kind, noun in _NOUNS.items():
                n = counts[sid][(kind, verb)]
                if n:
                    parts.append(f"{n} {noun}{'s' if n > 1 else ''} {verb}")
        section = titled[sid]
        out.append(SectionChange(sid, section.label if section else "", ", ".join(parts)))
    return out


def _summary(
    label: str,
    findings: list[Finding],
    silent: bool | None,
    effective: str | None,
    notice_days: int | None,
    passages: int,
    section_count: int,
) -> str:
    """One line: the headlines of the reasons of the change's class, most important first,
    then the effective date with its notice, then "silent change"."""
    if not findings:
        return "No change"
    heads: list[str] = []
    mentions_effective = False
    for f in findings:
        if KINDS[f.kind][0] != label:
            continue
        head = f.lead if f.lead and not heads else f.headline
        if f.effective is not None and f.effective == effective:
            head = _with_notice(head, effective, notice_days)
        if head not in heads:
            heads.append(head)
    shown: list[str] = []
    for head in heads:
        if shown and sum(len(h) + 2 for h in shown) + len(head) > 170:
            break
        shown.append(shorten(head, 170))
        if len(shown) == 3:
            break
    parts = list(shown)
    if len(heads) > len(shown):
        parts.append(f"+{len(heads) - len(shown)} more")
    mentions_effective = effective is not None and any(effective in h for h in shown)
    if label == "substantive" and effective and not mentions_effective:
        parts.append(_with_notice(f"effective {effective}", effective, notice_days))
    if passages >= _MAJOR_REVISION:
        where = f" in {section_count} {'section' if section_count == 1 else 'sections'}" if (section_count > 1) else ""
        parts.insert(0, f"Major revision: {passages} passages{where}")
    if silent:
        parts.append("silent change")
    return "; ".join(parts)


def _not_the_document(old: str, new: str) -> str | None:
    """Why no change can be read from the pair: one capture is an error page, a sign-in page
    or another notice of the site's (``diffs.notices``) rather than the document."""
    shown = notice(new)
    if shown is not None:
        return f'the new capture is {shown.what}, not the document ("{shown.said}"): no change can be read from it'
    shown = notice(old)
    if shown is not None:
        return (
            f'the old capture was {shown.what}, not the document ("{shown.said}"): compare the new one with the '
            "last good version"
        )
    return None


def classify(old: str, new: str, ops: list[Op] | None = None, *, detected_at: str | None = None) -> Classification:
    """Label the change from ``old`` to ``new`` (normalized Markdown) with its reasons.

    ``detected_at`` (ISO time the change was first seen) lets the notice period before a
    stated effective date be computed. ``ops`` is accepted for callers that already diffed
    the texts; the classification does not depend on it.
    """
    date_old, date_new = stated_date(old), stated_date(new)
    if old == new:
        return Classification("noise", (), "No change", False if date_old else None, (), date_old, date_new)
    unreadable = _not_the_document(old, new)
    if unreadable is not None:
        reason = Reason("capture", unreadable)
        return Classification("noise", (reason,), unreadable[0].upper() + unreadable[1:], None, (), date_old, date_new)
    ctx = Context(old, new)
    walk = _walk(old, new, ctx)
    findings = walk.findings
    body_kinds = {f.kind for f in findings}
    effective_old, effective_new = stated_effective_date(old), stated_effective_date(new)
    if effective_old != effective_new:
        # The day the page takes effect is a rule's date, unlike the day it was last edited.
        text = f"the page's effective date {effective_old or 'none'} → {effective_new or 'none'}"
        findings.append(Finding("effective-date", text, text, None, effective=effective_new))
    if date_old != date_new and (date_old, date_new) != (effective_old, effective_new):
        text = f"stated date {date_old or 'none'} → {date_new or 'none'}"
        findings.append(Finding("stated-date", text, text, None))
    findings = _dedupe(sorted(findings, key=lambda f: (RANK[f.kind], f.order)))

    label = _label({f.kind for f in findings})
    # Silent means readers see different words under the same dates; markup and link targets
    # changing without a new date is routine.
    body_changed = bool(body_kinds & (set(SUBSTANTIVE) | {"wording", "figure", "date"}))
    silent = None if not (ctx.old_stated and ctx.new_stated) else (body_changed and ctx.old_stated == ctx.new_stated)

    effective = _effective_date(
        [f.effective for f in sorted(findings, key=lambda f: f.order) if f.effective and f.kind == "effective-date"],
        detected_at,
    )
    page_effective = stated_effective_date(new)
    if effective is None and page_effective and page_effective != stated_effective_date(old):
        effective = page_effective
    notice_days = _days_between(detected_at, effective)

    reasons: list[Reason] = []
    for f in findings:
        text = _with_notice(f.text, effective, notice_days) if f.effective == effective else f.text
        reasons.append(Reason(f.kind, text, f.section))
    if len(reasons) > _MAX_REASONS:
        rest = len(reasons) - _MAX_REASONS
        reasons = reasons[:_MAX_REASONS] + [Reason(reasons[_MAX_REASONS].kind, f"+{rest} more reasons")]
    if not findings:  # differences that vanish once the stated date is set aside: none left
        findings = [Finding("whitespace", "whitespace only", "whitespace only", None)]
        reasons = [Reason("whitespace", "whitespace only")]
        label = "noise"

    section_changes = _section_changes(walk.events)
    # The workflows a substantive change touches are those of its substantive reasons.
    touched = [f for f in findings if f.kind in (SUBSTANTIVE if label == "substantive" else TAGGED)]
    tags = tags_for(
        [p for f in touched for p in f.passages]
        # The heading above a passage, but not the page's title: every change would get its tags.
        + [f.unit.section.title for f in touched if f.unit and f.unit.section and len(f.unit.section.path) > 1]
    )
    passages = len(walk.events)
    return Classification(
        label=label,
        reasons=tuple(reasons),
        summary=_summary(label, findings, silent, effective, notice_days, passages, len(section_changes)),
        silent=silent,
        sections=tuple(s.label for s in section_changes if s.label),
        stated_date_old=date_old,
        stated_date_new=date_new,
        tags=tags,
        effective_date=effective,
        notice_days=notice_days,
        section_changes=tuple(section_changes),
    )
