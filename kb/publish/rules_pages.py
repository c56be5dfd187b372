"""The rules at a glance: a page per marketplace listing its quantified rules by subject (value,
window, source quote, since when, and each rule's history), a comparison page across
marketplaces (a subject a row, a marketplace a column), and ``rules.csv`` / ``rules.json``
with every value of every rule (the fields of ``policywatch rules --json``).

Page building from a ``PublishInput``: the rules come from ``diffs.rulebook`` over every
stored version. A version's quantified rules are a pure function of its text and of the code
that reads them (``diffs.quantified``), so they are computed once per text and kept in the
data's ``derived`` values (``kb.store.derived``) by the text's sha256 and ``rules_code()``: a
publish reads the texts of the versions it has not seen only. Pages are ``rules/index.md`` and
``rules/<marketplace>.md``; a rule's history is ``#history-<subject>`` on its marketplace's page.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from html import escape
from pathlib import Path

import diffs
from diffs.quantified import QuantifiedRule, quantified_rules
from diffs.rulebook import RuleSpan, rule_spans
from diffs.sections import slugify
from kb.models import PublishInput, Version
from kb.publish.fragments import front_matter, link, table, utc_time
from kb.publish.sanitize import safe_title
from kb.publish.urls import check_segments, document_page, href, page_url

RULES_INDEX = "rules/index.md"
RULES_CSV = "rules.csv"
RULES_JSON = "rules.json"
QUOTE_LIMIT = 240  # characters of a quote on a page (the downloads hold it whole)
CSV_FIELDS = (
    "doc_id", "source", "marketplace", "section", "section_id", "subject", "subject_label", "comparison",
    "value", "low", "unit", "kind", "display_value", "written", "window", "condition", "deadline", "quote",
    "passage", "language", "captured_at", "in_force_from", "in_force_basis", "valid_until", "ended",
    "current", "version_id", "last_version_id", "previous",
)  # fmt: skip


def marketplace_rules_md(marketplace: str) -> str:
    return f"rules/{check_segments(marketplace, 'marketplace')}.md"


def history_anchor(span: RuleSpan) -> str:
    return "history-" + slugify(span.rule.subject)


RULES_KIND = "quantified-rules"  # the kind of derived value (kb.store.derived)
RULES_FORMAT = 1  # how a text's rules are kept (JSON, a list of their fields): bump it when that changes
_KEEP_BATCH = 500  # texts whose rules are kept in one write


@functools.cache
def rules_code() -> str:
    """The code a text's rules depend on: ``RULES_FORMAT`` and every module of ``diffs``
    (``diffs.quantified`` and what it reads: numbers, passages, sections, the lexicons).
    Any change to them makes the kept rules stale, and they are computed again."""
    digest = hashlib.sha256(f"{RULES_KIND} {RULES_FORMAT}\n".encode())
    root = Path(diffs.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(f"{path.relative_to(root).as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _kept(rules: Sequence[QuantifiedRule]) -> str:
    return json.dumps([dataclasses.asdict(r) for r in rules], ensure_ascii=False, separators=(",", ":"))


def _unkept(value: str) -> tuple[QuantifiedRule, ...]:
    return tuple(QuantifiedRule(**fields) for fields in json.loads(value))


class _Rulebook:
    """The quantified rules of the data's versions by text sha256: kept ones read, others
    computed from their texts (one at a time) and kept."""

    def __init__(self, data: PublishInput) -> None:
        self.data = data
        self.pending: dict[str, str] = {}  # computed, not written yet

    def of(self, versions: Sequence[Version]) -> dict[str, tuple[QuantifiedRule, ...]]:
        wanted = {v.text_sha256: v for v in versions}
        keep = self.data.derived
        found = {} if keep is None else {k: _unkept(v) for k, v in keep.get(RULES_KIND, rules_code(), wanted).items()}
        for sha, version in wanted.items():
            if sha not in found:
                found[sha] = quantified_rules(self.data.text(version))
                if keep is not None:
                    self.pending[sha] = _kept(found[sha])
        if len(self.pending) >= _KEEP_BATCH:
            self.flush()
        return found

    def flush(self) -> None:
        if self.data.derived is not None and self.pending:
            self.data.derived.put(RULES_KIND, rules_code(), self.pending)
        self.pending = {}


def all_spans(data: PublishInput) -> list[RuleSpan]:
    """Every value of every rule of every document, by document."""
    versions = defaultdict(list)
    for version in data.versions.values():
        versions[version.doc_id].append(version)
    changes = defaultdict(list)
    for change in data.changes:
        changes[change.doc_id].append(change)
    rulebook = _Rulebook(data)
    spans: list[RuleSpan] = []
    for doc in sorted(data.documents, key=lambda d: d.doc_id):
        mine = versions.get(doc.doc_id, ())
        rules = rulebook.of(mine)
        spans.extend(
            rule_spans(doc, mine, changes.get(doc.doc_id, ()), rules_of=lambda v, rules=rules: rules[v.text_sha256])
        )
    rulebook.flush()
    return spans


def rule_files(data: PublishInput) -> Iterator[tuple[str, bytes]]:
    """(path under site-src, bytes) of the rules pages and downloads."""
    spans = all_spans(data)
    marketplaces = sorted({d.marketplace for d in data.documents})
    yield f"docs/{RULES_INDEX}", comparison_page(spans, marketplaces).encode("utf-8")
    for marketplace in marketplaces:
        mine = [s for s in spans if s.marketplace == marketplace]
        yield f"docs/{marketplace_rules_md(marketplace)}", marketplace_page(marketplace, mine).encode("utf-8")
    yield f"docs/{RULES_CSV}", rules_csv(spans)
    yield f"docs/{RULES_JSON}", rules_json(spans)


def nav(marketplaces: list[str]) -> dict:
    """The site navigation's "Rules" section."""
    return {"Rules": [{"At a glance": RULES_INDEX}, *({safe_title(m): marketplace_rules_md(m)} for m in marketplaces)]}


