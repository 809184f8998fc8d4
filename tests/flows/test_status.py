"""``phancong status`` against a real Prefect server (the session's test harness), a real SMTP
server on loopback and a SQLite ledger: exit 0 when all is well, 1 for each way the unattended
service can be broken — a deployment with no upcoming run (unscheduled, paused, missing), runs
nobody executes, the last sweep older than 26 h, mail queued for more than an hour, SMTP or
Prefect unreachable."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from flowkit import Ledger, at
from sqlalchemy import select, update
from typer.testing import CliRunner

from flows.sweep import sweep_flow
from phancong.adapters.db import transaction
from phancong.adapters.orm import OutboxRow
from phancong.bootstrap import bootstrap, wired
from phancong.cli import app
from phancong.services.health import record_sweep
from phancong.settings import get_settings
from tests.integration.smtp_server import SmtpServer

pytestmark = pytest.mark.flows

PLAN_FLOWS = ("materialize", "sweep", "digest", "consolidate")
CRON = {"materialize": "0 1 * * *", "sweep": "0 8 * * *", "digest": "0 7 * * 1",
        "consolidate": "0 9 16 3,6,9,12 *", "deliver": "*/5 * * * *"}


def api() -> str:
    from prefect.settings import PREFECT_API_URL

    value = PREFECT_API_URL.value()
    assert value
    return str(value).rstrip("/")


class Retrying(httpx.Client):
    """Requests retried on 503 (the harness's SQLite database briefly locked), then checked."""

    def request(self, *args: Any, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        for attempt in range(10):
            response = super().request(*args, **kwargs)
            if response.status_code != 503:
                break
            time.sleep(0.2 * (attempt + 1))
        return response.raise_for_status()


class Prefect:
    """The deployments `phancong up` serves, registered on the harness's server by REST."""

    def __init__(self, plan_id: str) -> None:
        self.client = Retrying(base_url=api(), timeout=30)
        self.names = [(flow, plan_id) for flow in PLAN_FLOWS] + [("deliver", "outbox")]
        self.ids: dict[str, str] = {}

    def deploy(self, flow: str, name: str, *, scheduled: bool = True,
               paused: bool = False) -> str:
        flow_id = self.client.post("/flows/", json={"name": flow}).json()["id"]
        schedules = ([{"schedule": {"cron": CRON[flow], "timezone": "Asia/Ho_Chi_Minh"},
                       "active": True}] if scheduled else [])
        response = self.client.post("/deployments/", json={
            "name": name, "flow_id": flow_id, "schedules": schedules, "paused": paused})
        response.raise_for_status()
        deployment_id = str(response.json()["id"])
        self.ids[f"{flow}/{name}"] = deployment_id
        self.clear_runs(deployment_id)
        if paused:  # the upsert keeps the old flag: set it
            self.client.patch(f"/deployments/{deployment_id}",
                              json={"paused": True}).raise_for_status()
        return deployment_id

    def clear_runs(self, deployment_id: str) -> None:
        runs = self.client.post("/flow_runs/filter", json={
            "flow_runs": {"deployment_id": {"any_": [deployment_id]}}, "limit": 200}).json()
        for run in runs:
            self.client.delete(f"/flow_runs/{run['id']}").raise_for_status()

    def schedule_run(self, deployment_id: str, when: dt.datetime) -> None:
        response = self.client.post(f"/deployments/{deployment_id}/create_flow_run", json={
            "state": {"type": "SCHEDULED", "name": "Scheduled",
                      "state_details": {"scheduled_time": when.isoformat()}}})
        response.raise_for_status()

    def healthy(self) -> None:
        """Every deployment registered, active, with a run scheduled in the next hours."""
        soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
        for flow, name in self.names:
            self.schedule_run(self.deploy(flow, name), soon)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def world(ledger: Ledger, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Prefect]:
    """Every deployment registered with an upcoming run, SMTP up; not swept yet."""
    monkeypatch.setenv("PHANCONG_SMTP_HOST", smtp.host)
    monkeypatch.setenv("PHANCONG_SMTP_PORT", str(smtp.port))
    get_settings.cache_clear()
    prefect = Prefect("mini")
    prefect.healthy()
    yield prefect
    prefect.client.close()


def sweep_now() -> None:
    """The real sweep flow (it records itself in the ledger), its emails queued 5 min ago as
    a sweep at the wall clock's 08:00 would leave them."""
    asyncio.run(sweep_flow(plan="mini", as_of=at("2026-03-17")))
    queued_at(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))


def queued_at(when: dt.datetime, limit: int | None = None) -> None:
    with transaction(wired().sessions) as session:
        ids = session.scalars(select(OutboxRow.id).where(OutboxRow.status == "queued")
                              .order_by(OutboxRow.id).limit(limit)).all()
        assert ids
        session.execute(update(OutboxRow).where(OutboxRow.id.in_(ids)).values(created_at=when))


def status(*args: str, command: str = "status") -> tuple[int, str]:
    result = CliRunner().invoke(app, [command, "--prefect-api", api(), *args])
    return result.exit_code, result.output


def problems(*args: str) -> tuple[int, list[str], dict[str, Any]]:
    code, out = status("--json", *args)
    report = json.loads(out)
    return code, [p["code"] for p in report["problems"]], report


def test_a_healthy_service_exits_zero_and_says_so(world: Prefect, smtp: SmtpServer) -> None:
    sweep_now()
    code, out = status()
    assert code == 0, out
    assert "Kết luận: hoạt động bình thường." in out
    assert "Kế hoạch mini: Kế hoạch thử nghiệm" in out
    assert "Lần rà soát thành công gần nhất:" in out and "(0 giờ trước)" in out
    assert "Hộp thư đi: chờ gửi 4, đã gửi 0, lỗi 0" in out
    assert "sweep/mini" in out and "lần tới:" in out
    assert "Máy chủ thư: 127.0.0.1:" in out and "kết nối được (250" in out
    assert smtp.mailbox.count() == 0  # connect, EHLO, NOOP: nothing sent

    code, _, report = problems("--lang", "en")
    assert code == 0
    assert report["healthy"] is True
    (plan,) = report["plans"]
    assert plan["last_sweep_source"] == "ledger"
    assert plan["last_sweep_as_of"] == at("2026-03-17").astimezone(dt.UTC).isoformat()
    assert plan["oldest_queued_age_minutes"] == 5
    deployments = {d["name"]: d for d in report["prefect"]["deployments"]}
    assert set(deployments) == {"materialize/mini", "sweep/mini", "digest/mini",
                                "consolidate/mini", "deliver/outbox"}
    assert all(d["next_run"] for d in deployments.values())

    code, out = status("--lang", "en", command="doctor")
    assert code == 0, out
    assert "Verdict: healthy." in out


def test_a_deployment_without_upcoming_run_fails(world: Prefect) -> None:
    sweep_now()
    world.deploy("digest", "mini", scheduled=False)  # registered, but never scheduled
    code, codes, _ = problems()
    assert (code, codes) == (1, ["no_upcoming_run"])
    code, out = status()
    assert code == 1
    assert "Kết luận: CÓ VẤN ĐỀ (1):" in out
    assert "Triển khai digest/mini không có lần chạy nào được lên lịch" in out


def test_a_paused_or_missing_deployment_fails(world: Prefect) -> None:
    sweep_now()
    world.deploy("sweep", "mini", paused=True)
    code, codes, _ = problems()
    assert (code, codes) == (1, ["deployment_paused"])
    world.client.delete(f"/deployments/{world.ids['sweep/mini']}").raise_for_status()
    code, codes, _ = problems()
    assert (code, codes) == (1, ["deployment_missing"])


def test_runs_nobody_executes_fail(world: Prefect) -> None:
    """What a stopped runner leaves: the scheduler's runs stay SCHEDULED in the past."""
    sweep_now()
    world.schedule_run(world.ids["deliver/outbox"],
                       dt.datetime.now(dt.UTC) - dt.timedelta(minutes=25))
    code, codes, report = problems()
    assert (code, codes) == (1, ["runs_late"])
    late = next(d for d in report["prefect"]["deployments"] if d["name"] == "deliver/outbox")
    assert late["late_since"] is not None and late["next_run"] is not None


def test_a_sweep_older_than_26_hours_fails(world: Prefect) -> None:
    code, codes, _ = problems()  # loaded long ago (materialised "2026-01-01"), never swept
    assert (code, codes) == (1, ["sweep_missing"])
    now = dt.datetime.now(dt.UTC)
    with transaction(wired().sessions) as session:
        record_sweep(session, "mini", as_of=now - dt.timedelta(hours=27),
                     ran_at=now - dt.timedelta(hours=27), sweep_key="mini:old", steps={},
                     emails=0)
    code, codes, _ = problems()
    assert (code, codes) == (1, ["sweep_stale"])
    code, out = status()
    assert "lần rà soát thành công gần nhất cách đây 27 giờ (quá 26 giờ)" in out
    with transaction(wired().sessions) as session:  # 25 hours: still within the day's slack
        record_sweep(session, "mini", as_of=now - dt.timedelta(hours=25),
                     ran_at=now - dt.timedelta(hours=25), sweep_key="mini:recent", steps={},
                     emails=0)
    assert problems()[:2] == (0, [])


def test_mail_queued_for_more_than_an_hour_fails(world: Prefect) -> None:
    sweep_now()
    queued_at(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=61), limit=1)
    code, codes, report = problems()
    assert (code, codes) == (1, ["mail_stale"])
    assert report["plans"][0]["oldest_queued_age_minutes"] == 61
    code, out = status()
    assert "4 thư đang chờ gửi, thư cũ nhất đã chờ 61 phút (quá 60 phút)" in out


