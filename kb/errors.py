"""Every error policywatch raises, in one tree (the ``httpx`` habit: the tree is the docs).

``str(err)`` is one line that names the thing; ``err.hint`` is the next step. The CLI prints
``policywatch: <message> (hint: <hint>)`` and exits 1. The base class is never raised itself.

* PolicywatchError
  x OperationalError           one page or one capture could not be used. Recorded on its check
  |                            (reason and ``kind``, a ``kb.models.FaultKind``); the run goes on.
  |                            Raised out of a command only by the commands that try one page
  |                            (``extract``, ``compare``).
  |  + ExtractionError         the page does not yield the document
  |  |  - BotWall              a robot check, captcha or challenge page was served
  |  |  - SelectorMatchedNothing  a ``select`` selector found no element (the page changed shape)
  |  |  - BoundaryNotFound     a range selector's start or end is missing (``diffs.ranges``)
  |  |  - InvalidSelector      a ``select``/``remove`` selector does not parse
  |  |  - EmptyPage            nothing is left to read after extraction
  |  + CombinedCaptureError    a multi-page capture (``diffs.combine``) cannot be unpacked
  |  + UnusableCapture         an imported capture failed its check (kept as evidence; ``import``)
  x UsageError                 a command was given something it cannot use (the user fixes the call)
  |  + QueryError              a search query, a phrase or a date that cannot be parsed
  |  + UnknownDocument         a document id that no declaration or store knows
  |  + NoVersion               the document has no version (yet, or at that date)
  x DeclarationError           a source file or a home's YAML file is invalid (file, key, fix)
  |  + CorpusError             the demo corpus is inconsistent
  x StoreError                 the home or its store cannot be used: the run stops, nothing is lost
  |  + RunLocked               another run holds the home
  |  + DiskFull                the store (or its index) could not be written: no space left;
  |                            what was not recorded stays pending or is fetched again
  |  + ArchiveError            an export or restore archive cannot be written or read
  x CrawlerFailed              the crawl process itself stopped (not one page: the whole crawl)
  x ArchiveUnavailable         a web archive (Wayback CDX) could not be reached or answered nonsense
  x PublishError               the site or its feeds could not be built; the previous site stays
  x SystemRefused              the operating system refused a read or a write that no other
                               error covers (``from_os_error``: a permission, a read-only or full
                               file system, a missing folder); nothing written half

Failures of single pages that are not exceptions at all (HTTP errors, redirects to sign-in,
timeouts) are judged as data (``diffs.responses``, ``crawler.faults``) and recorded the same way.
"""

from __future__ import annotations

import errno

from kb.models import FaultKind


class PolicywatchError(Exception):
    hint: str = ""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        if hint:
            self.hint = hint


# -- operational: one page ---------------------------------------------------------------


class OperationalError(PolicywatchError):
    kind = FaultKind.UNREADABLE
    hint = "the check records it; the next crawl tries again"


class ExtractionError(OperationalError):
    """Extraction failed for a reason worth telling the user; ``str(e)`` is one line."""

    kind = FaultKind.UNREADABLE
    hint = "try the declaration on the saved page with `policywatch extract`"

    @property
    def reason(self) -> str:  # the older name of ``kind``
        return self.kind


class SelectorMatchedNothing(ExtractionError):
    kind = FaultKind.SELECTOR_MISSED

    def __init__(self, selector: str, url: str = "") -> None:
        self.selector = selector
        where = f" on {url}" if url else ""
        super().__init__(
            f"selector {selector!r} matched nothing{where}: the page changed shape or the "
            "selector is wrong; check the declaration's select"
        )


class BoundaryNotFound(ExtractionError):
    """A range's start or end selector matched nothing, or the end comes before the start."""

    kind = FaultKind.SELECTOR_MISSED

    def __init__(self, selector: str, problem: str = "") -> None:
        self.selector = selector
        self.missing = not problem  # False: found, but unusable as a boundary
        super().__init__(f"range boundary {selector!r} {problem or 'matched nothing'}")


