"""The national page: every plan in the account's scope on one page, x of N reported and the
on-time rate per plan, on three generated provincial plans (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import make_engine, session_factory, transaction, upgrade
from phancong.adapters.loader import directory, load
from phancong.adapters.orm import ObligationRow
from phancong.bootstrap import bootstrap
from phancong.domain.plan import Plan
from phancong.services import accounts, handlers, ledger, submissions
from phancong.services.materialize import materialize
from phancong.settings import Settings
from phancong.web.app import create_app
from tests.portal_support import MINI_PLAN, add_user, client_for, fast_hasher, login

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 8, 3, 3, 0, tzinfo=dt.UTC)  # 10:00 in Hà Nội
TODAY = dt.date(2026, 8, 3)
PLANS = ("tinh-01", "tinh-02", "tinh-03")
ROW = re.compile(r'data-testid="national-row" data-plan="([^"]+)" data-due="(\d+)" '
                 r'data-reported="(\d+)" data-late="(\d+)"')


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)


def province(plan_id: str, number: int) -> Plan:
    data = load(MINI_PLAN).model_dump(mode="python")
    data["plan"]["id"] = plan_id
    data["plan"]["title"] = f"Kế hoạch thử nghiệm tỉnh {number:02d}"
    return Plan.model_validate(data)


@dataclass
class Nation:
    factory: sessionmaker[Session]
    settings: Settings


@pytest.fixture
def nation(database_url: str, tmp_path: Any) -> Iterator[Nation]:
    upgrade(database_url)
    factory = session_factory(make_engine(database_url))
    for number, plan_id in enumerate(PLANS, start=1):
        plan = province(plan_id, number)
        with transaction(factory) as session:
            materialize(session, plan, directory(plan), through=dt.date(2026, 12, 31),
                        now=dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
    with transaction(factory) as session:
        due = session.execute(
            select(ObligationRow.id, ObligationRow.plan_id, ObligationRow.original_deadline,
                   ObligationRow.period_start)
            .where(ObligationRow.role != "support", ObligationRow.effective_deadline < TODAY)
            .order_by(ObligationRow.id)
        ).all()
        for oid, plan_id, deadline, start in due:
            if plan_id == "tinh-01":  # everything reported the day before and accepted
                on_time = dt.datetime.combine(max(deadline - dt.timedelta(days=1), start),
                                              dt.time(3), dt.UTC)
                submissions.submit(session, oid, actor="x@example.test", at=on_time, note="xong")
                handlers.record(session, [ledger.accept(session, oid, actor="pc02@example.test", at=on_time)])
            elif plan_id == "tinh-02" and oid % 2:  # every other one reported late, accepted
                submissions.submit(session, oid, actor="x@example.test", at=NOW, note="muộn")
                handlers.record(session, [ledger.accept(session, oid, actor="pc02@example.test", at=NOW)])
    add_user(factory, "bo@example.test", "viewer", plan=None, now=NOW)  # the ministry
    add_user(factory, "tinh2@example.test", "coordinator", plan="tinh-02", now=NOW)
    add_user(factory, "sgd@example.test", "agency", plan="tinh-01", unit="sgd", now=NOW)
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url,  # type: ignore[arg-type]
                        secret_key="k" * 40)
    yield Nation(factory, settings)
    factory.kw["bind"].dispose()


def expected(factory: sessionmaker[Session]) -> dict[str, tuple[int, int, int, int, int]]:
    """(due, reported, accepted, accepted on time, late) per plan, counted row by row."""
    out = {}
    with factory() as session:
        rows = session.execute(select(ObligationRow)).scalars().all()
        for plan_id in PLANS:
            due = [o for o in rows if o.plan_id == plan_id and o.role != "support"
                   and o.state not in ("cancelled", "waived") and o.effective_deadline < TODAY]
            out[plan_id] = (
                len(due),
                sum(o.state in ("submitted", "accepted") for o in due),
                sum(o.state == "accepted" for o in due),
                sum(o.state == "accepted" and o.on_time is True for o in due),
                sum(o.state in ("open", "returned") for o in due),
            )
    return out


def test_the_ministry_sees_every_plan_on_one_page(nation: Nation) -> None:
    client = client_for(create_app(bootstrap(nation.settings, sessions=nation.factory, clock=lambda: NOW)))
    assert login(client, "bo@example.test").status_code == 303
    page = client.get("/national")
    assert page.status_code == 200
    assert 'id="nav-national"' in page.text
    shown = {m[0]: (int(m[1]), int(m[2]), int(m[3])) for m in ROW.findall(page.text)}
    want = expected(nation.factory)
    assert set(shown) == set(PLANS)
    for plan_id, (due, reported, _, _, late) in want.items():
        assert shown[plan_id] == (due, reported, late), plan_id
    # the three provinces as built: all on time, half late, nothing reported
    assert want["tinh-01"][0] > 0 and want["tinh-01"][1] == want["tinh-01"][0]
    assert 0 < want["tinh-02"][1] < want["tinh-02"][0]
    assert want["tinh-03"][1] == 0
    rates = dict(re.findall(r'data-plan="([^"]+)"[^>]*>.*?data-testid="national-rate">(\d+|–)',
                            page.text, flags=re.S))
    assert rates == {"tinh-01": "100", "tinh-02": "0", "tinh-03": "0"}
    assert "Kế hoạch thử nghiệm tỉnh 02" in page.text
    total = re.search(r'id="national-total" data-testid="national-total" data-due="(\d+)" '
                      r'data-reported="(\d+)"', page.text)
    assert total is not None
    assert (int(total[1]), int(total[2])) == (sum(v[0] for v in want.values()),
                                              sum(v[1] for v in want.values()))
    english = client.get("/national?lang=en")
    assert "All plans at a glance" in english.text and "reported" in english.text


def test_a_plan_bound_account_sees_its_plan_and_an_agency_none(nation: Nation) -> None:
    app = create_app(bootstrap(nation.settings, sessions=nation.factory, clock=lambda: NOW))
    coordinator = client_for(app)
    assert login(coordinator, "tinh2@example.test").status_code == 303
    page = coordinator.get("/national")
    assert page.status_code == 200
    assert [m[0] for m in ROW.findall(page.text)] == ["tinh-02"]
    assert 'id="nav-national"' not in page.text  # the menu offers it to cross-plan accounts
    agency = client_for(app)
    assert login(agency, "sgd@example.test").status_code == 303
    refused = agency.get("/national")
    assert refused.status_code == 403
    assert "quyền" in refused.text