def _current(spans: list[RuleSpan]) -> list[RuleSpan]:
    return [s for s in spans if s.current]  # a gone document's last rules are in its history only


def _cell_value(span: RuleSpan) -> str:
    window = f' <span class="pw-rule-window">({escape(span.rule.window)})</span>' if span.rule.window else ""
    return f"<strong>{escape(span.rule.display_value)}</strong>{window}"


def _since(span: RuleSpan) -> str:
    since = utc_time(span.in_force_from)
    if span.in_force_basis != "captured":
        since += f" <small>({escape(span.in_force_basis)}; captured {utc_time(span.captured_at)})</small>"
    return since


def _quote(text: str) -> str:
    short = text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1].rstrip() + "…"
    return f"<q>{escape(short)}</q>"


def _downloads(page: str) -> str:
    return (
        f"Download every value of every rule: {link(href(page, RULES_CSV), 'rules.csv')} · "
        f"{link(href(page, RULES_JSON), 'rules.json')}"
    )


def comparison_page(spans: list[RuleSpan], marketplaces: list[str]) -> str:
    page = RULES_INDEX
    current = _current(spans)
    by_subject: dict[str, dict[str, list[RuleSpan]]] = defaultdict(lambda: defaultdict(list))
    for span in current:
        by_subject[span.rule.subject][span.marketplace].append(span)
    # Subjects several marketplaces share first: that is what a comparison is for.
    subjects = sorted(by_subject, key=lambda s: (-len(by_subject[s]), s))
    rows = []
    for subject in subjects:
        cells = by_subject[subject]
        label = next(iter(cells.values()))[0].rule.subject_label
        row = [escape(label)]
        for marketplace in marketplaces:
            found = cells.get(marketplace, [])
            target = (
                href(page, page_url(marketplace_rules_md(marketplace)) + f"#{history_anchor(found[0])}")
                if found
                else ""
            )
            values = "<br>".join(
                _cell_value(s) + (f" <small>[{escape(s.rule.condition)}]</small>" if s.rule.condition else "")
                for s in found
            )
            row.append(link(target, values) if found else "—")
        rows.append(row)
    pages = " · ".join(link(href(page, page_url(marketplace_rules_md(m))), escape(m)) for m in marketplaces)
    out = front_matter("Rules at a glance", pw_kind="rules") + [
        "<h1>Rules at a glance</h1>",
        "",
        (
            "<p>The thresholds, deadlines, fees and limits that the latest version of each document states, "
            "one subject a row, one marketplace a column. A value links to its history. "
            f"{len(subjects)} subjects, {len(current)} rules.</p>"
        ),
        "",
        f"<p>By marketplace: {pages or '—'}</p>",
        "",
        f"<p>{_downloads(page)}</p>",
        "",
    ]
    if rows:
        out += [table("pw-rules-compare", ("Subject", *marketplaces), rows), ""]
    else:
        out += ["<p>No quantified rule found in the documents yet.</p>", ""]
    return "\n".join(out)


