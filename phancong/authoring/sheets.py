"""The shape of a plan workbook: sheet names, columns and the words shown for coded values.

Shared by the exporter and the importer so that what one writes the other reads. Sheet and
column titles are Vietnamese (the clerk's language); coded values (cadence, role, anchor…) are
shown as Vietnamese words and read back from either the words or the English codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from phancong.domain.agencies import AgencyKind
from phancong.domain.cadence import (
    Anchor,
    CadenceKind,
    DayCount,
    DeadlineRule,
    DependencyRule,
    HolidayPolicy,
)
from phancong.domain.plan import IndicatorKind, Role


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int = 16
    required: bool = False
    derived: bool = False  # shown for the reader, ignored on import


DUTIES = "Phân công nhiệm vụ"
AGENCIES = "Cơ quan"
GROUPS = "Nhóm"
CALENDAR = "Lịch báo cáo"
LADDER = "Thang đôn đốc"
INDICATORS = "Chỉ tiêu"
HEADER = "Kế hoạch"
AMENDMENTS = "Sửa đổi"
LISTS = "Danh mục"
SHEET_ORDER = (DUTIES, AGENCIES, GROUPS, CALENDAR, LADDER, INDICATORS, HEADER, AMENDMENTS, LISTS)

DUTY_COLUMNS = (
    Column("stt", "STT", 6, derived=True),
    Column("source", "Trích dẫn", 16, required=True),
    Column("id", "Mã nhiệm vụ", 18, required=True),
    Column("title", "Nhiệm vụ", 40, required=True),
    Column("text", "Nội dung đầy đủ", 70, required=True),
    Column("lead", "Cơ quan chủ trì", 22, required=True),
    Column("owner_role", "Vai trò chủ trì", 14),
    Column("supporting", "Cơ quan phối hợp", 28),
    Column("requested", "Cơ quan được đề nghị", 28),
    Column("cadence", "Chu kỳ", 18, required=True),
    Column("due", "Hạn (một lần)", 14),
    Column("only", "Chỉ các kỳ", 10),
    Column("deadline", "Quy tắc hạn", 26),
    Column("entries", "Theo các kỳ báo cáo", 16),
    Column("within", "Hạn sau sự việc", 16),
    Column("depends_on", "Phụ thuộc", 20),
    Column("depends_on_period", "Kỳ phụ thuộc", 18),
    Column("due_after_inputs", "Hạn sau đầu vào (ngày làm việc)", 14),
    Column("recipients", "Nơi nhận báo cáo", 22),
    Column("also_cites", "Trích dẫn khác", 18),
    Column("indicators", "Chỉ tiêu", 30, derived=True),
    Column("evidence", "Minh chứng (tệp báo cáo)", 16),
    Column("active_from", "Áp dụng từ ngày", 14),
    Column("active_to", "Áp dụng đến ngày", 14),
    Column("assumption", "Giả định", 50),
)
AGENCY_COLUMNS = (
    Column("id", "Mã", 18, required=True),
    Column("name", "Tên cơ quan", 44, required=True),
    Column("short", "Tên viết tắt", 16),
    Column("name_en", "Tên tiếng Anh", 30),
    Column("kind", "Loại", 18),
    Column("emails", "Thư điện tử", 32),
    Column("parent", "Cơ quan cấp trên", 18),
    Column("language", "Ngôn ngữ", 10),
    Column("valid_from", "Tồn tại từ ngày", 14),
    Column("valid_to", "Tồn tại đến ngày", 14),
    Column("successor", "Đơn vị kế thừa", 18),
    Column("assumption", "Giả định", 50),
)
GROUP_COLUMNS = (
    Column("id", "Mã", 18, required=True),
    Column("name", "Tên nhóm", 44, required=True),
    Column("name_en", "Tên tiếng Anh", 26),
    Column("members", "Thành viên", 40),
    Column("province_code", "Mọi xã, phường của tỉnh (mã)", 16),
    Column("email_pattern", "Mẫu thư điện tử xã, phường", 34),
    Column("rule", "Quy tắc mở rộng", 44, derived=True),
    Column("size", "Số đơn vị", 10, derived=True),
    Column("level", "Cấp đơn vị của tỉnh", 14),
    Column("valid_from", "Tồn tại từ ngày", 14),
    Column("valid_to", "Tồn tại đến ngày", 14),
    Column("successor", "Đơn vị kế thừa", 18),
    Column("assumption", "Giả định", 50),
)
CALENDAR_COLUMNS = (
    Column("id", "Mã", 14, required=True),
    Column("label", "Kỳ báo cáo", 30, required=True),
    Column("cadence", "Chu kỳ", 18, required=True),
    Column("only", "Chỉ các kỳ", 10),
    Column("deadline", "Quy tắc hạn", 26),
    Column("source", "Trích dẫn", 14),
    Column("assumption", "Giả định", 50),
)
LADDER_COLUMNS = (
    Column("scope", "Áp dụng cho", 20, required=True),
    Column("day_count", "Cách tính ngày", 16),
    Column("reminder_before", "Nhắc trước hạn (ngày)", 14, required=True),
    Column("overdue_notice_after", "Báo quá hạn sau (ngày)", 14, required=True),
    Column("standing_office_after", "Báo Thường trực sau (ngày)", 14, required=True),
    Column("steering_committee_after", "Báo Ban Chỉ đạo sau (ngày)", 14, required=True),
)
INDICATOR_COLUMNS = (
    Column("duty", "Mã nhiệm vụ", 18, required=True),
    Column("id", "Mã chỉ tiêu", 22, required=True),
    Column("name", "Tên chỉ tiêu", 60, required=True),
    Column("kind", "Loại chỉ tiêu", 14),
    Column("unit", "Đơn vị tính", 10),
    Column("target", "Chỉ tiêu (số)", 12),
    Column("target_text", "Chỉ tiêu (lời)", 24),
    Column("weight", "Trọng số (mã chỉ tiêu đếm)", 18),
)
HEADER_COLUMNS = (
    Column("key", "Trường", 24, required=True),
    Column("label", "Ý nghĩa", 40, derived=True),
    Column("value", "Giá trị", 70),
)
AMENDMENT_COLUMNS = (
    Column("effective", "Hiệu lực từ ngày", 14, required=True),
    Column("number", "Số, ký hiệu văn bản sửa đổi", 22),
    Column("issued", "Ngày ban hành", 14),
    Column("note", "Nội dung sửa đổi", 60),
)
COLUMNS: dict[str, tuple[Column, ...]] = {
    DUTIES: DUTY_COLUMNS,
    AGENCIES: AGENCY_COLUMNS,
    GROUPS: GROUP_COLUMNS,
    CALENDAR: CALENDAR_COLUMNS,
    LADDER: LADDER_COLUMNS,
    INDICATORS: INDICATOR_COLUMNS,
    HEADER: HEADER_COLUMNS,
    AMENDMENTS: AMENDMENT_COLUMNS,
}
PLAN_SCOPE = "kế hoạch"  # the ladder row that applies to the whole plan

HEADER_FIELDS = (
    ("id", "Mã kế hoạch"),
    ("number", "Số, ký hiệu"),
    ("title", "Tên kế hoạch"),
    ("issuer", "Cơ quan ban hành"),
    ("issued", "Ngày ban hành"),
    ("period_start", "Thực hiện từ ngày"),
    ("period_end", "Đến ngày (để trống: đến khi có văn bản thay thế)"),
    ("timezone", "Múi giờ"),
    ("standing_office", "Cơ quan Thường trực"),
    ("steering_committee", "Ban Chỉ đạo (cấp leo thang cuối)"),
    ("holiday_policy", "Hạn rơi vào ngày nghỉ"),
    ("support_lead_days", "Phối hợp nộp trước chủ trì (ngày làm việc)"),
    ("portal_email_domain", "Tên miền thư của cổng"),
    ("level_standing_office", "Tên gọi cấp đôn đốc thứ hai (thư tiếng Việt)"),
    ("level_steering_committee", "Tên gọi cấp đôn đốc cuối (thư tiếng Việt)"),
    ("level_standing_office_en", "Tên gọi cấp đôn đốc thứ hai (thư tiếng Anh)"),
    ("level_steering_committee_en", "Tên gọi cấp đôn đốc cuối (thư tiếng Anh)"),
)
LEVEL_PREFIX = "level_"  # header rows of plan.level_names
DEFAULT_DEADLINE_PREFIX = "hạn mặc định: "

CADENCE_WORDS = {
    CadenceKind.ONCE: "một lần",
    CadenceKind.MONTHLY: "hằng tháng",
    CadenceKind.QUARTERLY: "hằng quý",
    CadenceKind.SEMIANNUAL: "6 tháng",
    CadenceKind.YEARLY: "hằng năm",
    CadenceKind.PERIODIC: "thường xuyên",
    CadenceKind.ON_EVENT: "khi có sự việc",
}
ROLE_WORDS = {Role.LEAD: "chủ trì", Role.REQUESTED: "đề nghị"}
ANCHOR_WORDS = {
    Anchor.FIRST_MONTH: "tháng đầu kỳ",
    Anchor.LAST_MONTH: "tháng cuối kỳ",
    Anchor.NEXT_MONTH: "tháng sau kỳ",
}
HOLIDAY_WORDS = {
    HolidayPolicy.NEXT_WORKING_DAY: "dời sang ngày làm việc",
    HolidayPolicy.PREVIOUS_WORKING_DAY: "lùi về ngày làm việc trước",
    HolidayPolicy.KEEP: "giữ nguyên",
}
LANGUAGE_WORDS = {"vi": "vi", "en": "en"}
DEPENDENCY_WORDS = {
    DependencyRule.SAME_PERIOD: "cùng kỳ",
    DependencyRule.WITHIN: "các kỳ nằm trong kỳ",
    DependencyRule.LATEST_BEFORE: "kỳ gần nhất trước đó",
}
EVIDENCE_WORDS = {"optional": "không bắt buộc", "required": "bắt buộc có tệp"}
INDICATOR_KIND_WORDS = {
    IndicatorKind.YES_NO: "có/không",
    IndicatorKind.COUNT: "số lượng",
    IndicatorKind.PERCENT: "tỷ lệ %",
    IndicatorKind.VALUE: "giá trị",
}
LEVEL_WORDS = {"commune": "cấp xã", "district": "cấp huyện"}
DAY_COUNT_WORDS = {DayCount.WORKING: "ngày làm việc", DayCount.CALENDAR: "ngày lịch"}
KIND_WORDS = {
    AgencyKind.POLICE: "công an",
    AgencyKind.DEPARTMENT: "sở, ngành",
    AgencyKind.MILITARY: "quân đội",
    AgencyKind.JUDICIAL: "tư pháp",
    AgencyKind.FRONT: "mặt trận",
    AgencyKind.MASS_ORGANISATION: "đoàn thể",
    AgencyKind.COMMUNE: "xã, phường",
    AgencyKind.DISTRICT: "cấp huyện",
    AgencyKind.COMMITTEE: "ủy ban, ban chỉ đạo",
    AgencyKind.OTHER: "khác",
}


def word_to_code(words: dict[str, str], text: str) -> str | None:
    """The code of a shown word, or of the code itself; None when neither matches."""
    wanted = text.strip().casefold()
    for code, word in words.items():
        if wanted in (word.casefold(), str(code).casefold()):
            return str(code)
    return None


BEFORE_WORD = "trước"


def fmt_within(within: int | None, count: DayCount) -> str | None:
    """'3 ngày làm việc', '7 ngày lịch': an event-triggered duty's time to report."""
    return None if within is None else f"{within} {DAY_COUNT_WORDS[count]}"


