"""The schedule a plan produces (:mod:`phancong.domain.schedule`): who owes which period of a
duty, by when, with which ladder days — the pure half of materialisation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from phancong.adapters.loader import directory, load
from phancong.domain.cadence import DayCount
from phancong.domain.calendar import shift_days
from phancong.domain.ladder import ladder_dates
from phancong.domain.plan import Plan, Role
from phancong.domain.schedule import Scheduled, duty_schedule
from tests.helpers import MINI

pytestmark = pytest.mark.unit

REFORM = Path(__file__).resolve().parents[1] / "data" / "shapes" / "through-reform.yaml"


def schedule(plan: Plan, duty_id: str, through: str) -> dict[tuple[str, str], Scheduled]:
    units = directory(plan)
    duty = plan.duty(duty_id)
    assignments = [a for a in units.assignments() if a.duty_id == duty_id]
    return duty_schedule(plan, duty, units, assignments, dt.date.fromisoformat(through))


def test_obligation_schedule_every_owner_owes_every_period() -> None:
    plan = load(MINI)
    found = schedule(plan, "d1", "2026-12-31")
    periods = {"2026-Q1", "2026-Q3", "2026-H1", "2026"}  # the plan's reporting calendar
    assert set(found) == {(u, p) for u in ("sgd", "ca", "vks") for p in periods}
    roles = {unit: s.role for (unit, _), s in found.items()}
    assert roles == {"sgd": Role.LEAD, "ca": Role.SUPPORT, "vks": Role.REQUESTED}


def test_obligation_schedule_supporting_units_report_before_the_lead() -> None:
    plan = load(MINI)
    found = schedule(plan, "d1", "2026-12-31")
    for period in ("2026-Q1", "2026-Q3", "2026-H1", "2026"):
        lead, support = found[("sgd", period)], found[("ca", period)]
        assert lead.deadline == lead.due.effective
        assert support.deadline == max(
            support.due.period.start,
            shift_days(lead.deadline, -plan.plan.support_lead_days, DayCount.WORKING))
        assert support.deadline < lead.deadline
        assert found[("vks", period)].deadline == lead.deadline  # requested: the lead's day


def test_obligation_schedule_ladder_days_follow_each_deadline() -> None:
    plan = load(MINI)
    ladder = plan.ladder_for(plan.duty("d1")).model_dump_json()
    for s in schedule(plan, "d1", "2026-12-31").values():
        assert (s.remind_on, s.overdue_on, s.standing_office_on, s.steering_committee_on) == (
            ladder_dates(s.deadline, ladder, s.role.value))
        assert s.overdue_on is not None and s.overdue_on > s.deadline


def test_obligation_schedule_stops_at_periods_not_begun() -> None:
    plan = load(MINI)
    found = schedule(plan, "d1", "2026-03-31")
    assert {p for _, p in found} == {"2026-Q1", "2026-H1", "2026"}  # Q3 starts on 1/7


def test_obligation_schedule_a_successor_owes_after_its_predecessor_ends() -> None:
    plan = load(REFORM)
    found = schedule(plan, "tong-hop-nam", "2025-12-31")
    owners = {period: unit for unit, period in found}
    # the Department of Labour until 28/02/2025, the Department of Health after it
    assert owners["2024"] == "so-ldtbxh"
    assert owners["2025"] == "so-y-te"
    # district committees until 30/06/2025, then the wards of Hải Phòng that replaced them
    yearly = schedule(plan, "bao-cao-nam", "2025-12-31")
    units_2024 = {u for u, p in yearly if p == "2024"}
    units_2025 = {u for u, p in yearly if p == "2025"}
    assert units_2024 and units_2025 and not units_2024 & units_2025
    groups = directory(plan)
    assert units_2024 == set(groups.dated("huyen"))
    assert units_2025 == set(groups.dated("xa-phuong"))
