"""The portal's catalog and formats (no database)."""

from __future__ import annotations

import datetime as dt
import re
import string
import unicodedata
from pathlib import Path

import pytest

from phancong.domain.status import Status
from phancong.web import i18n

pytestmark = pytest.mark.unit

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "portal"


def test_every_entry_has_both_languages_and_same_placeholders() -> None:
    for key, (vi, en) in i18n.CATALOG.items():
        assert vi.strip(), key
        assert en.strip(), key
        fields = {f for _, f, _, _ in string.Formatter().parse(vi) if f}
        assert fields == {f for _, f, _, _ in string.Formatter().parse(en) if f}, key


def test_vietnamese_text_is_precomposed() -> None:
    """NFC, so diacritics render and search the same everywhere."""
    for key, (vi, _) in i18n.CATALOG.items():
        assert unicodedata.normalize("NFC", vi) == vi, key


def test_templates_use_only_known_keys() -> None:
    used: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"_\('([a-z_.0-9]+)'", path.read_text(encoding="utf-8")))
    assert used
    prefixes = {k for k in used if k.endswith(".")}  # e.g. _('orole.' ~ v.role)
    assert used - prefixes - set(i18n.CATALOG) == set()
    assert all(any(key.startswith(p) for key in i18n.CATALOG) for p in prefixes)


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
