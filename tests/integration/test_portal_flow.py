"""The portal end to end on SQLite: submit, review, matrix, exports, feeds, API, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import icalendar
import openpyxl
import pytest
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import transaction
from phancong.bootstrap import bootstrap
from phancong.mail.render import render_notice
from phancong.services import accounts, credentials, reads, submissions
from phancong.settings import Settings
from phancong.web.app import create_app
from tests.portal_support import add_user, client_for, csrf, fast_hasher, login, seed_ledger

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)


NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
SGD, CA, COORD, VIEWER = (
    "sgd@example.test",
    "ca@example.test",
    "pc02@example.test",
    "bcd@example.test",
)
NOTE = "Đã tổ chức 12 buổi tuyên truyền pháp luật tại các trường THCS; hoàn thành kế hoạch quý."


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite+pysqlite:///{tmp_path}/ledger.db"
    factory = seed_ledger(url, through=dt.date(2026, 12, 31), now=NOW)
    add_user(factory, SGD, "agency", plan="mini", unit="sgd", now=NOW)
    add_user(factory, CA, "agency", plan="mini", unit="ca", now=NOW)
    add_user(factory, COORD, "coordinator", plan=None, now=NOW)
    add_user(factory, VIEWER, "viewer", plan="mini", language="en", now=NOW)
    yield factory
    factory.kw["bind"].dispose()


@pytest.fixture
def app(tmp_path: Path, factory: sessionmaker[Session]) -> Any:
    settings = Settings(
        data_dir=tmp_path / "data",
        secret_key="s" * 40,  # type: ignore[arg-type]
        portal_url="http://portal.test",
        prefect_ui_url="http://127.0.0.1:4200",
    )
    return create_app(bootstrap(settings, sessions=factory, clock=lambda: NOW))


def as_user(app: Any, email: str) -> Any:
    client = client_for(app)
    assert login(client, email).status_code == 303
    return client


def post(client: Any, path: str, **form: str) -> Any:
    return client.post(path, data={**form, "csrf_token": csrf(client)}, follow_redirects=False)


def token(factory: sessionmaker[Session], email: str) -> dict[str, str]:
    with transaction(factory) as session:
        return {"Authorization": f"Bearer {credentials.issue_api_token(session, email, now=NOW)}"}


def test_my_obligations_open_first_with_deadlines(app: Any) -> None:
    client = as_user(app, SGD)
    page = client.get("/obligations")
    assert page.status_code == 200
    ids = [int(i) for i in re.findall(r'data-obligation-id="(\d+)"', page.text)]
    assert ids
    assert set(ids) <= {1, 2, 3, 4, 17, 18, 19, 20}
    assert "Tuyên truyền trong trường học" in page.text
    assert "16/03/2026" in page.text
    assert "còn 14 ngày" in page.text
    assert 'data-status="in_progress"' in page.text
    assert 'data-status="not_open"' in page.text
    assert "Sở Giáo dục và Đào tạo" in page.text
    other = as_user(app, CA).get("/obligations")
    other_ids = {int(i) for i in re.findall(r'data-obligation-id="(\d+)"', other.text)}
    assert other_ids
    assert not other_ids & {1, 2, 3, 4, 17, 18, 19, 20}


def test_submit_then_accept_shows_completed_on_matrix(app: Any) -> None:
    agency = as_user(app, SGD)
    for ob in (1, 17):  # both of the unit's Q1 obligations
        done = post(
            agency,
            f"/obligations/{ob}/submit",
            note=NOTE,
            evidence_url="https://example.gov.vn/bc.pdf",
        )
        assert done.status_code == 303
        assert done.headers["location"] == f"/obligations/{ob}?msg=submit"
    page = agency.get("/obligations/1?msg=submit")
    assert "Đã gửi báo cáo hoàn thành." in page.text
    assert NOTE in page.text
    assert 'data-testid="obligation-status" data-status="submitted"' not in page.text  # attr order
    assert 'data-status="submitted"' in page.text
    coordinator = as_user(app, COORD)
    queue = coordinator.get("/review")
    assert queue.status_code == 200
    assert NOTE in queue.text
    assert 'data-testid="review-item" data-obligation-id="1"' in queue.text
    for ob in (1, 17):
        accepted = post(coordinator, f"/obligations/{ob}/accept", back="/review")
        assert accepted.status_code == 303
        assert accepted.headers["location"] == f"/review?done=accept&ob={ob}"
        told = coordinator.get(accepted.headers["location"])
        assert "Đã chấp nhận báo cáo của" in told.text and f"(nhiệm vụ số {ob})" in told.text
    matrix = coordinator.get("/matrix?year=2026&period=2026-Q1")
    cell = re.search(r'<td class="cell[^>]*id="cell-sgd-2026-Q1"[^>]*>', matrix.text)
    assert cell is not None, matrix.text[:500]
    assert 'data-status="completed_on_time"' in cell.group(0)
    assert 'data-done="2"' in cell.group(0)
    assert 'data-total="2"' in cell.group(0)
    assert "Hoàn thành đúng hạn" in matrix.text  # legend
    rate = re.search(r'data-testid="on-time-rate" data-unit="sgd">([^<]*)<', matrix.text)
    assert rate is not None
    assert rate.group(1).startswith("100%")
    assert 'href="http://127.0.0.1:4200"' in matrix.text  # Prefect UI linked for coordinators
    assert 'data-testid="duty-rollup"' in matrix.text
    detail = agency.get("/obligations/1")
    assert "obligation.accepted" in detail.text
    assert "được chấp nhận" in detail.text


def test_return_with_reason_and_resubmit(app: Any) -> None:
    agency, coordinator = as_user(app, SGD), as_user(app, COORD)
    post(agency, "/obligations/1/submit", note="Bản đầu")
    assert post(coordinator, "/obligations/1/return", reason="").status_code == 422
    returned = post(coordinator, "/obligations/1/return", reason="Thiếu số liệu quý I")
    assert returned.status_code == 303
    page = agency.get("/obligations/1")
    assert 'data-status="returned"' in page.text
    assert "Thiếu số liệu quý I" in page.text
    assert 'id="submit-form"' in page.text
    assert post(agency, "/obligations/1/submit", note="Bản bổ sung").status_code == 303


def test_extend_and_waive(app: Any) -> None:
    coordinator = as_user(app, COORD)
    bad = post(coordinator, "/obligations/1/extend", new_deadline="31/02/2026", reason="x")
    assert bad.status_code == 422
    assert "Ngày không hợp lệ" in bad.text
    earlier = post(coordinator, "/obligations/1/extend", new_deadline="2026-03-01", reason="x")
    assert earlier.status_code == 422
    assert "Hạn mới phải sau hạn hiện tại 16/03/2026" in earlier.text
    ok = post(coordinator, "/obligations/1/extend", new_deadline="31/03/2026", reason="Sáp nhập")
    assert ok.status_code == 303
    page = coordinator.get("/obligations/1")
    assert "31/03/2026" in page.text
    assert "Hạn ban đầu" in page.text
    assert post(coordinator, "/obligations/2/waive", reason="Không còn phù hợp").status_code == 303
    assert 'data-status="waived"' in coordinator.get("/obligations/2").text


def test_note_is_escaped(app: Any) -> None:
    agency = as_user(app, SGD)
    post(agency, "/obligations/1/submit", note='<script>alert("x")</script><b>đậm</b>')
    page = agency.get("/obligations/1")
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;đậm&lt;/b&gt;" in page.text
    queue = as_user(app, COORD).get("/review")
    assert "<script>alert" not in queue.text


def test_state_refusal_and_language(app: Any) -> None:
    agency = as_user(app, SGD)
    assert post(agency, "/obligations/1/submit", note="x").status_code == 303
    again = post(agency, "/obligations/1/submit", note="x")
    assert again.status_code == 422
    assert "Không thể báo cáo hoàn thành: nghĩa vụ đã nộp, chờ duyệt" in again.text
    english = agency.get("/obligations/1?lang=en")
    assert "Submissions" in english.text
    assert 'lang="en"' in english.text
    assert "Các lần báo cáo" in agency.get("/obligations/1?lang=vi").text
    not_open = post(agency, "/obligations/3/submit", note="x")  # Q3 has not started
    assert not_open.status_code == 422
    assert "chưa bắt đầu" in not_open.text


def test_bad_input_is_never_a_500(app: Any, factory: sessionmaker[Session]) -> None:
    agency = as_user(app, SGD)
    too_long = post(agency, "/obligations/1/submit", note="x" * 10_001)
    assert too_long.status_code == 422
    assert "Ghi chú quá dài" in too_long.text
    huge = agency.post(
        "/obligations/1/submit", data={"note": "x" * 70_000, "csrf_token": csrf(agency)}
    )
    assert huge.status_code == 413
    assert agency.get("/obligations/99999999999999999999").status_code == 422
    assert agency.get("/obligations/abc").status_code == 422
    assert agency.get("/obligations/0").status_code == 422
    assert agency.get("/obligations/424242").status_code == 404
    assert agency.get("/matrix?year=abc").status_code in (403, 422)
    assert agency.get("/obligations?period=%00&status=<x>").status_code == 200
    bad_url = post(agency, "/obligations/1/submit", note="x", evidence_url="javascript:alert(1)")
    assert bad_url.status_code == 422
    nul = post(agency, "/obligations/1/submit", note="a\x00b")
    assert nul.status_code == 303
    headers = token(factory, SGD)
    api = client_for(app)
    assert (
        api.post(
            "/api/obligations/2/submit", json={"note": "x" * 10_001}, headers=headers
        ).status_code
        == 422
    )
    assert (
        api.post(
            "/api/obligations/2/submit",
            content=b"{not json",
            headers={**headers, "content-type": "application/json"},
        ).status_code
        == 422
    )
    assert (
        api.post(
            "/api/obligations/2/submit", json={"note": "x", "extra": 1}, headers=headers
        ).status_code
        == 422
    )
    assert (
        api.post(
            "/api/obligations/2/submit", json={"indicator_values": {"nope": 1}}, headers=headers
        ).status_code
        == 422
    )
    big = api.post(
        "/api/obligations/2/submit",
        content=b"{" + b" " * 70_000 + b"}",
        headers={**headers, "content-type": "application/json"},
    )
    assert big.status_code == 413
    assert big.json()["detail"].startswith("Nội dung gửi lên quá lớn")
    assert api.get("/api/obligations?limit=0", headers=headers).status_code == 422
    assert api.get("/api/obligations?status=bogus", headers=headers).status_code == 422


def test_api_flow_and_scope(app: Any, factory: sessionmaker[Session]) -> None:
    api = client_for(app)
    assert api.get("/api/me").status_code == 401
    assert api.get("/api/me").headers["www-authenticate"] == "Bearer"
    assert api.get("/api/me", headers={"Authorization": "Bearer pca_wrong"}).status_code == 401
    sgd, ca, coord, viewer = (token(factory, e) for e in (SGD, CA, COORD, VIEWER))
    me = api.get("/api/me", headers=sgd).json()
    assert me == {
        "email": SGD,
        "name": "Người dùng sgd",
        "role": "agency",
        "plan_id": "mini",
        "unit_code": "sgd",
        "language": "vi",
    }
    listing = api.get("/api/obligations?unit=ca&limit=100", headers=sgd).json()
    assert {o["unit_code"] for o in listing["items"]} == {"sgd"}
    assert api.get("/api/obligations/9", headers=sgd).status_code == 404  # ca's
    assert api.get("/api/obligations/9", headers=ca).status_code == 200
    done = api.post(
        "/api/obligations/1/submit",
        headers=sgd,
        json={"note": NOTE, "evidence_url": "https://example.gov.vn/q1.pdf"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["obligation"]["status"] == "submitted"
    assert done.json()["message"] == "Đã gửi báo cáo hoàn thành."
    assert api.post("/api/obligations/1/accept", headers=viewer).status_code == 403
    assert api.post("/api/obligations/1/accept", headers=sgd).status_code == 403
    refused = api.post("/api/obligations/2/accept?lang=en", headers=coord)
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Cannot accept: the obligation is open"
    accepted = api.post("/api/obligations/1/accept", headers=coord)
    assert accepted.json()["obligation"]["status"] == "completed_on_time"
    detail = api.get("/api/obligations/1", headers=sgd).json()
    assert [s["review"] for s in detail["submissions"]] == ["accepted"]
    assert detail["submissions"][0]["note"] == NOTE
    assert [a["action"] for a in detail["audit"]] == ["obligation.submitted", "obligation.accepted"]
    extended = api.post(
        "/api/obligations/2/extend",
        headers=coord,
        json={"new_deadline": "2026-06-30", "reason": "Gia hạn theo đề nghị"},
    )
    assert extended.json()["obligation"]["deadline"] == "2026-06-30"
    duties = api.get("/api/rollups/duties?period=2026-Q1", headers=viewer).json()
    d1 = next(r for r in duties if r["duty_code"] == "d1")
    assert d1["submitted"] == 1
    assert d1["total"] == 2
    units = api.get("/api/rollups/units", headers=coord).json()
    assert any(u["unit_code"] == "sgd" for u in units)
    assert api.get("/api/rollups/units", headers=sgd).status_code == 403
    schema = api.get("/openapi.json").json()
    assert "/api/obligations/{obligation_id}/submit" in schema["paths"]
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    assert schema["components"]["schemas"]["SubmitIn"].get("examples")


def test_review_notice_hook_called_in_transaction(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def notify_review(session: Session, obligation_id: int, **kwargs: Any) -> None:
        assert session.in_transaction()
        assert kwargs.pop("renderer") is render_notice  # the portal's wired renderer
        calls.append({"id": obligation_id, **kwargs})

    monkeypatch.setattr("phancong.services.handlers.notify_review", notify_review)
    agency, coordinator = as_user(app, SGD), as_user(app, COORD)
    post(agency, "/obligations/1/submit", note="x")
    post(coordinator, "/obligations/1/return", reason="Bổ sung số liệu")
    post(agency, "/obligations/1/submit", note="y")
    post(coordinator, "/obligations/1/accept")
    assert calls == [
        {
            "id": 1,
            "review": "returned",
            "reason": "Bổ sung số liệu",
            "now": NOW,
            "portal_url": "http://portal.test",
        },
        {
            "id": 1,
            "review": "accepted",
            "reason": None,
            "now": NOW,
            "portal_url": "http://portal.test",
        },
    ]


def test_exports(app: Any) -> None:
    coordinator = as_user(app, COORD)
    response = coordinator.get("/exports/matrix.csv?plan=mini&year=2026")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Đơn vị (mã)", "Đơn vị", "Loại đơn vị"]
    assert rows[0][6] == "Tổng số nhiệm vụ"
    assert "Sở, ban, ngành" in {r[2] for r in rows[1:]}  # kinds in words, not 'department'
    assert any(r[0] == "sgd" and r[3] == "2026-Q1" for r in rows[1:])
    book = openpyxl.load_workbook(
        io.BytesIO(coordinator.get("/exports/matrix.xlsx?plan=mini").content)
    )
    sheet = book.active
    assert sheet is not None
    assert sheet.max_row == len(rows)
    overdue_now = coordinator.get("/exports/overdue.csv")  # nothing is overdue on 2 March
    assert len(list(csv.reader(io.StringIO(overdue_now.content.decode("utf-8-sig"))))) == 1


def test_overdue_exports_are_scoped(tmp_path: Path, factory: sessionmaker[Session]) -> None:
    late = dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC)
    settings = Settings(data_dir=tmp_path, secret_key="s" * 40)  # type: ignore[arg-type]
    app = create_app(bootstrap(settings, sessions=factory, clock=lambda: late))
    mine = as_user(app, SGD).get("/exports/overdue.csv")
    rows = list(csv.reader(io.StringIO(mine.content.decode("utf-8-sig"))))[1:]
    assert rows
    assert {r[5] for r in rows} == {"sgd"}
    assert all(int(r[11]) > 0 for r in rows)
    # citations in the export's language: Vietnamese by default, stored English form in English
    assert {r[4] for r in rows} == {"Mục IV.3, gạch đầu dòng 2", "Mục V.1"}
    english = as_user(app, SGD).get("/exports/overdue.csv?lang=en")
    table = list(csv.reader(io.StringIO(english.content.decode("utf-8-sig"))))
    assert table[0][4] == "Citation"
    assert {r[4] for r in table[1:]} == {"IV.3, bullet 2", "V.1"}
    everyone = as_user(app, COORD).get("/exports/overdue.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(everyone.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][4] == "Căn cứ"
    assert [c.value for c in sheet[1]][11] == "Số ngày quá hạn"
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    deadline = sheet.cell(row=2, column=10)
    assert isinstance(deadline.value, dt.datetime) and deadline.number_format == "DD/MM/YYYY"
    widths = [sheet.column_dimensions[c].width for c in "ABCDEFG"]
    assert widths[3] > widths[0] and len(set(widths)) > 2, widths  # fitted, not one width
    units = {row[5] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"sgd", "ca", "vks"} <= units
    assert "pc02" not in units
    cited = {row[4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "Mục IV.3, gạch đầu dòng 2" in cited
    assert all(str(c).startswith("Mục ") for c in cited), cited


def test_calendar_feed_private_and_revocable(app: Any) -> None:
    agency = as_user(app, SGD)
    made = post(agency, "/account/feed")
    url = re.search(r'data-testid="feed-url">([^<]+)<', made.text)
    assert url is not None
    assert url.group(1).startswith("http://portal.test/feeds/pcf_")
    path = url.group(1).removeprefix("http://portal.test")
    anonymous = client_for(app)
    feed = anonymous.get(path)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(feed.content)
    events = [c for c in cal.walk("VEVENT")]
    assert events
    uids = {str(e["UID"]).split("@")[0] for e in events}
    assert uids <= {f"obligation-{i}" for i in (1, 2, 3, 4, 17, 18, 19, 20)}
    first = next(e for e in events if str(e["UID"]).startswith("obligation-1@"))
    assert first.decoded("DTSTART") == dt.date(2026, 3, 16)
    assert "Tuyên truyền trong trường học" in str(first["SUMMARY"])
    assert "Căn cứ: Mục IV.3, gạch đầu dòng 2\n" in str(first["DESCRIPTION"])
    assert "http://portal.test/obligations/1" in str(first["DESCRIPTION"])
    post(agency, "/account/feed")  # rotate
    assert anonymous.get(path).status_code == 404
    viewer = as_user(app, VIEWER)
    viewer_feed = re.search(
        r'data-testid="feed-url">[^<]*(/feeds/[^<]+)<', post(viewer, "/account/feed").text
    )
    assert viewer_feed is not None
    grouped = icalendar.Calendar.from_ical(anonymous.get(viewer_feed.group(1)).content)
    assert all(str(e["UID"]).startswith("duty-mini-") for e in grouped.walk("VEVENT"))
    # the viewer reads English: citations keep their stored form
    described = [str(e["DESCRIPTION"]) for e in grouped.walk("VEVENT")]
    assert any(d.startswith("Citation: IV.3, bullet 2\n") for d in described), described
    assert not any("Mục " in d for d in described)
    post(viewer, "/account/feed/revoke")
    assert anonymous.get(viewer_feed.group(1)).status_code == 404


def test_health(app: Any) -> None:
    client = client_for(app)
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}
    css = client.get("/static/portal.css")
    assert css.status_code == 200
    assert "--s-overdue" in css.text


def test_pages_are_light_and_mobile_ready(app: Any) -> None:
    coordinator = as_user(app, COORD)
    for path in (
        "/obligations",
        "/obligations/1",
        "/matrix",
        "/matrix/communes",
        "/review",
        "/account",
    ):
        page = coordinator.get(path)
        assert page.status_code == 200, path
        assert '<meta name="viewport"' in page.text
        assert "<script" not in page.text
        assert len(page.content) < 200_000, path
    english = as_user(app, VIEWER).get("/matrix")  # the viewer's language is English
    assert 'lang="en"' in english.text
    assert "Follow-up matrix" in english.text


def test_coordinator_list_defaults_to_current_period(app: Any) -> None:
    coordinator = as_user(app, COORD)
    current = coordinator.get("/obligations")
    assert 'option value="2026-Q1" selected' in current.text
    assert set(re.findall(r'data-obligation-id="(\d+)"', current.text)) == {
        "1",
        "5",
        "9",
        "13",
        "17",
        "21",
    }  # the six Q1 obligations
    every = coordinator.get("/obligations?period=")
    assert len(re.findall(r'data-testid="obligation-row"', every.text)) == 24
    one_unit = coordinator.get("/obligations?unit=ca")  # a unit filter means all its periods
    ids = {int(i) for i in re.findall(r'data-obligation-id="(\d+)"', one_unit.text)}
    assert ids == set(range(9, 17))


def test_unknown_pages(app: Any) -> None:
    client = as_user(app, SGD)
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "Không tìm thấy" in page.text
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404
    assert api.json()["detail"]
    assert client.put("/obligations/1").status_code == 405


def _rollups(page: str) -> dict[str, int]:
    found = re.findall(
        r'data-duty="([^"]+)" data-testid="duty-rollup" data-submitted="(\d+)"', page
    )
    assert found, page[:500]
    return {duty: int(n) for duty, n in found}


def test_duty_rollups_follow_actions_at_once_and_other_writers_within_the_ttl(
    app: Any, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan-wide roll-up is kept for a few seconds: this process's own actions drop it at
    once; a write by another process (here: the ledger directly) shows once it expires."""
    coordinator = as_user(app, COORD)
    path = "/matrix?year=2026&period=2026-Q1"
    before = coordinator.get(path)
    assert 'data-testid="rollups-counted-at"' in before.text
    assert "số liệu lúc" in before.text
    counts = _rollups(before.text)
    api = client_for(app)
    done = api.post("/api/obligations/1/submit", headers=token(factory, SGD), json={"note": NOTE})
    assert done.status_code == 200, done.text
    duty = done.json()["obligation"]["duty_code"]
    after_api = _rollups(coordinator.get(path).text)
    assert after_api[duty] == counts[duty] + 1
    assert post(as_user(app, SGD), "/obligations/17/submit", note=NOTE).status_code == 303
    after_form = _rollups(coordinator.get(path).text)
    assert sum(after_form.values()) == sum(counts.values()) + 2


    with transaction(factory) as session:  # another process: the portal is not told
        other = next(
            v
            for v in reads.find(session, "mini", NOW, unit="ca", period="2026-Q1")
            if v.role != "support" and v.state == "open"
        )
        submissions.submit(session, other.id, actor=CA, at=NOW, note="qua dòng lệnh")
    assert _rollups(coordinator.get(path).text) == after_form  # still the kept count
    portal = app.state.portal
    clock = time.monotonic() + portal.rollup_seconds + 1
    monkeypatch.setattr("phancong.web.context.time.monotonic", lambda: clock)
    expired = _rollups(coordinator.get(path).text)
    assert expired[other.duty_code] == after_form[other.duty_code] + 1
