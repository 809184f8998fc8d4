"""Which state changes an obligation allows (pure): the one table the ledger's actions check.

An obligation is owed while it is open or returned; a unit submits it; the Standing Office
accepts or returns the submission, or the unit withdraws it before review; a coordinator may
extend its deadline or waive it while it is not closed. Accepted, waived and cancelled
obligations change no more (cancelling is materialisation's, when a plan changes).
"""

from __future__ import annotations

from enum import StrEnum

from phancong.domain.status import State


class Transition(StrEnum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    RETURN = "return"
    WITHDRAW = "withdraw"
    EXTEND = "extend"
    WAIVE = "waive"


ALLOWED_FROM: dict[Transition, frozenset[State]] = {
    Transition.SUBMIT: frozenset({State.OPEN, State.RETURNED}),
    Transition.ACCEPT: frozenset({State.SUBMITTED}),
    Transition.RETURN: frozenset({State.SUBMITTED}),
    Transition.WITHDRAW: frozenset({State.SUBMITTED}),
    Transition.EXTEND: frozenset({State.OPEN, State.RETURNED, State.SUBMITTED}),
    Transition.WAIVE: frozenset({State.OPEN, State.RETURNED, State.SUBMITTED}),
}

# what the refusal says the person tried to do
VERBS: dict[Transition, tuple[str, str]] = {
    Transition.SUBMIT: ("báo cáo hoàn thành", "mark done"),
    Transition.ACCEPT: ("chấp nhận", "accept"),
    Transition.RETURN: ("trả lại", "return"),
    Transition.WITHDRAW: ("rút lại báo cáo", "withdraw"),
    Transition.EXTEND: ("gia hạn", "extend"),
    Transition.WAIVE: ("miễn", "waive"),
}

STATE_WORDS: dict[State, str] = {
    State.OPEN: "đang mở",
    State.SUBMITTED: "đã nộp, chờ duyệt",
    State.ACCEPTED: "đã được chấp nhận",
    State.RETURNED: "đã bị trả lại",
    State.WAIVED: "đã được miễn",
    State.CANCELLED: "đã hủy",
}


def allowed(transition: Transition, state: State | str) -> bool:
    return State(state) in ALLOWED_FROM[transition]


def target(transition: Transition, state: State | str, *, returned_before: bool = False) -> State:
    """The state an allowed transition leads to. A withdrawn submission leaves the obligation
    returned when an earlier report was returned (its reason still stands), else open; an
    extension keeps the state."""
    if not allowed(transition, state):
        raise ValueError(f"{transition.value} is not allowed from {State(state).value}")
    return {
        Transition.SUBMIT: State.SUBMITTED,
        Transition.ACCEPT: State.ACCEPTED,
        Transition.RETURN: State.RETURNED,
        Transition.WITHDRAW: State.RETURNED if returned_before else State.OPEN,
        Transition.EXTEND: State(state),
        Transition.WAIVE: State.WAIVED,
    }[transition]


def refusal(transition: Transition, state: State | str) -> tuple[str, str]:
    """Why ``transition`` cannot happen in ``state``, in Vietnamese and English."""
    verb_vi, verb_en = VERBS[transition]
    found = State(state)
    return (
        f"Không thể {verb_vi}: nghĩa vụ {STATE_WORDS[found]}",
        f"Cannot {verb_en}: the obligation is {found.value}",
    )
