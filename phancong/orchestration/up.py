"""``phancong up``: everything a coordinator needs on one machine, from nothing configured.

1. a Prefect server (SQLite, under the data directory) unless ``PREFECT_API_URL`` is set;
2. the ledger migrated (``PHANCONG_DATABASE_URL`` or SQLite in the data directory) and the
   plans materialised through the end of next quarter;
3. a coordinator account for the first login when there is none (password printed once);
4. the portal (uvicorn) and the deployments (``prefect.serve`` in its own process);
5. the URLs printed; Ctrl-C or SIGTERM stops every child cleanly.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import signal
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from zoneinfo import ZoneInfo

from phancong.bootstrap import wired
from phancong.domain.zone import DEFAULT_TZ
from phancong.orchestration import instance, processes
from phancong.orchestration.processes import Child
from phancong.settings import DEFAULT_PLAN, Settings, get_settings

TZ = DEFAULT_TZ
COORDINATOR_EMAIL = "dieu-phoi@phancong.localhost"
Say = Callable[[str], None]
Progress = Callable[[int, int, str], None]


@dataclass
class UpOptions:
    plans: list[Path] = field(default_factory=list)
    portal_port: int | None = None
    prefect_port: int | None = None
    portal: bool = True
    data_dir: Path | None = None
    server_timeout: float = 90.0


@dataclass
class Running:
    """What ``up`` started and where to reach it."""

    prefect_ui: str
    prefect_api: str
    portal_url: str | None
    children: list[Child] = field(default_factory=list)
    coordinator: tuple[str, str | None] | None = None  # (email, password when just created)
    deployments: list[str] = field(default_factory=list)
    deployment_names: list[str] = field(default_factory=list)  # flow/name, for the health watch

    def stop(self, say: Say) -> None:
        for child in reversed(self.children):  # runner first, Prefect server last
            if child.running:
                say(f"  stopping {child.name} …")
            child.stop()
        self.children.clear()


class Stop(Exception):
    """SIGINT or SIGTERM received."""


@contextmanager
def _signals_stop() -> Iterator[None]:
    """SIGINT and SIGTERM stop ``up``, even when started with SIGINT ignored (``cmd &``);
    children then start with default handlers, not an inherited "ignore"."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Stop(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _settings(options: UpOptions) -> Settings:
    if options.data_dir is not None:
        os.environ["PHANCONG_DATA_DIR"] = str(options.data_dir.expanduser().resolve())
    if options.portal_port is not None:
        os.environ["PHANCONG_PORTAL_PORT"] = str(options.portal_port)
    get_settings.cache_clear()
    settings = wired().settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def start_prefect(settings: Settings, options: UpOptions, running: Running, say: Say) -> None:
    api = os.environ.get("PREFECT_API_URL")
    if api:
        running.prefect_api = api.rstrip("/")
        running.prefect_ui = (os.environ.get("PREFECT_UI_URL")
                              or running.prefect_api.removesuffix("/api"))
        say(f"Prefect: using the server at {running.prefect_api}")
        processes.wait_for(f"{running.prefect_api}/health", None, options.server_timeout,
                           "the Prefect server", say)
        return
    port = processes.free_port(options.prefect_port or 4200)
    if options.prefect_port and port != options.prefect_port:
        raise RuntimeError(f"port {options.prefect_port} is taken")
    home = settings.data_dir / "prefect"
    env = processes.prefect_server_env(os.environ, home, port)
    say(f"Prefect: starting a local server on 127.0.0.1:{port} (data in {home}) …")
    child = processes.spawn("prefect-server", processes.prefect_server_argv(port), env,
                            settings.data_dir / "logs", signal.SIGTERM)
    running.children.append(child)
    running.prefect_api = f"http://127.0.0.1:{port}/api"
    running.prefect_ui = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    processes.wait_for(f"{running.prefect_api}/health", child, options.server_timeout,
                       "the Prefect server", say)
    say(f"  Prefect server ready in {time.monotonic() - started:.0f} s")
    # every later child (runner, flow runs) talks to this server
    for key in ("PREFECT_HOME", "PREFECT_API_URL", "PREFECT_UI_API_URL",
                "PREFECT_SERVER_ANALYTICS_ENABLED"):
        os.environ[key] = env[key]


