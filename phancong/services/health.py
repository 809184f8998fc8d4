"""What the ledger alone says about the service's health: when each plan was last swept and
whether queued mail is waiting too long. No Prefect, no SMTP: cheap enough for a portal page.

A sweep records itself in the audit log (``sweep.completed``, entity ``plan``) in the sweep's own
transaction, so "the last successful sweep" is known even when the Prefect server is gone. For a
ledger swept before that record existed, the last escalation step stands in for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from phancong.adapters.orm import (
    AuditRow,
    EscalationRow,
    ObligationRow,
    OutboxItemRow,
    OutboxRow,
    PlanRow,
    PlanVersionRow,
)
from phancong.services import audit

SWEEP_MAX_AGE = dt.timedelta(hours=26)  # a daily sweep, with two hours of slack
QUEUED_MAX_AGE = dt.timedelta(hours=1)  # delivery runs every five minutes
SWEEP_ACTION = "sweep.completed"
OUTBOX_STATES = ("queued", "sent", "failed")


@dataclass(frozen=True)
class Problem:
    """Something a coordinator must look at, in both languages. ``code`` is for machines."""

    code: str
    vi: str
    en: str
    plan_id: str | None = None

    def text(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi


@dataclass(frozen=True)
class PlanLedgerHealth:
    plan_id: str
    title: str
    last_sweep: dt.datetime | None  # when the last sweep committed (wall clock)
    last_sweep_as_of: dt.datetime | None  # the instant that sweep was about
    last_sweep_source: str  # "ledger" (its record), "escalations" (older ledgers) or "none"
    loaded_at: dt.datetime | None  # when the plan was first loaded
    outbox: dict[str, int] = field(default_factory=dict)
    oldest_queued: dt.datetime | None = None
    # units whose mail reaches no one (no address, or placeholders such as *.example only):
    # a warning, the sweep refuses nothing
    placeholder_units: int = 0

    def problems(self, now: dt.datetime) -> list[Problem]:
        out: list[Problem] = []
        if self.last_sweep is None:
            if self.loaded_at is None or now - self.loaded_at > SWEEP_MAX_AGE:
                out.append(Problem(
                    "sweep_missing",
                    f"Kế hoạch {self.plan_id}: chưa có lần rà soát nào thành công "
                    f"(quá {hours(SWEEP_MAX_AGE)} giờ sau khi nạp kế hoạch)",
                    f"plan {self.plan_id}: no successful sweep yet "
                    f"({hours(SWEEP_MAX_AGE)} h after the plan was loaded)",
                    self.plan_id))
        elif now - self.last_sweep > SWEEP_MAX_AGE:
            age = hours(now - self.last_sweep)
            out.append(Problem(
                "sweep_stale",
                f"Kế hoạch {self.plan_id}: lần rà soát thành công gần nhất cách đây {age} giờ "
                f"(quá {hours(SWEEP_MAX_AGE)} giờ)",
                f"plan {self.plan_id}: the last successful sweep was {age} h ago "
                f"(more than {hours(SWEEP_MAX_AGE)} h)",
                self.plan_id))
        if self.oldest_queued is not None and now - self.oldest_queued > QUEUED_MAX_AGE:
            minutes = int((now - self.oldest_queued).total_seconds() // 60)
            queued = self.outbox.get("queued", 0)
            out.append(Problem(
                "mail_stale",
                f"Kế hoạch {self.plan_id}: {queued} thư đang chờ gửi, thư cũ nhất đã chờ "
                f"{minutes} phút (quá {minutes_of(QUEUED_MAX_AGE)} phút)",
                f"plan {self.plan_id}: {queued} emails queued, the oldest for {minutes} min "
                f"(more than {minutes_of(QUEUED_MAX_AGE)} min)",
                self.plan_id))
        return out


def hours(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def minutes_of(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 60)


def record_sweep(session: Session, plan_id: str, *, as_of: dt.datetime, ran_at: dt.datetime,
                 sweep_key: str, steps: dict[str, int], emails: int) -> None:
    """Record a sweep in the caller's transaction: it counts as done only if that commits."""
    audit.record(session, at=ran_at, actor="system:sweep", action=SWEEP_ACTION, plan_id=plan_id,
                 entity="plan", entity_id=plan_id,
                 after={"as_of": as_of.isoformat(), "sweep_key": sweep_key,
                        "steps": dict(steps), "emails": emails})


