"""Periods, deadlines and working days (Vietnamese public holidays, Tết included)."""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import holidays

from phancong.domain.cadence import (
    Anchor,
    Cadence,
    CadenceKind,
    DayCount,
    DeadlineRule,
    DependencyRule,
    HolidayPolicy,
)
from phancong.domain.horizon import open_window_end
from phancong.domain.plan import Duty, Plan

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True, order=True)
class Period:
    """A data period an obligation reports on."""

    start: dt.date
    end: dt.date
    label: str  # machine label: 2026-Q1, 2026-H1, 2026, 2026-03, ONCE-2030-12-31
    kind: CadenceKind

    def title(self, lang: str = "vi") -> str:
        return period_title(self.label, lang)


EVENT_PREFIX = "EV"  # an event a unit reported: "Sự việc 03/07/2026 (2)"
AD_HOC_PREFIX = "DX"  # a report the Standing Office asked for: "Báo cáo đột xuất 03/07/2026 (1)"


def event_label(prefix: str, day: dt.date, number: int) -> str:
    """The period label of an event obligation: EV-2026-07-03-2 (the second of that day)."""
    return f"{prefix}-{day.isoformat()}-{number}"


def parse_event_label(label: str) -> tuple[str, dt.date, int] | None:
    """(prefix, day, number) of an event obligation's label; None for a calendar period."""
    prefix, _, rest = label.partition("-")
    if prefix not in (EVENT_PREFIX, AD_HOC_PREFIX) or len(rest) < 12 or rest[10] != "-":
        return None
    try:
        return prefix, dt.date.fromisoformat(rest[:10]), int(rest[11:])
    except ValueError:
        return None


def is_event_label(label: str) -> bool:
    return parse_event_label(label) is not None


def period_title(label: str, lang: str = "vi") -> str:
    """Human title of a period label, Vietnamese by default."""
    vi = lang == "vi"
    event = parse_event_label(label)
    if event is not None:
        prefix, day, number = event
        if prefix == AD_HOC_PREFIX:
            what = "Báo cáo đột xuất" if vi else "Ad hoc report"
        else:
            what = "Sự việc" if vi else "Event"
        return f"{what} {day:%d/%m/%Y} ({number})"
    if label.startswith("ONCE-"):
        day = dt.date.fromisoformat(label[5:])
        return f"Hạn {day:%d/%m/%Y}" if vi else f"Due {day:%d/%m/%Y}"
    year, _, part = label.partition("-")
    if not part:
        return f"Năm {year}" if vi else f"Year {year}"
    if part.startswith("Q"):
        q = int(part[1:])
        return f"Quý {ROMAN[q]}/{year}" if vi else f"Q{q} {year}"
    if part.startswith("H"):
        if part == "H1":
            return f"6 tháng đầu năm {year}" if vi else f"H1 {year}"
        return f"6 tháng cuối năm {year}" if vi else f"H2 {year}"
    return f"Tháng {int(part)}/{year}" if vi else f"{year}-{part}"


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, _calendar.monthrange(year, month)[1])


def _clamped(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, _calendar.monthrange(year, month)[1]))


def periods_of(kind: CadenceKind, first_year: int, last_year: int) -> Iterator[tuple[int, Period]]:
    """Every (number, period) of a recurring cadence between two years, inclusive."""
    span = {
        CadenceKind.MONTHLY: 1,
        CadenceKind.QUARTERLY: 3,
        CadenceKind.SEMIANNUAL: 6,
        CadenceKind.YEARLY: 12,
    }[kind]
    for year in range(first_year, last_year + 1):
        for number, first_month in enumerate(range(1, 13, span), start=1):
            last_month = first_month + span - 1
            if kind is CadenceKind.MONTHLY:
                label = f"{year}-{first_month:02d}"
            elif kind is CadenceKind.QUARTERLY:
                label = f"{year}-Q{number}"
            elif kind is CadenceKind.SEMIANNUAL:
                label = f"{year}-H{number}"
            else:
                label = f"{year}"
            yield (
                number,
                Period(dt.date(year, first_month, 1), _month_end(year, last_month), label, kind),
            )


