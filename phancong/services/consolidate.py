"""The Standing Office's consolidated report for one period, compiled from the ledger.

``compile_report`` reads who reported (the owners of the reporting duties with a submission
marked done by ``as_of``), who did not, indicator totals over the accepted submissions and
"x of N submitted" per duty; ``render_html`` / ``render_docx`` turn it into documents (Jinja2
templates in ``templates/report/``, python-docx); ``record`` marks the Standing Office's own
consolidating obligation done with the report as evidence. Nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
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
from phancong.domain.citation import fmt_citation
from phancong.domain.status import State, local_date, on_time
from phancong.resources import templates_dir
from phancong.services.errors import NotFound
from phancong.services.ledger import rollup_by_duty, submit

TEMPLATES = templates_dir() / "report"
ACTOR = "system:consolidate"
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
REPORTED_STATES = (State.SUBMITTED.value, State.ACCEPTED.value)
EXCUSED_STATES = (State.WAIVED.value,)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class DutyRef(Frozen):
    code: str
    title: str
    source: str


class UnitReport(Frozen):
    """One owner of a reporting duty and where its report stands."""

    unit_code: str
    unit_name: str
    duty_code: str
    state: str
    deadline: dt.date
    submitted_at: dt.datetime | None = None
    on_time: bool | None = None
    days_late: int = 0


class IndicatorTotal(Frozen):
    duty_code: str
    duty_title: str
    indicator: str
    name: str
    unit: str | None = None
    target: float | None = None
    target_text: str | None = None
    total: float
    reports: int  # accepted submissions that gave a value


class DutyProgress(Frozen):
    code: str
    title: str
    source: str
    total: int
    submitted: int
    accepted: int
    on_time: int
    overdue: int


class ConsolidatedReport(Frozen):
    plan_id: str
    plan_title: str
    issuer: str
    period_label: str
    period_title: str
    as_of: dt.datetime
    day: dt.date
    standing_office_code: str
    standing_office_name: str
    consolidating: DutyRef | None
    reporting: list[DutyRef]
    reported: list[UnitReport]
    not_reported: list[UnitReport]
    excused: list[UnitReport]
    indicators: list[IndicatorTotal]
    duties: list[DutyProgress]
    recipients: list[str] = []  # "Kính gửi": the bodies the consolidated report is addressed to

    @property
    def expected(self) -> int:
        return len(self.reported) + len(self.not_reported)


class ReportFiles(Frozen):
    html: str
    docx: str
    url: str


# ----------------------------------------------------------------------------- which duties

def _plan(session: Session, plan_id: str) -> PlanRow:
    plan = session.get(PlanRow, plan_id)
    if plan is None:
        raise NotFound(f"Không có kế hoạch '{plan_id}'", f"No plan '{plan_id}'")
    return plan


def _standing_office_unit(session: Session, plan: PlanRow) -> UnitRow | None:
    return session.scalars(select(UnitRow).where(UnitRow.plan_id == plan.id,
                                                 UnitRow.code == plan.standing_office)).first()


def consolidating_duty(session: Session, plan_id: str,
                       period_label: str | None = None) -> DutyRow | None:
    """The Standing Office's consolidating duty: led by it, waiting on other duties.

    With a period, only a duty the Standing Office owes for that period; a periodic duty (one
    that follows the reporting calendar) is preferred over a yearly review.
    """
    plan = _plan(session, plan_id)
    office = _standing_office_unit(session, plan)
    if office is None:
        return None
    # DISTINCT over the ids only: PostgreSQL has no equality for the duty's JSON columns
    owed = (
        select(ObligationRow.duty_id)
        .where(ObligationRow.plan_id == plan_id, ObligationRow.unit_id == office.id,
               ObligationRow.role != "support")
        .distinct()
    )
    if period_label is not None:
        owed = owed.where(ObligationRow.period_label == period_label)
    query = select(DutyRow).where(DutyRow.plan_id == plan_id, DutyRow.active.is_(True),
                                  DutyRow.id.in_(owed))
    candidates = [d for d in session.scalars(query) if d.depends_on]
    candidates.sort(key=lambda d: (d.cadence != "periodic", d.id))
    return candidates[0] if candidates else None


def _reporting_duties(session: Session, plan: PlanRow,
                      consolidating: DutyRow | None) -> list[DutyRow]:
    query = select(DutyRow).where(DutyRow.plan_id == plan.id, DutyRow.active.is_(True))
    if consolidating is not None:
        query = query.where(DutyRow.code.in_(list(consolidating.depends_on)))
    duties = list(session.scalars(query.order_by(DutyRow.id)))
    if consolidating is None:  # no declared consolidation: every duty reports to the office
        duties = [d for d in duties if not d.depends_on]
    return duties


def due_periods(session: Session, plan_id: str, as_of: dt.datetime) -> list[str]:
    """The periods whose reporting deadline passed most recently before ``as_of``'s day."""
    plan = _plan(session, plan_id)
    day = local_date(as_of, plan.timezone)
    duty = consolidating_duty(session, plan_id)
    reporting = [d.id for d in _reporting_duties(session, plan, duty)]
    if not reporting:
        return []
    rows = session.execute(
        select(ObligationRow.period_label, func.max(ObligationRow.original_deadline))
        .where(ObligationRow.plan_id == plan_id, ObligationRow.duty_id.in_(reporting),
               ObligationRow.role != "support")
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
    plan = _plan(session, plan_id)
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


# ----------------------------------------------------------------------------- compile

def compile_report(session: Session, plan_id: str, period_label: str,
                   as_of: dt.datetime) -> ConsolidatedReport:
    plan = _plan(session, plan_id)
    day = local_date(as_of, plan.timezone)
    office = _standing_office_unit(session, plan)
    consolidating = consolidating_duty(session, plan_id, period_label)
    reporting = _reporting_duties(session, plan, consolidating)
    by_id = {d.id: d for d in reporting}

    rows = session.execute(
        select(ObligationRow.duty_id, ObligationRow.state, ObligationRow.submitted_at,
               ObligationRow.effective_deadline, ObligationRow.original_deadline,
               UnitRow.code, UnitRow.name)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        .where(ObligationRow.plan_id == plan_id, ObligationRow.period_label == period_label,
               ObligationRow.duty_id.in_(list(by_id)), ObligationRow.role != "support",
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
    """Indicator values summed over the period's accepted submissions, per duty and indicator."""
    rows = session.execute(
        select(DutyRow.id, SubmissionRow.indicator_values)
        .join(ObligationRow, ObligationRow.id == SubmissionRow.obligation_id)
        .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
        .where(ObligationRow.plan_id == plan_id, ObligationRow.period_label == period_label,
               ObligationRow.state == State.ACCEPTED.value, ObligationRow.accepted_at <= as_of,
               SubmissionRow.review == "accepted")
    ).all()
    sums: dict[tuple[int, str], float] = defaultdict(float)
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for duty_id, values in rows:
        for indicator, value in (values or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                sums[(duty_id, indicator)] += float(value)
                counts[(duty_id, indicator)] += 1
    if not sums:
        return []
    duties = {d.id: d for d in session.scalars(
        select(DutyRow).where(DutyRow.id.in_({duty_id for duty_id, _ in sums})))}
    out: list[IndicatorTotal] = []
    for duty_id in sorted({d for d, _ in sums}):
        duty = duties[duty_id]
        declared: list[dict[str, Any]] = list(duty.indicators or [])
        order = {i["id"]: n for n, i in enumerate(declared)}
        info = {i["id"]: i for i in declared}
        given = sorted((i for d, i in sums if d == duty_id), key=lambda i: (order.get(i, 99), i))
        for indicator in given:
            meta = info.get(indicator, {})
            out.append(IndicatorTotal(
                duty_code=duty.code, duty_title=duty.title, indicator=indicator,
                name=str(meta.get("name") or indicator), unit=meta.get("unit"),
                target=meta.get("target"), target_text=meta.get("target_text"),
                total=sums[(duty_id, indicator)], reports=counts[(duty_id, indicator)]))
    return out


# ----------------------------------------------------------------------------- render

def _number(value: float) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u00a0")  # thousands separated by a no-break space


def _date(value: dt.date | dt.datetime | None) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else "—"


def _citation(source: str) -> str:
    """The report is written in Vietnamese: 'IV.3, bullet 2' → 'Mục IV.3, gạch đầu dòng 2'."""
    return fmt_citation(source, "vi")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(["html", "htm"], default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["number"] = _number
    env.filters["vndate"] = _date
    env.filters["citation"] = _citation
    return env


def render_html(report: ConsolidatedReport) -> str:
    return environment().get_template("consolidated.html").render(report=report)


def render_docx(report: ConsolidatedReport) -> bytes:
    from docx import Document

    document = Document()
    document.core_properties.title = f"Báo cáo tổng hợp {report.period_title}"
    document.add_heading(report.issuer, level=2)
    document.add_heading(f"Báo cáo tổng hợp kết quả thực hiện — {report.period_title}", level=1)
    if report.recipients:
        document.add_paragraph(f"Kính gửi: {'; '.join(report.recipients)}.")
    document.add_paragraph(report.plan_title)
    document.add_paragraph(
        f"Cơ quan tổng hợp: {report.standing_office_name}. "
        f"Số liệu tính đến ngày {_date(report.day)}.")
    document.add_paragraph(
        f"Đã báo cáo: {len(report.reported)}/{report.expected} đơn vị; "
        f"chưa báo cáo: {len(report.not_reported)}; được miễn: {len(report.excused)}.")

    def table(header: list[str], rows: list[list[str]]) -> None:
        grid = document.add_table(rows=1, cols=len(header))
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, header, strict=True):
            cell.text = text
        for row in rows:
            cells = grid.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = text

    document.add_heading("1. Đơn vị đã báo cáo", level=2)
    table(["Đơn vị", "Nhiệm vụ", "Ngày nộp", "Đúng hạn"],
          [[u.unit_name, u.duty_code, _date(u.submitted_at), "có" if u.on_time else "không"]
           for u in report.reported])
    document.add_heading("2. Đơn vị chưa báo cáo", level=2)
    table(["Đơn vị", "Nhiệm vụ", "Hạn", "Số ngày quá hạn"],
          [[u.unit_name, u.duty_code, _date(u.deadline), str(u.days_late)]
           for u in report.not_reported])
    document.add_heading("3. Tổng hợp chỉ tiêu", level=2)
    table(["Nhiệm vụ", "Chỉ tiêu", "Tổng", "Đơn vị tính", "Số báo cáo"],
          [[i.duty_title, i.name, _number(i.total), i.unit or "", str(i.reports)]
           for i in report.indicators])
    document.add_heading("4. Tiến độ theo nhiệm vụ", level=2)
    table(["Trích dẫn", "Nhiệm vụ", "Đã nộp", "Đã duyệt", "Quá hạn"],
          [[_citation(d.source), d.title, f"{d.submitted}/{d.total}", str(d.accepted),
            str(d.overdue)] for d in report.duties])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def report_paths(root: Path, plan_id: str, period_label: str) -> tuple[Path, Path]:
    """``<root>/<plan>/<period>.html`` and ``.docx``; refuses names that could leave ``root``."""
    for part in (plan_id, period_label):
        if not _SAFE.match(part):
            raise ValueError(f"unsafe name for a report file: {part!r}")
    folder = root / plan_id
    return folder / f"{period_label}.html", folder / f"{period_label}.docx"


def write_files(report: ConsolidatedReport, root: Path, portal_url: str) -> ReportFiles:
    html_path, docx_path = report_paths(root, report.plan_id, report.period_label)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(render_html(report), encoding="utf-8")
    docx_path.write_bytes(render_docx(report))
    url = f"{portal_url.rstrip('/')}/reports/{report.plan_id}/{report.period_label}.html"
    return ReportFiles(html=str(html_path), docx=str(docx_path), url=url)


# ----------------------------------------------------------------------------- record

def record(session: Session, plan_id: str, period_label: str, files: ReportFiles,
           as_of: dt.datetime, summary: str = "") -> int | None:
    """Mark the Standing Office's consolidating obligation for the period done.

    Returns the obligation id, or ``None`` when there is none or it is no longer open (already
    submitted or closed): then the files are simply kept.
    """
    plan = _plan(session, plan_id)
    office = _standing_office_unit(session, plan)
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
    submit(session, obligation.id, actor=ACTOR, at=as_of, note=note, evidence_url=files.url)
    return obligation.id
