"""A directive with no end date (reported until revoked), on SQLite and PostgreSQL: the ledger
holds its obligations up to a rolling horizon only; materialising later extends it without
changing or doubling anything; an end date added later cancels only the periods after it
(the audit names the revoking text); the sweep works on it; the portal prints its period."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from phancong.adapters.db import transaction
from phancong.adapters.loader import load
from phancong.adapters.orm import AuditRow, DutyRow, ObligationRow, PlanRow, UnitRow
from phancong.domain.horizon import horizon_through
from phancong.orchestration.plans import materialize_through
from phancong.services import handlers, submissions
from phancong.services import ledger as svc
from phancong.services.sweep import sweep
from tests.helpers import ROOT, at, plain_renderer
from tests.integration.ledger_fixtures import Ledger
from tests.integration.step_lines import steps_without_line

pytestmark = pytest.mark.integration

DIRECTIVE = ROOT / "tests" / "data" / "shapes" / "quangninh-chi-thi-2026.yaml"
PLAN_ID = "quangninh-chi-thi-2026"
DAY_X = dt.date(2026, 6, 20)
LATER = dt.date(2027, 1, 20)  # X + 7 months


def _rows(ledger: Ledger) -> list[dict[str, Any]]:
    with ledger.factory() as s:
        rows = s.execute(
            select(ObligationRow.id, UnitRow.code, DutyRow.code, ObligationRow.period_label,
                   ObligationRow.period_start, ObligationRow.state,
                   ObligationRow.original_deadline, ObligationRow.effective_deadline,
                   ObligationRow.revision, ObligationRow.closed_reason)
            .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
            .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
            .where(ObligationRow.plan_id == PLAN_ID)
            .order_by(ObligationRow.id)
        ).all()
    keys = ("id", "unit", "duty", "period", "start", "state", "original", "effective",
            "revision", "reason")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def _materialize_on(ledger: Ledger, day: dt.date, path: Path = DIRECTIVE) -> tuple[Any, dt.date]:
    """What the nightly flow does on ``day``: materialise as far ahead as the plan is kept."""
    through = materialize_through(load(path), day, 12)
    return ledger.materialize(path, through=through.isoformat(), now=day.isoformat()), through


def test_the_horizon_rolls_forward_without_changing_or_doubling(ledger: Ledger) -> None:
    report, through = _materialize_on(ledger, DAY_X)
    assert through == horizon_through(DAY_X, 12) == dt.date(2027, 6, 19)
    first = _rows(ledger)
    assert report.obligations_created == len(first) > 0
    assert max(r["start"] for r in first) <= through
    # up to the horizon: 2027's first half and year are there, nothing of 2027-H2 or later
    periods = {r["period"] for r in first}
    assert {"2026-H1", "2026-H2", "2026", "2027-H1", "2027"} <= periods
    assert "2027-H2" not in periods and not any(p.startswith("2028") for p in periods)
    communes = {r["unit"] for r in first if r["duty"] == "bao-cao-xa"}
    assert len(communes) == 54  # Quảng Ninh's communes, wards and special zones
    with ledger.factory() as s:
        held = s.get(PlanRow, PLAN_ID)
        assert held is not None and held.period_end is None
        assert held.materialized_through == through

    # work happens: a report submitted and accepted, the sweep's steps taken
    lead = next(r for r in first if r["duty"] == "bao-cao-so-nganh" and r["period"] == "2026-H1")
    with transaction(ledger.factory) as s:
        submissions.submit(s, lead["id"], actor=lead["unit"], at=at("2026-06-10"), note="Đã báo cáo")
        handlers.record(s, [svc.accept(s, lead["id"], actor="so-y-te", at=at("2026-06-11"))])
    with transaction(ledger.factory) as s:
        swept = sweep(s, PLAN_ID, at(DAY_X.isoformat()), renderer=plain_renderer)
    assert swept.steps["overdue"] > 0  # the communes' H1 reports were due on 12/06
    with ledger.factory() as s:
        assert steps_without_line(s, PLAN_ID) == []

    # the same day again: nothing
    again, _ = _materialize_on(ledger, DAY_X)
    assert not again.changed_anything

    # seven months later the horizon has moved: 2027-H2 and 2028 come in, the rest is as it was
    before = {r["id"]: r for r in _rows(ledger)}
    later, later_through = _materialize_on(ledger, LATER)
    assert later_through == dt.date(2028, 1, 19)
    after = _rows(ledger)
    assert {r["id"]: r for r in after if r["id"] in before} == before
    fresh = [r for r in after if r["id"] not in before]
    assert later.obligations_created == len(fresh) > 0
    assert later.obligations_cancelled == later.obligations_rescheduled == 0
    assert all(through < r["start"] <= later_through for r in fresh)
    assert {r["period"] for r in fresh} == {"2027-H2", "2028-H1", "2028"}
    keys = [(r["unit"], r["duty"], r["period"]) for r in after]
    assert len(keys) == len(set(keys))  # no duplicates
    with ledger.factory() as s:
        assert s.get(PlanRow, PLAN_ID).materialized_through == later_through  # type: ignore[union-attr]

    # and the sweep goes on over the extended ledger
    with transaction(ledger.factory) as s:
        swept = sweep(s, PLAN_ID, at("2027-01-20"), renderer=plain_renderer)
    assert swept.steps["overdue"] > 0  # the yearly reports of 2026 (due 14/12) were not sent
    with ledger.factory() as s:
        assert steps_without_line(s, PLAN_ID) == []


def _revoked(tmp_path: Path, end: str, amendment: str = "") -> Path:
    """The directive with an end date added (and the revoking text as an amendment)."""
    text = DIRECTIVE.read_text(encoding="utf-8")
    text = text.replace("  period: {start: 2026-01-20}\n",
                        f"  period: {{start: 2026-01-20, end: {end}}}\n{amendment}")
    path = tmp_path / DIRECTIVE.name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_end_added_later_cancels_only_the_periods_after_it(
    ledger: Ledger, tmp_path: Path
) -> None:
    _materialize_on(ledger, DAY_X)
    _materialize_on(ledger, LATER)  # through 19/01/2028: 2028's periods are held
    before = {r["id"]: r for r in _rows(ledger)}
    assert any(r["period"] == "2028-H1" for r in before.values())
    revoking = (
        "  amendments:\n"
        "    - {effective: 2028-01-01, number: 12/CT-UBND, issued: 2027-12-20,"
        " note: Chỉ thị thay thế Chỉ thị 05/CT-UBND}\n"
    )
    edited = _revoked(tmp_path, "2027-12-31", revoking)
    # the plan has an end now: the nightly run materialises through the next quarter's end,
    # which lies before the periods to cancel — they are cancelled all the same
    report, through = _materialize_on(ledger, dt.date(2027, 2, 1), edited)
    assert through == dt.date(2027, 6, 30)
    after = {r["id"]: r for r in _rows(ledger)}
    assert set(after) == set(before)  # nothing created, nothing deleted
    ended = {i for i, r in before.items() if r["start"] > dt.date(2027, 12, 31)}
    assert ended and report.obligations_cancelled == len(ended)
    assert report.obligations_created == report.obligations_rescheduled == 0
    for oid, row in after.items():
        if oid in ended:
            assert row["state"] == "cancelled", row
            assert "kế hoạch kết thúc ngày 31/12/2027" in row["reason"]
            assert "12/CT-UBND" in row["reason"]
        else:
            assert row == before[oid]  # everything of 2026 and 2027 kept as it was
    with ledger.factory() as s:
        held = s.get(PlanRow, PLAN_ID)
        assert held is not None and held.period_end == dt.date(2027, 12, 31)
        audit = s.scalars(select(AuditRow).where(AuditRow.plan_id == PLAN_ID,
                                                 AuditRow.action == "plan.period_end")).all()
        cancels = s.scalars(select(AuditRow).where(
            AuditRow.plan_id == PLAN_ID, AuditRow.action == "obligation.cancelled")).all()
    assert len(audit) == 1
    assert audit[0].before == {"period_end": None}
    assert audit[0].after == {"period_end": "2027-12-31"}
    assert audit[0].reason is not None
    assert "12/CT-UBND" in audit[0].reason and "các kỳ trước được giữ nguyên" in audit[0].reason
    assert {int(a.entity_id) for a in cancels} == ended
    again, _ = _materialize_on(ledger, dt.date(2027, 2, 2), edited)
    assert not again.changed_anything


def test_an_end_inside_a_period_keeps_what_came_before(ledger: Ledger, tmp_path: Path) -> None:
    """Revoked on 30/6/2027 by a plan edit alone (no amendment): the second half of 2027 and
    everything after are cancelled, the first half kept; the year 2027, cut at the end, is due
    by the plan's last working day, as in any plan ending mid-year."""
    _materialize_on(ledger, LATER)
    before = {r["id"]: r for r in _rows(ledger)}
    report, _ = _materialize_on(ledger, dt.date(2027, 2, 1), _revoked(tmp_path, "2027-06-30"))
    after = {r["id"]: r for r in _rows(ledger)}
    for oid, row in after.items():
        old = before[oid]
        if old["start"] > dt.date(2027, 6, 30):
            assert row["state"] == "cancelled" and "30/06/2027" in row["reason"], row
            assert "văn bản" not in row["reason"]  # no revoking text was declared
        elif old["period"] == "2027":
            assert row["state"] == "open" and row["original"] <= dt.date(2027, 6, 30), row
        else:
            assert row == old, row
    assert report.obligations_cancelled == sum(
        1 for r in before.values() if r["start"] > dt.date(2027, 6, 30))
    assert report.obligations_rescheduled == sum(
        1 for r in before.values() if r["period"] == "2027")


