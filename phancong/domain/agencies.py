"""Who a plan names: its agencies and groups of units, the wards of a province a group expands
to, and the dates each exists (before and after the 2025 reform).

Part of the plan model (:mod:`phancong.domain.plan`, which holds the duties and the plan).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator, model_validator

from phancong.domain.cadence import (
    Frozen,
    Identifier,
)


class AgencyKind(StrEnum):
    POLICE = "police"
    DEPARTMENT = "department"
    MILITARY = "military"
    JUDICIAL = "judicial"
    FRONT = "front"
    MASS_ORGANISATION = "mass_organisation"
    COMMUNE = "commune"
    DISTRICT = "district"
    COMMITTEE = "committee"
    OTHER = "other"


REFORM_DAY = dt.date(2025, 7, 1)  # districts abolished, provinces merged (2025 reform)


class Dated(Frozen):
    """A unit or group that exists only between two dates, and who takes over after it."""

    valid_from: dt.date | None = Field(
        default=None, description="first day it exists (None: before the plan)"
    )
    valid_to: dt.date | None = Field(
        default=None, description="last day it exists (None: after the plan)"
    )
    successor: Identifier | None = Field(
        default=None,
        description="agency or group that takes over what falls due after valid_to",
    )

    @model_validator(mode="after")
    def _dates_ordered(self) -> Dated:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError(
                f"'valid_to' ({self.valid_to:%d/%m/%Y}) đứng trước 'valid_from' "
                f"({self.valid_from:%d/%m/%Y}) / 'valid_to' ({self.valid_to:%d/%m/%Y}) is before"
                f" 'valid_from' ({self.valid_from:%d/%m/%Y})"
            )
        if self.successor is not None and self.valid_to is None:
            raise ValueError(
                "'successor' chỉ có nghĩa khi có ngày kết thúc 'valid_to' / "
                "'successor' needs the day it ends, 'valid_to'"
            )
        return self

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class Agency(Dated):
    id: Identifier
    name: str = Field(min_length=2, description="Vietnamese name, with diacritics")
    short: str | None = None
    name_en: str | None = None
    kind: AgencyKind = AgencyKind.OTHER
    emails: tuple[str, ...] = ()
    parent: Identifier | None = None
    language: Literal["vi", "en"] = "vi"
    assumption: str | None = None  # e.g. where its validity dates come from

    @field_validator("emails")
    @classmethod
    def _emails_look_like_addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            local, at, domain = address.partition("@")
            if not (local and at and "." in domain) or " " in address:
                raise ValueError(
                    f"'{address}' không phải địa chỉ email / '{address}' is not an email address"
                )
        return value


class ProvinceWards(Frozen):
    """All communes and wards of one province (or, before 1/7/2025, all its districts).

    Which structure applies follows the dates of the group within the plan: the 63 provinces,
    their districts and communes before 1/7/2025 (``vietnamadminunits``), the 34 provinces
    and 3,321 communes from then on (``vietnam-provinces``).
    """

    province_code: int = Field(ge=1, le=99)
    level: Literal["commune", "district"] = Field(
        default="commune", description="'district': the districts (before 1/7/2025 only)"
    )
    email_pattern: str | None = Field(
        default=None, description="e.g. '{codename}@xaphuong.hanoi.example' — placeholders"
    )


class Group(Dated):
    """A named set of units, e.g. 'UBND các xã, phường' → 126 communes and wards.

    ``valid_from``/``valid_to`` bound what its members owe through it; ``successor`` takes
    over from each member after ``valid_to`` (e.g. the districts → the new communes)."""

    id: Identifier
    name: str = Field(min_length=2)
    name_en: str | None = None
    members: tuple[Identifier, ...] = ()
    wards_of: ProvinceWards | None = None
    assumption: str | None = None  # why these members: listed by `phancong plan assumptions`

    @model_validator(mode="after")
    def _has_a_source(self) -> Group:
        if not self.members and self.wards_of is None:
            raise ValueError(f"nhóm '{self.id}' trống: ghi 'members' hoặc 'wards_of' / "
                             f"group '{self.id}' is empty: give 'members' or 'wards_of'")
        return self
