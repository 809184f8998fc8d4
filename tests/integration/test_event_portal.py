"""The portal's /events page and the /api/events routes: a unit reports an event, the Standing
Office requests an ad hoc report; bad input gets a 4xx in Vietnamese, never a 500."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from phancong.adapters.db import transaction
from phancong.adapters.orm import ObligationEventRow, ObligationRow
from phancong.bootstrap import bootstrap
from phancong.cli import app as cli
from phancong.services import accounts, credentials
from phancong.settings import Settings
from phancong.web.app import create_app
from tests.integration.event_plans import mini_with_events
from tests.portal_support import add_user, client_for, csrf, fast_hasher, login, seed_ledger

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)  # Monday 2/3/2026, 10:00 in Hà Nội
SGD, PC02, VIEWER = "sgd@example.test", "pc02@example.test", "bcd@example.test"


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite+pysqlite:///{tmp_path}/ledger.db"
    factory = seed_ledger(url, mini_with_events(tmp_path), through=dt.date(2026, 12, 31), now=NOW)
    add_user(factory, SGD, "agency", plan="mini", unit="sgd", now=NOW)
    add_user(factory, PC02, "coordinator", plan="mini", now=NOW)
    add_user(factory, VIEWER, "viewer", plan="mini", now=NOW)
    yield factory
    factory.kw["bind"].dispose()


@pytest.fixture
def portal(tmp_path: Path, factory: sessionmaker[Session]) -> Any:
    settings = Settings(data_dir=tmp_path / "data", secret_key="s" * 40)  # type: ignore[arg-type]
    return create_app(bootstrap(settings, sessions=factory, clock=lambda: NOW))


def as_user(portal: Any, email: str) -> Any:
    client = client_for(portal)
    assert login(client, email).status_code == 303
    return client


def event_rows(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(ObligationEventRow)) or 0


def test_a_unit_reports_an_event_through_the_form(
    portal: Any, factory: sessionmaker[Session]
) -> None:
    client = as_user(portal, SGD)
    mine = client.get("/obligations")
    assert 'id="events-link"' in mine.text and "Báo sự việc" in mine.text
    page = client.get("/events")
    assert page.status_code == 200
    assert "Báo một sự việc" in page.text and 'value="02/03/2026"' in page.text
    assert 'value="su-viec"' in page.text and 'value="pc02-su-viec"' not in page.text
    assert "Yêu cầu báo cáo đột xuất" not in page.text  # not the Standing Office's form
    token = csrf(client, "/events")
    done = client.post(
        "/events/open",
        data={"csrf_token": token, "plan": "mini", "duty": "su-viec",
              "what": "Tiếp nhận tin báo một vụ việc", "day": "27/02/2026"},
    )  # fmt: skip
    assert done.status_code == 200, done.text
    flash = re.search(r'data-testid="events-flash">([^<]*)<', done.text)
    assert flash is not None
    assert "Sự việc 27/02/2026 (1), hạn 03/03/2026" in flash.group(1)
    number = int(re.search(r"nghĩa vụ số (\d+)", flash.group(1)).group(1))  # type: ignore[union-attr]
    shown = client.get(f"/obligations/{number}")
    assert shown.status_code == 200 and "Sự việc 27/02/2026 (1)" in shown.text
    # the audit trail says who opened it, when and what happened
    assert "Đơn vị báo sự việc, mở nghĩa vụ" in shown.text
    assert "Tiếp nhận tin báo một vụ việc" in shown.text

    # without the CSRF token: refused, nothing opened
    forged = client.post("/events/open", data={"duty": "su-viec", "what": "x"})
    assert forged.status_code == 403
    # bad input: 4xx with a Vietnamese message, the form kept, nothing opened
    bad = [
        ({"what": "", "day": ""}, 422, "Cần ghi nội dung sự việc"),
        ({"what": "Vụ việc", "day": "31/02/2026"}, 422, "Ngày không hợp lệ"),
        ({"what": "Vụ việc", "day": "05/03/2026"}, 422, "chưa tới"),
        ({"what": "Vụ việc", "duty": "pc02-su-viec"}, 422, "không chủ trì nhiệm vụ"),
        ({"what": "Vụ việc", "duty": "khong-co"}, 404, "không có nhiệm vụ 'khong-co'"),
    ]
    for fields, status, fragment in bad:
        form = {"csrf_token": token, "plan": "mini", "duty": "su-viec", **fields}
        response = client.post("/events/open", data=form)
        assert response.status_code == status, (fields, response.status_code, response.text[:300])
        error = re.search(r'data-testid="events-error">([^<]*)<', response.text)
        assert error is not None, (fields, response.text[:500])
        assert fragment in html.unescape(error.group(1)), (fields, error.group(1))
    assert event_rows(factory) == 1


def test_the_standing_office_requests_and_the_viewer_cannot(
    portal: Any, factory: sessionmaker[Session]
) -> None:
    viewer = as_user(portal, VIEWER)
    assert viewer.get("/events").status_code == 403
    assert viewer.post("/events/open", data={"csrf_token": csrf(viewer)}).status_code == 403
    coordinator = as_user(portal, PC02)
    page = coordinator.get("/events")
    assert page.status_code == 200 and "Yêu cầu báo cáo đột xuất" in page.text
    assert 'id="open-event-form"' not in page.text
    token = csrf(coordinator, "/events")
    done = coordinator.post(
        "/events/request",
        data={"csrf_token": token, "plan": "mini", "duty": "su-viec",
              "reason": "Ban Chỉ đạo cần số liệu", "units": "", "deadline": "06/03/2026"},
    )  # fmt: skip
    assert done.status_code == 200, done.text
    assert "Báo cáo đột xuất 02/03/2026 (1)) từ 3 đơn vị, hạn 06/03/2026" in done.text
    refused = coordinator.post(
        "/events/request",
        data={"csrf_token": token, "plan": "mini", "duty": "su-viec",
              "reason": "Cần số liệu", "units": "pc02, sgd"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "Không thuộc các đơn vị chủ trì nhiệm vụ 'su-viec': pc02" in html.unescape(refused.text)
    assert coordinator.post(
        "/events/open", data={"csrf_token": token, "duty": "su-viec", "what": "x"}
    ).status_code == 403
    assert event_rows(factory) == 3


def _bearer(factory: sessionmaker[Session], email: str) -> dict[str, str]:
    with transaction(factory) as session:
        return {"Authorization": f"Bearer {credentials.issue_api_token(session, email, now=NOW)}"}


def test_the_api(portal: Any, factory: sessionmaker[Session]) -> None:
    client = client_for(portal)
    unit, office, viewer = (_bearer(factory, e) for e in (SGD, PC02, VIEWER))
    duties = client.get("/api/events/duties", headers=unit)
    assert duties.status_code == 200
    assert [(d["code"], d["within"], d["owners"]) for d in duties.json()] == [
        ("su-viec", 2, ["ca", "sgd", "vks"])
    ]
    assert len(client.get("/api/events/duties", headers=office).json()) == 2
    opened = client.post(
        "/api/events", headers=unit,
        json={"duty_code": "su-viec", "description": "Vụ việc tại trường", "event_date": "2026-03-02"},
    )  # fmt: skip
    assert opened.status_code == 200, opened.text
    body = opened.json()
    assert body["message"] == "Đã mở nghĩa vụ báo cáo cho 1 đơn vị: Sự việc 02/03/2026 (1), hạn 04/03/2026"
    (ob,) = body["obligations"]
    assert (ob["unit_code"], ob["period_label"], ob["period_title"], ob["deadline"], ob["status"]) == (
        "sgd", "EV-2026-03-02-1", "Sự việc 02/03/2026 (1)", "2026-03-04", "in_progress"
    )  # fmt: skip
    english = client.post(
        "/api/events?lang=en", headers=unit,
        json={"duty_code": "su-viec", "description": "Second one"},
    )  # fmt: skip
    assert english.json()["obligations"][0]["period_title"] == "Event 02/03/2026 (2)"
    asked = client.post(
        "/api/events/requests", headers=office,
        json={"duty_code": "su-viec", "reason": "Cần số liệu", "unit_codes": ["ca"]},
    )  # fmt: skip
    assert asked.status_code == 200, asked.text
    assert [o["unit_code"] for o in asked.json()["obligations"]] == ["ca"]
    refusals = [
        (viewer, "/api/events", {"duty_code": "su-viec", "description": "x"}, 403,
         "không có quyền"),
        (office, "/api/events", {"duty_code": "su-viec", "description": "x"}, 403,
         "yêu cầu báo cáo đột xuất"),
        (unit, "/api/events/requests", {"duty_code": "su-viec", "reason": "x"}, 403,
         "Chỉ Cơ quan Thường trực"),
        (unit, "/api/events", {"duty_code": "su-viec", "description": "  "}, 422,
         "Cần ghi nội dung sự việc"),
        (unit, "/api/events", {"duty_code": "su-viec", "description": "x",
                               "event_date": "2026-03-09"}, 422, "chưa tới"),
        (unit, "/api/events", {"duty_code": "su-viec", "description": "x",
                               "event_date": "09/03/2026"}, 422, "không hợp lệ"),
        (unit, "/api/events", {"duty_code": "d1", "description": "x"}, 422,
         "không phải nhiệm vụ báo cáo theo sự việc"),
        (unit, "/api/events", {"duty_code": "su-viec", "description": "x", "plan_id": "khac"},
         404, "Không có kế hoạch 'khac'"),
        (office, "/api/events/requests", {"duty_code": "su-viec", "reason": "x",
                                          "deadline": "2027-01-05"}, 422, "vượt quá"),
        ({}, "/api/events", {"duty_code": "su-viec", "description": "x"}, 401, ""),
    ]  # fmt: skip
    for headers, path, payload, status, fragment in refusals:
        response = client.post(path, headers=headers, json=payload)
        assert response.status_code == status, (path, payload, response.text)
        assert fragment in response.json()["detail"], (payload, response.json())
    assert event_rows(factory) == 3
    assert client.get("/api/events/duties", headers=viewer).status_code == 200


def test_the_command_line(
    tmp_path: Path, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = str(factory.kw["bind"].url)
    monkeypatch.setenv("PHANCONG_DATABASE_URL", url)
    monkeypatch.setenv("PHANCONG_DATA_DIR", str(tmp_path / "data"))
    from phancong.settings import get_settings

    get_settings.cache_clear()
    try:
        runner = CliRunner()
        opened = runner.invoke(cli, ["event", "open", "su-viec", "--as", SGD, "--what",
                                     "Vụ việc ở trường", "--on", "2026-02-27", "--at", "2026-03-02"])  # fmt: skip
        assert opened.exit_code == 0, opened.output
        assert "Sự việc 27/02/2026 (1) — đơn vị sgd, hạn báo cáo 03/03/2026" in opened.output
        asked = runner.invoke(cli, ["event", "request", "su-viec", "--as", PC02, "--reason",
                                    "Cần số liệu", "--unit", "ca", "--unit", "vks", "--at", "2026-03-02"])  # fmt: skip
        assert asked.exit_code == 0, asked.output
        assert "Đã yêu cầu báo cáo đột xuất (Báo cáo đột xuất 02/03/2026 (1)) từ 2 đơn vị" in asked.output
        viewer = runner.invoke(cli, ["event", "request", "su-viec", "--as", VIEWER, "--reason", "x"])
        assert viewer.exit_code == 1 and "Chỉ Cơ quan Thường trực" in viewer.output
        future = runner.invoke(cli, ["event", "open", "su-viec", "--as", SGD, "--what", "x",
                                     "--on", "2026-03-05", "--at", "2026-03-02"])  # fmt: skip
        assert future.exit_code == 1 and "chưa tới" in future.output
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(ObligationEventRow)) == 3
            assert s.scalar(
                select(func.count()).select_from(ObligationRow)
                .where(ObligationRow.period_label.like("DX-%"))
            ) == 2  # fmt: skip
    finally:
        get_settings.cache_clear()
