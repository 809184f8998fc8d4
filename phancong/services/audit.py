"""The audit log's one writer: every row of ``audit_log`` is built by :func:`entry`.

A row says who (``actor``) did what (``action``, e.g. ``obligation.accepted``) to which thing
(``entity`` and its ``entity_id``, always stored as text) of which plan, when (``at``), with the
thing's state ``before`` and ``after`` and the ``reason`` given. The table is append-only (the
first migration's triggers refuse UPDATE and DELETE), so rows are only ever added, in the
caller's transaction: the change and its audit row commit together or not at all.

A ``before`` or ``after`` of ``None`` is stored as JSON ``null`` (it reads back as ``None``), as
the ledger, accounts, units and materialisation always stored it; the sweep's own record
(:func:`phancong.services.health.record_sweep`) left SQL NULL there before it came here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from phancong.adapters.orm import AuditRow

_INSERT = insert(cast(Table, AuditRow.__table__))  # Core: no unit-of-work bookkeeping per row


def entry(
    *,
    at: dt.datetime,
    actor: str,
    action: str,
    plan_id: str | None,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """The column values of one audit row (for :func:`record_many`)."""
    return {
        "at": at,
        "actor": actor,
        "action": action,
        "plan_id": plan_id,
        "entity": entity,
        "entity_id": str(entity_id),
        "before": before,
        "after": after,
        "reason": reason,
    }


def record(
    session: Session,
    *,
    at: dt.datetime,
    actor: str,
    action: str,
    plan_id: str | None,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Add one audit row to ``session`` (written with the session's next flush)."""
    session.add(AuditRow(**entry(
        at=at, actor=actor, action=action, plan_id=plan_id, entity=entity, entity_id=entity_id,
        before=before, after=after, reason=reason,
    )))


def record_many(session: Session, entries: Iterable[dict[str, Any]]) -> None:
    """Write the rows built by :func:`entry` now, in one statement.

    What the session holds is flushed first, so the rows follow (in ``id`` order) those added
    before them with :func:`record`.
    """
    rows = list(entries)
    if not rows:
        return
    session.flush()
    session.connection().execute(_INSERT, rows)
