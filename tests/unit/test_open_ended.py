"""Plans without an end date (reported until revoked): the rolling horizon, the periods they
enumerate, the validation that used the end, how their period reads, and the workbook."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from phancong.adapters.loader import PlanError, load, parse
from phancong.authoring.workbook_export import export_workbook
from phancong.authoring.workbook_import import read_workbook
from phancong.cli import app
from phancong.domain.calendar import duty_occurrences
from phancong.domain.horizon import (
    OPEN_WINDOW_YEARS,
    add_months,
    horizon_through,
    period_words,
    plan_period_words,
)
from phancong.domain.plan import PlanPeriod
from phancong.orchestration.plans import end_of_next_quarter, materialize_through
from phancong.settings import Settings
from tests.helpers import HANOI, ROOT

pytestmark = pytest.mark.unit

DIRECTIVE = ROOT / "tests" / "data" / "shapes" / "quangninh-chi-thi-2026.yaml"


@pytest.mark.parametrize(
    ("today", "months", "through"),
    [
        (dt.date(2026, 6, 20), 12, dt.date(2027, 6, 19)),
        (dt.date(2026, 1, 1), 12, dt.date(2026, 12, 31)),  # periods starting in 2026 only
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 27)),  # 31/1 + 1 month is 28/2
        (dt.date(2027, 11, 30), 3, dt.date(2028, 2, 28)),  # into a leap February: 29/2 - 1
        (dt.date(2026, 12, 15), 24, dt.date(2028, 12, 14)),
    ],
)
def test_horizon_through(today: dt.date, months: int, through: dt.date) -> None:
    assert horizon_through(today, months) == through


def test_add_months_clamps_and_crosses_years() -> None:
    assert add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 15), 14) == dt.date(2028, 1, 15)


def test_a_horizon_of_no_months_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one month"):
        horizon_through(dt.date(2026, 1, 1), 0)


def test_the_horizon_setting_defaults_to_a_year_and_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().materialize_horizon_months == 12
    monkeypatch.setenv("PHANCONG_MATERIALIZE_HORIZON_MONTHS", "18")
    assert Settings().materialize_horizon_months == 18
    monkeypatch.setenv("PHANCONG_MATERIALIZE_HORIZON_MONTHS", "0")
    with pytest.raises(ValidationError):
        Settings()


def test_materialize_through_rolls_only_for_open_ended_plans() -> None:
    day = dt.date(2026, 6, 20)
    assert materialize_through(load(DIRECTIVE), day, 12) == dt.date(2027, 6, 19)
    assert materialize_through(load(DIRECTIVE), day, 6) == dt.date(2026, 12, 19)
    # a plan with an end keeps being materialised through the end of the next quarter
    assert materialize_through(load(HANOI), day, 12) == end_of_next_quarter(day)


def test_the_period_end_is_optional_but_still_after_the_start() -> None:
    assert PlanPeriod(start=dt.date(2026, 1, 20)).open_ended
    period = PlanPeriod(start=dt.date(2026, 1, 20), end=dt.date(2026, 12, 31))
    assert not period.open_ended and period.covers(dt.date(2026, 12, 31))
    assert not period.covers(dt.date(2027, 1, 1))
    assert PlanPeriod(start=dt.date(2026, 1, 20)).covers(dt.date(2099, 1, 1))
    with pytest.raises(ValidationError, match="kết thúc sau khi bắt đầu"):
        PlanPeriod(start=dt.date(2026, 1, 20), end=dt.date(2026, 1, 20))


def test_periods_of_an_open_ended_plan_reach_the_bound_whole() -> None:
    plan = load(DIRECTIVE)
    yearly = plan.duty("thang-hanh-dong")
    dues = duty_occurrences(plan, yearly, until=dt.date(2030, 3, 31))
    assert [d.period.label for d in dues] == ["2026", "2027", "2028", "2029", "2030"]
    last = dues[-1]  # a period the bound falls inside is not cut: the plan has not ended
    assert last.period.end == dt.date(2030, 12, 31) and last.effective == dt.date(2030, 7, 12)
    # with no bound, the first years are enumerated (what validation and samples look at)
    default = duty_occurrences(plan, yearly)
    assert len(default) == OPEN_WINDOW_YEARS
    # the consolidation follows its inputs in every period, however far
    reports = duty_occurrences(plan, plan.duty("tong-hop"), until=dt.date(2031, 12, 31))
    assert {d.period.label for d in reports} >= {"2031-H1", "2031"}


def _variant(old: str, new: str) -> str:
    text = DIRECTIVE.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new)


def _problems(text: str, lang: str = "vi") -> str:
    with pytest.raises(PlanError) as caught:
        parse(text, "chi-thi.yaml")
    return caught.value.text(lang)


def test_a_one_off_before_the_start_names_the_open_period() -> None:
    text = _variant("due: 2026-03-31", "due: 2025-12-31")
    problems = _problems(text)
    assert "nằm ngoài thời gian của kế hoạch từ 20/01/2026, đến khi có văn bản thay thế" in problems
    assert "None" not in problems
    assert "outside the plan period from 20/01/2026, until revoked" in _problems(text, "en")


def test_a_one_off_long_after_the_start_is_fine() -> None:
    plan = parse(_variant("due: 2026-03-31", "due: 2034-03-31"), "chi-thi.yaml")
    assert plan.plan.period.end is None


def test_the_standing_office_must_exist_on_every_day_of_an_open_plan() -> None:
    text = _variant(
        '{id: so-y-te, name: "Sở Y tế", short: "SYT",',
        '{id: so-y-te, name: "Sở Y tế", short: "SYT", valid_to: 2027-06-30,',
    )
    problems = _problems(text)
    assert "không có cơ quan đảm nhận vào ngày 01/07/2027" in problems


def test_an_end_still_bounds_yearly_duties_and_one_offs() -> None:
    """With the end added back, the checks that used it work as before: a one-off after it is
    refused; a yearly duty in a plan ending mid-year is cut at the end."""
    ended = _variant("period: {start: 2026-01-20}", "period: {start: 2026-01-20, end: 2027-06-30}")
    plan = parse(ended, "chi-thi.yaml")
    yearly = duty_occurrences(plan, plan.duty("thang-hanh-dong"))
    assert [d.period.label for d in yearly] == ["2026", "2027"]
    assert yearly[-1].period.end == dt.date(2027, 6, 30)
    assert yearly[-1].effective <= dt.date(2027, 6, 30)
    late = ended.replace("due: 2026-03-31", "due: 2027-09-30")
    assert "nằm ngoài thời gian của kế hoạch 20/01/2026–30/06/2027" in _problems(late)


def test_period_words() -> None:
    start = dt.date(2026, 1, 1)
    vi = period_words(start, None)
    assert vi == "từ 01/01/2026, đến khi có văn bản thay thế"
    assert unicodedata.is_normalized("NFC", vi)
    assert period_words(start, None, "en") == "from 01/01/2026, until revoked"
    assert period_words(start, dt.date(2030, 12, 31)) == "01/01/2026–31/12/2030"
    assert plan_period_words(load(DIRECTIVE).plan.period, "en") == "from 20/01/2026, until revoked"


def test_plan_show_and_calendar_read_the_open_period() -> None:
    result = CliRunner().invoke(app, ["plan", "show", str(DIRECTIVE)])
    assert result.exit_code == 0, result.output
    assert "05/CT-UBND · từ 20/01/2026, đến khi có văn bản thay thế" in result.output
    assert "None" not in result.output.splitlines()[1]
    far = CliRunner().invoke(app, ["plan", "calendar", str(DIRECTIVE), "--year", "2035"])
    assert far.exit_code == 0, far.output
    assert "Năm 2035" in far.output and "6 tháng đầu năm 2035" in far.output


def test_workbook_round_trip_keeps_no_end(tmp_path: Path) -> None:
    plan = load(DIRECTIVE)
    book = tmp_path / "chi-thi.xlsx"
    export_workbook(plan, book)
    back = read_workbook(book)
    assert back == plan and back.plan.period.end is None
    out = tmp_path / "back.yaml"
    result = CliRunner().invoke(app, ["plan", "import", str(book), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert load(out) == plan


def test_the_consolidate_schedule_of_an_open_plan_reaches_years_ahead() -> None:
    from phancong.orchestration.deployments import SCHEDULE_MONTHS, plan_deployments

    plan = load(DIRECTIVE)
    served = {p.flow: p for p in plan_deployments(plan, DIRECTIVE, today=dt.date(2031, 3, 1))}
    rrule = served["consolidate"].rrule
    assert rrule is not None and SCHEDULE_MONTHS == 60
    # started 2026 and served on 1/3/2031: the periods starting within five years (by
    # 28/2/2036) each get their run, the first working day after the reports fall due
    assert "20260615T090000" in rrule and "20361215T090000" in rrule
    assert "20370615" not in rrule
    assert "trong 12 tháng tới" in served["materialize"].description
    assert "đến khi có văn bản thay thế" in served["materialize"].description
    hanoi = {p.flow: p for p in plan_deployments(load(HANOI), HANOI, today=dt.date(2031, 3, 1))}
    assert "đến hết quý sau" in hanoi["materialize"].description
