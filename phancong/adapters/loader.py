"""Loads plan files: YAML → pydantic → cross-reference checks, errors named by file and line.

Nothing is returned unless the whole file is valid, so a broken plan loads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from phancong.adapters.wards import UnknownProvince, wards_of
from phancong.domain.plan import Plan
from phancong.domain.units import Directory
from phancong.domain.validate import check


@dataclass(frozen=True)
class Located:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class PlanError(Exception):
    """A plan file is not valid; ``problems`` name each file, line and problem."""

    def __init__(self, problems: list[Located]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


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


def _describe(error: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"unknown field '{error['loc'][-1]}'"
    if error["type"] == "missing":
        return f"missing field '{error['loc'][-1]}'"
    return f"{loc}: {message}" if loc else message


def parse(text: str, name: str) -> Plan:
    """Parse and validate one plan; raise :class:`PlanError` naming the line of each problem."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 — a SafeLoader subclass
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise PlanError([Located(name, line, f"YAML: {exc.problem or exc.context}")]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise PlanError(
            [Located(name, line, f"YAML: character #x{exc.character:04x} is not allowed")]
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - any other parser complaint
        raise PlanError([Located(name, 1, f"YAML: {exc}")]) from None
    except RecursionError:
        raise PlanError([Located(name, 1, "YAML: nesting too deep")]) from None
    if not isinstance(data, dict):
        raise PlanError(
            [Located(name, 1, "a plan file must be a mapping with 'plan', 'agencies', 'duties'")]
        )
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        problems = [
            Located(name, _line_of(root, tuple(err["loc"])), _describe(dict(err)))
            for err in exc.errors()
        ]
        raise PlanError(problems) from None
    try:
        problems_found = check(plan, wards_of)
    except UnknownProvince as exc:
        raise PlanError([Located(name, _line_of(root, ("groups",)), str(exc))]) from None
    if problems_found:
        raise PlanError([Located(name, _line_of(root, p.path), p.message) for p in problems_found])
    return plan


def load(path: str | Path) -> Plan:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError([Located(str(path), 0, "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise PlanError([Located(str(path), 1, f"not UTF-8 text ({exc.reason})")]) from None
    return parse(text, str(path))


def directory(plan: Plan) -> Directory:
    return Directory(plan, wards_of)
