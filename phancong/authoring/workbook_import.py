"""Reads a plan workbook back into a validated :class:`Plan`, or names every problem.

Every problem is named by sheet, row and column (see :mod:`phancong.authoring.problems`);
the plan is returned only when the whole workbook is valid, so nothing is half-imported.
"""
from __future__ import annotations

import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import ValidationError

from phancong.adapters.wards import UnknownProvince, wards_of
from phancong.authoring import sheets as S
from phancong.authoring.problems import (
    CellProblem,
    WorkbookError,
)
from phancong.authoring.workbook_cells import Reader, Row, name_key
from phancong.authoring.workbook_sheets import ModelPath, Where
from phancong.authoring.workbook_sheets import cadence as _cadence
from phancong.authoring.workbook_sheets import cadence_paths as _cadence_paths
from phancong.authoring.workbook_sheets import first as _first
from phancong.authoring.workbook_sheets import header as _header
from phancong.authoring.workbook_validate import drop_none, validate_located
from phancong.domain.agencies import ProvinceWards
from phancong.domain.plan import Plan

REQUIRED_SHEETS = (S.DUTIES, S.AGENCIES, S.HEADER)


def read_workbook(path: str | Path) -> Plan:
    """The plan held in the workbook at ``path``; :class:`WorkbookError` lists every problem."""
    try:
        book = load_workbook(str(path))
    except FileNotFoundError:
        raise WorkbookError(
            [_whole(f"không tìm thấy tệp {path}", f"file not found: {path}")]
        ) from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise WorkbookError(
            [
                _whole(
                    f"{path} không phải tệp Excel (.xlsx) đọc được ({exc})",
                    f"{path} is not a readable Excel workbook (.xlsx): {exc}",
                )
            ]
        ) from None
    reader = Reader()
    for name in book.sheetnames:
        if name not in S.SHEET_ORDER:
            reader.add(
                (name, 0, "", ""),
                f"trang thừa; một kế hoạch chỉ có các trang {', '.join(S.SHEET_ORDER[:-1])}",
                f"unexpected sheet; a plan has only the sheets {', '.join(S.SHEET_ORDER[:-1])}",
            )
    for name in REQUIRED_SHEETS:
        if name not in book.sheetnames:
            reader.add((name, 0, "", ""), "thiếu trang này", "this sheet is missing")
    for name in book.sheetnames:
        if name not in S.COLUMNS:
            continue
        for merged in book[name].merged_cells.ranges:
            letter = S.column_letter(merged.min_col)
            reader.add(
                (name, merged.min_row, letter, str(book[name].cell(1, merged.min_col).value or "")),
                f"ô gộp {merged.coord}: hãy bỏ gộp ô, mỗi ô một giá trị",
                f"merged cells {merged.coord}: unmerge them, one value per cell",
            )
    if reader.problems:
        raise WorkbookError(reader.problems)
    rows = {
        name: list(reader.rows(book[name], S.COLUMNS[name]))
        for name in S.COLUMNS
        if name in book.sheetnames
    }
    data, where = _assemble(reader, rows)
    if reader.problems:
        raise WorkbookError(reader.problems)
    return validate_located(data, where)


def _whole(vi: str, en: str) -> CellProblem:
    return CellProblem("", 0, "", "", vi, en)


def _names(rows: dict[str, list[Row]], reader: Reader) -> dict[str, str]:
    """Agency and group references by id, name or short name → id."""
    names: dict[str, str] = {}
    for sheet in (S.AGENCIES, S.GROUPS):
        for row in rows.get(sheet, []):
            ident = reader.text(row, "id")
            if not ident:
                continue
            for key in ("name", "short"):
                label = row.cells.get(key)
                if isinstance(label, str):
                    names.setdefault(name_key(label), ident)
    for sheet in (S.AGENCIES, S.GROUPS):
        for row in rows.get(sheet, []):
            ident = reader.text(row, "id")
            if ident:
                names[name_key(ident)] = ident
    return names


