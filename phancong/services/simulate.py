"""Replay a plan day by day on a virtual clock: seeded agency behaviour, the real sweep, real mail.

Each agency gets a seeded reliability; each obligation a drawn submission day (early, late or
never). Every simulated day runs, in order: the sweep at 08:00 (the real service), delivery of
the queued mail (to a folder), the day's submissions at 10:00 and the Standing Office's review
of yesterday's submissions at 15:00 — all through the same service functions the portal uses.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import transaction
from phancong.adapters.orm import (
    DutyRow,
    EscalationRow,
    ObligationRow,
    OutboxRow,
    PlanRow,
    UnitRow,
)
from phancong.domain.calendar import is_working_day, next_working_day
from phancong.domain.status import State
from phancong.services import handlers, ledger, submissions
from phancong.services.attachments import Upload, check
from phancong.services.notices import Renderer
from phancong.services.sweep import sweep

# the report file a simulated unit attaches where its duty requires one
SIMULATED_PDF = b"%PDF-1.4\n% bao cao mo phong\n%%EOF\n"

Deliver = Callable[[dt.datetime], int]


@dataclass(frozen=True)
class Behaviour:
    """How one agency meets its deadlines."""

    on_time: float  # probability of submitting by the deadline
    mean_delay: float  # mean working days late when late
    never: float  # probability of never submitting


@dataclass
class SimulationReport:
    plan_id: str
    start: dt.date
    end: dt.date
    days: int = 0
    submissions: int = 0
    accepted: int = 0
    emails: int = 0
    delivered: int = 0
    steps_by_week: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    emails_by_week: Counter[str] = field(default_factory=Counter)
    steps_by_unit: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


def behaviours(unit_codes: list[str], seed: int) -> dict[str, Behaviour]:
    rng = random.Random(seed)
    out = {}
    for code in sorted(unit_codes):
        reliability = rng.betavariate(6, 1.5)  # most agencies are mostly on time
        out[code] = Behaviour(
            on_time=reliability, mean_delay=rng.uniform(2, 12), never=rng.uniform(0, 0.04)
        )
    return out


def _submission_day(
    rng: random.Random, deadline: dt.date, opens: dt.date, b: Behaviour
) -> dt.date | None:
    draw = rng.random()
    if draw < b.never:
        return None
    if draw < b.never + (1 - b.never) * b.on_time:
        early = rng.randint(0, 10)
        day = max(opens, deadline - dt.timedelta(days=early))
    else:
        day = deadline + dt.timedelta(days=max(1, round(rng.expovariate(1 / b.mean_delay) * 7 / 5)))
    return next_working_day(day)


def simulate(
    factory: sessionmaker[Session],
    plan_id: str,
    start: dt.date,
    end: dt.date,
    *,
    renderer: Renderer | None = None,
    deliver: Deliver | None = None,
    seed: int = 2026,
    portal_url: str = "",
    sweep_every: int = 1,
    progress: Callable[[int, int, str], None] | None = None,
) -> SimulationReport:
    """Replay ``start``…``end`` (inclusive) on a materialised ledger.

    The sweep runs every ``sweep_every`` days from ``start`` (1: daily, as scheduled; more
    replays a scheduler that was down for days at a time)."""
    with factory() as session:
        plan = session.get(PlanRow, plan_id)
        if plan is None:
            raise ValueError(f"plan {plan_id} is not in the ledger: materialise it first")
        tz = ZoneInfo(plan.timezone)
        rows = session.execute(
            select(
                ObligationRow.id,
                UnitRow.code,
                ObligationRow.effective_deadline,
                ObligationRow.period_start,
                DutyRow.evidence,
            )
            .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
            .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
            .where(
                ObligationRow.plan_id == plan_id,
                ObligationRow.state == State.OPEN,
                ObligationRow.period_start <= end,
            )
            .order_by(ObligationRow.id)
        ).all()
    rng = random.Random(seed)
    profile = behaviours(sorted({r[1] for r in rows}), seed)
    plans: dict[dt.date, list[int]] = defaultdict(list)
    needs_file = {r[0] for r in rows if r[4] == "required"}
    report_file = check(Upload("bao-cao-mo-phong.pdf", SIMULATED_PDF))
    for oid, unit, deadline, opens, _evidence in rows:
        day = _submission_day(rng, deadline, max(opens, start), profile[unit])
        if day is not None and start <= day <= end:
            plans[day].append(oid)

    report = SimulationReport(plan_id, start, end)
    to_review: list[int] = []
    total = (end - start).days + 1
    day = start
    while day <= end:
        morning = dt.datetime.combine(day, dt.time(8), tz).astimezone(dt.UTC)
        week = f"{day.isocalendar().year}-W{day.isocalendar().week:02d}"
        if (day - start).days % max(sweep_every, 1) == 0:
            with transaction(factory) as session:
                swept = sweep(session, plan_id, morning, renderer=renderer, portal_url=portal_url)
            report.emails += swept.emails
            if deliver is not None:
                report.delivered += deliver(morning + dt.timedelta(minutes=5))
            for level, count in swept.steps.items():
                if count:
                    report.steps_by_week[week][level] += count
            report.emails_by_week[week] += swept.emails
        if is_working_day(day):
            submit_at = dt.datetime.combine(day, dt.time(10), tz).astimezone(dt.UTC)
            review_at = dt.datetime.combine(day, dt.time(15), tz).astimezone(dt.UTC)
            reviewing, to_review = to_review, []
            with transaction(factory) as session:
                for oid in reviewing:
                    # audit only: the simulated units are not sent acceptance notices
                    handlers.record(session, [ledger.accept(
                        session, oid, actor="simulator:standing-office", at=review_at)])
                    report.accepted += 1
                for oid in plans.pop(day, []):
                    submissions.submit(
                        session,
                        oid,
                        actor="simulator:agency",
                        at=submit_at,
                        note="Báo cáo kết quả thực hiện (mô phỏng)",
                        files=[report_file] if oid in needs_file else [],
                    )
                    to_review.append(oid)
                    report.submissions += 1
        else:  # submissions drawn for a non-working day slip to the next one
            plans[next_working_day(day)].extend(plans.pop(day, []))
        report.days += 1
        if progress:
            progress(report.days, total, day.isoformat())
        day += dt.timedelta(days=1)

    with factory() as session:
        for unit, level in session.execute(
            select(UnitRow.name, EscalationRow.level)
            .join(ObligationRow, ObligationRow.id == EscalationRow.obligation_id)
            .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
            .where(ObligationRow.plan_id == plan_id)
        ):
            report.steps_by_unit[unit][level] += 1
    return report


def outbox_counts(session: Session, plan_id: str) -> Counter[str]:
    return Counter(
        s for (s,) in session.execute(select(OutboxRow.status).where(OutboxRow.plan_id == plan_id))
    )
