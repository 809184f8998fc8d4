"""The deployments phancong serves, with their schedules in Asia/Ho_Chi_Minh.

Per plan: ``materialize/<plan>`` nightly at 01:00, ``sweep/<plan>`` daily at 08:00,
``digest/<plan>`` Mondays at 07:00 (the cron of each from the settings,
``PHANCONG_SWEEP_CRON`` and the like), ``consolidate/<plan>`` at 09:00 the first working day
after the units' reports of each period fall due — before the Standing Office's consolidated
report itself is due, a declared number of working days later (an RRule of those dates); and one
``deliver/outbox`` every five minutes for the shared outbox. Served by :func:`serve` (no work
pool, no Docker).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from phancong.adapters.loader import load
from phancong.bootstrap import wired
from phancong.domain.calendar import (
    duty_occurrences,
    inputs_deadline,
    next_working_day,
    occurrences,
)
from phancong.domain.horizon import horizon_through
from phancong.domain.plan import Duty, Plan
from phancong.domain.zone import DEFAULT_TZ

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

TZ = DEFAULT_TZ
# a plan without an end gets the consolidation dates of this many months ahead in its schedule
# (the deployments are served afresh at each start of `phancong up`)
SCHEDULE_MONTHS = 60
CONSOLIDATE_HOUR = 9
DELIVER_NAME = "outbox"


@dataclass(frozen=True)
class Planned:
    """One deployment to serve: flow, name, schedule (cron or rrule), parameters."""

    flow: str
    name: str
    parameters: dict[str, Any]
    tags: tuple[str, ...]
    cron: str | None = None
    rrule: str | None = None
    description: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.flow}/{self.name}"

    @property
    def schedule_text(self) -> str:
        if self.cron:
            return f"cron {self.cron} ({TZ})"
        count = (self.rrule or "").count(",") + 1
        return (f"the working day after each period's reports fall due, {CONSOLIDATE_HOUR:02d}:00"
                f" ({count} dates)")


def consolidations(plan: Plan) -> list[Duty]:
    """The Standing Office's consolidations: its duties due a number of days after inputs."""
    office = plan.plan.standing_office
    return [d for d in plan.duties if d.due_after_inputs is not None and office in d.lead]


@dataclass(frozen=True)
class ConsolidationRun:
    """When the consolidate flow runs for one period, and what it must be on time for."""

    period_label: str
    inputs_due: dt.date  # the latest deadline of the units' reports
    run_on: dt.date  # the flow runs at CONSOLIDATE_HOUR this day
    due: dt.date  # the consolidated report's own deadline


def consolidation_runs(plan: Plan, until: dt.date | None = None) -> list[ConsolidationRun]:
    """One run per period of each consolidation: the first working day after its inputs fall
    due (so a report sent on the deadline day counts), before the consolidation is due.
    ``until``: for a plan without an end, the periods starting by then."""
    runs: dict[str, ConsolidationRun] = {}
    for duty in consolidations(plan):
        for due in duty_occurrences(plan, duty, until=until):
            last = inputs_deadline(plan, duty, due.period.label, until)
            if last is None:
                continue
            run_on = next_working_day(last + dt.timedelta(days=1))
            run = ConsolidationRun(due.period.label, last, run_on, due.effective)
            runs.setdefault(due.period.label, run)
    return sorted(runs.values(), key=lambda r: (r.run_on, r.period_label))


def consolidation_dates(plan: Plan, until: dt.date | None = None) -> list[dt.date]:
    """The days the consolidate flow runs: the first working day after the inputs of each
    consolidation fall due; a plan without a declared consolidation runs the day after each
    deadline of its reporting calendar."""
    runs = consolidation_runs(plan, until)
    if runs:
        return sorted({r.run_on for r in runs})
    days = {due.effective + dt.timedelta(days=1)
            for entry in plan.reporting_calendar
            for due in occurrences(plan, entry.cadence, until)}
    return sorted(days)


def consolidation_rrule(plan: Plan, until: dt.date | None = None) -> str | None:
    days = consolidation_dates(plan, until)
    if not days:
        return None
    stamps = [f"{d:%Y%m%d}T{CONSOLIDATE_HOUR:02d}0000" for d in days]
    return f"DTSTART:{stamps[0]}\nRDATE:{','.join(stamps)}"


# what the Prefect UI shows of a schedule is a cron string or, for an RRule of dates, "+1":
# each deployment says in words (Vietnamese, the coordinators' language) when it runs
TZ_WORDS = "giờ Việt Nam (Asia/Ho_Chi_Minh)"


def consolidation_words(days: Sequence[dt.date], shown: int = 6) -> str:
    """'Lúc 09:00 …, ngày làm việc đầu tiên sau hạn báo cáo … (8 ngày): 16/03/2026, …'."""
    if not days:
        return (f"Lúc {CONSOLIDATE_HOUR:02d}:00 ngày 16 các tháng 3, 6, 9, 12 ({TZ_WORDS}).")
    listed = ", ".join(f"{d:%d/%m/%Y}" for d in days[:shown])
    more = f" và {len(days) - shown} ngày khác" if len(days) > shown else ""
    return (f"Lúc {CONSOLIDATE_HOUR:02d}:00 {TZ_WORDS}, ngày làm việc đầu tiên sau hạn báo cáo "
            "của các đơn vị "
            f"({len(days)} ngày): {listed}{more}.")