def prepare_ledger(settings: Settings, plans: Sequence[Path], progress: Progress | None,
                   say: Say, now: dt.datetime) -> list[str]:
    """Migrate, then materialise each plan through the end of next quarter (a plan without an
    end: its horizon ahead); the plan ids."""
    from phancong.adapters.db import transaction, upgrade
    from phancong.adapters.loader import directory, load
    from phancong.bootstrap import wired
    from phancong.orchestration.plans import materialize_through
    from phancong.services.materialize import materialize, refresh_statistics

    url = settings.effective_database_url
    say(f"Ledger: {_redacted(url)}")
    upgrade(url)
    today = now.astimezone(ZoneInfo(TZ)).date()
    ids: list[str] = []
    for path in plans:
        plan = load(path)
        through = materialize_through(plan, today, settings.materialize_horizon_months)
        say(f"  materialising {plan.id} through {through:%d/%m/%Y} …")
        factory = wired().sessions
        with transaction(factory) as session:
            report = materialize(session, plan, directory(plan), through=through, now=now,
                                 source=str(path.resolve()), progress=progress)
        refresh_statistics(factory, report)
        say(f"  {plan.id}: {report.obligations_created} new obligations"
            f"{' (new plan version ' + str(report.version) + ')' if report.new_version else ''}")
        ids.append(plan.id)
    return ids


def ensure_coordinator(now: dt.datetime, say: Say) -> tuple[str, str | None] | None:
    """A coordinator account for the first login; its password is returned only when created."""
    if importlib.util.find_spec("phancong.services.accounts") is None:
        say("  (no account service yet: create a coordinator with the portal's CLI)")
        return None
    from phancong.adapters.db import transaction
    from phancong.bootstrap import wired
    from phancong.services import accounts

    with transaction(wired().sessions) as session:
        existing = [u for u in accounts.list_users(session) if u.role == "coordinator" and u.active]
        if existing:
            return existing[0].email, None
        password = accounts.generate_password()
        accounts.add_user(session, email=COORDINATOR_EMAIL, name="Điều phối viên",
                          role="coordinator", now=now, password=password, actor="system:up")
    return COORDINATOR_EMAIL, password


def portal_command(host: str, port: int) -> list[str]:
    """The portal's uvicorn command line as ``up`` runs it."""
    return [sys.executable, "-m", "uvicorn", "phancong.orchestration.portal:make_app",
            "--factory", "--host", host, "--port", str(port), "--no-access-log",
            # uvicorn would believe X-Forwarded-For from loopback: the portal reads it itself,
            # from the proxies named in PHANCONG_TRUSTED_PROXIES only
            "--no-proxy-headers"]


def start_portal(settings: Settings, options: UpOptions, running: Running, say: Say) -> None:
    if not options.portal:
        return
    if importlib.util.find_spec("phancong.web.app") is None:
        say("Portal: phancong.web.app is not there yet — starting without the portal")
        return
    port = processes.free_port(options.portal_port or settings.portal_port)
    if options.portal_port and port != options.portal_port:
        raise RuntimeError(f"port {options.portal_port} is taken")
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env["PHANCONG_PORTAL_PORT"] = str(port)
    if "PHANCONG_PORTAL_URL" not in os.environ:
        env["PHANCONG_PORTAL_URL"] = url
        os.environ["PHANCONG_PORTAL_URL"] = url  # links in emails queued by flow runs
    say(f"Portal: starting on {url} …")
    child = processes.spawn("portal", portal_command(settings.portal_host, port), env,
                            settings.data_dir / "logs", signal.SIGTERM)
    running.children.append(child)
    processes.wait_for(f"{url}/healthz", child, 60, "the portal", say)
    running.portal_url = url


