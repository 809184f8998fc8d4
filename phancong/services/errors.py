"""Errors a user can cause; each carries a Vietnamese and an English message and an HTTP code."""

from __future__ import annotations


class LedgerError(Exception):
    http_status = 400

    def __init__(self, vi: str, en: str | None = None) -> None:
        super().__init__(vi)
        self.vi = vi
        self.en = en or vi

    def message(self, lang: str = "vi") -> str:
        return self.vi if lang == "vi" else self.en


class NotFound(LedgerError):
    http_status = 404


class Conflict(LedgerError):
    """The obligation changed under the caller (a concurrent action won)."""

    http_status = 409


class Refused(LedgerError):
    """The action does not apply to the obligation in its present state, or input is invalid."""

    http_status = 422


class Forbidden(LedgerError):
    http_status = 403
