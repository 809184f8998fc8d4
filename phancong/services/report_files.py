"""The consolidated report's files: rendered to HTML, DOCX and PDF (LibreOffice), written to a
runner's data directory and kept in the ledger, so that any portal process serves them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from phancong.adapters.orm import (
    ConsolidatedReportRow,
)
from phancong.services.report_model import (
    ConsolidatedReport,
    ReportFiles,
)
from phancong.templating import environment

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # a plan id or period label as a file name


def render_html(report: ConsolidatedReport) -> str:
    return environment().get_template("report/consolidated.html").render(report=report)


def render_docx(report: ConsolidatedReport, portal_url: str = "") -> bytes:
    """The report as a DOCX laid out per Decree 30/2020/NĐ-CP (see :mod:`report_docx`);
    with ``portal_url`` the units' files are links into the portal."""
    from phancong.services import report_docx

    return report_docx.render(report, portal_url)


class PdfUnavailable(Exception):
    """LibreOffice could not make the PDF (missing, or it failed); the message says which."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(vi)
        self.vi, self.en = vi, en


def render_pdf(docx: bytes, soffice: str = "soffice", timeout: float = 120.0) -> bytes:
    """The DOCX converted by LibreOffice in headless mode (a throw-away profile, so that it
    neither meets nor leaves a running user instance)."""
    import shutil
    import subprocess
    import tempfile

    program = shutil.which(soffice)
    if program is None:
        raise PdfUnavailable(
            "Chưa cài LibreOffice (lệnh soffice) trên máy chủ nên chưa tạo được bản PDF; "
            "hãy tải bản DOCX, hoặc cài gói libreoffice-writer",
            "LibreOffice (soffice) is not installed, so there is no PDF; download the DOCX or "
            "install libreoffice-writer",
        )
    with tempfile.TemporaryDirectory(prefix="phancong-pdf-") as work:
        folder = Path(work)
        source = folder / "bao-cao.docx"
        source.write_bytes(docx)
        try:
            done = subprocess.run(
                [program, f"-env:UserInstallation=file://{folder / 'profile'}", "--headless",
                 "--convert-to", "pdf", "--outdir", str(folder), str(source)],
                capture_output=True, timeout=timeout, check=False,
            )
        except subprocess.TimeoutExpired:
            raise PdfUnavailable("LibreOffice không chuyển xong sang PDF trong thời gian cho phép",
                                 "LibreOffice did not finish the PDF in time") from None
        target = folder / "bao-cao.pdf"
        if done.returncode != 0 or not target.is_file():
            raise PdfUnavailable(
                "LibreOffice không chuyển được báo cáo sang PDF: "
                + done.stderr.decode(errors="replace")[-300:],
                "LibreOffice could not convert the report to PDF",
            )
        return target.read_bytes()


def report_paths(root: Path, plan_id: str, period_label: str) -> tuple[Path, Path]:
    """``<root>/<plan>/<period>.html`` and ``.docx``; refuses names that could leave ``root``."""
    for part in (plan_id, period_label):
        if not _SAFE.match(part):
            raise ValueError(f"unsafe name for a report file: {part!r}")
    folder = root / plan_id
    return folder / f"{period_label}.html", folder / f"{period_label}.docx"


def write_files(report: ConsolidatedReport, root: Path, portal_url: str, *,
                soffice: str | None = None) -> ReportFiles:
    """Write the HTML and the DOCX (and, given ``soffice``, the PDF beside them; without
    LibreOffice the PDF is left out and the portal makes it when first asked)."""
    html_path, docx_path = report_paths(root, report.plan_id, report.period_label)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(render_html(report), encoding="utf-8")
    docx = render_docx(report, portal_url)
    docx_path.write_bytes(docx)
    pdf: str | None = None
    if soffice is not None:
        try:
            pdf_path = docx_path.with_suffix(".pdf")
            pdf_path.write_bytes(render_pdf(docx, soffice))
            pdf = str(pdf_path)
        except PdfUnavailable:
            pdf = None
    url = f"{portal_url.rstrip('/')}/reports/{report.plan_id}/{report.period_label}.html"
    return ReportFiles(html=str(html_path), docx=str(docx_path), url=url, pdf=pdf)


REPORT_FORMATS = ("html", "docx", "pdf")


def keep_in_ledger(session: Session, report: ConsolidatedReport, files: ReportFiles,
                   written_at: dt.datetime) -> None:
    """Store the report just written (its HTML and DOCX) in the ledger, replacing an earlier
    version of the same period's report (and its PDF, made of the earlier DOCX): the portal
    process that serves it need not be on the machine of the runner that wrote it."""
    html = Path(files.html).read_text(encoding="utf-8")
    docx = Path(files.docx).read_bytes()
    pdf = Path(files.pdf).read_bytes() if files.pdf and Path(files.pdf).is_file() else None
    row = session.get(ConsolidatedReportRow, (report.plan_id, report.period_label))
    if row is None:
        session.add(ConsolidatedReportRow(
            plan_id=report.plan_id, period_label=report.period_label, as_of=report.as_of,
            written_at=written_at, html=html, docx=docx, pdf=pdf))
        return
    row.as_of, row.written_at, row.html, row.docx, row.pdf = (
        report.as_of, written_at, html, docx, pdf)


def stored_formats(session: Session, plan_id: str, period_label: str) -> list[str]:
    """The formats of the period's report kept in the ledger (a PDF is offered with the DOCX:
    a portal makes it on first request); [] when the ledger has none."""
    found = session.scalar(
        select(func.count()).select_from(ConsolidatedReportRow)
        .where(ConsolidatedReportRow.plan_id == plan_id,
               ConsolidatedReportRow.period_label == period_label))
    return list(REPORT_FORMATS) if found else []


def stored_report(session: Session, plan_id: str, period_label: str,
                  suffix: str) -> bytes | None:
    """One format of the period's report from the ledger (HTML as UTF-8); ``None`` when the
    ledger has no report of the period, or no PDF of it yet."""
    if suffix not in REPORT_FORMATS:
        return None
    column = getattr(ConsolidatedReportRow, suffix)
    value = session.scalar(
        select(column).where(ConsolidatedReportRow.plan_id == plan_id,
                             ConsolidatedReportRow.period_label == period_label))
    if value is None:
        return None
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def keep_pdf(session: Session, plan_id: str, period_label: str, pdf: bytes) -> None:
    """The PDF a portal made of the stored DOCX, kept for every other portal process."""
    row = session.get(ConsolidatedReportRow, (plan_id, period_label))
    if row is not None:
        row.pdf = pdf
