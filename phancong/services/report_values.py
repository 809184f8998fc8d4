"""What a submission reports, checked: its indicator values (numbers, counts, percentages,
yes/no in Vietnamese or English, within bounds) and its evidence link (http or https only).
The submit path is :mod:`phancong.services.submissions`."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlparse

from phancong.services.errors import Refused

_YES = {"1", "true", "yes", "có", "co", "đạt", "x"}


_NO = {"0", "false", "no", "không", "khong", "chưa"}


# no count, sum of money or number of people a plan tracks comes near; bounds every value
INDICATOR_MAX = 1e12


COUNT_LIMIT = INDICATOR_MAX


def indicator_value(meta: dict[str, Any], raw: Any) -> float:
    """One indicator value checked by the indicator's kind (see IndicatorKind)."""
    key = meta["id"]
    name = str(meta.get("name") or key)
    kind = str(meta.get("kind") or "value")
    if kind == "yes_no":
        if isinstance(raw, bool):
            return 1.0 if raw else 0.0
        text = str(raw).strip().lower()
        if isinstance(raw, int | float) and raw in (0, 1):
            return float(raw)
        if text in _YES:
            return 1.0
        if text in _NO:
            return 0.0
        raise Refused(
            f"Giá trị chỉ tiêu “{name}” chỉ nhận “có” hoặc “không”",
            f"Indicator '{key}' takes yes or no",
        )
    if isinstance(raw, bool):
        raise Refused(
            f"Giá trị chỉ tiêu “{name}” phải là số", f"Indicator '{key}' must be a number"
        )
    try:
        number = float(raw.strip()) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        raise Refused(
            f"Giá trị chỉ tiêu “{name}” phải là số", f"Indicator '{key}' must be a number"
        ) from None
    if not math.isfinite(number):
        raise Refused(f"Giá trị chỉ tiêu “{name}” không hợp lệ", f"Indicator '{key}' is not finite")
    if kind == "count" and (number < 0 or number != int(number) or number > COUNT_LIMIT):
        raise Refused(
            f"Giá trị chỉ tiêu “{name}” phải là số đếm: số nguyên không âm",
            f"Indicator '{key}' is a count: a whole number, not negative",
        )
    percent = kind == "percent" or (meta.get("unit") or "").strip() == "%"
    if percent and not 0 <= number <= 100:
        raise Refused(
            f"Giá trị chỉ tiêu “{name}” là tỷ lệ phần trăm của đơn vị: từ 0 đến 100",
            f"Indicator '{key}' is the unit's own percentage: 0 to 100",
        )
    if abs(number) > INDICATOR_MAX:  # the values are summed: no −1e300, no 1e308
        raise Refused(
            f"Giá trị chỉ tiêu “{name}” không hợp lệ: quá lớn (tối đa "
            f"{INDICATOR_MAX:,.0f})".replace(",", "."),
            f"Indicator '{name}' is invalid: larger than {INDICATOR_MAX:,.0f}",
        )
    return number + 0.0  # -0.0 becomes 0.0


def clean_indicators(
    indicators: list[dict[str, Any]], values: dict[str, Any] | None
) -> dict[str, float]:
    """The values of declared indicators, each checked by its kind and its unit: a count is a
    whole number from 0, a percentage (kind or unit '%') from 0 to 100, any value at most
    :data:`INDICATOR_MAX` in size."""
    declared = {i["id"]: i for i in indicators if isinstance(i, dict) and "id" in i}
    out: dict[str, float] = {}
    for key, raw in (values or {}).items():
        if key not in declared:
            raise Refused(
                f"Chỉ tiêu '{key}' không thuộc nhiệm vụ này",
                f"Indicator '{key}' is not declared for this duty",
            )
        if raw is None or raw == "":
            continue
        out[key] = indicator_value(declared[key], raw)
    return out


def clean_url(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 2000:
        raise Refused(
            "Đường dẫn minh chứng phải là địa chỉ http(s) hợp lệ",
            "The evidence link must be a valid http(s) URL",
        )
    return url
