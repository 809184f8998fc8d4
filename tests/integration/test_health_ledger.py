"""The ledger's side of the health check and the overdue table's full count, on SQLite and
PostgreSQL: the last recorded sweep (or, for older ledgers, the last escalation step), the
outbox by state and its oldest queued email; a cut overdue list that knows how many there are."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from phancong.adapters.db import transaction
from phancong.adapters.orm import OutboxRow
from phancong.services.health import ledger_health, plan_health, record_sweep
from phancong.services.reads.late import late_list
from phancong.services.sweep import sweep
from tests.helpers import MINI, at, plain_renderer
from tests.integration.ledger_fixtures import Ledger

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 3, 24, 1, 0, tzinfo=dt.UTC)


def test_last_sweep_outbox_and_oldest_queued_mail(ledger: Ledger) -> None:
    ledger.materialize(MINI)
    with ledger.factory() as session:
        fresh = plan_health(session, "mini")
    assert (fresh.last_sweep, fresh.last_sweep_source) == (None, "none")
    assert fresh.loaded_at == at("2026-01-02")
    assert fresh.outbox == {"queued": 0, "sent": 0, "failed": 0}
    assert [p.code for p in fresh.problems(NOW)] == ["sweep_missing"]

    with transaction(ledger.factory) as session:  # a sweep not recorded: an older ledger
        sweep(session, "mini", at("2026-03-17"), renderer=plain_renderer)
    with ledger.factory() as session:
        older = plan_health(session, "mini")
    assert (older.last_sweep, older.last_sweep_source) == (at("2026-03-17"), "escalations")
    assert older.outbox["queued"] == 4  # ca, sgd (blockers), vks, and pc02 (its reminder)
    assert older.oldest_queued == at("2026-03-17")

    with transaction(ledger.factory) as session:
        report = sweep(session, "mini", at("2026-03-24"), renderer=plain_renderer)
        record_sweep(session, "mini", as_of=at("2026-03-24"), ran_at=NOW,
                     sweep_key=report.sweep_key, steps=report.steps, emails=report.emails)
        session.execute(update(OutboxRow).where(OutboxRow.created_at == at("2026-03-17"))
                        .values(status="sent"))
        session.execute(update(OutboxRow).where(OutboxRow.created_at == at("2026-03-24"))
                        .values(created_at=NOW - dt.timedelta(minutes=20)))
    with ledger.factory() as session:
        (health,) = ledger_health(session)
    assert (health.last_sweep, health.last_sweep_source) == (NOW, "ledger")
    assert health.last_sweep_as_of == at("2026-03-24")
    # 24/3: the Standing Office, and the Steering Committee for the office's own duty
    assert health.outbox == {"queued": 2, "sent": 4, "failed": 0}
    assert health.oldest_queued == NOW - dt.timedelta(minutes=20)
    assert health.problems(NOW) == []
    later = NOW + dt.timedelta(hours=27)
    assert [p.code for p in health.problems(later)] == ["sweep_stale", "mail_stale"]


def test_a_cut_late_list_counts_every_overdue_obligation(ledger: Ledger) -> None:
    ledger.materialize(MINI)
    with ledger.factory() as session:
        whole = late_list(session, "mini", at("2026-03-17"))
        cut = late_list(session, "mini", at("2026-03-17"), limit=2)
        nothing = late_list(session, "mini", at("2026-03-05"))
    assert len(whole) == 5 and {row["total"] for row in whole} == {5}
    assert len(cut) == 2 and {row["total"] for row in cut} == {5}
    assert [row["duty"] for row in cut] == [row["duty"] for row in whole[:2]]
    assert nothing == []
    assert {(row["role"], row["state"]) for row in whole} == {("lead", "open"),
                                                             ("requested", "open")}


def test_no_orphaned_lines_after_sweeps_and_status_reports_one(ledger: Ledger) -> None:
    """The line tables have no foreign keys (migration 0008): the sweep leaves no step or email
    line without its obligation and email, and ``phancong status`` names any that appears."""
    from sqlalchemy import func, insert, select

    from phancong.adapters.orm import EscalationRow, OutboxItemRow
    from phancong.orchestration.health import PrefectStatus, build_report
    from phancong.orchestration.health_smtp import SmtpStatus
    from phancong.services.health import orphan_lines

    ledger.materialize(MINI)
    for day in ("2026-03-17", "2026-03-24", "2026-04-20"):
        with transaction(ledger.factory) as session:
            sweep(session, "mini", at(day))
    with ledger.factory() as session:
        steps = session.scalar(select(func.count()).select_from(EscalationRow))
        lines = session.scalar(select(func.count()).select_from(OutboxItemRow))
        clean = orphan_lines(session)
    assert steps and lines  # there is something to be orphaned
    assert clean == {"escalations→obligations": 0, "outbox_items→obligations": 0,
                     "outbox_items→outbox": 0}

    with transaction(ledger.factory) as session:  # what a faulty writer could leave
        session.execute(insert(EscalationRow).values(
            obligation_id=999_999, level="overdue", rank=2, taken_at=NOW, sweep_key="x",
            blocked=False))
        session.execute(insert(OutboxItemRow).values(outbox_id=999_999, obligation_id=1,
                                                     level="overdue"))
    with ledger.factory() as session:
        orphans = orphan_lines(session)
    assert orphans == {"escalations→obligations": 1, "outbox_items→obligations": 0,
                       "outbox_items→outbox": 1}
    with ledger.factory() as session:
        plans = ledger_health(session)
    report = build_report(plans, PrefectStatus("http://x/api", healthy=True, version="3.9.1"),
                          SmtpStatus("x", reachable=True), NOW, orphans)
    (problem,) = [p for p in report.problems if p.code == "orphan_lines"]
    assert "mồ côi" in problem.vi and "escalations→obligations: 1" in problem.vi
    assert "outbox_items→outbox: 1" in problem.en
