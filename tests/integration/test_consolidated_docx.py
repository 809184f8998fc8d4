"""The consolidated report of Hà Nội, Quý I/2026, from a seeded set of submissions: the DOCX
opens with python-docx and has the Decree 30/2020/NĐ-CP header block, Times New Roman, A4 and
the decree's margins, the counts of ``phancong ledger status --period 2026-Q1`` in the
Government Office's sentence, an appendix row per unit with links to its files, indicators
added up by kind; the PDF (LibreOffice) is rendered to PNG pages for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.shared import Mm
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from phancong.adapters.db import make_engine, session_factory, transaction, upgrade
from phancong.adapters.loader import directory, load
from phancong.adapters.orm import DutyRow, ObligationRow, UnitRow
from phancong.bootstrap import bootstrap
from phancong.cli import app as cli
from phancong.domain.status import label
from phancong.services import consolidate, handlers, ledger, reads, report_files, submissions
from phancong.services.attachments import Upload, check
from phancong.services.materialize import materialize
from phancong.services.report_docx import counts_sentence
from phancong.settings import get_settings

pytestmark = pytest.mark.integration

HANOI = Path(__file__).resolve().parents[2] / "responsibilities" / "hanoi-2026-2030.yaml"
PERIOD = "2026-Q1"
AS_OF = dt.datetime(2026, 3, 20, 1, 0, tzinfo=dt.UTC)  # 08:00 on 20/3 in Hà Nội
PDF = b"%PDF-1.4\n%bao cao\n%%EOF\n"
PORTAL = "https://portal.hanoi.example"


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+07:00").astimezone(dt.UTC)


@dataclass
class Seeded:
    factory: sessionmaker[Session]
    url: str
    reported: int
    owing: int


def _owners(session: Session, duty: str) -> list[tuple[int, str, str]]:
    return list(
        session.execute(
            select(ObligationRow.id, UnitRow.code, UnitRow.kind)
            .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
            .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
            .where(DutyRow.code == duty, ObligationRow.period_label == PERIOD,
                   ObligationRow.role != "support")
            .order_by(UnitRow.code)
        ).tuples()
    )


@pytest.fixture
def seeded(database_url: str) -> Iterator[Seeded]:
    upgrade(database_url)
    factory = session_factory(make_engine(database_url))
    plan = load(HANOI)
    with transaction(factory) as session:
        materialize(session, plan, directory(plan), through=dt.date(2026, 6, 30),
                    now=at("2026-01-02"), source=str(HANOI))
    pdf = check(Upload("bao-cao-quy-1.pdf", PDF))
    with transaction(factory) as session:
        owners = _owners(session, "v-1-bao-cao")
        reported = 0
        for n, (oid, code, _kind) in enumerate(owners):
            if n % 5 == 4:
                continue  # every fifth unit does not report
            day = "2026-03-10" if n % 3 else "2026-03-18"  # some after the 16/3 deadline
            submissions.submit(session, oid, actor=f"{code}@hanoi.example", at=at(day),
                          note=f"Đã triển khai kế hoạch tại {code}.", files=[pdf])
            reported += 1
            if n % 2 == 0:
                handlers.record(session, [ledger.accept(session, oid, actor="pc02@hanoi.example", at=at("2026-03-19"))])
        # wards report the yes/no indicator of IV.12: 60 yes, 20 no, the rest silent
        for n, (oid, _code, _kind) in enumerate(_owners(session, "iv-12-b2")[:80]):
            submissions.submit(session, oid, actor="xa@hanoi.example", at=at("2026-03-11"),
                          indicator_values={"xa-phuong-ung-dung-khcn": n < 60})
            handlers.record(session, [ledger.accept(session, oid, actor="pc02@hanoi.example", at=at("2026-03-12"))])
        (police, *_rest) = _owners(session, "iv-1-b7")
        submissions.submit(session, police[0], actor="catp@hanoi.example", at=at("2026-03-12"),
                      note="Tiếp nhận, phân loại toàn bộ tin báo.",
                      indicator_values={"ty-le-tiep-nhan-tin-bao": 100,
                                        "ty-le-giai-quyet-tin-bao": 93.5})
        handlers.record(session, [ledger.accept(session, police[0], actor="pc02@hanoi.example", at=at("2026-03-13"))])
    yield Seeded(factory, database_url, reported, len(owners))
    factory.kw["bind"].dispose()


def _status_from_cli(url: str, monkeypatch: pytest.MonkeyPatch, tmp: Path) -> dict[str, int]:
    monkeypatch.setenv("PHANCONG_DATABASE_URL", url)
    monkeypatch.setenv("PHANCONG_DATA_DIR", str(tmp))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli, ["ledger", "status", str(HANOI), "--as-of", "2026-03-20", "--period", PERIOD]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    counts: dict[str, int] = {}
    names = {label(k, "vi"): k for k in (
        "not_open", "in_progress", "overdue", "blocked", "submitted", "returned",
        "completed_on_time", "completed_late", "waived", "cancelled")}
    for line in result.output.splitlines():
        match = re.match(r"^\s*(.+?)\s{2,}(\d+)\s*$", line)
        if match and match.group(1).strip() in names:
            counts[names[match.group(1).strip()]] = int(match.group(2))
    assert counts, result.output
    return counts


def _text(document: Any) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_hanoi_q1_docx(seeded: Seeded, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                       test_output: Path) -> None:
    with seeded.factory() as session:
        report = consolidate.compile_report(session, "hanoi-2026-2030", PERIOD, AS_OF)
    data = report_files.render_docx(report, PORTAL)
    (test_output / "consolidated-hanoi-2026-Q1.docx").write_bytes(data)
    document = Document(io.BytesIO(data))

    # page: A4, margins in the decree's ranges; fonts Times New Roman, 11–14 pt
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert 20 <= round(section.top_margin.mm) <= 25
    assert 20 <= round(section.bottom_margin.mm) <= 25
    assert 30 <= round(section.left_margin.mm) <= 35
    assert 15 <= round(section.right_margin.mm) <= 20
    runs = [r for p in document.paragraphs for r in p.runs if r.text.strip()]
    runs += [r for t in document.tables for row in t.rows for c in row.cells
             for p in c.paragraphs for r in p.runs if r.text.strip()]
    assert runs
    assert {r.font.name for r in runs} == {"Times New Roman"}
    assert {r.font.size.pt for r in runs if r.font.size} <= {11, 12, 13, 14}
    assert document.styles["Normal"].font.name == "Times New Roman"

    # header block: governing and issuing bodies left, national title and motto right
    header = document.tables[0]
    left, right = header.rows[0].cells
    assert left.paragraphs[0].text == "CÔNG AN THÀNH PHỐ HÀ NỘI"
    assert left.paragraphs[1].text == "PHÒNG CẢNH SÁT HÌNH SỰ"
    assert left.paragraphs[1].runs[0].font.bold
    assert right.paragraphs[0].text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert right.paragraphs[1].text == "Độc lập - Tự do - Hạnh phúc"
    assert right.paragraphs[1].runs[0].font.bold
    number, place = header.rows[1].cells
    assert re.fullmatch(r"Số:\s+/BC-PC02", number.text.strip())
    assert re.fullmatch(r"Hà Nội, ngày\s+tháng\s+năm 2026", place.text.strip())
    assert place.paragraphs[0].runs[0].font.italic
    paragraphs = [p.text for p in document.paragraphs]
    title = paragraphs.index("BÁO CÁO")
    assert paragraphs[title + 1].startswith("Kết quả thực hiện Kế hoạch")
    assert paragraphs[title + 1].endswith("Quý I/2026")

    # the counts: the Government Office's sentence from `phancong ledger status`
    counts = _status_from_cli(seeded.url, monkeypatch, tmp_path)
    assert report.summary is not None
    assert report.summary.counts == counts
    on_time, late = counts.get("completed_on_time", 0), counts.get("completed_late", 0)
    overdue = counts.get("overdue", 0)
    in_time = sum(counts.get(k, 0) for k in ("in_progress", "blocked", "submitted", "returned"))
    due = on_time + late + overdue + in_time
    sentence = (
        f"{due} nhiệm vụ đến hạn; đã hoàn thành {on_time + late}, đạt "
        f"{consolidate_percent(on_time + late, due)}% (đúng hạn: {on_time}, quá hạn: {late}); "
        f"chưa hoàn thành {overdue + in_time} (trong hạn: {in_time}, quá hạn: {overdue})"
    )
    assert counts_sentence(report.summary) == sentence
    text = _text(document)
    assert sentence in text
    assert f"đã báo cáo {seeded.reported}/{seeded.owing} đơn vị" in text
    for heading in ("I. KẾT QUẢ THỰC HIỆN", "II. TỒN TẠI, HẠN CHẾ", "PHỤ LỤC"):
        assert heading in paragraphs
    closing = next(t for t in document.tables if t.rows[0].cells[0].text.startswith("Nơi nhận"))
    assert closing.rows[0].cells[0].paragraphs[0].runs[0].font.italic
    assert "(Ký, ghi rõ họ tên, đóng dấu)" in closing.rows[0].cells[1].text

    # indicators added up by kind: 60 of the 126 wards said yes (47.6 %), target 100 %
    indicators = {i.indicator: i for i in report.indicators}
    wards = indicators["xa-phuong-ung-dung-khcn"]
    assert (wards.kind, wards.yes, wards.units, wards.reports) == ("yes_no", 60, 126, 80)
    assert wards.total == pytest.approx(100 * 60 / 126)
    assert wards.met is False
    assert indicators["ty-le-giai-quyet-tin-bao"].total == pytest.approx(93.5)
    assert "47,62% (60/126 đơn vị)" in text

    # appendix: one row per unit owing anything this period, with links to its files
    appendix = document.tables[-1]
    assert appendix.rows[0].cells[1].text == "Cơ quan, đơn vị"
    names = [row.cells[1].text for row in appendix.rows[1:]]
    assert len(names) == len(report.units) == len(set(names))
    with seeded.factory() as session:
        owing_units = session.scalar(
            select(func.count(ObligationRow.unit_id.distinct())).where(
                ObligationRow.period_label == PERIOD,
                ObligationRow.state.not_in(["cancelled", "waived"]),
            )
        )
    assert len(names) == owing_units
    # the rows add up to the summary's numbers
    assert sum(u.due for u in report.units) == due
    assert sum(u.on_time for u in report.units) == on_time
    assert sum(u.overdue for u in report.units) == overdue
    links = re.findall(rb'Target="(https://portal\.hanoi\.example/obligations/\d+/files/\d+)"',
                       _rels(data))
    assert len(links) == seeded.reported  # one report file per unit that reported
    assert [u.unit_name for u in report.units if u.files] == [
        row.cells[1].text for row in appendix.rows[1:] if row.cells[7].text.strip()
    ]
    # charts: two PNG images in the document
    images = [r for r in document.part.rels.values() if "image" in r.reltype]
    assert len(images) == 2


def consolidate_percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}".rstrip("0").rstrip(".").replace(".", ",")


def _rels(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("word/_rels/document.xml.rels")


@pytest.mark.e2e
def test_hanoi_q1_pdf_pages(seeded: Seeded, test_output: Path) -> None:
    """The PDF LibreOffice makes of the DOCX, each page rendered to PNG for a person to check
    (no text outside the page, tables within the margins)."""
    if shutil.which("soffice") is None or shutil.which("pdftoppm") is None:
        pytest.skip("LibreOffice or poppler-utils not installed")
    if "sqlite" not in seeded.url:
        pytest.skip("the pages are the same on PostgreSQL; rendered once")
    with seeded.factory() as session:
        report = consolidate.compile_report(session, "hanoi-2026-2030", PERIOD, AS_OF)
    pdf = report_files.render_pdf(report_files.render_docx(report, PORTAL))
    assert pdf.startswith(b"%PDF-")
    target = test_output / "consolidated-hanoi-2026-Q1.pdf"
    target.write_bytes(pdf)
    for old in test_output.glob("consolidated-hanoi-2026-Q1-page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(target),
                    str(test_output / "consolidated-hanoi-2026-Q1-page")], check=True)
    pages = sorted(test_output.glob("consolidated-hanoi-2026-Q1-page-*.png"))
    assert len(pages) >= 3
    width = Mm(210)
    assert width.mm == pytest.approx(210)


def test_pdf_without_libreoffice_says_so() -> None:
    with pytest.raises(report_files.PdfUnavailable) as refused:
        report_files.render_pdf(b"PK", soffice="soffice-not-installed-here")
    assert "LibreOffice" in refused.value.vi


def test_portal_matrix_charts_and_pdf_preview(seeded: Seeded, tmp_path: Path) -> None:
    """The matrix page shows the two charts as inline SVG with the ledger's numbers; the
    report's PDF preview says clearly when LibreOffice is missing."""
    from phancong.bootstrap import bootstrap
    from phancong.services import accounts
    from phancong.settings import Settings
    from phancong.web.app import create_app
    from tests.portal_support import add_user, client_for, fast_hasher, login

    accounts_hasher = accounts.hasher
    accounts.hasher = fast_hasher  # type: ignore[assignment]
    try:
        add_user(seeded.factory, "pc02@hanoi.example", "coordinator", plan="hanoi-2026-2030",
                 now=AS_OF)
        settings = Settings(  # type: ignore[call-arg]
            data_dir=tmp_path / "data", database_url=seeded.url, secret_key="k" * 40,
            soffice="soffice-not-installed-here",
        )
        client = client_for(create_app(bootstrap(settings, sessions=seeded.factory, clock=lambda: AS_OF)))
        assert login(client, "pc02@hanoi.example").status_code == 303
        page = client.get("/matrix?year=2026")
        assert page.status_code == 200
        assert 'data-testid="chart-reported"' in page.text
        assert 'data-testid="chart-rates"' in page.text
        assert f'data-reported="{seeded.reported}" data-expected="{seeded.owing}"' in page.text
        assert f">{seeded.reported}/{seeded.owing}</text>" in page.text
        assert "UBND các xã, phường" in page.text  # the wards as one row of the rate chart

        with seeded.factory() as session:
            report = consolidate.compile_report(session, "hanoi-2026-2030", PERIOD, AS_OF)
        files = report_files.write_files(report, settings.data_dir / "reports", PORTAL)
        assert files.pdf is None
        matrix = client.get("/matrix?year=2026&period=2026-Q1")
        for kind in ("html", "docx", "pdf"):
            assert f'href="/reports/hanoi-2026-2030/2026-Q1.{kind}"' in matrix.text
        html = client.get("/reports/hanoi-2026-2030/2026-Q1.html")
        assert html.status_code == 200
        assert len(re.findall(r'href="/obligations/\d+/files/\d+"', html.text)) == seeded.reported
        docx = client.get("/reports/hanoi-2026-2030/2026-Q1.docx")
        assert docx.status_code == 200
        assert docx.headers["content-disposition"].startswith("attachment")
        pdf = client.get("/reports/hanoi-2026-2030/2026-Q1.pdf")
        assert pdf.status_code == 503
        assert "LibreOffice" in pdf.text
    finally:
        accounts.hasher = accounts_hasher  # type: ignore[assignment]


