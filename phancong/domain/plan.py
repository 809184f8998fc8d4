"""The declared plan: pydantic models of a responsibility matrix.

A plan file (``responsibilities/*.yaml``) is parsed into :class:`Plan`: its header, period and
duties here, its agencies and groups in :mod:`phancong.domain.agencies`, cadences, deadline
rules and the ladder in :mod:`phancong.domain.cadence`. Everything here is pure and frozen;
expanding groups into real units and checking cross references happens in
:mod:`phancong.domain.validate` so that each error can be reported against its line.
"""
from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from phancong.domain.agencies import Agency, Group
from phancong.domain.cadence import (
    Anchor,
    Cadence,
    CadenceKind,
    DeadlineRule,
    DependencyRule,
    Frozen,
    HolidayPolicy,
    Identifier,
    Ladder,
    ReportingEntry,
)
from phancong.domain.citation import parse_citation
from phancong.domain.zone import DEFAULT_TZ


class Role(StrEnum):
    """How a unit stands in a duty."""

    LEAD = "lead"  # chủ trì
    SUPPORT = "support"  # phối hợp
    REQUESTED = "requested"  # đề nghị


class IndicatorKind(StrEnum):
    """How a unit reports an indicator and how the plan adds the units' values up."""

    YES_NO = "yes_no"  # each unit answers yes or no; the plan: the share of units answering yes
    COUNT = "count"  # a whole number ≥ 0 per unit; the plan: the sum
    PERCENT = "percent"  # the unit's own percentage 0–100; the plan: the (weighted) mean
    VALUE = "value"  # any number, reported as is; the plan lists the values, adds nothing


class Indicator(Frozen):
    id: Identifier
    name: str
    kind: IndicatorKind = IndicatorKind.VALUE
    unit: str | None = None
    target: float | None = None
    target_text: str | None = None
    weight: Identifier | None = Field(
        default=None,
        description="for a percent: the id of a count indicator of the same duty that weighs "
        "each unit's percentage (e.g. the number of reports it received); unset: a plain mean",
    )

    @model_validator(mode="after")
    def _weight_only_for_percent(self) -> Indicator:
        if self.weight is not None and self.kind is not IndicatorKind.PERCENT:
            raise ValueError("'weight' applies only to a 'percent' indicator")
        if (
            self.kind in (IndicatorKind.YES_NO, IndicatorKind.PERCENT)
            and self.target is not None
            and not 0 <= self.target <= 100
        ):
            raise ValueError(f"the target of a '{self.kind.value}' indicator is a percentage 0–100")
        return self