def _when(cron: str, default: str, words: str) -> str:
    """The schedule in words, or the cron itself when the settings changed it."""
    return words if cron == default else f"Lịch: cron {cron} ({TZ_WORDS})."


def plan_deployments(
    plan: Plan, plan_file: Path, today: dt.date | None = None
) -> list[Planned]:
    from phancong.bootstrap import wired

    settings = wired().settings
    tags = ("phancong", f"plan:{plan.id}")
    until, ahead = None, "đến hết quý sau"
    if plan.plan.period.open_ended:  # until revoked: the schedule lists the next years' dates
        day = today or dt.datetime.now(ZoneInfo(TZ)).date()
        until = horizon_through(day, SCHEDULE_MONTHS)
        ahead = (f"trong {settings.materialize_horizon_months} tháng tới (kế hoạch không có ngày"
                 " kết thúc: thực hiện đến khi có văn bản thay thế)")
    out = [
        Planned("materialize", plan.id, {"plan": str(plan_file)}, (*tags, "flow:materialize"),
                cron=settings.materialize_cron,
                description=_when(settings.materialize_cron, "0 1 * * *",
                                  f"Chạy hằng đêm lúc 01:00 {TZ_WORDS}.")
                + f" Cập nhật sổ theo dõi: tạo các nhiệm vụ của kế hoạch {ahead}."),
        Planned("sweep", plan.id, {"plan": plan.id}, (*tags, "flow:sweep"),
                cron=settings.sweep_cron,
                description=_when(settings.sweep_cron, "0 8 * * *",
                                  f"Chạy hằng ngày lúc 08:00 {TZ_WORDS}.")
                + " Nhắc trước hạn, thông báo quá hạn, báo cáo Thường trực và Ban Chỉ đạo; xếp "
                "email vào hàng đợi."),
        Planned("digest", plan.id, {"plan": plan.id}, (*tags, "flow:digest"),
                cron=settings.digest_cron,
                description=_when(settings.digest_cron, "0 7 * * 1",
                                  f"Chạy sáng thứ Hai hằng tuần lúc 07:00 {TZ_WORDS}.")
                + " Bản tổng hợp tình hình thực hiện gửi Thường trực Ban Chỉ đạo."),
    ]
    rrule = consolidation_rrule(plan, until)
    out.append(Planned(
        "consolidate", plan.id, {"plan": plan.id}, (*tags, "flow:consolidate"),
        rrule=rrule, cron=None if rrule else "0 9 16 3,6,9,12 *",
        description=consolidation_words(consolidation_dates(plan, until) if rrule else [])
        + " Lập báo cáo tổng hợp của Thường trực (HTML, DOCX) sau khi các đơn vị đến hạn báo cáo,"
        " trước hạn của chính báo cáo tổng hợp."))
    return out


def planned(plan_files: Sequence[Path]) -> list[Planned]:
    """Every deployment for these plan files, and the one shared delivery deployment."""
    out: list[Planned] = []
    for path in plan_files:
        plan_file = Path(path).resolve()
        out.extend(plan_deployments(load(plan_file), plan_file))

    out.append(Planned("deliver", DELIVER_NAME, {"plan": "all"}, ("phancong", "flow:deliver"),
                       cron=wired().settings.deliver_cron,
                       description=_when(wired().settings.deliver_cron, "*/5 * * * *",
                                         "Chạy 5 phút một lần, suốt ngày đêm.")
                       + " Gửi các email đang chờ trong hàng đợi (outbox) qua máy chủ SMTP."))
    return out


def to_runner(item: Planned) -> RunnerDeployment:
    from prefect.schedules import Cron, RRule
    from prefect.types.entrypoint import EntrypointType

    from flows import ALL

    schedule = (Cron(item.cron, timezone=TZ) if item.cron
                else RRule(item.rrule or "", timezone=TZ))
    deployment = ALL[item.flow].to_deployment(
        name=item.name, schedules=[schedule], parameters=item.parameters,
        tags=list(item.tags), description=item.description,
        entrypoint_type=EntrypointType.MODULE_PATH, _sync=True)  # type: ignore[call-arg]
    return cast("RunnerDeployment", deployment)


def runner_deployments(plan_files: Sequence[Path]) -> list[RunnerDeployment]:
    return [to_runner(item) for item in planned(plan_files)]


def serve(plan_files: Sequence[Path], limit: int | None = 4) -> None:
    """Register the deployments and run their scheduled flow runs until interrupted."""
    from prefect import serve as prefect_serve

    prefect_serve(*runner_deployments(plan_files), pause_on_shutdown=False, limit=limit)