def marketplace_page(marketplace: str, spans: list[RuleSpan]) -> str:
    page = marketplace_rules_md(marketplace)
    current = sorted(_current(spans), key=lambda s: (s.rule.subject, s.doc_id, s.rule.condition))
    rows = []
    for span in current:
        rule = span.rule
        doc = link(href(page, document_page(span.doc_id)), escape(span.doc_id.split("/", 1)[-1]))
        condition = f"<br><small>{escape(rule.condition)}</small>" if rule.condition else ""
        rows.append(
            [
                escape(rule.subject_label) + condition,
                _cell_value(span),
                _quote(rule.quote) + f"<br><small>{doc} · {escape(rule.section or 'top of the page')}</small>",
                _since(span),
                link(f"#{history_anchor(span)}", "history"),
            ]
        )
    out = front_matter(f"Rules: {safe_title(marketplace)}", pw_kind="rules") + [
        f"<h1>Rules of {escape(marketplace)}</h1>",
        "",
        (
            f"<p>{len(current)} quantified rules stated by the latest versions of {escape(marketplace)}'s documents, "
            "by subject. “Since” is when the value took effect: the date the text gives for it when it is later "
            f"than the capture, else the capture. {link(href(page, page_url(RULES_INDEX)), 'All marketplaces')}.</p>"
        ),
        "",
        f"<p>{_downloads(page)}</p>",
        "",
    ]
    if rows:
        out += [table("pw-rules", ("Subject", "Value", "Source", "Since", ""), rows), ""]
    else:
        out += ["<p>No quantified rule found in these documents yet.</p>", ""]
    out += ["## History", ""]
    by_subject: dict[str, list[RuleSpan]] = defaultdict(list)
    for span in spans:
        by_subject[span.rule.subject].append(span)
    for subject in sorted(by_subject):
        values = sorted(by_subject[subject], key=lambda s: (s.doc_id, s.rule.condition, s.in_force_from))
        anchor = history_anchor(values[0])
        out += [f'<h3 id="{escape(anchor)}">{escape(values[0].rule.subject_label)}</h3>', ""]
        history_rows = [
            [
                escape(s.rule.display_value)
                + (f"<br><small>{escape(s.rule.condition)}</small>" if s.rule.condition else ""),
                utc_time(s.captured_at),
                _since(s),
                utc_time(s.valid_until) + (f" ({escape(s.ended)})" if s.ended else "")
                if s.valid_until
                else "no end yet",
                link(href(page, document_page(s.doc_id)), escape(s.doc_id)),
            ]
            for s in values
        ]
        out += [table("pw-rule-history", ("Value", "Captured", "In force from", "Until", "Document"), history_rows), ""]
    return "\n".join(out)


def _row(span: RuleSpan) -> dict:
    row = span.as_json()
    row["previous"] = row["previous"]["display_value"] if row["previous"] else ""
    return row


def rules_csv(spans: list[RuleSpan]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for span in spans:
        writer.writerow({k: ("" if v is None else v) for k, v in _row(span).items() if k in CSV_FIELDS})
    return out.getvalue().encode("utf-8")


def rules_json(spans: list[RuleSpan]) -> bytes:
    return (json.dumps([s.as_json() for s in spans], indent=1, ensure_ascii=False) + "\n").encode("utf-8")
