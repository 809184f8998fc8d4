"""Several machines on one: a Prefect server on PostgreSQL, two runners serving the same
deployments, two portal processes on one PostgreSQL ledger, a real SMTP server.

Nothing here calls a flow directly. Prefect's own scheduler fires the sweep and the delivery
every minute (the documented PHANCONG_SWEEP_CRON / PHANCONG_DELIVER_CRON settings); the two
concurrent sweeps are flow runs created on the server with one scheduled instant and picked up
by the runners like any other run. The test watches and kills:

- the first scheduled sweep is killed (SIGKILL of its runner's process group, the runner and
  its flow process) while it holds the plan's advisory lock, i.e. inside its transaction;
- a delivery is killed while it is sending (some messages accepted, rows of its batch not
  yet sent);
- each killed runner is started again, as a machine would come back.

Then it reads every flow run from the Prefect API and the ledger, and checks: each run that
was executed was executed once, by one runner (its RUNNING states, and which runner's process
carried its PREFECT__FLOW_RUN_ID, seen in /proc); every ladder step due was recorded once, and
every step has its line in an email queued once; every queued email arrived, doubled at most
once per delivery kill (the message in flight), with the same Message-ID. Across the two
portal processes: a submission through A is seen at once by B and by the next sweep; a
session opened on A is valid on B, and a logout on B ends it for A; the report file uploaded
with that submission through A is served by B byte for byte, and the consolidated report that
a runner's ``consolidate`` run wrote (into the ledger: each process has its own data
directory) is served by the portals and links that file. Recorded, not asserted
(known limits, docs/deployment.md): whether a copy of the cookie taken before the logout still
works, and the login throttle of A holds on B (the ledger keeps it).

Figures go to $PHANCONG_TEST_OUTPUT/multi-process.txt (quoted in RELIABILITY.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from phancong.adapters.db import make_engine, session_factory, transaction, upgrade
from phancong.adapters.loader import directory, load
from phancong.adapters.orm import (
    EscalationRow,
    ObligationRow,
    OutboxItemRow,
    OutboxRow,
    UnitRow,
)
from phancong.orchestration.processes import free_port
from phancong.services import accounts, credentials
from phancong.services.materialize import materialize
from phancong.services.notices import Level
from phancong.services.sweep import due_steps_query
from tests.conftest import POSTGRES_URL_ENV, _running_in_ci
from tests.e2e.portal_server import PortalProcess, start_portal
from tests.helpers import HANOI
from tests.integration.smtp_server import SmtpServer
from tests.integration.step_lines import steps_without_line
from tests.portal_support import PASSWORD, csrf_from

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.postgres]

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PLAN_ID = "hanoi-2026-2030"
PHANCONG = str(Path(sys.executable).with_name("phancong"))
SECRET_KEY = "khoa-bi-mat-chung-cho-moi-cong-thong-tin-" + "x" * 16  # shared by both portals
COORDINATOR = "dieu-phoi@mp.example"
VIEWER = "bo-nganh@mp.example"  # the ministry's viewer, who reads the consolidated report
REPORT_PDF = b"%PDF-1.4\n% Bao cao cua phuong, nop qua cong A\n%%EOF\n"
STARTUP_TIMEOUT = 150.0
PHASE_TIMEOUT = 150.0
LEASE_SECONDS = 20  # PHANCONG_DELIVER_LEASE_SECONDS: a killed delivery's rows return this soon
SMTP_DELAY = 0.03  # seconds per message, so that a kill lands in the middle of a batch
SWEEP_LOCK_KEY = zlib.crc32(f"sweep:{PLAN_ID}".encode())


# --- processes ------------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


def _spawn(name: str, argv: list[str], env: dict[str, str], logs: Path) -> Child:
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    return Child(name, process, log_path)


def _marked(marker: str) -> list[int]:
    """Pids of processes whose environment carries MP_RUNNER=<marker> (a runner's flows)."""
    found = []
    needle = f"MP_RUNNER={marker}\0".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError):
            if needle in (entry / "environ").read_bytes():
                found.append(int(entry.name))
    return found


def _stop(child: Child, sig: int = signal.SIGINT, timeout: float = 20) -> None:
    if child.process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(child.process.pid, sig)
        try:
            child.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait(timeout=10)


