"""Authorization of every route, for every kind of caller, on SQLite and PostgreSQL.

The table below has one entry per (method, path) of the app; a route added without an entry
fails ``test_every_route_has_an_entry``. Targets are obligations of the unit ``sgd`` in the
mini plan: ``agency_own`` belongs to it, ``agency_other`` to ``ca`` (another unit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import transaction
from phancong.adapters.orm import DutyRow, ObligationRow, SubmissionFileRow, UnitRow
from phancong.bootstrap import bootstrap
from phancong.services import accounts, attachments, credentials, submissions
from phancong.settings import Settings
from phancong.web.app import create_app, route_table
from tests.integration.event_plans import mini_with_events
from tests.portal_support import add_user, client_for, csrf, fast_hasher, login, seed_ledger

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)


NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)  # 10:00 in Hà Nội, Q1 2026 under way
ROLES = ("anonymous", "agency_own", "agency_other", "viewer", "coordinator")
EMAILS = {
    "agency_own": "sgd@example.test",
    "agency_other": "ca@example.test",
    "viewer": "bcd@example.test",
    "coordinator": "pc02@example.test",
}
LOGIN = "login"  # expected: a redirect to the login page
PDF = b"%PDF-1.4\n%%EOF\n"


def ob_id(session: Session, duty: str, unit: str, period: str) -> int:
    value = session.scalar(
        select(ObligationRow.id)
        .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        .where(DutyRow.code == duty, UnitRow.code == unit, ObligationRow.period_label == period)
    )
    assert value is not None
    return value


@dataclass
class World:
    factory: sessionmaker[Session]
    settings: Settings
    ids: dict[str, int]
    tokens: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def world(database_url: str, tmp_path: Any) -> Iterator[World]:
    # mini.yaml with two event-triggered duties (su-viec: ca and sgd lead, vks requested)
    factory = seed_ledger(
        database_url, mini_with_events(tmp_path), through=dt.date(2026, 12, 31), now=NOW
    )
    for role, email in EMAILS.items():
        kind = role.split("_")[0]
        unit = {"agency_own": "sgd", "agency_other": "ca"}.get(role)
        add_user(factory, email, kind, plan="mini", unit=unit, now=NOW)
    tokens: dict[str, str] = {}
    with transaction(factory) as session:
        for role, email in EMAILS.items():
            tokens[role] = credentials.issue_api_token(session, email, now=NOW)
        ids = {
            "submit": ob_id(session, "d1", "sgd", "2026-Q1"),
            "accept": ob_id(session, "report", "sgd", "2026-Q1"),
            "return": ob_id(session, "report", "sgd", "2026-H1"),
            "extend": ob_id(session, "d1", "sgd", "2026-Q3"),
            "waive": ob_id(session, "report", "sgd", "2026-Q3"),
            "api_submit": ob_id(session, "d1", "sgd", "2026-H1"),
            "api_accept": ob_id(session, "d1", "sgd", "2026"),
            "api_return": ob_id(session, "report", "sgd", "2026"),
        }
        for key in ("accept", "return", "api_accept", "api_return"):
            submissions.submit(
                session,
                ids[key],
                actor=EMAILS["agency_own"],
                at=NOW,
                note="đã xong",
                files=[attachments.check(attachments.Upload("bc.pdf", PDF))],
            )
        ids["file"] = session.scalar(
            select(SubmissionFileRow.id).where(SubmissionFileRow.obligation_id == ids["accept"])
        ) or 0
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, secret_key="k" * 40)  # type: ignore[arg-type]
    yield World(factory, settings, ids, tokens)
    factory.kw["bind"].dispose()


# ----------------------------------------------------------------------------- the route table


@dataclass(frozen=True)
class Call:
    method: str
    url: str  # may use {ids[...]} placeholders
    form: dict[str, str] | None = None  # HTML POST: a CSRF token is added
    json: dict[str, Any] | None = None  # API POST
    api: bool = False
    multipart: dict[str, str] | None = None  # API POST as multipart/form-data

    def render(self, w: World) -> str:
        return self.url.format(ids=w.ids)


def expect(anonymous: Any, own: Any, other: Any, viewer: Any, coordinator: Any) -> dict[str, Any]:
    return dict(zip(ROLES, (anonymous, own, other, viewer, coordinator), strict=True))


PAGE_ALL = expect(LOGIN, 200, 200, 200, 200)
OVERVIEW = expect(LOGIN, 403, 403, 200, 200)
PUBLIC = expect(200, 200, 200, 200, 200)
OWN_ONLY = expect(LOGIN, 200, 404, 200, 200)
SUBMIT = expect(LOGIN, 303, 404, 403, 303)
COORD_ACTION = expect(LOGIN, 403, 404, 403, 303)
API_ALL = expect(401, 200, 200, 200, 200)
API_OVERVIEW = expect(401, 403, 403, 200, 200)
API_OWN = expect(401, 200, 404, 200, 200)
API_SUBMIT = expect(401, 200, 404, 403, 200)
API_COORD = expect(401, 403, 404, 403, 200)

TABLE: dict[tuple[str, str], tuple[Call, dict[str, Any]]] = {
    ("GET", "/healthz"): (Call("GET", "/healthz"), PUBLIC),
    ("GET", "/readyz"): (Call("GET", "/readyz"), PUBLIC),
    ("GET", "/openapi.json"): (Call("GET", "/openapi.json"), PUBLIC),
    ("GET", "/docs"): (Call("GET", "/docs"), PUBLIC),
    ("GET", "/docs/oauth2-redirect"): (Call("GET", "/docs/oauth2-redirect"), PUBLIC),
    ("GET", "/static/portal.css"): (Call("GET", "/static/portal.css"), PUBLIC),
    ("GET", "/login"): (Call("GET", "/login"), expect(200, 303, 303, 303, 303)),
    ("POST", "/login"): (
        Call("POST", "/login", form={"email": "x@example.test", "password": "sai"}),
        expect(400, 400, 400, 400, 400),
    ),
    ("GET", "/login/link/{token}"): (Call("GET", "/login/link/not-a-token"), expect(*[400] * 5)),
    ("POST", "/login/link/{token}"): (
        Call("POST", "/login/link/not-a-token", form={}),
        expect(*[400] * 5),
    ),
    ("GET", "/"): (Call("GET", "/"), expect(LOGIN, 303, 303, 303, 303)),
    ("GET", "/obligations"): (Call("GET", "/obligations"), PAGE_ALL),
    ("GET", "/obligations/{obligation_id}"): (Call("GET", "/obligations/{ids[submit]}"), OWN_ONLY),
    ("GET", "/obligations/{obligation_id}/files/{file_id}"): (
        Call("GET", "/obligations/{ids[accept]}/files/{ids[file]}"),
        OWN_ONLY,
    ),
    ("POST", "/obligations/{obligation_id}/submit"): (
        Call("POST", "/obligations/{ids[submit]}/submit", form={"note": "Đã hoàn thành", "on_behalf_reason": "Sở gửi bản giấy"}),
        SUBMIT,
    ),
    ("POST", "/obligations/{obligation_id}/accept"): (
        Call("POST", "/obligations/{ids[accept]}/accept", form={}),
        COORD_ACTION,
    ),
    # after accept: the unit's own account withdraws its pending report; the coordinator (who
    # accepted it just before) may not withdraw a unit's report
    ("POST", "/obligations/{obligation_id}/withdraw"): (
        Call("POST", "/obligations/{ids[accept]}/withdraw", form={}),
        expect(LOGIN, 303, 404, 403, 403),
    ),
    ("POST", "/obligations/{obligation_id}/return"): (
        Call("POST", "/obligations/{ids[return]}/return", form={"reason": "Thiếu số liệu"}),
        COORD_ACTION,
    ),
    ("POST", "/obligations/{obligation_id}/extend"): (
        Call(
            "POST",
            "/obligations/{ids[extend]}/extend",
            form={"new_deadline": "15/10/2026", "reason": "Sáp nhập đơn vị"},
        ),
        COORD_ACTION,
    ),
    ("POST", "/obligations/{obligation_id}/waive"): (
        Call("POST", "/obligations/{ids[waive]}/waive", form={"reason": "Không còn phù hợp"}),
        COORD_ACTION,
    ),
    ("GET", "/matrix"): (Call("GET", "/matrix"), OVERVIEW),
    ("GET", "/matrix/communes"): (Call("GET", "/matrix/communes"), OVERVIEW),
    ("GET", "/national"): (Call("GET", "/national"), OVERVIEW),
    ("GET", "/review"): (Call("GET", "/review"), expect(LOGIN, 403, 403, 403, 200)),
    ("GET", "/account"): (Call("GET", "/account"), PAGE_ALL),
    ("POST", "/account/password"): (
        Call("POST", "/account/password", form={"current_password": "sai",
                                                "new_password": "mật khẩu mới 2026",
                                                "new_password_again": "khác hẳn"}),
        expect(LOGIN, 400, 400, 400, 400),
    ),
    ("GET", "/login/forgot"): (Call("GET", "/login/forgot"), PUBLIC),
    ("POST", "/login/forgot"): (
        Call("POST", "/login/forgot", form={"email": "khong-co@example.test"}),
        PUBLIC,
    ),
    ("GET", "/units"): (Call("GET", "/units"), expect(LOGIN, 403, 403, 403, 200)),
    ("POST", "/units/{code}/contacts"): (
        Call("POST", "/units/sgd/contacts", form={"plan": "mini", "emails": "vp@sgd.example.vn"}),
        expect(LOGIN, 403, 403, 403, 200),
    ),
    ("POST", "/account/feed"): (Call("POST", "/account/feed", form={}), PAGE_ALL),
    ("POST", "/account/feed/revoke"): (Call("POST", "/account/feed/revoke", form={}), PAGE_ALL),
    ("GET", "/exports/matrix.csv"): (Call("GET", "/exports/matrix.csv"), OVERVIEW),
    ("GET", "/exports/matrix.xlsx"): (Call("GET", "/exports/matrix.xlsx"), OVERVIEW),
    ("GET", "/exports/overdue.csv"): (Call("GET", "/exports/overdue.csv"), PAGE_ALL),
    ("GET", "/exports/overdue.xlsx"): (Call("GET", "/exports/overdue.xlsx"), PAGE_ALL),
    # no report was compiled in this ledger: agencies are refused, the others find nothing
    ("GET", "/reports/{plan_id}/{name}"): (Call("GET", "/reports/mini/2026-Q1.html"),
                                           expect(LOGIN, 403, 403, 404, 404)),
    ("GET", "/feeds/{token}.ics"): (Call("GET", "/feeds/pcf_unknown.ics"), expect(*[404] * 5)),
    ("GET", "/api/me"): (Call("GET", "/api/me", api=True), API_ALL),
    ("GET", "/api/obligations"): (Call("GET", "/api/obligations", api=True), API_ALL),
    ("GET", "/api/obligations/{obligation_id}"): (
        Call("GET", "/api/obligations/{ids[submit]}", api=True),
        API_OWN,
    ),
    ("POST", "/api/obligations/{obligation_id}/submit"): (
        Call("POST", "/api/obligations/{ids[api_submit]}/submit", json={"note": "Xong", "on_behalf_reason": "Sở gửi bản giấy"}, api=True),
        API_SUBMIT,
    ),
    # Q3 has not begun: a caller in scope passes the checks and is refused by the ledger (422)
    ("POST", "/api/obligations/{obligation_id}/submit-files"): (
        Call(
            "POST",
            "/api/obligations/{ids[extend]}/submit-files",
            multipart={"note": "Kèm tệp"},
            api=True,
        ),
        expect(401, 422, 404, 403, 422),
    ),
    ("GET", "/api/obligations/{obligation_id}/files/{file_id}"): (
        Call("GET", "/api/obligations/{ids[accept]}/files/{ids[file]}", api=True),
        API_OWN,
    ),
    ("POST", "/api/obligations/{obligation_id}/accept"): (
        Call("POST", "/api/obligations/{ids[api_accept]}/accept", api=True),
        API_COORD,
    ),
    ("POST", "/api/obligations/{obligation_id}/return"): (
        Call(
            "POST",
            "/api/obligations/{ids[api_return]}/return",
            json={"reason": "Bổ sung"},
            api=True,
        ),
        API_COORD,
    ),
    ("POST", "/api/obligations/{obligation_id}/extend"): (
        Call(
            "POST",
            "/api/obligations/{ids[extend]}/extend",
            json={"new_deadline": "2026-11-16", "reason": "Gia hạn"},
            api=True,
        ),
        API_COORD,
    ),
    ("POST", "/api/obligations/{obligation_id}/waive"): (
        Call("POST", "/api/obligations/{ids[api_submit]}/waive", json={"reason": "Miễn"}, api=True),
        API_COORD,
    ),
    # event-triggered obligations: a unit opens for itself (su-viec is owned by both agencies),
    # the Standing Office requests, the viewer does neither
    ("GET", "/events"): (Call("GET", "/events"), expect(LOGIN, 200, 200, 403, 200)),
    ("POST", "/events/open"): (
        Call("POST", "/events/open", form={"plan": "mini", "duty": "su-viec", "what": "Vụ việc"}),
        expect(LOGIN, 200, 200, 403, 403),
    ),
    ("POST", "/events/request"): (
        Call("POST", "/events/request", form={"plan": "mini", "duty": "su-viec", "reason": "Cần"}),
        expect(LOGIN, 403, 403, 403, 200),
    ),
    ("GET", "/api/events/duties"): (Call("GET", "/api/events/duties", api=True), API_ALL),
    ("POST", "/api/events"): (
        Call("POST", "/api/events", json={"duty_code": "su-viec", "description": "Vụ"}, api=True),
        expect(401, 200, 200, 403, 403),
    ),
    ("POST", "/api/events/requests"): (
        Call("POST", "/api/events/requests", json={"duty_code": "su-viec", "reason": "Cần"},
             api=True),
        expect(401, 403, 403, 403, 200),
    ),
    ("GET", "/api/rollups/duties"): (Call("GET", "/api/rollups/duties", api=True), API_OVERVIEW),
    ("GET", "/api/rollups/units"): (Call("GET", "/api/rollups/units", api=True), API_OVERVIEW),
    # last: it ends the session
    ("POST", "/logout"): (Call("POST", "/logout", form={}), expect(303, 303, 303, 303, 303)),
}


def test_every_route_has_an_entry(tmp_path: Any) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite+pysqlite:///{tmp_path}/x.db")
    app = create_app(bootstrap(settings))
    routes = set(route_table(app))
    assert routes - set(TABLE) == set(), "routes without an authorization entry"
    assert set(TABLE) - routes == set(), "entries for routes that no longer exist"


def _call(client: Any, w: World, role: str, call: Call) -> Any:
    url = call.render(w)
    if call.api:
        headers = {"Authorization": f"Bearer {w.tokens[role]}"} if role in w.tokens else {}
        if call.method == "GET":
            return client.get(url, headers=headers)
        if call.multipart is not None:
            files = [("files", ("bc.pdf", PDF, "application/pdf"))]
            return client.post(url, headers=headers, data=call.multipart, files=files)
        return client.post(url, headers=headers, json=call.json)
    if call.method == "GET":
        return client.get(url, follow_redirects=False)
    form = dict(call.form or {})
    form["csrf_token"] = csrf(client, "/login" if role == "anonymous" else "/account")
    return client.post(url, data=form, follow_redirects=False)


@pytest.mark.parametrize("role", ROLES)
def test_route_table(world: World, role: str) -> None:
    app = create_app(bootstrap(world.settings, sessions=world.factory, clock=lambda: NOW))
    client = client_for(app)
    if role != "anonymous":
        assert login(client, EMAILS[role]).status_code == 303
    wrong: list[str] = []
    for (method, path), (call, expected) in TABLE.items():
        response = _call(client, world, role, call)
        want = expected[role]
        got = response.status_code
        if want == LOGIN:
            ok = got == 303 and response.headers["location"].startswith("/login?next=")
        else:
            ok = got == want
        if not ok:
            wrong.append(f"{method} {path}: expected {want}, got {got} {response.text[:160]!r}")
        assert got < 500, f"{method} {path} -> {got}"
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ["agency_other", "viewer"])
def test_no_change_recorded_when_refused(world: World, role: str) -> None:
    """Refused actions leave the ledger as it was (the audit log has only the fixture's rows)."""
    app = create_app(bootstrap(world.settings, sessions=world.factory, clock=lambda: NOW))
    client = client_for(app)
    login(client, EMAILS[role])
    with world.factory() as session:
        before = [
            (o.id, o.state, o.effective_deadline)
            for o in session.scalars(select(ObligationRow).order_by(ObligationRow.id))
        ]
    for (_, path), (call, _) in TABLE.items():
        if call.method == "POST" and "obligations" in path:
            _call(client, world, role, call)
    with world.factory() as session:
        after = [
            (o.id, o.state, o.effective_deadline)
            for o in session.scalars(select(ObligationRow).order_by(ObligationRow.id))
        ]
    assert after == before
