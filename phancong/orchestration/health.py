"""Is phancong healthy? What ``phancong status`` (alias ``doctor``) and ``phancong up`` check.

- the ledger (:mod:`phancong.services.health`): each plan's last successful sweep, its outbox
  by state and the age of the oldest queued email;
- the Prefect server: does it answer, is each deployment registered and not paused, when is its
  next scheduled run, are scheduled runs left waiting (nobody is executing them);
- the SMTP server: connect, EHLO and NOOP with a short timeout (no mail is sent).

Prefect is read over its REST API with plain HTTP: a check must never start a throw-away
server of its own, as the Prefect client does when ``PREFECT_API_URL`` is not set.
"""
from __future__ import annotations

import datetime as dt
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from phancong.bootstrap import wired
from phancong.orchestration.artifacts import local_time
from phancong.orchestration.deployments import DELIVER_NAME
from phancong.orchestration.health_smtp import SmtpStatus, check_smtp, smtp_problems
from phancong.services.health import PlanLedgerHealth, Problem

PLAN_FLOWS = ("materialize", "sweep", "digest", "consolidate")
DEFAULT_API_URL = "http://127.0.0.1:4200/api"  # where `phancong up` starts Prefect by default


LATE_AFTER = dt.timedelta(minutes=10)  # a scheduled run still waiting this long: nobody runs it
HTTP_TIMEOUT = 5.0


def find_api_url(explicit: str | None = None) -> str | None:
    """The Prefect API to check: ``explicit``, else ``PREFECT_API_URL``, else the server of the
    running ``phancong up`` of this data directory (whatever port it took), else the active
    Prefect profile's, else the default local port when it answers; None when none is found."""
    if explicit:
        return explicit.rstrip("/")
    from phancong.orchestration.instance import find_api_url as running_instance

    found = running_instance(wired().settings.data_dir)  # PREFECT_API_URL first
    if found:
        return found
    try:
        from prefect.settings import get_current_settings

        profile = get_current_settings().api.url
    except Exception:  # a broken profile is reported as "not found", not as a traceback
        profile = None
    if profile:
        return str(profile).rstrip("/")
    try:
        if httpx.get(f"{DEFAULT_API_URL}/health", timeout=2.0).status_code == 200:
            return DEFAULT_API_URL
    except httpx.HTTPError:
        pass
    return None


@dataclass
class DeploymentStatus:
    name: str  # flow/name
    plan_id: str | None  # None for the shared delivery
    registered: bool = False
    paused: bool = False
    expects_runs: bool = True  # False for a date list (RRule) with no date left
    next_run: dt.datetime | None = None
    late_since: dt.datetime | None = None  # the oldest scheduled run still waiting
    last_completed: dt.datetime | None = None


@dataclass
class PrefectStatus:
    api_url: str | None
    healthy: bool = False
    version: str | None = None
    error: str | None = None
    deployments: list[DeploymentStatus] = field(default_factory=list)


def expected_deployments(plan_ids: Sequence[str]) -> list[DeploymentStatus]:
    """The deployments ``phancong up`` serves for these plans (see deployments.py)."""
    out = [DeploymentStatus(f"{flow}/{plan_id}", plan_id)
           for plan_id in plan_ids for flow in PLAN_FLOWS]
    out.append(DeploymentStatus(f"deliver/{DELIVER_NAME}", None))
    return out


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def _when(value: Any) -> dt.datetime | None:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _rrule_has_future(schedule: dict[str, Any], now: dt.datetime) -> bool:
    from zoneinfo import ZoneInfo

    from dateutil.rrule import rrulestr  # type: ignore[import-untyped]

    text = schedule.get("rrule") or ""
    zone = ZoneInfo(schedule.get("timezone") or "UTC")
    try:
        rule = rrulestr(text, forceset=True, dtstart=now.astimezone(zone).replace(tzinfo=None))
    except (ValueError, TypeError):
        return True  # not understood here: expect runs, as Prefect would
    return rule.after(now.astimezone(zone).replace(tzinfo=None)) is not None


def _expects_runs(deployment: dict[str, Any], now: dt.datetime) -> bool:
    schedules = [s for s in deployment.get("schedules") or [] if s.get("active", True)]
    if not schedules:
        return True  # no schedule at all: it will never run, which is what we report
    for item in schedules:
        schedule = item.get("schedule") or {}
        if "rrule" not in schedule or _rrule_has_future(schedule, now):
            return True
    return False