def within_fields(text: str) -> dict[str, Any] | None:
    """{'within': 3, 'day_count': 'working'} from '3', '3 ngày làm việc' or '7 ngày lịch'
    (also '7 calendar'); None when it cannot be read."""
    number, _, rest = text.strip().partition(" ")
    if not number.isdigit():
        return None
    rest = rest.strip()
    if not rest:
        return {"within": int(number), "day_count": DayCount.WORKING.value}
    code = word_to_code({k.value: v for k, v in DAY_COUNT_WORDS.items()}, rest)
    return None if code is None else {"within": int(number), "day_count": code}


def fmt_rule(rule: DeadlineRule) -> str:
    """'ngày 15, tháng cuối kỳ', 'trước ngày 15, tháng cuối kỳ, lùi về ngày làm việc trước',
    'ngày 15 tháng 11' (a yearly deadline in a named month)."""
    text = f"{BEFORE_WORD + ' ' if rule.before else ''}ngày {rule.day}"
    if rule.month is not None:
        text += f" tháng {rule.month}"
    if rule.month is None or rule.anchor is not Anchor.LAST_MONTH:
        text += f", {ANCHOR_WORDS[rule.anchor]}"
    if rule.holiday_policy is not None:
        text += f", {HOLIDAY_WORDS[rule.holiday_policy]}"
    return text


