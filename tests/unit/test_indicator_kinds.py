"""Indicator aggregation per kind, against totals computed by hand, and the kinds' checks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from phancong.domain.indicators import aggregate
from phancong.domain.plan import Duty, Indicator
from phancong.services.errors import Refused
from phancong.services.report_values import clean_indicators

pytestmark = pytest.mark.unit

# five wards owe the duty; four reported (w5 did not)
REPORTS = {
    "w1": {"mo-hinh": 1.0, "so-buoi": 12.0, "so-tin": 10.0, "ty-le": 100.0, "kinh-phi": 5.5},
    "w2": {"mo-hinh": 0.0, "so-buoi": 3.0, "so-tin": 30.0, "ty-le": 80.0},
    "w3": {"mo-hinh": 1.0, "so-buoi": 0.0, "ty-le": 50.0, "kinh-phi": -2.0},
    "w4": {"mo-hinh": 1.0, "so-buoi": 7.0, "so-tin": 60.0, "ty-le": 90.0},
}


def test_yes_no_is_the_share_of_all_units_owing_it() -> None:
    result = aggregate({"id": "mo-hinh", "kind": "yes_no"}, REPORTS, units=5)
    # 3 yes (w1, w3, w4) of 5 units; w2 said no, w5 did not answer: 3/5 = 60 %
    assert result.value == pytest.approx(60.0)
    assert (result.yes, result.reports, result.units) == (3, 4, 5)
    assert result.met(100) is False
    assert aggregate({"id": "mo-hinh", "kind": "yes_no"}, {}, units=0).value is None


def test_count_is_summed() -> None:
    result = aggregate({"id": "so-buoi", "kind": "count"}, REPORTS, units=5)
    assert result.value == 22.0  # 12 + 3 + 0 + 7
    assert result.reports == 4
    assert result.met(20) is True


def test_percent_plain_mean() -> None:
    result = aggregate({"id": "ty-le", "kind": "percent"}, REPORTS, units=5)
    assert result.value == pytest.approx((100 + 80 + 50 + 90) / 4)  # 80.0


def test_percent_weighted_by_a_count() -> None:
    result = aggregate({"id": "ty-le", "kind": "percent", "weight": "so-tin"}, REPORTS, units=5)
    # w3 gave no weight and is left out: (100·10 + 80·30 + 90·60) / (10 + 30 + 60) = 8800/100
    assert result.value == pytest.approx(88.0)
    assert result.weight_total == 100.0
    assert result.met(95) is False
    zero = aggregate(
        {"id": "ty-le", "kind": "percent", "weight": "w"}, {"a": {"ty-le": 50.0, "w": 0.0}}, 1
    )
    assert zero.value is None  # no weight at all: no figure rather than a division by zero


def test_value_is_listed_not_added() -> None:
    result = aggregate({"id": "kinh-phi", "kind": "value"}, REPORTS, units=5)
    assert result.value is None
    assert result.per_unit == (("w1", 5.5), ("w3", -2.0))
    assert result.met(1) is None


def test_kind_defaults_to_value_for_old_declarations() -> None:
    assert aggregate({"id": "kinh-phi"}, REPORTS, units=5).kind == "value"


DECLARED = [
    {"id": "mo-hinh", "name": "Có mô hình", "kind": "yes_no"},
    {"id": "so-buoi", "name": "Số buổi", "kind": "count"},
    {"id": "ty-le", "name": "Tỷ lệ", "kind": "percent"},
    {"id": "kinh-phi", "name": "Kinh phí", "kind": "value"},
]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"mo-hinh": True}, {"mo-hinh": 1.0}),
        ({"mo-hinh": "có"}, {"mo-hinh": 1.0}),
        ({"mo-hinh": "0"}, {"mo-hinh": 0.0}),
        ({"mo-hinh": 1}, {"mo-hinh": 1.0}),
        ({"so-buoi": "12"}, {"so-buoi": 12.0}),
        ({"so-buoi": 0}, {"so-buoi": 0.0}),
        ({"ty-le": 0}, {"ty-le": 0.0}),
        ({"ty-le": "99.5"}, {"ty-le": 99.5}),
        ({"kinh-phi": -3.25}, {"kinh-phi": -3.25}),
    ],
)
def test_values_accepted_by_kind(values: dict[str, object], expected: dict[str, float]) -> None:
    assert clean_indicators(DECLARED, values) == expected


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"mo-hinh": 2}, "“có” hoặc “không”"),
        ({"mo-hinh": "có thể"}, "“có” hoặc “không”"),
        ({"so-buoi": -1}, "số nguyên không âm"),
        ({"so-buoi": 1.5}, "số nguyên không âm"),
        ({"so-buoi": True}, "phải là số"),
        ({"ty-le": 100.01}, "từ 0 đến 100"),
        ({"ty-le": -1}, "từ 0 đến 100"),
        ({"kinh-phi": "nan"}, "không hợp lệ"),
        ({"kinh-phi": "mười"}, "phải là số"),
    ],
)
def test_values_refused_by_kind(values: dict[str, object], message: str) -> None:
    with pytest.raises(Refused, match=message):
        clean_indicators(DECLARED, values)


def test_declaration_checks() -> None:
    with pytest.raises(ValidationError, match="only to a 'percent'"):
        Indicator(id="x", name="x", kind="count", weight="y")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="percentage 0–100"):
        Indicator(id="x", name="x", kind="yes_no", target=120)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="not a 'count' indicator"):
        Duty.model_validate(
            {
                "id": "d",
                "title": "Nhiệm vụ",
                "text": "Nội dung",
                "source": "IV.1",
                "lead": ["a"],
                "cadence": {"kind": "periodic"},
                "indicators": [
                    {"id": "p", "name": "p", "kind": "percent", "weight": "v"},
                    {"id": "v", "name": "v", "kind": "value"},
                ],
            }
        )