class Duty(Frozen):
    id: Identifier
    title: str = Field(min_length=3, max_length=200)
    text: str = Field(min_length=3)
    source: Annotated[str, AfterValidator(parse_citation)] = Field(
        description="citation of the source paragraph in any usual style, e.g. 'IV.3, bullet 2',"
        " 'Mục IV.3, gạch đầu dòng 2', 'Điều 5, khoản 2, điểm a'; stored in the English form",
    )
    lead: tuple[Identifier, ...] = Field(min_length=1)
    supporting: tuple[Identifier, ...] = ()
    requested: tuple[Identifier, ...] = ()
    owner_role: Role = Field(
        default=Role.LEAD,
        description="'requested' when the owners themselves are only requested (e.g. IV.10)",
    )
    cadence: Cadence
    depends_on: tuple[Identifier, ...] = ()
    depends_on_period: DependencyRule = Field(
        default=DependencyRule.SAME_PERIOD,
        description="which periods of the duties in depends_on each obligation waits on: "
        "same_period, within (e.g. a yearly report on the year's quarters, a one-off "
        "consolidation on one-off reports due before it) or latest_before",
    )
    due_after_inputs: int | None = Field(
        default=None,
        ge=1,
        le=30,
        description="a consolidation: due this many working days after the latest deadline of"
        " its inputs (depends_on) for the same period, instead of the cadence's own date",
    )
    also_cites: tuple[str, ...] = Field(
        default=(), description="other paragraphs of the text that ask the same work"
    )
    recipients: tuple[Identifier, ...] = Field(
        default=(), description="bodies the report is addressed to (not owners)"
    )
    indicators: tuple[Indicator, ...] = ()
    evidence: Literal["optional", "required"] = Field(
        default="optional",
        description="'required': a submission must carry at least one report file",
    )
    ladder: Ladder | None = None  # per-duty override of the plan's ladder
    active_from: dt.date | None = Field(
        default=None, description="the duty starts inside the plan: owed for deadlines from then"
    )
    active_to: dt.date | None = Field(
        default=None, description="the duty ends inside the plan: owed for deadlines until then"
    )
    assumption: str | None = None

    def active_on(self, day: dt.date) -> bool:
        return (self.active_from is None or self.active_from <= day) and (
            self.active_to is None or day <= self.active_to
        )

    @field_validator("owner_role")
    @classmethod
    def _owner_role(cls, value: Role) -> Role:
        if value is Role.SUPPORT:
            raise ValueError("đơn vị thực hiện là 'lead' hoặc 'requested' / "
                             "owners are 'lead' or 'requested'")
        return value

    @field_validator("also_cites")
    @classmethod
    def _citations(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(parse_citation(citation) for citation in value)

    @model_validator(mode="after")
    def _active_ordered(self) -> Duty:
        if self.active_from and self.active_to and self.active_to < self.active_from:
            raise ValueError(
                f"'active_to' ({self.active_to:%d/%m/%Y}) đứng trước 'active_from' "
                f"({self.active_from:%d/%m/%Y}) / 'active_to' ({self.active_to:%d/%m/%Y}) is"
                f" before 'active_from' ({self.active_from:%d/%m/%Y})"
            )
        return self

    @model_validator(mode="after")
    def _consolidation(self) -> Duty:
        if self.due_after_inputs is not None:
            if not self.depends_on:
                raise ValueError("'due_after_inputs' cần các nhiệm vụ đầu vào trong 'depends_on' / "
                                 "'due_after_inputs' needs the inputs in 'depends_on'")
            if self.cadence.kind in (CadenceKind.ONCE, CadenceKind.ON_EVENT) or (
                self.cadence.deadline is not None
            ):
                raise ValueError(
                    "nhiệm vụ tổng hợp lấy hạn theo các nhiệm vụ đầu vào: không ghi 'due' hay"
                    " 'deadline' / a duty due after its inputs takes its dates from them: no"
                    " 'due' or 'deadline' in its cadence"
                )
        return self

    @property
    def on_event(self) -> bool:
        return self.cadence.kind is CadenceKind.ON_EVENT

    @model_validator(mode="after")
    def _event_owners_only(self) -> Duty:
        """An event obligation is the reporting unit's own: nobody supports it with a dated
        input, and it waits on nothing (an event does not wait for a calendar period)."""
        if self.on_event and (self.supporting or self.depends_on):
            raise ValueError(
                "nhiệm vụ theo sự việc chỉ có đơn vị chủ trì (hoặc được đề nghị): không ghi"
                " 'supporting' hay 'depends_on' / an event-triggered duty has only its owners:"
                " no 'supporting' or 'depends_on'"
            )
        return self

    @model_validator(mode="after")
    def _weights_are_counts(self) -> Duty:
        kinds = {i.id: i.kind for i in self.indicators}
        for indicator in self.indicators:
            if (
                indicator.weight is not None
                and kinds.get(indicator.weight) is not IndicatorKind.COUNT
            ):
                raise ValueError(
                    f"chỉ tiêu '{indicator.id}' được tính theo trọng số '{indicator.weight}', "
                    "không phải chỉ tiêu 'count' của cùng nhiệm vụ / "
                    f"indicator '{indicator.id}' is weighted by '{indicator.weight}', which is not "
                    "a 'count' indicator of the same duty"
                )
        return self


class PlanPeriod(Frozen):
    """The days a plan runs. No ``end``: a directive reported until a later text revokes it
    (*đến khi có văn bản thay thế*); its obligations are materialised a rolling horizon ahead
    (:mod:`phancong.domain.horizon`)."""

    start: dt.date
    end: dt.date | None = Field(
        default=None, description="last day of the plan; absent: until revoked (open-ended)"
    )

    @property
    def open_ended(self) -> bool:
        return self.end is None

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    @model_validator(mode="after")
    def _ordered(self) -> PlanPeriod:
        if self.end is not None and self.end <= self.start:
            raise ValueError("thời gian kế hoạch phải kết thúc sau khi bắt đầu / "
                             "the plan period must end after it starts")
        return self


class Amendment(Frozen):
    """A change to the plan in force from ``effective``: obligations of periods that ended
    before it are kept as they were when the amended plan is materialised."""

    effective: dt.date
    number: str | None = None
    issued: dt.date | None = None
    note: str | None = None


class LevelNames(Frozen):
    """What letters call the two escalation levels above the owner (a plan without a steering
    committee escalates to, say, the provincial People's Committee)."""

    standing_office: str = Field(default="Thường trực Ban Chỉ đạo", min_length=2, max_length=120)
    steering_committee: str = Field(default="Ban Chỉ đạo", min_length=2, max_length=120)
    standing_office_en: str = Field(
        default="Standing Office of the Steering Committee", min_length=2, max_length=120
    )
    steering_committee_en: str = Field(default="Steering Committee", min_length=2, max_length=120)


class PlanHeader(Frozen):
    id: Identifier
    number: str | None = None
    title: str
    issuer: str
    issued: dt.date | None = None
    period: PlanPeriod
    timezone: str = DEFAULT_TZ
    standing_office: Identifier
    steering_committee: Identifier
    holiday_policy: HolidayPolicy = HolidayPolicy.NEXT_WORKING_DAY
    support_lead_days: int = Field(
        default=5,
        ge=0,
        le=30,
        description="supporting units owe their input this many working days before the lead",
    )
    default_deadlines: dict[CadenceKind, DeadlineRule] = Field(default_factory=dict)
    portal_email_domain: str | None = None
    level_names: LevelNames = LevelNames()
    amendments: tuple[Amendment, ...] = ()

    @property
    def amended_from(self) -> dt.date | None:
        """The latest amendment's effective date: periods ending before it are kept as they
        were."""
        return max((a.effective for a in self.amendments), default=None)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"không biết múi giờ '{value}' / unknown time zone '{value}'"
            ) from None
        return value


