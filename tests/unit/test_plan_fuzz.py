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


Op = tuple[str, int, int, int, str]  # action, line, second line / cut, length, token


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, tuple[Op, ...]]:
    """A plan and a short list of edits (kept small so a failing example prints readably)."""
    name = draw(st.sampled_from(WEIGHTS))
    ops = draw(st.lists(st.tuples(
        st.sampled_from(["delete", "duplicate", "replace", "insert", "indent", "truncate", "swap"]),
        st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 12),
        st.one_of(st.sampled_from(TOKENS), st.text(max_size=10)),
    ), min_size=1, max_size=4))
    return name, tuple(ops)


def apply(name: str, ops: tuple[Op, ...]) -> str:
    lines = SOURCES[name].splitlines()
    for action, a, b, length, token in ops:
        if not lines:
            break
        i, j = a % len(lines), b % len(lines)
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "replace":
            cut = b % (len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + token + lines[i][cut + length:]
        elif action == "insert":
            lines.insert(i, token)
        elif action == "indent":
            lines[i] = " " * (length % 7) + lines[i].lstrip()
        elif action == "truncate":
            lines = lines[:i]
        else:
            lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines) + "\n"


# deterministic in CI; run with a larger max_examples and derandomize=False to explore
@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated())
def test_mutated_plans_fail_cleanly(case: tuple[str, tuple[Op, ...]]) -> None:
    name, ops = case
    text = apply(name, ops)
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
