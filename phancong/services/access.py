"""Who may do what to which obligation — the one place the portal, the API and the CLI ask.

Scope first, then role: an obligation outside the user's scope is reported as *not found*
(the same message as a missing id, so ids cannot be probed), and a user who may see an
obligation but not change it gets *forbidden*.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from phancong.adapters.orm import ObligationRow, UnitRow, UserRow
from phancong.services.errors import Forbidden, LedgerError, NotFound

MAX_ID = 2**31 - 1


class Action(StrEnum):
    VIEW = "view"
    SUBMIT = "submit"
    ACCEPT = "accept"
    RETURN = "return"
    EXTEND = "extend"
    WAIVE = "waive"


ALLOWED: dict[str, frozenset[Action]] = {
    "agency": frozenset({Action.VIEW, Action.SUBMIT}),
    "coordinator": frozenset(Action),
    "viewer": frozenset({Action.VIEW}),
}


@dataclass(frozen=True)
class Principal:
    """The signed-in user, detached from any database session."""

    id: int
    email: str
    name: str
    role: str
    plan_id: str | None
    unit_code: str | None
    language: str

    @staticmethod
    def of(user: UserRow) -> Principal:
        return Principal(
            user.id, user.email, user.name, user.role, user.plan_id, user.unit_code, user.language
        )

    @property
    def is_agency(self) -> bool:
        return self.role == "agency"

    @property
    def is_coordinator(self) -> bool:
        return self.role == "coordinator"

    @property
    def sees_all_units(self) -> bool:
        return self.role in ("coordinator", "viewer")

    def may(self, action: Action) -> bool:
        return action in ALLOWED.get(self.role, frozenset())


def not_found(obligation_id: int) -> NotFound:
    return NotFound(f"Không có nghĩa vụ số {obligation_id}", f"No obligation {obligation_id}")


def forbidden() -> Forbidden:
    return Forbidden(
        "Tài khoản của bạn không có quyền thực hiện thao tác này", "Your account may not do this"
    )


def plan_in_scope(principal: Principal, plan_id: str) -> bool:
    return principal.plan_id is None or principal.plan_id == plan_id


def in_scope(principal: Principal, plan_id: str, unit_code: str) -> bool:
    if not plan_in_scope(principal, plan_id):
        return False
    if principal.sees_all_units:
        return True
    return (
        principal.is_agency and principal.unit_code is not None and principal.unit_code == unit_code
    )


def check(
    principal: Principal, action: Action, obligation_id: int, plan_id: str, unit_code: str
) -> None:
    if not in_scope(principal, plan_id, unit_code):
        raise not_found(obligation_id)
    if not principal.may(action):
        raise forbidden()


@dataclass(frozen=True)
class Scoped:
    """An obligation the principal may act on, with the facts the check used."""

    id: int
    plan_id: str
    unit_code: str


@functools.cache
def _scope_query() -> Any:
    return (
        select(ObligationRow.id, ObligationRow.plan_id, UnitRow.code)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        .where(ObligationRow.id.in_(bindparam("obligation_ids", expanding=True)))
    )


def authorize(session: Session, principal: Principal, obligation_id: int, action: Action) -> Scoped:
    """Load the obligation's plan and unit and check ``action`` against the principal's scope."""
    (outcome,) = authorize_many(session, [(principal, obligation_id)], action)
    if isinstance(outcome, LedgerError):
        raise outcome
    return outcome


def authorize_many(
    session: Session, asks: Sequence[tuple[Principal, int]], action: Action
) -> list[Scoped | LedgerError]:
    """:func:`authorize` for several (principal, obligation) pairs in one query."""
    wanted = [oid for _, oid in asks if 1 <= oid <= MAX_ID]
    found: dict[int, tuple[str, str]] = {}
    if wanted:
        rows = session.connection().execute(_scope_query(), {"obligation_ids": wanted})
        found = {row[0]: (row[1], row[2]) for row in rows}
    outcomes: list[Scoped | LedgerError] = []
    for principal, obligation_id in asks:
        where = found.get(obligation_id)
        try:
            if where is None:
                raise not_found(obligation_id)
            check(principal, action, obligation_id, where[0], where[1])
        except LedgerError as refused:
            outcomes.append(refused)
            continue
        outcomes.append(Scoped(obligation_id, where[0], where[1]))
    return outcomes
