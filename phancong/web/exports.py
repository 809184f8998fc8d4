"""Downloads: the matrix and the overdue list as CSV (UTF-8 with BOM) and XLSX; iCalendar feeds."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from icalendar import Calendar, Event
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from starlette.responses import Response

from phancong.adapters.db import transaction
from phancong.domain.access import Principal
from phancong.services import credentials, reads, report_files
from phancong.services.access import forbidden, principal_of
from phancong.services.errors import LedgerError, NotFound
from phancong.services.links import base_url, obligation_url
from phancong.web import catalog, i18n
from phancong.web.context import Page, Portal, get_portal
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


# ----------------------------------------------------------------------------- iCalendar


def _event(
    uid: str, day: dt.date, summary: str, description: str, url: str, stamp: dt.datetime
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    return event


def calendar_for(page_portal: Portal, principal: Principal, now: dt.datetime) -> bytes:
    settings = page_portal.settings
    lang = principal.language if principal.language in i18n.LANGS else "vi"
    host = urlsplit(base_url(settings)).hostname or "phancong"
    cal = Calendar()
    cal.add("prodid", "-//phancong//portal//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-timezone", settings.timezone)
    with page_portal.factory() as session:
        plan = reads.resolve_plan(session, principal, None)
        cal.add("x-wr-calname", f"{i18n.t('app.short', lang)} – {plan.title}"[:200])
        since = reads.today(plan, now) - dt.timedelta(days=366)
        if principal.is_agency:
            views = reads.find(
                session,
                plan.id,
                now,
                unit=principal.unit_code,
                open_first=False,
                limit=EXPORT_LIMIT,
            )
            for v in views:
                if v.state in ("cancelled", "waived") or v.deadline < since:
                    continue
                title = f"{v.duty_title} – {i18n.period_name(v.period_label, lang)}"
                link = obligation_url(settings, v.id)
                description = (
                    f"{i18n.t('col.citation', lang)}: {i18n.fmt_citation(v.source, lang)}\n"
                    f"{i18n.t('col.status', lang)}: {i18n.status_label(v.status, lang)}\n{link}"
                )
                cal.add_component(
                    _event(f"obligation-{v.id}@{host}", v.deadline, title, description, link, now)
                )
        else:
            for g in reads.deadline_groups(session, plan, since):
                title = f"{g.duty_title} – {i18n.period_name(g.period_label, lang)} ({g.count})"
                query = urlencode({"plan": plan.id, "duty": g.duty_code, "period": g.period_label})
                link = f"{base_url(settings)}/obligations?{query}"
                citation = i18n.fmt_citation(g.source, lang)
                description = f"{i18n.t('col.citation', lang)}: {citation}\n{link}"
                uid = f"duty-{plan.id}-{g.duty_code}-{g.period_label}-{g.deadline:%Y%m%d}@{host}"
                cal.add_component(_event(uid, g.deadline, title, description, link, now))
    data: bytes = cal.to_ical()
    return data


FeedToken = Annotated[str, PathParam(max_length=200)]


@router.get("/feeds/{token}.ics")
def feed(token: FeedToken, portal: Annotated[Portal, Depends(get_portal)]) -> Response:
    """A private, revocable calendar of deadlines; the token in the URL is the credential."""
    with portal.factory() as session:
        user = credentials.user_for_feed_token(session, token)
        principal = principal_of(user) if user is not None else None
    if principal is None:
        raise NotFound("Không tìm thấy lịch", "No such calendar")
    body = calendar_for(portal, principal, portal.now())
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": 'inline; filename="phancong.ics"',
        },
    )


class _Unavailable(LedgerError):
    http_status = 503


def _make_pdf(docx_path: Path, pdf_path: Path, soffice: str, lang: str) -> None:
    """The PDF of a written report, made once by LibreOffice and kept beside the DOCX."""
    from phancong.services.report_files import PdfUnavailable, render_pdf

    try:
        pdf = render_pdf(docx_path.read_bytes(), soffice)
    except PdfUnavailable as exc:
        raise _Unavailable(exc.vi, exc.en) from None
    partial = pdf_path.with_name(f".{pdf_path.name}.{os.getpid()}.{threading.get_ident()}.part")
    partial.write_bytes(pdf)
    partial.replace(pdf_path)


@router.get("/reports/{plan_id}/{name}", include_in_schema=False)
def consolidated_report(page: PageDep, plan_id: str, name: str) -> Response:
    """A consolidated report the ``consolidate`` flow wrote (coordinators and viewers)."""
    from phancong.services.report_files import report_paths

    def not_found() -> NotFound:
        return NotFound("Không có báo cáo này", "No such report")

    if page.user.is_agency:
        raise forbidden()
    if page.user.plan_id is not None and page.user.plan_id != plan_id:
        raise not_found()
    period, _, suffix = name.rpartition(".")
    if suffix not in ("html", "docx", "pdf") or not period:
        raise not_found()
    stored = _stored_report(page, plan_id, period, suffix)
    if stored is not None:
        return _report_response(stored, plan_id, period, suffix)
    # a report written before the ledger kept them: on this machine's disk, if anywhere
    try:
        root = page.portal.settings.data_dir / "reports"
        html_path, docx_path = report_paths(root, plan_id, period)
    except ValueError:
        raise not_found() from None
    path = {"html": html_path, "docx": docx_path, "pdf": docx_path.with_suffix(".pdf")}[suffix]
    if suffix == "pdf" and not path.is_file() and docx_path.is_file():
        _make_pdf(docx_path, path, page.portal.settings.soffice, page.lang)
    if not path.is_file():
        raise not_found()
    return _report_response(path.read_bytes(), plan_id, period, suffix)


def _stored_report(page: Page, plan_id: str, period: str, suffix: str) -> bytes | None:
    """The report from the ledger, where any runner's ``consolidate`` keeps it; a PDF not made
    yet is made of the stored DOCX (LibreOffice) and kept there for every portal process."""

    with page.portal.factory() as session:
        stored = report_files.stored_report(session, plan_id, period, suffix)
        docx = (report_files.stored_report(session, plan_id, period, "docx")
                if stored is None and suffix == "pdf" else None)
    if docx is None:
        return stored
    from phancong.services.report_files import PdfUnavailable, render_pdf

    try:
        pdf = render_pdf(docx, page.portal.settings.soffice)
    except PdfUnavailable as exc:
        raise _Unavailable(exc.vi, exc.en) from None
    with transaction(page.portal.factory) as session:
        report_files.keep_pdf(session, plan_id, period, pdf)
    return pdf


def _report_response(body: bytes, plan_id: str, period: str, suffix: str) -> Response:
    if suffix == "pdf":  # the portal's preview: shown in the browser's PDF viewer
        return Response(body, media_type="application/pdf", headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'inline; filename="{plan_id}-{period}.pdf"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
        })
    media = ("text/html; charset=utf-8" if suffix == "html" else
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    headers = {"X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
    if suffix == "docx":
        headers["Content-Disposition"] = f'attachment; filename="{plan_id}-{period}.docx"'
    return Response(body, media_type=media, headers=headers)
