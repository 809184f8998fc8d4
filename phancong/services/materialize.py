"""Materialise a declared plan into the ledger: units, duties, obligations, dependency edges.

Idempotent: a second run with the same plan changes nothing. A changed plan file becomes a new
plan version; new duties get obligations, removed duties' open obligations are cancelled with
an audit entry, and nothing submitted is touched.

Units owe only within their validity (``valid_from``/``valid_to``, met with their group's):
an obligation is owed by whoever exists on its deadline — the unit itself, or after its last
day its ``successor``. A plan with ``amendments`` keeps the ledger as it was for every period
that ended before the latest amendment's effective date: re-materialising it creates, cancels
and reschedules nothing there (a ledger that never held the plan gets every period).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, func, insert, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from phancong.adapters.db import analyze
from phancong.adapters.orm import (
    DependencyRow,
    DutyRow,
    ObligationRow,
    PlanRow,
    PlanVersionRow,
    UnitRow,
)
from phancong.domain.calendar import (
    AD_HOC_PREFIX,
    EVENT_PREFIX,
    Due,
    duty_occurrences,
    is_event_label,
    shift_days,
)
from phancong.domain.ladder import ladder_dates
from phancong.domain.plan import DayCount, DependencyRule, Duty, Plan, Role
from phancong.domain.status import ACTIVE_STATES, State
from phancong.domain.units import Assignment, Directory, on_placeholder
from phancong.services import audit

Progress = Callable[[int, int, str], None]
BATCH = 5000
STATISTICS_AFTER = 10_000  # obligations created in one run that warrant fresh planner statistics


@dataclass
class MaterializeReport:
    plan_id: str
    version: int
    new_version: bool = False
    units_added: int = 0
    duties_added: list[str] = field(default_factory=list)
    duties_changed: list[str] = field(default_factory=list)
    duties_removed: list[str] = field(default_factory=list)
    obligations_created: int = 0
    obligations_cancelled: int = 0
    obligations_rescheduled: int = 0
    dependencies_added: int = 0

    @property
    def changed_anything(self) -> bool:
        return bool(
            self.new_version
            or self.units_added
            or self.duties_added
            or self.duties_changed
            or self.duties_removed
            or self.obligations_created
            or self.obligations_cancelled
            or self.obligations_rescheduled
            or self.dependencies_added
        )


def checksum(plan: Plan) -> str:
    document = json.dumps(plan.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(document.encode()).hexdigest()


def _duty_fields(duty: Duty, plan: Plan) -> dict[str, Any]:
    return {
        "title": duty.title,
        "text": duty.text,
        "source": duty.source,
        "cadence": duty.cadence.kind.value,
        "indicators": [i.model_dump(mode="json") for i in duty.indicators],
        "evidence": duty.evidence,
        "depends_on": list(duty.depends_on),
        "ladder": plan.ladder_for(duty).model_dump(mode="json"),
    }


def calendar_period(label: Any) -> Any:
    """SQL: the obligation belongs to a calendar period, not to an event a unit reported or a
    report the Standing Office asked for — those are never cancelled, rescheduled or linked by
    materialisation (phancong.services.events opens them; a plan change leaves them be)."""
    return and_(~label.like(f"{EVENT_PREFIX}-%"), ~label.like(f"{AD_HOC_PREFIX}-%"))


def _sync_plan(
    session: Session, plan: Plan, source: str, now: dt.datetime, report: MaterializeReport
) -> PlanRow:
    header = plan.plan
    row = session.get(PlanRow, plan.id)
    had_end: dt.date | object | None = _NEW if row is None else row.period_end
    if row is None:
        row = PlanRow(id=plan.id, current_version=0)
        session.add(row)
    row.title, row.number, row.issuer = header.title, header.number, header.issuer
    row.timezone, row.period_start, row.period_end = (
        header.timezone,
        header.period.start,
        header.period.end,
    )
    row.standing_office, row.steering_committee = header.standing_office, header.steering_committee
    if had_end is not _NEW and had_end != header.period.end:
        audit.record(
            session,
            at=now,
            actor="system:materialize",
            action="plan.period_end",
            plan_id=plan.id,
            entity="plan",
            entity_id=plan.id,
            before={"period_end": _iso(had_end)},
            after={"period_end": _iso(header.period.end)},
            reason=_end_reason(plan, had_end),
        )
    digest = checksum(plan)
    latest = session.scalars(
        select(PlanVersionRow)
        .where(PlanVersionRow.plan_id == plan.id)
        .order_by(PlanVersionRow.version.desc())
        .limit(1)
    ).first()
    if latest is None or latest.checksum != digest:
        row.current_version = (latest.version if latest else 0) + 1
        session.add(
            PlanVersionRow(
                plan_id=plan.id,
                version=row.current_version,
                checksum=digest,
                source_path=source,
                loaded_at=now,
                document=plan.model_dump(mode="json"),
            )
        )
        report.new_version = True
        audit.record(
            session,
            at=now,
            actor="system:materialize",
            action="plan.version",
            plan_id=plan.id,
            entity="plan",
            entity_id=plan.id,
            after={"version": row.current_version, "checksum": digest, "source": source},
        )
    report.version = row.current_version
    session.flush()
    return row


_NEW = object()  # a plan the ledger did not hold yet


def _iso(day: object) -> str | None:
    return day.isoformat() if isinstance(day, dt.date) else None


def _end_reason(plan: Plan, had_end: object) -> str:
    """Why the plan's end changed, for the audit: the revoking text when an amendment of the
    plan takes effect the day after its new end."""
    end = plan.plan.period.end
    if end is None:
        return f"kế hoạch không còn ngày kết thúc (trước đây: {_iso(had_end)})"
    words = f"kế hoạch kết thúc ngày {end:%d/%m/%Y}"
    if had_end is None:
        words += "; các kỳ bắt đầu sau ngày đó bị hủy, các kỳ trước được giữ nguyên"
    by = _revoking(plan)
    return f"{words} ({by})" if by else words


def _revoking(plan: Plan) -> str | None:
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


def _sync_units(
    session: Session, plan: Plan, directory: Directory, report: MaterializeReport
) -> dict[str, int]:
    existing = {
        u.code: u for u in session.scalars(select(UnitRow).where(UnitRow.plan_id == plan.id))
    }
    wanted = directory.all_units()
    fresh = []
    for unit in wanted:
        values = {
            "name": unit.name,
            "short": unit.short,
            "kind": unit.kind,
            "emails": list(unit.emails),
            "parent_code": unit.parent,
            "language": unit.language,
            "active": True,
        }
        row = existing.get(unit.id)
        if row is None:
            fresh.append({"plan_id": plan.id, "code": unit.id, **values})
        else:
            # real addresses the Standing Office set (phancong units import-contacts, the
            # portal) are not put back to the plan file's placeholders
            if on_placeholder(unit.emails) and not on_placeholder(row.emails):
                values["emails"] = list(row.emails)
            for key, value in values.items():
                if getattr(row, key) != value:
                    setattr(row, key, value)
    if fresh:
        session.execute(insert(UnitRow), fresh)
        report.units_added = len(fresh)
    codes = {u.id for u in wanted}
    for code, row in existing.items():
        if code not in codes and row.active:
            row.active = False
    session.flush()
    return dict(
        session.execute(select(UnitRow.code, UnitRow.id).where(UnitRow.plan_id == plan.id))
        .tuples()
        .all()
    )


def _sync_duties(
    session: Session,
    plan: Plan,
    version: int,
    now: dt.datetime,
    actor: str,
    report: MaterializeReport,
    frozen: dt.date | None = None,
) -> dict[str, int]:
    existing = {
        d.code: d for d in session.scalars(select(DutyRow).where(DutyRow.plan_id == plan.id))
    }
    for duty in plan.duties:
        values = _duty_fields(duty, plan)
        row = existing.get(duty.id)
        if row is None:
            session.add(
                DutyRow(
                    plan_id=plan.id, code=duty.id, added_in_version=version, active=True, **values
                )
            )
            report.duties_added.append(duty.id)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="duty.added",
                plan_id=plan.id,
                entity="duty",
                entity_id=duty.id,
                after=values,
            )
            continue
        before = {k: getattr(row, k) for k in values}
        if before != values or not row.active:
            for key, value in values.items():
                setattr(row, key, value)
            row.active, row.removed_in_version = True, None
            report.duties_changed.append(duty.id)
            changed = {k: v for k, v in values.items() if before.get(k) != v}
            audit.record(
                session,
                at=now,
                actor=actor,
                action="duty.changed",
                plan_id=plan.id,
                entity="duty",
                entity_id=duty.id,
                before={k: before[k] for k in changed},
                after=changed,
                reason=f"plan version {version}",
            )
    declared = {d.id for d in plan.duties}
    for code, row in existing.items():
        if code not in declared and row.active:
            row.active, row.removed_in_version = False, version
            report.duties_removed.append(code)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="duty.removed",
                plan_id=plan.id,
                entity="duty",
                entity_id=code,
                before={"title": row.title},
                reason=f"plan version {version}",
            )
            _cancel(
                session,
                plan.id,
                and_(
                    ObligationRow.duty_id == row.id,
                    calendar_period(ObligationRow.period_label),
                    *([ObligationRow.period_end >= frozen] if frozen is not None else []),
                ),
                now,
                actor,
                f"nhiệm vụ {code} đã bị bỏ khỏi kế hoạch (phiên bản {version})",
                report,
            )
    session.flush()
    return dict(
        session.execute(select(DutyRow.code, DutyRow.id).where(DutyRow.plan_id == plan.id))
        .tuples()
        .all()
    )


def _cancel(
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


def _deadline_for(due: Due, role: Role, plan: Plan) -> dt.date:
    if role is Role.SUPPORT and plan.plan.support_lead_days:
        return max(
            due.period.start,
            shift_days(due.effective, -plan.plan.support_lead_days, DayCount.WORKING),
        )
    return due.effective


def materialize(
    session: Session,
    plan: Plan,
    directory: Directory,
    *,
    through: dt.date,
    now: dt.datetime,
    source: str = "",
    actor: str = "system:materialize",
    progress: Progress | None = None,
) -> MaterializeReport:
    """Bring the ledger in line with ``plan`` for every period starting on or before ``through``.

    A plan without an end (until revoked) is enumerated up to ``through`` only: call it with a
    rolling ``through`` (:func:`phancong.domain.horizon.horizon_through`) and each run adds the
    periods that came within reach, leaving those already held as they are. When the plan is
    given an end later, open obligations of periods starting after it are cancelled, whatever
    ``through`` is; everything before is kept."""
    report = MaterializeReport(plan_id=plan.id, version=0)
    held = session.get(PlanRow, plan.id)
    frozen = (
        plan.plan.amended_from
        if held is not None and held.materialized_through is not None
        else None
    )
    plan_row = _sync_plan(session, plan, source, now, report)
    unit_ids = _sync_units(session, plan, directory, report)
    duty_ids = _sync_duties(session, plan, plan_row.current_version, now, actor, report, frozen)

    by_duty: dict[str, list[Assignment]] = defaultdict(list)
    for assignment in directory.assignments():
        by_duty[assignment.duty_id].append(assignment)

    for index, duty in enumerate(plan.duties, start=1):
        if progress:
            progress(index, len(plan.duties), duty.id)
        owing = _Owing(directory, unit_ids, by_duty[duty.id])
        _materialize_duty(
            session, plan, duty, duty_ids[duty.id], owing, through, now, actor, report, frozen
        )
    report.dependencies_added = _link_dependencies(session, plan, duty_ids)
    if plan_row.materialized_through is None or plan_row.materialized_through < through:
        plan_row.materialized_through = through
    session.flush()
    return report


@dataclass
class _Owing:
    """Who owes a duty's obligation due on a day (validity and successors)."""

    directory: Directory
    unit_ids: dict[str, int]
    assignments: list[Assignment]

    def on(self, assignment: Assignment, day: dt.date) -> list[int]:
        return [self.unit_ids[code] for code in self.directory.owing(assignment, day)]


