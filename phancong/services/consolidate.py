"""The Standing Office's consolidated report for one period, compiled from the ledger.

``compile_report`` reads who reported (the owners of the reporting duties with a submission
marked done by ``as_of``), who did not, indicator totals over the accepted submissions and
"x of N submitted" per duty; ``render_html`` / ``render_docx`` turn it into documents (Jinja2
templates in ``templates/report/``, python-docx); ``record`` marks the Standing Office's own
consolidating obligation done with the report as evidence. Nothing here reads the clock.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from phancong.adapters.orm import (
    DutyRow,
    ObligationRow,
    PlanRow,
    PlanVersionRow,
    SubmissionRow,
    UnitRow,
)
from phancong.domain.calendar import period_title
from phancong.domain.indicators import aggregate
from phancong.domain.plan import Role
from phancong.domain.status import State, local_date, on_time
from phancong.services.attachments import Attachment, Upload, check
from phancong.services.reads import files_of, rollup_by_duty, status_counts
from phancong.services.report_charts import chart_data
from phancong.services.report_model import (
    ConsolidatedReport,
    DutyProgress,
    DutyRef,
    FileLink,
    IndicatorTotal,
    ReportFiles,
    Summary,
    UnitReport,
    UnitResult,
)
from phancong.services.report_scope import (
    EXCUSED_STATES,
    REPORTED_STATES,
    consolidating_duty,
    plan_row,
    reporting_duties,
    standing_office_unit,
)
from phancong.services.status_sql import status_expr
from phancong.services.submissions import submit

ACTOR = "system:consolidate"


def due_periods(session: Session, plan_id: str, as_of: dt.datetime) -> list[str]:
    """The periods whose reporting deadline passed most recently before ``as_of``'s day."""
    plan = plan_row(session, plan_id)
    day = local_date(as_of, plan.timezone)
    duty = consolidating_duty(session, plan_id)
    reporting = [d.id for d in reporting_duties(session, plan, duty)]
    if not reporting:
        return []
    rows = session.execute(
        select(ObligationRow.period_label, func.max(ObligationRow.original_deadline))
        .where(ObligationRow.plan_id == plan_id, ObligationRow.duty_id.in_(reporting),
               ObligationRow.role != Role.SUPPORT)
        .group_by(ObligationRow.period_label)
    ).all()
    passed = [(deadline, label) for label, deadline in rows if deadline < day]
    if not passed:
        return []
    latest = max(deadline for deadline, _ in passed)
    return sorted(label for deadline, label in passed if deadline == latest)


def current_periods(session: Session, plan_id: str, as_of: dt.datetime,
                    grace_days: int = 30) -> list[str]:
    """Periods running on ``as_of``'s day, or whose deadline passed within ``grace_days``."""
    plan = plan_row(session, plan_id)
    day = local_date(as_of, plan.timezone)
    rows = session.execute(
        select(ObligationRow.period_label, func.min(ObligationRow.period_start),
               func.max(ObligationRow.period_end), func.max(ObligationRow.original_deadline))
        .where(ObligationRow.plan_id == plan_id, ObligationRow.state != State.CANCELLED.value)
        .group_by(ObligationRow.period_label)
    ).all()
    keep = [(start, label) for label, start, end, deadline in rows
            if start <= day and (end >= day or deadline >= day - dt.timedelta(days=grace_days))]
    return [label for _, label in sorted(keep)]


