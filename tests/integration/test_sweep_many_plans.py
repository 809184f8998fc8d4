"""Sweeps of two plans at the same time (two runners, one ledger): each sweep emails its own
plan's steps, and only those.

Sweeps of one plan are serialised by an advisory lock; sweeps of different plans are not. On
PostgreSQL the other plan's sweep may commit its steps while this one is between recording its
steps and queueing their emails. Found by benchmarks/national_plans.py (34 plans, two
runners): the emails of one plan carried lines for another plan's steps, and those whose
recipients were not units of the plan were queued as failed ("no email address").
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from phancong.adapters.db import transaction
from phancong.adapters.loader import directory, load
from phancong.adapters.orm import ObligationRow, OutboxItemRow, OutboxRow
from phancong.domain.plan import Plan
from phancong.services.materialize import materialize
from phancong.services.sweep import sweep
from tests.helpers import MINI, at
from tests.integration.ledger_fixtures import Ledger

pytestmark = pytest.mark.integration


def copy_of_mini(plan_id: str) -> Plan:
    data = load(MINI).model_dump(mode="python")
    data["plan"]["id"] = plan_id
    return Plan.model_validate(data)


def test_another_plans_sweep_committing_meanwhile_is_not_emailed(
    ledger: Ledger, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time: the other sweep cannot commit meanwhile")
    for plan_id in ("tinh-a", "tinh-b"):
        plan = copy_of_mini(plan_id)
        with transaction(ledger.factory) as session:
            materialize(session, plan, directory(plan), through=dt.date(2026, 12, 31),
                        now=at("2026-01-02"))
    when = at("2026-03-17")
    other: dict[str, int] = {}

    def meanwhile(index: int, total: int, _: str) -> None:
        if index == total - 1:  # tinh-a's steps recorded, its emails not yet queued
            with transaction(ledger.factory) as session:
                done = sweep(session, "tinh-b", when)
                other.update(steps=done.total_steps, emails=done.emails)

    with transaction(ledger.factory) as session:
        report = sweep(session, "tinh-a", when, progress=meanwhile)
    assert other["steps"] > 0 and report.total_steps > 0
    assert report.total_steps == other["steps"]  # the same plan on the same day

    with ledger.factory() as session:
        lines = session.execute(
            select(OutboxRow.plan_id, OutboxRow.status, ObligationRow.plan_id)
            .join(OutboxItemRow, OutboxItemRow.outbox_id == OutboxRow.id)
            .join(ObligationRow, ObligationRow.id == OutboxItemRow.obligation_id)
        ).all()
    assert lines
    assert [(mail, line) for mail, _, line in lines if mail != line] == []
    assert {status for _, status, _ in lines} == {"queued"}
    with ledger.factory() as session:
        mails = session.execute(select(OutboxRow.plan_id, OutboxRow.recipient_unit)).all()
    per_plan = {p: sorted(str(u) for q, u in mails if q == p) for p in ("tinh-a", "tinh-b")}
    assert len(per_plan["tinh-a"]) == report.emails == other["emails"]
    assert per_plan["tinh-a"] == per_plan["tinh-b"]  # the same plan, the same recipients
