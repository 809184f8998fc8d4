"""The plan as a workbook: exact round trip, the clerk's affordances, errors named by sheet/row/column."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from typer.testing import CliRunner

from phancong.adapters.loader import load, parse
from phancong.authoring import sheets as S
from phancong.authoring.problems import WorkbookError
from phancong.authoring.workbook_export import export_workbook
from phancong.authoring.workbook_import import read_workbook
from phancong.cli import app
from tests.helpers import HAIDUONG, HANOI, MINI

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("path", [HANOI, HAIDUONG, MINI], ids=lambda p: p.stem)
def test_round_trip_gives_the_same_plan(path: Path, tmp_path: Path) -> None:
    plan = load(path)
    book = tmp_path / "plan.xlsx"
    export_workbook(plan, book)
    assert read_workbook(book) == plan
    out = tmp_path / "back.yaml"
    result = CliRunner().invoke(app, ["plan", "import", str(book), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert load(out) == plan


def test_workbook_has_the_appendix_shape_dropdowns_and_frozen_headers(tmp_path: Path) -> None:
    plan = load(HANOI)
    book_path = tmp_path / "hanoi.xlsx"
    result = CliRunner().invoke(app, ["plan", "export", str(HANOI), "--xlsx", str(book_path)])
    assert result.exit_code == 0, result.output
    book = load_workbook(book_path)
    assert book.sheetnames[0] == "Phân công nhiệm vụ"
    assert set(book.sheetnames) == set(S.SHEET_ORDER)
    duties = book[S.DUTIES]
    titles = [c.value for c in duties[1]]
    for wanted in (
        "STT",
        "Trích dẫn",
        "Nhiệm vụ",
        "Nội dung đầy đủ",
        "Cơ quan chủ trì",
        "Cơ quan phối hợp",
        "Cơ quan được đề nghị",
        "Chu kỳ",
        "Quy tắc hạn",
        "Phụ thuộc",
        "Chỉ tiêu",
    ):
        assert wanted in titles
    assert duties.max_row == len(plan.duties) + 1
    assert duties["B2"].value == plan.duties[0].source
    for name in (S.DUTIES, S.AGENCIES, S.GROUPS, S.CALENDAR, S.LADDER):
        assert book[name].freeze_panes in ("A2", "B2")
    validated = {
        str(r.sqref).split(":")[0][:-1]: r.formula1 for r in duties.data_validations.dataValidation
    }
    column = {c.key: S.column_letter(i) for i, c in enumerate(S.DUTY_COLUMNS, 1)}
    assert "Danh mục" in validated[column["lead"]]
    assert "Danh mục" in validated[column["owner_role"]]
    assert "Danh mục" in validated[column["cadence"]]
    lists = book[S.LISTS]
    refs = {lists.cell(r, 1).value for r in range(2, lists.max_row + 1)}
    assert {"catp", "xa-phuong"} <= refs
    cadences = {lists.cell(r, 3).value for r in range(2, 8)}
    assert cadences == set(S.CADENCE_WORDS.values())
    # the group of every ward says how it expands
    groups = book[S.GROUPS]
    row = next(r for r in range(2, groups.max_row + 1) if groups.cell(r, 1).value == "xa-phuong")
    assert groups.cell(row, 5).value == 1 and "(126 đơn vị)" in groups.cell(row, 7).value
    # fitted widths: the full-text column is wide, the STT column narrow
    assert (
        duties.column_dimensions["A"].width <= 10 < duties.column_dimensions[column["text"]].width
    )


# ---- errors


def _exported(tmp_path: Path) -> Path:
    path = tmp_path / "mini.xlsx"
    export_workbook(load(MINI), path)
    return path


def _edited(tmp_path: Path, edit: Callable[[Workbook], None]) -> Path:
    path = _exported(tmp_path)
    book = load_workbook(path)
    edit(book)
    book.save(path)
    return path


def _col(key: str) -> str:
    return next(S.column_letter(i) for i, c in enumerate(S.DUTY_COLUMNS, 1) if c.key == key)


def _problems(path: Path, lang: str = "vi") -> str:
    with pytest.raises(WorkbookError) as caught:
        read_workbook(path)
    return caught.value.report(lang)


def test_unknown_agency_is_named_by_sheet_row_and_column(tmp_path: Path) -> None:
    def edit(book: Workbook) -> None:
        book[S.DUTIES][f"{_col('supporting')}2"] = "ca; so-khong-co"

    path = _edited(tmp_path, edit)
    assert (
        f"Trang «Phân công nhiệm vụ», dòng 2, cột {_col('supporting')} (Cơ quan phối hợp): "
        "không có cơ quan hay nhóm nào mã 'so-khong-co'"
    ) in _problems(path)
    assert (
        f"Sheet 'Phân công nhiệm vụ', row 2, column {_col('supporting')} (Cơ quan phối hợp): "
        "unknown agency or group 'so-khong-co'"
    ) in _problems(path, "en")


def test_agencies_may_be_written_by_name(tmp_path: Path) -> None:
    def edit(book: Workbook) -> None:
        book[S.DUTIES][f"{_col('lead')}2"] = "Sở Giáo dục và Đào tạo"

    assert read_workbook(_edited(tmp_path, edit)).duties[0].lead == ("sgd",)


def test_bad_date(tmp_path: Path) -> None:
    def edit(book: Workbook) -> None:
        sheet = book[S.DUTIES]
        sheet[f"{_col('cadence')}3"] = "một lần"
        sheet[f"{_col('due')}3"] = "31/02/2026"

    text = _problems(_edited(tmp_path, edit))
    assert (
        f"Trang «Phân công nhiệm vụ», dòng 3, cột {_col('due')} (Hạn (một lần)): "
        "'31/02/2026' không phải ngày hợp lệ"
    ) in text


def test_dependency_cycle(tmp_path: Path) -> None:
    def edit(book: Workbook) -> None:
        book[S.DUTIES][f"{_col('depends_on')}3"] = "consolidated"  # report ↔ consolidated

    text = _problems(_edited(tmp_path, edit))
    assert "phụ thuộc vòng tròn" in text
    assert (
        "Trang «Phân công nhiệm vụ», dòng " in text
        and f"cột {_col('depends_on')} (Phụ thuộc)" in text
    )
    assert "dependency cycle" in _problems(_edited(tmp_path, edit), "en")


def test_merged_cells(tmp_path: Path) -> None:
    def edit(book: Workbook) -> None:
        book[S.DUTIES].merge_cells(f"{_col('supporting')}2:{_col('requested')}2")

    text = _problems(_edited(tmp_path, edit))
    assert (
        f"Trang «Phân công nhiệm vụ», dòng 2, cột {_col('supporting')} (Cơ quan phối hợp): ô gộp"
        in text
    )


def test_empty_required_cell(tmp_path: Path) -> None:
    def edit(book: Workbook) -> None:
        book[S.DUTIES][f"{_col('lead')}4"] = None

    assert (
        f"Trang «Phân công nhiệm vụ», dòng 4, cột {_col('lead')} (Cơ quan chủ trì): ô bắt buộc đang trống"
    ) in _problems(_edited(tmp_path, edit))


def test_extra_sheet(tmp_path: Path) -> None:
    def edit(book: Workbook) -> None:
        book.create_sheet("Ghi chú")

    text = _problems(_edited(tmp_path, edit))
    assert text.startswith("Trang «Ghi chú»: trang thừa")
    assert _problems(_edited(tmp_path, edit), "en").startswith("Sheet 'Ghi chú': unexpected sheet")


def test_bad_agency_sheet_value_and_header_date(tmp_path: Path) -> None:
    def edit(book: Workbook) -> None:
        book[S.AGENCIES]["E3"] = "không biết"
        header = book[S.HEADER]
        row = next(
            r for r in range(2, header.max_row + 1) if header.cell(r, 1).value == "period_end"
        )
        header.cell(row, 3).value = "hôm qua"

    text = _problems(_edited(tmp_path, edit))
    assert "Trang «Cơ quan», dòng 3, cột E (Loại): 'không biết' không phải loại cơ quan" in text
    assert "Trang «Kế hoạch», dòng" in text and "'hôm qua' không phải ngày hợp lệ" in text


def test_import_writes_nothing_when_the_workbook_is_invalid(tmp_path: Path) -> None:
    def edit(book: Workbook) -> None:
        book[S.DUTIES][f"{_col('lead')}2"] = "khong-co"

    path = _edited(tmp_path, edit)
    out = tmp_path / "out.yaml"
    result = CliRunner().invoke(app, ["plan", "import", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert "Không nhập được; chưa ghi gì." in result.output
    assert "dòng 2" in result.output and "'khong-co'" in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == [path]
    out.write_text("previous plan\n", encoding="utf-8")  # an earlier import stays as it was
    CliRunner().invoke(app, ["plan", "import", str(path), "--out", str(out)])
    assert out.read_text(encoding="utf-8") == "previous plan\n"
    assert sorted(tmp_path.iterdir()) == sorted([path, out])
    result = CliRunner().invoke(
        app, ["plan", "import", str(path), "--out", str(out), "--lang", "en"]
    )
    assert "Not imported; nothing written." in result.output and "row 2" in result.output


def test_a_clerks_edit_is_read(tmp_path: Path) -> None:
    def edit(book: Workbook) -> None:
        sheet = book[S.DUTIES]
        sheet[f"{_col('cadence')}2"] = "một lần"
        sheet[f"{_col('due')}2"] = dt.datetime(2026, 9, 30)
        sheet[f"{_col('text')}2"] = "=không phải công thức"

    path = _edited(tmp_path, edit)
    book = load_workbook(path)
    book[S.DUTIES][f"{_col('text')}2"].data_type = "s"
    book.save(path)
    duty = read_workbook(path).duties[0]
    assert duty.cadence.kind.value == "once" and duty.cadence.due == dt.date(2026, 9, 30)
    assert duty.text == "=không phải công thức"


def test_every_field_of_the_model_round_trips(tmp_path: Path) -> None:
    """A plan using what the shipped plans do not: per-duty ladder, indicators, default deadlines,
    holiday policies, English names, parents, one-off and restricted cadences, odd text."""
    data = load(MINI).model_dump(mode="json")
    data["plan"].update(
        number="12/KH-UBND", issued="2025-12-20", holiday_policy="keep", support_lead_days=3,
        portal_email_domain="example.test",
        default_deadlines={"quarterly": {"day": 10, "anchor": "next_month"},
                           "yearly": {"day": 31, "anchor": "last_month", "holiday_policy": "keep"}},
    )  # fmt: skip
    data["ladder"] = {"day_count": "calendar", "reminder_before": 7, "overdue_notice_after": 2,
                      "standing_office_after": 9, "steering_committee_after": 30}  # fmt: skip
    data["agencies"][1].update(name_en="Criminal Police", short="PC02", language="en")
    data["groups"].append({"id": "xa", "name": "UBND các xã, phường", "name_en": "Communes",
                           "members": ["vks"],
                           "wards_of": {"province_code": 48, "email_pattern": "{codename}@x.test"}})  # fmt: skip
    data["duties"][0].update(
        text="= không phải công thức\n  thụt đầu dòng, dòng cuối trống\n",
        title="Tuyên truyền; «trong» trường học",
        cadence={"kind": "quarterly", "only": [2, 4],
                 "deadline": {"day": 31, "anchor": "first_month", "holiday_policy": "next_working_day"}},
        ladder={"day_count": "working", "reminder_before": 1, "overdue_notice_after": 1,
                "standing_office_after": 2, "steering_committee_after": 3},
        indicators=[{"id": "ty-le", "name": "Tỷ lệ trường", "unit": "%", "target": 95.5},
                    {"id": "muc", "name": "Mức", "target_text": "Hằng năm"}],
        assumption="Giả định: thử.", owner_role="requested", lead=["xa", "sgd"],
    )  # fmt: skip
    data["duties"].append({"id": "once", "title": "Một lần", "text": "Nộp kế hoạch.",
                           "source": "III.5.1, paragraph 1", "lead": ["pc02"],
                           "cadence": {"kind": "once", "due": "2026-02-28"},
                           "depends_on": ["d1", "report"]})  # fmt: skip
    data["reporting_calendar"][0]["source"] = "V.1"
    plan = parse(yaml.safe_dump(data, allow_unicode=True), "rich.yaml")
    book = tmp_path / "rich.xlsx"
    export_workbook(plan, book)
    assert read_workbook(book) == plan


def test_unknown_province_code(tmp_path: Path) -> None:
    def edit(book: Workbook) -> None:
        book[S.GROUPS]["E2"] = 3  # no province has code 3 since 2025

    assert (
        "Trang «Nhóm», dòng 2, cột E (Mọi xã, phường của tỉnh (mã)): không có tỉnh, thành phố nào mã 3"
        in (_problems(_edited(tmp_path, edit)))
    )
