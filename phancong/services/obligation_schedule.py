"""Materialisation's second half: each duty's obligations created, rescheduled or cancelled
as the plan's schedule (:func:`phancong.domain.schedule.duty_schedule`, the pure half) and its
amendments say, and the dependency edges between them linked — set-based, in batches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, func, insert, select, update
from sqlalchemy.orm import Session, aliased

from phancong.adapters.orm import (
    DependencyRow,
    ObligationRow,
)
from phancong.domain.cadence import DependencyRule
from phancong.domain.calendar import (
    AD_HOC_PREFIX,
    EVENT_PREFIX,
    is_event_label,
)
from phancong.domain.plan import Duty, Plan, Role
from phancong.domain.schedule import duty_schedule
from phancong.domain.status import ACTIVE_STATES, State
from phancong.domain.units import Assignment, Directory
from phancong.services import audit

if TYPE_CHECKING:
    from phancong.services.materialize import MaterializeReport

BATCH = 5000


def revoking_text(plan: Plan) -> str | None:
    """The amendment that ends the plan (in force the day after its end), in words."""
    end = plan.plan.period.end
    if end is None:
        return None
    for amendment in plan.plan.amendments:
        if amendment.effective == end + dt.timedelta(days=1):
            parts = [f"văn bản {amendment.number}" if amendment.number else "văn bản sửa đổi"]
            if amendment.issued:
                parts.append(f"ngày {amendment.issued:%d/%m/%Y}")
            if amendment.note:
                parts.append(amendment.note)
            return ", ".join(parts)
    return None


def calendar_period(label: Any) -> Any:
    """SQL: the obligation belongs to a calendar period, not to an event a unit reported or a
    report the Standing Office asked for — those are never cancelled, rescheduled or linked by
    materialisation (phancong.services.events opens them; a plan change leaves them be)."""
    return and_(~label.like(f"{EVENT_PREFIX}-%"), ~label.like(f"{AD_HOC_PREFIX}-%"))


def cancel_open(
    session: Session,
    plan_id: str,
    where: Any,
    now: dt.datetime,
    actor: str,
    reason: str,
    report: MaterializeReport,
) -> None:
    """Cancel still-open obligations matching ``where``; submitted or accepted ones are kept."""
    rows = session.execute(
        select(ObligationRow.id, ObligationRow.state).where(
            where, ObligationRow.state.in_([s.value for s in ACTIVE_STATES])
        )
    ).all()
    if not rows:
        return
    ids = [r.id for r in rows]
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        session.execute(
            update(ObligationRow)
            .where(ObligationRow.id.in_(chunk))
            .values(
                state=State.CANCELLED.value,
                closed_reason=reason,
                updated_at=now,
                revision=ObligationRow.revision + 1,
            )
            .execution_options(synchronize_session=False)
        )
    audit.record_many(
        session,
        [
            audit.entry(
                at=now,
                actor=actor,
                action="obligation.cancelled",
                plan_id=plan_id,
                entity="obligation",
                entity_id=r.id,
                before={"state": r.state},
                after={"state": State.CANCELLED.value},
                reason=reason,
            )
            for r in rows
        ],
    )
    report.obligations_cancelled += len(rows)


@dataclass
class Owing:
    """Who owes a duty's obligation due on a day (validity and successors)."""

    directory: Directory
    unit_ids: dict[str, int]
    assignments: list[Assignment]