def compile_report(session: Session, plan_id: str, period_label: str,
                   as_of: dt.datetime) -> ConsolidatedReport:
    plan = plan_row(session, plan_id)
    day = local_date(as_of, plan.timezone)
    office = standing_office_unit(session, plan)
    consolidating = consolidating_duty(session, plan_id, period_label)
    reporting = reporting_duties(session, plan, consolidating)
    by_id = {d.id: d for d in reporting}

    rows = session.execute(
        select(ObligationRow.duty_id, ObligationRow.state, ObligationRow.submitted_at,
               ObligationRow.effective_deadline, ObligationRow.original_deadline,
               UnitRow.code, UnitRow.name)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        .where(ObligationRow.plan_id == plan_id, ObligationRow.period_label == period_label,
               ObligationRow.duty_id.in_(list(by_id)), ObligationRow.role != Role.SUPPORT,
               ObligationRow.state != State.CANCELLED.value)
        .order_by(UnitRow.kind, UnitRow.code, ObligationRow.duty_id)
    ).all()
    reported: list[UnitReport] = []
    missing: list[UnitReport] = []
    excused: list[UnitReport] = []
    for duty_id, state, submitted_at, deadline, original, code, name in rows:
        done_at = submitted_at if state in REPORTED_STATES and submitted_at is not None \
            and submitted_at <= as_of else None
        done = done_at is not None
        entry = UnitReport(
            unit_code=code, unit_name=name, duty_code=by_id[duty_id].code, state=state,
            deadline=deadline, submitted_at=done_at,
            on_time=on_time(done_at, original, plan.timezone) if done_at else None,
            days_late=max(0, (day - deadline).days) if not done else 0,
        )
        if done:
            reported.append(entry)
        elif state in EXCUSED_STATES:
            excused.append(entry)
        else:
            missing.append(entry)

    rollups = rollup_by_duty(session, plan_id, as_of, period=period_label)
    parent = (
        session.scalars(
            select(UnitRow).where(UnitRow.plan_id == plan_id, UnitRow.code == office.parent_code)
        ).first()
        if office is not None and office.parent_code
        else None
    )
    return ConsolidatedReport(
        plan_id=plan_id, plan_title=plan.title, issuer=plan.issuer, period_label=period_label,
        period_title=period_title(period_label), as_of=as_of, day=day,
        standing_office_code=plan.standing_office,
        standing_office_name=office.name if office else plan.standing_office,
        consolidating=_ref(consolidating) if consolidating else None,
        reporting=[_ref(d) for d in reporting],
        reported=reported, not_reported=missing, excused=excused,
        indicators=_indicator_totals(session, plan_id, period_label, as_of),
        duties=[DutyProgress(code=r.duty_code, title=r.title, source=r.source, total=r.total,
                             submitted=r.submitted, accepted=r.accepted, on_time=r.on_time,
                             overdue=r.overdue) for r in rollups],
        recipients=recipients_of(session, plan, consolidating.code) if consolidating else [],
        summary=summarize(status_counts(session, plan_id, as_of, period_label)),
        units=_unit_results(session, plan, period_label, as_of, reported + missing + excused),
        chart=chart_data(session, plan_id, as_of, upto=period_label),
        office_parent_name=parent.name if parent is not None else None,
        office_short=(office.short or office.code.upper()) if office is not None else None,
        steering_committee_name=session.scalar(
            select(UnitRow.name).where(UnitRow.plan_id == plan_id,
                                       UnitRow.code == plan.steering_committee)),
    )


def recipients_of(session: Session, plan: PlanRow, duty_code: str) -> list[str]:
    """Names of the bodies a duty's report is addressed to, as the current plan declares them
    (``recipients``); agencies by name, groups by their name."""
    document = session.scalars(
        select(PlanVersionRow.document).where(PlanVersionRow.plan_id == plan.id,
                                              PlanVersionRow.version == plan.current_version)
    ).first()
    if not document:
        return []
    duty = next((d for d in document.get("duties", []) if d.get("id") == duty_code), None)
    if duty is None:
        return []
    names = {a["id"]: a["name"] for a in document.get("agencies", [])}
    names.update({g["id"]: g["name"] for g in document.get("groups", [])})
    return [str(names.get(ref, ref)) for ref in duty.get("recipients", [])]


def _ref(duty: DutyRow) -> DutyRef:
    return DutyRef(code=duty.code, title=duty.title, source=duty.source)


