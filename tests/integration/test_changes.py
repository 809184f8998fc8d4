"""The ledger's domain events on SQLite and PostgreSQL: an action returns its change, and the
audit row and the unit's notice are written from it in the action's transaction; a change that
nobody handled refuses to commit (:mod:`phancong.services.handlers`)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from phancong.adapters.db import transaction
from phancong.adapters.orm import AuditRow, ObligationRow, OutboxItemRow, OutboxRow
from phancong.domain.access import Action, Principal
from phancong.domain.changes import ObligationChanged
from phancong.domain.transitions import Transition
from phancong.mail.render import render_notice
from phancong.services import actions, handlers, reads, submissions
from phancong.services import ledger as svc
from tests.helpers import MINI, at
from tests.integration.ledger_fixtures import Ledger

pytestmark = pytest.mark.integration

PC02 = Principal(3, "pc02@example.test", "PC02", "coordinator", "mini", None, "vi")


def submitted(ledger: Ledger) -> list[int]:
    ledger.materialize(MINI)
    with ledger.factory() as s:
        ids = [v.id for v in reads.find(s, "mini", at("2026-03-01"), period="2026-Q1",
                                        open_first=False) if v.role != "support"]
    with transaction(ledger.factory) as s:
        for oid in ids:
            submissions.submit(s, oid, actor="agency@example.test", at=at("2026-03-10"),
                               note="Đã thực hiện")
    return ids


def trail(ledger: Ledger, oid: int) -> tuple[list[str], list[str]]:
    with ledger.factory() as s:
        audit = s.scalars(select(AuditRow.action).where(AuditRow.entity == "obligation",
                                                        AuditRow.entity_id == str(oid))
                          .order_by(AuditRow.id)).all()
        mail = s.scalars(select(OutboxRow.kind).join(
            OutboxItemRow, OutboxItemRow.outbox_id == OutboxRow.id)
            .where(OutboxItemRow.obligation_id == oid).order_by(OutboxRow.id)).all()
    return list(audit), list(mail)


def test_a_change_nobody_handled_does_not_commit(ledger: Ledger) -> None:
    oid = submitted(ledger)[0]
    with (pytest.raises(handlers.UnhandledChange, match=r"obligation\.accepted #"),
          transaction(ledger.factory) as s):
        svc.accept(s, oid, actor="pc02@example.test", at=at("2026-03-11"))
    with ledger.factory() as s:
        ob = s.get(ObligationRow, oid)
        assert ob is not None and ob.state == "submitted"  # the change was rolled back
    assert trail(ledger, oid) == (["obligation.submitted"], [])
    # the session that refused forgets the change: the next transaction commits normally
    with transaction(ledger.factory) as s:
        change = svc.accept(s, oid, actor="pc02@example.test", at=at("2026-03-12"))
        handlers.record(s, [change])
    assert trail(ledger, oid) == (["obligation.submitted", "obligation.accepted"], [])


def test_an_action_returns_its_change(ledger: Ledger) -> None:
    oid = submitted(ledger)[0]
    with transaction(ledger.factory) as s:
        change = svc.return_(s, oid, actor="pc02@example.test", at=at("2026-03-11"),
                             reason="Thiếu số liệu")
        handlers.record(s, [change])
    assert isinstance(change, ObligationChanged)
    assert (change.transition, change.obligation_id, change.plan_id, change.reason) == (
        Transition.RETURN, oid, "mini", "Thiếu số liệu")
    assert (change.before["state"], change.after["state"]) == ("submitted", "returned")
    with ledger.factory() as s:
        row = s.scalars(select(AuditRow).where(AuditRow.action == "obligation.returned")).one()
    assert (row.entity_id, row.actor, row.reason) == (str(oid), "pc02@example.test",
                                                       "Thiếu số liệu")
    assert row.before == dict(change.before) and row.after == dict(change.after)


def test_the_audit_row_and_the_notice_come_from_the_change(ledger: Ledger) -> None:
    ids = submitted(ledger)
    returned, waived = ids[:2]
    for oid, action, reason in ((returned, Action.RETURN, "Bổ sung số liệu quý I"),
                                (waived, Action.WAIVE, "Không phát sinh")):
        actions.perform(ledger.factory, PC02, oid, action, now=at("2026-03-11"),
                        portal_url="https://portal.example", renderer=render_notice,
                        reason=reason)
    # returned: audited and the unit told; waived: audited, nobody told
    assert trail(ledger, returned) == (["obligation.submitted", "obligation.returned"],
                                       ["review"])
    assert trail(ledger, waived) == (["obligation.submitted", "obligation.waived"], [])
    with ledger.factory() as s:
        body = s.scalar(select(OutboxRow.body_text).join(
            OutboxItemRow, OutboxItemRow.outbox_id == OutboxRow.id)
            .where(OutboxItemRow.obligation_id == returned))
        total = s.scalar(select(func.count()).select_from(AuditRow)
                         .where(AuditRow.action.in_(["obligation.submitted",
                                                     "obligation.returned",
                                                     "obligation.waived"])))
    assert body is not None and "Bổ sung số liệu quý I" in body
    assert total == len(ids) + 2  # each submission, the return and the waiver: once each
