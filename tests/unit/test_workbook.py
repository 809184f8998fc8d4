"""The plan as a workbook: exact round trip, the clerk's affordances, errors named by sheet/row/column."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from pydantic import BaseModel
from typer.testing import CliRunner

from phancong.adapters.loader import load, parse
from phancong.authoring import sheets as S
from phancong.authoring.problems import WorkbookError
from phancong.authoring.workbook_export import export_workbook
from phancong.authoring.workbook_import import read_workbook
from phancong.cli import app
from phancong.domain.cadence import Anchor, DeadlineRule, HolidayPolicy
from phancong.domain.citation import fmt_citation
from phancong.domain.plan import Plan
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
    assert duties["B2"].value == fmt_citation(plan.duties[0].source)  # 'Mục IV.1, gạch đầu dòng 1'
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
    cadences = {lists.cell(r, 3).value for r in range(2, 2 + len(S.CADENCE_WORDS))}
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


def _rich_plan() -> Plan:
    """A plan using what the shipped plans do not: per-duty ladder, indicators (their kinds and a
    weight), default deadlines, holiday policies, English names, parents, one-off and restricted
    cadences, odd text, level names, consolidations, recipients, other citations,
    reporting-calendar entries, assumptions on agencies, groups and calendar entries, units and
    groups that end mid-plan with a successor, a group of the districts before 1/7/2025, duties
    active for part of the plan, a dependency on periods of another length, required evidence,
    amendments — every field of the model with a value other than its
    default (checked by test_the_all_fields_plan_sets_every_field_of_the_model)."""
    data = load(MINI).model_dump(mode="json")
    data["plan"].update(
        number="12/KH-UBND", issued="2024-12-20", period={"start": "2025-01-01", "end": "2026-12-31"}, holiday_policy="previous_working_day",
        support_lead_days=3, portal_email_domain="example.test", timezone="Asia/Bangkok",
        default_deadlines={"quarterly": {"day": 10, "anchor": "next_month"},
                           "semiannual": {"day": 15, "before": True},
                           "yearly": {"day": 30, "month": 11, "holiday_policy": "keep"}},
        level_names={"standing_office": "Sở Lao động – Thương binh và Xã hội",
                     "steering_committee": "UBND tỉnh",
                     "standing_office_en": "Department of Labour",
                     "steering_committee_en": "Provincial People's Committee"},
        amendments=[{"effective": "2026-07-01", "number": "45/KH-UBND", "issued": "2026-06-20",
                     "note": "Bổ sung nhiệm vụ;\n«Tháng hành động»."},
                    {"effective": "2026-10-01"}],
    )  # fmt: skip
    data["ladder"] = {"day_count": "calendar", "reminder_before": 7, "overdue_notice_after": 2,
                      "standing_office_after": 9, "steering_committee_after": 30}  # fmt: skip
    data["agencies"][1].update(name_en="Criminal Police", short="PC02", language="en")
    data["agencies"].append({"id": "pa05", "name": "Phòng An ninh mạng", "parent": "ca",
                             "valid_from": "2026-01-01", "valid_to": "2026-06-30",
                             "successor": "ca", "assumption": "Sáp nhập 1/7/2026: giả định."})  # fmt: skip
    data["groups"][0]["assumption"] = "Các đơn vị: giả định."
    data["groups"].append({"id": "xa", "name": "UBND các xã, phường", "name_en": "Communes",
                           "members": ["vks"],
                           "valid_from": "2025-07-01",
                           "wards_of": {"province_code": 48, "email_pattern": "{codename}@x.test"}})
    data["groups"].append({"id": "huyen", "name": "UBND các quận, huyện (cũ)",
                           "valid_to": "2025-06-30", "successor": "xa",
                           "wards_of": {"province_code": 48, "level": "district"}})  # fmt: skip
    data["duties"][0].update(
        text="= không phải công thức\n  thụt đầu dòng, dòng cuối trống\n",
        title="Tuyên truyền; «trong» trường học",
        cadence={"kind": "quarterly", "only": [2, 4],
                 "deadline": {"day": 31, "anchor": "first_month", "holiday_policy": "next_working_day"}},
        ladder={"day_count": "calendar", "reminder_before": 1, "overdue_notice_after": 2,
                "standing_office_after": 3, "steering_committee_after": 4},
        indicators=[{"id": "ty-le", "name": "Tỷ lệ trường", "kind": "percent", "unit": "%",
                     "target": 95.5, "weight": "so-truong"},
                    {"id": "so-truong", "name": "Số trường", "kind": "count"},
                    {"id": "muc", "name": "Mức", "kind": "yes_no", "target_text": "Hằng năm"}],
        assumption="Giả định: thử.", owner_role="requested", lead=["xa", "sgd"],
        also_cites=["Mục IV.1, gạch đầu dòng 2", "Điều 5 khoản 2 điểm a", "III.5, paragraph 2"],
    )  # fmt: skip
    data["duties"][1].update(cadence={"kind": "periodic", "entries": ["q", "y"]},
                             evidence="required")  # fmt: skip
    data["duties"][2].update(due_after_inputs=5, recipients=["bcd", "vks"],
                             cadence={"kind": "periodic", "entries": ["q", "y"]})  # fmt: skip
    data["duties"].append({"id": "once", "title": "Một lần", "text": "Nộp kế hoạch.",
                           "source": "III.5.1, paragraph 1", "lead": ["pc02"],
                           "cadence": {"kind": "once", "due": "2026-02-28"},
                           "depends_on": ["d1", "report"], "depends_on_period": "latest_before"})  # fmt: skip
    data["duties"].append({"id": "thang-hanh-dong", "title": "Tháng hành động", "text": "Tổ chức.",
                           "source": "Điều 3, khoản 1", "lead": ["sgd"],
                           "active_from": "2026-03-01", "active_to": "2026-11-30",
                           "cadence": {"kind": "yearly", "deadline": {
                               "day": 15, "month": 7, "before": True, "holiday_policy": "keep"}}})  # fmt: skip
    data["duties"].append({"id": "su-viec", "title": "Báo cáo vụ việc", "text": "Báo cáo kịp thời.",
                           "source": "IV.12, bullet 8", "lead": ["sgd"],
                           "cadence": {"kind": "on_event", "within": 7, "day_count": "calendar"}})  # fmt: skip
    data["reporting_calendar"][0].update(source="V.1", assumption="Quý: giả định.")
    data["reporting_calendar"][0]["cadence"]["deadline"] = {
        "day": 20, "anchor": "first_month", "holiday_policy": "keep"}  # fmt: skip
    data["reporting_calendar"][2]["cadence"]["deadline"] = {"day": 15, "month": 12, "before": True}
    return parse(yaml.safe_dump(data, allow_unicode=True), "rich.yaml")


def test_every_field_of_the_model_round_trips(tmp_path: Path) -> None:
    plan = _rich_plan()
    assert plan.duties[0].also_cites == (
        "IV.1, bullet 2", "Article 5, clause 2, point a", "III.5, paragraph 2"
    )  # fmt: skip
    book = tmp_path / "rich.xlsx"
    export_workbook(plan, book)
    assert read_workbook(book) == plan
    out = tmp_path / "rich.yaml"
    result = CliRunner().invoke(app, ["plan", "import", str(book), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert load(out) == plan


# Fields the model itself refuses to set where they are reached (a reporting-calendar entry is
# never a one-off nor periodic, so it has neither 'due' nor 'entries').
_UNSETTABLE = {
    ("reporting_calendar", "cadence", "due"),
    ("reporting_calendar", "cadence", "entries"),
    ("reporting_calendar", "cadence", "within"),  # nor event-triggered
    ("reporting_calendar", "cadence", "day_count"),
}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _fields(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every leaf field of the model, as a path of field names (lists and dicts walked through)."""
    paths: list[tuple[str, ...]] = []
    for name, info in model.model_fields.items():
        nested = _models_in(info.annotation)
        if nested:
            for inner in nested:
                paths += _fields(inner, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


def _values(value: Any, path: tuple[str, ...]) -> list[Any]:
    if isinstance(value, tuple | list):
        return [v for item in value for v in _values(item, path)]
    if isinstance(value, dict):
        return [v for item in value.values() for v in _values(item, path)]
    if value is None:
        return []
    if not path:
        return [value]
    return _values(getattr(value, path[0]), path[1:])


def _default(model: type[BaseModel], path: tuple[str, ...]) -> Any:
    for name in path[:-1]:
        model = _models_in(model.model_fields[name].annotation)[0]
    info = model.model_fields[path[-1]]
    return info.get_default(call_default_factory=True) if not info.is_required() else None


def test_the_all_fields_plan_sets_every_field_of_the_model() -> None:
    """Fails when the plan model gains a field the all-fields plan does not set to a value of its
    own — and so a field the round trip above does not prove the workbook carries. Set it in
    _rich_plan, and carry it in the workbook (sheets.py, workbook_export, workbook_import)."""
    plan = _rich_plan()
    paths = _fields(Plan)
    assert ("duties", "cadence", "deadline", "month") in paths  # the walk reaches nested models
    assert ("plan", "level_names", "steering_committee_en") in paths
    unset = [
        ".".join(path)
        for path in paths
        if path not in _UNSETTABLE
        and not any(v != _default(Plan, path) for v in _values(plan, path))
    ]
    assert unset == [], f"fields the all-fields plan leaves at their default: {unset}"


def test_unknown_province_code(tmp_path: Path) -> None:
    def edit(book: Workbook) -> None:
        book[S.GROUPS]["E2"] = 3  # no province has code 3 since 2025

    assert (
        "Trang «Nhóm», dòng 2, cột E (Mọi xã, phường của tỉnh (mã)): không có tỉnh, thành phố nào mã 3"
        in (_problems(_edited(tmp_path, edit)))
    )


def test_new_columns_name_their_problems(tmp_path: Path) -> None:
    def unknown(book: Workbook) -> None:
        sheet = book[S.DUTIES]
        sheet[f"{_col('entries')}2"] = "q; khong-co-ky"
        sheet[f"{_col('recipients')}3"] = "bcd; noi-nhan-khong-co"

    path = _edited(tmp_path, unknown)
    text = _problems(path)
    assert (
        f"Trang «Phân công nhiệm vụ», dòng 2, cột {_col('entries')} (Theo các kỳ báo cáo): "
        "lịch báo cáo không có kỳ 'khong-co-ky'"
    ) in text
    assert (
        f"Trang «Phân công nhiệm vụ», dòng 3, cột {_col('recipients')} (Nơi nhận báo cáo): "
        "không có cơ quan hay nhóm nào mã 'noi-nhan-khong-co'"
    ) in text
    assert "unknown reporting entry 'khong-co-ky'" in _problems(path, "en")

    def unreadable(book: Workbook) -> None:
        sheet = book[S.DUTIES]
        sheet[f"{_col('also_cites')}2"] = "IV.1, gạch đầu dòng 2; không phải trích dẫn"
        sheet[f"{_col('cadence')}3"] = "hằng năm"
        sheet[f"{_col('deadline')}3"] = "trước ngày 15, tháng cuối kỳ, dời sang ngày làm việc"

    path = _edited(tmp_path, unreadable)
    text = _problems(path)
    assert (
        f"Trang «Phân công nhiệm vụ», dòng 2, cột {_col('also_cites')} (Trích dẫn khác): "
        "không đọc được căn cứ 'không phải trích dẫn'"
    ) in text
    assert (
        f"dòng 3, cột {_col('deadline')} (Quy tắc hạn): hạn 'trước ngày' không thể lùi sang"
    ) in text
    english = _problems(path, "en")
    assert "cannot read the citation 'không phải trích dẫn'" in english
    assert "a deadline 'before' a date cannot move to the next working day" in english
    assert "không đọc được" not in english

    def days_in_words(book: Workbook) -> None:
        book[S.DUTIES][f"{_col('due_after_inputs')}4"] = "năm ngày"

    assert (
        f"Trang «Phân công nhiệm vụ», dòng 4, cột {_col('due_after_inputs')} (Hạn sau đầu vào"
        " (ngày làm việc)): 'năm ngày' không phải số nguyên"
    ) in _problems(_edited(tmp_path, days_in_words))


def test_deadline_rules_are_written_and_read_in_words() -> None:
    rules = [
        DeadlineRule(day=15, before=True, holiday_policy=HolidayPolicy.PREVIOUS_WORKING_DAY),
        DeadlineRule(day=15, month=11),
        DeadlineRule(day=10, anchor=Anchor.NEXT_MONTH, month=7, holiday_policy=HolidayPolicy.KEEP),
        DeadlineRule(day=31, anchor=Anchor.FIRST_MONTH),
    ]
    shown = [S.fmt_rule(rule) for rule in rules]
    assert shown[:2] == [
        "trước ngày 15, tháng cuối kỳ, lùi về ngày làm việc trước",
        "ngày 15 tháng 11",
    ]
    assert [DeadlineRule.model_validate(S.rule_fields(text)) for text in shown] == rules
    # the codes are read too, and what is not a rule is refused
    assert S.rule_fields("15, last_month, before, previous_working_day") == {
        "day": 15, "anchor": "last_month", "holiday_policy": "previous_working_day",
        "before": True}  # fmt: skip
    assert S.rule_fields("15/11") == {"day": 15, "anchor": "last_month", "month": 11}
    for bad in ("ngày 15", "ngày 15, tháng cuối kỳ, sáng thứ hai", "ngày 15,", "ngày 15 tháng 13"):
        assert S.rule_fields(bad) is None, bad


def test_enumerated_values_have_dropdowns(tmp_path: Path) -> None:
    path = tmp_path / "rich.xlsx"
    export_workbook(_rich_plan(), path)
    book = load_workbook(path)
    lists = book[S.LISTS]
    listed = {
        lists.cell(1, c).value: [
            lists.cell(r, c).value for r in range(2, lists.max_row + 1) if lists.cell(r, c).value
        ]
        for c in range(1, lists.max_column + 1)
    }

    def validated(sheet: str) -> dict[str, str]:
        return {
            str(r.sqref).split(":")[0].rstrip("0123456789"): r.formula1
            for r in book[sheet].data_validations.dataValidation
        }

    duties = validated(S.DUTIES)
    for key in ("lead", "supporting", "requested", "recipients", "entries", "cadence",
                "depends_on_period", "evidence"):  # fmt: skip
        assert "Danh mục" in duties[_col(key)], key
    for key in ("active_from", "active_to"):
        assert duties[_col(key)] == "1", key  # a date check (a warning: text dates are read too)
    assert "Danh mục" in validated(S.INDICATORS)[_letter(S.INDICATOR_COLUMNS, "kind")]
    for sheet, columns in ((S.AGENCIES, S.AGENCY_COLUMNS), (S.GROUPS, S.GROUP_COLUMNS)):
        assert "Danh mục" in validated(sheet)[_letter(columns, "successor")], sheet
    assert "Danh mục" in validated(S.GROUPS)[_letter(S.GROUP_COLUMNS, "level")]
    assert listed["Kỳ phụ thuộc"] == list(S.DEPENDENCY_WORDS.values())
    assert listed["Minh chứng"] == list(S.EVIDENCE_WORDS.values())
    assert listed["Loại chỉ tiêu"] == list(S.INDICATOR_KIND_WORDS.values())
    assert listed["Cấp đơn vị của tỉnh"] == list(S.LEVEL_WORDS.values())
    # each dropdown's range covers exactly its list on «Danh mục»
    for sheet in (S.DUTIES, S.INDICATORS, S.GROUPS):
        for formula in validated(sheet).values():
            if "Danh mục" not in formula or "$A$" in formula:
                continue
            col, last = formula.split("!$")[1].split("$2:$")[0], formula.rsplit("$", 1)[1]
            title = lists[f"{col}1"].value
            assert int(last) == len(listed[title]) + 1, (sheet, title)
    assert listed["Kỳ báo cáo"] == ["q", "h", "y"]
    assert set(listed["Hạn rơi vào ngày nghỉ"]) == set(S.HOLIDAY_WORDS.values())
    assert set(listed["Cách tính ngày"]) == set(S.DAY_COUNT_WORDS.values())
    assert listed["Ngôn ngữ"] == ["vi", "en"]
    assert "Danh mục" in validated(S.LADDER)["B"]
    agency_cols = {c.key: S.column_letter(i) for i, c in enumerate(S.AGENCY_COLUMNS, 1)}
    assert "Danh mục" in validated(S.AGENCIES)[agency_cols["language"]]
    header = book[S.HEADER]
    policy = next(
        r for r in range(2, header.max_row + 1) if header.cell(r, 1).value == "holiday_policy"
    )
    assert "Danh mục" in validated(S.HEADER)["C"] and header.cell(policy, 3).value == (
        "lùi về ngày làm việc trước"
    )


def _rich_edited(tmp_path: Path, edit: Callable[[Workbook], None]) -> Path:
    path = tmp_path / "rich.xlsx"
    export_workbook(_rich_plan(), path)
    book = load_workbook(path)
    edit(book)
    book.save(path)
    return path


def _letter(columns: tuple[S.Column, ...], key: str) -> str:
    return next(S.column_letter(i) for i, c in enumerate(columns, 1) if c.key == key)


def _row_of(book: Workbook, sheet: str, ident: str, key: str = "id") -> int:
    found = book[sheet]
    column = [c.key for c in S.COLUMNS[sheet]].index(key) + 1
    return next(r for r in range(2, found.max_row + 1) if found.cell(r, column).value == ident)


def test_the_new_fields_name_their_problems(tmp_path: Path) -> None:
    rows: dict[str, int] = {}

    def edit(book: Workbook) -> None:
        rows["ty-le"] = _row_of(book, S.INDICATORS, "ty-le")
        rows["so-truong"] = _row_of(book, S.INDICATORS, "so-truong")
        rows["once"] = _row_of(book, S.DUTIES, "once")
        rows["pc02"] = _row_of(book, S.AGENCIES, "pc02")
        indicators = book[S.INDICATORS]
        indicators[f"{_letter(S.INDICATOR_COLUMNS, 'kind')}{rows['so-truong']}"] = "phần trăm"
        indicators[f"{_letter(S.INDICATOR_COLUMNS, 'weight')}{rows['ty-le']}"] = "muc"
        duties = book[S.DUTIES]
        duties[f"{_col('depends_on_period')}{rows['once']}"] = "bất kỳ"
        duties[f"{_col('evidence')}2"] = "có thể"
        duties[f"{_col('active_from')}2"] = "1/13/2026"
        agencies = book[S.AGENCIES]
        agencies[f"{_letter(S.AGENCY_COLUMNS, 'successor')}{rows['pc02']}"] = "ca"
        book[S.AMENDMENTS]["A3"] = "mùng 1"
        book[S.GROUPS][f"{_letter(S.GROUP_COLUMNS, 'level')}2"] = "cấp tỉnh"

    path = _rich_edited(tmp_path, edit)
    text = _problems(path)
    kind, weight = _letter(S.INDICATOR_COLUMNS, "kind"), _letter(S.INDICATOR_COLUMNS, "weight")
    assert (
        f"Trang «Chỉ tiêu», dòng {rows['so-truong']}, cột {kind} (Loại chỉ tiêu): 'phần trăm'"
        " không phải loại chỉ tiêu (có/không, số lượng, tỷ lệ %, giá trị)"
    ) in text
    assert (
        f"Trang «Phân công nhiệm vụ», dòng {rows['once']}, cột {_col('depends_on_period')}"
        " (Kỳ phụ thuộc): 'bất kỳ' không phải cách chọn kỳ phụ thuộc"
    ) in text
    assert f"dòng 2, cột {_col('evidence')} (Minh chứng (tệp báo cáo)): 'có thể'" in text
    assert f"dòng 2, cột {_col('active_from')} (Áp dụng từ ngày): '1/13/2026' không phải" in text
    assert "Trang «Sửa đổi», dòng 3, cột A (Hiệu lực từ ngày): 'mùng 1' không phải ngày" in text
    assert (
        f"Trang «Nhóm», dòng 2, cột {_letter(S.GROUP_COLUMNS, 'level')} (Cấp đơn vị của tỉnh):"
        " 'cấp tỉnh' không phải cấp đơn vị của tỉnh"
    ) in text
    english = _problems(path, "en")
    assert "'phần trăm' is not a kind of indicator (yes_no, count, percent, value)" in english
    assert "'bất kỳ' is not a dependency rule (same_period, within, latest_before)" in english
    assert "Sheet 'Sửa đổi', row 3, column A (Hiệu lực từ ngày)" in english

    # cell by cell fine, the model's checks are named at the cell they are about
    def model(book: Workbook) -> None:
        edit(book)
        indicators = book[S.INDICATORS]
        indicators[f"{kind}{rows['so-truong']}"] = "số lượng"
        book[S.DUTIES][f"{_col('depends_on_period')}{rows['once']}"] = "cùng kỳ"
        book[S.DUTIES][f"{_col('evidence')}2"] = "bắt buộc có tệp"
        book[S.DUTIES][f"{_col('active_from')}2"] = None
        book[S.AMENDMENTS]["A3"] = dt.datetime(2026, 10, 1)
        book[S.GROUPS][f"{_letter(S.GROUP_COLUMNS, 'level')}2"] = None

    path = _rich_edited(tmp_path, model)
    text = _problems(path)
    successor = _letter(S.AGENCY_COLUMNS, "successor")
    assert (
        f"Trang «Cơ quan», dòng {rows['pc02']}, cột {successor} (Đơn vị kế thừa): 'successor'"
        " chỉ có nghĩa khi có ngày kết thúc"
    ) in text
    assert (
        f"Trang «Chỉ tiêu», dòng {rows['ty-le']}, cột {weight} (Trọng số (mã chỉ tiêu đếm)):"
        " chỉ tiêu 'ty-le' được tính theo trọng số 'muc'"
    ) in text
    assert f"Sheet 'Cơ quan', row {rows['pc02']}, column {successor}" in _problems(path, "en")

    def unlinked(book: Workbook) -> None:
        book[S.DUTIES][f"{_col('depends_on_period')}{_row_of(book, S.DUTIES, 'once')}"] = "cùng kỳ"

    text = _problems(_rich_edited(tmp_path, unlinked))
    assert (
        f"cột {_col('depends_on')} (Phụ thuộc): 'd1' không nối được kỳ nào của 'once' theo"
        " «Kỳ phụ thuộc» (same_period); khi các kỳ khác độ dài, chọn «các kỳ nằm trong kỳ»"
    ) in text


def test_a_workbook_without_the_amendments_sheet_reads_as_before(tmp_path: Path) -> None:
    def edit(book: Workbook) -> None:
        del book[S.AMENDMENTS]

    plan = read_workbook(_rich_edited(tmp_path, edit))
    assert plan.plan.amendments == () and plan.duties == _rich_plan().duties