def _indicator_totals(session: Session, plan_id: str, period_label: str,
                      as_of: dt.datetime) -> list[IndicatorTotal]:
    """Indicators over the period's accepted submissions, added up by kind, per duty."""
    rows = session.execute(
        select(DutyRow.id, UnitRow.name, SubmissionRow.indicator_values)
        .join(ObligationRow, ObligationRow.id == SubmissionRow.obligation_id)
        .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        .where(ObligationRow.plan_id == plan_id, ObligationRow.period_label == period_label,
               ObligationRow.state == State.ACCEPTED.value, ObligationRow.accepted_at <= as_of,
               SubmissionRow.review == "accepted")
    ).all()
    reports: dict[int, dict[str, dict[str, float]]] = defaultdict(dict)
    for duty_id, unit_name, values in rows:
        numbers = {k: float(v) for k, v in (values or {}).items()
                   if isinstance(v, int | float) and not isinstance(v, bool)}
        if numbers:
            reports[duty_id][unit_name] = numbers
    if not reports:
        return []
    duties = {d.id: d for d in session.scalars(
        select(DutyRow).where(DutyRow.id.in_(list(reports))))}
    owing = dict(session.execute(
        select(ObligationRow.duty_id, func.count())
        .where(ObligationRow.plan_id == plan_id, ObligationRow.period_label == period_label,
               ObligationRow.duty_id.in_(list(reports)), ObligationRow.role != Role.SUPPORT,
               ObligationRow.state.not_in([State.CANCELLED.value, State.WAIVED.value]))
        .group_by(ObligationRow.duty_id)
    ).all())
    out: list[IndicatorTotal] = []
    for duty_id in sorted(reports):
        duty = duties[duty_id]
        for meta in duty.indicators or []:
            if not isinstance(meta, dict) or "id" not in meta:
                continue
            result = aggregate(meta, reports[duty_id], int(owing.get(duty_id, 0)))
            if not result.reports:
                continue
            target = meta.get("target")
            out.append(IndicatorTotal(
                duty_code=duty.code, duty_title=duty.title, indicator=result.indicator,
                name=str(meta.get("name") or result.indicator), kind=result.kind,
                unit=meta.get("unit"), target=target, target_text=meta.get("target_text"),
                total=result.value, reports=result.reports, units=result.units, yes=result.yes,
                met=result.met(target), values=list(result.per_unit)))
    return out


def summarize(counts: dict[str, int]) -> Summary:
    """The Government Office's counts from ``status_counts`` of one period."""
    def n(*names: str) -> int:
        return sum(counts.get(name, 0) for name in names)

    on_time, late = n("completed_on_time"), n("completed_late")
    in_time = n("in_progress", "blocked", "submitted", "returned")
    overdue = n("overdue")
    return Summary(counts=dict(counts), due=on_time + late + in_time + overdue,
                   done=on_time + late, done_on_time=on_time, done_late=late,
                   open=in_time + overdue, open_in_time=in_time, open_overdue=overdue,
                   pending_review=n("submitted"), waived=n("waived"))


