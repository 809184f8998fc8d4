"""A year of unattended sweeps: every step recorded has its line in an email to the right
recipient (a unit whose report awaits review is not urged: tests/integration/test_sweep.py).

The simulation starts mid-quarter (the first sweep finds a backlog) and sweeps only every
fourth day (a scheduler down for days at a time), so many obligations take several steps in
one sweep — the case where only the highest step used to be emailed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from phancong.adapters.orm import EscalationRow
from phancong.services.simulate import simulate
from tests.helpers import HANOI
from tests.integration.ledger_fixtures import Ledger
from tests.integration.step_lines import steps_without_line

pytestmark = pytest.mark.integration


def test_a_year_of_gappy_sweeps_emails_every_step(ledger: Ledger) -> None:
    report = ledger.materialize(HANOI, through="2026-12-31", now="2026-02-01")
    assert report.obligations_created > 5000
    sim = simulate(
        ledger.factory, "hanoi-2026-2030", dt.date(2026, 3, 25), dt.date(2026, 12, 31),
        sweep_every=7, seed=7,
    )
    steps = sum(sum(c.values()) for c in sim.steps_by_week.values())
    assert steps > 3000 and sim.submissions > 1000
    with ledger.factory() as s:
        assert steps_without_line(s, "hanoi-2026-2030") == []
        together = s.execute(
            select(EscalationRow.obligation_id, EscalationRow.sweep_key)
            .group_by(EscalationRow.obligation_id, EscalationRow.sweep_key)
            .having(func.count() > 1)
        ).all()
    # the case this test is about happened, many times: several steps of one obligation in one
    # sweep (before the fix only the highest of them was emailed)
    assert len(together) > 100, len(together)
