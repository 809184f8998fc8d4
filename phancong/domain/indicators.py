"""Adding the units' indicator values up, by the indicator's kind (see ``IndicatorKind``).

* ``yes_no``: each unit answers 1 (yes) or 0 (no); the plan's figure is the share of the units
  that owe the duty and answered yes, in percent — a unit that did not answer is not a yes
  (the "100% of wards" targets count every ward).
* ``count``: the sum over the units.
* ``percent``: each unit's own percentage, averaged; with ``weight`` (a count indicator of the
  same duty) each unit's percentage weighs as much as its count — Σ pᵢ·wᵢ / Σ wᵢ over the units
  that gave both — otherwise every unit weighs the same.
* ``value``: reported as is; nothing is added up, the values are listed per unit.

Pure: values in, figures out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Aggregate:
    indicator: str
    kind: str
    value: float | None  # the plan's figure (None for 'value', or when nothing was reported)
    reports: int  # units that gave a value
    units: int  # units that owe the duty in the period
    yes: int = 0  # yes_no: units that answered yes
    weight_total: float | None = None  # percent with weight: Σ wᵢ used
    per_unit: tuple[tuple[str, float], ...] = ()  # (unit, value) of every report

    def met(self, target: float | None) -> bool | None:
        """Whether the figure reaches ``target`` (None when there is nothing to compare)."""
        if target is None or self.value is None or self.kind == "value":
            return None
        return self.value >= target


def aggregate(
    indicator: Mapping[str, Any], reports: Mapping[str, Mapping[str, float]], units: int
) -> Aggregate:
    """The plan's figure for ``indicator`` from ``reports`` (unit → that unit's values) of the
    ``units`` units that owe it."""
    key = str(indicator["id"])
    kind = str(indicator.get("kind") or "value")
    given = sorted((unit, float(values[key])) for unit, values in reports.items() if key in values)
    count = len(given)
    if kind == "yes_no":
        yes = sum(1 for _, v in given if v >= 1)
        share = 100.0 * yes / units if units else None
        return Aggregate(key, kind, share, count, units, yes=yes, per_unit=tuple(given))
    if kind == "count":
        total = sum(v for _, v in given) if given else None
        return Aggregate(key, kind, total, count, units, per_unit=tuple(given))
    if kind == "percent":
        weight = indicator.get("weight")
        if weight:
            pairs = [
                (float(reports[u][key]), float(reports[u][weight]))
                for u, _ in given
                if weight in reports[u]
            ]
            weights = sum(w for _, w in pairs)
            mean = sum(p * w for p, w in pairs) / weights if weights > 0 else None
            return Aggregate(
                key, kind, mean, count, units, weight_total=weights, per_unit=tuple(given)
            )
        mean = sum(v for _, v in given) / count if count else None
        return Aggregate(key, kind, mean, count, units, per_unit=tuple(given))
    return Aggregate(key, kind, None, count, units, per_unit=tuple(given))