def test_smtp_or_prefect_unreachable_fails(world: Prefect, smtp: SmtpServer) -> None:
    sweep_now()
    smtp.stop()
    code, codes, _ = problems()
    assert (code, codes) == (1, ["smtp_unreachable"])
    smtp.start()
    assert problems()[:2] == (0, [])
    from phancong.orchestration.processes import free_port

    gone = f"http://127.0.0.1:{free_port()}/api"
    result = CliRunner().invoke(app, ["status", "--json", "--prefect-api", gone])
    assert result.exit_code == 1
    assert [p["code"] for p in json.loads(result.output)["problems"]] == ["prefect_unreachable"]


def test_up_warns_when_the_scheduler_has_created_no_run(world: Prefect) -> None:
    from phancong.orchestration.health import SchedulerWatch

    names = [f"{flow}/{name}" for flow, name in world.names]
    watch = SchedulerWatch(api(), names, started=0.0, first=45.0, every=60.0)
    assert watch.poll(44.0) is None  # not asked before 45 s
    assert watch.poll(45.0) is None  # every deployment has a scheduled run
    world.deploy("deliver", "outbox", scheduled=False)  # the scheduler made nothing for it
    assert watch.poll(100.0) is None  # next check a minute after the last one
    warning = watch.poll(105.0)
    assert warning is not None
    assert warning.startswith("CẢNH BÁO / WARNING: bộ lập lịch Prefect chưa tạo lần chạy nào")
    assert "deliver/outbox" in warning and "digest/mini" not in warning
    world.schedule_run(world.deploy("deliver", "outbox"),
                       dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))
    assert watch.poll(170.0) is not None  # recovered: said once
    assert watch.poll(240.0) is None