def _unit_results(session: Session, plan: PlanRow, period_label: str, as_of: dt.datetime,
                  reporting: list[UnitReport]) -> list[UnitResult]:
    """Per unit of the period: status counts, the reporting duty's state, notes, figures, files."""
    o = ObligationRow
    st = status_expr(as_of, plan.timezone).label("st")
    # every obligation of the period, supporting ones too: the rows add up to the summary
    sub = (select(o.unit_id, st)
           .where(o.plan_id == plan.id, o.period_label == period_label,
                  o.state.not_in([State.CANCELLED.value, State.WAIVED.value]))
           .subquery())

    def count(*values: str) -> Any:

        return func.sum(case((sub.c.st.in_(values), 1), else_=0))

    rows = session.execute(
        select(UnitRow.id, UnitRow.code, UnitRow.name, UnitRow.kind,
               count("completed_on_time"), count("completed_late"), count("overdue"),
               count("in_progress", "blocked", "submitted", "returned"))
        .join(UnitRow, UnitRow.id == sub.c.unit_id)
        .group_by(UnitRow.id, UnitRow.code, UnitRow.name, UnitRow.kind)
        .order_by(UnitRow.kind != "commune", UnitRow.kind, UnitRow.code)
    ).all()
    # the submissions that stand (pending or accepted, made by as_of) with notes and figures
    subs = session.execute(
        select(o.unit_id, o.id, DutyRow.title, DutyRow.indicators, SubmissionRow.id,
               SubmissionRow.note, SubmissionRow.indicator_values)
        .join(SubmissionRow, SubmissionRow.obligation_id == o.id)
        .join(DutyRow, DutyRow.id == o.duty_id)
        .where(o.plan_id == plan.id, o.period_label == period_label,
               o.state.in_(REPORTED_STATES), SubmissionRow.review.in_(["pending", "accepted"]),
               SubmissionRow.submitted_at <= as_of)
        .order_by(o.unit_id, DutyRow.id, SubmissionRow.id)
    ).all()
    files = files_of(session, sorted({r[1] for r in subs}))
    notes: dict[int, list[tuple[str, str]]] = defaultdict(list)
    figures: dict[int, list[tuple[str, str]]] = defaultdict(list)
    links: dict[int, list[FileLink]] = defaultdict(list)
    for unit_id, oid, title, indicators, sub_id, note, values in subs:
        if note and note.strip():
            notes[unit_id].append((title, note.strip()))
        names = {i["id"]: i for i in indicators or [] if isinstance(i, dict) and "id" in i}
        for key, value in (values or {}).items():
            meta = names.get(key, {})
            figures[unit_id].append((str(meta.get("name") or key), _figure(meta, value)))
        for f in files.get(sub_id, []):
            links[unit_id].append(FileLink(name=f.name, path=f"/obligations/{oid}/files/{f.id}",
                                           size=f.size, sha256=f.sha256))
    by_code = {u.unit_code: u for u in reporting}
    return [
        UnitResult(unit_code=code, unit_name=name, kind=kind, due=int(a or 0) + int(b or 0)
                   + int(c or 0) + int(d or 0), on_time=int(a or 0), late=int(b or 0),
                   overdue=int(c or 0), open=int(d or 0),
                   reported=(by_code[code].submitted_at is not None) if code in by_code else None,
                   reported_at=by_code[code].submitted_at if code in by_code else None,
                   notes=notes.get(uid, []), figures=figures.get(uid, []),
                   files=links.get(uid, []))
        for uid, code, name, kind, a, b, c, d in rows
    ]


def _figure(meta: dict[str, Any], value: Any) -> str:
    if meta.get("kind") == "yes_no":
        return "có" if value else "không"
    from phancong.services.report_docx import with_unit

    return with_unit(float(value), meta.get("unit"))


def record(session: Session, plan_id: str, period_label: str, files: ReportFiles,
           as_of: dt.datetime, summary: str = "") -> int | None:
    """Mark the Standing Office's consolidating obligation for the period done.

    Returns the obligation id, or ``None`` when there is none or it is no longer open (already
    submitted or closed): then the files are simply kept.
    """
    plan = plan_row(session, plan_id)
    office = standing_office_unit(session, plan)
    duty = consolidating_duty(session, plan_id, period_label)
    if office is None or duty is None:
        return None
    obligation = session.scalars(
        select(ObligationRow).where(ObligationRow.duty_id == duty.id,
                                    ObligationRow.unit_id == office.id,
                                    ObligationRow.period_label == period_label)
    ).first()
    if obligation is None or obligation.state not in (State.OPEN.value, State.RETURNED.value):
        return None
    note = (f"Báo cáo tổng hợp {period_title(period_label)} do hệ thống lập tự động"
            f"{': ' + summary if summary else ''}. Tệp: {Path(files.html).name}, "
            f"{Path(files.docx).name}.")
    attached: list[Attachment] = []
    docx_path = Path(files.docx)
    if docx_path.is_file():  # the signed-to-be document itself, kept with the submission
        attached.append(check(Upload(f"bao-cao-tong-hop-{period_label}.docx",
                                     docx_path.read_bytes())))
    submit(session, obligation.id, actor=ACTOR, at=as_of, note=note, evidence_url=files.url,
           files=attached)
    return obligation.id
