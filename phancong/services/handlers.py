"""What follows a change of an obligation, written from its domain event in the same
transaction: the audit row, and for an accept, a return or an extension, the unit's notice.

The ledger's actions (:mod:`phancong.services.ledger`, :mod:`phancong.services.submissions`)
return :class:`~phancong.domain.changes.ObligationChanged` events and note them as pending on
the session; :func:`handle` (the portal, the API, the CLI, through
:mod:`phancong.services.actions`) or :func:`record` (audit only: the simulator, seeding) writes
what follows. A transaction that would commit a change none of them handled is refused, so a
change can never be stored without its audit row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from phancong.domain.changes import ObligationChanged
from phancong.services import audit
from phancong.services.notices import Renderer
from phancong.services.review import notify_review

_PENDING = "phancong.pending_changes"


class UnhandledChange(RuntimeError):
    """A transaction tried to commit an obligation change whose audit row was never written."""


def note(session: Session, change: ObligationChanged) -> ObligationChanged:
    """Mark ``change`` as made in ``session`` and not yet handled; returns it."""
    session.info.setdefault(_PENDING, []).append(change)
    return change


def entry(change: ObligationChanged) -> dict[str, Any]:
    """The audit row of ``change`` (see :func:`phancong.services.audit.entry`)."""
    return audit.entry(
        at=change.at, actor=change.actor, action=change.action, plan_id=change.plan_id,
        entity="obligation", entity_id=change.obligation_id, before=dict(change.before),
        after=dict(change.after), reason=change.reason,
    )


def _done(session: Session, changes: list[ObligationChanged]) -> None:
    pending: list[ObligationChanged] = session.info.get(_PENDING, [])
    handled = {id(c) for c in changes}
    pending[:] = [c for c in pending if id(c) not in handled]


def record(session: Session, changes: Iterable[ObligationChanged]) -> None:
    """Write the audit rows of ``changes`` (one statement) and nothing else."""
    done = list(changes)
    audit.record_many(session, (entry(c) for c in done))
    _done(session, done)


def handle(
    session: Session,
    changes: Iterable[ObligationChanged],
    *,
    renderer: Renderer,
    portal_url: str,
    now: dt.datetime,
) -> None:
    """Write the audit rows of ``changes`` and queue the notice of each accept, return and
    extension to the unit (rendered by ``renderer``)."""
    done = list(changes)
    record(session, done)
    for change in done:
        review = change.notifies
        if review is not None:
            notify_review(
                session, change.obligation_id, review=review,
                reason=change.reason if review != "accepted" else None, now=now,
                renderer=renderer, portal_url=portal_url,
            )


@event.listens_for(Session, "before_commit")
def _refuse_unhandled(session: Session) -> None:
    left = session.info.get(_PENDING)
    if left:
        names = ", ".join(f"{c.action} #{c.obligation_id}" for c in left[:5])
        raise UnhandledChange(f"{len(left)} change(s) without their audit row: {names}")


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
