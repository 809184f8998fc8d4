"""Who may do what to whose obligations (domain/access.py), without a database."""

from __future__ import annotations

import pytest

from phancong.domain.access import AccountRole, Action, Decision, Principal, decide

pytestmark = pytest.mark.unit

PLAN, OTHER_PLAN = "hanoi-2026-2030", "haiduong-787-2021-2025"


def who(role: AccountRole, plan: str | None = PLAN, unit: str | None = None) -> Principal:
    return Principal(1, f"{role.value}@example.test", role.value, role.value, plan, unit, "vi")


def test_access_rules_by_role() -> None:
    agency = who(AccountRole.AGENCY, unit="xa-a")
    coordinator, viewer = who(AccountRole.COORDINATOR), who(AccountRole.VIEWER)
    for action in Action:
        assert decide(coordinator, action, PLAN, "xa-a") is Decision.ALLOWED
        expected_agency = Decision.ALLOWED if action in (Action.VIEW, Action.SUBMIT) \
            else Decision.FORBIDDEN
        assert decide(agency, action, PLAN, "xa-a") is expected_agency, action
        expected_viewer = Decision.ALLOWED if action is Action.VIEW else Decision.FORBIDDEN
        assert decide(viewer, action, PLAN, "xa-a") is expected_viewer, action


def test_access_rules_scope_comes_before_role() -> None:
    """Outside its scope an obligation is not found (ids cannot be probed), whatever the action."""
    agency = who(AccountRole.AGENCY, unit="xa-a")
    for action in Action:
        assert decide(agency, action, PLAN, "xa-b") is Decision.NOT_FOUND
        assert decide(who(AccountRole.COORDINATOR), action, OTHER_PLAN, "x") is Decision.NOT_FOUND
    # an agency account without a unit sees nothing
    assert decide(who(AccountRole.AGENCY), Action.VIEW, PLAN, "xa-a") is Decision.NOT_FOUND


def test_access_rules_a_ministry_viewer_sees_every_plan_and_changes_nothing() -> None:
    ministry = who(AccountRole.VIEWER, plan=None)
    assert decide(ministry, Action.VIEW, OTHER_PLAN, "any") is Decision.ALLOWED
    assert decide(ministry, Action.ACCEPT, OTHER_PLAN, "any") is Decision.FORBIDDEN


def test_an_unknown_role_sees_nothing_and_may_do_nothing() -> None:
    stranger = Principal(9, "x@example.test", "x", "superuser", PLAN, None, "vi")
    assert decide(stranger, Action.VIEW, PLAN, "xa-a") is Decision.NOT_FOUND
    assert not any(stranger.may(action) for action in Action)
