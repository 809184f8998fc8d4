"""The consolidated report as data: what it says about each duty, unit, indicator and chart,
whatever it is rendered to (HTML, DOCX, PDF)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


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
    """An indicator added up over the period's accepted submissions, by its kind (see
    :mod:`phancong.domain.indicators`): ``total`` is the plan's figure — the share of units
    answering yes (percent), the sum, the (weighted) mean, or None for a value listed as is."""

    duty_code: str
    duty_title: str
    indicator: str
    name: str
    kind: str = "value"
    unit: str | None = None
    target: float | None = None
    target_text: str | None = None
    total: float | None
    reports: int  # accepted submissions that gave a value
    units: int = 0  # units owing the duty in the period
    yes: int = 0
    met: bool | None = None
    values: list[tuple[str, float]] = []  # (unit name, value) per report


class Summary(Frozen):
    """The period's obligations in the Government Office's terms, from the same status counts
    as ``phancong ledger status --period``."""

    counts: dict[str, int]
    due: int  # everything of the period that has opened, less waived and cancelled
    done: int
    done_on_time: int
    done_late: int
    open: int
    open_in_time: int  # in progress, blocked, submitted awaiting review, returned
    open_overdue: int
    pending_review: int
    waived: int

    @property
    def rate(self) -> float | None:
        return self.done / self.due if self.due else None


class FileLink(Frozen):
    name: str
    path: str  # portal path: /obligations/<id>/files/<file id>
    size: int
    sha256: str


class UnitResult(Frozen):
    """One unit's period: its counts, whether it reported, what it wrote, its files."""

    unit_code: str
    unit_name: str
    kind: str
    due: int
    on_time: int
    late: int
    overdue: int
    open: int
    reported: bool | None  # None: owes no reporting duty this period
    reported_at: dt.datetime | None = None
    notes: list[tuple[str, str]] = []  # (duty title, note)
    figures: list[tuple[str, str]] = []  # (indicator name, value as written)
    files: list[FileLink] = []


class ChartData(Frozen):
    periods: list[str]  # labels, chronological
    rates: list[tuple[str, str, list[float | None]]]  # (name, short, rate per period)
    reported: list[tuple[str, int, int]]  # (period label, reported, expected)


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
    summary: Summary | None = None
    units: list[UnitResult] = []
    chart: ChartData | None = None
    office_parent_name: str | None = None
    office_short: str | None = None
    steering_committee_name: str | None = None

    @property
    def expected(self) -> int:
        return len(self.reported) + len(self.not_reported)


class ReportFiles(Frozen):
    html: str
    docx: str
    url: str
    pdf: str | None = None
