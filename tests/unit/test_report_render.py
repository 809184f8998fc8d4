"""The consolidated report's documents (HTML and DOCX) from a fixed report (no database)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from docx import Document

from phancong.services import report_files
from phancong.services.report_model import ConsolidatedReport, DutyProgress, DutyRef, UnitReport
from phancong.templating import TEMPLATES_DIR

pytestmark = pytest.mark.unit

ENGLISH_CITATION = re.compile(r"\b(bullet|item|point|paragraph)\b")


def report() -> ConsolidatedReport:
    def progress(code: str, title: str, source: str) -> DutyProgress:
        return DutyProgress(code=code, title=title, source=source, total=4, submitted=3,
                            accepted=2, on_time=2, overdue=1)

    return ConsolidatedReport(
        plan_id="mini", plan_title="Kế hoạch thử nghiệm", issuer="UBND Thành phố",
        period_label="2026-Q1", period_title="Quý I/2026",
        as_of=dt.datetime(2026, 3, 17, 2, 0, tzinfo=dt.UTC), day=dt.date(2026, 3, 17),
        standing_office_code="pc02", standing_office_name="Phòng Cảnh sát hình sự",
        consolidating=DutyRef(code="consolidated", title="Báo cáo tổng hợp", source="V.3"),
        reporting=[DutyRef(code="report", title="Báo cáo định kỳ", source="V.1")],
        reported=[UnitReport(unit_code="sgd", unit_name="Sở Giáo dục và Đào tạo",
                             duty_code="report", state="accepted", deadline=dt.date(2026, 3, 16),
                             submitted_at=dt.datetime(2026, 3, 13, 2, 0, tzinfo=dt.UTC),
                             on_time=True)],
        not_reported=[UnitReport(unit_code="ca", unit_name="Công an Thành phố",
                                 duty_code="report", state="open",
                                 deadline=dt.date(2026, 3, 16), days_late=1)],
        excused=[], indicators=[],
        duties=[
            progress("d1", "Tuyên truyền trong trường học", "IV.3, bullet 2"),
            progress("d2", "Rà soát quy chế", "II.1, item a"),
            progress("d3", "Đánh giá kết quả", "III.5.1, paragraph 1"),
            progress("report", "Báo cáo định kỳ", "V.1"),
        ],
    )


CITED = ["Mục IV.3, gạch đầu dòng 2", "Mục II.1, điểm a", "Mục III.5.1, đoạn 1", "Mục V.1"]


def test_html_report_cites_duties_in_vietnamese() -> None:
    html = report_files.render_html(report())
    for citation in CITED:
        assert f"<tr><td>{citation}</td>" in html
    assert "Nhiệm vụ: Báo cáo tổng hợp (Mục V.3)." in html
    assert not ENGLISH_CITATION.search(html)


def test_docx_report_cites_duties_in_vietnamese() -> None:
    document = Document(io.BytesIO(report_files.render_docx(report())))
    progress = next(t for t in document.tables if t.rows[0].cells[0].text == "Trích dẫn")
    assert [row.cells[0].text for row in progress.rows[1:]] == CITED
    text = "\n".join(cell.text for table in document.tables for row in table.rows
                     for cell in row.cells)
    assert not ENGLISH_CITATION.search(text)


def test_report_template_shows_citations_through_the_filter() -> None:
    shown = 0
    for path in (TEMPLATES_DIR / "report").glob("*.html"):
        for match in re.finditer(r"{{\s*[\w.]+\.source\b([^}]*)}}", path.read_text("utf-8")):
            shown += 1
            assert re.match(r"\s*\|\s*citation\s*$", match.group(1)), (path, match[0])
    assert shown >= 2
