"""A broken plan names file, line and problem, and loads nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from phancong.adapters.loader import PlanError, load
from phancong.cli import app
from tests.helpers import MINI

pytestmark = pytest.mark.unit

BASE = MINI.read_text(encoding="utf-8")


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in BASE, old
    path = tmp_path / "broken.yaml"
    path.write_text(BASE.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    """Line on which ``needle`` (which may span lines) starts."""
    text = path.read_text(encoding="utf-8")
    assert needle in text, needle
    start = text.index(needle) + len(needle) - len(needle.lstrip())
    return text[:start].count("\n") + 1


CASES = [
    # (what, old, new, line marker, message fragment)
    (
        "unknown agency",
        "lead: [sgd]",
        "lead: [sgd-typo]",
        "lead: [sgd-typo]",
        "unknown agency or group 'sgd-typo'",
    ),
    (
        "unknown duty",
        "depends_on: [report]",
        "depends_on: [reprot]",
        "depends_on: [reprot]",
        "unknown duty 'reprot'",
    ),
    (
        "duplicate duty id",
        "  - id: report\n",
        "  - id: d1\n",
        "  - id: d1\n    title: Báo cáo",
        "duplicate duty id 'd1'",
    ),
    (
        "duplicate agency id",
        "{id: vks,",
        "{id: sgd,",
        "{id: sgd, name: Viện",
        "duplicate agency/group id 'sgd'",
    ),
    (
        "dependency cycle",
        "source: V.1\n    lead: [units]\n    cadence: {kind: periodic}",
        "source: V.1\n    lead: [units]\n    cadence: {kind: periodic}\n    depends_on: [consolidated]",
        "depends_on: [consolidated]",
        "dependency cycle: report → consolidated → report",
    ),
    (
        "deadline outside the period",
        "source: V.1\n    lead: [units]\n    cadence: {kind: periodic}",
        "source: V.1\n    lead: [units]\n    cadence: {kind: once, due: 2027-03-01}",
        "due: 2027-03-01",
        "outside the plan period",
    ),
    ("empty group", "members: [ca, sgd]", "members: []", "{id: units", "is empty"),
    (
        "bad cadence",
        "{kind: quarterly, only: [1, 3]}",
        "{kind: fortnightly}",
        "fortnightly",
        "cadence.kind",
    ),
    (
        "bad quarter",
        "{kind: quarterly, only: [1, 3]}",
        "{kind: quarterly, only: [1, 5]}",
        "only: [1, 5]",
        "does not fit a quarterly cadence",
    ),
    (
        "unknown field",
        "    supporting: [ca]",
        "    supportin: [ca]",
        "supportin:",
        "unknown field 'supportin'",
    ),
    (
        "standing office",
        "standing_office: pc02",
        "standing_office: pc03",
        "standing_office: pc03",
        "standing office 'pc03' is not a declared agency",
    ),
    ("bad citation", "source: IV.3, bullet 2", "source: chapter four", "chapter four", "source"),
    (
        "yaml syntax",
        "  - id: consolidated",
        "  - id: [consolidated",
        "title: Báo cáo tổng hợp",
        "YAML",
    ),
    (
        "consolidation without inputs",
        "source: IV.3, bullet 2\n    lead: [sgd]",
        "source: IV.3, bullet 2\n    due_after_inputs: 5\n    lead: [sgd]",
        "  - id: d1",
        "'due_after_inputs' needs the inputs in 'depends_on'",
    ),
    (
        "consolidation with its own date",
        "    cadence: {kind: periodic}\n    depends_on: [report]",
        "    cadence: {kind: once, due: 2026-06-30}\n    depends_on: [report]\n"
        "    due_after_inputs: 5",
        "  - id: consolidated",
        "no 'due' or 'deadline' in its cadence",
    ),
    (
        "consolidation period without an input",
        "    cadence: {kind: periodic}\n    depends_on: [report]",
        "    cadence: {kind: monthly}\n    depends_on: [report]\n    due_after_inputs: 5",
        "depends_on: [report]",
        "no input of 'consolidated' falls in period 2026-01",
    ),
    (
        "unknown recipient",
        "    depends_on: [report]",
        "    depends_on: [report]\n    recipients: [ubnd-typo]",
        "recipients: [ubnd-typo]",
        "unknown agency or group 'ubnd-typo'",
    ),
    (
        "unknown reporting entry",
        "source: V.1\n    lead: [units]\n    cadence: {kind: periodic}",
        "source: V.1\n    lead: [units]\n    cadence: {kind: periodic, entries: [h, yy]}",
        "entries: [h, yy]",
        "unknown reporting entry 'yy'",
    ),
    (
        "deadline month on a quarterly cadence",
        "{kind: quarterly, only: [1, 3]}",
        "{kind: quarterly, only: [1, 3], deadline: {day: 15, month: 11}}",
        "month: 11",
        "only for yearly cadences",
    ),
    (
        "bad also_cites",
        "source: IV.3, bullet 2\n",
        "source: IV.3, bullet 2\n    also_cites: [chapter four]\n",
        "chapter four",
        "cannot read the citation",
    ),
    (
        "duplicate key",
        "    text: Các đơn vị báo cáo.",
        "    text: Các đơn vị báo cáo.\n    text: again",
        "text: again",
        "duplicate key 'text'",
    ),
]


@pytest.mark.parametrize(
    ("what", "old", "new", "marker", "fragment"), CASES, ids=[c[0] for c in CASES]
)
def test_error_names_file_line_and_problem(
    tmp_path: Path, what: str, old: str, new: str, marker: str, fragment: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(PlanError) as caught:
        load(path)
    problems = caught.value.problems
    assert any(fragment in p.message for p in problems), [str(p) for p in problems]
    hit = next(p for p in problems if fragment in p.message)
    assert hit.file == str(path)
    assert hit.line == _line_of(path, marker), str(hit)


def test_cli_validate_reports_without_traceback(tmp_path: Path) -> None:
    path = _broken(tmp_path, "lead: [sgd]", "lead: [nobody]")
    result = CliRunner().invoke(app, ["plan", "validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:" in result.output and "không có cơ quan hoặc nhóm 'nobody'" in result.output
    assert "Traceback" not in result.output
    english = CliRunner().invoke(app, ["plan", "validate", str(path), "--lang", "en"])
    assert english.exit_code == 2
    assert f"{path}:" in english.output and "unknown agency or group 'nobody'" in english.output


def test_a_broken_plan_loads_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI refuses before touching the database: no database file is even created."""
    monkeypatch.setenv("PHANCONG_DATA_DIR", str(tmp_path / "data"))
    from phancong.settings import get_settings

    get_settings.cache_clear()
    path = _broken(tmp_path, "depends_on: [report]", "depends_on: [ghost]")
    result = CliRunner().invoke(
        app, ["ledger", "materialize", str(path), "--through", "2026-12-31"]
    )
    get_settings.cache_clear()
    assert result.exit_code == 2
    assert "nhiệm vụ 'ghost' không có trong kế hoạch" in result.output
    assert not (tmp_path / "data" / "phancong.db").exists()


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["plan", "validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "không tìm thấy tệp" in result.output
