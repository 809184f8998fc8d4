"""How often a duty is reported and by when (pure): cadences, deadline rules, the reporting
calendar's entries, holiday policies and the escalation ladder's days. The plan model
(:mod:`phancong.domain.plan`) is built from these."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=80)]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HolidayPolicy(StrEnum):
    KEEP = "keep"
    NEXT_WORKING_DAY = "next_working_day"
    # "trước ngày 15/3": a deadline that may not pass a date moves back, never forward
    PREVIOUS_WORKING_DAY = "previous_working_day"


class DayCount(StrEnum):
    WORKING = "working"
    CALENDAR = "calendar"


class CadenceKind(StrEnum):
    ONCE = "once"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    YEARLY = "yearly"
    PERIODIC = "periodic"  # continuous duty, reported with the plan's periodic reports
    # due when something happens ("kịp thời", "đột xuất"): an obligation is opened by the unit
    # (or requested by the Standing Office) for each event, due `within` days after it
    ON_EVENT = "on_event"


class Anchor(StrEnum):
    """Which month of (or after) the period the deadline day falls in."""

    FIRST_MONTH = "first_month"
    LAST_MONTH = "last_month"
    NEXT_MONTH = "next_month"


class DependencyRule(StrEnum):
    """Which periods of an upstream duty an obligation waits on."""

    SAME_PERIOD = "same_period"  # the upstream obligation of the same period (the default)
    WITHIN = "within"  # every upstream period lying within the obligation's own period
    LATEST_BEFORE = "latest_before"  # the latest upstream period ending by its period's end


class DeadlineRule(Frozen):
    """Day ``day`` of the anchor month; a day past the month's end means its last day.

    ``before``: the text says "trước ngày 15/3" — the deadline is the day *before* that date
    (with ``holiday_policy: previous_working_day``, the last working day before it).
    ``month``: for a yearly cadence, the deadline's month of the period's year (e.g. 11 for a
    budget proposal due in November), instead of the anchor.
    """

    day: int = Field(ge=1, le=31)
    anchor: Anchor = Anchor.LAST_MONTH
    holiday_policy: HolidayPolicy | None = None  # None: the plan's default
    before: bool = False
    month: int | None = Field(default=None, ge=1, le=12)

    @model_validator(mode="after")
    def _before_moves_back(self) -> DeadlineRule:
        if self.before and self.holiday_policy is HolidayPolicy.NEXT_WORKING_DAY:
            raise ValueError(
                "hạn 'trước ngày' không thể lùi sang ngày làm việc tiếp theo: dùng "
                "previous_working_day (mặc định) hoặc keep / "
                "a deadline 'before' a date cannot move to the next working day: use"
                " previous_working_day (the default for 'before') or keep"
            )
        return self


class Cadence(Frozen):
    kind: CadenceKind
    due: dt.date | None = None  # only for 'once'
    only: tuple[int, ...] = Field(
        default=(), description="restrict to these period numbers (quarter 1-4, half 1-2, month)"
    )
    deadline: DeadlineRule | None = None  # None: the plan's default for that kind
    entries: tuple[Identifier, ...] = Field(
        default=(),
        description="periodic only: report with these reporting-calendar entries, not all",
    )
    within: int | None = Field(
        default=None,
        ge=0,
        le=90,
        description="on_event only: the report is due this many days after the event",
    )
    day_count: DayCount = Field(
        default=DayCount.WORKING,
        description="on_event only: whether 'within' counts working days (the default, skipping"
        " weekends and Vietnamese public holidays) or calendar days",
    )

    @model_validator(mode="after")
    def _check(self) -> Cadence:
        self._check_event()
        if self.kind is CadenceKind.ONCE:
            if self.due is None:
                raise ValueError("nhiệm vụ một lần cần hạn 'due' / a one-off cadence needs 'due'")
            if self.deadline is not None or self.only:
                raise ValueError(
                    "nhiệm vụ một lần chỉ ghi 'due' / a one-off cadence takes only 'due'"
                )
        elif self.due is not None:
            raise ValueError(f"'due' chỉ dùng cho nhiệm vụ một lần, không cho '{self.kind}' / "
                             f"'due' is only for one-off duties, not '{self.kind}'")
        limits = {
            CadenceKind.MONTHLY: 12,
            CadenceKind.QUARTERLY: 4,
            CadenceKind.SEMIANNUAL: 2,
            CadenceKind.YEARLY: 1,
        }
        top = limits.get(self.kind)
        for number in self.only:
            if top is None or not 1 <= number <= top:
                raise ValueError(f"'only: {number}' không hợp với tần suất {self.kind} / "
                                 f"'only: {number}' does not fit a {self.kind} cadence")
        if self.kind is CadenceKind.PERIODIC and self.deadline is not None:
            raise ValueError("nhiệm vụ định kỳ theo lịch báo cáo: không ghi 'deadline' riêng / "
                             "a periodic duty follows the reporting calendar: no own 'deadline'")
        if self.entries and self.kind is not CadenceKind.PERIODIC:
            raise ValueError("'entries' (kỳ của lịch báo cáo) chỉ dùng cho nhiệm vụ định kỳ / "
                             "'entries' (of the reporting calendar) is only for periodic duties")
        if (
            self.deadline is not None
            and self.deadline.month is not None
            and self.kind is not CadenceKind.YEARLY
        ):
            raise ValueError("'month' của hạn chỉ dùng cho tần suất hằng năm / "
                             "a deadline 'month' is only for yearly cadences")
        return self

    def _check_event(self) -> None:
        if self.kind is not CadenceKind.ON_EVENT:
            if self.within is not None or self.day_count is not DayCount.WORKING:
                raise ValueError(
                    f"'within' và 'day_count' chỉ dùng cho nhiệm vụ theo sự việc (on_event), "
                    f"không cho '{self.kind}' / 'within' and 'day_count' are only for "
                    f"event-triggered duties (on_event), not '{self.kind}'"
                )
            return
        if self.within is None:
            raise ValueError(
                "nhiệm vụ theo sự việc cần 'within': số ngày làm việc từ khi sự việc xảy ra đến"
                " hạn báo cáo, ví dụ {kind: on_event, within: 3} / an event-triggered duty needs"
                " 'within': the days from the event to the deadline, e.g. {kind: on_event,"
                " within: 3}"
            )
        if self.due is not None or self.deadline is not None or self.only or self.entries:
            raise ValueError(
                "nhiệm vụ theo sự việc chỉ ghi 'within' (và 'day_count'), không ghi 'due',"
                " 'deadline', 'only' hay 'entries' / an event-triggered duty takes only"
                " 'within' (and 'day_count'), no 'due', 'deadline', 'only' or 'entries'"
            )


class ReportingEntry(Frozen):
    """One line of the plan's reporting calendar (e.g. the 6-monthly report before 15/6)."""

    id: Identifier
    label: str
    cadence: Cadence
    source: str | None = None
    assumption: str | None = None

    @field_validator("cadence")
    @classmethod
    def _not_periodic(cls, value: Cadence) -> Cadence:
        if value.kind in (CadenceKind.PERIODIC, CadenceKind.ONCE, CadenceKind.ON_EVENT):
            raise ValueError(
                "kỳ của lịch báo cáo phải là hằng tháng/quý/6 tháng/năm / "
                "a reporting calendar entry must be monthly/quarterly/6-monthly/yearly"
            )
        return value


class Ladder(Frozen):
    """Escalation ladder, in days relative to the effective deadline."""

    day_count: DayCount = DayCount.WORKING
    reminder_before: int = Field(default=3, ge=0, le=60)
    overdue_notice_after: int = Field(default=1, ge=1, le=60)
    standing_office_after: int = Field(default=5, ge=1, le=120)
    steering_committee_after: int = Field(default=15, ge=1, le=365)

    @model_validator(mode="after")
    def _ordered(self) -> Ladder:
        if not (
            self.overdue_notice_after < self.standing_office_after < self.steering_committee_after
        ):
            raise ValueError(
                "các bậc đôn đốc phải tăng dần: overdue_notice_after < standing_office_after"
                " < steering_committee_after / "
                "the ladder must climb: overdue_notice_after < standing_office_after"
                " < steering_committee_after"
            )
        return self
