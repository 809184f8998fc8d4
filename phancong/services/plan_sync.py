"""Materialisation's first half: the plan, its units and its duties brought into the ledger
(a changed plan file becomes a new plan version; a removed duty's open obligations are
cancelled; an end given to an open-ended plan cancels what falls after it), each change
audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, insert, select
from sqlalchemy.orm import Session

from phancong.adapters.orm import (
    DutyRow,
    ObligationRow,
    PlanRow,
    PlanVersionRow,
    UnitRow,
)
from phancong.domain.plan import Duty, Plan
from phancong.domain.units import Directory, on_placeholder
from phancong.services import audit

if TYPE_CHECKING:
    from phancong.services.materialize import MaterializeReport
from phancong.services.obligation_schedule import calendar_period, cancel_open, revoking_text


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


def sync_plan(
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
    by = revoking_text(plan)
    return f"{words} ({by})" if by else words


def sync_units(
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


def sync_duties(
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
            cancel_open(
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


def checksum(plan: Plan) -> str:
    document = json.dumps(plan.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(document.encode()).hexdigest()