def test_matrix_header_reads_until_revoked(database_url: str, tmp_path: Path) -> None:
    from phancong.bootstrap import bootstrap
    from phancong.settings import Settings
    from phancong.web.app import create_app
    from tests.portal_support import add_user, client_for, login, seed_ledger

    now = at("2026-06-20")
    factory = seed_ledger(database_url, DIRECTIVE, through=dt.date(2027, 6, 19), now=now)
    try:
        add_user(factory, "syt@example.test", "coordinator", plan=PLAN_ID, now=now)
        settings = Settings(data_dir=tmp_path / "data", secret_key="s" * 40,  # type: ignore[arg-type]
                            portal_url="http://portal.test")
        client = client_for(create_app(bootstrap(settings, sessions=factory, clock=lambda: now)))
        assert login(client, "syt@example.test").status_code == 303
        page = client.get(f"/matrix?plan={PLAN_ID}")
        assert page.status_code == 200
        assert "từ 20/01/2026, đến khi có văn bản thay thế" in page.text
        assert "None" not in page.text.split('data-testid="plan-period"')[1][:80]
        english = client.get(f"/matrix?plan={PLAN_ID}&lang=en")
        assert "from 20/01/2026, until revoked" in english.text
    finally:
        factory.kw["bind"].dispose()


