"""One home for "overdue" and "late": the SQL forms in ``services/status_sql.py`` agree row by
row with the pure rules of ``domain/status.py``, and every surface that shows the late list (the
Prefect table, the portal's "chậm trễ" filter it links to, the national roll-up) counts the same
obligations — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from phancong.adapters.db import transaction
from phancong.adapters.orm import ObligationRow
from phancong.domain.status import LATE, State, Status, is_late, local_date
from phancong.services import handlers, reads, status_sql, submissions
from phancong.services import ledger as svc
from phancong.services.reads.late import late_list
from tests.helpers import MINI, at
from tests.integration.ledger_fixtures import Ledger

pytestmark = pytest.mark.integration

TZ = "Asia/Ho_Chi_Minh"
INSTANTS = ("2026-03-01", "2026-03-16T23:59", "2026-03-17", "2026-03-24", "2026-07-01")


def _worked_ledger(ledger: Ledger) -> None:
    """MINI with one obligation of each kind of history: accepted, submitted, returned."""
    ledger.materialize(MINI)
    with transaction(ledger.factory) as s:
        views = reads.find(s, "mini", at("2026-03-01"), period="2026-Q1", open_first=False)
        ids = [v.id for v in views if v.role == "lead"]
        submissions.submit(s, ids[0], actor="x", at=at("2026-03-05"), note="x")
        handlers.record(s, [svc.accept(s, ids[0], actor="y", at=at("2026-03-06"))])
        submissions.submit(s, ids[1], actor="x", at=at("2026-03-20"), note="x")
        submissions.submit(s, ids[2], actor="x", at=at("2026-03-01"), note="x")
        handlers.record(s, [svc.return_(s, ids[2], actor="y", at=at("2026-03-02"), reason="thiếu")])


def test_late_expression_matches_the_late_list_rule(ledger: Ledger) -> None:
    _worked_ledger(ledger)
    seen_roles: set[str] = set()
    seen_late_states: set[str] = set()
    with ledger.factory() as s:
        for when in INSTANTS:
            day = local_date(at(when), TZ)
            in_sql = set(s.scalars(select(ObligationRow.id).where(status_sql.late_expr(day))))
            expected = set()
            for ob in s.scalars(select(ObligationRow)):
                seen_roles.add(ob.role)
                if is_late(ob.state, ob.role, ob.effective_deadline, day):
                    expected.add(ob.id)
                    seen_late_states.add(ob.state)
            assert in_sql == expected, when
    # the comparison covered what the rule tells apart
    assert {"lead", "support"} <= seen_roles
    assert {State.OPEN.value, State.RETURNED.value} <= seen_late_states


def test_every_surface_of_the_late_list_counts_the_same_obligations(ledger: Ledger) -> None:
    _worked_ledger(ledger)
    when = at("2026-03-24")
    with ledger.factory() as s:
        table = late_list(s, "mini", when)
        plan = reads.PlanInfo("mini", "mini", TZ)
        listed = reads.list_obligations(s, plan, when, status=LATE, limit=10_000)
        (rollup,) = reads.national_rollup(s, [plan], when)
        overdue = reads.list_obligations(s, plan, when, status=Status.OVERDUE, limit=10_000)
    assert table and table[0]["total"] == len(table)
    assert {r["obligation"] for r in table} == {v.id for v in listed}
    assert rollup.late == len(table)
    # the late list and the overdue status are different things, and both are non-empty here:
    # returned and blocked obligations are late but not overdue; supporting units can be
    # overdue but are never on the late list
    late_statuses = {v.status for v in listed}
    assert Status.RETURNED in late_statuses and Status.BLOCKED in late_statuses
    assert {v.role for v in listed} <= {"lead", "requested"}
    assert any(v.role == "support" for v in overdue)