def materialize_duty(
    session: Session,
    plan: Plan,
    duty: Duty,
    duty_pk: int,
    owing: Owing,
    through: dt.date,
    now: dt.datetime,
    actor: str,
    report: MaterializeReport,
    frozen: dt.date | None = None,
) -> None:
    end = plan.plan.period.end
    wanted: dict[tuple[int, str], dict[str, Any]] = {}
    schedule = duty_schedule(plan, duty, owing.directory, owing.assignments, through)
    for (code, label), due in schedule.items():
        unit_pk = owing.unit_ids[code]
        wanted[(unit_pk, label)] = {
            "plan_id": plan.id,
            "duty_id": duty_pk,
            "unit_id": unit_pk,
            "role": due.role.value,
            "period_label": label,
            "period_start": due.due.period.start,
            "period_end": due.due.period.end,
            "nominal_deadline": due.due.nominal,
            "original_deadline": due.deadline,
            "effective_deadline": due.deadline,
            "alert_on": due.remind_on or due.overdue_on,
            "remind_on": due.remind_on,
            "overdue_on": due.overdue_on,
            "standing_office_on": due.standing_office_on,
            "steering_committee_on": due.steering_committee_on,
            "state": State.OPEN.value,
            "created_at": now,
            "updated_at": now,
            "revision": 1,
        }
    existing = session.execute(
        select(
            ObligationRow.id,
            ObligationRow.unit_id,
            ObligationRow.period_label,
            ObligationRow.state,
            ObligationRow.role,
            ObligationRow.original_deadline,
            ObligationRow.effective_deadline,
            ObligationRow.period_start,
            ObligationRow.period_end,
        ).where(ObligationRow.duty_id == duty_pk)
    ).all()
    seen: set[tuple[int, str]] = set()
    stale: list[int] = []
    ended: list[int] = []
    audits: list[dict[str, Any]] = []
    for row in existing:
        key = (row.unit_id, row.period_label)
        seen.add(key)
        if is_event_label(row.period_label):
            continue  # opened by an event: no plan change cancels or moves it
        if frozen is not None and row.period_end < frozen:
            continue  # ended before the amendment: kept as it was
        target = wanted.get(key)
        if target is None:
            if end is not None and row.period_start > end:
                ended.append(row.id)  # the plan was revoked before this period
            elif row.period_start <= through:
                stale.append(row.id)
            continue
        if row.state != State.OPEN.value or row.effective_deadline != row.original_deadline:
            continue  # submitted, closed or extended: never altered by a plan change
        if (row.original_deadline, row.role) != (target["original_deadline"], target["role"]):
            fields = {
                k: target[k]
                for k in (
                    "role",
                    "nominal_deadline",
                    "original_deadline",
                    "effective_deadline",
                    "alert_on",
                    "remind_on",
                    "overdue_on",
                    "standing_office_on",
                    "steering_committee_on",
                )
            }
            session.execute(
                update(ObligationRow)
                .where(ObligationRow.id == row.id)
                .values(**fields, updated_at=now, revision=ObligationRow.revision + 1)
                .execution_options(synchronize_session=False)
            )
            audits.append(
                audit.entry(
                    at=now,
                    actor=actor,
                    action="obligation.rescheduled",
                    plan_id=plan.id,
                    entity="obligation",
                    entity_id=row.id,
                    before={"role": row.role, "deadline": row.original_deadline.isoformat()},
                    after={
                        "role": target["role"],
                        "deadline": target["original_deadline"].isoformat(),
                    },
                    reason="plan changed",
                )
            )
            report.obligations_rescheduled += 1
    if stale:
        cancel_open(
            session,
            plan.id,
            ObligationRow.id.in_(stale),
            now,
            actor,
            f"đơn vị hoặc kỳ không còn thuộc nhiệm vụ {duty.id} theo kế hoạch mới",
            report,
        )
    if ended:
        assert end is not None
        by = revoking_text(plan)
        cancel_open(
            session,
            plan.id,
            ObligationRow.id.in_(ended),
            now,
            actor,
            f"kế hoạch kết thúc ngày {end:%d/%m/%Y}{f' ({by})' if by else ''}: kỳ này bắt đầu"
            " sau ngày kết thúc",
            report,
        )
    fresh = [
        values
        for key, values in wanted.items()
        if key not in seen and (frozen is None or values["period_end"] >= frozen)
    ]
    for start in range(0, len(fresh), BATCH):
        session.execute(insert(ObligationRow), fresh[start : start + BATCH])
    if fresh:
        periods = sorted({v["period_label"] for v in fresh})
        audits.append(
            audit.entry(
                at=now,
                actor=actor,
                action="obligations.created",
                plan_id=plan.id,
                entity="duty",
                entity_id=duty.id,
                after={"count": len(fresh), "periods": periods},
            )
        )
        report.obligations_created += len(fresh)
    if audits:
        audit.record_many(session, audits)


def link_dependencies(session: Session, plan: Plan, duty_ids: dict[str, int]) -> int:
    """Each obligation waits on the obligations of the duties it depends on, in the periods its
    duty's ``depends_on_period`` names (:func:`phancong.domain.calendar.linked_periods`)."""
    before = session.scalar(select(func.count()).select_from(DependencyRow)) or 0
    down, up, other = aliased(ObligationRow), aliased(ObligationRow), aliased(ObligationRow)
    for duty in plan.duties:
        rule = duty.depends_on_period
        for dependency in duty.depends_on:
            if rule is DependencyRule.SAME_PERIOD:
                periods = up.period_label == down.period_label
            elif rule is DependencyRule.WITHIN:
                periods = and_(
                    up.period_start >= down.period_start, up.period_end <= down.period_end
                )
            else:  # the latest upstream period (of that unit) ending by the period's end
                latest = (
                    select(func.max(other.period_end))
                    .where(
                        other.duty_id == up.duty_id,
                        other.unit_id == up.unit_id,
                        other.period_end <= down.period_end,
                    )
                    .scalar_subquery()
                )
                periods = and_(up.period_end <= down.period_end, up.period_end == latest)
            query = (
                select(down.id, up.id)
                .join(
                    up,
                    and_(
                        up.duty_id == duty_ids[dependency],
                        periods,
                        up.role != Role.SUPPORT.value,
                    ),
                )
                .where(down.duty_id == duty_ids[duty.id], calendar_period(down.period_label))
                .where(
                    ~exists().where(
                        DependencyRow.obligation_id == down.id, DependencyRow.upstream_id == up.id
                    )
                )
            )
            session.execute(
                insert(DependencyRow).from_select(["obligation_id", "upstream_id"], query)
            )
    after = session.scalar(select(func.count()).select_from(DependencyRow)) or 0
    return after - before
