"""Communes, wards and districts of a province, in the structure in force for the plan's dates.

From 1 July 2025 (the two-level structure: 34 provinces, 3,321 communes and wards, no
districts) they come from ``vietnam-provinces``; before it (63 provinces, their districts and
communes) from the dataset ``vietnamadminunits`` ships, with its old→new province mapping.
Both use the official codes (Hải Dương 30, Kon Tum 62, Quảng Ngãi 51).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sqlite3
from functools import lru_cache
from pathlib import Path

from vietnam_provinces import Province, ProvinceCode, Ward

from phancong.domain.agencies import REFORM_DAY, ProvinceWards
from phancong.domain.units import COMMUNE, Unit, WardsProblem

DISTRICT = "district"
LAST_OLD_DAY = REFORM_DAY - dt.timedelta(days=1)  # 30/06/2025


class UnknownProvince(WardsProblem):
    pass


def _dataset_dir() -> Path:
    # read the package's data files without importing it (its __init__ pulls in shapely)
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - a dependency
        raise RuntimeError("the vietnamadminunits package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@lru_cache(maxsize=1)
def _old_rows() -> tuple[tuple[str, ...], ...]:
    """(province code, province name, district code, district name, district key, ward code,
    ward name, ward key) of every commune before 1/7/2025."""
    with sqlite3.connect(f"file:{_dataset_dir() / 'dataset.db'}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT DISTINCT provinceCode, province, districtCode, district, districtKey,"
            " wardCode, ward, wardKey FROM admin_units_legacy"
        ).fetchall()
    return tuple(tuple("" if v is None else str(v) for v in row) for row in rows)


@lru_cache(maxsize=1)
def _merged_into() -> dict[int, tuple[int, str]]:
    """Old province code → (new province code, new province name), from the package's
    old→new mapping."""
    with sqlite3.connect(f"file:{_dataset_dir() / 'dataset.db'}?mode=ro", uri=True) as db:
        new = dict(db.execute("SELECT DISTINCT provinceKey, provinceCode || '|' || province"
                              " FROM admin_units").fetchall())
        old = dict(db.execute("SELECT DISTINCT provinceKey, provinceCode"
                              " FROM admin_units_legacy").fetchall())
    mapping = json.loads((_dataset_dir() / "converter_2025.json").read_text(encoding="utf-8"))
    out: dict[int, tuple[int, str]] = {}
    for new_key, old_keys in mapping["DICT_PROVINCE"].items():
        code, _, name = str(new[new_key]).partition("|")
        for old_key in old_keys:
            out[int(old[old_key])] = (int(code), name)
    return out


def _old_province_name(code: int) -> str | None:
    return next((r[1] for r in _old_rows() if int(r[0]) == code), None)


def _new_province_name(code: int) -> str | None:
    try:
        return str(Province.from_code(ProvinceCode(code)).name)
    except ValueError:
        return None


def _email(pattern: str | None, codename: str, code: int) -> tuple[str, ...]:
    return (pattern.format(codename=codename, code=code),) if pattern else ()


@lru_cache(maxsize=64)
def _new_wards(province_code: int, email_pattern: str | None) -> tuple[Unit, ...]:
    try:
        province = Province.from_code(ProvinceCode(province_code))
    except ValueError:
        raise _not_after_reform(province_code) from None
    units = []
    for ward in sorted(Ward.iter_by_province(province.code), key=lambda w: int(w.code)):
        units.append(
            Unit(
                id=f"ward-{int(ward.code):05d}",
                name=f"UBND {ward.name}",
                short=ward.name,
                kind=COMMUNE,
                emails=_email(email_pattern, ward.codename, int(ward.code)),
                valid_from=REFORM_DAY,
            )
        )
    return tuple(units)


@lru_cache(maxsize=64)
def _old_units(province_code: int, level: str, email_pattern: str | None) -> tuple[Unit, ...]:
    rows = [r for r in _old_rows() if int(r[0]) == province_code]
    if not rows:
        raise UnknownProvince(
            f"no province with code {province_code} before 1/7/2025 (the 63 provinces)",
            f"không có tỉnh, thành phố mã {province_code} trước ngày 01/07/2025 (63 tỉnh,"
            " thành phố)",
        )
    units: dict[str, Unit] = {}
    for _, _, district_code, district, district_key, ward_code, ward, ward_key in rows:
        if level == DISTRICT:
            code, name, key, kind = int(district_code), district, district_key, DISTRICT
            unit_id = f"old-district-{code:03d}"
        else:
            if not ward_code:
                continue  # an island district without communes
            code, name, key, kind = int(ward_code), ward, ward_key, COMMUNE
            unit_id = f"old-ward-{code:05d}"
        units.setdefault(unit_id, Unit(
            id=unit_id,
            name=f"UBND {name}",
            short=name,
            kind=kind,
            emails=_email(email_pattern, key, code),
            valid_to=LAST_OLD_DAY,
        ))
    return tuple(sorted(units.values(), key=lambda u: u.id))


def _not_after_reform(code: int) -> UnknownProvince:
    merged = _merged_into().get(code)
    old = _old_province_name(code)
    if merged is not None and old is not None:
        new_code, new_name = merged
        return UnknownProvince(
            f"province code {code} ({old}) is of the structure before 1/7/2025: on 1/7/2025"
            f" {old} merged into {new_name} ({new_code}); for dates from 1/7/2025 write"
            f" province_code: {new_code}, or end the group on 2025-06-30 (valid_to)",
            f"mã {code} ({old}) là mã trước ngày 01/07/2025: từ 01/07/2025 {old} đã hợp nhất"
            f" vào {new_name} (mã {new_code}); với thời gian từ 01/07/2025 ghi province_code:"
            f" {new_code}, hoặc cho nhóm kết thúc ngày 2025-06-30 (valid_to)",
        )
    return UnknownProvince(
        f"no province with code {code} (the 34 provinces from 1/7/2025)",
        f"không có tỉnh, thành phố mã {code} (34 tỉnh, thành phố từ 01/07/2025)",
    )


def wards_of(
    source: ProvinceWards, first: dt.date | None = None, last: dt.date | None = None
) -> tuple[Unit, ...]:
    """The units of ``source`` for a group living from ``first`` to ``last``: the structure
    before 1/7/2025 when it ends before then, the 2025 one when it starts on or after it (the
    default); a group living through 1/7/2025 is refused with the dates to split it at."""
    code, pattern = source.province_code, source.email_pattern
    old = last is not None and last < REFORM_DAY
    new = first is None or first >= REFORM_DAY
    if old:
        return _old_units(code, source.level, pattern)
    if new:
        if source.level == DISTRICT:
            raise UnknownProvince(
                "there are no districts from 1/7/2025 (two-level structure): declare the"
                " districts in a group ending on 2025-06-30 (valid_to) and the communes"
                " (level: commune) after it",
                "từ ngày 01/07/2025 không còn cấp huyện (chính quyền hai cấp): khai báo các"
                " huyện trong một nhóm kết thúc ngày 2025-06-30 (valid_to) và các xã, phường"
                " (level: commune) sau đó",
            )
        return _new_wards(code, pattern)
    assert first is not None
    assert last is not None
    name = _new_province_name(code) or _old_province_name(code) or str(code)
    what_vi, what_en = (
        ("các huyện", "districts") if source.level == DISTRICT else ("các xã, phường", "communes")
    )
    return_text_vi = (
        f"nhóm {what_vi} của mã {code} ({name}) kéo dài từ {first:%d/%m/%Y} đến"
        f" {last:%d/%m/%Y}, qua ngày 01/07/2025 khi đơn vị hành chính thay đổi: ghi valid_to:"
        " 2025-06-30 cho nhóm theo đơn vị cũ (63 tỉnh, có cấp huyện) và một nhóm valid_from:"
        " 2025-07-01 theo đơn vị mới (34 tỉnh)"
    )
    raise UnknownProvince(
        f"the {what_en} of code {code} ({name}) are asked from {first:%d/%m/%Y} to"
        f" {last:%d/%m/%Y}, through 1/7/2025 when the administrative units changed: give this"
        " group valid_to: 2025-06-30 (the 63 provinces, with districts) and declare another"
        " with valid_from: 2025-07-01 (the 34 provinces)",
        return_text_vi,
    )
