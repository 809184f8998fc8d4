"""Deployments and schedules of the Hà Nội plan; markdown escaping (no Prefect server needed)."""

from __future__ import annotations

import datetime as dt

import pytest

from phancong.adapters.loader import load
from phancong.domain.calendar import duty_occurrences
from phancong.orchestration.artifacts import key, md
from phancong.orchestration.deployments import consolidation_dates, planned, to_runner
from phancong.orchestration.plans import end_of_next_quarter
from phancong.settings import DEFAULT_PLAN

pytestmark = pytest.mark.flows


def test_hanoi_deployments_and_their_schedules() -> None:
    items = {item.full_name: item for item in planned([DEFAULT_PLAN])}
    assert set(items) == {"materialize/hanoi-2026-2030", "sweep/hanoi-2026-2030",
                          "digest/hanoi-2026-2030", "consolidate/hanoi-2026-2030",
                          "deliver/outbox"}
    assert items["sweep/hanoi-2026-2030"].cron == "0 8 * * *"
    assert items["digest/hanoi-2026-2030"].cron == "0 7 * * 1"
    assert items["materialize/hanoi-2026-2030"].cron == "0 1 * * *"
    assert items["materialize/hanoi-2026-2030"].parameters == {"plan": str(DEFAULT_PLAN)}
    assert items["deliver/outbox"].cron == "*/5 * * * *"
    rrule = items["consolidate/hanoi-2026-2030"].rrule
    assert rrule is not None
    # the first working day after the units' reports (Fri 13/3, Fri 12/6/2026) fall due
    assert rrule.startswith("DTSTART:20260316T090000\nRDATE:20260316T090000,20260615T090000,")
    runner = to_runner(items["sweep/hanoi-2026-2030"])
    assert runner.entrypoint == "flows.sweep.sweep_flow"
    assert {"plan:hanoi-2026-2030", "flow:sweep"} <= set(runner.tags)


def test_consolidation_runs_after_the_reports_and_before_the_consolidation_is_due() -> None:
    plan = load(DEFAULT_PLAN)
    days = consolidation_dates(plan)
    # reports are due before the 15th (13/3, 12/6, 14/9, 14/12/2026); the flow runs the next
    # working day, before the consolidated report's own deadline 5 working days after them
    assert days[:4] == [dt.date(2026, 3, 16), dt.date(2026, 6, 15), dt.date(2026, 9, 15),
                        dt.date(2026, 12, 15)]
    assert len(days) == 20
    consolidated = {d.period.label: d.effective
                    for d in duty_occurrences(plan, plan.duty("v-3-tong-hop"))}
    assert consolidated["2026-Q1"] == dt.date(2026, 3, 20)
    assert all(day < due for day, due in zip(days, sorted(consolidated.values()), strict=True))


def test_end_of_next_quarter() -> None:
    assert end_of_next_quarter(dt.date(2026, 2, 10)) == dt.date(2026, 6, 30)
    assert end_of_next_quarter(dt.date(2026, 11, 22)) == dt.date(2027, 3, 31)
    assert end_of_next_quarter(dt.date(2026, 9, 30)) == dt.date(2026, 12, 31)


def test_markdown_and_keys_keep_user_text_inert() -> None:
    assert md("A | B <script>&</script>") == "A \\| B \\<script\\>&\\</script\\>"
    assert md("[x](javascript:alert(1)) *b* _i_") == \
        "\\[x\\](javascript:alert(1)) \\*b\\* \\_i\\_"
    assert md("two\nlines") == "two lines"
    assert key("Hanoi_2026.plan", "Report 2026-Q1") == "hanoi-2026-plan-report-2026-q1"
