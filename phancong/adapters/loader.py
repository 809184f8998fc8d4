"""Loads plan files: YAML → pydantic → cross-reference checks, errors named by file and line.

Nothing is returned unless the whole file is valid, so a broken plan loads nothing. Text is read
as NFC (a file saved in NFD is the same plan), and every problem is said in Vietnamese, with its
English wording alongside (``PlanError.text("en")``); positions in a list count from 1.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from phancong.adapters.wards import wards_of
from phancong.domain.plan import Plan
from phancong.domain.units import Directory, WardsProblem
from phancong.domain.validate import check


@dataclass(frozen=True)
class Located:
    file: str
    line: int
    message: str  # English
    vi: str | None = None  # Vietnamese; the English message when missing

    def text(self, lang: str = "vi") -> str:
        message = self.vi if lang == "vi" and self.vi else self.message
        return f"{self.file}:{self.line}: {message}"

    def __str__(self) -> str:
        return self.text("vi")


class PlanError(Exception):
    """A plan file is not valid; ``problems`` name each file, line and problem."""

    def __init__(self, problems: list[Located]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def text(self, lang: str = "vi") -> str:
        return "\n".join(p.text(lang) for p in self.problems)


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader that refuses duplicate mapping keys instead of keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:  # type: ignore[override]
        """An impossible unquoted date (``due: 2022-02-31``) is a problem on its line, not a
        traceback."""
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[no-untyped-call]
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"impossible date {node.value} ({exc})", node.start_mark
            ) from None


_UniqueKeyLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _UniqueKeyLoader.construct_yaml_timestamp
)


def _line_of(root: yaml.Node | None, path: tuple[str | int, ...]) -> int:
    node = root
    line = 1 if root is None else root.start_mark.line + 1
    for step in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
            if match is None:
                break
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                break
            node = node.value[step]
        else:
            break
        line = node.start_mark.line + 1
    return line


def _position(loc: tuple[Any, ...]) -> str:
    """Where a value sits, lists counted from 1: ('duties', 1, 'source') → 'duties[2].source'."""
    out = ""
    for step in loc:
        if isinstance(step, int):
            out += f"[{step + 1}]"
        else:
            out += f".{step}" if out else str(step)
    return out


_DMY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_VI_BY_TYPE = {
    "string_type": "phải là chữ",
    "int_parsing": "phải là số nguyên",
    "int_type": "phải là số nguyên",
    "float_parsing": "phải là số",
    "bool_parsing": "phải là true hoặc false",
    "list_type": "phải là một danh sách",
    "tuple_type": "phải là một danh sách",
    "dict_type": "phải là một bảng khóa: giá trị",
    "model_type": "phải là một bảng khóa: giá trị",
    "too_short": "quá ngắn hoặc trống",
    "too_long": "quá dài",
    "string_too_short": "quá ngắn",
    "string_too_long": "quá dài",
    "string_pattern_mismatch": "không đúng dạng (chỉ chữ thường không dấu, số, '.', '_', '-')",
    "greater_than_equal": "quá nhỏ",
    "greater_than": "quá nhỏ",
    "less_than_equal": "quá lớn",
    "less_than": "quá lớn",
}


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    """(English, Vietnamese) wording of one pydantic error."""
    loc = _position(tuple(error["loc"]))
    kind = str(error["type"])
    message = str(error["msg"]).removeprefix("Value error, ")
    given = error.get("input")
    if kind == "extra_forbidden":
        field = error["loc"][-1]
        return f"unknown field '{field}'", f"trường '{field}' không có trong mẫu kế hoạch"
    if kind == "missing":
        field = error["loc"][-1]
        return f"missing field '{field}'", f"thiếu trường '{field}'"
    if kind.startswith("date") or kind.startswith("datetime"):
        dmy = _DMY.match(str(given)) if isinstance(given, str) else None
        hint = f"{dmy[3]}-{int(dmy[2]):02d}-{int(dmy[1]):02d}" if dmy else "2026-03-15"
        return (f"{loc}: a date is written YYYY-MM-DD (e.g. {hint}), not {given!r}",
                f"{loc}: ngày phải viết dạng YYYY-MM-DD (ví dụ {hint}), không phải {given!r}")
    if kind in ("enum", "literal_error"):
        expected = error.get("ctx", {}).get("expected", "")
        return (f"{loc}: {message}",
                f"{loc}: giá trị {given!r} không hợp lệ; chọn một trong: {expected}")
    en = f"{loc}: {message}" if loc else message
    if kind == "value_error" and " / " in message:  # the validator said it in both languages
        vi_part, en_part = message.split(" / ", 1)
        return (f"{loc}: {en_part}" if loc else en_part, f"{loc}: {vi_part}" if loc else vi_part)
    vi = _VI_BY_TYPE.get(kind)
    if vi is None:
        return en, f"{loc}: không hợp lệ — {message}" if loc else f"không hợp lệ — {message}"
    return en, f"{loc}: {vi}" if loc else vi


def parse(text: str, name: str) -> Plan:
    """Parse and validate one plan; raise :class:`PlanError` naming the line of each problem."""
    text = unicodedata.normalize("NFC", text.removeprefix("\ufeff"))
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 — a SafeLoader subclass
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context
        raise PlanError([Located(name, line, f"YAML: {problem}",
                                 f"YAML sai cú pháp: {problem}")]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise PlanError(
            [Located(name, line, f"YAML: character #x{exc.character:04x} is not allowed",
                     f"YAML: ký tự #x{exc.character:04x} không được phép")]
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - any other parser complaint
        raise PlanError([Located(name, 1, f"YAML: {exc}")]) from None
    except RecursionError:
        raise PlanError([Located(name, 1, "YAML: nesting too deep",
                                 "YAML: lồng nhau quá sâu")]) from None
    if not isinstance(data, dict):
        raise PlanError(
            [Located(name, 1, "a plan file must be a mapping with 'plan', 'agencies', 'duties'",
                     "tệp kế hoạch phải là một bảng có các mục 'plan', 'agencies', 'duties'")]
        )
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        problems = [
            Located(name, _line_of(root, tuple(err["loc"])), *_describe(dict(err)))
            for err in exc.errors()
        ]
        raise PlanError(problems) from None
    try:
        problems_found = check(plan, wards_of)
    except WardsProblem as exc:  # pragma: no cover - check() reports it at its group
        raise PlanError([Located(name, _line_of(root, ("groups",)), exc.en, exc.vi)]) from None
    if problems_found:
        raise PlanError([Located(name, _line_of(root, p.path), p.message, p.vi)
                         for p in problems_found])
    return plan


def load(path: str | Path) -> Plan:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError([Located(str(path), 0, "file not found",
                                 "không tìm thấy tệp")]) from None
    except UnicodeDecodeError as exc:
        raise PlanError([Located(str(path), 1, f"not UTF-8 text ({exc.reason})",
                                 f"không phải văn bản UTF-8 ({exc.reason})")]) from None
    return parse(text, str(path))


def directory(plan: Plan) -> Directory:
    return Directory(plan, wards_of)