class Plan(Frozen):
    plan: PlanHeader
    ladder: Ladder = Ladder()
    agencies: tuple[Agency, ...] = Field(min_length=1)
    groups: tuple[Group, ...] = ()
    reporting_calendar: tuple[ReportingEntry, ...] = ()
    duties: tuple[Duty, ...] = Field(min_length=1)

    @property
    def id(self) -> str:
        return self.plan.id

    def duty(self, duty_id: str) -> Duty:
        for duty in self.duties:
            if duty.id == duty_id:
                return duty
        raise KeyError(duty_id)

    def agency(self, agency_id: str) -> Agency:
        for agency in self.agencies:
            if agency.id == agency_id:
                return agency
        raise KeyError(agency_id)

    def office_on(self, ref: str, day: dt.date) -> str:
        """The agency acting as ``ref`` (the standing office, say) on ``day``: ``ref`` itself,
        or its successor after its last day (followed until one is valid)."""
        seen = {ref}
        current = ref
        while True:
            try:
                agency = self.agency(current)
            except KeyError:
                return current
            if agency.valid_to is None or day <= agency.valid_to or agency.successor is None:
                return current
            if agency.successor in seen:
                return current
            seen.add(agency.successor)
            current = agency.successor

    def ladder_for(self, duty: Duty) -> Ladder:
        return duty.ladder or self.ladder

    def deadline_rule(self, cadence: Cadence) -> DeadlineRule:
        if cadence.deadline is not None:
            return cadence.deadline
        rule = self.plan.default_deadlines.get(cadence.kind)
        return rule if rule is not None else DeadlineRule(day=15, anchor=Anchor.LAST_MONTH)
