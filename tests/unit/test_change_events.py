"""The domain events of the ledger (:mod:`phancong.domain.changes`): what each transition is
called in the audit log, and which ones the unit is told of."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from phancong.domain.changes import AUDIT_ACTIONS, NOTIFIED, ObligationChanged
from phancong.domain.transitions import Transition

pytestmark = pytest.mark.unit

AT = dt.datetime(2026, 3, 20, 3, 0, tzinfo=dt.UTC)


def change(transition: Transition, **extra: object) -> ObligationChanged:
    return ObligationChanged(transition, 7, "hanoi", "pc02@hanoi.example", AT,
                             {"state": "submitted"}, {"state": "accepted"}, **extra)  # type: ignore[arg-type]


def test_change_events_name_every_transition_in_the_audit_log() -> None:
    assert set(AUDIT_ACTIONS) == set(Transition)
    assert [change(t).action for t in Transition] == [
        "obligation.submitted", "obligation.accepted", "obligation.returned",
        "obligation.withdrawn", "obligation.extended", "obligation.waived",
    ]


def test_change_events_a_submission_on_behalf_is_named_so() -> None:
    assert change(Transition.SUBMIT, on_behalf=True).action == "obligation.submitted_on_behalf"
    # on_behalf only qualifies a submission
    assert change(Transition.ACCEPT, on_behalf=True).action == "obligation.accepted"


def test_change_events_only_review_outcomes_notify_the_unit() -> None:
    told = {t: change(t).notifies for t in Transition}
    assert told == {
        Transition.SUBMIT: None, Transition.ACCEPT: "accepted", Transition.RETURN: "returned",
        Transition.WITHDRAW: None, Transition.EXTEND: "extended", Transition.WAIVE: None,
    }
    assert set(NOTIFIED) < set(Transition)


def test_change_events_are_values() -> None:
    event = change(Transition.RETURN, reason="Thiếu số liệu")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.actor = "someone else"  # type: ignore[misc]
    assert event == change(Transition.RETURN, reason="Thiếu số liệu")
