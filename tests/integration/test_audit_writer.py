"""The audit log's one writer (:mod:`phancong.services.audit`), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from phancong.adapters.db import transaction
from phancong.adapters.orm import AuditRow
from phancong.services import audit
from tests.integration.ledger_fixtures import Ledger

pytestmark = pytest.mark.integration

AT = dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)


def test_entry_is_one_row_of_the_log_with_its_id_as_text() -> None:
    assert audit.entry(at=AT, actor="tt@hanoi.example", action="obligation.accepted",
                       plan_id="hanoi", entity="obligation", entity_id=42,
                       before={"state": "submitted"}, after={"state": "accepted"}) == {
        "at": AT, "actor": "tt@hanoi.example", "action": "obligation.accepted",
        "plan_id": "hanoi", "entity": "obligation", "entity_id": "42",
        "before": {"state": "submitted"}, "after": {"state": "accepted"}, "reason": None,
    }


def test_single_and_many_rows_land_in_the_order_written(ledger: Ledger) -> None:
    with transaction(ledger.factory) as session:
        audit.record(session, at=AT, actor="cli", action="unit.contacts_set", plan_id="p",
                     entity="unit", entity_id="SGD", before={"emails": []},
                     after={"emails": ["a@b.example"]}, reason="đổi địa chỉ")
        audit.record_many(session, [
            audit.entry(at=AT, actor="system:materialize", action="obligation.cancelled",
                        plan_id="p", entity="obligation", entity_id=i,
                        before={"state": "open"}, after={"state": "cancelled"})
            for i in (7, 8)
        ])
        audit.record_many(session, [])  # nothing to write: no statement, no error
        audit.record(session, at=AT, actor="system:sweep", action="sweep.completed",
                     plan_id=None, entity="plan", entity_id="p")
    with ledger.factory() as session:
        rows = session.scalars(select(AuditRow).order_by(AuditRow.id)).all()
        nulls = session.execute(text(
            "SELECT action, before IS NULL, reason IS NULL FROM audit_log ORDER BY id")).all()
    assert [(r.action, r.entity_id, r.reason) for r in rows] == [
        ("unit.contacts_set", "SGD", "đổi địa chỉ"),
        ("obligation.cancelled", "7", None),
        ("obligation.cancelled", "8", None),
        ("sweep.completed", "p", None),
    ]
    assert rows[0].before == {"emails": []} and rows[0].after == {"emails": ["a@b.example"]}
    assert rows[3].plan_id is None and rows[3].before is None and rows[3].after is None
    assert rows[1].at.replace(tzinfo=rows[1].at.tzinfo or dt.UTC) == AT
    # a missing before is JSON null (reads back as None), a missing reason SQL NULL
    assert [(bool(b), bool(r)) for _, b, r in nulls] == [
        (False, False), (False, True), (False, True), (False, True)]


def test_what_is_written_stays(ledger: Ledger) -> None:
    with transaction(ledger.factory) as session:
        audit.record(session, at=AT, actor="cli", action="unit.contacts_set", plan_id="p",
                     entity="unit", entity_id="SGD")
    with pytest.raises(DBAPIError), transaction(ledger.factory) as session:
        session.execute(text("UPDATE audit_log SET actor = 'someone else'"))
    with ledger.factory() as session:
        assert session.scalars(select(AuditRow.actor)).all() == ["cli"]