def _materialize_duty(
    session: Session,
    plan: Plan,
    duty: Duty,
    duty_pk: int,
    owing: _Owing,
    through: dt.date,
    now: dt.datetime,
    actor: str,
    report: MaterializeReport,
    frozen: dt.date | None = None,
) -> None:
    dues = [d for d in duty_occurrences(plan, duty, until=through) if d.period.start <= through]
    end = plan.plan.period.end
    ladder_json = plan.ladder_for(duty).model_dump_json()
    wanted: dict[tuple[int, str], dict[str, Any]] = {}
    for assignment in owing.assignments:
        role = assignment.role
        for due in dues:
            deadline = _deadline_for(due, role, plan)
            owers = [
                pk for pk in owing.on(assignment, deadline)
                if (pk, due.period.label) not in wanted
            ]
            if not owers:
                continue
            remind, overdue, standing, steering = ladder_dates(deadline, ladder_json, role.value)
            for unit_pk in owers:
                wanted[(unit_pk, due.period.label)] = {
                    "plan_id": plan.id,
                    "duty_id": duty_pk,
                    "unit_id": unit_pk,
                    "role": role.value,
                    "period_label": due.period.label,
                    "period_start": due.period.start,
                    "period_end": due.period.end,
                    "nominal_deadline": due.nominal,
                    "original_deadline": deadline,
                    "effective_deadline": deadline,
                    "alert_on": remind or overdue,
                    "remind_on": remind,
                    "overdue_on": overdue,
                    "standing_office_on": standing,
                    "steering_committee_on": steering,
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
        _cancel(
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
        by = _revoking(plan)
        _cancel(
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


def _link_dependencies(session: Session, plan: Plan, duty_ids: dict[str, int]) -> int:
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


def obligation_count(session: Session, plan_id: str) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(ObligationRow).where(ObligationRow.plan_id == plan_id)
        )
        or 0
    )


def refresh_statistics(factory: sessionmaker[Session], report: MaterializeReport) -> bool:
    """After a committed materialisation that created many obligations, refresh the
    planner's statistics (PostgreSQL), so that the next sweep is not planned for the ledger
    as it was before. Returns whether they were refreshed."""
    if report.obligations_created < STATISTICS_AFTER:
        return False
    return analyze(factory, ("obligations", "obligation_dependencies", "units", "duties"))
