"""The portal's catalog and formats (no database)."""

from __future__ import annotations

import datetime as dt
import re
import string
import unicodedata
from pathlib import Path

import pytest

from phancong.adapters.loader import load
from phancong.domain import citation
from phancong.domain.plan import Duty
from phancong.domain.status import Status
from phancong.web import catalog, i18n
from phancong.web.context import make_templates
from tests.helpers import HAIDUONG, HANOI

pytestmark = pytest.mark.unit

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "portal"
ENGLISH_WORDS = re.compile(r"\b(section|bullet|item|point|paragraph)\b", re.IGNORECASE)


def test_every_entry_has_both_languages_and_same_placeholders() -> None:
    for key, (vi, en) in catalog.CATALOG.items():
        assert vi.strip(), key
        assert en.strip(), key
        fields = {f for _, f, _, _ in string.Formatter().parse(vi) if f}
        assert fields == {f for _, f, _, _ in string.Formatter().parse(en) if f}, key


def test_vietnamese_text_is_precomposed() -> None:
    """NFC, so diacritics render and search the same everywhere."""
    for key, (vi, _) in catalog.CATALOG.items():
        assert unicodedata.normalize("NFC", vi) == vi, key


def test_templates_use_only_known_keys() -> None:
    used: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"_\('([a-z_.0-9]+)'", path.read_text(encoding="utf-8")))
    assert used
    prefixes = {k for k in used if k.endswith(".")}  # e.g. _('orole.' ~ v.role)
    assert used - prefixes - set(catalog.CATALOG) == set()
    assert all(any(key.startswith(p) for key in catalog.CATALOG) for p in prefixes)


def test_formats() -> None:
    assert i18n.fmt_date(dt.date(2026, 3, 5)) == "05/03/2026"
    assert i18n.fmt_datetime(dt.datetime(2026, 3, 4, 17, 30, tzinfo=dt.UTC)) == "05/03/2026 00:30"
    assert i18n.days_text(3) == "còn 3 ngày"
    assert i18n.days_text(0) == "hạn hôm nay"
    assert i18n.days_text(-2) == "quá hạn 2 ngày"
    assert i18n.days_text(-2, "en") == "2 days late"
    assert i18n.status_label(Status.OVERDUE) == "Quá hạn chưa hoàn thành"
    assert i18n.status_label("completed_on_time", "en") == "Completed on time"
    assert i18n.period_name("2026-Q1") == "Quý I/2026"
    assert i18n.period_name("nonsense-label") == "nonsense-label"


def test_languages() -> None:
    assert i18n.pick_lang(None, "fr", "en") == "en"
    assert i18n.pick_lang() == "vi"
    assert i18n.t("login.title") == "Đăng nhập"
    assert i18n.t("login.title", "en") == "Log in"
    assert i18n.t("matrix.submitted_of", "en", x=3, n=126) == "3 of 126 submitted"


@pytest.mark.parametrize(
    ("text", "day"), [("31/12/2026", dt.date(2026, 12, 31)), ("2026-01-05", dt.date(2026, 1, 5))]
)
def test_parse_day(text: str, day: dt.date) -> None:
    assert i18n.parse_day(text) == day


