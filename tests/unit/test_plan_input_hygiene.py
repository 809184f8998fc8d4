"""Plan files as clerks write them: any usual citation style, dates as people type them, NFD
text, mistakes reported in Vietnamese on their line — never a traceback."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from phancong.adapters.loader import PlanError, load, parse
from phancong.domain.citation import CitationError, fmt_citation, parse_citation
from tests.helpers import HANOI, MINI

pytestmark = pytest.mark.unit

BASE = MINI.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("written", "stored", "shown"),
    [
        ("IV.3, bullet 2", "IV.3, bullet 2", "Mục IV.3, gạch đầu dòng 2"),
        ("Mục IV.1, gạch đầu dòng 2", "IV.1, bullet 2", "Mục IV.1, gạch đầu dòng 2"),
        ("mục IV.1 gạch đầu dòng 2", "IV.1, bullet 2", "Mục IV.1, gạch đầu dòng 2"),
        ("2.1, điểm a", "2.1, item a", "Mục 2.1, điểm a"),
        ("Mục 3, gạch đầu dòng 1, điểm b", "3, bullet 1, item b", "Mục 3, gạch đầu dòng 1, điểm b"),
        ("Điều 5, khoản 2, điểm a", "Article 5, clause 2, point a", "Điều 5, khoản 2, điểm a"),
        ("điểm a khoản 2 Điều 5", "Article 5, clause 2, point a", "Điều 5, khoản 2, điểm a"),
        ("Article 12, clause 1", "Article 12, clause 1", "Điều 12, khoản 1"),
        ("Section IV.10", "IV.10", "Mục IV.10"),
        ("II.1, item đ", "II.1, item đ", "Mục II.1, điểm đ"),
    ],
)
def test_citations_in_the_usual_styles_are_read(written: str, stored: str, shown: str) -> None:
    assert parse_citation(written) == stored
    assert parse_citation(unicodedata.normalize("NFD", written)) == stored
    assert fmt_citation(stored, "vi") == shown
    assert parse_citation(shown) == stored  # what the portal prints is accepted back


@pytest.mark.parametrize("written", ["chapter four", "IV.3, footnote 2", "", "Mục IV Mục V"])
def test_an_unreadable_citation_shows_examples(written: str) -> None:
    with pytest.raises(CitationError) as caught:
        parse_citation(written)
    assert "Mục IV.3, gạch đầu dòng 2" in str(caught.value)
    assert "Điều 5, khoản 2, điểm a" in str(caught.value)


def _plan(tmp_path: Path, old: str, new: str) -> Path:
    assert old in BASE, old
    path = tmp_path / "plan.yaml"
    path.write_text(BASE.replace(old, new, 1), encoding="utf-8")
    return path


def _line(path: Path, needle: str) -> int:
    text = path.read_text(encoding="utf-8")
    return text[: text.index(needle)].count("\n") + 1


def test_an_impossible_unquoted_date_is_a_problem_on_its_line(tmp_path: Path) -> None:
    path = _plan(tmp_path, "cadence: {kind: periodic}", "cadence: {kind: once, due: 2026-02-31}")
    with pytest.raises(PlanError) as caught:
        load(path)
    (problem,) = caught.value.problems
    assert problem.line == _line(path, "2026-02-31")
    assert "2026-02-31" in str(problem) and "Traceback" not in str(problem)


def test_a_day_month_year_date_says_how_to_write_it(tmp_path: Path) -> None:
    path = _plan(tmp_path, "cadence: {kind: periodic}", "cadence: {kind: once, due: 30/06/2026}")
    with pytest.raises(PlanError) as caught:
        load(path)
    text = caught.value.text("vi")
    assert "ngày phải viết dạng YYYY-MM-DD (ví dụ 2026-06-30)" in text, text
    assert "write" not in text
    assert "a date is written YYYY-MM-DD (e.g. 2026-06-30)" in caught.value.text("en")
    assert caught.value.problems[0].line == _line(path, "30/06/2026")


def test_positions_in_lists_count_from_one(tmp_path: Path) -> None:
    """mini.yaml's second duty has a bad cadence: the message says duties[2], not duties.1."""
    second = BASE.index("  - id: report")
    cadence = BASE.index("cadence:", second)
    bad = BASE[:cadence] + "cadence: {kind: fortnightly}\n" + BASE[BASE.index("\n", cadence) + 1:]
    path = tmp_path / "plan.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(PlanError) as caught:
        load(path)
    assert any("duties[2].cadence" in p.text("vi") for p in caught.value.problems), str(caught.value)
    assert not any("duties.1" in p.text("en") for p in caught.value.problems)


def test_messages_are_vietnamese_and_english_on_request(tmp_path: Path) -> None:
    path = _plan(tmp_path, "lead: [sgd]", "lead: [sgd-typo]")
    with pytest.raises(PlanError) as caught:
        load(path)
    assert "không có cơ quan hoặc nhóm 'sgd-typo'" in str(caught.value)
    assert "unknown agency or group 'sgd-typo'" in caught.value.text("en")


def test_an_nfd_file_is_the_same_plan() -> None:
    text = HANOI.read_text(encoding="utf-8")
    nfc = parse(text, "nfc.yaml")
    nfd = parse(unicodedata.normalize("NFD", text), "nfd.yaml")
    assert nfd == nfc
    assert all(unicodedata.is_normalized("NFC", d.text) for d in nfd.duties)


def test_a_byte_order_mark_and_windows_line_ends_are_read() -> None:
    text = MINI.read_text(encoding="utf-8")
    assert parse("\ufeff" + text.replace("\n", "\r\n"), "bom.yaml") == parse(text, "mini.yaml")


@pytest.mark.parametrize(
    "broken",
    [
        "plan: [",
        "plan: {period: {start: 2026-13-01}}",
        "duties:\n  - source: 2022-02-30\n",
        "\x00",
        "plan:\n  period: {start: 31/12/2026, end: 2026-01-01}\nagencies: []\nduties: []",
        "- just\n- a list",
    ],
)
def test_no_file_gives_a_traceback(broken: str) -> None:
    with pytest.raises(PlanError) as caught:
        parse(broken, "x.yaml")
    assert all(p.file == "x.yaml" and p.line >= 1 for p in caught.value.problems)
