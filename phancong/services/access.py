"""Who may do what to which obligation — the one place the portal, the API and the CLI ask.

The policy itself (roles, what each may do, scope) is pure, in :mod:`phancong.domain.access`;
this module looks the obligation's plan and unit up in the ledger and turns the decision into
the error people see.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from phancong.adapters.orm import ObligationRow, UnitRow, UserRow
from phancong.domain.access import Action, Decision, Principal, decide
from phancong.services.errors import Forbidden, LedgerError, NotFound

MAX_ID = 2**31 - 1


def principal_of(user: UserRow) -> Principal:
    return Principal(
        user.id, user.email, user.name, user.role, user.plan_id, user.unit_code, user.language
    )


def not_found(obligation_id: int) -> NotFound:
    return NotFound(f"Không có nghĩa vụ số {obligation_id}", f"No obligation {obligation_id}")


def forbidden() -> Forbidden:
    return Forbidden(
        "Tài khoản của bạn không có quyền thực hiện thao tác này", "Your account may not do this"
    )


def check(
    principal: Principal, action: Action, obligation_id: int, plan_id: str, unit_code: str
) -> None:
    decision = decide(principal, action, plan_id, unit_code)
    if decision is Decision.NOT_FOUND:
        raise not_found(obligation_id)
    if decision is Decision.FORBIDDEN:
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
