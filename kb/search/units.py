"""What the index holds: the units built from timelines (pure: no Whoosh, no files).

A unit is one section text of a document (``diffs.sections``) over the interval in which the
document carried exactly that text; ``Unit.fields`` is the record the engine writes for it.
A document's fingerprint changes whenever any of its units may, so a sync compares
fingerprints and rewrites only the documents whose timeline moved.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property

from diffs.sections import sections
from kb.timeline import Timeline, VersionSpan

FORMAT = "policywatch-sections-5"  # bump when the schema or the unit rules change: sync rebuilds
OPEN_END = 253402300799  # 9999-12-31T23:59:59Z: the end of an interval that is still open
PART_BREAK = "PwPartBreak"  # between the title, the headings and the text in the indexed body


@dataclass(frozen=True)
class Unit:
    """One section text of a document over the interval it was in force."""

    doc_id: str
    section_id: str  # "" for the text before the first heading
    section: str  # heading path, "Customer metrics › Late shipment rate"
    title: str  # the document's title
    body: str  # the section's Markdown without its heading line
    url: str
    marketplace: str
    doc_type: str
    version_id: int  # version that introduced this text
    snapshot_sha256: str  # evidence: the snapshot of that version
    valid_from: str
    valid_to: str | None
    current: bool
    changed: bool
    label: str  # class of the change that introduced it, or "first"
    summary: str  # that change's summary ("" for a first capture)
    # When the text was in force (``kb.timeline.in_force_from``: an announced change takes
    # effect on its date): the in-force intervals of the versions that carried it, joined.
    # Empty (equal ends) for a text replaced before it took effect.
    in_force_from: str = ""
    in_force_to: str | None = None

    @cached_property
    def key(self) -> str:
        """A hash of everything the unit carries: a unit whose interval closes gets a new key."""
        parts = [getattr(self, name) for name in self.__dataclass_fields__]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]

    def fields(self) -> dict:
        indexed = f"{self.title}\n{PART_BREAK}\n{self.section}\n{PART_BREAK}\n{self.body}"
        return {
            "key": self.key,
            "doc_id": self.doc_id,
            "title": self.title,
            "section": self.section,
            "body": indexed,
            "_stored_body": self.body,
            "body_pairs": indexed,
            "marketplace": self.marketplace,
            "doc_type": self.doc_type,
            "class": self.label,
            "current": self.current,
            "changed": self.changed,
            "valid_from_n": epoch(self.valid_from),
            "valid_to_n": epoch(self.valid_to) if self.valid_to else OPEN_END,
            "in_force_from_n": epoch(self.in_force_from),
            "in_force_to_n": epoch(self.in_force_to) if self.in_force_to else OPEN_END,
            "section_id": self.section_id,
            "url": self.url,
            "version_id": self.version_id,
            "snapshot_sha256": self.snapshot_sha256,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "in_force_from": self.in_force_from,
            "in_force_to": self.in_force_to,
            "summary": self.summary,
        }


def split_sections(text: str) -> list[tuple[str, str, str]]:
    """(section id, heading path, body) of each section of a Markdown text that has text of its own."""
    secs = sections(text)
    parts = []
    preamble = text[: secs[0].start if secs else len(text)].strip()
    if preamble:
        parts.append(("", "", preamble))
    for sec in secs:
        lines = text[sec.start : sec.end].split("\n")[1:]
        if lines and re.fullmatch(r" {0,3}(=+|-+)[ \t]*", lines[0]):  # setext underline
            lines = lines[1:]
        body = "\n".join(lines).strip()
        if body:  # a heading directly followed by a subheading holds no clause of its own
            parts.append((sec.id, sec.label, body))
    return parts


def units(timeline: Timeline) -> list[Unit]:
    """The units of one document: each section text once, with the interval it was in force."""
    doc = timeline.document
    done: list[Unit] = []
    open_: dict[str, tuple[Unit, tuple, list[VersionSpan]]] = {}  # section id -> (unit, its text, spans)
    for span in timeline.versions:
        seen = set()
        for section_id, label, body in split_sections(span.version.text):
            identity = (label, body)
            seen.add(section_id)
            if section_id in open_ and open_[section_id][1] == identity:
                open_[section_id][2].append(span)
                continue
            if section_id in open_:
                done.append(_close(open_.pop(section_id), span.valid_from))
            open_[section_id] = (
                Unit(
                    doc_id=doc.doc_id,
                    section_id=section_id,
                    section=label,
                    title=doc.title,
                    body=body,
                    url=doc.url,
                    marketplace=doc.marketplace,
                    doc_type=doc.doc_type,
                    version_id=span.version.id,
                    snapshot_sha256=span.version.snapshot_sha256,
                    valid_from=span.valid_from,
                    valid_to=None,
                    current=False,
                    # a flap only brings back a recent text: it introduced nothing (diffs.flapping)
                    changed=span.number > 1 and not (span.change is not None and span.change.flap),
                    label=span.label,
                    summary=span.change.summary if span.change else "",
                ),
                identity,
                [span],
            )
        for section_id in [s for s in open_ if s not in seen]:  # dropped by this version
            done.append(_close(open_.pop(section_id), span.valid_from))
    last = timeline.versions[-1] if timeline.versions else None
    for entry in open_.values():
        done.append(_close(entry, last.valid_to, current=last.current))
    return done


def _close(entry: tuple[Unit, tuple, list[VersionSpan]], valid_to: str | None, current: bool = False) -> Unit:
    unit, _, spans = entry
    # The versions in force one after the other tile time (kb.timeline), so the in-force
    # intervals of the consecutive versions that carried this text join into one.
    live = [s for s in spans if s.ever_in_force] or spans[-1:]
    start, end = live[0].in_force_from, live[-1].in_force_to
    if not live[0].ever_in_force:  # announced, replaced before it took effect
        end = start
    return replace(unit, valid_to=valid_to, current=current, in_force_from=start, in_force_to=end)


def fingerprint(timeline: Timeline) -> str:
    """Changes whenever anything a unit of this document carries may change."""
    doc = timeline.document
    parts = [FORMAT, doc.doc_id, doc.title, doc.url, doc.marketplace, doc.doc_type, timeline.gone_at]
    for span in timeline.versions:
        v = span.version
        parts += [
            v.id,
            v.captured_at,
            v.text_sha256,
            v.snapshot_sha256,
            span.valid_to,
            span.in_force_from,
            span.in_force_to,
            span.current,
            span.label,
            span.change.summary if span.change else "",
        ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


# -- times: the index keeps interval ends as epoch seconds --------------------------------


def epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())  # store times always end in Z


def iso(seconds: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
