"""Reading the plan's header sheet and the cadence cells of a row (helpers of the importer)."""

from __future__ import annotations

from typing import Any

from phancong.authoring import sheets as S
from phancong.authoring.workbook_cells import Reader, Row

Where = tuple[str, int, str, str]
ModelPath = tuple[str | int, ...]


def header(
    r: Reader, rows: list[Row], names: dict[str, str], where: dict[ModelPath, Where]
) -> tuple[dict[str, Any], dict[tuple[str, ...], Row]]:
    fields = dict(S.HEADER_FIELDS)
    found: dict[str, Row] = {}
    defaults: dict[str, Any] = {}
    paths: dict[tuple[str, ...], Row] = {}
    for row in rows:
        key = (r.text(row, "key", True) or "").strip()
        if key.casefold().startswith(S.DEFAULT_DEADLINE_PREFIX.strip()):
            kind = S.word_to_code(
                {k.value: v for k, v in S.CADENCE_WORDS.items()},
                key[len(S.DEFAULT_DEADLINE_PREFIX) :],
            )
            if kind is None:
                r.add(
                    row.where("key"),
                    f"chu kỳ không được biết trong '{key}'",
                    f"unknown cadence in '{key}'",
                )
                continue
            defaults[kind] = r.rule(row, "value")
            paths[("default_deadlines", kind)] = row
        elif key in fields:
            found[key] = row
        else:
            r.add(row.where("key"), f"trường không được biết '{key}'", f"unknown field '{key}'")
    header: dict[str, Any] = {}
    text_keys = ("id", "number", "title", "issuer", "timezone", "portal_email_domain")
    for key in text_keys:
        if key in found:
            header[key] = r.text(found[key], "value", key in ("id", "title", "issuer"))
    for key in ("standing_office", "steering_committee"):
        if key in found:
            header[key] = first(r.refs(found[key], "value", names, True))
    if "issued" in found:
        header["issued"] = r.date(found["issued"], "value")
    header["period"] = {
        "start": r.date(found["period_start"], "value", True) if "period_start" in found else None,
        # empty: until revoked (a directive with no end date)
        "end": r.date(found["period_end"], "value") if "period_end" in found else None,
    }
    if "holiday_policy" in found:
        header["holiday_policy"] = r.word(
            found["holiday_policy"],
            "value",
            {k.value: v for k, v in S.HOLIDAY_WORDS.items()},
            "cách xử lý ngày nghỉ",
            "holiday policy",
        )
    levels = {
        key.removeprefix(S.LEVEL_PREFIX): r.text(row, "value", True)
        for key, row in found.items()
        if key.startswith(S.LEVEL_PREFIX)
    }
    if levels:
        header["level_names"] = levels
    if "support_lead_days" in found:
        header["support_lead_days"] = r.integer(found["support_lead_days"], "value")
    header["default_deadlines"] = defaults
    for key, row in found.items():
        if key.startswith("period_"):
            paths[("period", key.removeprefix("period_"))] = row
        elif key.startswith(S.LEVEL_PREFIX):
            paths[("level_names", key.removeprefix(S.LEVEL_PREFIX))] = row
        else:
            paths[(key,)] = row
    if "period_start" in found:
        paths[("period",)] = found["period_start"]
    return header, paths


def cadence(r: Reader, row: Row, with_due: bool) -> dict[str, Any] | None:
    kind = r.word(
        row,
        "cadence",
        {k.value: v for k, v in S.CADENCE_WORDS.items()},
        "chu kỳ",
        "cadence",
        required=True,
    )
    if kind is None:
        return None
    cadence: dict[str, Any] = {
        "kind": kind,
        "only": r.numbers(row, "only"),
        "deadline": r.rule(row, "deadline"),
    }
    if with_due:  # a duty's cadence (a reporting-calendar entry has neither 'due' nor 'entries')
        cadence["due"] = r.date(row, "due")
        cadence["entries"] = S.split_list(r.text(row, "entries") or "")
        within = r.text(row, "within")
        if within is not None:
            fields = S.within_fields(within)
            if fields is None:
                r.add(
                    row.where("within"),
                    f"'{within}' không đọc được; viết dạng '3 ngày làm việc' hoặc '7 ngày lịch'",
                    f"'{within}' cannot be read; write e.g. '3 ngày làm việc' or '7 ngày lịch'",
                )
            else:
                cadence.update(fields)
    return cadence


def cadence_paths(base: ModelPath, row: Row, where: dict[ModelPath, Where]) -> None:
    for key in ("due", "only", "deadline", "entries"):
        where[(*base, key)] = row.where(key)
    where[(*base, "within")] = where[(*base, "day_count")] = row.where("within")


def first(items: list[str]) -> str | None:
    return items[0] if items else None
