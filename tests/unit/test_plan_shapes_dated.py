"""Plans as they really are: units valid between dates, the administrative structure chosen
by the plan's dates, periods inside a plan — and a message on its line for every mistake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from phancong.adapters.loader import PlanError, directory, load, parse
from phancong.domain.calendar import duty_occurrences
from phancong.domain.units import Assignment

pytestmark = pytest.mark.unit

SHAPES = Path(__file__).resolve().parents[1] / "data" / "shapes"
REFORM = SHAPES / "through-reform.yaml"
KONTUM = SHAPES / "kontum-2019.yaml"
PERIODS = SHAPES / "periods-inside.yaml"


def _problems(text: str, name: str = "plan.yaml") -> list[tuple[int, str, str]]:
    with pytest.raises(PlanError) as caught:
        parse(text, name)
    return [(p.line, p.text("vi"), p.text("en")) for p in caught.value.problems]


def _line(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


# ------------------------------------------------------------------ administrative structures


def test_a_2019_plan_gets_kon_tum_before_the_reform() -> None:
    plan = load(KONTUM)
    d = directory(plan)
    districts, communes = d.expand("huyen"), d.expand("xa")
    assert len(districts) == 10 and all(u.startswith("old-district-") for u in districts)
    assert len(communes) == 102 and all(u.startswith("old-ward-") for u in communes)
    assert d.units["old-district-608"].name == "UBND Thành phố Kon Tum"
    assert all(d.units[u].valid_to == dt.date(2025, 6, 30) for u in (*districts, *communes))


def test_kon_tum_in_a_2026_plan_says_it_merged_into_quang_ngai() -> None:
    text = KONTUM.read_text(encoding="utf-8").replace(
        "{start: 2019-01-01, end: 2020-12-31}", "{start: 2026-01-01, end: 2026-12-31}"
    )
    problems = _problems(text)
    merged = [p for p in problems if "hợp nhất" in p[1]]
    assert merged, problems
    line, vi, en = merged[0]
    assert line == _line(text, "{province_code: 62}}")
    assert "Tỉnh Kon Tum" in vi and "Tỉnh Quảng Ngãi (mã 51)" in vi and "province_code: 51" in vi
    assert "merged into Tỉnh Quảng Ngãi (51)" in en
    districts = [p for p in problems if "không còn cấp huyện" in p[1]]
    assert districts and districts[0][0] == _line(text, "level: district")


def test_a_group_living_through_the_reform_is_told_where_to_split() -> None:
    text = KONTUM.read_text(encoding="utf-8").replace(
        "{start: 2019-01-01, end: 2020-12-31}", "{start: 2024-01-01, end: 2026-12-31}"
    )
    problems = _problems(text)
    assert [p[0] for p in problems] == [
        _line(text, "{province_code: 62, level: district}"), _line(text, "{province_code: 62}}")]
    for _, vi, en in problems:
        assert "01/07/2025" in vi and "valid_to: 2025-06-30" in vi
        assert "valid_from: 2025-07-01" in en
    assert "nhóm các huyện" in problems[0][1] and "nhóm các xã, phường" in problems[1][1]
    # the same groups, split at the reform, are accepted
    split = text.replace(
        "wards_of: {province_code: 62, level: district}}",
        "wards_of: {province_code: 62, level: district}, valid_to: 2025-06-30}",
    ).replace(
        "wards_of: {province_code: 62}}",
        "wards_of: {province_code: 62}, valid_to: 2025-06-30}\n"
        "  - {id: xa-moi, name: UBND các xã, wards_of: {province_code: 51},"
        " valid_from: 2025-07-01}",
    ).replace("lead: [xa]", "lead: [xa, xa-moi]")
    plan = parse(split, "split.yaml")
    assert len(directory(plan).expand("xa-moi")) > 0


def test_the_2025_province_code_in_the_2025_structure_still_works() -> None:
    text = KONTUM.read_text(encoding="utf-8").replace(
        "{start: 2019-01-01, end: 2020-12-31}", "{start: 2026-01-01, end: 2026-12-31}"
    ).replace("{province_code: 62, level: district}", "{province_code: 51}").replace(
        "{province_code: 62}", "{province_code: 51}")
    plan = parse(text, "qn.yaml")
    wards = directory(plan).expand("xa")
    assert wards and all(w.startswith("ward-") for w in wards)


# ------------------------------------------------------------------------ units between dates


def _owing(plan_path: Path, duty: str, unit: str, day: str) -> tuple[str, ...]:
    plan = load(plan_path)
    d = directory(plan)
    (a,) = [x for x in d.assignments() if x.duty_id == duty and x.unit_id == unit]
    return d.owing(a, dt.date.fromisoformat(day))


def test_a_district_owes_until_its_last_day_and_its_successor_communes_after() -> None:
    assert _owing(REFORM, "bao-cao-nam", "old-district-297", "2024-12-16") == ("old-district-297",)
    after = _owing(REFORM, "bao-cao-nam", "old-district-297", "2025-12-15")
    assert len(after) == 114 and all(u.startswith("ward-") for u in after)


def test_a_commune_from_the_reform_owes_nothing_before_it() -> None:
    plan = load(REFORM)
    d = directory(plan)
    ward = d.expand("xa-phuong")[0]
    assignment = Assignment("bao-cao-nam", ward, d.assignments()[0].role, "xa-phuong",
                            d.dated("xa-phuong")[ward])
    assert d.owing(assignment, dt.date(2024, 12, 16)) == ()
    assert d.owing(assignment, dt.date(2025, 12, 15)) == (ward,)


def test_the_standing_office_follows_its_successor() -> None:
    plan = load(REFORM)
    assert plan.office_on("so-ldtbxh", dt.date(2025, 2, 28)) == "so-ldtbxh"
    assert plan.office_on("so-ldtbxh", dt.date(2025, 3, 1)) == "so-y-te"
    assert plan.office_on("ubnd-tinh", dt.date(2025, 7, 1)) == "ubnd-hp"
    haiduong = load(Path(__file__).resolve().parents[2] / "responsibilities"
                    / "haiduong-787-2021-2025.yaml")
    assert haiduong.office_on("pc02", dt.date(2025, 6, 30)) == "pc02"
    assert haiduong.office_on("pc02", dt.date(2025, 7, 1)) == "pc02-cahp"
    assert haiduong.office_on("giam-doc-cat", dt.date(2025, 12, 1)) == "giam-doc-cahp"
    districts = [a for a in haiduong.agencies if a.kind.value == "district"]
    assert len(districts) == 12
    assert all(a.valid_to == dt.date(2025, 2, 28) and a.successor is None for a in districts)
    assert all("01/03/2025" in (a.assumption or "") for a in districts)


# --------------------------------------------------------------------------- periods in a plan


def test_periods_inside_a_plan() -> None:
    plan = load(PERIODS)
    dues = {d.id: duty_occurrences(plan, d) for d in plan.duties}
    yearly = dues["bao-cao-nam"]
    assert [(d.period.label, d.period.end, d.effective) for d in yearly] == [
        ("2024", dt.date(2024, 12, 31), dt.date(2024, 12, 16)),
        ("2025", dt.date(2025, 6, 30), dt.date(2025, 6, 30)),  # cut at the plan's end
    ]
    monthly = dues["bao-cao-thang"]
    assert monthly[0].period.label == "2024-07" and len(monthly) == 12  # from July 2024
    assert [d.period.label for d in dues["bao-cao-quy-2024"]] == [
        "2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]  # ends with 2024


def test_a_yearly_report_due_31_12_stays_in_its_year() -> None:
    text = PERIODS.read_text(encoding="utf-8").replace(
        "{start: 2024-01-01, end: 2025-06-30}", "{start: 2022-01-01, end: 2023-12-31}"
    ).replace("    active_from: 2024-07-01\n", "").replace("    active_to: 2024-12-31\n", "")
    plan = parse(text, "p.yaml")
    (first, _) = duty_occurrences(plan, plan.duty("bao-cao-31-12"))
    assert first.nominal == dt.date(2022, 12, 31)  # a Saturday
    assert first.effective == dt.date(2022, 12, 30)  # the Friday before, not January 2023


# -------------------------------------------------------------------------- mistakes, on lines

MISTAKES = [
    (REFORM, "valid_from: 2025-03-01}", "valid_from: 2025-03-01, valid_to: 2025-01-01}",
     "valid_from: 2025-03-01", "đứng trước 'valid_from'", "is before 'valid_from'"),
    (REFORM, "    valid_to: 2025-06-30\n    successor: xa-phuong\n", "    successor: xa-phuong\n",
     "- id: huyen", "chỉ có nghĩa khi có ngày kết thúc", "needs the day it ends"),
    (REFORM, "successor: xa-phuong", "successor: xa-phuong-moi", "successor: xa-phuong-moi",
     "không có cơ quan hoặc nhóm 'xa-phuong-moi' (đơn vị kế thừa)", "unknown successor"),
    (REFORM, "successor: so-y-te", "successor: ubnd-hp", "valid_to: 2025-02-28, successor: ubnd-hp",
     "không tồn tại vào ngày 01/03/2025", "does not exist on 01/03/2025"),
    (REFORM, "valid_to: 2025-02-28, successor: so-y-te,", "valid_to: 2025-02-28,",
     "standing_office: so-ldtbxh", "không có cơ quan đảm nhận vào ngày 01/03/2025",
     "has no agency acting on 01/03/2025"),
    (REFORM, "    lead: [huyen]\n    cadence: {kind: yearly",
     "    lead: [xa-phuong]\n    active_to: 2025-06-30\n    cadence: {kind: yearly",
     "lead: [xa-phuong]", "nhiệm vụ sẽ không ai phải thực hiện", "owed by nobody"),
    (PERIODS, "    active_to: 2024-12-31\n", "    active_to: 2024-12-31\n    active_from: 2025-01-01\n",
     "- id: bao-cao-quy-2024", "đứng trước 'active_from'", "is before 'active_from'"),
    (PERIODS, "    active_from: 2024-07-01\n", "    active_from: 2026-07-01\n",
     "cadence: {kind: monthly", "không cho kỳ báo cáo nào", "no period"),
]


@pytest.mark.parametrize(("path", "old", "new", "at", "vi", "en"), MISTAKES,
                         ids=[m[4][:30] for m in MISTAKES])
def test_each_mistake_is_said_on_its_line_in_vietnamese(
    tmp_path: Path, path: Path, old: str, new: str, at: str, vi: str, en: str
) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    broken = text.replace(old, new, 1)
    target = tmp_path / "broken.yaml"
    target.write_text(broken, encoding="utf-8")
    with pytest.raises(PlanError) as caught:
        load(target)
    found = [p for p in caught.value.problems if vi in p.text("vi")]
    assert found, [p.text("vi") for p in caught.value.problems]
    problem = found[0]
    assert str(problem).startswith(f"{target}:{_line(broken, at)}: ")
    assert en in problem.text("en") and "Traceback" not in str(caught.value)
