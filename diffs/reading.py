"""What one stored response reads as: the recorder's pure part (``kb.record``).

Given a response as the store holds it, the document's rules and expectations and the text of
the version in force before it, ``read_response`` says what is to be recorded: a fault, or the
text with its title, the crawler's fingerprint of it and, when it differs from the text before,
its comparison. This is the CPU-heavy part of recording (extraction, judging, diffing,
classification), so the recorder runs it outside any transaction, in worker processes when many
responses wait, and writes the result in a short one. No I/O, no clock.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from diffs.compare import Comparison, compare
from diffs.expect import Expectations, explain_missing, judge
from diffs.extract import (
    EmptyPage,
    Extracted,
    ExtractionError,
    Rules,
    SelectorMatchedNothing,
    charset_of,
    extract,
    fingerprint,
    read_text_version,
)
from diffs.responses import Fault, is_text_version, response_fault
from kb.models import FaultKind, Outcome

SHRINK_LIMIT = 0.2  # a text that loses more than 80 % at once is a broken page, not a policy


def shrank(old: str, new: str) -> bool:
    return len(new) < SHRINK_LIMIT * len(old)


def shrink_percent(old: str, new: str) -> int:
    return 100 - round(100 * len(new) / max(1, len(old)))


@dataclass(frozen=True)
class Response:
    """One stored response and what reading it needs."""

    status: int | None
    headers: Mapping[str, str]
    body: bytes
    url: str  # where the page answered: links resolve there
    requested_url: str  # the check's URL: the declaration and the claims are about it
    at: str  # the check's time
    rules: Rules | None  # None: no declaration covers the document any more
    expected: Expectations | None
    previous: str | None  # the text of the version in force before it; None for a first capture


@dataclass(frozen=True)
class Reading:
    """A fault (never a version), or the text read and what the recorder stores with it."""

    fault: Fault | None = None
    text: str = ""
    title: str = ""  # the page's own title; "" lets the document's stand
    fingerprint: str | None = None  # the crawler's fast-path evidence (None for a text version)
    comparison: Comparison | None = None  # with ``previous``, when the text differs from it


def _failed(kind: str, reason: str) -> Reading:
    return Reading(fault=Fault(outcome=Outcome.FAILED, kind=kind, reason=reason))


def read_response(response: Response) -> Reading:
    """What ``response`` reads as; the order of the judgements is the recorder's."""
    fault = response_fault(
        status=response.status,
        headers=response.headers,
        body=response.body,
        url=response.url,
        requested_url=response.requested_url,
        at=response.at,
    )
    if fault is not None:
        return Reading(fault=fault)  # may be a removal (Outcome.GONE)
    rules, expected, body = response.rules, response.expected, response.body
    if rules is None:
        return _failed(FaultKind.UNDECLARED, "no declaration covers this document any more")
    text_version = is_text_version(response.headers)
    charset = charset_of(response.headers)  # a page may name its charset only in the header
    try:
        extracted = read_capture(body, rules, response.url, text_version, charset)
    except (SelectorMatchedNothing, EmptyPage) as exc:
        # Nothing where the text should be: a sign-in page or a JavaScript shell says why.
        page_text = "" if text_version else _page_text(body, response.url, charset)
        missing = explain_missing(page_text, body, expected)
        return _failed(missing.kind, missing.reason) if missing else _failed(exc.kind, str(exc))
    except ExtractionError as exc:
        return _failed(exc.kind, str(exc))
    except Exception as exc:  # a hostile page must not stop the other documents' processing
        return _failed(
            FaultKind.UNREADABLE,
            f"the page could not be read ({type(exc).__name__}: {str(exc)[:120]}); "
            "its snapshot is kept; please report this page",
        )
    text, previous = extracted.markdown, response.previous
    # What it claims to be, before any comparison; in the current version's language unless declared.
    claim = judge(text, expected, url=response.requested_url, page=body, previous=previous or "")
    if claim is not None:
        return _failed(claim.kind, claim.reason)
    if previous is not None and shrank(previous, text):
        return _failed(
            FaultKind.SHRANK,
            f"extracted text shrank by {shrink_percent(previous, text)} % at once; check the page and the selectors",
        )
    return Reading(
        text=text,
        title=extracted.title or "",
        fingerprint=None if text_version else fingerprint(body, rules, encoding=charset),
        comparison=compare(previous, text, detected_at=response.at)
        if previous is not None and previous != text
        else None,
    )


def read_or_none(response: Response) -> Reading | None:
    """``read_response`` in a worker process: None where the code itself failed, so that the
    recorder reads it again in its own process and records that failure as it always has."""
    try:
        return read_response(response)
    except Exception:
        return None


def _page_text(body: bytes, url: str, encoding: str | None = None) -> str:
    """The whole page's text (no selectors), or "" when even that cannot be read."""
    try:
        return extract(body, Rules(), url=url, encoding=encoding).markdown
    except Exception:  # a hostile page: the extraction's own fault is recorded
        return ""


@functools.lru_cache(maxsize=4)
def read_capture(body: bytes, rules: Rules, url: str, text_version: bool, encoding: str | None = None) -> Extracted:
    """The text of a capture. Extraction is pure, so the same bytes read under the same rules
    are read once: a page that flaps serves the same few bodies again and again."""
    return read_text_version(body, url=url) if text_version else extract(body, rules, url=url, encoding=encoding)
