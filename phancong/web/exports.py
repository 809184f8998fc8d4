"""Downloads: the matrix and the overdue list as CSV (UTF-8 with BOM) and XLSX; iCalendar feeds."""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from starlette.responses import Response

from phancong.services import reads
from phancong.services.access import forbidden
from phancong.services.links import obligation_url
from phancong.web import catalog, i18n
from phancong.web.context import Page
from phancong.web.pages import STATUSES
from phancong.web.pages_matrix import matrix_filters
from phancong.web.params import PageDep, Text

router = APIRouter(include_in_schema=False)


EXPORT_LIMIT = 100_000
MATRIX_UNITS = 20_000


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV/XLSX injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _text(value: Any) -> Any:
    """A CSV cell: dates as dd/mm/yyyy (the XLSX keeps them as real dates)."""
    if isinstance(value, dt.date):
        return i18n.fmt_date(value)
    return _safe(value)


def _csv(name: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[_text(v) for v in row] for row in rows])
    body = buffer.getvalue().encode("utf-8-sig")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


WIDTH_SAMPLE = 2000  # rows read to fit the column widths
WIDTH_MAX = 60


def _width(value: Any) -> int:
    if isinstance(value, dt.date):
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0)


def _xlsx(name: str, sheet: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Response:
    """A sheet with a frozen, bold header row, columns fitted to their contents (from the first
    rows) and dates stored as dates (shown dd/mm/yyyy)."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(title=sheet[:31])
    widths = [_width(h) for h in header]
    for row in rows[:WIDTH_SAMPLE]:
        for i, value in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], _width(value))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(WIDTH_MAX, width + 2)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)

    def head(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=value)
        cell.font = bold
        return cell

    def cell(value: Any) -> Any:
        if isinstance(value, dt.date):
            dated = WriteOnlyCell(ws, value=value)
            dated.number_format = "DD/MM/YYYY"
            return dated
        return _safe(value)

    ws.append([head(h) for h in header])
    for row in rows:
        ws.append([cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


def _matrix_table(
    page: Page, plan: str, year: int | None, period: str, status: str, kind: str, q: str
) -> tuple[str, list[str], list[list[Any]]]:
    if page.user.is_agency:
        raise forbidden()
    lang = page.lang
    with page.portal.factory() as session:
        f = matrix_filters(page, session, plan, year, period, status, kind, q)
        columns = [f["period"]] if f["period"] else f["year_periods"]
        m = reads.matrix(
            session,
            f["info"],
            page.now(),
            periods=columns,
            status=f["status"] or None,
            kind=f["kind"] or None,
            q=f["q"] or None,
            page=1,
            per_page=MATRIX_UNITS,
        )
    counted = [s for s in STATUSES if s != "cancelled"]
    code = i18n.t("col.code_suffix", lang)
    header = [
        i18n.t("col.unit", lang) + code,
        i18n.t("col.unit", lang),
        i18n.t("filter.kind", lang),
        i18n.t("col.period", lang) + code,
        i18n.t("col.period", lang),
        i18n.t("col.status", lang),
        i18n.t("col.total", lang),
        *[i18n.status_label(s, lang) for s in counted],
        i18n.t("col.on_time_rate", lang),
    ]
    rows: list[list[Any]] = []
    for row in m.rows:
        rate = round(row.rate * 100, 1) if row.rate is not None else ""
        for p in m.periods:
            cell = row.cells.get(p)
            if cell is None or not cell.total:
                continue
            rows.append(
                [
                    row.unit.code,
                    row.unit.name,
                    i18n.kind_label(row.unit.kind, lang),
                    p,
                    i18n.period_name(p, lang),
                    i18n.status_label(cell.status, lang),
                    cell.total,
                    *[cell.counts.get(s, 0) for s in counted],
                    rate,
                ]
            )
    return f"matrix-{f['info'].id}-{f['year']}", header, rows


@router.get("/exports/matrix.csv")
def matrix_csv(
    page: PageDep,
    plan: Text = "",
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    period: Text = "",
    status: Text = "",
    kind: Text = "",
    q: Text = "",
) -> Response:
    name, header, rows = _matrix_table(page, plan, year, period, status, kind, q)
    return _csv(name, header, rows)


@router.get("/exports/matrix.xlsx")
def matrix_xlsx(
    page: PageDep,
    plan: Text = "",
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    period: Text = "",
    status: Text = "",
    kind: Text = "",
    q: Text = "",
) -> Response:
    name, header, rows = _matrix_table(page, plan, year, period, status, kind, q)
    return _xlsx(name, "Matrix", header, rows)


def _overdue_table(page: Page, plan: str) -> tuple[str, list[str], list[list[Any]]]:
    user, lang = page.user, page.lang
    settings = page.portal.settings
    with page.portal.factory() as session:
        info = reads.resolve_plan(session, user, plan or None)
        views = reads.overdue(
            session,
            info,
            page.now(),
            unit=user.unit_code if user.is_agency else None,
            limit=EXPORT_LIMIT,
        )
    code = i18n.t("col.code_suffix", lang)
    header = [
        i18n.t("col.id", lang),
        i18n.t("col.plan", lang),
        i18n.t("col.duty", lang) + code,
        i18n.t("col.duty", lang),
        i18n.t("col.citation", lang),
        i18n.t("col.unit", lang) + code,
        i18n.t("col.unit", lang),
        i18n.t("col.role", lang),
        i18n.t("col.period", lang),
        i18n.t("col.deadline", lang),
        i18n.t("col.original_deadline", lang),
        i18n.t("col.days_late", lang),
        "URL",
    ]
    rows = [
        [
            v.id,
            v.plan_id,
            v.duty_code,
            v.duty_title,
            i18n.fmt_citation(v.source, lang),
            v.unit_code,
            v.unit_name,
            i18n.t(f"orole.{v.role}", lang) if f"orole.{v.role}" in catalog.CATALOG else v.role,
            i18n.period_name(v.period_label, lang),
            v.deadline,
            v.original_deadline,
            -v.days_left,
            obligation_url(settings, v.id),
        ]
        for v in views
    ]
    suffix = f"-{user.unit_code}" if user.is_agency else ""
    return f"overdue-{info.id}{suffix}", header, rows


@router.get("/exports/overdue.csv")
def overdue_csv(page: PageDep, plan: Text = "") -> Response:
    return _csv(*_overdue_table(page, plan))


@router.get("/exports/overdue.xlsx")
def overdue_xlsx(page: PageDep, plan: Text = "") -> Response:
    name, header, rows = _overdue_table(page, plan)
    return _xlsx(name, "Overdue", header, rows)