def start_runner(settings: Settings, plans: Sequence[Path], plan_ids: Sequence[str],
                 running: Running, say: Say, timeout: float = 90.0) -> None:
    from phancong.orchestration.deployments import planned

    argv = [sys.executable, "-m", "phancong.orchestration.serve"]
    for path in plans:
        argv += ["--plan", str(path.resolve())]
    say("Deployments: serving " + ", ".join(plan_ids) + " …")
    child = processes.spawn("deployments", argv, dict(os.environ), settings.data_dir / "logs",
                            signal.SIGINT)
    running.children.append(child)
    items = planned(plans)
    sweep = next(i for i in items if i.flow == "sweep")
    quoted = "/".join(urllib.parse.quote(part, safe="") for part in (sweep.flow, sweep.name))
    processes.wait_for(f"{running.prefect_api}/deployments/name/{quoted}", child, timeout,
                       "the deployments", say)
    running.deployments = [f"{i.full_name}  —  {i.schedule_text}" for i in items]
    running.deployment_names = [i.full_name for i in items]


def up(options: UpOptions, say: Say = print, progress: Progress | None = None,
       now: dt.datetime | None = None) -> int:
    settings = _settings(options)
    plans = [p.expanduser().resolve() for p in (options.plans or [DEFAULT_PLAN])]
    os.environ["PHANCONG_DATABASE_URL"] = settings.effective_database_url
    instant = now or dt.datetime.now(ZoneInfo(TZ))
    running = Running(prefect_ui="", prefect_api="", portal_url=None)
    with _signals_stop():
        try:
            start_prefect(settings, options, running, say)
            plan_ids = prepare_ledger(settings, plans, progress, say, instant)
            running.coordinator = ensure_coordinator(instant, say)
            start_portal(settings, options, running, say)
            start_runner(settings, plans, plan_ids, running, say)
            instance.record(settings.data_dir, instance.Instance(
                running.prefect_api, running.prefect_ui, running.portal_url, os.getpid()))
            _announce(running, settings, say)
            return _wait(running, say)
        except (KeyboardInterrupt, Stop):
            say("\nStopping …")
            return 0
        except (RuntimeError, TimeoutError) as exc:
            say(f"error: {exc}")
            return 1
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut cleanup
                signal.signal(sig, signal.SIG_IGN)
            running.stop(say)
            instance.clear(settings.data_dir, os.getpid())
            say("Stopped.")


def _announce(running: Running, settings: Settings, say: Say) -> None:
    say("")
    say("phancong is up.")
    say(f"  Prefect UI:  {running.prefect_ui}")
    say(f"  Portal:      {running.portal_url or '(not started)'}")
    if running.coordinator:
        email, password = running.coordinator
        if password:
            say(f"  Coordinator: {email}  password: {password}")
            say("               (shown once — change it after the first login)")
        else:
            say(f"  Coordinator: {email} (existing account)")
    say("  Deployments:")
    for line in running.deployments:
        say(f"    {line}")
    say(f"  Logs:        {settings.data_dir / 'logs'}")
    say("Press Ctrl-C to stop.")
    sys.stdout.flush()


def _wait(running: Running, say: Say, watch_first: float = 45.0,
          watch_every: float = 60.0) -> int:
    from phancong.orchestration.health import SchedulerWatch

    # within a minute, and every minute after: does Prefect's scheduler create runs?
    watch = SchedulerWatch(running.prefect_api, running.deployment_names, time.monotonic(),
                           first=watch_first, every=watch_every)
    while True:
        for child in running.children:
            if not child.running:
                say(f"error: {child.name} exited (code {child.process.returncode}); "
                    f"log {child.log_path}:\n{child.tail()}")
                return 1
        if running.deployment_names:
            line = watch.poll(time.monotonic())
            if line:
                say(line)
                sys.stdout.flush()
        time.sleep(0.5)


def _redacted(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    return url
