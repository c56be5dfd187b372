"""Range selectors: a document that is "everything between this element and that one".

Open Terms Archive declares pages whose text has no wrapping element with range
selectors, after the DOM ``Range`` API::

    {"startAfter": "#category-dropdown", "endBefore": "#locale_overlay_container"}

``startBefore``/``startAfter`` put the start point before or after the first element
matching the selector (that element included or not); ``endBefore``/``endAfter`` do
the same for the end point. In ``select`` a range keeps what lies between the two
points (with the ancestors it cuts through, as ``Range.cloneContents`` does); in
``remove`` it deletes it (``Range.deleteContents``).

Pure and engine-free: works on the parsed tree that ``diffs.extract`` hands over
(BeautifulSoup is imported only there).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from kb.errors import BoundaryNotFound

START_KEYS = {"start_before": True, "start_after": False}  # key -> start element included
END_KEYS = {"end_after": True, "end_before": False}  # key -> end element included


@dataclass(frozen=True)
class Range:
    start: str  # CSS selector of the start element (its first match)
    end: str  # CSS selector of the end element (its first match)
    start_included: bool = False  # start_before: True; start_after: False
    end_included: bool = False  # end_after: True; end_before: False

    def describe(self) -> str:
        start = "start_before" if self.start_included else "start_after"
        end = "end_after" if self.end_included else "end_before"
        return f"{{{start}: {self.start!r}, {end}: {self.end!r}}}"

    def as_mapping(self) -> dict[str, str]:
        return {
            ("start_before" if self.start_included else "start_after"): self.start,
            ("end_after" if self.end_included else "end_before"): self.end,
        }


def select_ranges(soup: Any, ranges: tuple[Range, ...]) -> list[tuple[Any, Any]]:
    """For each range: (its start element in ``soup``, a detached tree holding the
    range's content). ``soup`` itself is left untouched."""
    out = []
    for rng in ranges:
        anchor = _boundary(soup, rng.start)
        _boundary(soup, rng.end)
        doc = copy.copy(soup)  # bs4 copies deeply: trimming the copy keeps soup intact
        first, last = _mark(doc, rng)
        common = _common_ancestor(first, last)
        for marker, siblings in ((first, "previous_siblings"), (last, "next_siblings")):
            node = marker
            while node is not common:
                for sibling in list(getattr(node, siblings)):
                    sibling.extract()
                node = node.parent
        first.extract()
        last.extract()
        out.append((anchor, common))
    return out


def remove_ranges(soup: Any, ranges: tuple[Range, ...]) -> None:
    """Delete each range's content from ``soup``; the ancestors it cuts through stay.
    A range whose boundaries are not on the page removes nothing, like a CSS ``remove``."""
    for rng in ranges:
        if soup.select_one(rng.start) is None or soup.select_one(rng.end) is None:
            continue
        first, last = _mark(soup, rng)
        keep = {id(parent) for parent in last.parents}
        doomed: list[Any] = []
        covered: set[int] = set()
        for node in first.next_elements:
            if node is last:
                break
            if id(node) in keep:
                continue  # partly in the range: keep the element, delete inside it
            covered.add(id(node))
            if node.parent is not None and id(node.parent) in covered:
                continue  # goes with its parent
            doomed.append(node)
        for node in doomed:
            node.extract()
        first.extract()
        last.extract()


def in_document_order(soup: Any, parts: list[Any], ranged: list[tuple[Any, Any]]) -> list[Any]:
    """Merge selected elements and range parts in the order they appear in ``soup``."""
    order = {id(tag): i for i, tag in enumerate(soup.find_all(True))}
    keyed = [(order.get(id(tag), 0), 0, i, tag) for i, tag in enumerate(parts)]
    keyed += [(order.get(id(anchor), 0), 1, i, part) for i, (anchor, part) in enumerate(ranged)]
    return [part for *_, part in sorted(keyed, key=lambda k: k[:3])]


def _boundary(soup: Any, selector: str) -> Any:
    element = soup.select_one(selector)
    if element is None:
        raise BoundaryNotFound(selector)
    return element


def _mark(soup: Any, rng: Range) -> tuple[Any, Any]:
    start = _boundary(soup, rng.start)
    end = _boundary(soup, rng.end)
    first = soup.new_tag("pw-range-start")
    last = soup.new_tag("pw-range-end")
    if start.parent is None or end.parent is None:
        raise BoundaryNotFound(
            rng.start if start.parent is None else rng.end,
            "is the whole document, not a point inside it",
        )
    start.insert_before(first) if rng.start_included else start.insert_after(first)
    end.insert_after(last) if rng.end_included else end.insert_before(last)
    if not any(node is last for node in first.next_elements):
        first.extract()
        last.extract()
        raise BoundaryNotFound(rng.end, f"comes before the range start {rng.start!r}")
    return first, last


def _common_ancestor(a: Any, b: Any) -> Any:
    ancestors = {id(p) for p in a.parents}
    return next(p for p in b.parents if id(p) in ancestors)