def _kill_machine(child: Child) -> None:
    """SIGKILL to the runner's process group and to every flow process it started."""
    with suppress(ProcessLookupError):
        os.killpg(child.process.pid, signal.SIGKILL)
    for pid in _marked(child.name):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    child.process.wait(timeout=10)


class FlowProcesses(threading.Thread):
    """Samples /proc every 0.2 s: which runner's process carries which flow run."""

    def __init__(self, prefix: str) -> None:
        super().__init__(daemon=True)
        self.prefix = f"MP_RUNNER={prefix}".encode()
        self.seen: dict[str, set[tuple[str, int]]] = defaultdict(set)  # run id → (runner, pid)
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.2):
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    environ = (entry / "environ").read_bytes()
                except OSError:
                    continue
                if self.prefix not in environ or b"PREFECT__FLOW_RUN_ID=" not in environ:
                    continue
                values = dict(v.split(b"=", 1) for v in environ.split(b"\0") if b"=" in v)
                run_id = values[b"PREFECT__FLOW_RUN_ID"].decode()
                runner = values[b"MP_RUNNER"].decode()
                with self.lock:
                    self.seen[run_id].add((runner, int(entry.name)))

    def runners_of(self, run_id: str) -> set[str]:
        with self.lock:
            return {runner for runner, _ in self.seen.get(run_id, set())}


# --- Prefect API ----------------------------------------------------------------------------


def _wait(what: str, check: Callable[[], Any], timeout: float = PHASE_TIMEOUT,
          every: float = 0.5, context: Callable[[], str] = lambda: "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{context()}")
        time.sleep(every)


def _runs(api: str, deployment_ids: list[str]) -> list[dict[str, Any]]:
    body = {"deployments": {"id": {"any_": deployment_ids}},
            "sort": "EXPECTED_START_TIME_ASC", "limit": 200}
    response = httpx.post(f"{api}/flow_runs/filter", json=body, timeout=20)
    response.raise_for_status()
    runs: list[dict[str, Any]] = response.json()
    return runs


def _states(api: str, run_id: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{api}/flow_run_states/", params={"flow_run_id": run_id}, timeout=20)
    response.raise_for_status()
    states: list[dict[str, Any]] = response.json()
    return states


def _deployment_id(api: str, name: str) -> str | None:
    response = httpx.get(f"{api}/deployments/name/{name}", timeout=10)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return str(response.json()["id"])


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


# --- the ledger -----------------------------------------------------------------------------


@pytest.fixture
def databases() -> Iterator[tuple[str, str, str]]:
    """(ledger URL, Prefect's asyncpg URL, admin URL) of two fresh databases on the cluster."""
    server_url = os.environ.get(POSTGRES_URL_ENV)
    if not server_url:
        if _running_in_ci():
            pytest.fail(f"CI must not skip PostgreSQL: {POSTGRES_URL_ENV} is unset")
        pytest.skip("PostgreSQL not started (run scripts/test.sh)")
    url = make_url(server_url)
    suffix = uuid.uuid4().hex[:10]
    ledger, prefect = f"mp_ledger_{suffix}", f"mp_prefect_{suffix}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in (ledger, prefect):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (url.set(database=ledger).render_as_string(hide_password=False),
               url.set(drivername="postgresql+asyncpg", database=prefect)
               .render_as_string(hide_password=False),
               url.set(database="postgres").render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            for name in (ledger, prefect):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _prepare_ledger(url: str, today: dt.date, now: dt.datetime) -> None:
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    plan = load(HANOI)
    with transaction(factory) as session:
        materialize(session, plan, directory(plan), through=today + dt.timedelta(days=120),
                    now=now, source=str(HANOI))
        accounts.add_user(session, email=COORDINATOR, name="Điều phối", role="coordinator",
                          now=now, plan_id=PLAN_ID, password=PASSWORD)
        accounts.add_user(session, email=VIEWER, name="Bộ ngành", role="viewer", now=now,
                          plan_id=PLAN_ID, password=PASSWORD)
    engine.dispose()


def _lock_holder(engine: Engine) -> str | None:
    """application_name of the connection holding the sweep's advisory lock, if any."""
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objid::text = :k"
        ), {"k": str(SWEEP_LOCK_KEY)}).scalar()


