"""Who may do what (pure): the roles of portal accounts, what each may do, and whose obligations
each may see. :mod:`phancong.services.access` applies it to obligations in the ledger.

Scope first, then role: an obligation outside the account's scope is *not found* to it (the same
answer as a missing id, so ids cannot be probed); one it may see but not change is *forbidden*.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    VIEW = "view"
    SUBMIT = "submit"
    ACCEPT = "accept"
    RETURN = "return"
    EXTEND = "extend"
    WAIVE = "waive"


class AccountRole(StrEnum):
    """A portal account's role (a unit's role in a duty is :class:`~phancong.domain.plan.Role`)."""

    AGENCY = "agency"  # a unit's clerk: its own obligations
    COORDINATOR = "coordinator"  # the Standing Office: every unit of its plan(s)
    VIEWER = "viewer"  # reads every unit of its plan(s), changes nothing


ALLOWED: dict[str, frozenset[Action]] = {
    AccountRole.AGENCY: frozenset({Action.VIEW, Action.SUBMIT}),
    AccountRole.COORDINATOR: frozenset(Action),
    AccountRole.VIEWER: frozenset({Action.VIEW}),
}


class Decision(StrEnum):
    ALLOWED = "allowed"
    NOT_FOUND = "not_found"  # outside the account's scope: reported like a missing id
    FORBIDDEN = "forbidden"  # seen, but the role may not do it


@dataclass(frozen=True)
class Principal:
    """The signed-in user, detached from any database session."""

    id: int
    email: str
    name: str
    role: str
    plan_id: str | None  # None: every plan (a ministry's viewer)
    unit_code: str | None
    language: str

    @property
    def is_agency(self) -> bool:
        return self.role == AccountRole.AGENCY

    @property
    def is_coordinator(self) -> bool:
        return self.role == AccountRole.COORDINATOR

    @property
    def sees_all_units(self) -> bool:
        return self.role in (AccountRole.COORDINATOR, AccountRole.VIEWER)

    def may(self, action: Action) -> bool:
        return action in ALLOWED.get(self.role, frozenset())


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


def decide(principal: Principal, action: Action, plan_id: str, unit_code: str) -> Decision:
    """May ``principal`` do ``action`` to an obligation of ``unit_code`` in ``plan_id``?"""
    if not in_scope(principal, plan_id, unit_code):
        return Decision.NOT_FOUND
    if not principal.may(action):
        return Decision.FORBIDDEN
    return Decision.ALLOWED