def _last_recorded(session: Session, plan_id: str) -> tuple[dt.datetime, dt.datetime | None] | None:
    row = session.execute(
        select(AuditRow.at, AuditRow.after)
        .where(AuditRow.action == SWEEP_ACTION, AuditRow.entity == "plan",
               AuditRow.entity_id == plan_id)
        .order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(1)).first()
    if row is None:
        return None
    at, after = row
    as_of = (after or {}).get("as_of")
    return at, dt.datetime.fromisoformat(as_of) if isinstance(as_of, str) else None


def _last_step(session: Session, plan_id: str) -> dt.datetime | None:
    return session.scalar(
        select(func.max(EscalationRow.taken_at))
        .join(ObligationRow, ObligationRow.id == EscalationRow.obligation_id)
        .where(ObligationRow.plan_id == plan_id))


def plan_health(session: Session, plan_id: str) -> PlanLedgerHealth:
    """The ledger's side of one plan's health (a handful of indexed queries)."""
    plan = session.get(PlanRow, plan_id)
    if plan is None:
        raise LookupError(plan_id)
    recorded = _last_recorded(session, plan_id)
    last: dt.datetime | None
    as_of: dt.datetime | None
    if recorded is not None:
        last, as_of, source = recorded[0], recorded[1], "ledger"
    else:
        step = _last_step(session, plan_id)
        last, as_of, source = step, step, "escalations" if step else "none"
    loaded_at = session.scalar(
        select(func.min(PlanVersionRow.loaded_at)).where(PlanVersionRow.plan_id == plan_id))
    counts = dict(session.execute(
        select(OutboxRow.status, func.count()).where(OutboxRow.plan_id == plan_id)
        .group_by(OutboxRow.status)).tuples().all())
    outbox = {state: int(counts.pop(state, 0)) for state in OUTBOX_STATES}
    outbox.update({state: int(n) for state, n in counts.items()})
    oldest = session.scalar(
        select(func.min(OutboxRow.created_at))
        .where(OutboxRow.plan_id == plan_id, OutboxRow.status == "queued"))
    from phancong.services.units import units_on_placeholder_addresses

    return PlanLedgerHealth(plan_id=plan_id, title=plan.title, last_sweep=last,
                            last_sweep_as_of=as_of, last_sweep_source=source,
                            loaded_at=loaded_at, outbox=outbox, oldest_queued=oldest,
                            placeholder_units=len(units_on_placeholder_addresses(session, plan_id)))


def ledger_health(session: Session) -> list[PlanLedgerHealth]:
    """Every plan of the ledger, in id order."""
    ids = session.scalars(select(PlanRow.id).order_by(PlanRow.id)).all()
    return [plan_health(session, plan_id) for plan_id in ids]


def orphan_lines(session: Session) -> dict[str, int]:
    """Escalation steps and outbox lines whose obligation or outbox row does not exist.

    These tables have no foreign keys (migration 0008: checking each of a national sweep's
    ~70,000 new rows against its parent took a quarter of the sweep on PostgreSQL); their only
    writers insert them in the transaction that reads the parents, and nothing deletes an
    obligation or an outbox row. Any count above 0 is a defect: ``phancong status`` reports it.
    One anti-join per reference (each reads the whole line table and the parent key index)."""
    def count(table: type[EscalationRow] | type[OutboxItemRow], column, parent) -> int:  # type: ignore[no-untyped-def]
        return int(session.scalar(
            select(func.count()).select_from(table)
            .where(~exists().where(parent.id == column))) or 0)

    return {
        "escalations→obligations": count(EscalationRow, EscalationRow.obligation_id, ObligationRow),
        "outbox_items→obligations": count(OutboxItemRow, OutboxItemRow.obligation_id,
                                          ObligationRow),
        "outbox_items→outbox": count(OutboxItemRow, OutboxItemRow.outbox_id, OutboxRow),
    }


def orphan_problems(orphans: dict[str, int]) -> list[Problem]:
    found = {k: n for k, n in orphans.items() if n}
    if not found:
        return []
    listed = ", ".join(f"{k}: {n}" for k, n in sorted(found.items()))
    return [Problem(
        "orphan_lines",
        f"Sổ theo dõi có dòng mồ côi (bước đôn đốc hoặc dòng thư không có nghĩa vụ/thư gốc): "
        f"{listed}",
        f"the ledger has orphaned lines (escalation steps or email lines without their "
        f"obligation or email): {listed}")]
