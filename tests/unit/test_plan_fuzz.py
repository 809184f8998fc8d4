"""Mutated plan files: either a valid plan or PlanError naming the file and a real line — never a
traceback, never a partial load."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phancong.adapters.loader import PlanError, parse
from phancong.domain.plan import Plan
from tests.helpers import HAIDUONG, MINI

pytestmark = pytest.mark.unit

# mostly the small plan (fast); the large one is parsed often enough to cover its shapes
SOURCES = {
    "mini": MINI.read_text(encoding="utf-8"),
    "haiduong": HAIDUONG.read_text(encoding="utf-8"),
}
WEIGHTS = ["mini"] * 4 + ["haiduong"]
TOKENS = [
    "",
    "x",
    "[",
    "]",
    "{",
    "}",
    ":",
    "- ",
    "  ",
    "\t",
    "null",
    "-1",
    "99999999",
    "2026-02-30",
    "id: d1",
    "lead: []",
    "kind: weekly",
    "<script>alert(1)</script>",
    "đ",
    "'",
    '"',
    "&a *a",
    "!!python/object:os.system",
]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(WEIGHTS))
    lines = SOURCES[name].splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(
            st.sampled_from(
                ["delete", "duplicate", "replace", "insert", "indent", "truncate", "swap"]
            )
        )
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "replace":
            line = lines[i]
            cut = draw(st.integers(0, len(line)))
            lines[i] = (
                line[:cut] + draw(st.sampled_from(TOKENS)) + line[cut + draw(st.integers(0, 12)) :]
            )
        elif action == "insert":
            lines.insert(i, draw(st.sampled_from(TOKENS)) + draw(st.text(max_size=10)))
        elif action == "indent":
            lines[i] = " " * draw(st.integers(0, 6)) + lines[i].lstrip()
        elif action == "truncate":
            lines = lines[:i]
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return name, "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated())
def test_mutated_plans_fail_cleanly(case: tuple[str, str]) -> None:
    name, text = case
    path = f"responsibilities/{name}.yaml"
    try:
        plan = parse(text, path)
    except PlanError as exc:
        assert exc.problems, "an error without problems"
        last = text.count("\n") + 1
        for problem in exc.problems:
            assert problem.file == path
            assert 1 <= problem.line <= last, problem
            assert problem.message.strip()
            assert "Traceback" not in problem.message
        return
    assert isinstance(plan, Plan)  # the mutation kept the plan valid: it is a whole plan


def test_a_file_that_is_not_a_plan(tmp_path: Path) -> None:
    for text in ("", "just words", "- a\n- b\n", "plan: 3\n", "\x00\x01"):
        with pytest.raises(PlanError) as caught:
            parse(text, "x.yaml")
        assert all(p.file == "x.yaml" and p.line >= 1 for p in caught.value.problems)