def test_the_portal_shows_coordinators_the_schedules_warnings(
        world: Prefect, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from phancong.services import accounts
    from phancong.settings import Settings
    from phancong.web.app import create_app
    from tests.portal_support import add_user, client_for, fast_hasher, login

    monkeypatch.setattr(accounts, "hasher", fast_hasher)
    monkeypatch.setenv("PREFECT_API_URL", api())  # as `phancong up` gives it to the portal
    sweep_now()
    world.deploy("digest", "mini", scheduled=False)
    factory = wired().sessions
    add_user(factory, "pc02@example.test", "coordinator", plan="mini",
             now=dt.datetime.now(dt.UTC))
    settings = Settings(data_dir=tmp_path / "portal", secret_key="s" * 40,  # type: ignore[arg-type]
                        portal_url="http://portal.test")
    app = create_app(bootstrap(settings, sessions=factory, clock=lambda: at("2026-03-24")))
    client = client_for(app)
    assert login(client, "pc02@example.test").status_code == 303
    page = client.get("/matrix")
    assert page.status_code == 200
    assert 'data-testid="health-warning"' in page.text
    assert "Triển khai digest/mini không có lần chạy nào được lên lịch" in page.text
    assert "sweep/mini" not in page.text.split('data-testid="health-warning"')[1].split("</div>")[0]