def test_migration_0007_keeps_a_held_ledger_and_refuses_to_drop_an_open_plan(
    database_url: str,
) -> None:
    """0005 → 0007 on a ledger with a plan, units, duties and obligations (SQLite rebuilds the
    plans table under their foreign keys); back down to 0005 only while no plan lacks an end."""
    from sqlalchemy import create_engine, inspect, text

    from phancong.adapters.db import downgrade, make_engine, session_factory, upgrade
    from tests.helpers import MINI

    upgrade(database_url, "0005")
    engine = make_engine(database_url)
    held = Ledger(database_url, engine, session_factory(engine))
    held.materialize(MINI, through="2026-06-30", now="2026-01-02")
    before = _count(held)
    assert before > 0
    engine.dispose()

    upgrade(database_url)
    check = create_engine(database_url)
    columns = {c["name"]: c for c in inspect(check).get_columns("plans")}
    assert columns["period_end"]["nullable"] is True
    with check.connect() as conn:
        assert conn.execute(text("SELECT period_end FROM plans")).scalar() is not None
    check.dispose()
    engine = make_engine(database_url)
    held = Ledger(database_url, engine, session_factory(engine))
    assert _count(held) == before
    held.materialize(DIRECTIVE, through="2026-12-31", now="2026-06-20")
    engine.dispose()
    with pytest.raises(RuntimeError, match="without an end date"):
        downgrade(database_url, "0005")