def _due_now(engine: Engine, day: dt.date) -> int:
    with engine.connect() as conn:
        return sum(
            conn.execute(select(func.count()).select_from(
                due_steps_query(PLAN_ID, level, day).subquery())).scalar_one()
            for level in Level)


def _count(engine: Engine, query: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


# --- the test -------------------------------------------------------------------------------


@dataclass
class Figures:
    values: dict[str, Any] = field(default_factory=dict)

    def __setitem__(self, key: str, value: Any) -> None:
        self.values[key] = value

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


def test_two_runners_two_portals_one_ledger(
    databases: tuple[str, str, str], tmp_path: Path, test_output: Path
) -> None:
    ledger_url, prefect_db_url, _ = databases
    started = time.monotonic()
    figures = Figures()
    now = dt.datetime.now(VN)
    today = now.date()
    _prepare_ledger(ledger_url, today, now)
    engine = make_engine(ledger_url)
    logs = tmp_path / "logs"
    logs.mkdir()
    tag = uuid.uuid4().hex[:6]

    smtp = SmtpServer()
    smtp.mailbox.delay = SMTP_DELAY
    smtp.start()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PHANCONG_"))}
    base_env["PYTHONUNBUFFERED"] = "1"

    prefect_port = free_port()
    api = f"http://127.0.0.1:{prefect_port}/api"
    server_env = dict(base_env)
    server_env.update({
        "PREFECT_HOME": str(tmp_path / "prefect-server-home"),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": prefect_db_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(prefect_port),
        "PREFECT_API_URL": api,
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
    })
    children: list[Child] = []
    portals: list[PortalProcess] = []
    clients: list[httpx.Client] = []
    monitor = FlowProcesses(f"mp-{tag}-")
    monitor.start()
    runner_count = 0

    def start_runner(machine: str) -> Child:
        nonlocal runner_count
        runner_count += 1
        name = f"mp-{tag}-{machine}{runner_count}"
        env = dict(base_env)
        env.update({
            "MP_RUNNER": name,
            "PREFECT_API_URL": api,
            "PREFECT_HOME": str(tmp_path / f"prefect-home-{name}"),
            "PREFECT_RUNNER_POLL_FREQUENCY": "2",
            "PHANCONG_DATABASE_URL": f"{ledger_url}?application_name={name}",
            "PHANCONG_DATA_DIR": str(tmp_path / f"data-{machine}"),
            "PHANCONG_SMTP_HOST": smtp.host,
            "PHANCONG_SMTP_PORT": str(smtp.port),
            "PHANCONG_SWEEP_CRON": "* * * * *",
            "PHANCONG_DELIVER_CRON": "* * * * *",
            "PHANCONG_DELIVER_LEASE_SECONDS": str(LEASE_SECONDS),
        })
        child = _spawn(name, [PHANCONG, "flows", "serve", "--plan", str(HANOI), "--limit", "4"],
                       env, logs)
        children.append(child)
        return child

    def context() -> str:
        return "\n".join(f"--- {c.name} (exit {c.process.poll()})\n{c.tail()}" for c in children)

    try:
        server = _spawn("prefect-server", [sys.executable, "-m", "prefect", "server", "start",
                                          "--host", "127.0.0.1", "--port", str(prefect_port)],
                        server_env, logs)
        children.append(server)
        portal_env = {"PHANCONG_SECRET_KEY": SECRET_KEY, "PHANCONG_SMTP_PORT": str(smtp.port)}
        for machine in ("a", "b"):  # separate data directories: separate machines
            portals.append(start_portal(ledger_url, tmp_path / f"portal-data-{machine}",
                                        extra_env=portal_env))
        portal_a, portal_b = portals
        _wait("the Prefect server on PostgreSQL", lambda: _healthy(f"{api}/health"),
              timeout=STARTUP_TIMEOUT, context=context)
        figures["startup_s"] = round(time.monotonic() - started, 1)

        # --- 0. the portals, before any runner ----------------------------------------------
        d2 = dt.datetime.combine(today + dt.timedelta(days=21), dt.time(8), VN)
        with engine.connect() as conn:
            target = conn.execute(
                select(ObligationRow.id, UnitRow.code, ObligationRow.period_label)
                .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
                .where(ObligationRow.plan_id == PLAN_ID, ObligationRow.state == "open",
                       ObligationRow.period_start <= today,
                       ObligationRow.overdue_on > today, ObligationRow.overdue_on <= d2.date(),
                       UnitRow.code.like("ward-%"))
                .order_by(ObligationRow.overdue_on, ObligationRow.id).limit(1)
            ).one()
        oid, unit, period = target
        factory = session_factory(engine)
        with transaction(factory) as session:
            accounts.add_user(session, email="phuong@mp.example", name="Phường", role="agency",
                              now=now, plan_id=PLAN_ID, unit_code=unit, password=PASSWORD)
            token = credentials.issue_api_token(session, "phuong@mp.example", now=now)
        bearer = {"Authorization": f"Bearer {token}"}
        # the report and its file through A (multipart), the file read back through B
        submitted = httpx.post(
            f"{portal_a.url}/api/obligations/{oid}/submit-files", headers=bearer,
            data={"note": "Đã hoàn thành, báo cáo qua cổng A"},
            files=[("files", ("bao-cao-phuong.pdf", REPORT_PDF, "application/pdf"))],
            timeout=30)
        assert submitted.status_code == 200, submitted.text
        seen_b = httpx.get(f"{portal_b.url}/api/obligations/{oid}", headers=bearer, timeout=30)
        assert seen_b.status_code == 200, seen_b.text
        assert seen_b.json()["state"] == "submitted", seen_b.json()
        figures["submission_seen_by_portal_b"] = True
        (uploaded,) = seen_b.json()["submissions"][-1]["files"]
        file_b = httpx.get(f"{portal_b.url}{uploaded['url']}", headers=bearer, timeout=30)
        assert file_b.status_code == 200, file_b.text
        assert file_b.content == REPORT_PDF
        assert file_b.headers["x-file-sha256"] == hashlib.sha256(REPORT_PDF).hexdigest()
        figures["report_file_uploaded_to_a_bytes"] = len(REPORT_PDF)
        figures["report_file_served_by_b_identical"] = file_b.content == REPORT_PDF
        file_path = f"/obligations/{oid}/files/{uploaded['id']}"

        # the ministry's viewer signs in on B before the throttle test below makes this
        # address wait, and keeps the session for the consolidated report
        viewer = httpx.Client(timeout=30)
        clients.append(viewer)
        form = viewer.get(f"{portal_b.url}/login")
        signed_in = viewer.post(f"{portal_b.url}/login", data={
            "email": VIEWER, "password": PASSWORD, "next": "/",
            "csrf_token": csrf_from(form.text)})
        assert signed_in.status_code == 303, signed_in.text

        # one browser, two portal processes behind one address (cookies ignore the port, as
        # they would behind the reverse proxy that spreads requests over the processes)
        with httpx.Client(timeout=30) as browser:
            page = browser.get(f"{portal_a.url}/login")
            login = browser.post(f"{portal_a.url}/login", data={
                "email": COORDINATOR, "password": PASSWORD, "next": "/",
                "csrf_token": csrf_from(page.text)})
            assert login.status_code == 303, login.text
            copied = dict(browser.cookies.items())
            home_b = browser.get(f"{portal_b.url}/account", follow_redirects=False)
            assert home_b.status_code == 200, "the session opened on A is valid on B"
            logout = browser.post(f"{portal_b.url}/logout",
                                  data={"csrf_token": csrf_from(home_b.text)})
            assert logout.status_code == 303
            home_a = browser.get(f"{portal_a.url}/account", follow_redirects=False)
            assert home_a.status_code in (302, 303, 307), "logged out on B, still in on A"
            assert "/login" in home_a.headers["location"]
        with httpx.Client(timeout=30, cookies=copied) as replay:
            # a copy of the cookie taken before the logout: the logout on B ended the account's
            # sessions in the ledger (its session epoch), so A refuses the copy too
            figures["pre_logout_cookie_copy_still_valid"] = (
                replay.get(f"{portal_a.url}/account", follow_redirects=False).status_code == 200)
            assert not figures["pre_logout_cookie_copy_still_valid"]
        figures["session_and_logout_across_portals"] = True

        def failed_login(portal: PortalProcess) -> int:
            with httpx.Client(timeout=30) as client:
                form = client.get(f"{portal.url}/login")
                return client.post(f"{portal.url}/login", data={
                    "email": "khong-co@mp.example", "password": "sai-mat-khau", "next": "/",
                    "csrf_token": csrf_from(form.text)}).status_code

        tries_a = [failed_login(portal_a) for _ in range(6)]
        assert tries_a[:5] == [400] * 5 and tries_a[5] == 429, tries_a  # throttled on A
        # the throttle is kept in the ledger: B makes the same account wait
        figures["login_throttle_shared_across_portals"] = failed_login(portal_b) == 429
        assert figures["login_throttle_shared_across_portals"]

        runner_a = start_runner("a")
        sweep_id = _wait("sweep deployment", lambda: _deployment_id(api, f"sweep/{PLAN_ID}"),
                         timeout=STARTUP_TIMEOUT, context=context)
        deliver_id = _wait("deliver deployment", lambda: _deployment_id(api, "deliver/outbox"),
                           context=context)
        runner_b = start_runner("b")
        alive = {"a": runner_a, "b": runner_b}

        # --- 1. the first scheduled sweep, killed inside its transaction ---------------------
        holder = _wait("a scheduled sweep holding the plan's advisory lock",
                       lambda: _lock_holder(engine), every=0.02, context=context)
        machine = next(m for m, c in alive.items() if c.name == holder)
        _kill_machine(alive[machine])
        killed_sweep_at = time.monotonic()
        _wait("the killed sweep's lock released", lambda: _lock_holder(engine) is None, 30)
        figures["escalations_after_sweep_kill"] = _count(
            engine, select(func.count()).select_from(EscalationRow))
        figures["outbox_after_sweep_kill"] = _count(
            engine, select(func.count()).select_from(OutboxRow))
        assert figures["escalations_after_sweep_kill"] == 0, "a killed sweep left part of its work"
        assert figures["outbox_after_sweep_kill"] == 0
        alive[machine] = start_runner(machine)  # the machine comes back

        # --- 2. the next scheduled sweep, and a delivery killed while it sends ----------------
        # one watcher for both: the delivery of the recovered sweep's emails may start at any
        # moment after that sweep commits (the two run in the same minute)
        def completed_sweeps() -> list[dict[str, Any]]:
            return [r for r in _runs(api, [sweep_id]) if r["state_type"] == "COMPLETED"
                    and "auto-scheduled" in r["tags"]]

        def delivering() -> str | None:
            """The runner of a delivery that has sent some of its batch and not all of it."""
            if smtp.mailbox.count() == 0:
                return None
            claimed = _count(engine, select(func.count()).select_from(OutboxRow).where(
                OutboxRow.status == "queued",
                OutboxRow.next_attempt_at > dt.datetime.now(dt.UTC)))
            if claimed == 0:
                return None
            sending = [r for r in _runs(api, [deliver_id]) if r["state_type"] == "RUNNING"]
            living = {c.name for c in alive.values()}
            for run in sending:  # a delivery the killed sweep's runner was running stays
                for runner in monitor.runners_of(run["id"]) & living:  # RUNNING: not that one
                    return runner
            return None

        recovered = killed_delivery = False
        deadline = time.monotonic() + PHASE_TIMEOUT + 60
        next_sweep_check = 0.0

        def all_sent() -> bool:
            """The recovered sweep's emails went out before a delivery could be caught in the
            middle of its batch (a timing this test cannot force; the SIGKILL loops of
            tests/e2e/test_deliver_crash.py kill deliveries 55 times per database)."""
            return smtp.mailbox.count() > 0 and _count(engine, select(func.count()).select_from(
                OutboxRow).where(OutboxRow.status == "queued")) == 0

        while not (recovered and (killed_delivery or all_sent())):
            assert time.monotonic() < deadline, (
                f"recovered sweep {recovered}, delivery killed {killed_delivery}\n{context()}")
            if not recovered and time.monotonic() >= next_sweep_check:
                next_sweep_check = time.monotonic() + 2
                if completed_sweeps():
                    recovered = True
                    figures["recovered_after_s"] = round(time.monotonic() - killed_sweep_at, 1)
                    assert _due_now(engine, today) == 0, "steps due today left untaken"
            if not killed_delivery:
                runner_name = delivering()
                if runner_name:
                    machine = next(m for m, c in alive.items() if c.name == runner_name)
                    sent_before_kill = smtp.mailbox.count()
                    _kill_machine(alive[machine])
                    figures["delivery_kill_after_messages"] = sent_before_kill
                    alive[machine] = start_runner(machine)
                    killed_delivery = True
            time.sleep(0.05)

        # --- 3. two sweeps of one plan at the same instant (as of three weeks ahead) ---------
        escalations_before = _count(engine, select(func.count()).select_from(EscalationRow))
        expected_new = _due_now(engine, d2.date())
        assert expected_new > 0, "nothing due three weeks ahead: the pair would prove nothing"
        at = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=6)).isoformat()
        pair = []
        for _ in range(2):
            response = httpx.post(f"{api}/deployments/{sweep_id}/create_flow_run", json={
                "parameters": {"plan": PLAN_ID, "as_of": d2.isoformat()},
                "state": {"type": "SCHEDULED", "state_details": {"scheduled_time": at}},
                "tags": ["mp-pair"]}, timeout=20)
            response.raise_for_status()
            pair.append(response.json()["id"])

        def pair_done() -> list[dict[str, Any]] | None:
            runs = [r for r in _runs(api, [sweep_id]) if r["id"] in pair]
            return runs if all(r["state_type"] in ("COMPLETED", "FAILED", "CRASHED")
                               for r in runs) else None

        pair_runs = _wait("the two simultaneous sweeps", pair_done, every=1, context=context)
        assert [r["state_type"] for r in pair_runs] == ["COMPLETED", "COMPLETED"], pair_runs
        starts = sorted(dt.datetime.fromisoformat(r["start_time"]) for r in pair_runs)
        ends = sorted(dt.datetime.fromisoformat(r["end_time"]) for r in pair_runs)
        figures["pair_start_gap_s"] = round((starts[1] - starts[0]).total_seconds(), 2)
        figures["pair_overlapped"] = starts[1] < ends[0]
        figures["pair_runners"] = sorted(r for run in pair for r in monitor.runners_of(run))
        added = _count(engine, select(func.count()).select_from(EscalationRow)) - escalations_before
        figures["pair_steps_expected"] = expected_new
        figures["pair_steps_recorded"] = added
        assert added == expected_new, (added, expected_new)
        with engine.connect() as conn:
            submitted_steps = conn.execute(select(EscalationRow.level).where(
                EscalationRow.obligation_id == oid)).scalars().all()
        assert "overdue" not in submitted_steps, "the sweep escalated what was submitted on A"
        figures["submission_seen_by_next_sweep"] = True

        # --- 3b. the consolidated report, made on a runner, served by the portals ------------
        consolidate_id = _wait("consolidate deployment",
                               lambda: _deployment_id(api, f"consolidate/{PLAN_ID}"))
        created = httpx.post(f"{api}/deployments/{consolidate_id}/create_flow_run", json={
            "parameters": {"plan": PLAN_ID, "as_of": dt.datetime.now(VN).isoformat(),
                           "period": period},
            "state": {"type": "SCHEDULED", "state_details": {
                "scheduled_time": dt.datetime.now(dt.UTC).isoformat()}},
            "tags": ["mp-consolidate"]}, timeout=20)
        created.raise_for_status()
        report_run = created.json()["id"]
        asked_at = time.monotonic()

        def report_done() -> dict[str, Any] | None:
            (run,) = [r for r in _runs(api, [consolidate_id]) if r["id"] == report_run]
            return run if run["state_type"] in ("COMPLETED", "FAILED", "CRASHED") else None

        done = _wait("the consolidate run", report_done, every=1, context=context)
        assert done["state_type"] == "COMPLETED", done
        figures["consolidate_run_s"] = round(time.monotonic() - asked_at, 1)
        figures["consolidate_run_runners"] = sorted(monitor.runners_of(report_run))
        assert len(monitor.runners_of(report_run)) == 1
        assert len([s for s in _states(api, report_run) if s["type"] == "RUNNING"]) == 1
        served: dict[str, str] = {}
        for name, portal in (("a", portal_a), ("b", portal_b)):
            page = viewer.get(f"{portal.url}/reports/{PLAN_ID}/{period}.html")
            assert page.status_code == 200, page.text[:500]
            assert f'href="{file_path}"' in page.text, "the report does not link the file"
            served[name] = page.text
            assert not (tmp_path / f"portal-data-{name}" / "reports").exists()
        assert served["a"] == served["b"]
        docx = viewer.get(f"{portal_b.url}/reports/{PLAN_ID}/{period}.docx")
        assert docx.status_code == 200
        with zipfile.ZipFile(io.BytesIO(docx.content)) as document:
            rels = document.read("word/_rels/document.xml.rels").decode()
        assert file_path in rels, "the DOCX does not link the file"
        linked = viewer.get(f"{portal_a.url}{file_path}")
        assert linked.status_code == 200 and linked.content == REPORT_PDF
        figures["consolidated_report_served_by_both_portals"] = True
        figures["consolidated_report_links_the_file"] = True
        figures["consolidated_report_html_bytes"] = len(served["b"].encode())
        figures["consolidated_report_docx_bytes"] = len(docx.content)

        # --- 4. every email due sent, the killed batch's too ---------------------------------
        def all_sent() -> bool:  # the pair's emails wait for their own day (as_of three
            # weeks ahead); every other one, the killed batch's included, must go
            return _count(engine, select(func.count()).select_from(OutboxRow).where(
                OutboxRow.status == "queued", OutboxRow.created_at != d2)) == 0

        _wait("every queued email sent after the kill", all_sent, timeout=LEASE_SECONDS + 150,
              every=2, context=context)
        last_check = dt.datetime.now(dt.UTC)

        # --- 5. the record ---------------------------------------------------------------------
        runs = _runs(api, [sweep_id, deliver_id])
        scheduled = [r for r in runs if "auto-scheduled" in r["tags"]
                     and dt.datetime.fromisoformat(r["expected_start_time"])
                     < last_check - dt.timedelta(seconds=20)]
        executed_once = executed_twice = claimed_by_killed = not_executed = killed_mid_run = 0
        runner_of: Counter[str] = Counter()
        killed = {c.name for c in children if c.name.startswith("mp-") and
                  c.process.returncode == -signal.SIGKILL}
        problems = []
        for run in scheduled + [r for r in runs if r["id"] in pair]:
            running = [s for s in _states(api, run["id"]) if s["type"] == "RUNNING"]
            seen = monitor.runners_of(run["id"])
            if len(running) > 1 or len(seen) > 1:
                executed_twice += 1
                problems.append((run["name"], len(running), sorted(seen)))
            elif running:
                executed_once += 1
                runner_of.update(seen)
                if run["state_type"] == "RUNNING" and seen & killed:
                    killed_mid_run += 1
            elif seen & killed or run["state_type"] == "PENDING":
                claimed_by_killed += 1
            else:
                not_executed += 1
                problems.append((run["name"], run["state_type"], run["expected_start_time"]))
        figures["runs_scheduled"] = len(scheduled)
        figures["runs_created_for_the_pair"] = len(pair)
        figures["runs_executed_once"] = executed_once
        figures["runs_executed_twice"] = executed_twice
        figures["runs_killed_while_running"] = killed_mid_run  # left RUNNING by Prefect
        figures["runs_claimed_by_a_killed_runner"] = claimed_by_killed
        figures["runs_not_executed"] = not_executed
        figures["runs_per_runner"] = dict(sorted(runner_of.items()))
        figures["runs_unattributed"] = executed_once - sum(runner_of.values())
        figures["runners_killed"] = sorted(killed)

        with engine.connect() as conn:
            twice = conn.execute(text(
                "SELECT count(*) FROM (SELECT obligation_id, level FROM escalations"
                " GROUP BY obligation_id, level HAVING count(*) > 1) d")).scalar_one()
            figures["steps_recorded"] = conn.execute(
                select(func.count()).select_from(EscalationRow)).scalar_one()
            figures["steps_recorded_twice"] = twice
            emails_twice = conn.execute(text(
                "SELECT count(*) FROM (SELECT recipient_unit, created_at FROM outbox"
                " WHERE kind NOT IN ('review', 'digest')"
                " GROUP BY recipient_unit, created_at HAVING count(*) > 1) d")).scalar_one()
            figures["emails_queued_twice"] = emails_twice
            lines_twice = conn.execute(
                select(func.count()).select_from(
                    select(OutboxItemRow.obligation_id, OutboxItemRow.level,
                           OutboxRow.recipient_unit)
                    .join(OutboxRow, OutboxRow.id == OutboxItemRow.outbox_id)
                    .where(OutboxItemRow.upstream_id.is_(None), OutboxItemRow.level.is_not(None))
                    .group_by(OutboxItemRow.obligation_id, OutboxItemRow.level,
                              OutboxRow.recipient_unit)
                    .having(func.count() > 1).subquery())).scalar_one()
            figures["email_lines_queued_twice"] = lines_twice
            message_ids = conn.execute(select(OutboxRow.message_id).where(
                OutboxRow.status == "sent")).scalars().all()
            figures["emails_queued_for_a_later_day"] = conn.execute(
                select(func.count()).select_from(OutboxRow).where(
                    OutboxRow.status == "queued", OutboxRow.created_at == d2)).scalar_one()
            figures["emails_not_sent_why"] = sorted({
                f"{status}: {error}" for status, error in conn.execute(
                    select(OutboxRow.status, OutboxRow.last_error)
                    .where(OutboxRow.status != "sent", OutboxRow.created_at != d2))})
            figures["emails_not_sent"] = conn.execute(select(func.count()).select_from(
                OutboxRow).where(OutboxRow.status != "sent")).scalar_one()
        with transaction(factory) as session:
            missing = steps_without_line(session, PLAN_ID)
            figures["steps_without_email"] = len(missing)
            figures["steps_without_email_sample"] = [str(m) for m in missing[:5]]
        figures["steps_due_untaken"] = _due_now(engine, d2.date())
        received = smtp.mailbox.message_ids()
        figures["emails_sent"] = len(message_ids)
        figures["emails_received"] = sum(received.values())
        figures["emails_missing"] = sum(1 for m in message_ids if received[m] == 0)
        figures["emails_doubled"] = sum(c - 1 for c in received.values() if c > 1)
        figures["delivery_kills"] = int(killed_delivery)
        figures["delivery_caught_mid_batch"] = killed_delivery
        figures["test_seconds"] = round(time.monotonic() - started, 1)

        out = test_output / "multi-process.txt"
        out.write_text(
            "two runners, two portal processes, one Prefect server and one ledger on "
            f"PostgreSQL ({dt.datetime.now(VN):%Y-%m-%d %H:%M} Asia/Ho_Chi_Minh)\n"
            + json.dumps(figures.values, ensure_ascii=False, indent=2, default=str) + "\n",
            encoding="utf-8")
        print("\n" + out.read_text(encoding="utf-8"))

        assert not problems, problems
        assert executed_twice == 0
        assert not_executed == 0
        assert killed_mid_run >= 1 + int(killed_delivery), (
            "the killed sweep (and delivery) are among the runs read back")
        assert figures["runs_unattributed"] == 0, "an executed run seen on no runner"
        assert len(runner_of) >= 2, f"one runner did everything: {runner_of}"
        assert twice == 0 and emails_twice == 0 and lines_twice == 0
        assert figures["steps_without_email"] == 0
        assert figures["steps_due_untaken"] == 0
        assert figures["emails_missing"] == 0
        # the only rows not sent are those the sweep could not address (no unit email)
        assert figures["emails_not_sent_why"] in (
            [], ["failed: no email address for this unit"]), figures["emails_not_sent_why"]
        assert figures["emails_doubled"] <= figures["delivery_kills"]
        server_log = server.log_path.read_text(errors="replace")
        assert "Traceback" not in server_log, server_log[-4000:]
    finally:
        monitor.stopping.set()
        for child in reversed(children):
            _stop(child)
        for portal in portals:
            portal.stop()
        for client in clients:
            client.close()
        smtp.stop()
        engine.dispose()
