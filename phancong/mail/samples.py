"""Realistic sample notices built from a declared plan (real duties and agencies, no database).

Used by ``phancong mail preview`` so the wording can be read before anything is sent.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from phancong.adapters.loader import directory
from phancong.domain.agencies import AgencyKind
from phancong.domain.cadence import DayCount
from phancong.domain.calendar import duty_occurrences, shift_days
from phancong.domain.plan import Duty, Plan
from phancong.domain.units import Directory, Unit
from phancong.services.notices import Level, Notice, NoticeItem, NoticeKind

SAMPLE_PORTAL = "http://127.0.0.1:8000"


def _owned(plan: Plan, units: Directory, unit_id: str) -> list[Duty]:
    """Duties a unit owns (lead or requested owner), directly or through a group, in plan order."""
    out = []
    for duty in plan.duties:
        refs = (*duty.lead, *duty.requested)
        if any(unit_id in units.expand(ref) for ref in refs) and duty_occurrences(plan, duty):
            out.append(duty)
    return out


def _role(duty: Duty, unit_id: str, units: Directory) -> str:
    if any(unit_id in units.expand(ref) for ref in duty.lead):
        return duty.owner_role.value
    return "requested"


def _agencies(plan: Plan, units: Directory) -> list[Unit]:
    """Agencies that own duties: departments first, most duties first (committees left out)."""
    skip = {plan.plan.standing_office, plan.plan.steering_committee}
    found = []
    for agency in plan.agencies:
        if agency.id in skip or agency.kind is AgencyKind.COMMITTEE:
            continue
        count = len(_owned(plan, units, agency.id))
        if count:
            department = agency.kind is AgencyKind.DEPARTMENT
            found.append((not department, -count, agency.id, units.units[agency.id]))
    return [f[-1] for f in sorted(found, key=lambda f: f[:3])]


class _Builder:
    def __init__(self, plan: Plan, portal_url: str) -> None:
        self.plan = plan
        self.units = directory(plan)
        self.portal_url = portal_url
        self.next_id = 1001

    def item(self, duty: Duty, unit: Unit, level: str, day: dt.date, *,
             waiting: tuple[str, ...] = (), blocked_by: tuple[str, ...] = ()) -> NoticeItem:
        due = duty_occurrences(self.plan, duty)[0]
        self.next_id += 1
        return NoticeItem(
            obligation_id=self.next_id, level=level, duty_code=duty.id, duty_title=duty.title,
            source=duty.source, unit_code=unit.id, unit_name=unit.name,
            role=_role(duty, unit.id, self.units), period_label=due.period.label,
            deadline=due.effective, original_deadline=due.effective,
            days_late=(day - due.effective).days, waiting=waiting, blocked_by=blocked_by,
        )

    def dependents(self, duty: Duty) -> list[tuple[Duty, Unit]]:
        """Duties (and their owners) that wait on ``duty``."""
        found: list[tuple[Duty, Unit]] = []
        for other in self.plan.duties:
            if duty.id in other.depends_on:
                for ref in other.lead:
                    found.extend((other, self.units.units[u]) for u in self.units.expand(ref)[:1])
        return found

    def urge(self, duty: Duty, owner: Unit, day: dt.date) -> list[NoticeItem]:
        """The sweep's items for the owner of ``duty``: the duties held up waiting for it."""
        items = [self.item(other, unit, "blocker", day, waiting=(unit.name,))
                 for other, unit in self.dependents(duty)]
        return [i for i in items if i.days_late > 0]


