"""Units: the concrete bodies obligations are owed by, after groups are expanded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from phancong.domain.agencies import Agency, AgencyKind, ProvinceWards
from phancong.domain.plan import Plan, Role

Window = tuple[dt.date | None, dt.date | None]  # first and last day a unit owes (None: open)
ALWAYS: Window = (None, None)


def within(window: Window, day: dt.date) -> bool:
    first, last = window
    return (first is None or first <= day) and (last is None or day <= last)


def meet(a: Window, b: Window) -> Window | None:
    """The days two windows share, or None."""
    firsts = [d for d in (a[0], b[0]) if d is not None]
    lasts = [d for d in (a[1], b[1]) if d is not None]
    first, last = (max(firsts) if firsts else None), (min(lasts) if lasts else None)
    if first is not None and last is not None and last < first:
        return None
    return first, last


def join(a: Window, b: Window) -> Window:
    """The smallest window holding both."""
    first = None if a[0] is None or b[0] is None else min(a[0], b[0])
    last = None if a[1] is None or b[1] is None else max(a[1], b[1])
    return first, last


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    kind: str
    short: str | None = None
    emails: tuple[str, ...] = ()
    parent: str | None = None
    groups: tuple[str, ...] = field(default=(), compare=False)
    language: str = "vi"
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    successor: str | None = None

    @property
    def window(self) -> Window:
        return self.valid_from, self.valid_to

    @staticmethod
    def of(agency: Agency) -> Unit:
        return Unit(
            id=agency.id,
            name=agency.name,
            kind=agency.kind.value,
            short=agency.short,
            emails=agency.emails,
            parent=agency.parent,
            language=agency.language,
            valid_from=agency.valid_from,
            valid_to=agency.valid_to,
            successor=agency.successor,
        )


class WardSource(Protocol):
    """The communes (or districts) of a province for a group living from ``first`` to
    ``last``: the structure in force over those days."""

    def __call__(
        self, source: ProvinceWards, first: dt.date | None = None, last: dt.date | None = None
    ) -> Sequence[Unit]: ...


class WardsProblem(ValueError):
    """A ``wards_of`` that names no province of the structure in force (both languages)."""

    def __init__(self, en: str, vi: str) -> None:
        super().__init__(vi)
        self.en, self.vi = en, vi


class UnknownReference(KeyError):
    pass


class GroupCycle(ValueError):
    pass


@dataclass(frozen=True)
class Assignment:
    """One unit's part in one duty."""

    duty_id: str
    unit_id: str
    role: Role
    via_group: str | None
    window: Window = ALWAYS  # the days the unit owes this duty (its own and its group's)
    successor: str | None = None  # who owes in its place after the window



class Directory:
    """Resolves agency and group references of a plan into units."""

    def __init__(self, plan: Plan, wards: WardSource) -> None:
        self.plan = plan
        self.units: dict[str, Unit] = {a.id: Unit.of(a) for a in plan.agencies}
        self.groups = {g.id: g for g in plan.groups}
        self._dated: dict[str, dict[str, Window]] = {}
        self._wards = wards

    def expand(self, ref: str, _trail: tuple[str, ...] = ()) -> tuple[str, ...]:
        """Unit ids a reference stands for (an agency stands for itself)."""
        return tuple(self.dated(ref, _trail))

    def dated(self, ref: str, _trail: tuple[str, ...] = ()) -> dict[str, Window]:
        """Unit ids a reference stands for, each with the days it is a member: its own
        validity met with that of every group on the way."""
        if ref in self.units and ref not in self.groups:
            return {ref: self.units[ref].window}
        if ref in self._dated:
            return self._dated[ref]
        group = self.groups.get(ref)
        if group is None:
            raise UnknownReference(ref)
        if ref in _trail:
            raise GroupCycle(" → ".join((*_trail, ref)))
        own: Window = (group.valid_from, group.valid_to)
        out: dict[str, Window] = {}

        def add(unit_id: str, window: Window) -> None:
            shared = meet(window, own)
            if shared is not None:
                out[unit_id] = join(out[unit_id], shared) if unit_id in out else shared

        if group.wards_of is not None:
            period = self.plan.plan.period
            life = meet((period.start, period.end), own) or (period.start, period.end)
            for unit in self._wards(group.wards_of, life[0], life[1]):
                self.units.setdefault(unit.id, unit)
                add(unit.id, unit.window)
        for member in group.members:
            for unit_id, window in self.dated(member, (*_trail, ref)).items():
                add(unit_id, window)
        self._dated[ref] = out
        return out

    def owing(self, assignment: Assignment, day: dt.date, _depth: int = 0) -> tuple[str, ...]:
        """Who owes an obligation of ``assignment`` due on ``day``: the unit itself within its
        window; after it, its successor (each successor unit valid that day, followed on);
        before it, nobody."""
        if within(assignment.window, day):
            return (assignment.unit_id,)
        last = assignment.window[1]
        if assignment.successor is None or last is None or day <= last or _depth > 8:
            return ()
        found: list[str] = []
        for unit_id, window in self.dated(assignment.successor).items():
            unit = self.units[unit_id]
            step = Assignment(assignment.duty_id, unit_id, assignment.role, None, window,
                              unit.successor)
            found.extend(self.owing(step, day, _depth + 1))
        return tuple(dict.fromkeys(found))

    def assignments(self) -> list[Assignment]:
        """Every (duty, unit, role): owners, supporting units and requested bodies."""
        out: dict[tuple[str, str], Assignment] = {}
        for duty in self.plan.duties:
            roles = (
                (duty.lead, duty.owner_role),
                (duty.requested, Role.REQUESTED),
                (duty.supporting, Role.SUPPORT),
            )
            for refs, role in roles:
                for ref in refs:
                    via = self.groups.get(ref)
                    for unit_id, window in self.dated(ref).items():
                        successor = self.units[unit_id].successor or (
                            via.successor if via is not None else None
                        )
                        # a unit keeps its strongest role in a duty (lead > requested > support)
                        out.setdefault(
                            (duty.id, unit_id),
                            Assignment(duty.id, unit_id, role, via.id if via else None, window,
                                       successor),
                        )
        return list(out.values())

    def all_units(self) -> list[Unit]:
        for group_id in self.groups:
            self.expand(group_id)
        return list(self.units.values())


COMMUNE = AgencyKind.COMMUNE.value


PLACEHOLDER_DOMAIN = "example"  # the plans ship addresses under *.example (RFC 2606)


def is_placeholder(email: str) -> bool:
    """Whether an address is one of the plan files' placeholders (``…@….example``)."""
    domain = email.rpartition("@")[2].strip().lower().rstrip(".")
    return domain == PLACEHOLDER_DOMAIN or domain.endswith("." + PLACEHOLDER_DOMAIN)


def on_placeholder(emails: Sequence[str]) -> bool:
    """A unit whose mail reaches no one: no address, or placeholders only."""
    return not any(not is_placeholder(e) for e in emails)

