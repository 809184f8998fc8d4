"""Writing the plan's workbook cells (helpers of the exporter): a sheet's table with its header
style and column widths, dropdown lists, date cells, and cells that are derived (grey)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from phancong.authoring import sheets as S

HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")


DERIVED_FILL = PatternFill("solid", fgColor="F2F2F2")


DATE_FORMAT = "DD/MM/YYYY"


WRAP = Alignment(wrap_text=True, vertical="top")


MAX_WIDTH = 80


def list_range(col: str, count: int) -> str:
    return f"='{S.LISTS}'!${col}$2:${col}${count + 1}"


def dropdown(
    sheet: Worksheet, formula: str, ranges: list[str], strict: bool = True, prompt: str = ""
) -> None:
    rule = DataValidation(type="list", formula1=formula, allow_blank=True)
    rule.showDropDown = False  # (sic) False shows the in-cell arrow
    rule.showErrorMessage = True
    rule.errorStyle = "stop" if strict else "warning"
    rule.errorTitle = "Giá trị không có trong danh mục"
    rule.error = "Chọn một giá trị trong danh sách (trang «Danh mục»)."
    if prompt:
        rule.showInputMessage = True
        rule.prompt = prompt
    for cell_range in ranges:
        rule.add(cell_range)
    sheet.add_data_validation(rule)


def date_cells(sheet: Worksheet, cell_range: str) -> None:
    """Cells for a day: shown as dd/mm/yyyy, a date checked on entry (a warning, the importer
    also reads '15/03/2026' written as text)."""
    rule = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True)
    rule.showErrorMessage = True
    rule.errorStyle = "warning"
    rule.errorTitle = "Không phải ngày"
    rule.error = "Ghi ngày dạng ngày/tháng/năm, ví dụ 15/03/2026."
    rule.add(cell_range)
    sheet.add_data_validation(rule)


def put(sheet: Worksheet, row: int, col: int, value: Any) -> None:
    cell = sheet.cell(row=row, column=col)
    if value is None or value == "":
        return
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # text that starts with '=' stays text, never a formula
    elif isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT


def write_table(sheet: Worksheet, columns: Sequence[S.Column], rows: list[dict[str, Any]]) -> None:
    widths = [len(c.title) for c in columns]
    for col, column in enumerate(columns, 1):
        cell = sheet.cell(row=1, column=col, value=column.title)
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
        cell.alignment = WRAP
    for r, row in enumerate(rows, 2):
        for col, column in enumerate(columns, 1):
            value = row.get(column.key)
            put(sheet, r, col, value)
            cell = sheet.cell(row=r, column=col)
            cell.alignment = WRAP
            if column.derived:
                cell.fill = DERIVED_FILL
            text = value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else str(value or "")
            longest = max((len(line) for line in text.splitlines()), default=0)
            widths[col - 1] = max(widths[col - 1], longest)
    for col, column in enumerate(columns, 1):
        # fitted to the longest line, capped at the column's width (longer text wraps)
        fitted = max(8, min(widths[col - 1] + 2, column.width, MAX_WIDTH))
        sheet.column_dimensions[S.column_letter(col)].width = fitted
    sheet.freeze_panes = "B2" if columns is S.DUTY_COLUMNS else "A2"
    sheet.auto_filter.ref = f"A1:{S.column_letter(len(columns))}{max(len(rows) + 1, 2)}"