def test_recorded_report_carries_its_docx(seeded: Seeded, tmp_path: Path) -> None:
    """The Standing Office's consolidating obligation is submitted with the DOCX attached."""
    import hashlib

    with seeded.factory() as session:
        report = consolidate.compile_report(session, "hanoi-2026-2030", PERIOD, AS_OF)
    files = report_files.write_files(report, tmp_path / "reports", PORTAL)
    with transaction(seeded.factory) as session:
        obligation = consolidate.record(session, "hanoi-2026-2030", PERIOD, files, AS_OF)
    assert obligation is not None
    with seeded.factory() as session:
        attached = [f for fs in reads.files_of(session, [obligation]).values() for f in fs]
    assert [f.name for f in attached] == ["bao-cao-tong-hop-2026-Q1.docx"]
    assert attached[0].sha256 == hashlib.sha256(Path(files.docx).read_bytes()).hexdigest()


def test_a_report_written_on_a_runner_is_served_by_portals_elsewhere(
    seeded: Seeded, tmp_path: Path
) -> None:
    """The runner that ran ``consolidate`` and the portal processes have their own data
    directories (their own machines): the report is served from the ledger, with its file
    links; the PDF the first portal makes is kept there and the second serves it without
    LibreOffice."""
    from phancong.services import accounts
    from phancong.settings import Settings
    from phancong.web.app import create_app
    from tests.portal_support import add_user, client_for, fast_hasher, login

    with seeded.factory() as session:
        report = consolidate.compile_report(session, "hanoi-2026-2030", PERIOD, AS_OF)
    files = report_files.write_files(report, tmp_path / "runner" / "reports", PORTAL)
    with transaction(seeded.factory) as session:  # what the write-report task does
        report_files.keep_in_ledger(session, report, files, AS_OF)

    made_pdf = tmp_path / "made.pdf"
    made_pdf.write_bytes(PDF)
    fake = tmp_path / "soffice"  # LibreOffice's command line, writing a known PDF
    fake.write_text('#!/bin/sh\n'
                    'while [ "$#" -gt 0 ]; do [ "$1" = --outdir ] && dir="$2"; shift; done\n'
                    f'cp "{made_pdf}" "$dir/bao-cao.pdf"\n')
    fake.chmod(0o755)
    accounts_hasher = accounts.hasher
    accounts.hasher = fast_hasher  # type: ignore[assignment]
    try:
        add_user(seeded.factory, "pc02@hanoi.example", "coordinator", plan="hanoi-2026-2030",
                 now=AS_OF)
        clients = []
        for machine, soffice in (("a", str(fake)), ("b", "soffice-not-installed-here")):
            settings = Settings(  # type: ignore[call-arg]
                data_dir=tmp_path / f"portal-{machine}", database_url=seeded.url,
                secret_key="k" * 40, soffice=soffice)
            wiring = bootstrap(settings, sessions=seeded.factory, clock=lambda: AS_OF)
            client = client_for(create_app(wiring))
            assert login(client, "pc02@hanoi.example").status_code == 303
            clients.append(client)
        a, b = clients
        assert not (tmp_path / "portal-a" / "reports").exists()
        matrix = b.get("/matrix?year=2026&period=2026-Q1")
        for kind in ("html", "docx", "pdf"):
            assert f'href="/reports/hanoi-2026-2030/2026-Q1.{kind}"' in matrix.text
        html = b.get("/reports/hanoi-2026-2030/2026-Q1.html")
        assert html.status_code == 200
        assert html.text == Path(files.html).read_text(encoding="utf-8")
        assert len(re.findall(r'href="/obligations/\d+/files/\d+"', html.text)) == seeded.reported
        docx = a.get("/reports/hanoi-2026-2030/2026-Q1.docx")
        assert docx.status_code == 200 and docx.content == Path(files.docx).read_bytes()
        assert b.get("/reports/hanoi-2026-2030/2026-Q2.html").status_code == 404
        assert b.get("/reports/hanoi-2026-2030/2026-Q1.pdf").status_code == 503  # none yet
        made = a.get("/reports/hanoi-2026-2030/2026-Q1.pdf")
        assert made.status_code == 200, made.text
        assert made.content == PDF
        kept = b.get("/reports/hanoi-2026-2030/2026-Q1.pdf")  # no LibreOffice on b
        assert kept.status_code == 200 and kept.content == PDF
    finally:
        accounts.hasher = accounts_hasher  # type: ignore[assignment]

    with transaction(seeded.factory) as session:  # written again: the old PDF goes
        report_files.keep_in_ledger(session, report, files, AS_OF)
    with seeded.factory() as session:
        assert report_files.stored_report(session, "hanoi-2026-2030", PERIOD, "pdf") is None
        assert report_files.stored_formats(session, "hanoi-2026-2030", "2026-Q2") == []
