"""National observances a plan asks to be held ("Triển khai «Tháng hành động vì trẻ em»"): each is
a yearly duty of its own, due when the observance ends.

The dates are the national calendar's (decisions of the Prime Minister and the laws that set
them), not any one plan's: they hold for every plan that names the observance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Observance:
    slug: str
    name: str
    pattern: str
    month: int
    day: int | None = None  # None: the whole month


OBSERVANCES = (
    Observance("thang-hanh-dong-vi-tre-em", "Tháng hành động vì trẻ em",
               r"Tháng hành động vì trẻ em", 6),
    Observance("ngay-toan-dan-pc-mua-ban-nguoi", "Ngày toàn dân phòng, chống mua bán người",
               r"Ngày toàn dân phòng,?\s+chống mua bán người", 7, 30),
    Observance("thang-hanh-dong-pc-ma-tuy", "Tháng hành động phòng, chống ma túy",
               r"Tháng hành động phòng,?\s+chống ma túy", 6),
    Observance("ngay-toan-dan-pc-ma-tuy", "Ngày toàn dân phòng, chống ma túy",
               r"Ngày toàn dân phòng,?\s+chống ma túy", 6, 26),
    Observance("thang-hanh-dong-pc-bao-luc-gia-dinh",
               "Tháng hành động quốc gia phòng, chống bạo lực gia đình",
               r"Tháng hành động quốc gia phòng,?\s+chống bạo lực gia đình", 6),
    Observance("ngay-gia-dinh-viet-nam", "Ngày Gia đình Việt Nam",
               r"Ngày Gia đình Việt Nam", 6, 28),
    Observance("ngay-phap-luat", "Ngày Pháp luật", r"Ngày Pháp luật", 11, 9),
    Observance("ngay-hoi-bv-an-ninh-to-quoc", "Ngày hội toàn dân bảo vệ an ninh Tổ quốc",
               r"Ngày hội toàn dân bảo vệ an ninh Tổ quốc", 8, 19),
)  # fmt: skip


def observances(text: str) -> list[tuple[Observance, str]]:
    """The observances ``text`` names, in order, each with the sentence that names it."""
    found = []
    for observance in OBSERVANCES:
        match = re.search(observance.pattern, text, re.IGNORECASE)
        if match is None:
            continue
        before = text.rfind(". ", 0, match.start())
        start = before + 2 if before != -1 else 0
        stop = text.find(". ", match.end())
        sentence = text[start : stop + 1 if stop != -1 else len(text)].strip()
        found.append((match.start(), observance, sentence))
    return [(o, sentence) for _, o, sentence in sorted(found, key=lambda f: f[0])]


def cadence(observance: Observance) -> dict[str, object]:
    """Yearly, due on the observance's day or the last day of its month."""
    return {"kind": "yearly", "deadline": {"day": observance.day or 31, "month": observance.month}}


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip


def when(observance: Observance) -> str:
    """'every June', 'on 30/7 every year' (for the draft's assumptions, which are in English)."""
    if observance.day is None:
        return f"every {_MONTHS[observance.month - 1]}"
    return f"on {observance.day}/{observance.month} every year"
