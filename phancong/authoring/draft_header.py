"""What a plan's header and reporting clauses say: number, date, issuer, title, period, province,
Standing Office, reporting calendar, and the cadence a duty's own words give."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from vietnam_provinces import Province

from phancong.authoring import draft_bodies as B

_YEARLY = r"(?:hằng|hàng)\s+năm"


@dataclass
class Header:
    number: str | None = None
    issued: dt.date | None = None
    issuer: str = "(cần điền cơ quan ban hành)"
    title: str = "Kế hoạch (cần điền tên)"
    start: dt.date = dt.date(dt.date.today().year, 1, 1)
    end: dt.date | None = dt.date(dt.date.today().year, 12, 31)  # None: until revoked
    province_code: int | None = None
    province_name: str | None = None
    level: str = "tỉnh"
    notes: list[str] = field(default_factory=list)  # assumptions about the header


@lru_cache(maxsize=1)
def _provinces() -> tuple[tuple[int, str, str], ...]:
    out = []
    for province in Province.iter_all():
        plain = re.sub(r"^(?:Thành phố|Tỉnh)\s+", "", province.name)
        out.append((int(province.code), province.name, plain))
    return tuple(out)


def find_province(text: str) -> tuple[int, str] | None:
    for code, name, plain in _provinces():
        if re.search(rf"(?<!\w){re.escape(plain)}(?!\w)", text):
            return code, name
    return None


def read_header(paragraphs: list[str]) -> Header:
    h = Header()
    head = paragraphs[:15]
    for text in head:
        if h.number is None and (
            m := re.match(r"^Số\s*:\s*(\d+)\s*/\s*([A-ZĐa-z0-9][\w\-/]*)", text)
        ):
            h.number = f"{m[1]}/{m[2]}"
        if h.issued is None and (
            m := re.search(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", text)
        ):
            h.issued = dt.date(int(m[3]), int(m[2]), int(m[1]))
    title_at = next((i for i, t in enumerate(head) if re.fullmatch(r"KẾ HOẠCH", t.strip())), None)
    if title_at is not None and title_at + 1 < len(paragraphs):
        title = paragraphs[title_at + 1]
        follow = paragraphs[title_at + 2] if title_at + 2 < len(paragraphs) else ""
        if re.match(r"^\(\s*[Gg]iai đoạn", follow):
            title += " " + follow
        h.title = "Kế hoạch " + title[0].lower() + title[1:]
    else:
        h.notes.append(
            "No line 'KẾ HOẠCH' followed by the title was found: the title is to be filled in."
        )
    opening = []
    for text in paragraphs[:40]:
        if re.match(r"^[IVX]+\.\s", text):
            break
        opening.append(text)
    body = "\n".join(opening)
    found = list(
        re.finditer(
            r"((?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân|Công an|Sở|Bộ|Ban Chỉ đạo)"
            r"[^,.;:\n]{0,40}?)\s+(?:đã\s+)?(?:ban hành|xây dựng)\s+(?:Kế hoạch|kế hoạch)"
            r"(?P<rest>[^\n]{0,60})",
            body,
        )
    )
    own = [f for f in found if "như sau" in f["rest"]]
    m = (own or found)[-1] if (own or found) else None
    province = find_province(h.title) or find_province(body)
    if province is not None:
        h.province_code, h.province_name = province
        if h.province_name.startswith("Thành phố"):
            h.level = "Thành phố"
    if m is not None:
        h.issuer = " ".join(m[1].split())
        if re.search(r"(?:Thành phố|tỉnh)$", h.issuer) and province is not None:
            place = re.sub(r"^(?:Thành phố|Tỉnh)\s+", "", province[1])
            h.notes.append(
                f"Issuer '{h.issuer}' is read as '{h.issuer} {place}' (the plan's province)."
            )
            h.issuer = f"{h.issuer} {place}"
        if re.search(r"\bThành phố\b", h.issuer):
            h.level = "Thành phố"
    else:
        h.notes.append("The issuer was not found in the opening paragraphs: to be filled in.")
    _period(h, paragraphs)
    return h


_UNTIL_REVOKED = re.compile(
    r"(?:cho\s+)?đến khi có văn bản\s+(?:thay thế|mới|sửa đổi|bãi bỏ)[^.;\n]{0,40}", re.I
)


def _period(h: Header, paragraphs: list[str]) -> None:
    text = h.title + "\n" + "\n".join(paragraphs)
    m = re.search(r"[Gg]iai đoạn\s*(\d{4})\s*[-–]\s*(\d{4})", text) or re.search(
        r"từ năm\s+(\d{4})\s+đến(?:\s+hết)?\s+năm\s+(\d{4})", text
    )
    if m is None:
        year = h.issued.year if h.issued else h.start.year
        if found := _UNTIL_REVOKED.search(text):
            h.start, h.end = h.issued or dt.date(year, 1, 1), None
            h.notes.append(
                f"No end: the text says '{found[0]}', so the plan runs until revoked, from "
                f"{h.start:%d/%m/%Y}."
            )
            return
        h.start, h.end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        h.notes.append(f"No period ('giai đoạn …') found: the plan is assumed to cover {year}.")
        return
    first, last = int(m[1]), int(m[2])
    h.start, h.end = dt.date(first, 1, 1), dt.date(last, 12, 31)
    if h.issued is not None and h.issued.year == first and h.issued > h.start:
        h.start = h.issued
        h.notes.append(
            f"The period 'giai đoạn {first}-{last}' is taken from the issue date "
            f"{h.issued:%d/%m/%Y} to 31/12/{last}."
        )


# ---- the Standing Office


def standing_office(paragraphs: list[str]) -> tuple[B.Body, B.Body | None, str] | None:
    """(office, the body it belongs to, the words) from 'Cơ quan Thường trực … (qua X)'."""
    for text in paragraphs:
        for hit in re.finditer(r"(?:[Cc]ơ quan|[Đđ]ơn vị)\s+[Tt]hường trực", text):
            mentions = B.find(text)
            after = [
                m
                for m in mentions
                if hit.end() <= m.start <= hit.end() + 80
                and text[hit.end() : m.start].rstrip().endswith("(qua")
            ]
            before = [m for m in mentions if m.end <= hit.start() and hit.start() - m.end <= 40]
            left = text.rfind(" ", 0, max(0, hit.start() - 60)) + 1
            right = text.find(" ", hit.end() + 60)
            words = text[left : right if right > 0 else len(text)].strip()
            if after:
                parent = before[-1].body if before else None
                return after[0].body, parent, words
            if before:
                return before[-1].body, None, words
    return None


# ---- cadences


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


_PROMPT = re.compile(r"báo cáo\s+(?:kịp thời|ngay|đột xuất)|(?:kịp thời|ngay)\s+báo cáo", re.I)
_WITHIN = re.compile(r"trong\s+(?:vòng|thời hạn)?\s*(\d{1,2})\s+(ngày làm việc|ngày|giờ)", re.I)
_INCIDENT = re.compile(r"vụ việc|sự việc|sự cố", re.I)


def event_cadence(text: str) -> tuple[dict[str, Any], str] | None:
    """An event-triggered report ("báo cáo kịp thời", "kịp thời báo cáo", "báo cáo đột xuất"):
    due within the days the text gives, or — when it gives none — 1 working day for an incident
    and 3 for anything else (a guess the draft says it made)."""
    found = _PROMPT.search(text)
    if found is None:
        return None
    if (within := _WITHIN.search(text)) is not None:
        count, unit = int(within[1]), within[2].lower()
        days = max(1, -(-count // 24)) if unit == "giờ" else count
        cadence: dict[str, Any] = {"kind": "on_event", "within": days}
        if unit == "ngày":
            cadence["day_count"] = "calendar"
        return cadence, f"{found[0]} … {within[0]}"
    return {"kind": "on_event", "within": 1 if _INCIDENT.search(text) else 3}, found[0]


def cadence_of(
    text: str, start: dt.date, end: dt.date | None
) -> tuple[dict[str, Any], str] | None:
    """The cadence a duty's words give, with the words; None when they give none (``end`` None:
    a plan until revoked, whose dated duties are looked for in its first two years)."""
    end = end or dt.date(start.year + 1, 12, 31)
    if found := event_cadence(text):
        return found
    if m := re.search(
        r"(?:trước|chậm nhất)\s+ngày\s+(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})", text
    ):
        return {"kind": "once", "due": dt.date(int(m[3]), int(m[2]), int(m[1]))}, m[0]
    if m := re.search(r"[Qq]uý\s+(IV|I{1,3}|[1-4])\s*(?:/|năm)\s*(\d{4})", text):
        quarter = {"I": 1, "II": 2, "III": 3, "IV": 4}.get(m[1]) or int(m[1])
        return {"kind": "once", "due": _month_end(int(m[2]), quarter * 3)}, m[0]
    m = re.search(r"[Tt]háng\s+(\d{1,2})\s*(?:/|năm)\s*(\d{4})", text)
    if m is not None and 1 <= int(m[1]) <= 12:
        return {"kind": "once", "due": _month_end(int(m[2]), int(m[1]))}, m[0]
    if m := re.search(r"(?:trước|chậm nhất)\s+ngày\s+(\d{1,2})\s*/\s*(\d{1,2})\s+" + _YEARLY, text):
        rule = {"day": int(m[1]), "anchor": "last_month"}
        return {"kind": "monthly", "only": [int(m[2])], "deadline": rule}, m[0]
    if m := re.search(r"tháng\s+(\d{1,2})\s+" + _YEARLY, text):
        return {
            "kind": "monthly",
            "only": [int(m[1])],
            "deadline": {"day": 31, "anchor": "last_month"},
        }, m[0]
    if m := re.search(r"(?:hằng|hàng)\s+quý", text):
        return {"kind": "quarterly"}, m[0]
    if m := re.search(r"(?:định kỳ\s+)?0?6\s+tháng(?!\s+(?:đầu|cuối))", text):
        return {"kind": "semiannual"}, m[0]
    if m := re.search(r"(?:hằng|hàng)\s+tháng", text):
        return {"kind": "monthly"}, m[0]
    if m := re.search(_YEARLY, text):
        return {"kind": "yearly"}, m[0]
    if m := re.search(r"(?:trước|chậm nhất)\s+ngày\s+(\d{1,2})\s*/\s*(\d{1,2})(?!\s*/)", text):
        day, month = int(m[1]), int(m[2])
        for year in range(start.year, end.year + 1):
            try:
                due = dt.date(year, month, day)
            except ValueError:
                return None
            if start <= due <= end:
                return {"kind": "once", "due": due}, m[0]
    return None


_CAL_WORDS = [
    ("quarterly", r"(?:hằng|hàng)\s+quý|định kỳ(?!\s*(?:hằng|hàng|0?6|01|1)\b)"),
    ("semiannual", r"0?6\s+tháng"),
    ("yearly", r"(?:01|một|1)\s+năm|(?:hằng|hàng)\s+năm"),
]


def reporting_calendar(paragraphs: list[str]) -> tuple[list[dict[str, Any]], str, str]:
    """The reporting calendar from the plan's reporting clause: (entries, words, assumption)."""
    best: tuple[int, dict[str, dict[str, Any] | None], str] | None = None
    for text in paragraphs:
        if not re.search(r"báo cáo", text) or not re.search(
            r"định kỳ|(?:hằng|hàng)\s+quý|0?6\s+tháng", text
        ):
            continue
        found: dict[str, dict[str, Any] | None] = {}
        for kind, pattern in _CAL_WORDS:
            m = re.search(
                rf"({pattern})\s*\(?\s*(?:trước\s+(?:ngày\s+)?(\d{{1,2}})\s*/\s*(\d{{1,2}}))?", text
            )
            if m is None:
                continue
            rule = None
            if m[2]:
                length = {"quarterly": 3, "semiannual": 6, "yearly": 12}[kind]
                month = int(m[3])
                anchor = (
                    "last_month"
                    if month % length == 0
                    else "next_month"
                    if month % length == 1
                    else None
                )
                rule = {"day": int(m[2]), "anchor": anchor} if anchor else None
            found[kind] = rule
        score = len(found) + 2 * sum(rule is not None for rule in found.values())
        if len(found) >= 2 and (best is None or score > best[0]):
            best = (score, found, text)
    if best is not None:
        _, found, text = best
        dated = all(rule is not None for rule in found.values())
        return (
            _entries(found),
            text[:200],
            ""
            if dated
            else (
                "The reporting clause gives no dates: reports are assumed due on the 15th of the"
                " period's last month (15/3, 15/6, 15/9, 15/12)."
            ),
        )
    found = {"quarterly": None, "semiannual": None, "yearly": None}
    return (
        _entries(found),
        "",
        (
            "The plan sets no reporting calendar: quarterly, 6-monthly and yearly"
            " reports are assumed due on the 15th of the period's last month."
        ),
    )


def _entries(found: dict[str, dict[str, Any] | None]) -> list[dict[str, Any]]:
    default = {"day": 15, "anchor": "last_month"}
    labels = {
        "quarterly": ("quy", "Báo cáo quý"),
        "semiannual": ("sau-thang", "Báo cáo 6 tháng"),
        "yearly": ("nam", "Báo cáo năm"),
    }
    entries = []
    for kind, rule in found.items():
        cadence: dict[str, Any] = {"kind": kind, "deadline": rule or default}
        # a quarter whose report is the 6-monthly or yearly one is not reported twice
        if kind == "quarterly":
            cadence["only"] = [
                q
                for q in (1, 2, 3, 4)
                if not (q == 2 and "semiannual" in found) and not (q == 4 and "yearly" in found)
            ]
        if kind == "semiannual" and "yearly" in found:
            cadence["only"] = [1]
        ident, label = labels[kind]
        entries.append({"id": ident, "label": label, "cadence": cadence})
    return entries
