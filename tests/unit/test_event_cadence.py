"""Event-triggered duties (cadence on_event): their deadline, their labels, their validation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from phancong.adapters.loader import PlanError, load
from phancong.cli import app
from phancong.domain.cadence import Cadence, DayCount
from phancong.domain.calendar import (
    event_deadline,
    event_label,
    holiday_name,
    is_event_label,
    occurrences,
    parse_event_label,
    period_title,
)
from tests.helpers import MINI

pytestmark = pytest.mark.unit

BASE = MINI.read_text(encoding="utf-8")
WORKING_3 = Cadence.model_validate({"kind": "on_event", "within": 3})


def test_deadline_counts_working_days_after_the_event() -> None:
    # Friday 3/7/2026 + 3 working days: Mon 6, Tue 7, Wed 8
    assert event_deadline(WORKING_3, dt.date(2026, 7, 3)) == dt.date(2026, 7, 8)
    # an event on a Saturday counts from it: Mon 6, Tue 7, Wed 8
    assert event_deadline(WORKING_3, dt.date(2026, 7, 4)) == dt.date(2026, 7, 8)


def test_deadline_skips_the_public_holidays() -> None:
    # Wednesday 29/4/2026: 30/4 and 1/5 are holidays, so Mon 4, Tue 5, Wed 6 May
    assert holiday_name(dt.date(2026, 4, 30)) and holiday_name(dt.date(2026, 5, 1))
    assert event_deadline(WORKING_3, dt.date(2026, 4, 29)) == dt.date(2026, 5, 6)
    # Tết 2026 (16–20/2): an incident on Friday 13/2 reported within 1 working day → Mon 23/2
    one = Cadence.model_validate({"kind": "on_event", "within": 1})
    assert all(holiday_name(dt.date(2026, 2, d)) for d in range(16, 21))
    assert event_deadline(one, dt.date(2026, 2, 13)) == dt.date(2026, 2, 23)


def test_calendar_days_and_a_deadline_on_a_day_off() -> None:
    week = Cadence.model_validate({"kind": "on_event", "within": 7, "day_count": "calendar"})
    assert week.day_count is DayCount.CALENDAR
    assert event_deadline(week, dt.date(2026, 7, 6)) == dt.date(2026, 7, 13)  # Mon → Mon
    # Sat 4/7 + 7 days is Sat 11/7: moved to the next working day, never back towards the event
    assert event_deadline(week, dt.date(2026, 7, 4)) == dt.date(2026, 7, 13)
    # 7 calendar days from Fri 24/4 end on Fri 1/5, a holiday: the next working day, Mon 4/5
    assert event_deadline(week, dt.date(2026, 4, 24)) == dt.date(2026, 5, 4)
    same_day = Cadence.model_validate({"kind": "on_event", "within": 0})
    assert event_deadline(same_day, dt.date(2026, 7, 5)) == dt.date(2026, 7, 6)  # Sunday → Mon


def test_an_event_cadence_has_no_calendar_occurrence() -> None:
    plan = load(MINI)
    assert occurrences(plan, WORKING_3) == []
    with pytest.raises(ValueError, match="not an event-triggered cadence"):
        event_deadline(Cadence.model_validate({"kind": "yearly"}), dt.date(2026, 1, 1))


def test_labels_people_can_read() -> None:
    label = event_label("EV", dt.date(2026, 7, 3), 2)
    assert label == "EV-2026-07-03-2" and len(label) <= 24  # the ledger's period_label column
    assert parse_event_label(label) == ("EV", dt.date(2026, 7, 3), 2)
    assert period_title(label) == "Sự việc 03/07/2026 (2)"
    assert period_title(label, "en") == "Event 03/07/2026 (2)"
    assert period_title("DX-2026-07-03-1") == "Báo cáo đột xuất 03/07/2026 (1)"
    assert period_title("DX-2026-07-03-1", "en") == "Ad hoc report 03/07/2026 (1)"
    for calendar in ("2026-Q1", "2026", "ONCE-2030-12-31", "EV-2026-13-01-1", "EV-x", "DX-"):
        assert not is_event_label(calendar), calendar
    assert period_title("2026-Q1") == "Quý I/2026"


@pytest.mark.parametrize(
    ("cadence", "fragment"),
    [
        ({"kind": "on_event"}, "cần 'within'"),
        ({"kind": "on_event", "within": 3, "due": "2026-03-01"}, "chỉ ghi 'within'"),
        ({"kind": "on_event", "within": 3, "deadline": {"day": 15}}, "chỉ ghi 'within'"),
        ({"kind": "on_event", "within": 3, "only": [1]}, "chỉ ghi 'within'"),
        ({"kind": "quarterly", "within": 3}, "chỉ dùng cho nhiệm vụ theo sự việc"),
        ({"kind": "periodic", "day_count": "calendar"}, "chỉ dùng cho nhiệm vụ theo sự việc"),
        ({"kind": "on_event", "within": -1}, "greater than or equal to 0"),
        ({"kind": "on_event", "within": 91}, "less than or equal to 90"),
    ],
)
def test_a_wrong_declaration_is_refused_in_both_languages(
    cadence: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Cadence.model_validate(cadence)
    message = str(caught.value)
    assert fragment in message, message
    if not fragment.endswith(("0", "90")):  # our own messages: Vietnamese / English
        assert " / " in message, message


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in BASE, old
    path = tmp_path / "broken.yaml"
    path.write_text(BASE.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    text = path.read_text(encoding="utf-8")
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(
    ("what", "old", "new", "marker", "vi", "en"),
    [
        (
            "no within",
            "    lead: [units]\n    cadence: {kind: periodic}",
            "    lead: [units]\n    cadence: {kind: on_event}",
            "{kind: on_event}",
            "nhiệm vụ theo sự việc cần 'within'",
            "an event-triggered duty needs 'within'",
        ),
        (
            "supporting units",
            "    requested: [vks]\n    cadence: {kind: periodic}",
            "    requested: [vks]\n    cadence: {kind: on_event, within: 2}",
            "- id: d1",
            "nhiệm vụ theo sự việc chỉ có đơn vị chủ trì",
            "an event-triggered duty has only its owners",
        ),
        (
            "a duty waiting on an event duty",
            "    lead: [units]\n    cadence: {kind: periodic}",
            "    lead: [units]\n    cadence: {kind: on_event, within: 2}",
            "depends_on: [report]",
            "'report' là nhiệm vụ theo sự việc (on_event): không có kỳ nào để chờ",
            "'report' is event-triggered (on_event): it has no periods to wait on",
        ),
    ],
)
def test_the_loader_names_file_and_line(
    tmp_path: Path, what: str, old: str, new: str, marker: str, vi: str, en: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(PlanError) as caught:
        load(path)
    hits = [p for p in caught.value.problems if vi in p.text("vi")]
    assert hits, [p.text("vi") for p in caught.value.problems]
    assert hits[0].file == str(path)
    assert hits[0].line == _line_of(path, marker), (what, str(hits[0]))
    assert en in hits[0].text("en")
    result = CliRunner().invoke(app, ["plan", "validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:{hits[0].line}" in result.output and vi in result.output


def test_an_event_duty_loads_and_materialises_nothing_on_a_calendar(tmp_path: Path) -> None:
    path = _broken(
        tmp_path,
        "    lead: [units]\n    cadence: {kind: periodic}",
        "    lead: [units]\n    cadence: {kind: on_event, within: 2, day_count: calendar}",
    )
    path.write_text(
        path.read_text(encoding="utf-8").replace("    depends_on: [report]\n", ""),
        encoding="utf-8",
    )
    plan = load(path)
    duty = plan.duty("report")
    assert duty.on_event and duty.cadence.within == 2
    assert duty.cadence.day_count is DayCount.CALENDAR
    shown = CliRunner().invoke(app, ["plan", "show", str(path)])
    assert shown.exit_code == 0, shown.output
    assert "on_event" in shown.output
