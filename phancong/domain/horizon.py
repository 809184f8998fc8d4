"""Plans without an end date: the rolling horizon, and how a plan's period reads.

A directive "reported until revoked" (*đến khi có văn bản thay thế*, e.g. a Chỉ thị asking for
six-monthly and yearly reports) declares no ``period.end``. Its obligations cannot all be
created up front: the ledger holds those whose period starts before *today + horizon*, and
the nightly materialisation moves that line forward as days pass. A plan with an end is
materialised the way it always was (through the end of the next quarter).

Everything here is pure: "today" is always an argument.
"""

from __future__ import annotations

import calendar
import datetime as dt

from phancong.domain.plan import PlanPeriod

DEFAULT_HORIZON_MONTHS = 12
# the years of an open-ended plan enumerated when nobody names a bound (validation, samples)
OPEN_WINDOW_YEARS = 3


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months; the 31st of a shorter month is its last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def horizon_through(today: dt.date, months: int = DEFAULT_HORIZON_MONTHS) -> dt.date:
    """The last period start an open-ended plan is materialised for on ``today``: periods
    starting before ``today + months`` (so ``through`` is the day before that)."""
    if months < 1:
        raise ValueError("the horizon is at least one month")
    return add_months(today, months) - dt.timedelta(days=1)


def open_window_end(period: PlanPeriod, until: dt.date | None = None) -> dt.date:
    """The last day whose periods are enumerated: the plan's end; for a plan without one,
    ``until`` (the materialisation's bound) or the end of its first ``OPEN_WINDOW_YEARS``
    years."""
    if period.end is not None:
        return period.end
    if until is not None:
        return until
    return dt.date(period.start.year + OPEN_WINDOW_YEARS - 1, 12, 31)


def period_words(start: dt.date, end: dt.date | None, lang: str = "vi") -> str:
    """'01/01/2026–31/12/2030', or for a plan without an end 'từ 01/01/2026, đến khi có văn
    bản thay thế' ('from 01/01/2026, until revoked')."""
    if end is not None:
        return f"{start:%d/%m/%Y}–{end:%d/%m/%Y}"
    if lang == "en":
        return f"from {start:%d/%m/%Y}, until revoked"
    return f"từ {start:%d/%m/%Y}, đến khi có văn bản thay thế"


def plan_period_words(period: PlanPeriod, lang: str = "vi") -> str:
    return period_words(period.start, period.end, lang)


def years_words(period: PlanPeriod, lang: str = "vi") -> str:
    """'2026–2030', or '2026–…' for a plan without an end."""
    if period.end is not None:
        return f"{period.start:%Y}–{period.end:%Y}"
    return f"{period.start:%Y}–" + ("… (until revoked)" if lang == "en" else "…")
