"""Units: the concrete bodies obligations are owed by, after groups are expanded."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from phancong.domain.plan import Agency, AgencyKind, Plan, ProvinceWards, Role


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
        )


WardSource = Callable[[ProvinceWards], Sequence[Unit]]


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


class Directory:
    """Resolves agency and group references of a plan into units."""

    def __init__(self, plan: Plan, wards: WardSource) -> None:
        self.plan = plan
        self.units: dict[str, Unit] = {a.id: Unit.of(a) for a in plan.agencies}
        self.groups = {g.id: g for g in plan.groups}
        self._expanded: dict[str, tuple[str, ...]] = {}
        self._wards = wards

    def expand(self, ref: str, _trail: tuple[str, ...] = ()) -> tuple[str, ...]:
        """Unit ids a reference stands for (an agency stands for itself)."""
        if ref in self.units and ref not in self.groups:
            return (ref,)
        if ref in self._expanded:
            return self._expanded[ref]
        group = self.groups.get(ref)
        if group is None:
            raise UnknownReference(ref)
        if ref in _trail:
            raise GroupCycle(" → ".join((*_trail, ref)))
        ids: list[str] = []
        if group.wards_of is not None:
            for unit in self._wards(group.wards_of):
                self.units.setdefault(unit.id, unit)
                ids.append(unit.id)
        for member in group.members:
            ids.extend(self.expand(member, (*_trail, ref)))
        unique = tuple(dict.fromkeys(ids))
        self._expanded[ref] = unique
        return unique

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
                    via = ref if ref in self.groups else None
                    for unit_id in self.expand(ref):
                        # a unit keeps its strongest role in a duty (lead > requested > support)
                        out.setdefault((duty.id, unit_id), Assignment(duty.id, unit_id, role, via))
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

