"""Reading a workbook's sheets as rows of typed cells, each problem named by sheet, row, column."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

from phancong.authoring import sheets as S
from phancong.authoring.problems import CellProblem

# free text is kept as written (a plan's text may end with a newline); codes and names are trimmed
FREE_TEXT = frozenset({"title", "text", "assumption", "label", "target_text", "note"})


@dataclass
class Row:
    sheet: str
    number: int
    cells: dict[str, Any]
    letters: dict[str, str]
    titles: dict[str, str]

    def where(self, key: str | None) -> tuple[str, int, str, str]:
        if key is None or key not in self.letters:
            return (self.sheet, self.number, "", "")
        return (self.sheet, self.number, self.letters[key], self.titles[key])


@dataclass
class Reader:
    """Collects every problem instead of stopping at the first."""

    problems: list[CellProblem] = field(default_factory=list)

    def add(self, where: tuple[str, int, str, str], vi: str, en: str) -> None:
        self.problems.append(CellProblem(*where, vi=vi, en=en))

    # ---- sheets

    def rows(self, sheet: Worksheet, columns: Sequence[S.Column]) -> Iterator[Row]:
        by_title = {_norm(c.title): c for c in columns}
        letters: dict[str, str] = {}
        titles: dict[str, str] = {}
        for cell in sheet[1]:
            if cell.value is None or str(cell.value).strip() == "":
                continue
            column = by_title.get(_norm(str(cell.value)))
            letter = S.column_letter(cell.column)
            if column is None:
                self.add(
                    (sheet.title, 1, letter, str(cell.value)),
                    f"cột không được biết «{cell.value}»",
                    f"unknown column '{cell.value}'",
                )
                continue
            letters[column.key] = letter
            titles[column.key] = column.title
        for column in columns:
            if column.required and column.key not in letters:
                self.add(
                    (sheet.title, 1, "", ""),
                    f"thiếu cột «{column.title}»",
                    f"missing column '{column.title}'",
                )
        if any(c.required and c.key not in letters for c in columns):
            return
        index = {key: _letter_index(letter) for key, letter in letters.items()}
        derived = {c.key for c in columns if c.derived}
        for number, values in enumerate(sheet.iter_rows(min_row=2), 2):
            cells: dict[str, Any] = {}
            for key, i in index.items():
                cell = values[i - 1] if i - 1 < len(values) else None
                value = None if cell is None else cell.value
                if cell is not None and cell.data_type == "f":
                    self.add(
                        (sheet.title, number, letters[key], titles[key]),
                        "ô chứa công thức; hãy ghi giá trị",
                        "the cell holds a formula; write the value",
                    )
                    value = None
                if isinstance(value, str):
                    value = unicodedata.normalize("NFC", value)
                    if not value.strip():
                        value = None
                    elif key not in FREE_TEXT:
                        value = value.strip()
                cells[key] = value
            if all(v is None for k, v in cells.items() if k not in derived):
                continue
            yield Row(sheet.title, number, cells, letters, titles)

    # ---- typed cells

    def text(self, row: Row, key: str, required: bool = False) -> str | None:
        value = row.cells.get(key)
        if value is None:
            if required:
                self.add(row.where(key), "ô bắt buộc đang trống", "required cell is empty")
            return None
        if isinstance(value, dt.datetime | dt.date):
            return value.strftime("%d/%m/%Y")
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def refs(self, row: Row, key: str, names: dict[str, str], required: bool = False) -> list[str]:
        text = self.text(row, key, required)
        return [names.get(_norm(part), part) for part in S.split_list(text or "")]

    def integer(self, row: Row, key: str, required: bool = False) -> int | None:
        value = row.cells.get(key)
        if value is None:
            if required:
                self.add(row.where(key), "ô bắt buộc đang trống", "required cell is empty")
            return None
        if isinstance(value, bool):
            value = str(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            return int(value)
        self.add(
            row.where(key), f"'{value}' không phải số nguyên", f"'{value}' is not a whole number"
        )
        return None

    def number(self, row: Row, key: str) -> float | None:
        value = row.cells.get(key)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        try:
            return float(str(value).replace(",", "."))
        except ValueError:
            self.add(row.where(key), f"'{value}' không phải số", f"'{value}' is not a number")
            return None

    def date(self, row: Row, key: str, required: bool = False) -> dt.date | None:
        value = row.cells.get(key)
        if value is None:
            if required:
                self.add(row.where(key), "ô bắt buộc đang trống", "required cell is empty")
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value)
        for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
            try:
                return dt.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        self.add(
            row.where(key),
            f"'{text}' không phải ngày hợp lệ (ngày/tháng/năm, ví dụ 15/03/2026)",
            f"'{text}' is not a valid date (day/month/year, e.g. 15/03/2026)",
        )
        return None

    def word(
        self,
        row: Row,
        key: str,
        words: dict[str, str],
        what_vi: str,
        what_en: str,
        required: bool = False,
    ) -> str | None:
        text = self.text(row, key, required)
        if text is None:
            return None
        code = S.word_to_code(words, text)
        if code is None:
            choices = ", ".join(words.values())
            self.add(
                row.where(key),
                f"'{text}' không phải {what_vi} ({choices})",
                f"'{text}' is not a {what_en} ({', '.join(map(str, words))})",
            )
        return code

    def numbers(self, row: Row, key: str) -> list[int]:
        text = self.text(row, key) or ""
        parts = [p for p in re.split(r"[,;\s]+", text) if p]
        if not all(p.isdigit() for p in parts):
            self.add(
                row.where(key),
                f"'{text}' phải là các số kỳ, ví dụ '1, 3'",
                f"'{text}' must be period numbers, e.g. '1, 3'",
            )
            return []
        return [int(p) for p in parts]

    def rule(self, row: Row, key: str) -> dict[str, Any] | None:
        text = self.text(row, key)
        if text is None:
            return None
        rule = S.rule_fields(text)
        if rule is None:
            self.add(
                row.where(key),
                f"'{text}' không đọc được; viết dạng 'ngày 15, tháng cuối kỳ'",
                f"'{text}' cannot be read; write e.g. 'ngày 15, tháng cuối kỳ' or '15, last_month'",
            )
            return None
        return rule  # checked by the plan model, its problems named at this cell


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def name_key(text: str) -> str:
    return _norm(text)


def _letter_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index
