"""The shape of a plan workbook: sheet names, columns and the words shown for coded values.

Shared by the exporter and the importer so that what one writes the other reads. Sheet and
column titles are Vietnamese (the clerk's language); coded values (cadence, role, anchor…) are
shown as Vietnamese words and read back from either the words or the English codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from phancong.domain.plan import (
    AgencyKind,
    Anchor,
    CadenceKind,
    DayCount,
    DeadlineRule,
    HolidayPolicy,
    Role,
)


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
LISTS = "Danh mục"
SHEET_ORDER = (DUTIES, AGENCIES, GROUPS, CALENDAR, LADDER, INDICATORS, HEADER, LISTS)

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
    Column("depends_on", "Phụ thuộc", 20),
    Column("indicators", "Chỉ tiêu", 30, derived=True),
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
)
CALENDAR_COLUMNS = (
    Column("id", "Mã", 14, required=True),
    Column("label", "Kỳ báo cáo", 30, required=True),
    Column("cadence", "Chu kỳ", 18, required=True),
    Column("only", "Chỉ các kỳ", 10),
    Column("deadline", "Quy tắc hạn", 26),
    Column("source", "Trích dẫn", 14),
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
    Column("unit", "Đơn vị tính", 10),
    Column("target", "Chỉ tiêu (số)", 12),
    Column("target_text", "Chỉ tiêu (lời)", 24),
)
HEADER_COLUMNS = (
    Column("key", "Trường", 24, required=True),
    Column("label", "Ý nghĩa", 40, derived=True),
    Column("value", "Giá trị", 70),
)
COLUMNS: dict[str, tuple[Column, ...]] = {
    DUTIES: DUTY_COLUMNS,
    AGENCIES: AGENCY_COLUMNS,
    GROUPS: GROUP_COLUMNS,
    CALENDAR: CALENDAR_COLUMNS,
    LADDER: LADDER_COLUMNS,
    INDICATORS: INDICATOR_COLUMNS,
    HEADER: HEADER_COLUMNS,
}
PLAN_SCOPE = "kế hoạch"  # the ladder row that applies to the whole plan

HEADER_FIELDS = (
    ("id", "Mã kế hoạch"),
    ("number", "Số, ký hiệu"),
    ("title", "Tên kế hoạch"),
    ("issuer", "Cơ quan ban hành"),
    ("issued", "Ngày ban hành"),
    ("period_start", "Thực hiện từ ngày"),
    ("period_end", "Đến ngày"),
    ("timezone", "Múi giờ"),
    ("standing_office", "Cơ quan Thường trực"),
    ("steering_committee", "Ban Chỉ đạo (cấp leo thang cuối)"),
    ("holiday_policy", "Hạn rơi vào ngày nghỉ"),
    ("support_lead_days", "Phối hợp nộp trước chủ trì (ngày làm việc)"),
    ("portal_email_domain", "Tên miền thư của cổng"),
)
DEFAULT_DEADLINE_PREFIX = "hạn mặc định: "

CADENCE_WORDS = {
    CadenceKind.ONCE: "một lần",
    CadenceKind.MONTHLY: "hằng tháng",
    CadenceKind.QUARTERLY: "hằng quý",
    CadenceKind.SEMIANNUAL: "6 tháng",
    CadenceKind.YEARLY: "hằng năm",
    CadenceKind.PERIODIC: "thường xuyên",
}
ROLE_WORDS = {Role.LEAD: "chủ trì", Role.REQUESTED: "đề nghị"}
ANCHOR_WORDS = {
    Anchor.FIRST_MONTH: "tháng đầu kỳ",
    Anchor.LAST_MONTH: "tháng cuối kỳ",
    Anchor.NEXT_MONTH: "tháng sau kỳ",
}
HOLIDAY_WORDS = {
    HolidayPolicy.NEXT_WORKING_DAY: "dời sang ngày làm việc",
    HolidayPolicy.KEEP: "giữ nguyên",
}
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


def fmt_rule(rule: DeadlineRule) -> str:
    text = f"ngày {rule.day}, {ANCHOR_WORDS[rule.anchor]}"
    if rule.holiday_policy is not None:
        text += f", {HOLIDAY_WORDS[rule.holiday_policy]}"
    return text


_RULE = re.compile(r"^(?:ngày\s*)?(\d{1,2})\s*,\s*([^,]+?)\s*(?:,\s*(.+?))?\s*$", re.I)


def parse_rule(text: str) -> DeadlineRule | None:
    """'ngày 15, tháng cuối kỳ[, giữ nguyên]' (or '15, last_month') → rule; None if unreadable."""
    match = _RULE.match(text)
    if match is None:
        return None
    anchor = word_to_code({k.value: v for k, v in ANCHOR_WORDS.items()}, match[2])
    policy = None
    if match[3]:
        policy = word_to_code({k.value: v for k, v in HOLIDAY_WORDS.items()}, match[3])
        if policy is None:
            return None
    day = int(match[1])
    if anchor is None or not 1 <= day <= 31:
        return None
    return DeadlineRule(
        day=day,
        anchor=Anchor(anchor),
        holiday_policy=HolidayPolicy(policy) if policy else None,
    )


def split_list(text: str) -> list[str]:
    """'a; b, c' or one per line → ['a', 'b', 'c'] (names may hold commas: ';' wins if present)."""
    separators = r"[;\n]" if re.search(r"[;\n]", text) else r","
    return [part.strip() for part in re.split(separators, text) if part.strip()]


def join_list(items: tuple[str, ...] | list[str]) -> str:
    return "; ".join(items)


def column_letter(index: int) -> str:
    """1 → 'A', 27 → 'AA'."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