def _count(ledger: Ledger) -> int:
    from sqlalchemy import func

    with ledger.factory() as s:
        return s.scalar(select(func.count()).select_from(ObligationRow)) or 0


def test_ledger_cli_materialises_to_the_horizon_and_prints_the_open_period(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zoneinfo import ZoneInfo

    from sqlalchemy import func
    from typer.testing import CliRunner

    from phancong.adapters.db import make_engine, session_factory
    from phancong.cli import app
    from phancong.settings import get_settings

    monkeypatch.setenv("PHANCONG_DATABASE_URL", database_url)
    monkeypatch.setenv("PHANCONG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PHANCONG_ENVIRONMENT", "development")
    monkeypatch.setenv("PHANCONG_MATERIALIZE_HORIZON_MONTHS", "9")
    get_settings.cache_clear()
    try:
        today = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
        through = horizon_through(today, 9)
        made = CliRunner().invoke(app, ["ledger", "materialize", str(DIRECTIVE)])
        assert made.exit_code == 0, made.output
        assert f"through {through:%d/%m/%Y}" in made.output
        engine = make_engine(database_url)
        with session_factory(engine)() as s:
            latest = s.scalar(select(func.max(ObligationRow.period_start)))
            held = s.get(PlanRow, PLAN_ID)
            assert held is not None and held.materialized_through == through
        engine.dispose()
        assert latest is not None and latest <= through
        for lang, words in (("vi", "từ 20/01/2026, đến khi có văn bản thay thế"),
                            ("en", "from 20/01/2026, until revoked")):
            shown = CliRunner().invoke(app, ["ledger", "status", str(DIRECTIVE), "--lang", lang,
                                             "--as-of", "2026-06-20"])
            assert shown.exit_code == 0, shown.output
            assert shown.output.splitlines()[1] == words
    finally:
        get_settings.cache_clear()


def test_an_extension_is_not_capped_by_an_end_the_plan_does_not_have(
    ledger: Ledger, tmp_path: Path
) -> None:
    from phancong.services.errors import Refused

    _materialize_on(ledger, DAY_X)
    row = next(r for r in _rows(ledger) if r["duty"] == "bao-cao-xa" and r["period"] == "2026")
    with transaction(ledger.factory) as s:
        handlers.record(s, [svc.extend(s, row["id"], actor="so-y-te", at=at("2026-06-20"),
                   new_deadline=dt.date(2029, 3, 31), reason="Sáp nhập đơn vị, gia hạn báo cáo")])
    assert next(r for r in _rows(ledger) if r["id"] == row["id"])["effective"] == dt.date(2029, 3, 31)
    # once the directive has an end, an extension past it is refused in words, as for any plan
    _materialize_on(ledger, dt.date(2026, 7, 1), _revoked(tmp_path, "2027-12-31"))
    other = next(r for r in _rows(ledger) if r["duty"] == "bao-cao-so-nganh"
                 and r["period"] == "2026" and r["state"] == "open")
    with pytest.raises(Refused, match="vượt quá thời gian của kế hoạch"), \
            transaction(ledger.factory) as s:
        handlers.record(s, [svc.extend(s, other["id"], actor="so-y-te", at=at("2026-07-01"),
                   new_deadline=dt.date(2028, 1, 15), reason="Gia hạn")])
