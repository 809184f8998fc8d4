"""What happened to an obligation: the domain events the ledger's actions return (pure).

An action (submit, accept, return, withdraw, extend, waive) changes one obligation and says so
with an :class:`ObligationChanged`: who did which transition when, the obligation's state before
and after, and the reason given. What follows from it is written from the event, in the
action's transaction, by :mod:`phancong.services.handlers`: the audit row always, and for an
accept, a return or an extension, the notice to the unit.

("Change" rather than "event": in this product an *event* is an incident that opens an
event-triggered report, :mod:`phancong.services.events`.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from phancong.domain.transitions import Transition

# the audit log's name of each transition (``audit_log.action``)
AUDIT_ACTIONS: dict[Transition, str] = {
    Transition.SUBMIT: "obligation.submitted",
    Transition.ACCEPT: "obligation.accepted",
    Transition.RETURN: "obligation.returned",
    Transition.WITHDRAW: "obligation.withdrawn",
    Transition.EXTEND: "obligation.extended",
    Transition.WAIVE: "obligation.waived",
}
ON_BEHALF = "obligation.submitted_on_behalf"

# the transitions the unit is told of, and the review its notice reports
NOTIFIED: dict[Transition, str] = {
    Transition.ACCEPT: "accepted",
    Transition.RETURN: "returned",
    Transition.EXTEND: "extended",
}


@dataclass(frozen=True)
class ObligationChanged:
    """One transition of one obligation, as the action that made it saw it."""

    transition: Transition
    obligation_id: int
    plan_id: str
    actor: str
    at: dt.datetime
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    reason: str | None = None
    on_behalf: bool = False  # a submission made by a coordinator for the unit

    @property
    def action(self) -> str:
        """The audit log's name for it (``obligation.accepted`` …)."""
        if self.transition is Transition.SUBMIT and self.on_behalf:
            return ON_BEHALF
        return AUDIT_ACTIONS[self.transition]

    @property
    def notifies(self) -> str | None:
        """The review the unit is told of (``accepted``, ``returned``, ``extended``), if any."""
        return NOTIFIED.get(self.transition)
