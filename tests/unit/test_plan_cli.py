"""`plan show`, `plan calendar`, `plan coverage` print what coordinators need."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from phancong.cli import app
from tests.helpers import HAIDUONG, HAIDUONG_SEED, HANOI, HANOI_SEED

pytestmark = pytest.mark.unit



def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_show_prints_the_twelve_owners_of_section_iv() -> None:
    out = invoke("plan", "show", str(HANOI))
    matrix = out.split("Ma trận")[1].split("Số nhiệm vụ theo đơn vị")[0]
    from phancong.adapters.loader import load

    plan = load(HANOI)
    owners = {ref for d in plan.duties if d.source.startswith("IV.") for ref in d.lead}
    names = {a.id: a.short or a.name for a in plan.agencies} | {"xa-phuong": "UBND các xã, phường (126)"}
    for ref in owners:
        assert names[ref][:34] in matrix, ref
    assert "chủ trì" in out and "phối hợp" in out and "đề nghị" in out


def test_calendar_2026_applies_the_holiday_policy() -> None:
    out = invoke("plan", "calendar", str(HANOI), "--year", "2026")
    # V.1 "trước ngày 15/3": the last working day before the 15th (14/3/2026 is a Saturday)
    assert "13/03/2026" in out and "dời từ 14/03 (thứ Bảy)" in out
    assert "12/06/2026" in out and "dời từ 14/06 (Chủ nhật)" in out
    assert "14/09/2026" in out and "14/12/2026" in out
    assert "16/03/2026" not in out and "15/03/2026" not in out
    assert "02/02/2026" in out and "dời từ 31/01 (thứ Bảy)" in out  # the yearly plan
    assert "20/03/2026" in out  # the consolidated report, 5 working days after the reports


def test_calendar_outside_the_plan_is_a_clear_error() -> None:
    result = CliRunner().invoke(app, ["plan", "calendar", str(HANOI), "--year", "2031"])
    assert result.exit_code == 1
    assert "no deadline in 2031" in result.output


@pytest.mark.parametrize(("plan", "seed", "section"), [(HANOI, HANOI_SEED, "IV.12, bullet 9"),
                                                       (HAIDUONG, HAIDUONG_SEED, "II.6, item d")])
def test_coverage_lists_declared_and_undeclared(plan, seed, section) -> None:  # type: ignore[no-untyped-def]
    out = invoke("plan", "coverage", str(plan), "--seed", str(seed))
    declared = out.split("Not declared")[0]
    assert f"✓ {section}" in declared
    assert "Not declared" in out