class BotWall(ExtractionError):
    kind = FaultKind.BOT_WALL
    hint = "retry later, slow the crawl down, or fetch it with a browser"

    def __init__(self, evidence: str, url: str = "") -> None:
        self.evidence = evidence
        where = f"{url} served" if url else "the site served"
        super().__init__(
            f"{where} a bot wall instead of the document ({evidence}); "
            "retry later, slow the crawl down, or fetch it with a browser"
        )


class EmptyPage(ExtractionError):
    kind = FaultKind.EMPTY

    def __init__(self, url: str = "") -> None:
        what = url or "the page"
        super().__init__(
            f"no text left in {what} after extraction; check the declaration's select and "
            "remove, or whether the page needs JavaScript"
        )


class InvalidSelector(ExtractionError):
    kind = FaultKind.INVALID_SELECTOR
    hint = "fix the selector in the declaration, then run `policywatch sources validate`"

    def __init__(self, selector: str, problem: str) -> None:
        self.selector = selector
        super().__init__(f"invalid CSS selector {selector!r}: {problem}; fix it in the declaration")


class CombinedCaptureError(OperationalError):
    kind = FaultKind.UNREADABLE


class UnusableCapture(OperationalError):
    """``import`` stored a capture whose check failed: said, with its reason, and exit 1."""


# -- usage -------------------------------------------------------------------------------


class UsageError(PolicywatchError):
    hint = "see `policywatch COMMAND --help`"


class QueryError(UsageError):
    hint = "see `policywatch search --help` for the query syntax"


class UnknownDocument(UsageError):
    hint = "list documents with `policywatch status`"


class NoVersion(UsageError):
    hint = "see its checks with `policywatch status`"


# -- declarations ------------------------------------------------------------------------


class DeclarationError(PolicywatchError):
    hint = "fix the source file, then run `policywatch sources validate`"


class CorpusError(DeclarationError):
    hint = ""  # the message names the file, the entry and the fix


# -- storage -----------------------------------------------------------------------------


class StoreError(PolicywatchError):
    hint = "check --home (or POLICYWATCH_HOME)"


class RunLocked(StoreError):
    hint = "wait for it to finish, or stop it"


class DiskFull(StoreError):
    hint = "free space, then run `policywatch record` (what was fetched but not stored, the next crawl fetches again)"


class ArchiveError(StoreError):
    hint = "give a file written by `policywatch export`"


# -- whole stages ------------------------------------------------------------------------


class CrawlerFailed(PolicywatchError):
    hint = "run again with POLICYWATCH_LOG=INFO to see Scrapy's log"


class ArchiveUnavailable(PolicywatchError):
    hint = "check the archive's address (--wayback-url), or run the backfill again later"


class PublishError(PolicywatchError):
    hint = "fix the cause above and run `policywatch publish` again"


class SystemRefused(PolicywatchError):
    hint = "check the path and its permissions, then run the command again"


_OS_HINTS = {
    errno.ENOSPC: "free some space, then run the command again; what was stored before is kept",
    errno.EDQUOT: "free some space, then run the command again; what was stored before is kept",
    errno.EACCES: "check the permissions of the home (or pass --home with a folder you can write)",
    errno.EPERM: "check the permissions of the home (or pass --home with a folder you can write)",
    errno.EROFS: "the file system is read-only: pass --home with a writable folder",
    errno.ENOENT: "check the path (a folder in it may have been removed)",
    errno.EMFILE: "too many open files: raise the limit (ulimit -n), then run the command again",
}


def from_os_error(err: OSError) -> SystemRefused:
    """An ``OSError`` that reached the command line, as one line that names the file and the
    reason, with the next step (the errors the store expects are already ``StoreError``s)."""
    where = f" {err.filename}" if err.filename else ""
    reason = err.strerror or str(err) or type(err).__name__
    return SystemRefused(f"the system refused{where}: {reason}", hint=_OS_HINTS.get(err.errno, SystemRefused.hint))
