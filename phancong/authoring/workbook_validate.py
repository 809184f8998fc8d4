"""The plan read from a workbook, checked: the model's and the cross-reference checks' problems,
each named at the sheet, row and column it comes from (helpers of the importer)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from phancong.adapters.wards import UnknownProvince, wards_of
from phancong.authoring import sheets as S
from phancong.authoring.problems import (
    CellProblem,
    WorkbookError,
    field_of,
    translate_check,
    translate_pydantic,
)
from phancong.authoring.workbook_sheets import ModelPath, Where
from phancong.domain.plan import Plan
from phancong.domain.validate import check


def weighted_indicator(data: dict[str, Any], path: ModelPath, message: str) -> ModelPath:
    """A duty's check of an indicator's weight is named at that indicator's weight cell."""
    match = re.match(r"indicator '(.+?)' is weighted by", message)
    if match is None or len(path) != 2 or path[0] != "duties" or not isinstance(path[1], int):
        return path
    for j, indicator in enumerate(data["duties"][path[1]].get("indicators", [])):
        if indicator.get("id") == match[1]:
            return (*path, "indicators", j, "weight")
    return path


def drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_none(v) for v in value]
    return value


def locate(where: dict[ModelPath, Where], path: ModelPath) -> Where:
    for end in range(len(path), 0, -1):
        found = where.get(tuple(path[:end]))
        if found is not None:
            return found
    return (S.HEADER, 0, "", "")


def validate_located(data: dict[str, Any], where: dict[ModelPath, Where]) -> Plan:
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            vi, en = translate_pydantic(dict(error))
            path = tuple(error["loc"])
            key = field_of(en) if error["type"] == "value_error" else None
            if key is not None and (*path, key) in where:
                path = (*path, key)
            path = weighted_indicator(data, path, en)
            problems.append(CellProblem(*locate(where, path), vi=vi, en=en))
        raise WorkbookError(problems) from None
    try:
        found = check(plan, wards_of)
    except UnknownProvince as exc:
        raise WorkbookError(
            [CellProblem(*locate(where, ("groups",)), vi=translate_check(str(exc)), en=str(exc))]
        ) from None
    if found:
        raise WorkbookError(
            [
                CellProblem(
                    *locate(where, p.path), vi=translate_check(p.message, p.vi), en=p.message
                )
                for p in found
            ]
        )
    return plan
