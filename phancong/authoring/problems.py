"""Problems found in an imported workbook, named by sheet, row and column, in Vietnamese or English.

The plan model and its cross-reference checks speak English; the messages a clerk sees are
translated here (the English original is kept for ``--lang en``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CellProblem:
    sheet: str
    row: int  # 0 = the workbook as a whole
    column: str  # letter, '' when the whole row or sheet is meant
    column_title: str
    vi: str
    en: str

    def message(self, lang: str = "vi") -> str:
        text = self.vi if lang == "vi" else self.en
        if not self.sheet:
            return text
        if lang == "vi":
            where = f"Trang «{self.sheet}»"
            if self.row:
                where += f", dòng {self.row}"
            if self.column:
                where += f", cột {self.column} ({self.column_title})"
        else:
            where = f"Sheet '{self.sheet}'"
            if self.row:
                where += f", row {self.row}"
            if self.column:
                where += f", column {self.column} ({self.column_title})"
        return f"{where}: {text}"


class WorkbookError(Exception):
    """The workbook is not a valid plan; nothing was imported."""

    def __init__(self, problems: list[CellProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.message("en") for p in problems))

    def report(self, lang: str = "vi") -> str:
        return "\n".join(p.message(lang) for p in self.problems)


_CHECKS: list[tuple[str, str]] = [
    (r"unknown agency or group '(.+)'", "không có cơ quan hay nhóm nào mã '{0}'"),
    (r"unknown parent agency '(.+)'", "không có cơ quan cấp trên mã '{0}'"),
    (r"unknown duty '(.+)' in depends_on", "không có nhiệm vụ mã '{0}' để phụ thuộc"),
    (r"duty '(.+)' depends on itself", "nhiệm vụ '{0}' phụ thuộc chính nó"),
    (r"dependency cycle: (.+)", "phụ thuộc vòng tròn: {0}"),
    (
        r"duplicate (?:agency/group|duty|reporting calendar|indicator) id '(.+)'",
        "mã '{0}' bị trùng",
    ),
    (
        r"(standing office|steering committee) '(.+)' is not a declared agency",
        "'{1}' không phải là một cơ quan đã khai báo",
    ),
    (r"group '(.+)' expands to no unit", "nhóm '{0}' không có đơn vị nào"),
    (r"groups contain each other: (.+)", "các nhóm chứa lẫn nhau: {0}"),
    (
        r"group '(.+)' is empty: give 'members' or 'wards_of'",
        "nhóm '{0}' trống: hãy ghi thành viên hoặc mã tỉnh",
    ),
    (r"no province with code (\d+)", "không có tỉnh, thành phố nào mã {0}"),
    (
        r"a periodic duty needs the plan's reporting_calendar, which is empty",
        "nhiệm vụ thường xuyên cần lịch báo cáo, nhưng trang lịch báo cáo trống",
    ),
    (
        r"deadline (\S+) is outside the plan period (\S+)",
        "hạn {0} nằm ngoài thời gian thực hiện kế hoạch {1}",
    ),
    (
        r"the (.+) deadline (\S+) is outside the plan period (\S+)",
        "hạn {1} của kỳ {0} nằm ngoài thời gian thực hiện kế hoạch {2}",
    ),
    (
        r"this cadence yields no period inside the plan period",
        "chu kỳ này không có kỳ nào trong thời gian thực hiện kế hoạch",
    ),
    (r"a one-off cadence needs 'due'", "nhiệm vụ một lần cần có hạn (cột «Hạn (một lần)»)"),
    (
        r"a one-off cadence takes only 'due'",
        "nhiệm vụ một lần chỉ có hạn, không có «Chỉ các kỳ» hay «Quy tắc hạn»",
    ),
    (r"'due' is only for one-off duties, not '(.+)'", "chỉ nhiệm vụ một lần mới có hạn cố định"),
    (r"'only: (\d+)' does not fit a (.+) cadence", "kỳ số {0} không có trong chu kỳ này"),
    (
        r"a periodic duty follows the reporting calendar: no own 'deadline'",
        "nhiệm vụ thường xuyên theo lịch báo cáo, không có quy tắc hạn riêng",
    ),
    (
        r"a reporting calendar entry must be .*",
        "kỳ báo cáo phải là hằng tháng, hằng quý, 6 tháng hoặc hằng năm",
    ),
    (
        r"the ladder must climb.*",
        "các bậc phải tăng dần: báo quá hạn < báo Thường trực < báo Ban Chỉ đạo",
    ),
    (r"the plan period must end after it starts", "ngày kết thúc phải sau ngày bắt đầu"),
    (r"owners are 'lead' or 'requested'", "vai trò chủ trì chỉ là «chủ trì» hoặc «đề nghị»"),
    (r"'(.+)' is not an email address", "'{0}' không phải là địa chỉ thư điện tử"),
    (r"unknown time zone '(.+)'", "không biết múi giờ '{0}'"),
    (
        r"'(.+)' links no period of '(.+)' under depends_on_period: (\S+) .*",
        "'{0}' không nối được kỳ nào của '{1}' theo «Kỳ phụ thuộc» ({2}); khi các kỳ khác độ"
        " dài, chọn «các kỳ nằm trong kỳ» hoặc «kỳ gần nhất trước đó»",
    ),
    (
        r"'weight' applies only to a 'percent' indicator",
        "chỉ chỉ tiêu loại «tỷ lệ %» mới có trọng số",
    ),
    (
        r"the target of a '(.+)' indicator is a percentage 0–100",
        "chỉ tiêu loại có/không hoặc tỷ lệ % có chỉ tiêu (số) từ 0 đến 100",
    ),
]

_PYDANTIC_VI = {
    "missing": "thiếu giá trị bắt buộc",
    "string_too_short": "quá ngắn",
    "string_too_long": "quá dài",
    "string_pattern_mismatch": "không đúng dạng (mã chỉ gồm chữ thường không dấu, số, '-', '.',"
    " '_';"
    " trích dẫn dạng 'IV.3, bullet 2')",
    "too_short": "cần ít nhất một giá trị",
    "greater_than_equal": "nhỏ hơn mức cho phép",
    "less_than_equal": "lớn hơn mức cho phép",
    "enum": "không phải giá trị trong danh mục",
    "int_parsing": "không phải số nguyên",
    "float_parsing": "không phải số",
    "date_from_datetime_parsing": "không phải ngày",
    "date_parsing": "không phải ngày",
    "extra_forbidden": "trường không được biết",
}


# A model check on a whole row (agency, duty, indicator…) names the cell it is about: the
# column of the field its English message starts with.
_FIELD_OF_MESSAGE = (
    ("'valid_to'", "valid_to"),
    ("'successor'", "successor"),
    ("'active_to'", "active_to"),
    ("'weight'", "weight"),
    ("the target of", "target"),
    ("'due_after_inputs'", "depends_on"),
)


def field_of(message: str) -> str | None:
    """The field a row-wide model message is about, when it says so."""
    for start, key in _FIELD_OF_MESSAGE:
        if message.startswith(start):
            return key
    return None


def translate_check(message: str, vi: str | None = None) -> str:
    """Vietnamese for a message of the plan model or its checks: the workbook's own wording when
    there is one, else the check's Vietnamese ``vi``, else the original."""
    for pattern, template in _CHECKS:
        match = re.fullmatch(pattern, message)
        if match is not None:
            return template.format(*match.groups())
    return vi or message


def translate_pydantic(error: dict[str, Any]) -> tuple[str, str]:
    """(vi, en) for one pydantic error."""
    en = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "value_error":
        if " / " in en:  # the plan model says it in both languages: 'vi / en'
            vi, en = en.split(" / ", 1)
            return vi, en
        return translate_check(en), en
    return _PYDANTIC_VI.get(str(error["type"]), en), en
