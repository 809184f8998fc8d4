"""Two sessions acting on one obligation at once end consistent: one wins, the other is refused."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from phancong.adapters.db import transaction
from phancong.adapters.orm import AuditRow, ObligationRow, SubmissionRow
from phancong.services import handlers, reads, submissions
from phancong.services import ledger as svc
from phancong.services.errors import LedgerError
from tests.helpers import MINI, at
from tests.integration.ledger_fixtures import Ledger

pytestmark = pytest.mark.integration

Action = Callable[[Session, int], object]


def race(ledger: Ledger, oid: int, first: Action, second: Action) -> list[str]:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(action: Action) -> None:
        barrier.wait()
        try:
            with transaction(ledger.factory) as s:
                action(s, oid)
            result = "ok"
        except LedgerError as exc:
            result = f"refused: {exc.message('en')}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(a,)) for a in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def q1_obligations(ledger: Ledger) -> list[int]:
    with ledger.factory() as s:
        return [
            v.id
            for v in reads.find(s, "mini", at("2026-03-01"), period="2026-Q1", open_first=False)
            if v.role != "support"
        ]


def test_two_submissions_at_once(ledger: Ledger) -> None:
    ledger.materialize(MINI)

    def submit(s: Session, oid: int) -> object:
        return submissions.submit(
            s, oid, actor=f"user-{threading.get_ident()}", at=at("2026-03-10"), note="nộp"
        )

    for oid in q1_obligations(ledger):
        outcomes = race(ledger, oid, submit, submit)
        assert sorted(o.split(":")[0] for o in outcomes) == ["ok", "refused"], outcomes
        with ledger.factory() as s:
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(SubmissionRow)
                    .where(SubmissionRow.obligation_id == oid)
                )
                == 1
            )
            audits = s.scalar(
                select(func.count())
                .select_from(AuditRow)
                .where(AuditRow.entity_id == str(oid), AuditRow.action == "obligation.submitted")
            )
            assert audits == 1
            ob = s.get(ObligationRow, oid)
            assert ob is not None and ob.state == "submitted" and ob.revision == 2


def test_accept_racing_return(ledger: Ledger) -> None:
    ledger.materialize(MINI)
    ids = q1_obligations(ledger)
    with transaction(ledger.factory) as s:
        for oid in ids:
            submissions.submit(s, oid, actor="agency", at=at("2026-03-10"), note="nộp")

    def accept(s: Session, oid: int) -> object:
        return handlers.record(s, [svc.accept(s, oid, actor="coordinator-a", at=at("2026-03-11"))])

    def give_back(s: Session, oid: int) -> object:
        return handlers.record(s, [svc.return_(
            s, oid, actor="coordinator-b", at=at("2026-03-11"), reason="thiếu số liệu"
        )])

    finals = set()
    for oid in ids:
        outcomes = race(ledger, oid, accept, give_back)
        assert sorted(o.split(":")[0] for o in outcomes) == ["ok", "refused"], outcomes
        with ledger.factory() as s:
            ob = s.get(ObligationRow, oid)
            assert ob is not None
            subs = list(s.scalars(select(SubmissionRow).where(SubmissionRow.obligation_id == oid)))
            assert len(subs) == 1
            # the row and its submission agree on who won, and one audit entry records it
            assert (ob.state, subs[0].review) in {
                ("accepted", "accepted"),
                ("returned", "returned"),
            }
            reviews = s.scalar(
                select(func.count())
                .select_from(AuditRow)
                .where(
                    AuditRow.entity_id == str(oid),
                    AuditRow.action.in_(["obligation.accepted", "obligation.returned"]),
                )
            )
            assert reviews == 1
            finals.add(ob.state)
    assert finals <= {"accepted", "returned"}