def nominal_deadline(period: Period, rule: DeadlineRule) -> dt.date:
    """The date a rule names for a period; with ``before`` ("trước ngày 15/3"), the day before."""
    if rule.month is not None:
        day = _clamped(period.start.year, rule.month, rule.day)
    elif rule.anchor is Anchor.FIRST_MONTH:
        day = _clamped(period.start.year, period.start.month, rule.day)
    elif rule.anchor is Anchor.LAST_MONTH:
        day = _clamped(period.end.year, period.end.month, rule.day)
    else:
        following = period.end + dt.timedelta(days=1)
        day = _clamped(following.year, following.month, rule.day)
    return day - dt.timedelta(days=1) if rule.before else day


@lru_cache(maxsize=64)
def _vn_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("VN", years=year).keys())


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a Vietnamese public holiday (Tết moves with the lunar year)."""
    return day.weekday() < 5 and day not in _vn_holidays(day.year)


def holiday_name(day: dt.date, lang: str = "vi") -> str | None:
    names = holidays.country_holidays(
        "VN", years=day.year, language="vi" if lang == "vi" else "en_US"
    )
    name = names.get(day)
    return str(name) if name else None


def next_working_day(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def previous_working_day(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def apply_policy(day: dt.date, policy: HolidayPolicy) -> dt.date:
    if policy is HolidayPolicy.NEXT_WORKING_DAY:
        return next_working_day(day)
    if policy is HolidayPolicy.PREVIOUS_WORKING_DAY:
        return previous_working_day(day)
    return day


def shift_days(day: dt.date, days: int, count: DayCount) -> dt.date:
    """Move ``days`` days forward (negative: back), counting working or calendar days."""
    if count is DayCount.CALENDAR or days == 0:
        return day + dt.timedelta(days=days)
    step = dt.timedelta(days=1 if days > 0 else -1)
    remaining = abs(days)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


@dataclass(frozen=True)
class Due:
    """One dated occurrence of a cadence: the period and its deadlines."""

    period: Period
    nominal: dt.date
    effective: dt.date  # after the holiday policy


def occurrences(plan: Plan, cadence: Cadence, until: dt.date | None = None) -> list[Due]:
    """All dated occurrences of a cadence over the plan's period.

    A periodic (continuous) duty follows the plan's reporting calendar. Periods are those that
    overlap the plan period; deadline validation happens in :mod:`phancong.domain.validate`.
    A plan without an end (until revoked) has no last period: its periods are those starting
    on or before ``until`` (by default its first years, :func:`open_window_end`), whole.
    """
    header = plan.plan
    start, end = header.period.start, header.period.end
    if cadence.kind is CadenceKind.ON_EVENT:
        return []  # opened one by one when something happens (phancong.services.events)
    last = open_window_end(header.period, until)
    if cadence.kind is CadenceKind.ONCE:
        assert cadence.due is not None
        period = Period(start, cadence.due, f"ONCE-{cadence.due.isoformat()}", CadenceKind.ONCE)
        return [Due(period, cadence.due, apply_policy(cadence.due, header.holiday_policy))]
    if cadence.kind is CadenceKind.PERIODIC:
        found: dict[str, Due] = {}
        for entry in plan.reporting_calendar:
            if cadence.entries and entry.id not in cadence.entries:
                continue
            for due in occurrences(plan, entry.cadence, until):
                found.setdefault(due.period.label, due)
        return sorted(found.values(), key=lambda d: (d.effective, d.period.label))
    rule = plan.deadline_rule(cadence)
    # "trước ngày …" never moves forward: the last working day before the date by default
    default = HolidayPolicy.PREVIOUS_WORKING_DAY if rule.before else header.holiday_policy
    policy = rule.holiday_policy or default
    result = []
    for number, period in periods_of(cadence.kind, start.year, last.year):
        if period.end < start or period.start > last:
            continue
        if cadence.only and number not in cadence.only:
            continue
        if end is not None and period.end > end:
            # a plan ending inside a period: the period is cut at the plan's end and its
            # deadline, when the rule would put it later, is the plan's last working day
            period = Period(period.start, end, period.label, period.kind)
            nominal = min(nominal_deadline(period, rule), end)
            effective = apply_policy(nominal, policy)
            if effective > end:  # moved past the plan's end: its last working day instead
                nominal = effective = previous_working_day(end)
            result.append(Due(period, nominal, effective))
            continue
        nominal = nominal_deadline(period, rule)
        result.append(Due(period, nominal, apply_policy(nominal, policy)))
    return result


def event_deadline(cadence: Cadence, event_day: dt.date) -> dt.date:
    """The deadline of an event-triggered report: ``within`` working days after the event
    (Vietnamese public holidays and Tết skipped), or calendar days with ``day_count: calendar``.

    A deadline that falls on a weekend or a holiday (calendar days, or ``within: 0`` on a day
    off) moves to the next working day, whatever the plan's policy: a deadline counted from
    an event never moves back towards it.
    """
    if cadence.kind is not CadenceKind.ON_EVENT or cadence.within is None:
        raise ValueError(f"not an event-triggered cadence: {cadence.kind}")
    return next_working_day(shift_days(event_day, cadence.within, cadence.day_count))


def duty_occurrences(
    plan: Plan, duty: Duty, _trail: tuple[str, ...] = (), until: dt.date | None = None
) -> list[Due]:
    """All dated occurrences of a duty.

    A consolidation (``due_after_inputs``) keeps its cadence's periods, but each is due that
    many working days after the latest deadline of its inputs (``depends_on``) for the same
    period: the Standing Office cannot consolidate on the day the units report. A period no
    input has keeps the cadence's date (:mod:`phancong.domain.validate` reports it).
    """
    dues = [d for d in occurrences(plan, duty.cadence, until) if duty.active_on(d.effective)]
    if duty.due_after_inputs is None or duty.id in _trail:
        return dues
    inputs: dict[str, dt.date] = {}
    for dependency in duty.depends_on:
        try:
            upstream = plan.duty(dependency)
        except KeyError:
            continue
        for due in duty_occurrences(plan, upstream, (*_trail, duty.id), until):
            label = due.period.label
            inputs[label] = max(inputs.get(label, due.effective), due.effective)
    out = []
    for due in dues:
        last_input = inputs.get(due.period.label)
        if last_input is None:
            out.append(due)
            continue
        day = shift_days(last_input, duty.due_after_inputs, DayCount.WORKING)
        out.append(Due(due.period, day, day))
    return [d for d in out if duty.active_on(d.effective)]


def inputs_deadline(
    plan: Plan, duty: Duty, label: str, until: dt.date | None = None
) -> dt.date | None:
    """The latest deadline, for period ``label``, of the duties ``duty`` depends on."""
    days = [
        due.effective
        for dependency in duty.depends_on
        if dependency in {d.id for d in plan.duties}
        for due in duty_occurrences(plan, plan.duty(dependency), until=until)
        if due.period.label == label
    ]
    return max(days) if days else None


def linked_periods(
    rule: DependencyRule, period: Period, upstream: Sequence[Period]
) -> list[Period]:
    """The upstream periods an obligation of ``period`` waits on under ``rule`` (the same
    rule the ledger's dependency links follow)."""
    if rule is DependencyRule.SAME_PERIOD:
        return [u for u in upstream if u.label == period.label]
    if rule is DependencyRule.WITHIN:
        return [u for u in upstream if period.start <= u.start and u.end <= period.end]
    ending = [u for u in upstream if u.end <= period.end]
    latest = max((u.end for u in ending), default=None)
    return [u for u in ending if u.end == latest]
