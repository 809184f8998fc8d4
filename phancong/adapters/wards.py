"""Communes and wards from the ``vietnam-provinces`` package (2025 two-level structure)."""

from __future__ import annotations

from functools import lru_cache

from vietnam_provinces import Province, ProvinceCode, Ward

from phancong.domain.plan import ProvinceWards
from phancong.domain.units import COMMUNE, Unit


class UnknownProvince(ValueError):
    pass


@lru_cache(maxsize=64)
def _wards(province_code: int, email_pattern: str | None) -> tuple[Unit, ...]:
    try:
        province = Province.from_code(ProvinceCode(province_code))
    except ValueError:
        raise UnknownProvince(f"no province with code {province_code}") from None
    units = []
    for ward in sorted(Ward.iter_by_province(province.code), key=lambda w: int(w.code)):
        emails = (
            (email_pattern.format(codename=ward.codename, code=int(ward.code)),)
            if email_pattern
            else ()
        )
        units.append(
            Unit(
                id=f"ward-{int(ward.code):05d}",
                name=f"UBND {ward.name}",
                short=ward.name,
                kind=COMMUNE,
                emails=emails,
            )
        )
    return tuple(units)


def wards_of(source: ProvinceWards) -> tuple[Unit, ...]:
    return _wards(source.province_code, source.email_pattern)
