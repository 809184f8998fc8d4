"""The portal in a real browser: headless Chromium (Debian's) against ``phancong portal serve``.

An agency account of Phường Hoàn Kiếm logs in, opens one of its obligations and reports it done
with a Vietnamese note; the coordinator accepts it in the review queue and the ward's cell of the
matrix turns from "submitted" to "completed" (attribute and computed colour). Every page is
photographed at phone and desktop width into ``test_output/screenshots``. At phone width the
matrix scrolls sideways while its first column (the units) stays in view.

The portal runs on a fixed clock (``PHANCONG_PORTAL_NOW`` = ``NOW``), so the outcome does not
depend on the day the tests run: the obligation is chosen among those of the ward that are open
at ``NOW`` (in progress, else overdue), and the plan is materialised through the end of that
year. The other obligations of the same matrix cell are accepted during setup so that accepting
this one completes the cell.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from phancong.adapters.db import transaction
from phancong.adapters.orm import DutyRow, ObligationRow, UnitRow
from phancong.services import handlers, ledger, reads, submissions
from phancong.services.attachments import Upload, check
from phancong.services.reads import period_year
from phancong.web.i18n import days_text, fmt_citation
from tests.e2e.portal_server import PortalProcess, portal_server
from tests.helpers import HANOI
from tests.portal_support import PASSWORD, add_user, seed_ledger

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOW = dt.datetime(2026, 5, 4, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))  # a Monday
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
PLAN_ID = "hanoi-2026-2030"
UNIT = "ward-00070"  # UBND Phường Hoàn Kiếm
AGENCY = "hoankiem@example.test"
COORDINATOR = "thuongtruc@example.test"
NOTE = "Đã tổ chức 3 buổi tuyên truyền về phòng, chống xâm hại trẻ em"
SCRIPT_NOTE = "Báo cáo <script>window.__x=1</script> kèm thẻ & ký tự đặc biệt"
OPEN = ("in_progress", "overdue")
COMPLETED = ("completed_on_time", "completed_late")
COLOURS = {  # templates/portal/static/portal.css
    "submitted": "rgb(0, 131, 143)",
    "completed_on_time": "rgb(46, 125, 50)",
    "completed_late": "rgb(124, 138, 27)",
}


@dataclass(frozen=True)
class Prepared:
    url: str
    data_dir: Path
    obligation: int  # reported with the Vietnamese note, then accepted
    period: str
    days_left: int  # of that obligation at NOW
    source: str  # its citation, as stored
    other: int  # another open obligation of the ward, in another period (script note)


def _choose(factory: Any, now: dt.datetime) -> tuple[reads.ObligationView, reads.ObligationView]:
    with factory() as session:
        unit_id = session.scalar(
            select(UnitRow.id).where(UnitRow.plan_id == PLAN_ID, UnitRow.code == UNIT)
        )
        assert unit_id is not None, f"{UNIT} is not a unit of {PLAN_ID}"
        ids = session.scalars(  # duties the form completes with a note (no file required)
            select(ObligationRow.id)
            .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
            .where(
                ObligationRow.unit_id == unit_id,
                ObligationRow.state == "open",
                DutyRow.evidence != "required",
            )
            .order_by(ObligationRow.period_start, ObligationRow.id)
        ).all()
        views = [reads.get(session, i, now) for i in ids]
    for status in OPEN:
        chosen = next((v for v in views if v.status == status), None)
        if chosen is None:
            continue
        other = next(
            (v for v in views if v.status in OPEN and v.period_label != chosen.period_label), None
        )
        if other is not None:
            return chosen, other
    pytest.fail(f"{UNIT} has no two obligations open on {now:%Y-%m-%d} in different periods")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    tmp = tmp_path_factory.mktemp("portal-browser")
    url = f"sqlite+pysqlite:///{tmp}/ledger.db"
    now = NOW
    factory = seed_ledger(url, HANOI, through=dt.date(now.year, 12, 31), now=now)
    try:
        add_user(factory, AGENCY, "agency", plan=PLAN_ID, unit=UNIT, now=now)
        add_user(factory, COORDINATOR, "coordinator", plan=PLAN_ID, now=now)
        chosen, other = _choose(factory, now)
        with transaction(factory) as session:  # the rest of the cell is done already
            rest = session.scalars(
                select(ObligationRow.id).where(
                    ObligationRow.unit_id
                    == select(ObligationRow.unit_id)
                    .where(ObligationRow.id == chosen.id)
                    .scalar_subquery(),
                    ObligationRow.period_label == chosen.period_label,
                    ObligationRow.state.in_(["open", "returned"]),
                    ObligationRow.id != chosen.id,
                )
            ).all()
            report = check(Upload("bao-cao.pdf", b"%PDF-1.4\n%%EOF\n"))
            for oid in rest:
                submissions.submit(
                    session, oid, actor=AGENCY, at=now, note="Đã hoàn thành", files=[report]
                )
                handlers.record(session, [ledger.accept(session, oid, actor=COORDINATOR, at=now)])
    finally:
        factory.kw["bind"].dispose()
    return Prepared(
        url,
        tmp / "data",
        chosen.id,
        chosen.period_label,
        chosen.days_left,
        chosen.source,
        other.id,
    )


@pytest.fixture(scope="module")
def portal(prepared: Prepared) -> Iterator[PortalProcess]:
    with portal_server(prepared.url, prepared.data_dir, now=NOW) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def shots(test_output: Path) -> Path:
    path = test_output / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Tab:
    """One signed-in browser context (its own cookies) with a page and a screenshot helper."""

    def __init__(self, browser: Any, portal: PortalProcess, shots: Path) -> None:
        self.portal = portal
        self.shots = shots
        self.context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.portal.url + path)
        assert response is not None and response.ok, f"GET {path}: {response and response.status}"
        return response

    def login(self, email: str) -> None:
        self.goto("/login")
        self.page.fill("#login-email", email)
        self.page.fill("#login-password", PASSWORD)
        self.page.click("#login-submit")
        expect(self.page.get_by_test_id("current-user")).to_be_visible()

    def shoot(self, name: str) -> None:
        """Full-page PNGs at phone then desktop width (the page is left at desktop width)."""
        self.page.wait_for_load_state("load")
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            self.page.set_viewport_size(size)
            path = self.shots / f"{name}-{label}.png"
            self.page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 2000, path

    def background(self, selector: str) -> str:
        value: str = self.page.locator(selector).evaluate(
            "el => getComputedStyle(el).backgroundColor"
        )
        return value

    def close(self) -> None:
        self.context.close()
        assert not self.errors, self.errors


@pytest.fixture
def tab(browser: Any, portal: PortalProcess, shots: Path) -> Iterator[Any]:
    opened: list[Tab] = []

    def open_tab() -> Tab:
        opened.append(Tab(browser, portal, shots))
        return opened[-1]

    yield open_tab
    for t in opened:
        t.close()


def _open_matrix_at(t: Tab, period: str) -> Any:
    """The matrix (from the menu), on the year of ``period``; returns the cell of the ward."""
    t.page.click("#nav-matrix")
    expect(t.page.locator("body")).to_have_attribute("data-page", "matrix")
    year = str(period_year(period))
    if t.page.locator("#filter-year").input_value() != year:
        t.page.select_option("#filter-year", year)
        t.page.click("#filter-apply")
    cell = t.page.locator(f"#cell-{UNIT}-{period}")
    expect(cell).to_have_count(1)
    return cell


def test_agency_submits_coordinator_accepts_and_the_matrix_cell_turns_completed(
    tab: Any, prepared: Prepared
) -> None:
    ob, period = prepared.obligation, prepared.period

    # --- the ward's account: log in, My obligations, the obligation, report it done
    agency = tab()
    page = agency.page
    agency.goto("/")
    expect(page.locator("body")).to_have_attribute("data-page", "login")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    agency.shoot("login")
    agency.login(AGENCY)
    page.click("#nav-obligations")
    row = page.locator(f"#obligation-{ob}")
    expect(row).to_have_attribute("data-status", re.compile(f"^({'|'.join(OPEN)})$"))
    expect(page.get_by_test_id("unit-name")).to_have_text("UBND Phường Hoàn Kiếm")
    agency.shoot("my-obligations")
    row.get_by_test_id("obligation-link").click()
    expect(page.locator("#obligation-title")).to_have_attribute("data-obligation-id", str(ob))
    expect(page.get_by_test_id("submit-form")).to_be_visible()
    days = page.locator("#obligation-facts").get_by_test_id("days")  # the portal's clock is NOW
    expect(days).to_have_attribute("data-days", str(prepared.days_left))
    expect(days).to_have_text(days_text(prepared.days_left, "vi"))
    citation = fmt_citation(prepared.source, "vi")
    assert citation.startswith("Mục ") and citation != prepared.source
    expect(page.get_by_test_id("citation")).to_have_text(citation)
    agency.shoot("obligation-open")
    page.fill("#submit-note", NOTE)
    page.click("#submit-button")
    page.click("#submit-confirm-button")  # the confirmation
    expect(page.get_by_test_id("flash")).to_be_visible()
    expect(page.get_by_test_id("obligation-status")).to_have_attribute("data-status", "submitted")
    expect(page.get_by_test_id("submission-note")).to_have_text(NOTE)
    expect(page.get_by_test_id("submit-form")).to_have_count(0)
    raw = agency.goto(f"/obligations/{ob}").text()
    assert f'data-testid="submission-note">{NOTE}</pre>' in raw  # verbatim UTF-8, not entities
    agency.shoot("obligation-submitted")
    page.click("#nav-obligations")
    expect(page.locator(f"#obligation-{ob}")).to_have_attribute("data-status", "submitted")

    # --- the coordinator: matrix, review queue, accept, matrix again
    coordinator = tab()
    cpage = coordinator.page
    coordinator.login(COORDINATOR)
    cell = _open_matrix_at(coordinator, period)
    before = cell.get_attribute("data-status")
    assert before == "submitted", before
    colour_before = coordinator.background(f"#cell-{UNIT}-{period}")
    assert colour_before == COLOURS["submitted"]
    assert int(cell.get_attribute("data-done") or 0) == int(cell.get_attribute("data-total")) - 1
    coordinator.shoot("matrix-before")
    cpage.click("#nav-fanout")
    expect(cpage.locator("body")).to_have_attribute("data-page", "fanout")
    coordinator.shoot("communes")
    cpage.click("#nav-review")
    item = cpage.locator(f"#review-{ob}")
    expect(item).to_be_visible()
    expect(item.get_by_test_id("review-note")).to_have_text(NOTE)
    coordinator.shoot("review")
    cpage.click(f"#accept-button-{ob}")
    expect(cpage.locator("body")).to_have_attribute("data-page", "review")
    expect(cpage.locator(f"#review-{ob}")).to_have_count(0)
    cell = _open_matrix_at(coordinator, period)
    after = cell.get_attribute("data-status")
    assert after in COMPLETED, after
    assert cell.get_attribute("data-done") == cell.get_attribute("data-total")
    colour_after = coordinator.background(f"#cell-{UNIT}-{period}")
    assert colour_after == COLOURS[after] != colour_before
    assert colour_after == coordinator.background(f'#legend [data-status="{after}"]')
    coordinator.shoot("matrix-after")
    cpage.click("#nav-account")
    expect(cpage.get_by_test_id("account-role")).to_have_attribute("data-role", "coordinator")
    coordinator.shoot("account-coordinator")

    # --- the ward sees the acceptance
    agency.goto(f"/obligations/{ob}")
    expect(page.get_by_test_id("obligation-status")).to_have_attribute("data-status", after)
    expect(page.get_by_test_id("submission")).to_have_attribute("data-review", "accepted")
    agency.shoot("obligation-accepted")
    page.click("#nav-account")
    expect(page.get_by_test_id("account-role")).to_have_attribute("data-role", "agency")
    agency.shoot("account-agency")
    agency.goto(f"/obligations/{ob}?lang=en")  # English readers get the citation as stored
    expect(page.get_by_test_id("citation")).to_have_text(prepared.source)


def test_matrix_first_column_stays_in_view_when_scrolled_on_a_phone(
    tab: Any, prepared: Prepared
) -> None:
    coordinator = tab()
    page = coordinator.page
    coordinator.login(COORDINATOR)
    page.set_viewport_size(PHONE)
    coordinator.goto(f"/matrix?plan={PLAN_ID}&year={NOW.year}")
    scroller = page.get_by_test_id("matrix-scroll")
    head = page.locator("#matrix thead th.unit")
    first = page.locator("#matrix tbody tr").first.locator("td.unit")
    last_head = page.locator("#matrix thead th").last
    scroller.evaluate("el => el.scrollIntoView({block: 'start', inline: 'nearest'})")
    overflow = scroller.evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow > 100, f"the matrix does not overflow at phone width ({overflow}px)"
    box = scroller.bounding_box()
    far_before = last_head.bounding_box()
    assert box is not None and far_before is not None

    scrolled = scroller.evaluate("el => { el.scrollLeft = el.scrollWidth; return el.scrollLeft; }")
    assert abs(scrolled - overflow) <= 1
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => r(null)))")
    far_after = last_head.bounding_box()
    assert far_after is not None
    assert abs(far_before["x"] - far_after["x"] - scrolled) < 1  # the heat map did move
    for cell in (head, first):
        cell_box = cell.bounding_box()
        assert cell_box is not None
        assert abs(cell_box["x"] - box["x"]) < 1, (cell_box, box)
        # on top of the cells that scrolled under it, with a background they cannot show through
        on_top = page.evaluate(
            "([x, y]) => !!document.elementFromPoint(x, y)?.closest('#matrix th.unit, #matrix td.unit')",
            [cell_box["x"] + cell_box["width"] / 2, cell_box["y"] + cell_box["height"] / 2],
        )
        assert on_top
        background = cell.evaluate("el => getComputedStyle(el).backgroundColor")
        assert background not in ("transparent", "rgba(0, 0, 0, 0)"), background
    page.screenshot(path=str(coordinator.shots / "matrix-scrolled-phone.png"))


def test_a_script_in_a_note_is_shown_as_text_and_never_runs(tab: Any, prepared: Prepared) -> None:
    ob = prepared.other
    agency = tab()
    page = agency.page
    agency.login(AGENCY)
    agency.goto(f"/obligations/{ob}")
    page.fill("#submit-note", SCRIPT_NOTE)
    page.click("#submit-button")
    page.click("#submit-confirm-button")  # the confirmation
    expect(page.get_by_test_id("obligation-status")).to_have_attribute("data-status", "submitted")
    expect(page.get_by_test_id("submission-note")).to_have_text(SCRIPT_NOTE)
    assert page.evaluate("typeof window.__x") == "undefined"
    raw = agency.goto(f"/obligations/{ob}").text()
    assert "&lt;script&gt;window.__x=1&lt;/script&gt;" in raw
    assert "<script>window.__x" not in raw
    assert page.evaluate("typeof window.__x") == "undefined"
    assert page.locator("script").count() == 0

    coordinator = tab()
    coordinator.login(COORDINATOR)
    coordinator.goto("/review")
    expect(coordinator.page.locator(f"#review-{ob}").get_by_test_id("review-note")).to_have_text(
        SCRIPT_NOTE
    )
    assert coordinator.page.evaluate("typeof window.__x") == "undefined"
