"""What a clerk and a coordinator do in the portal, on SQLite: withdraw a report before review
(audited), correct a returned one from a prefilled form, change a password (other sessions end),
ask for a login link by email, hear of a review or an extension at the unit's addresses and the
unit's accounts, and set a unit's contact addresses."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.orm import AuditRow, OutboxItemRow, OutboxRow, SubmissionRow, UnitRow
from phancong.bootstrap import bootstrap
from phancong.services import accounts
from phancong.settings import Settings
from phancong.web.app import create_app
from tests.portal_support import (
    PASSWORD,
    add_user,
    client_for,
    csrf,
    fast_hasher,
    login,
    seed_ledger,
)

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
SGD, COORD = "sgd@example.test", "pc02@example.test"
SGD2 = "sgd-vanthu@example.test"  # a second account of the same unit
NEW_PASSWORD = "một mật khẩu mới đủ dài 2026"


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    factory = seed_ledger(f"sqlite+pysqlite:///{tmp_path}/ledger.db",
                          through=dt.date(2026, 12, 31), now=NOW)
    add_user(factory, SGD, "agency", plan="mini", unit="sgd", now=NOW)
    add_user(factory, SGD2, "agency", plan="mini", unit="sgd", now=NOW)
    add_user(factory, COORD, "coordinator", plan=None, now=NOW)
    yield factory
    factory.kw["bind"].dispose()


@pytest.fixture
def app(tmp_path: Path, factory: sessionmaker[Session]) -> Any:
    settings = Settings(data_dir=tmp_path / "data", secret_key="s" * 40,  # type: ignore[arg-type]
                        portal_url="http://portal.test")
    return create_app(bootstrap(settings, sessions=factory, clock=lambda: NOW))


def as_user(app: Any, email: str, password: str = PASSWORD) -> Any:
    client = client_for(app)
    assert login(client, email, password).status_code == 303
    return client


def post(client: Any, path: str, **form: str) -> Any:
    return client.post(path, data={**form, "csrf_token": csrf(client)}, follow_redirects=False)


def test_withdraw_then_return_then_correct_from_a_prefilled_form(
    app: Any, factory: sessionmaker[Session]
) -> None:
    clerk, coordinator = as_user(app, SGD), as_user(app, COORD)
    assert post(clerk, "/obligations/1/submit", note="Bản nháp gửi nhầm").status_code == 303
    page = clerk.get("/obligations/1")
    assert 'data-testid="withdraw-form"' in page.text and 'popovertarget="submit-confirm"' not in page.text
    assert post(coordinator, "/obligations/1/withdraw").status_code == 403  # the unit's act
    withdrawn = post(clerk, "/obligations/1/withdraw")
    assert withdrawn.headers["location"] == "/obligations/1?msg=withdraw"
    page = clerk.get("/obligations/1?msg=withdraw")
    assert "Đã rút lại báo cáo" in page.text
    assert ">Bản nháp gửi nhầm</textarea>" in page.text  # prefilled for correction
    assert "Rút lại báo cáo trước khi duyệt" in page.text  # the audit trail, in words
    assert post(clerk, "/obligations/1/withdraw").status_code == 422  # nothing left to withdraw
    with factory() as session:
        actions = session.scalars(select(AuditRow.action).where(
            AuditRow.entity == "obligation", AuditRow.entity_id == "1").order_by(AuditRow.id)).all()
        assert actions[-2:] == ["obligation.submitted", "obligation.withdrawn"]
        assert session.scalars(select(SubmissionRow.review).where(
            SubmissionRow.obligation_id == 1)).all() == ["withdrawn"]

    assert post(clerk, "/obligations/1/submit", note="Báo cáo quý I").status_code == 303
    returned = post(coordinator, "/obligations/1/return", reason="Thiếu số liệu chỉ tiêu",
                    back="/review")
    assert returned.headers["location"] == "/review?done=return&ob=1"
    told = coordinator.get(returned.headers["location"])
    assert "Đã trả lại báo cáo của Sở Giáo dục và Đào tạo (nhiệm vụ số 1)" in told.text
    page = clerk.get("/obligations/1").text
    reason_at = page.index('data-testid="returned-reason"')
    assert reason_at < page.index('id="submit-form"')
    assert 'data-testid="returned-reason-text">Thiếu số liệu chỉ tiêu<' in page
    assert ">Báo cáo quý I</textarea>" in page
    assert "Người dùng pc02" in page  # the reviewer by name, not by address
    # the return went to the unit's address and to both accounts of the unit
    with factory() as session:
        mail = session.scalars(select(OutboxRow).where(OutboxRow.kind == "review")
                               .order_by(OutboxRow.id.desc())).first()
        assert mail is not None
        assert mail.recipients == ["sgd@example.test", SGD2]  # the unit's address is SGD's too
        assert "Trả lại báo cáo" in mail.subject


def test_an_extension_is_emailed_to_the_unit_and_its_accounts(
    app: Any, factory: sessionmaker[Session]
) -> None:
    with factory() as session:
        unit = session.scalars(select(UnitRow).where(UnitRow.code == "sgd")).one()
        unit_emails = list(unit.emails)
    coordinator = as_user(app, COORD)
    extended = post(coordinator, "/obligations/1/extend", new_deadline="2026-03-31",
                    reason="Chờ số liệu của ngành giáo dục")
    assert extended.status_code == 303
    with factory() as session:
        mail = session.scalars(select(OutboxRow).where(OutboxRow.kind == "review")).one()
    assert mail.subject.startswith("[phancong") and "Gia hạn nhiệm vụ" in mail.subject
    assert "31/03/2026" in mail.body_text and "Chờ số liệu của ngành giáo dục" in mail.body_text
    assert set(mail.recipients) == {*unit_emails, SGD, SGD2}


def test_password_change_ends_the_other_sessions(app: Any) -> None:
    here, elsewhere = as_user(app, SGD), as_user(app, SGD)
    page = here.get("/account")
    assert 'id="password-current"' in page.text
    wrong = post(here, "/account/password", current_password="sai mật khẩu rồi",
                 new_password=NEW_PASSWORD, new_password_again=NEW_PASSWORD)
    assert wrong.status_code == 400 and "Mật khẩu hiện tại không đúng" in wrong.text
    differ = post(here, "/account/password", current_password=PASSWORD,
                  new_password=NEW_PASSWORD, new_password_again=NEW_PASSWORD + "x")
    assert differ.status_code == 400 and "không khớp" in differ.text
    weak = post(here, "/account/password", current_password=PASSWORD,
                new_password="1234567890", new_password_again="1234567890")
    assert weak.status_code == 400 and "quá dễ đoán" in weak.text
    done = post(here, "/account/password", current_password=PASSWORD,
                new_password=NEW_PASSWORD, new_password_again=NEW_PASSWORD)
    assert done.status_code == 200 and "Đã đổi mật khẩu" in done.text
    assert here.get("/account", follow_redirects=False).status_code == 200  # this one goes on
    assert elsewhere.get("/account", follow_redirects=False).status_code in (302, 303, 401)
    assert login(client_for(app), SGD).status_code == 400  # the old password no longer works
    assert login(client_for(app), SGD, NEW_PASSWORD).status_code == 303


def test_forgotten_password_emails_a_one_time_link_that_lets_a_new_password_be_set(
    app: Any, factory: sessionmaker[Session]
) -> None:
    anonymous = client_for(app)
    assert 'href="/login/forgot"' in anonymous.get("/login").text
    form = anonymous.get("/login/forgot")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    for email in (SGD, "nobody@example.test", SGD):  # the same answer; one email per 5 minutes
        sent = anonymous.post("/login/forgot", data={"email": email, "csrf_token": token.group(1)})
        assert sent.status_code == 200 and 'data-testid="forgot-sent"' in sent.text
    with factory() as session:
        mails = session.scalars(select(OutboxRow).where(OutboxRow.kind == "login_link")).all()
    assert len(mails) == 1 and mails[0].recipients == [SGD]
    link = re.search(r"http://portal.test(/login/link/[^\s\"<]+)", mails[0].body_text)
    assert link is not None and "<a href=" in mails[0].body_html
    landing = anonymous.get(link.group(1))
    assert landing.status_code == 200
    used = anonymous.post(link.group(1), data={"csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"', landing.text).group(1)},  # type: ignore[union-attr]
        follow_redirects=False)
    assert used.headers["location"] == "/account#password"
    page = anonymous.get("/account")
    assert 'id="password-current"' not in page.text  # just logged in by the link
    done = post(anonymous, "/account/password", new_password=NEW_PASSWORD,
                new_password_again=NEW_PASSWORD)
    assert "Đã đổi mật khẩu" in done.text
    assert login(client_for(app), SGD, NEW_PASSWORD).status_code == 303
    assert anonymous.get(link.group(1)).status_code == 400  # used once


def test_coordinator_sets_unit_addresses_audited(app: Any, factory: sessionmaker[Session]) -> None:
    coordinator = as_user(app, COORD)
    page = coordinator.get("/units?plan=mini")
    assert page.status_code == 200 and 'id="unit-sgd"' in page.text
    bad = post(coordinator, "/units/sgd/contacts", plan="mini", emails="không phải email")
    assert bad.status_code == 400 and "không hợp lệ" in bad.text
    saved = post(coordinator, "/units/sgd/contacts", plan="mini",
                 emails="vanphong@sgd.hanoi.gov.vn, giamdoc@sgd.hanoi.gov.vn")
    assert saved.status_code == 200 and "Đã lưu email liên hệ của Sở Giáo dục và Đào tạo" in saved.text
    with factory() as session:
        assert session.scalar(select(UnitRow.emails).where(UnitRow.code == "sgd")) == [
            "vanphong@sgd.hanoi.gov.vn", "giamdoc@sgd.hanoi.gov.vn"]
        audit = session.scalars(select(AuditRow).where(AuditRow.action == "unit.contacts_set")).one()
        assert audit.actor == COORD and audit.entity_id == "sgd"
    assert as_user(app, SGD).get("/units").status_code == 403


def test_an_email_the_sweep_queued_shows_on_the_obligation_before_it_is_written(
    app: Any, factory: sessionmaker[Session]
) -> None:
    """The sweep queues references and the delivery writes the email: until then the page says
    so instead of an empty subject."""
    from phancong.adapters.db import transaction
    from phancong.services.sweep import sweep

    with transaction(factory) as session:  # a reminder three days before 31/3 (mini's Q1)
        report = sweep(session, "mini", dt.datetime(2026, 3, 27, 1, 0, tzinfo=dt.UTC),
                       portal_url="http://portal.test")
    assert report.emails > 0
    with factory() as session:
        oid, subject = session.execute(
            select(OutboxItemRow.obligation_id, OutboxRow.subject)
            .join(OutboxRow, OutboxRow.id == OutboxItemRow.outbox_id).limit(1)).one()
    assert subject == ""  # written by the delivery
    page = as_user(app, COORD).get(f"/obligations/{oid}")
    assert page.status_code == 200
    assert "(nội dung được soạn khi gửi)" in page.text and "đang chờ gửi" in page.text
