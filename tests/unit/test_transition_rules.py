"""Which state changes an obligation allows, and where each leads (domain/transitions.py)."""

from __future__ import annotations

import pytest

from phancong.domain.status import State
from phancong.domain.transitions import Transition, allowed, refusal, target

pytestmark = pytest.mark.unit

OPEN, SUBMITTED, ACCEPTED = State.OPEN, State.SUBMITTED, State.ACCEPTED
RETURNED, WAIVED, CANCELLED = State.RETURNED, State.WAIVED, State.CANCELLED

# every transition × every state: where it leads, or None when it is refused
TABLE: dict[Transition, dict[State, State | None]] = {
    Transition.SUBMIT: {OPEN: SUBMITTED, RETURNED: SUBMITTED, SUBMITTED: None, ACCEPTED: None,
                        WAIVED: None, CANCELLED: None},
    Transition.ACCEPT: {OPEN: None, RETURNED: None, SUBMITTED: ACCEPTED, ACCEPTED: None,
                        WAIVED: None, CANCELLED: None},
    Transition.RETURN: {OPEN: None, RETURNED: None, SUBMITTED: RETURNED, ACCEPTED: None,
                        WAIVED: None, CANCELLED: None},
    Transition.WITHDRAW: {OPEN: None, RETURNED: None, SUBMITTED: OPEN, ACCEPTED: None,
                          WAIVED: None, CANCELLED: None},
    Transition.EXTEND: {OPEN: OPEN, RETURNED: RETURNED, SUBMITTED: SUBMITTED, ACCEPTED: None,
                        WAIVED: None, CANCELLED: None},
    Transition.WAIVE: {OPEN: WAIVED, RETURNED: WAIVED, SUBMITTED: WAIVED, ACCEPTED: None,
                       WAIVED: None, CANCELLED: None},
}


@pytest.mark.parametrize("transition", list(Transition))
def test_transition_rules_every_state(transition: Transition) -> None:
    assert set(TABLE[transition]) == set(State)  # the table above leaves no state out
    for state, expected in TABLE[transition].items():
        assert allowed(transition, state) is (expected is not None), (transition, state)
        if expected is None:
            with pytest.raises(ValueError, match="is not allowed from"):
                target(transition, state)
            vi, en = refusal(transition, state)
            assert vi.startswith("Không thể ") and en.startswith("Cannot ")
        else:
            assert target(transition, state) is expected


def test_closed_obligations_change_no_more() -> None:
    for state in (ACCEPTED, WAIVED, CANCELLED):
        assert not any(allowed(t, state) for t in Transition)


def test_a_withdrawal_after_a_return_leaves_the_return_standing() -> None:
    assert target(Transition.WITHDRAW, SUBMITTED, returned_before=True) is RETURNED
    assert target(Transition.WITHDRAW, SUBMITTED, returned_before=False) is OPEN


def test_refusals_name_the_action_and_the_state_in_both_languages() -> None:
    vi, en = refusal(Transition.ACCEPT, "accepted")
    assert vi == "Không thể chấp nhận: nghĩa vụ đã được chấp nhận"
    assert en == "Cannot accept: the obligation is accepted"
