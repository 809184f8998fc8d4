"""Report files in a real browser (Debian's Chromium against ``phancong portal serve``).

Phường Hoàn Kiếm sends its Quý I/2026 periodic report (V.1, which requires the signed file)
with a PDF and a DOCX chosen in the form; the city police submits its figures; the Standing
Office sees both files in the review queue and downloads each, byte for byte; another ward's
account gets 404 on the file URLs. Pages are photographed into ``test_output/screenshots``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from phancong.adapters.orm import DutyRow, ObligationRow, UnitRow
from tests.e2e.portal_server import PortalProcess, portal_server
from tests.e2e.test_portal_browser import CHROMIUM, CHROMIUM_ARGS, Tab
from tests.helpers import HANOI
from tests.portal_support import add_user, seed_ledger

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
PLAN_ID = "hanoi-2026-2030"
WARD, OTHER_WARD = "ward-00070", "ward-00073"
AGENCY, OTHER, POLICE, COORDINATOR = (
    "hoankiem@example.test",
    "khac@example.test",
    "catp@example.test",
    "thuongtruc@example.test",
)
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _docx() -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph("Báo cáo kết quả thực hiện Quý I/2026 – UBND Phường Hoàn Kiếm")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class Prepared:
    url: str
    data_dir: Path
    report: int  # the ward's V.1 periodic report, Q1 2026
    figures: int  # the police's IV.1 duty with indicators, Q1 2026


def _obligation(session: Any, duty: str, unit: str) -> int:
    value = session.scalar(
        select(ObligationRow.id)
        .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        .where(DutyRow.code == duty, UnitRow.code == unit, ObligationRow.period_label == "2026-Q1",
               ObligationRow.role != "support")
    )
    assert value is not None, (duty, unit)
    return int(value)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    tmp = tmp_path_factory.mktemp("report-files-browser")
    url = f"sqlite+pysqlite:///{tmp}/ledger.db"
    factory = seed_ledger(url, HANOI, through=dt.date(2026, 6, 30), now=NOW)
    try:
        add_user(factory, AGENCY, "agency", plan=PLAN_ID, unit=WARD, now=NOW)
        add_user(factory, OTHER, "agency", plan=PLAN_ID, unit=OTHER_WARD, now=NOW)
        add_user(factory, POLICE, "agency", plan=PLAN_ID, unit="catp", now=NOW)
        add_user(factory, COORDINATOR, "coordinator", plan=PLAN_ID, now=NOW)
        with factory() as session:
            report = _obligation(session, "v-1-bao-cao", WARD)
            figures = _obligation(session, "iv-1-b7", "catp")
    finally:
        factory.kw["bind"].dispose()
    return Prepared(url, tmp / "data", report, figures)


@pytest.fixture(scope="module")
def portal(prepared: Prepared) -> Iterator[PortalProcess]:
    with portal_server(prepared.url, prepared.data_dir, now=NOW) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


def test_ward_uploads_police_reports_figures_office_opens_files(
    browser: Any, portal: PortalProcess, prepared: Prepared, test_output: Path, tmp_path: Path
) -> None:
    shots = test_output / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    pdf_path, docx_path = tmp_path / "Báo cáo quý I.pdf", tmp_path / "phu-luc-so-lieu.docx"
    docx = _docx()
    pdf_path.write_bytes(PDF)
    docx_path.write_bytes(docx)
    tabs: list[Tab] = []
    try:
        # the ward: the form says a file is required; it chooses two files and sends
        ward = Tab(browser, portal, shots)
        tabs.append(ward)
        ward.login(AGENCY)
        ward.goto(f"/obligations/{prepared.report}")
        expect(ward.page.locator("#files-required")).to_be_visible()
        ward.page.fill("#submit-note", "UBND Phường Hoàn Kiếm gửi báo cáo Quý I/2026 đã ký.")
        ward.page.set_input_files("#submit-files", [str(pdf_path), str(docx_path)])
        ward.shoot("report-files-form")
        ward.page.click("#submit-button")
        ward.page.click("#submit-confirm-button")  # the confirmation before sending
        expect(ward.page.locator("#obligation-facts")).to_be_visible()
        links = ward.page.get_by_test_id("file-link")
        expect(links).to_have_count(2)
        expect(links.nth(0)).to_have_text("Báo cáo quý I.pdf")
        expect(links.nth(1)).to_have_text("phu-luc-so-lieu.docx")
        hrefs = [links.nth(i).get_attribute("href") for i in range(2)]
        ward.shoot("report-files-submitted")

        # the police: figures in the indicator fields of its IV.1 duty
        police = Tab(browser, portal, shots)
        tabs.append(police)
        police.login(POLICE)
        police.goto(f"/obligations/{prepared.figures}")
        police.page.fill("#indicator-ty-le-tiep-nhan-tin-bao", "100")
        police.page.fill("#indicator-ty-le-giai-quyet-tin-bao", "96.5")
        police.page.click("#submit-button")
        police.page.click("#submit-confirm-button")
        expect(police.page.get_by_test_id("submission")).to_have_count(1)
        expect(police.page.get_by_test_id("submission")).to_contain_text("96.5")

        # another ward: the file URLs are not found
        other = Tab(browser, portal, shots)
        tabs.append(other)
        other.login(OTHER)
        for href in hrefs:
            assert href is not None
            response = other.page.request.get(portal.url + href)
            assert response.status == 404, href
            assert response.body() not in (PDF, docx)

        # the Standing Office: both files in the review queue, each opened (downloaded)
        office = Tab(browser, portal, shots)
        tabs.append(office)
        office.login(COORDINATOR)
        office.goto("/review")
        item = office.page.locator(f"#review-{prepared.report}")
        files = item.get_by_test_id("file-link")
        expect(files).to_have_count(2)
        office.shoot("review-files")
        for index, expected in ((0, PDF), (1, docx)):
            with office.page.expect_download() as event:
                files.nth(index).click()
            download = event.value
            saved = tmp_path / f"opened-{index}-{download.suggested_filename}"
            download.save_as(str(saved))
            assert saved.read_bytes() == expected
        assert {"Báo cáo quý I.pdf", "phu-luc-so-lieu.docx"} <= {
            p.name.split("-", 2)[-1] for p in tmp_path.glob("opened-*")
        }
        # the matrix page's charts
        office.goto("/matrix?year=2026")
        expect(office.page.get_by_test_id("chart-reported")).to_be_visible()
        expect(office.page.get_by_test_id("chart-rates")).to_be_visible()
        office.page.get_by_test_id("charts").screenshot(path=str(shots / "matrix-charts.png"))
    finally:
        for t in tabs:
            t.close()