@pytest.mark.parametrize("text", ["", "31/02/2026", "tomorrow", "2026-13-01"])
def test_parse_day_refuses(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        i18n.parse_day(text)


def _citations() -> set[str]:
    """Every citation the shipped plans give their duties (what the portal shows)."""
    return {duty.source for path in (HANOI, HAIDUONG) for duty in load(path).duties}


def _form(source: str) -> str:
    """'IV.3, bullet 2' → 'bullet'; a bare 'V.3' → 'section'."""
    _, _, part = source.partition(", ")
    return part.split(" ")[0] if part else "section"


@pytest.mark.parametrize(
    ("source", "vi"),
    [
        ("IV.3, bullet 2", "Mục IV.3, gạch đầu dòng 2"),
        ("IV.12, bullet 9", "Mục IV.12, gạch đầu dòng 9"),
        ("II.1, item a", "Mục II.1, điểm a"),
        ("II.2, item đ", "Mục II.2, điểm đ"),
        ("III.5.1, paragraph 1", "Mục III.5.1, đoạn 1"),
        ("II.4, point b", "Mục II.4, điểm b"),
        ("V.3", "Mục V.3"),
        ("III.3.2", "Mục III.3.2"),
        ("Section IV.10", "Mục IV.10"),
    ],
)
def test_citation_in_vietnamese_and_english(source: str, vi: str) -> None:
    assert i18n.fmt_citation(source, "vi") == vi
    assert i18n.fmt_citation(source) == vi  # Vietnamese by default
    assert i18n.fmt_citation(source, "en") == source
    assert unicodedata.normalize("NFC", vi) == vi


def test_the_portal_and_the_domain_cite_alike() -> None:
    """The portal's formatter is the domain's (emails, reports and exports use the latter)."""
    for source in [*sorted(_citations()), "Phụ lục 2", "Section IV.10"]:
        for lang in ("vi", "en"):
            assert i18n.fmt_citation(source, lang) == citation.fmt_citation(source, lang)
        assert citation.fmt_citation(source) == i18n.fmt_citation(source)


@pytest.mark.parametrize(
    "source", ["", "Phụ lục 2", "IV.3, footnote 2", "IV.3,bullet 2", "iv.3", "IV.3, bullet"]
)
def test_unknown_citation_forms_pass_through(source: str) -> None:
    assert i18n.fmt_citation(source, "vi") == source
    assert i18n.fmt_citation(source, "en") == source


def test_every_citation_of_the_plans_reads_as_vietnamese() -> None:
    """Each form present in the plans (bullets, lettered items, paragraphs, bare sections) is
    rendered in Vietnamese; a new form added to a plan fails here until it is translated."""
    citations = _citations()
    forms = {_form(c) for c in citations}
    assert {"bullet", "item", "paragraph", "section"} <= forms, forms
    for source in sorted(citations):
        vi = i18n.fmt_citation(source, "vi")
        assert vi != source, f"not translated: {source!r}"
        assert vi.startswith("Mục "), vi
        assert not ENGLISH_WORDS.search(vi), vi
        assert i18n.fmt_citation(source, "en") == source


def test_every_citation_form_the_plan_model_allows_is_translated() -> None:
    """Every kind of part a duty's citation may name reads in Vietnamese, and the plan model
    stores what it accepts in a form the formatter knows."""
    for kind in citation.CITATION_PARTS_VI:
        stored = citation.parse_citation(f"II.1, {kind} 2")
        assert not ENGLISH_WORDS.search(i18n.fmt_citation(stored, "vi")), stored
    duty = Duty.model_validate(
        {"id": "d", "title": "Một nhiệm vụ", "text": "Văn bản", "source": "Điều 5 khoản 2 điểm a",
         "lead": ["a"], "cadence": {"kind": "periodic"}})
    assert duty.source == "Article 5, clause 2, point a"
    assert i18n.fmt_citation(duty.source, "vi") == "Điều 5, khoản 2, điểm a"


def test_templates_show_citations_through_the_filter() -> None:
    """Every portal template that prints a citation (``.source``) translates it."""
    shown = 0
    for path in TEMPLATES.glob("*.html"):
        for match in re.finditer(r"{{\s*[\w.]+\.source\b([^}]*)}}", path.read_text("utf-8")):
            shown += 1
            assert re.match(r"\s*\|\s*citation\(lang\)\s*$", match.group(1)), (path, match[0])
    assert shown >= 5
    env = make_templates().env
    template = env.from_string("{{ s|citation(lang) }}")
    assert template.render(s="IV.3, bullet 2", lang="vi") == "Mục IV.3, gạch đầu dòng 2"
    assert template.render(s="IV.3, bullet 2", lang="en") == "IV.3, bullet 2"


def test_status_marks_are_drawn_by_the_debian_fonts() -> None:
    """Each status mark is in DejaVu Sans (Debian's default sans-serif, which Chromium falls back
    to): a mark no installed font has shows as an empty box (it did for 'blocked' and
    'submitted'). Checked against fontconfig where it is installed."""
    import shutil
    import subprocess

    from phancong.web.i18n import STATUS_MARKS

    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig is not installed")
    missing = []
    for status, mark in STATUS_MARKS.items():
        found = subprocess.run(["fc-list", f":charset={ord(mark):x}", "family"],
                               capture_output=True, text=True, check=True).stdout
        families = {f.strip() for line in found.splitlines() for f in line.split(",")}
        if "DejaVu Sans" not in families:
            missing.append((status, mark))
    assert missing == []