def _assemble(
    r: Reader, rows: dict[str, list[Row]]
) -> tuple[dict[str, Any], dict[ModelPath, Where]]:
    where: dict[ModelPath, Where] = {}
    names = _names(rows, r)

    def at(path: ModelPath, row: Row, key: str | None) -> None:
        where[path] = row.where(key)

    header, header_rows = _header(r, rows.get(S.HEADER, []), names, where)
    agencies = []
    for i, row in enumerate(rows.get(S.AGENCIES, [])):
        agency = {
            "id": r.text(row, "id", True),
            "name": r.text(row, "name", True),
            "short": r.text(row, "short"),
            "name_en": r.text(row, "name_en"),
            "kind": r.word(
                row,
                "kind",
                {k.value: v for k, v in S.KIND_WORDS.items()},
                "loại cơ quan",
                "kind of agency",
            )
            or "other",
            "emails": S.split_list(r.text(row, "emails") or ""),
            "parent": _first(r.refs(row, "parent", names)),
            "language": r.text(row, "language") or "vi",
            **_dated(r, row, names),
            "assumption": r.text(row, "assumption"),
        }
        agencies.append(agency)
        at(("agencies", i), row, "id")
        for key in agency:
            at(("agencies", i, key), row, key)
    groups = []
    for i, row in enumerate(rows.get(S.GROUPS, [])):
        group: dict[str, Any] = {
            "id": r.text(row, "id", True),
            "name": r.text(row, "name", True),
            "name_en": r.text(row, "name_en"),
            "members": r.refs(row, "members", names),
            **_dated(r, row, names),
            "assumption": r.text(row, "assumption"),
        }
        code = r.integer(row, "province_code")
        if code is not None and not _is_province(code):
            r.add(
                row.where("province_code"),
                f"không có tỉnh, thành phố nào mã {code}",
                f"no province with code {code}",
            )
        if any(row.cells.get(key) is not None for key in ("email_pattern", "level")) or (
            code is not None
        ):
            group["wards_of"] = {
                "province_code": code,
                "level": r.word(
                    row,
                    "level",
                    dict(S.LEVEL_WORDS),
                    "cấp đơn vị của tỉnh",
                    "level of the province's units",
                ),
                "email_pattern": r.text(row, "email_pattern"),
            }
        groups.append(group)
        at(("groups", i), row, "id")
        for key in group:
            at(("groups", i, key), row, key)
        at(("groups", i, "wards_of"), row, "province_code")
        at(("groups", i, "wards_of", "level"), row, "level")
        at(("groups", i, "wards_of", "email_pattern"), row, "email_pattern")
    calendar = []
    for i, row in enumerate(rows.get(S.CALENDAR, [])):
        calendar.append(
            {
                "id": r.text(row, "id", True),
                "label": r.text(row, "label", True),
                "cadence": _cadence(r, row, with_due=False),
                "source": r.text(row, "source"),
                "assumption": r.text(row, "assumption"),
            }
        )
        for key in ("id", "label", "source", "cadence", "assumption"):
            at(("reporting_calendar", i, key), row, key)
        _cadence_paths(("reporting_calendar", i, "cadence"), row, where)
    indicators: dict[str, list[tuple[Row, dict[str, Any]]]] = defaultdict(list)
    for row in rows.get(S.INDICATORS, []):
        indicator_duty = r.text(row, "duty", True) or ""
        indicators[indicator_duty].append(
            (
                row,
                {
                    "id": r.text(row, "id", True),
                    "name": r.text(row, "name", True),
                    "kind": r.word(
                        row,
                        "kind",
                        {k.value: v for k, v in S.INDICATOR_KIND_WORDS.items()},
                        "loại chỉ tiêu",
                        "kind of indicator",
                    )
                    or "value",
                    "unit": r.text(row, "unit"),
                    "target": r.number(row, "target"),
                    "target_text": r.text(row, "target_text"),
                    "weight": r.text(row, "weight"),
                },
            )
        )
    ladders: dict[str, tuple[Row, dict[str, Any]]] = {}
    plan_ladder: dict[str, Any] | None = None
    for row in rows.get(S.LADDER, []):
        scope = r.text(row, "scope", True) or ""
        ladder: dict[str, Any] = {
            "day_count": r.word(
                row,
                "day_count",
                {k.value: v for k, v in S.DAY_COUNT_WORDS.items()},
                "cách tính ngày",
                "day count",
            )
            or "working"
        }
        for key in (
            "reminder_before",
            "overdue_notice_after",
            "standing_office_after",
            "steering_committee_after",
        ):
            ladder[key] = r.integer(row, key, True)
        if scope.casefold() == S.PLAN_SCOPE:
            plan_ladder = ladder
            at(("ladder",), row, "scope")
            for key in ladder:
                at(("ladder", key), row, key)
        else:
            ladders[scope] = (row, ladder)
    duties = []
    for i, row in enumerate(rows.get(S.DUTIES, [])):
        duty_id = r.text(row, "id", True) or ""
        duty: dict[str, Any] = {
            "id": duty_id,
            "title": r.text(row, "title", True),
            "text": r.text(row, "text", True),
            "source": r.text(row, "source", True),
            "lead": r.refs(row, "lead", names, True),
            "supporting": r.refs(row, "supporting", names),
            "requested": r.refs(row, "requested", names),
            "owner_role": r.word(
                row, "owner_role", {k.value: v for k, v in S.ROLE_WORDS.items()}, "vai trò", "role"
            )
            or "lead",
            "cadence": _cadence(r, row, with_due=True),
            "depends_on": S.split_list(r.text(row, "depends_on") or ""),
            "depends_on_period": r.word(
                row,
                "depends_on_period",
                {k.value: v for k, v in S.DEPENDENCY_WORDS.items()},
                "cách chọn kỳ phụ thuộc",
                "dependency rule",
            )
            or "same_period",
            "due_after_inputs": r.integer(row, "due_after_inputs"),
            "recipients": r.refs(row, "recipients", names),
            "also_cites": S.split_citations(r.text(row, "also_cites") or ""),
            "evidence": r.word(
                row, "evidence", dict(S.EVIDENCE_WORDS), "yêu cầu minh chứng", "evidence rule"
            )
            or "optional",
            "active_from": r.date(row, "active_from"),
            "active_to": r.date(row, "active_to"),
            "assumption": r.text(row, "assumption"),
        }
        at(("duties", i), row, "id")
        for key in duty:
            at(("duties", i, key), row, key)
        _cadence_paths(("duties", i, "cadence"), row, where)
        found = indicators.pop(duty_id or "", [])
        duty["indicators"] = [ind for _, ind in found]
        for j, (irow, ind) in enumerate(found):
            at(("duties", i, "indicators", j), irow, "id")
            for key in ind:
                at(("duties", i, "indicators", j, key), irow, key)
        if duty_id in ladders:
            lrow, duty["ladder"] = ladders.pop(duty_id)
            at(("duties", i, "ladder"), lrow, "scope")
            for key in duty["ladder"]:
                at(("duties", i, "ladder", key), lrow, key)
        duties.append(duty)
    for duty_id, found in indicators.items():
        for row, _ in found:
            r.add(
                row.where("duty"),
                f"không có nhiệm vụ mã '{duty_id}'",
                f"no duty with id '{duty_id}'",
            )
    for scope, (row, _) in ladders.items():
        r.add(
            row.where("scope"),
            f"'{scope}' không phải «{S.PLAN_SCOPE}» hay mã một nhiệm vụ",
            f"'{scope}' is neither '{S.PLAN_SCOPE}' nor a duty id",
        )
    amendments = []
    for i, row in enumerate(rows.get(S.AMENDMENTS, [])):
        amendments.append(
            {
                "effective": r.date(row, "effective", True),
                "number": r.text(row, "number"),
                "issued": r.date(row, "issued"),
                "note": r.text(row, "note"),
            }
        )
        at(("plan", "amendments", i), row, "effective")
        for key in ("effective", "number", "issued", "note"):
            at(("plan", "amendments", i, key), row, key)
    header["amendments"] = amendments
    if not duties and S.DUTIES in rows:
        r.add((S.DUTIES, 2, "", ""), "chưa có nhiệm vụ nào", "no duty in the plan")
    data: dict[str, Any] = {
        "plan": header,
        "agencies": agencies,
        "groups": groups,
        "reporting_calendar": calendar,
        "duties": duties,
    }
    if plan_ladder is not None:
        data["ladder"] = plan_ladder
    for path, row in header_rows.items():
        where.setdefault(("plan",), row.where("value"))
        where[("plan", *path)] = row.where("value")
    return drop_none(data), where


def _dated(r: Reader, row: Row, names: dict[str, str]) -> dict[str, Any]:
    """An agency's or group's dates of existence and who takes over after them."""
    return {
        "valid_from": r.date(row, "valid_from"),
        "valid_to": r.date(row, "valid_to"),
        "successor": _first(r.refs(row, "successor", names)),
    }


def _is_province(code: int) -> bool:
    try:
        wards_of(ProvinceWards(province_code=code))
    except (UnknownProvince, ValidationError):
        return False
    return True
