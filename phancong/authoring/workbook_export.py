"""Writes a plan as a workbook a Standing Office clerk can read and edit (openpyxl).

The "Phân công nhiệm vụ" sheet has the shape of a plan's appendix table, one row per duty;
agencies, groups, the reporting calendar, the escalation ladder, indicators and the plan's
header have their own sheets. Agency, role and cadence cells carry dropdowns whose lists live
on the "Danh mục" sheet; header rows are frozen and columns sized to their content.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from phancong.adapters.loader import directory
from phancong.authoring import sheets as S
from phancong.authoring.workbook_write import date_cells, dropdown, list_range, put, write_table
from phancong.domain.agencies import Dated, Group
from phancong.domain.cadence import Cadence
from phancong.domain.citation import fmt_citation
from phancong.domain.plan import Duty, Plan


def export_workbook(plan: Plan, out: str | Path) -> None:
    """Write ``plan`` to ``out`` (.xlsx)."""
    build_workbook(plan).save(str(out))


def build_workbook(plan: Plan) -> Workbook:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for name in S.SHEET_ORDER:
        book.create_sheet(name)
    refs = [a.id for a in plan.agencies] + [g.id for g in plan.groups]
    _lists(book[S.LISTS], plan, refs)
    _duties(book[S.DUTIES], plan)
    _agencies(book[S.AGENCIES], plan)
    _groups(book[S.GROUPS], plan)
    _calendar(book[S.CALENDAR], plan)
    _ladder(book[S.LADDER], plan)
    _indicators(book[S.INDICATORS], plan)
    _header(book[S.HEADER], plan)
    _amendments(book[S.AMENDMENTS], plan)
    return book


def _cadence_cells(cadence: Cadence) -> dict[str, Any]:
    return {
        "cadence": S.CADENCE_WORDS[cadence.kind],
        "due": cadence.due,
        "only": ", ".join(str(n) for n in cadence.only),
        "deadline": S.fmt_rule(cadence.deadline) if cadence.deadline else None,
        "entries": S.join_list(cadence.entries),
        "within": S.fmt_within(cadence.within, cadence.day_count),
    }


def _duty_row(index: int, duty: Duty) -> dict[str, Any]:
    return {
        "stt": index,
        "source": fmt_citation(duty.source),  # in the clerk's words; read back in any style
        "id": duty.id,
        "title": duty.title,
        "text": duty.text,
        "lead": S.join_list(duty.lead),
        "owner_role": S.ROLE_WORDS[duty.owner_role],
        "supporting": S.join_list(duty.supporting),
        "requested": S.join_list(duty.requested),
        **_cadence_cells(duty.cadence),
        "depends_on": S.join_list(duty.depends_on),
        "depends_on_period": S.DEPENDENCY_WORDS[duty.depends_on_period],
        "due_after_inputs": duty.due_after_inputs,
        "recipients": S.join_list(duty.recipients),
        "also_cites": S.join_list([fmt_citation(c) for c in duty.also_cites]),
        "indicators": "\n".join(i.name for i in duty.indicators),
        "evidence": S.EVIDENCE_WORDS[duty.evidence],
        "active_from": duty.active_from,
        "active_to": duty.active_to,
        "assumption": duty.assumption,
    }


def _duties(sheet: Worksheet, plan: Plan) -> None:
    rows = [_duty_row(i, d) for i, d in enumerate(plan.duties, 1)]
    write_table(sheet, S.DUTY_COLUMNS, rows)
    count = max(len(rows), 1) + 200  # room for rows the clerk adds
    cols = {c.key: S.column_letter(i) for i, c in enumerate(S.DUTY_COLUMNS, 1)}
    refs = f"='{S.LISTS}'!$A$2:$A${len(plan.agencies) + len(plan.groups) + 1}"
    for key in ("lead", "supporting", "requested", "recipients"):
        dropdown(
            sheet,
            refs,
            [f"{cols[key]}2:{cols[key]}{count}"],
            strict=False,
            prompt="Chọn mã cơ quan hoặc nhóm; nhiều cơ quan cách nhau bằng dấu ;",
        )
    dropdown(
        sheet,
        list_range("H", max(len(plan.reporting_calendar), 1)),
        [f"{cols['entries']}2:{cols['entries']}{count}"],
        strict=False,
        prompt="Mã kỳ trên trang «Lịch báo cáo»; để trống = mọi kỳ; nhiều kỳ cách nhau bằng dấu ;",
    )
    dropdown(
        sheet,
        list_range("B", len(S.ROLE_WORDS)),
        [f"{cols['owner_role']}2:{cols['owner_role']}{count}"],
    )
    dropdown(
        sheet,
        list_range("C", len(S.CADENCE_WORDS)),
        [f"{cols['cadence']}2:{cols['cadence']}{count}"],
    )
    dropdown(
        sheet,
        list_range("J", len(S.DEPENDENCY_WORDS)),
        [f"{cols['depends_on_period']}2:{cols['depends_on_period']}{count}"],
        prompt="Các kỳ của nhiệm vụ phụ thuộc mà mỗi kỳ chờ: cùng kỳ (mặc định); các kỳ nằm"
        " trong kỳ (ví dụ báo cáo năm chờ các quý); kỳ gần nhất trước đó",
    )
    dropdown(
        sheet,
        list_range("K", len(S.EVIDENCE_WORDS)),
        [f"{cols['evidence']}2:{cols['evidence']}{count}"],
        prompt="«bắt buộc có tệp»: mỗi lần nộp phải kèm ít nhất một tệp báo cáo",
    )
    for key in ("active_from", "active_to"):
        date_cells(sheet, f"{cols[key]}2:{cols[key]}{count}")


def _dated_cells(item: Dated) -> dict[str, Any]:
    return {
        "valid_from": item.valid_from,
        "valid_to": item.valid_to,
        "successor": item.successor,
    }


def _dated_dropdowns(sheet: Worksheet, columns: Sequence[S.Column], count: int, refs: int) -> None:
    cols = {c.key: S.column_letter(i) for i, c in enumerate(columns, 1)}
    dropdown(
        sheet,
        f"='{S.LISTS}'!$A$2:$A${refs + 1}",
        [f"{cols['successor']}2:{cols['successor']}{count}"],
        strict=False,
        prompt="Cơ quan hoặc nhóm nhận lại phần việc đến hạn sau ngày «Tồn tại đến ngày»",
    )
    for key in ("valid_from", "valid_to"):
        date_cells(sheet, f"{cols[key]}2:{cols[key]}{count}")


def _agencies(sheet: Worksheet, plan: Plan) -> None:
    rows = [
        {
            "id": a.id,
            "name": a.name,
            "short": a.short,
            "name_en": a.name_en,
            "kind": S.KIND_WORDS[a.kind],
            "emails": S.join_list(a.emails),
            "parent": a.parent,
            "language": a.language,
            **_dated_cells(a),
            "assumption": a.assumption,
        }
        for a in plan.agencies
    ]
    write_table(sheet, S.AGENCY_COLUMNS, rows)
    count = len(rows) + 200
    cols = {c.key: S.column_letter(i) for i, c in enumerate(S.AGENCY_COLUMNS, 1)}
    dropdown(
        sheet, list_range("D", len(S.KIND_WORDS)), [f"{cols['kind']}2:{cols['kind']}{count}"]
    )
    dropdown(
        sheet,
        f"='{S.LISTS}'!$E$2:$E${len(plan.agencies) + 1}",
        [f"{cols['parent']}2:{cols['parent']}{count}"],
    )
    dropdown(
        sheet,
        list_range("I", len(S.LANGUAGE_WORDS)),
        [f"{cols['language']}2:{cols['language']}{count}"],
    )
    _dated_dropdowns(sheet, S.AGENCY_COLUMNS, count, len(plan.agencies) + len(plan.groups))


def _group_rule(group: Group, size: int) -> str:
    parts = []
    if group.wards_of is not None:
        units = "xã, phường" if group.wards_of.level == "commune" else "huyện (trước 1/7/2025)"
        parts.append(f"mọi {units} của tỉnh/thành phố mã {group.wards_of.province_code}")
    if group.members:
        parts.append("các thành viên liệt kê")
    return " và ".join(parts) + f" ({size} đơn vị)"


def _groups(sheet: Worksheet, plan: Plan) -> None:
    d = directory(plan)
    rows = []
    for g in plan.groups:
        size = len(d.expand(g.id))
        rows.append(
            {
                "id": g.id,
                "name": g.name,
                "name_en": g.name_en,
                "members": S.join_list(g.members),
                "province_code": g.wards_of.province_code if g.wards_of else None,
                "level": S.LEVEL_WORDS[g.wards_of.level] if g.wards_of else None,
                "email_pattern": g.wards_of.email_pattern if g.wards_of else None,
                "rule": _group_rule(g, size),
                "size": size,
                **_dated_cells(g),
                "assumption": g.assumption,
            }
        )
    write_table(sheet, S.GROUP_COLUMNS, rows)
    count = len(rows) + 200
    cols = {c.key: S.column_letter(i) for i, c in enumerate(S.GROUP_COLUMNS, 1)}
    dropdown(
        sheet,
        list_range("M", len(S.LEVEL_WORDS)),
        [f"{cols['level']}2:{cols['level']}{count}"],
        prompt="Với mã tỉnh: cấp xã (mặc định) hoặc cấp huyện (chỉ trước 1/7/2025)",
    )
    _dated_dropdowns(sheet, S.GROUP_COLUMNS, count, len(plan.agencies) + len(plan.groups))


def _calendar(sheet: Worksheet, plan: Plan) -> None:
    rows = []
    for entry in plan.reporting_calendar:
        cells = _cadence_cells(entry.cadence)
        cells.pop("due")
        cells.pop("entries")  # a calendar entry is never periodic: it has no entries
        cells.pop("within")  # nor event-triggered
        rows.append(
            {
                "id": entry.id,
                "label": entry.label,
                **cells,
                "source": entry.source,
                "assumption": entry.assumption,
            }
        )
    write_table(sheet, S.CALENDAR_COLUMNS, rows)
    dropdown(sheet, list_range("C", len(S.CADENCE_WORDS)), [f"C2:C{len(rows) + 50}"])


def _ladder(sheet: Worksheet, plan: Plan) -> None:
    scoped = [(S.PLAN_SCOPE, plan.ladder)]
    scoped += [(d.id, d.ladder) for d in plan.duties if d.ladder is not None]
    rows = [
        {
            "scope": scope,
            "day_count": S.DAY_COUNT_WORDS[ladder.day_count],
            "reminder_before": ladder.reminder_before,
            "overdue_notice_after": ladder.overdue_notice_after,
            "standing_office_after": ladder.standing_office_after,
            "steering_committee_after": ladder.steering_committee_after,
        }
        for scope, ladder in scoped
        if ladder is not None
    ]
    write_table(sheet, S.LADDER_COLUMNS, rows)
    dropdown(sheet, list_range("G", len(S.DAY_COUNT_WORDS)), [f"B2:B{len(rows) + 200}"])


def _indicators(sheet: Worksheet, plan: Plan) -> None:
    rows = [
        {
            "duty": d.id,
            "id": i.id,
            "name": i.name,
            "kind": S.INDICATOR_KIND_WORDS[i.kind],
            "unit": i.unit,
            "target": i.target,
            "target_text": i.target_text,
            "weight": i.weight,
        }
        for d in plan.duties
        for i in d.indicators
    ]
    write_table(sheet, S.INDICATOR_COLUMNS, rows)
    cols = {c.key: S.column_letter(i) for i, c in enumerate(S.INDICATOR_COLUMNS, 1)}
    dropdown(
        sheet,
        list_range("L", len(S.INDICATOR_KIND_WORDS)),
        [f"{cols['kind']}2:{cols['kind']}{len(rows) + 200}"],
        prompt="có/không: tỷ lệ đơn vị trả lời có; số lượng: cộng tổng; tỷ lệ %: trung bình"
        " (có thể theo trọng số); giá trị: liệt kê",
    )


def _header(sheet: Worksheet, plan: Plan) -> None:
    h = plan.plan
    values: dict[str, Any] = {
        "id": h.id,
        "number": h.number,
        "title": h.title,
        "issuer": h.issuer,
        "issued": h.issued,
        "period_start": h.period.start,
        "period_end": h.period.end,
        "timezone": h.timezone,
        "standing_office": h.standing_office,
        "steering_committee": h.steering_committee,
        "holiday_policy": S.HOLIDAY_WORDS[h.holiday_policy],
        "support_lead_days": h.support_lead_days,
        "portal_email_domain": h.portal_email_domain,
        "level_standing_office": h.level_names.standing_office,
        "level_steering_committee": h.level_names.steering_committee,
        "level_standing_office_en": h.level_names.standing_office_en,
        "level_steering_committee_en": h.level_names.steering_committee_en,
    }
    rows = [{"key": k, "label": label, "value": values[k]} for k, label in S.HEADER_FIELDS]
    policy_row = 2 + [k for k, _ in S.HEADER_FIELDS].index("holiday_policy")
    for kind, rule in h.default_deadlines.items():
        rows.append(
            {
                "key": S.DEFAULT_DEADLINE_PREFIX + S.CADENCE_WORDS[kind],
                "label": "Quy tắc hạn mặc định của chu kỳ này",
                "value": S.fmt_rule(rule),
            }
        )
    write_table(sheet, S.HEADER_COLUMNS, rows)
    dropdown(sheet, list_range("F", len(S.HOLIDAY_WORDS)), [f"C{policy_row}"])


def _amendments(sheet: Worksheet, plan: Plan) -> None:
    rows = [
        {"effective": a.effective, "number": a.number, "issued": a.issued, "note": a.note}
        for a in plan.plan.amendments
    ]
    write_table(sheet, S.AMENDMENT_COLUMNS, rows)
    for key in ("effective", "issued"):
        letter = S.column_letter([c.key for c in S.AMENDMENT_COLUMNS].index(key) + 1)
        date_cells(sheet, f"{letter}2:{letter}{len(rows) + 50}")


def _lists(sheet: Worksheet, plan: Plan, refs: Sequence[str]) -> None:
    columns: list[tuple[str, Iterable[str]]] = [
        ("Cơ quan, nhóm", refs),
        ("Vai trò", S.ROLE_WORDS.values()),
        ("Chu kỳ", S.CADENCE_WORDS.values()),
        ("Loại cơ quan", S.KIND_WORDS.values()),
        ("Cơ quan", [a.id for a in plan.agencies]),
        ("Hạn rơi vào ngày nghỉ", S.HOLIDAY_WORDS.values()),
        ("Cách tính ngày", S.DAY_COUNT_WORDS.values()),
        ("Kỳ báo cáo", [e.id for e in plan.reporting_calendar]),
        ("Ngôn ngữ", S.LANGUAGE_WORDS.values()),
        ("Kỳ phụ thuộc", S.DEPENDENCY_WORDS.values()),
        ("Minh chứng", S.EVIDENCE_WORDS.values()),
        ("Loại chỉ tiêu", S.INDICATOR_KIND_WORDS.values()),
        ("Cấp đơn vị của tỉnh", S.LEVEL_WORDS.values()),
    ]
    for col, (title, values) in enumerate(columns, 1):
        sheet.cell(row=1, column=col, value=title).font = Font(bold=True)
        for row, value in enumerate(values, 2):
            put(sheet, row, col, value)
        sheet.column_dimensions[S.column_letter(col)].width = 24
    sheet.freeze_panes = "A2"
    sheet.sheet_state = "hidden"
