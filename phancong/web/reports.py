"""The consolidated report's files as the portal serves them (``/reports/{plan}/{name}``):
HTML, DOCX, and a PDF converted by LibreOffice on first request and kept in the ledger."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import Response

from phancong.adapters.db import transaction
from phancong.services import report_files
from phancong.services.access import forbidden
from phancong.services.errors import LedgerError, NotFound
from phancong.web.context import Page
from phancong.web.params import PageDep

router = APIRouter(include_in_schema=False)


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
