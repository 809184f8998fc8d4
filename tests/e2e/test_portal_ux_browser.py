"""What a clerk and a coordinator see, in headless Chromium (Debian's) at desktop and 390 px.

The ward's clerk reports an obligation done only after confirming it, withdraws it before
review, reports again and, once the Standing Office returned it, finds the reason at the top of
the page above a form prefilled with the previous report; the audit trail and the email states
read as words and people by name. A password is changed from the account page (the account's
other session ends) and a forgotten password leads to a page that emails a login link. The
coordinator gets a confirmation after returning a report; the communes page lists wards only,
with duty titles on its columns and a status symbol and word in each cell; periods are in
chronological order in the dropdowns and the matrix. Emails rendered at 390 px do not overflow
sideways. One browser and one portal for the module; the portal runs on a fixed clock.
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

from phancong.adapters.loader import load
from phancong.adapters.orm import ObligationRow, UnitRow
from phancong.mail.render import render_notice
from phancong.mail.samples import sample_notice
from phancong.services import reads
from phancong.services.notices import NoticeKind
from phancong.services.reads import period_key
from phancong.web.i18n import status_short
from tests.e2e.portal_server import PortalProcess, portal_server
from tests.helpers import HANOI
from tests.portal_support import PASSWORD, add_user, seed_ledger

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NOW = dt.datetime(2026, 5, 4, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))  # a Monday
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
PLAN_ID = "hanoi-2026-2030"
UNIT = "ward-00070"  # UBND Phường Hoàn Kiếm
CLERK = "hoankiem@example.test"
COORDINATOR = "thuongtruc@example.test"
PW_USER = "doimatkhau@example.test"  # an account of its own for the password change
NOTE = "Đã tổ chức 2 buổi tuyên truyền tại các trường tiểu học"
REASON = "Chưa có số liệu số buổi và số người tham dự"
NEW_PASSWORD = "mật khẩu mới của văn thư 2026"


@dataclass(frozen=True)
class Prepared:
    url: str
    data_dir: Path
    obligation: int


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    tmp = tmp_path_factory.mktemp("portal-ux")
    url = f"sqlite+pysqlite:///{tmp}/ledger.db"
    factory = seed_ledger(url, HANOI, through=dt.date(2026, 12, 31), now=NOW)
    try:
        add_user(factory, CLERK, "agency", plan=PLAN_ID, unit=UNIT, now=NOW)
        add_user(factory, PW_USER, "agency", plan=PLAN_ID, unit=UNIT, now=NOW)
        add_user(factory, COORDINATOR, "coordinator", plan=PLAN_ID, now=NOW)
        with factory() as session:
            unit_id = session.scalar(
                select(UnitRow.id).where(UnitRow.plan_id == PLAN_ID, UnitRow.code == UNIT))
            ids = session.scalars(
                select(ObligationRow.id)
                .where(ObligationRow.unit_id == unit_id, ObligationRow.state == "open")
                .order_by(ObligationRow.period_start, ObligationRow.id)).all()
            views = [reads.get(session, i, NOW) for i in ids]
        chosen = next(v for v in views if v.status in ("in_progress", "overdue"))
    finally:
        factory.kw["bind"].dispose()
    return Prepared(url, tmp / "data", chosen.id)


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
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
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
    """A signed-in browser context with one page; ``shoot`` photographs at 390 px and desktop
    and checks that nothing overflows sideways at 390 px (the matrices scroll in their box)."""

    def __init__(self, browser: Any, portal: PortalProcess, shots: Path) -> None:
        self.portal, self.shots = portal, shots
        self.context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.portal.url + path)
        assert response is not None and response.ok, f"GET {path}: {response and response.status}"
        return response

    def login(self, email: str, password: str = PASSWORD) -> None:
        self.goto("/login")
        self.page.fill("#login-email", email)
        self.page.fill("#login-password", password)
        self.page.click("#login-submit")
        expect(self.page.get_by_test_id("current-user")).to_be_visible()

    def shoot(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            self.page.set_viewport_size(size)
            if label == "phone":
                wide = self.page.evaluate(
                    "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert wide <= 0, f"{name}: the page is {wide}px wider than a 390 px phone"
            path = self.shots / f"ux-{name}-{label}.png"
            self.page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 2000, path

    def top(self, selector: str) -> float:
        box = self.page.locator(selector).bounding_box()
        assert box is not None, selector
        return float(box["y"])

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


def _submit(clerk: Tab, note: str | None) -> None:
    page = clerk.page
    if note is not None:
        page.fill("#submit-note", note)
    page.click("#submit-button")
    confirm = page.get_by_test_id("submit-confirm")
    expect(confirm).to_be_visible()  # nothing is sent before the confirmation
    expect(page.get_by_test_id("obligation-status")).not_to_have_attribute("data-status",
                                                                           "submitted")
    page.click("#submit-confirm-button")
    expect(page.get_by_test_id("obligation-status")).to_have_attribute("data-status", "submitted")


def test_clerk_confirms_withdraws_and_finds_the_return_reason_at_the_top(
    tab: Any, prepared: Prepared
) -> None:
    ob = prepared.obligation
    clerk = tab()
    page = clerk.page
    clerk.login(CLERK)
    clerk.goto(f"/obligations/{ob}")
    expect(page.get_by_test_id("audit-none")).to_have_text("Chưa có.")  # no empty table
    page.fill("#submit-note", NOTE)
    page.click("#submit-button")
    expect(page.get_by_test_id("submit-confirm")).to_be_visible()
    clerk.page.set_viewport_size(PHONE)
    page.screenshot(path=str(clerk.shots / "ux-confirm-phone.png"))
    clerk.page.set_viewport_size(DESKTOP)
    page.click("#submit-cancel-button")  # back to the form: nothing was sent
    expect(page.get_by_test_id("submit-confirm")).to_be_hidden()
    expect(page.get_by_test_id("obligation-status")).not_to_have_attribute("data-status",
                                                                           "submitted")
    _submit(clerk, None)
    expect(page.get_by_test_id("withdraw-form")).to_be_visible()
    page.click("#withdraw-button")
    expect(page.get_by_test_id("flash")).to_contain_text("Đã rút lại báo cáo")
    expect(page.get_by_test_id("obligation-status")).to_have_attribute(
        "data-status", re.compile("^(in_progress|overdue)$"))
    expect(page.locator("#submit-note")).to_have_value(NOTE)  # prefilled for correction
    audit = page.get_by_test_id("audit")
    expect(audit.locator('[data-action="obligation.withdrawn"] [data-testid="audit-action"]')
           ).to_have_text("Rút lại báo cáo trước khi duyệt")
    expect(audit.locator('[data-action="obligation.submitted"] [data-testid="audit-action"]')
           ).to_have_text("Gửi báo cáo hoàn thành")
    expect(audit.get_by_test_id("audit-actor").first).to_have_text("Người dùng hoankiem")
    text = audit.inner_text()
    assert "obligation." not in text and CLERK not in text, text
    assert "Ghi chú:" in text and "Lý do:" not in text  # the note is not shown as a reason
    clerk.shoot("withdrawn")
    _submit(clerk, None)

    # --- the coordinator returns it from the review queue and is told so
    coordinator = tab()
    cpage = coordinator.page
    coordinator.login(COORDINATOR)
    cpage.click("#nav-review")
    cpage.fill(f"#return-reason-{ob}", REASON)
    cpage.click(f"#return-button-{ob}")
    expect(cpage.get_by_test_id("flash")).to_have_text(
        f"Đã trả lại báo cáo của UBND Phường Hoàn Kiếm (nhiệm vụ số {ob}); đơn vị đã được "
        "thông báo.")
    expect(cpage.locator(f"#review-{ob}")).to_have_count(0)
    coordinator.shoot("review-returned")

    # --- the clerk sees the reason first, above the prefilled form
    clerk.goto(f"/obligations/{ob}")
    expect(page.get_by_test_id("returned-reason-text")).to_have_text(REASON)
    expect(page.get_by_test_id("returned-reason")).to_contain_text("Người dùng thuongtruc")
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        assert clerk.top("#returned-reason") < clerk.top("#duty-text") < clerk.top("#submit-form")
    expect(page.locator("#submit-note")).to_have_value(NOTE)
    audit_rows = page.get_by_test_id("audit").get_by_test_id("audit-action")
    expect(audit_rows.last).to_have_text("Trả lại báo cáo")
    expect(page.get_by_test_id("audit").locator("tr").last).to_contain_text(f"Lý do: {REASON}")
    statuses = page.get_by_test_id("email-status")
    expect(statuses.first).to_have_text("đang chờ gửi")  # the return notice, queued
    clerk.shoot("returned")


def test_password_change_ends_the_other_session_and_a_forgotten_one_is_emailed(
    tab: Any,
) -> None:
    other = tab()
    other.login(PW_USER)
    visitor = tab()
    page = visitor.page
    visitor.goto("/login")
    page.click("#forgot-link")
    expect(page.locator("body")).to_have_attribute("data-page", "forgot")
    page.fill("#forgot-email", PW_USER)
    page.click("#forgot-submit")
    expect(page.get_by_test_id("forgot-sent")).to_be_visible()
    visitor.shoot("forgot-sent")

    visitor.login(PW_USER)
    page.click("#nav-account")
    page.fill("#password-current", PASSWORD)
    page.fill("#password-new", NEW_PASSWORD)
    page.fill("#password-again", NEW_PASSWORD + "!")
    page.click("#password-button")
    expect(page.get_by_test_id("password-error")).to_have_text(
        "Hai lần nhập mật khẩu mới không khớp nhau")
    page.fill("#password-current", PASSWORD)
    page.fill("#password-new", NEW_PASSWORD)
    page.fill("#password-again", NEW_PASSWORD)
    page.click("#password-button")
    expect(page.get_by_test_id("flash")).to_have_text(
        "Đã đổi mật khẩu; các phiên đăng nhập khác đã bị đăng xuất.")
    visitor.shoot("password-changed")
    other.page.reload()  # the session opened before the change has ended
    expect(other.page.locator("body")).to_have_attribute("data-page", "login")
    other.login(PW_USER, NEW_PASSWORD)


def test_communes_page_and_chronological_periods(tab: Any) -> None:
    coordinator = tab()
    page = coordinator.page
    coordinator.login(COORDINATOR)
    page.click("#nav-fanout")
    expect(page.locator("body")).to_have_attribute("data-page", "fanout")
    rows = page.get_by_test_id("matrix-row")
    assert rows.count() >= 100
    units = {rows.nth(i).get_attribute("data-unit") for i in range(rows.count())}
    assert all(u and u.startswith("ward-") for u in units), sorted(units)[:5]  # wards only
    titles = page.get_by_test_id("duty-title")
    assert titles.count() >= 1
    for i in range(titles.count()):
        title = titles.nth(i).inner_text().strip()
        assert title and not title.startswith("Mục"), title
        head = page.get_by_test_id("fanout-duty").nth(i)
        full = head.get_attribute("title") or ""
        assert full.startswith(title[:20]), (full, title)  # the whole title on hover
    expect(page.get_by_test_id("count-hint")).to_contain_text("đã nộp báo cáo (kể cả chờ duyệt)")
    cells = page.locator('td.cell[data-status]:not(.empty)')
    assert cells.count() > 0
    for i in range(min(cells.count(), 40)):
        cell = cells.nth(i)
        status = cell.get_attribute("data-status") or ""
        assert cell.get_by_test_id("cell-word").inner_text() == status_short(status)
        assert not re.search(r"#\d+", cell.inner_text())  # no obligation numbers
    first = cells.first
    colour = first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    periods = [o.get_attribute("value") or "" for o in page.locator("#filter-period option").all()]
    assert periods == sorted(periods, key=period_key) and "2026" in periods
    # formerly "Năm 2026" came before "Hạn 31/03/2026" and "Quý III" came last
    assert periods.index("ONCE-2026-03-31") < periods.index("2026-H1")
    assert periods.index("2026-Q3") < periods.index("2026")
    coordinator.shoot("communes")

    page.click("#nav-matrix")
    heads = [h.get_attribute("data-period") or ""
             for h in page.locator("#matrix thead th[data-period]").all()]
    assert len(heads) > 3 and heads == sorted(heads, key=period_key), heads
    options = [o.get_attribute("value") for o in page.locator("#filter-period option").all()][1:]
    assert options == heads
    expect(page.get_by_test_id("count-hint")).to_contain_text("đã hoàn thành (được chấp nhận)")
    expect(page.get_by_test_id("placeholder-warning")).to_contain_text("*.example")


@pytest.mark.parametrize("kind", ["standing_office", "review"])
def test_emails_fit_a_390_px_phone(browser: Any, shots: Path, kind: str) -> None:
    plan = load(HANOI)
    mail = render_notice(sample_notice(NoticeKind(kind), plan))
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.set_content(mail.html)
        wide = page.evaluate("() => [document.documentElement.scrollWidth,"
                             " document.documentElement.clientWidth]")
        assert wide[0] <= wide[1], f"{kind}: {wide[0]}px of content in a {wide[1]}px screen"
        tables = page.locator("table").all()
        assert tables
        for table in tables:
            box = table.bounding_box()
            assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
        page.screenshot(path=str(shots / f"ux-email-{kind}-phone.png"), full_page=True)
    finally:
        context.close()
