"""Errors that reach the user as one line with a hint.

``PolicywatchError``: base class; ``str(err)`` is the message, ``err.hint`` the next step.
  ``DeclarationError``: a source file is invalid (names the file, the key and the fix).
  ``StoreError``: the home folder or its store cannot be used.
  ``UnknownDocument``: a document id that no declaration or store knows.
  ``QueryError``: a search query or a date that cannot be parsed.
  ``RunLocked``: another crawl or publish holds the home folder.
Operational failures of a single page (timeouts, bot walls, selectors that match
nothing) are not exceptions at this level: they are recorded as failed checks.
"""
from __future__ import annotations


class PolicywatchError(Exception):
    hint: str = ""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        if hint:
            self.hint = hint


class DeclarationError(PolicywatchError):
    hint = "fix the source file, then run `policywatch sources validate`"


class StoreError(PolicywatchError):
    hint = "check --home (or POLICYWATCH_HOME)"


class UnknownDocument(PolicywatchError):
    hint = "list documents with `policywatch status`"


class QueryError(PolicywatchError):
    hint = "see `policywatch search --help` for the query syntax"


class RunLocked(PolicywatchError):
    hint = "wait for it to finish, or stop it"