def _call(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """A request, retried on 503 — Prefect's answer to an error worth retrying, e.g. its
    SQLite database briefly locked — as Prefect's own client does."""
    for attempt in range(4):
        response = client.request(method, url, **kwargs)
        if response.status_code != 503 or attempt == 3:
            return response
        time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


def _first_run(client: httpx.Client, deployment_id: str, state: str, *,
               after: dt.datetime | None = None, before: dt.datetime | None = None,
               sort: str = "EXPECTED_START_TIME_ASC") -> dict[str, Any] | None:
    runs_filter: dict[str, Any] = {"deployment_id": {"any_": [deployment_id]},
                                   "state": {"type": {"any_": [state]}}}
    window: dict[str, str] = {}
    if after is not None:
        window["after_"] = _iso(after)
    if before is not None:
        window["before_"] = _iso(before)
    if window:
        runs_filter["expected_start_time"] = window
    response = _call(client, "POST", "/flow_runs/filter",
                     json={"flow_runs": runs_filter, "sort": sort, "limit": 1})
    response.raise_for_status()
    found = response.json()
    return found[0] if found else None


def check_prefect(api_url: str | None, plan_ids: Sequence[str], now: dt.datetime,
                  transport: httpx.BaseTransport | None = None) -> PrefectStatus:
    """The Prefect server's health and, per expected deployment, its next and late runs."""
    status = PrefectStatus(api_url=api_url, deployments=expected_deployments(plan_ids))
    if api_url is None:
        status.error = "no Prefect server found (PREFECT_API_URL is not set)"
        return status
    try:
        with httpx.Client(base_url=api_url, timeout=HTTP_TIMEOUT, transport=transport) as client:
            health = _call(client, "GET", "/health")
            if health.status_code != 200:
                status.error = f"GET /health: HTTP {health.status_code}"
                return status
            status.healthy = True
            version = client.get("/admin/version")
            if version.status_code == 200:
                status.version = str(version.json())
            for item in status.deployments:
                flow, name = item.name.split("/", 1)
                quoted = "/".join(urllib.parse.quote(p, safe="") for p in (flow, name))
                response = _call(client, "GET", f"/deployments/name/{quoted}")
                if response.status_code == 404:
                    continue
                response.raise_for_status()
                deployment = response.json()
                item.registered = True
                item.paused = bool(deployment.get("paused"))
                item.expects_runs = _expects_runs(deployment, now)
                upcoming = _first_run(client, deployment["id"], "SCHEDULED", after=now)
                item.next_run = _when(upcoming and upcoming.get("expected_start_time"))
                late = _first_run(client, deployment["id"], "SCHEDULED", before=now - LATE_AFTER)
                item.late_since = _when(late and late.get("expected_start_time"))
                done = _first_run(client, deployment["id"], "COMPLETED", sort="END_TIME_DESC")
                item.last_completed = _when(done and done.get("end_time"))
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        status.healthy = False
        status.error = f"{type(exc).__name__}: {exc}"
    return status


def prefect_problems(status: PrefectStatus, now: dt.datetime) -> list[Problem]:
    if status.api_url is None:
        return [Problem(
            "prefect_unreachable",
            "Không tìm thấy máy chủ Prefect: PREFECT_API_URL chưa được đặt và không có máy chủ "
            f"nào ở {DEFAULT_API_URL}. Không kiểm tra được lịch chạy; hãy chạy `phancong up` "
            "hoặc đặt PREFECT_API_URL",
            "no Prefect server found: PREFECT_API_URL is not set and nothing answers at "
            f"{DEFAULT_API_URL}. The schedules cannot be checked; run `phancong up` or set "
            "PREFECT_API_URL")]
    if not status.healthy:
        where = status.api_url
        return [Problem(
            "prefect_unreachable",
            f"Máy chủ Prefect không trả lời ({where}): {status.error}. Không kiểm tra được "
            "lịch chạy; hãy chạy `phancong up` hoặc đặt PREFECT_API_URL",
            f"the Prefect server does not answer ({where}): {status.error}. The schedules "
            "cannot be checked; run `phancong up` or set PREFECT_API_URL")]
    out: list[Problem] = []
    for d in status.deployments:
        if not d.registered:
            out.append(Problem(
                "deployment_missing",
                f"Triển khai {d.name} chưa được đăng ký với Prefect: không có lần chạy nào "
                "sắp tới (trình chạy `phancong up` có đang chạy không?)",
                f"deployment {d.name} is not registered with Prefect: no upcoming run "
                "(is `phancong up` running?)", d.plan_id))
        elif d.paused:
            out.append(Problem(
                "deployment_paused",
                f"Triển khai {d.name} đang tạm dừng: không có lần chạy nào sắp tới",
                f"deployment {d.name} is paused: no upcoming run", d.plan_id))
        elif d.next_run is None and d.expects_runs:
            out.append(Problem(
                "no_upcoming_run",
                f"Triển khai {d.name} không có lần chạy nào được lên lịch: bộ lập lịch của "
                "Prefect không tạo lần chạy (xem nhật ký máy chủ Prefect)",
                f"deployment {d.name} has no scheduled run: Prefect's scheduler creates none "
                "(see the Prefect server's log)", d.plan_id))
        if d.late_since is not None:
            minutes = int((now - d.late_since).total_seconds() // 60)
            out.append(Problem(
                "runs_late",
                f"Triển khai {d.name}: lần chạy theo lịch lúc {local_time(d.late_since)} vẫn "
                f"chờ sau {minutes} phút — không có trình chạy nào thực hiện",
                f"deployment {d.name}: the run scheduled for {local_time(d.late_since)} has "
                f"waited {minutes} min — nothing is executing the runs", d.plan_id))
    return out


@dataclass
class StatusReport:
    checked_at: dt.datetime
    plans: list[PlanLedgerHealth]
    prefect: PrefectStatus
    smtp: SmtpStatus
    problems: list[Problem]

    @property
    def healthy(self) -> bool:
        return not self.problems


def build_report(plans: list[PlanLedgerHealth], prefect: PrefectStatus, smtp: SmtpStatus,
                 now: dt.datetime, orphans: dict[str, int] | None = None) -> StatusReport:
    from phancong.services.health import orphan_problems

    problems = [p for plan in plans for p in plan.problems(now)]
    problems += orphan_problems(orphans or {})
    problems += prefect_problems(prefect, now)
    problems += smtp_problems(smtp)
    return StatusReport(now, plans, prefect, smtp, problems)


def collect(now: dt.datetime, api_url: str | None, *, smtp: bool = True,
            transport: httpx.BaseTransport | None = None) -> StatusReport:
    """Read the ledger, ask Prefect and the SMTP server; nothing is changed anywhere."""
    from phancong.bootstrap import wired
    from phancong.services.health import ledger_health, orphan_lines

    with wired().sessions() as session:
        plans = ledger_health(session)
        orphans = orphan_lines(session)
    prefect = check_prefect(api_url, [p.plan_id for p in plans], now, transport)
    mail = check_smtp() if smtp else SmtpStatus(target="", reachable=True, skipped="--no-smtp")
    return build_report(plans, prefect, mail, now, orphans)


class SchedulerWatch:
    """``phancong up``'s background check: once the deployments are served, Prefect's
    scheduler must create runs. ``poll`` is called from up's loop; it asks the API every
    ``every`` seconds (the first time ``first`` seconds after start) and returns a line to
    print when the verdict changes: a warning when some served deployment has no scheduled
    run, a note when that is over."""

    def __init__(self, api_url: str, deployments: Sequence[str], started: float, *,
                 first: float = 45.0, every: float = 60.0,
                 check: Callable[[], list[str]] | None = None) -> None:
        self.api_url = api_url
        self.deployments = list(deployments)
        self.next_at = started + first
        self.every = every
        self.warned = False
        self._check = check or self._without_runs

    def _without_runs(self) -> list[str]:
        """The served deployments that have no SCHEDULED run at all (late ones included)."""
        missing: list[str] = []
        with httpx.Client(base_url=self.api_url, timeout=HTTP_TIMEOUT) as client:
            for name in self.deployments:
                flow, _, deployment = name.partition("/")
                quoted = "/".join(urllib.parse.quote(p, safe="") for p in (flow, deployment))
                response = _call(client, "GET", f"/deployments/name/{quoted}")
                if response.status_code != 200:
                    missing.append(name)
                    continue
                found = response.json()
                if not _expects_runs(found, dt.datetime.now(dt.UTC)):
                    continue
                if _first_run(client, found["id"], "SCHEDULED") is None:
                    missing.append(name)
        return missing

    def poll(self, now: float) -> str | None:
        if now < self.next_at:
            return None
        self.next_at = now + self.every
        try:
            missing = self._check()
        except (httpx.HTTPError, ValueError, KeyError) as exc:  # never stops `up`
            missing, why = self.deployments, f" ({type(exc).__name__}: {exc})"
        else:
            why = ""
        if missing:
            self.warned = True
            return ("CẢNH BÁO / WARNING: bộ lập lịch Prefect chưa tạo lần chạy nào cho "
                    f"{', '.join(missing)}{why} — Prefect's scheduler has created no run for "
                    "them: nothing will run unattended. See the Prefect server's log and "
                    "`phancong status`.")
        if self.warned:
            self.warned = False
            return ("Bộ lập lịch Prefect đã tạo lần chạy cho mọi triển khai / Prefect's "
                    "scheduler now has runs for every deployment.")
        return None