_RULE = re.compile(
    r"^(?P<before>(?:trước|before)\s+)?(?:ngày\s*)?(?P<day>\d{1,2})"
    r"(?:\s*(?:tháng|/)\s*(?P<month>\d{1,2}))?\s*(?:,\s*(?P<rest>.*?))?\s*$",
    re.I,
)


def rule_fields(text: str) -> dict[str, object] | None:
    """'[trước] ngày 15[ tháng 11], tháng cuối kỳ[, giữ nguyên]' (or '15, last_month, before')
    → the rule's fields (checked by the plan model); None if unreadable."""
    match = _RULE.match(text.strip())
    if match is None:
        return None
    anchors = {k.value: v for k, v in ANCHOR_WORDS.items()}
    policies = {k.value: v for k, v in HOLIDAY_WORDS.items()}
    anchor: str | None = None
    policy: str | None = None
    before = bool(match["before"])
    rest = match["rest"]
    for part in (p.strip() for p in rest.split(",")) if rest is not None else ():
        if not part:
            return None
        if part.casefold() in (BEFORE_WORD, "before", "trước ngày"):
            before = True
        elif anchor is None and (found := word_to_code(anchors, part)) is not None:
            anchor = found
        elif policy is None and (found := word_to_code(policies, part)) is not None:
            policy = found
        else:
            return None
    day = int(match["day"])
    month = int(match["month"]) if match["month"] else None
    if anchor is None and month is None:
        return None
    if not 1 <= day <= 31 or (month is not None and not 1 <= month <= 12):
        return None
    fields: dict[str, object] = {"day": day, "anchor": anchor or Anchor.LAST_MONTH.value}
    if policy:
        fields["holiday_policy"] = policy
    if before:
        fields["before"] = True
    if month is not None:
        fields["month"] = month
    return fields


def split_list(text: str) -> list[str]:
    """'a; b, c' or one per line → ['a', 'b', 'c'] (names may hold commas: ';' wins if present)."""
    separators = r"[;\n]" if re.search(r"[;\n]", text) else r","
    return [part.strip() for part in re.split(separators, text) if part.strip()]


def split_citations(text: str) -> list[str]:
    """Citations hold commas ('IV.1, bullet 2'): only ';' or a new line separates them."""
    return [part.strip() for part in re.split(r"[;\n]", text) if part.strip()]


def join_list(items: tuple[str, ...] | list[str]) -> str:
    return "; ".join(items)


def column_letter(index: int) -> str:
    """1 → 'A', 27 → 'AA'."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
