"""Cells of the overdue table artifact stay inert in both of Prefect's UIs.

Prefect 3.8.8 serves two UIs. The V2 UI (the default) shows a table cell as plain text; the V1 UI
renders every text cell through its markdown renderer (marked): ``[x](javascript:…)`` becomes a
link, ``![x](url)`` an image that loads, ``# …`` a heading, ``- …`` a list, bare URLs links, and
raw HTML goes through DOMPurify (which drops ``<script>`` and ``onerror`` but keeps ``<img>``,
``<a>``, ``<b>``). Seen in Chromium against a real server of that version. So every text cell is
escaped (:func:`phancong.orchestration.artifacts.cell`): rendered as CommonMark with GFM tables
and strikethrough it must give one paragraph whose text is the original, whitespace collapsed —
no element, no link, no image — and no bare URL or address that GFM would turn into a link.

The renderer here is markdown-it-py (installed with Prefect, through rich), a CommonMark
implementation; marked follows the same specification.
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from phancong.adapters.loader import directory, load
from phancong.orchestration.artifacts import OVERDUE_COLUMNS, cell, late_rows
from tests.helpers import HAIDUONG, HANOI

pytestmark = pytest.mark.unit

MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
GFM_AUTOLINK = re.compile(r"(?i)[a-z]:(?=//)|www\.|(?<!\\)@")  # what GFM would make a link

SCRIPT = "<script>alert(1)</script>"
HOSTILE = [
    SCRIPT,
    f"Tuyên truyền {SCRIPT} trong trường học",
    '"><img src=x onerror=alert(1)>',
    "Công an <b>Thành phố</b> | CA & Co",
    "[bấm vào](javascript:alert(1))",  # marked makes it a link; markdown-it refuses the scheme
    "[bấm vào](https://evil.example)",
    "xem ![ảnh](http://127.0.0.1:9/pixel.png)",
    '<a href="https://evil.example">Báo cáo</a>',
    "<https://evil.example>",
    "tải tại https://evil.example, www.evil.example hoặc gửi ai@evil.example",
    "# Tiêu đề",
    "- mục",
    "+ mục",
    "* mục",
    "1986. năm",
    "2) mục",
    "> trích dẫn",
    "---",
    "***",
    "**đậm** _nghiêng_ ~~gạch~~ `mã`",
    "a | b\n|---|---|\n| c | d |",  # a table, if newlines and pipes survived
    "dòng một\ndòng hai\r\nBcc: evil@example.test",
    "Tiêu đề\n===",
    "[x]: https://evil.example",
    "[^1]",
    "&lt;script&gt; &amp; &#60; &#x3C;",
    "a\\b, kết thúc bằng \\",
    "    thụt lề như mã",
    "<!-- chú thích -->",
    "~~~\nmã\n~~~",
]


def shown(value: str) -> str:
    """What a CommonMark renderer shows for a cell, asserting it shows nothing but text."""
    rendered = MARKDOWN.render(value)
    paragraph = re.fullmatch(r"<p>(.*)</p>\n", rendered, re.S)
    assert paragraph is not None, f"{value!r} renders as {rendered!r}"
    assert "<" not in paragraph.group(1), f"{value!r} renders markup: {rendered!r}"
    return html.unescape(paragraph.group(1))


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_cell_shows_its_text_and_nothing_else(text: str) -> None:
    escaped = cell(text)
    assert "\n" not in escaped and "\r" not in escaped
    assert shown(escaped) == " ".join(text.split())
    assert not GFM_AUTOLINK.search(escaped), escaped


def test_the_renderer_would_interpret_the_raw_texts() -> None:
    """The check above has teeth: unescaped, these texts are markup."""
    interpreted = [t for t in HOSTILE if not re.fullmatch(r"<p>[^<]*</p>\n", MARKDOWN.render(t))]
    assert len(interpreted) >= 20, [t for t in HOSTILE if t not in interpreted]
    for text, element in (
        ("[bấm vào](https://evil.example)", "<a href"),
        ("xem ![ảnh](http://127.0.0.1:9/pixel.png)", "<img"),
        (SCRIPT, "<script>"),
        ("# Tiêu đề", "<h1>"),
        ("a | b\n|---|---|\n| c | d |", "<table>"),
    ):
        assert element in MARKDOWN.render(text)
    assert GFM_AUTOLINK.search("tải tại https://evil.example")


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *"abĐả019 .,:;()/\\`*_[]{}<>|#~!@&=+-\"'\n\t?%^$",
                "http://",
                "www.",
                "&lt;",
                "&#60;",
                "<script>",
                "](",
                "javascript:",
                "---",
                "1. ",
                "- ",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_any_text_is_shown_as_it_is(text: str) -> None:
    escaped = cell(text)
    if text.split():
        assert shown(escaped) == " ".join(text.split())
    else:
        assert escaped == ""
    assert not GFM_AUTOLINK.search(escaped), escaped


def test_plain_texts_of_the_shipped_plans_are_unchanged() -> None:
    """In the V2 UI, which shows cells as they are, ordinary text carries no backslash."""
    texts = []
    for path in (HANOI, HAIDUONG):
        plan = load(path)
        texts += [d.title for d in plan.duties] + [d.source for d in plan.duties]
        texts += [u.name for u in directory(plan).all_units()]  # agencies, wards, districts
    assert len(texts) > 350
    assert [t for t in texts if cell(t) != " ".join(t.split())] == []
    assert cell("Sở GD&ĐT (qua PC02), 16/03/2026, 2026-Q1, IV.3, bullet 2") == (
        "Sở GD&ĐT (qua PC02), 16/03/2026, 2026-Q1, IV.3, bullet 2"
    )


def test_late_rows_escape_text_and_keep_numbers() -> None:
    row = {
        "obligation": 7,
        "agency": f"Sở {SCRIPT}",
        "duty": "[x](javascript:alert(1))",
        "citation": "V.3\n| a |",
        "period": "2026-Q1",
        "deadline": "16/03/2026",
        "days_late": 3,
        "escalation_level": "overdue",
        "blocked_by": "- Công an",
    }
    (out,) = late_rows([row])
    assert tuple(out) == OVERDUE_COLUMNS  # the obligation id is not published
    assert out["days_late"] == 3
    assert out["agency"] == "Sở \\<script\\>alert(1)\\</script\\>"
    assert out["duty"] == "\\[x\\](javascript:alert(1))"
    assert out["citation"] == "V.3 \\| a \\|"
    assert out["blocked_by"] == "\\- Công an"
    # values in the coordinators' words (tests/unit/test_artifact_words.py has the rest)
    assert (out["period"], out["deadline"], out["escalation_level"], out["status"]) == (
        "Quý I/2026",
        "16/03/2026",
        "Thông báo quá hạn",
        "Đang chờ đơn vị khác",
    )


def test_citations_in_the_artifacts_read_in_vietnamese() -> None:
    import datetime as dt

    from phancong.orchestration.artifacts import summary_markdown
    from phancong.services.reads import DutyRollup

    row = {
        "agency": "Sở Y tế",
        "duty": "Tuyên truyền",
        "citation": "IV.3, bullet 2",
        "period": "2026-Q1",
        "deadline": "16/03/2026",
        "days_late": 1,
        "escalation_level": "overdue",
        "blocked_by": "",
    }
    (out,) = late_rows([row])
    assert out["citation"] == "Mục IV.3, gạch đầu dòng 2"
    duty = DutyRollup(
        duty_code="d1",
        title="Tuyên truyền",
        source="II.1, item a",
        period_label="2026-Q1",
        total=4,
        submitted=2,
        accepted=1,
        on_time=1,
        overdue=1,
        not_open=0,
        deadline=dt.date(2026, 3, 15),
    )
    text = summary_markdown(
        "Kế hoạch", dt.datetime(2026, 3, 20, tzinfo=dt.UTC), dt.date(2026, 3, 20), [], [duty]
    )
    assert "| Mục II.1, điểm a |" in text
    assert "II.1, item a" not in text


def test_the_summary_escapes_as_much_as_the_overdue_table() -> None:
    """Every text cell of the summary markdown goes through :func:`cell`: rendered with GFM
    tables and strikethrough, each hostile agency name and duty title is shown as its text,
    with no link, struck-through text or other element, and nothing GFM would autolink."""
    import datetime as dt

    from phancong.orchestration.artifacts import summary_markdown
    from phancong.services.reads import DutyRollup, UnitRollup

    units = [UnitRollup(f"u{i}", text, "agency", 1, 1, 0, 0, 0) for i, text in enumerate(HOSTILE)]
    duties = [
        DutyRollup(f"d{i}", text, "IV.1", "2026-Q1", 2, 1, 1, 1, 0, 0, dt.date(2026, 3, 15))
        for i, text in enumerate(HOSTILE)
    ]
    text = summary_markdown(
        "Kế hoạch ~~xoá~~ tại https://evil.example",
        dt.datetime(2026, 3, 20, tzinfo=dt.UTC),
        dt.date(2026, 3, 20),
        units,
        duties,
        {"overdue ~~x~~ www.evil.example": 1},
        2,
    )
    rendered = MARKDOWN.render(text)
    for element in ("<a ", "<s>", "<del>", "<img", "<script", "<h2>-", "<ul>", "<ol>", "<pre>"):
        assert element not in rendered, element
    assert not GFM_AUTOLINK.search(text), GFM_AUTOLINK.search(text)
    cells = re.findall(r"<td>(.*?)</td>", rendered, re.S)
    shown_texts = {html.unescape(c) for c in cells}
    for value in HOSTILE:
        assert " ".join(value.split()) in shown_texts, value
    assert "<h1>Kế hoạch ~~xoá~~ tại https://evil.example</h1>" in html.unescape(rendered)