def sample_notice(kind: NoticeKind | str, plan: Plan, *, lang: str = "vi",
                  portal_url: str = SAMPLE_PORTAL, review: str = "returned") -> Notice:
    """A notice of ``kind`` as the sweep would build it for this plan, at a fitting date."""
    kind = NoticeKind(kind)
    b = _Builder(plan, portal_url)
    agencies = _agencies(plan, b.units)
    owner = agencies[0]
    owned = _owned(plan, b.units, owner.id)
    first = duty_occurrences(plan, owned[0])[0].effective
    tz = ZoneInfo(plan.plan.timezone)
    offsets = {
        NoticeKind.REMINDER: -plan.ladder.reminder_before,
        NoticeKind.OVERDUE: plan.ladder.overdue_notice_after,
        NoticeKind.BLOCKER: plan.ladder.overdue_notice_after,
        NoticeKind.STANDING_OFFICE: plan.ladder.standing_office_after,
        NoticeKind.STEERING_COMMITTEE: plan.ladder.steering_committee_after,
        NoticeKind.DIGEST: plan.ladder.standing_office_after + 2,
        NoticeKind.REVIEW: 2,
    }
    count = plan.ladder.day_count if kind is not NoticeKind.REVIEW else DayCount.CALENDAR
    day = shift_days(first, offsets[kind], count)
    recipient = owner
    items: list[NoticeItem] = []
    summary: dict[str, int] = {}
    waited_on = next((d for d in plan.duties if b.dependents(d) and d in owned), None)
    if kind is NoticeKind.BLOCKER and waited_on is not None:
        # the duty that waits is late only after its own deadline (a consolidation is due some
        # working days after its inputs): the sweep urges the upstream owner from then on
        waiting_due = min(duty_occurrences(plan, other)[0].effective
                          for other, _ in b.dependents(waited_on))
        day = max(day, shift_days(waiting_due, plan.ladder.overdue_notice_after, count))
    as_of = dt.datetime.combine(day, dt.time(8, 0), tz).astimezone(dt.UTC)

    if kind is NoticeKind.REMINDER:
        items = [b.item(d, owner, Level.REMINDER.value, day) for d in owned[:3]]
    elif kind is NoticeKind.OVERDUE:
        plain = [d for d in owned if d is not waited_on]
        items = [b.item(d, owner, Level.OVERDUE.value, day) for d in plain[:2]]
        if waited_on is not None:
            items.extend(b.urge(waited_on, owner, day))
    elif kind is NoticeKind.BLOCKER:
        if waited_on is not None:
            items = b.urge(waited_on, owner, day)
        else:  # a plan without dependencies: show the shape anyway
            other = agencies[-1]
            items = [b.item(_owned(plan, b.units, other.id)[0], other, "blocker", day,
                            waiting=(other.name,))]
    elif kind in (NoticeKind.STANDING_OFFICE, NoticeKind.STEERING_COMMITTEE, NoticeKind.DIGEST):
        level = {NoticeKind.STANDING_OFFICE: Level.STANDING_OFFICE.value,
                 NoticeKind.STEERING_COMMITTEE: Level.STEERING_COMMITTEE.value,
                 NoticeKind.DIGEST: Level.OVERDUE.value}[kind]
        shares = (3, 2, 1, 1) if kind is not NoticeKind.STEERING_COMMITTEE else (2, 1)
        for unit, share in zip(agencies[1:], shares, strict=False):
            duties = _owned(plan, b.units, unit.id)[:share]
            items.extend(b.item(d, unit, level, day) for d in duties)
        office = (plan.plan.steering_committee if kind is NoticeKind.STEERING_COMMITTEE
                  else plan.plan.standing_office)
        recipient = b.units.units[office]
        if kind is NoticeKind.DIGEST:
            total = len([a for a in b.units.assignments() if a.role.value != "support"])
            overdue = len(items)
            summary = {"total": total, "overdue": overdue,
                       "units_with_overdue": len({i.unit_code for i in items}),
                       "on_time_pct": 62, "completed_on_time": total * 5 // 10,
                       "completed_late": total // 10, "submitted": total // 20,
                       "in_progress": total - total * 5 // 10 - total // 10 - total // 20 - overdue}
    else:  # REVIEW
        items = [b.item(owned[0], owner, "review", day)]
        summary = {"on_time": 0} if review == "accepted" else {}

    reason = None
    if kind is NoticeKind.REVIEW and review == "returned":
        reason = ("Báo cáo chưa có số liệu các chỉ tiêu của kỳ báo cáo; đề nghị bổ sung số liệu"
                  " và tài liệu minh chứng." if lang == "vi" else
                  "The report gives no figures for the period's indicators; please add them"
                  " and the supporting documents.")
    return Notice(
        kind=kind, plan_id=plan.id, plan_title=plan.plan.title, as_of=as_of, language=lang,
        recipient_code=recipient.id, recipient_name=recipient.name,
        recipients=recipient.emails, items=tuple(items), portal_url=portal_url,
        review=review if kind is NoticeKind.REVIEW else None, reason=reason, summary=summary,
    )
