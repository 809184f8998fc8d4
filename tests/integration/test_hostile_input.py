"""Hostile input: oversized and malformed posts, and HTML/script in plan texts and notes.

Extends what tests/integration/test_portal_flow.py already checks (a 70 KB note → 413, a note
over 10 000 characters → 422, ``javascript:`` evidence → 422, an id over int32 or not a number
→ 422, ``<script>`` in a note escaped on the obligation page and the review queue) and
tests/unit/test_mail_render.py (a ``<script>`` duty title and recipient name escaped in one
blocker mail). Here:

* oversized posts sent every way (declared length, chunked, multipart file, login form) → 413;
* malformed forms (missing fields, wrong types, invalid dates, NaN/inf/huge indicator values,
  negative and beyond-int64 ids, too many multipart fields, path traversal in feed, report
  and static URLs) → 4xx with a message and the ledger unchanged (submissions, audit rows,
  outbox, obligation states and deadlines counted before and after), on SQLite and PostgreSQL;
  non-UTF-8 bytes and control characters never reach the database;
* a copy of the mini plan whose plan, agency, group, duty and indicator texts carry
  ``<script>alert(1)</script>`` and ``"><img src=x onerror=alert(1)>``, plus the same in notes,
  reasons and evidence links: escaped on every page, in the email HTML (review notices, every
  sweep level, the digest, every letter kind in both languages), in the consolidated report
  and in the Prefect summary markdown; agency and duty names starting with ``= + - @`` are
  neutralised in the CSV and XLSX exports; a newline in the plan title injects no mail header.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
import yaml
from markdown_it import MarkdownIt
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import transaction
from phancong.adapters.orm import (
    AuditRow,
    DutyRow,
    ObligationRow,
    OutboxRow,
    SubmissionRow,
    UnitRow,
)
from phancong.bootstrap import bootstrap
from phancong.mail.message import build_message
from phancong.mail.render import render_notice
from phancong.orchestration.artifacts import md, summary_for, summary_markdown
from phancong.services import accounts, consolidate, credentials, report_files, submissions
from phancong.services.digest import queue_digest
from phancong.services.notices import Notice, NoticeItem, NoticeKind
from phancong.services.reads.late import late_list
from phancong.services.sweep import sweep
from phancong.settings import Settings
from phancong.web.app import create_app
from tests.helpers import at
from tests.portal_support import (
    MINI_PLAN,
    add_user,
    client_for,
    csrf,
    fast_hasher,
    login,
    seed_ledger,
)

pytestmark = pytest.mark.integration

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
MD_LINK = "[bấm vào](javascript:alert(1))"
RAW = ("<script>alert(1)", "<img src=x", "onerror=alert(1)>")
ESCAPED = ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
ERROR_MESSAGE = re.compile(r'data-testid="error"[^>]*>([^<]*)<')
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)  # 10:00 in Hà Nội, Q1 2026 under way
LATE = dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC)  # Q1 obligations overdue
COORD, SGD, VIEWER = "pc02@example.test", "sgd@example.test", "bcd@example.test"
COORD2 = "tt@example.test"
PORTAL = "http://portal.test"
NOTE = f"Đã làm {SCRIPT} {IMG}"
REASON = f"Thiếu số liệu {SCRIPT} {IMG}"
EVIDENCE = f"https://example.test/bc.pdf?x={IMG}"


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)


def hostile_plan(folder: Path) -> Path:
    """tests/data/mini.yaml with script, markup, markdown links and formulas in its texts."""
    data = yaml.safe_load(MINI_PLAN.read_text(encoding="utf-8"))
    data["plan"]["title"] = f"Kế hoạch {SCRIPT}\r\nBcc: evil@example.test"
    data["plan"]["issuer"] = f"UBND {IMG}"
    names = {
        "ca": f"+Công an {MD_LINK} {IMG}",
        "pc02": f"-Phòng PC02 {SCRIPT}",
        "bcd": f"Ban Chỉ đạo {SCRIPT}",
        "sgd": f"@Sở Giáo dục {SCRIPT}",
        "vks": '=HYPERLINK("http://evil.example","Viện Kiểm sát")',
    }
    for agency in data["agencies"]:
        agency["name"] = names[agency["id"]]
    data["groups"][0]["name"] = f"Các đơn vị {SCRIPT}"
    duties = {d["id"]: d for d in data["duties"]}
    duties["d1"].update(
        title=f"{SCRIPT} Tuyên truyền trong trường học",
        text=f"Tăng cường tuyên truyền {IMG}",
        indicators=[
            {
                "id": "so-buoi",
                "name": f"Số buổi {SCRIPT}",
                "unit": IMG,
                "target": 12,
                "target_text": f"12 buổi {IMG}",
            }
        ],
    )
    duties["report"]["title"] = '=HYPERLINK("http://evil.example","Báo cáo")'
    duties["report"]["text"] = f"Các đơn vị báo cáo {SCRIPT}"
    duties["consolidated"]["title"] = f"Tổng hợp {IMG}"
    path = folder / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def ob_id(session: Session, duty: str, unit: str, period: str) -> int:
    value = session.scalar(
        select(ObligationRow.id)
        .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        .where(DutyRow.code == duty, UnitRow.code == unit, ObligationRow.period_label == period)
    )
    assert value is not None
    return value


def settings_for(tmp: Path, url: str) -> Settings:
    return Settings(
        data_dir=tmp / "data",
        database_url=url,
        secret_key="h" * 40,  # type: ignore[arg-type]
        portal_url=PORTAL,
    )


def as_user(app: Any, email: str) -> Any:
    client = client_for(app)
    assert login(client, email).status_code == 303
    return client


def form(client: Any, path: str, **fields: str) -> Any:
    return client.post(
        path, data={**fields, "csrf_token": csrf(client)}, follow_redirects=False
    )


def assert_inert(html: str, where: str, *, shown: bool = True) -> None:
    """No live markup from the payloads; with ``shown``, the escaped payload is there."""
    for raw in RAW:
        assert raw not in html, f"{where}: unescaped {raw!r}"
    if shown:
        assert any(e in html for e in ESCAPED), f"{where}: the payload is not shown at all"


# ----------------------------------------------------------------------------- the world


@dataclass
class World:
    factory: sessionmaker[Session]
    settings: Settings
    app: Any
    ids: dict[str, int]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The hostile plan on SQLite, with hostile notes, reasons and links recorded."""
    tmp = tmp_path_factory.mktemp("hostile")
    url = f"sqlite+pysqlite:///{tmp}/ledger.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "hasher", fast_hasher)
        factory = seed_ledger(url, hostile_plan(tmp), through=dt.date(2026, 12, 31), now=NOW)
        add_user(factory, COORD, "coordinator", plan=None, now=NOW)
        add_user(factory, COORD2, "coordinator", plan="mini", now=NOW)
        add_user(factory, SGD, "agency", plan="mini", unit="sgd", now=NOW)
        add_user(factory, VIEWER, "viewer", plan="mini", now=NOW)
        with factory() as session:
            ids = {
                "pending": ob_id(session, "d1", "sgd", "2026-Q1"),
                "accepted": ob_id(session, "report", "sgd", "2026-Q1"),
                "counted": ob_id(session, "d1", "vks", "2026-Q1"),
                "extended": ob_id(session, "d1", "sgd", "2026-Q3"),
                "waived": ob_id(session, "report", "sgd", "2026-Q3"),
            }
        settings = settings_for(tmp, url)
        app = create_app(bootstrap(settings, sessions=factory, clock=lambda: NOW))
        agency, coordinator = as_user(app, SGD), as_user(app, COORD)
        reviewer = as_user(app, COORD2)  # nobody accepts their own submission
        submit = {"note": NOTE, "evidence_url": EVIDENCE, "indicator.so-buoi": "12"}
        pending, accepted = ids["pending"], ids["accepted"]
        steps = [
            (agency, f"/obligations/{pending}/submit", submit),
            (coordinator, f"/obligations/{pending}/return", {"reason": REASON}),
            (agency, f"/obligations/{pending}/submit", submit),  # pending again, with its history
            (agency, f"/obligations/{accepted}/submit", {"note": NOTE}),
            (coordinator, f"/obligations/{accepted}/accept", {}),
            # for the agency, with the reason as hostile as the note
            (coordinator, f"/obligations/{ids['counted']}/submit",
             {**submit, "on_behalf_reason": REASON}),
            (reviewer, f"/obligations/{ids['counted']}/accept", {}),
            (
                coordinator,
                f"/obligations/{ids['extended']}/extend",
                {"new_deadline": "30/10/2026", "reason": REASON},
            ),
            (coordinator, f"/obligations/{ids['waived']}/waive", {"reason": REASON}),
        ]
        for client, path, fields in steps:
            done = form(client, path, **fields)
            assert done.status_code == 303, (path, done.text[:300])
    yield World(factory, settings, app, ids)
    factory.kw["bind"].dispose()


# ----------------------------------------------------------------------------- escaping


def test_plan_texts_notes_and_reasons_escaped_on_every_page(world: World) -> None:
    coordinator, agency, viewer = (as_user(world.app, e) for e in (COORD, SGD, VIEWER))
    pages = {
        "agency list": (agency, "/obligations"),
        "coordinator list": (coordinator, "/obligations?period="),
        "obligation (agency)": (agency, f"/obligations/{world.ids['pending']}"),
        "obligation (coordinator)": (coordinator, f"/obligations/{world.ids['pending']}"),
        "accepted": (coordinator, f"/obligations/{world.ids['accepted']}"),
        "extended": (coordinator, f"/obligations/{world.ids['extended']}"),
        "waived": (coordinator, f"/obligations/{world.ids['waived']}"),
        "matrix": (coordinator, "/matrix"),
        "matrix (viewer)": (viewer, "/matrix?year=2026&period=2026-Q1"),
        "communes": (coordinator, "/matrix/communes"),
        "review queue": (coordinator, "/review"),
        "account": (agency, "/account"),
    }
    for where, (client, path) in pages.items():
        page = client.get(path)
        assert page.status_code == 200, (where, page.status_code)
        assert_inert(page.text, where, shown=where not in ("communes",))
    detail = coordinator.get(f"/obligations/{world.ids['pending']}").text
    for escaped in (
        "&lt;script&gt;alert(1)&lt;/script&gt; Tuyên truyền",  # duty title
        "Tăng cường tuyên truyền &#34;&gt;&lt;img src=x onerror=alert(1)&gt;",  # duty text
        "Số buổi &lt;script&gt;",  # indicator name
        "Đã làm &lt;script&gt;alert(1)&lt;/script&gt;",  # note
        "Thiếu số liệu &lt;script&gt;",  # return reason
    ):
        assert escaped in detail, escaped
    assert 'href="https://example.test/bc.pdf?x=&#34;&gt;&lt;img' in detail  # evidence link
    queue = coordinator.get("/review").text
    assert "Đã làm &lt;script&gt;alert(1)&lt;/script&gt;" in queue
    assert "Số buổi &lt;script&gt;" in queue


def test_reflected_query_values_and_error_messages_are_escaped(world: World) -> None:
    coordinator = as_user(world.app, COORD)
    for path in (
        f"/obligations?duty={quote(IMG)}&unit={quote(SCRIPT)}&status={quote(SCRIPT)}",
        f"/obligations?plan={quote(SCRIPT)}",  # unknown plan: its name is in the message
        f"/matrix?q={quote(IMG)}&kind={quote(SCRIPT)}",
        f"/matrix/communes?q={quote(IMG)}",
        f"/review?plan={quote(IMG)}",
        f"/obligations/{quote(SCRIPT)}",  # 422
        f"/obligations/1?msg={quote(SCRIPT)}",
        f"/no-such-page/{quote(SCRIPT)}",  # 404
        f"/exports/overdue.csv?plan={quote(IMG)}",
    ):
        page = coordinator.get(path)
        assert page.status_code < 500, path
        assert_inert(page.text, path, shown=False)
    anonymous = client_for(world.app)
    assert_inert(anonymous.get(f"/login?next={quote(IMG)}").text, "login next", shown=False)
    token = csrf(anonymous, "/login")
    refused = anonymous.post(
        "/login", data={"email": SCRIPT, "password": "x", "next": IMG, "csrf_token": token}
    )
    assert refused.status_code == 400
    assert_inert(refused.text, "login form echo")  # the email is echoed, escaped


def _cells_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _assert_no_formula(rows: list[list[Any]], where: str) -> None:
    for row in rows:
        for value in row:
            if isinstance(value, str) and not NUMBER.match(value):
                assert not value.startswith(FORMULA_START), f"{where}: formula cell {value!r}"


def test_exports_neutralise_formulas(world: World) -> None:
    app = create_app(bootstrap(world.settings, sessions=world.factory, clock=lambda: LATE))
    coordinator = as_user(app, COORD)
    for name in ("overdue", "matrix"):
        response = coordinator.get(f"/exports/{name}.csv?plan=mini&year=2026")
        assert response.status_code == 200
        rows = _cells_csv(response.content)
        assert len(rows) > 1, name
        _assert_no_formula(rows, f"{name}.csv")
        flat = {v for r in rows for v in r}
        assert "'+Công an [bấm vào](javascript:alert(1)) \"><img src=x onerror=alert(1)>" in flat
        if name == "matrix":
            assert {
                "'@Sở Giáo dục <script>alert(1)</script>",
                "'-Phòng PC02 <script>alert(1)</script>",
                "'=HYPERLINK(\"http://evil.example\",\"Viện Kiểm sát\")",
            } <= flat
        book = openpyxl.load_workbook(
            io.BytesIO(coordinator.get(f"/exports/{name}.xlsx?plan=mini&year=2026").content)
        )
        sheet = book.active
        assert sheet is not None
        cells = list(sheet.iter_rows())
        assert not [c.coordinate for row in cells for c in row if c.data_type == "f"], name
        _assert_no_formula([[c.value for c in row] for row in cells], f"{name}.xlsx")
        assert len(cells) == len(rows)
    overdue = _cells_csv(coordinator.get("/exports/overdue.csv").content)
    assert "'=HYPERLINK(\"http://evil.example\",\"Báo cáo\")" in {r[3] for r in overdue[1:]}
    mine = _cells_csv(as_user(app, SGD).get("/exports/overdue.csv").content)
    _assert_no_formula(mine, "agency overdue.csv")


def test_email_html_of_every_sweep_level_and_review_is_escaped(world: World) -> None:
    """Review notices queued by the portal, then the sweep's mails at each level and the digest."""
    with transaction(world.factory) as session:
        for day in ("2026-03-11", "2026-03-17", "2026-03-24", "2026-04-07"):
            sweep(session, "mini", at(day), renderer=render_notice, portal_url=PORTAL)
        assert queue_digest(session, "mini", at("2026-04-08"), render_notice, PORTAL) is not None
    with world.factory() as session:
        rows = session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
        kinds = {r.kind for r in rows}
        assert {"review", "reminder", "overdue", "standing_office", "steering_committee"} <= kinds
        assert "digest" in kinds
        for row in rows:
            assert_inert(row.body_html, f"mail {row.id} {row.kind}")
            assert "\r" not in row.subject and "\n" not in row.subject
            message = message_from_bytes(
                bytes(build_message(row, mail_from="Thường trực <tt@example.test>")),
                policy=policy.default,
            )
            assert message["Bcc"] is None, f"header injected into mail {row.id}"
            assert set(message.keys()) >= {"From", "To", "Subject", "Message-ID"}
        returned = next(r for r in rows if r.kind == "review" and "Thiếu số liệu" in r.body_text)
        assert REASON in " ".join(returned.body_text.split())  # the text part keeps the words
        assert "Thiếu số liệu &lt;script&gt;alert(1)&lt;/script&gt;" in returned.body_html


HOSTILE_ITEM = NoticeItem(
    obligation_id=7,
    level="overdue",
    duty_code="d1",
    duty_title=f"{SCRIPT} & {IMG}",
    source=f"IV.3 {IMG}",
    unit_code="sgd",
    unit_name=f"Sở {SCRIPT}",
    role="lead",
    period_label="2026-Q1",
    deadline=dt.date(2026, 3, 16),
    original_deadline=dt.date(2026, 3, 16),
    days_late=3,
    blocked_by=(f"Công an {IMG}",),
    waiting=(f"Phòng {SCRIPT}",),
    link=f"{PORTAL}/obligations/7?x={IMG}",
)
LEVELS = {
    NoticeKind.REMINDER: "reminder",
    NoticeKind.OVERDUE: "overdue",
    NoticeKind.BLOCKER: "blocker",
    NoticeKind.STANDING_OFFICE: "standing_office",
    NoticeKind.STEERING_COMMITTEE: "steering_committee",
    NoticeKind.DIGEST: "overdue",
    NoticeKind.REVIEW: "review",
}


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_letter_escapes_every_text(kind: NoticeKind, lang: str) -> None:
    item = dataclasses.replace(HOSTILE_ITEM, level=LEVELS[kind])
    notice = Notice(
        kind=kind,
        plan_id="mini",
        plan_title=f"Kế hoạch {SCRIPT}\nBcc: evil@example.test",
        as_of=at("2026-03-19"),
        language=lang,
        recipient_code="sgd",
        recipient_name=f"Sở {IMG}",
        recipients=("sgd@example.test",),
        items=(item,),
        portal_url=PORTAL,
        review="returned" if kind is NoticeKind.REVIEW else None,
        reason=f"Lý do {SCRIPT}\n\n{IMG}" if kind is NoticeKind.REVIEW else None,
        summary={"total": 1, "overdue": 1} if kind is NoticeKind.DIGEST else {},
    )
    mail = render_notice(notice)
    assert_inert(mail.html, f"{kind.value}/{lang}")
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;&gt;&lt;img" in mail.html
    assert 'href="http://portal.test/obligations/7?x=&#34;&gt;&lt;img' in mail.html
    if kind is NoticeKind.REVIEW:
        assert "Lý do &lt;script&gt;" in mail.html


def test_consolidated_report_escapes_plan_texts(world: World) -> None:
    with world.factory() as session:
        report = consolidate.compile_report(session, "mini", "2026-Q1", at("2026-04-01"))
    assert report.indicators, "an accepted submission with an indicator value is needed"
    html = report_files.render_html(report)
    assert_inert(html, "consolidated report")
    for escaped in (
        "Số buổi &lt;script&gt;alert(1)&lt;/script&gt;",  # indicator name
        "UBND &#34;&gt;&lt;img src=x onerror=alert(1)&gt;",  # issuer
        "@Sở Giáo dục &lt;script&gt;",  # reported unit
        "Tổng hợp &#34;&gt;&lt;img",  # consolidating duty
    ):
        assert escaped in html, escaped
    assert report_files.render_docx(report).startswith(b"PK")  # builds; docx text is not markup


def test_prefect_artifact_markdown_is_inert(world: World) -> None:
    with world.factory() as session:
        text = summary_for(session, "mini", at("2026-04-01"), {"overdue": 3}, 2)
        rows = late_list(session, "mini", at("2026-04-01"))
    # the markdown holds the payloads escaped with backslashes; what a UI shows is its rendering
    assert_inert(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text),
                 "summary artifact")
    assert "\\<script\\>alert(1)\\</script\\>" in text
    assert not re.search(r"(?<!\\)\]\(javascript:", text)  # no live markdown link
    assert "\\[bấm vào\\](javascript:alert(1))" in text
    assert rows and all(not isinstance(v, bytes) for r in rows for v in r.values())
    empty = summary_markdown(f"# {SCRIPT} | {MD_LINK}", at("2026-04-01"), dt.date(2026, 4, 1), [], [])
    first = empty.splitlines()[0]
    assert first.startswith("# ") and "\\<" in first and "\\|" in first and "\\[" in first
    assert not re.search(r"(?<!\\)[<|\[]", first[2:])
    for value in (SCRIPT, IMG, MD_LINK, "a|b", "`code`", "**bold**", "line\nbreak"):
        cell = md(value)
        assert not re.search(r"(?<!\\)[<>|`*]", cell) and "\n" not in cell, cell


# ----------------------------------------------------------------------------- malformed input


@dataclass
class Ledger:
    factory: sessionmaker[Session]
    app: Any
    ids: dict[str, int]

    def snapshot(self) -> tuple[Any, ...]:
        with self.factory() as session:
            counts = tuple(
                session.scalar(select(func.count()).select_from(table))
                for table in (SubmissionRow, AuditRow, OutboxRow)
            )
            obligations = session.execute(
                select(ObligationRow.id, ObligationRow.state, ObligationRow.effective_deadline)
                .order_by(ObligationRow.id)
            ).all()
        return (*counts, tuple(tuple(o) for o in obligations))


def _ledger(url: str, tmp: Path) -> Ledger:
    factory = seed_ledger(url, hostile_plan(tmp), through=dt.date(2026, 12, 31), now=NOW)
    add_user(factory, COORD, "coordinator", plan=None, now=NOW)
    with factory() as session:
        ids = {
            "open": ob_id(session, "d1", "sgd", "2026-Q1"),
            "submitted": ob_id(session, "report", "sgd", "2026-Q1"),
            "later": ob_id(session, "d1", "sgd", "2026-Q3"),
        }
    with transaction(factory) as session:
        submissions.submit(session, ids["submitted"], actor=SGD, at=NOW, note="đã xong")
    return Ledger(factory, create_app(bootstrap(settings_for(tmp, url), sessions=factory, clock=lambda: NOW)), ids)


@pytest.fixture
def hostile_ledger(database_url: str, tmp_path: Path) -> Iterator[Ledger]:
    """The hostile plan on SQLite and on PostgreSQL (NUL and bad bytes matter there)."""
    made = _ledger(database_url, tmp_path)
    yield made
    made.factory.kw["bind"].dispose()


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> Iterator[Ledger]:
    made = _ledger(f"sqlite+pysqlite:///{tmp_path}/ledger.db", tmp_path)
    yield made
    made.factory.kw["bind"].dispose()


def _chunks(size: int) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        yield b"x" * 8192
        sent += 8192


def test_oversized_posts_are_413_and_change_nothing(sqlite_ledger: Ledger) -> None:
    hostile_ledger = sqlite_ledger
    client = as_user(hostile_ledger.app, COORD)
    token = csrf(client)
    ob = hostile_ledger.ids["open"]
    before = hostile_ledger.snapshot()
    mb = "x" * 1_000_000
    urlencoded = {"content-type": "application/x-www-form-urlencoded"}
    posts = {
        "1 MB note": lambda: client.post(
            f"/obligations/{ob}/submit", data={"note": mb, "csrf_token": token}
        ),
        "1 MB note, chunked (no Content-Length)": lambda: client.post(
            f"/obligations/{ob}/submit",
            content=(c for c in [f"csrf_token={token}&note=".encode(), *_chunks(1_000_000)]),
            headers=urlencoded,
        ),
        # report files are taken only by the submit routes (test_report_files.py): elsewhere a
        # multipart body has the 64 KB cap of every form
        "1 MB multipart file": lambda: client.post(
            f"/obligations/{hostile_ledger.ids['submitted']}/return",
            data={"csrf_token": token, "reason": "x"},
            files={"evidence": ("bc.pdf", b"%PDF" + b"x" * 1_000_000, "application/pdf")},
        ),
        "1 MB reason": lambda: client.post(
            f"/obligations/{hostile_ledger.ids['submitted']}/return",
            data={"reason": mb, "csrf_token": token},
        ),
        "1 MB password": lambda: client.post(
            "/login", data={"email": COORD, "password": mb, "csrf_token": token}
        ),
        "1 MB API note": lambda: client.post(
            f"/api/obligations/{ob}/submit",
            json={"note": mb},
            headers={"Authorization": "Bearer pca_x"},
        ),
        "bogus Content-Length": lambda: client.post(
            f"/obligations/{ob}/submit",
            content=b"note=x",
            headers={**urlencoded, "content-length": "abc"},
        ),
    }
    for what, send in posts.items():
        response = send()
        assert response.status_code == 413, (what, response.status_code)
        assert "quá lớn" in response.text, what
    assert hostile_ledger.snapshot() == before
    assert client.get("/account").status_code == 200  # the session survived


def test_malformed_forms_are_4xx_with_a_message_and_change_nothing(
    hostile_ledger: Ledger,
) -> None:
    client = as_user(hostile_ledger.app, COORD)
    ob, sub = hostile_ledger.ids["open"], hostile_ledger.ids["submitted"]
    submit, extend = f"/obligations/{ob}/submit", f"/obligations/{ob}/extend"
    cases: list[tuple[str, dict[str, str], int, str]] = [
        (f"/obligations/{ob}/return", {"reason": "x"}, 422, "nghĩa vụ đang mở"),
        (f"/obligations/{sub}/return", {}, 422, "lý do"),
        (f"/obligations/{sub}/return", {"reason": "   "}, 422, "lý do"),
        (f"/obligations/{sub}/return", {"reason": "\x00\x01\x7f"}, 422, "lý do"),
        (f"/obligations/{sub}/return", {"reason": "x" * 2001}, 422, "Lý do quá dài"),
        (f"/obligations/{ob}/waive", {}, 422, "lý do"),
        (extend, {"reason": "x"}, 422, "Ngày không hợp lệ"),
        (extend, {"new_deadline": "", "reason": "x"}, 422, "Ngày không hợp lệ"),
        (extend, {"new_deadline": "abc", "reason": "x"}, 422, "Ngày không hợp lệ"),
        (extend, {"new_deadline": "31/02/2026", "reason": "x"}, 422, "Ngày không hợp lệ"),
        (extend, {"new_deadline": "2026-13-45", "reason": "x"}, 422, "Ngày không hợp lệ"),
        (extend, {"new_deadline": "00/00/0000", "reason": "x"}, 422, "Ngày không hợp lệ"),
        (extend, {"new_deadline": "31/12/9999", "reason": "x"}, 422, "vượt quá"),
        (extend, {"new_deadline": "01/01/0001", "reason": "x"}, 422, "Hạn mới phải sau"),
        (extend, {"new_deadline": "30/04/2026"}, 422, "lý do"),
        (extend, {"new_deadline": "30/04/2026", "reason": "x" * 2001}, 422, "Lý do quá dài"),
        (submit, {"indicator.so-buoi": "mười hai"}, 422, "phải là số"),
        (submit, {"indicator.so-buoi": "12,5"}, 422, "phải là số"),
        (submit, {"indicator.so-buoi": "NaN"}, 422, "không hợp lệ"),
        (submit, {"indicator.so-buoi": "nan"}, 422, "không hợp lệ"),
        (submit, {"indicator.so-buoi": "inf"}, 422, "không hợp lệ"),
        (submit, {"indicator.so-buoi": "-Infinity"}, 422, "không hợp lệ"),
        (submit, {"indicator.so-buoi": "1e999"}, 422, "không hợp lệ"),
        (submit, {"indicator.so-buoi": "9" * 400}, 422, "không hợp lệ"),
        (submit, {"indicator.khong-co": "1"}, 422, "không thuộc nhiệm vụ"),
        (submit, {"evidence_url": "file:///etc/passwd"}, 422, "http(s)"),
        (submit, {"evidence_url": "https://"}, 422, "http(s)"),
        (submit, {"evidence_url": "https://x.example/" + "a" * 2000}, 422, "http(s)"),
        (f"/obligations/{hostile_ledger.ids['later']}/submit", {}, 422, "chưa bắt đầu"),
        ("/obligations/-1/submit", {}, 422, "Dữ liệu không hợp lệ"),
        ("/obligations/0/accept", {}, 422, "Dữ liệu không hợp lệ"),
        (f"/obligations/{2**31}/waive", {"reason": "x"}, 422, "Dữ liệu không hợp lệ"),
        (f"/obligations/{2**63}/submit", {}, 422, "Dữ liệu không hợp lệ"),
        (f"/obligations/{2**64 + 1}/extend", {}, 422, "Dữ liệu không hợp lệ"),
        ("/obligations/1e3/submit", {}, 422, "Dữ liệu không hợp lệ"),
        ("/obligations/0x10/submit", {}, 422, "Dữ liệu không hợp lệ"),
        ("/obligations/424242/submit", {}, 404, "Không có nghĩa vụ số 424242"),
        (f"/obligations/{ob}/delete", {}, 404, "Không tìm thấy"),
    ]
    before = hostile_ledger.snapshot()
    wrong: list[str] = []
    for path, fields, status, message in cases:
        response = form(client, path, **fields)
        shown = ERROR_MESSAGE.search(response.text)
        if response.status_code != status or shown is None or message not in shown.group(1):
            text = shown.group(1) if shown else response.text[:200]
            wrong.append(f"{path} {fields!r:.80}: {response.status_code} {text!r}")
    assert not wrong, "\n".join(wrong)
    raw = [
        # 1 200 multipart fields (under 64 KB): python-multipart's field limit → 400
        (
            b"".join(b"--B\r\nContent-Disposition: form-data; name=f%d\r\n\r\n\r\n" % i
                     for i in range(1200)) + b"--B--\r\n",
            "multipart/form-data; boundary=B",
        ),
        (b"--B\r\nbroken", "multipart/form-data; boundary=B"),
        (b"x", "multipart/form-data"),  # no boundary
        (b'{"note": "x", "csrf_token": "y"}', "application/json"),  # forms only
        (b"note=x&csrf_token=" + b"%" * 300, "application/x-www-form-urlencoded"),
    ]
    for body, kind in raw:
        response = client.post(submit, content=body, headers={"content-type": kind})
        assert 400 <= response.status_code < 500, (body[:40], response.status_code)
        assert response.text.strip(), "an error page, not an empty body"
    assert hostile_ledger.snapshot() == before


def test_path_traversal_and_odd_urls_find_nothing(sqlite_ledger: Ledger) -> None:
    hostile_ledger = sqlite_ledger
    client = as_user(hostile_ledger.app, COORD)
    for path in (
        "/feeds/..%2F..%2F..%2Fetc%2Fpasswd.ics",
        "/feeds/..%252F..%252Fpyproject.toml.ics",
        "/feeds/pcf_%00.ics",
        "/feeds/pcf_..%5C..%5Cwindows.ics",
        f"/feeds/pcf_{'a' * 300}.ics",
        "/feeds/%E2%80%AEpcf_x.ics",
        "/reports/mini/..%2F..%2Fsecret_key",
        "/reports/..%2F..%2F..%2Fetc%2Fpasswd",
        "/reports/mini/2026-Q1.html%00.png",
        "/static/..%2F..%2Fpyproject.toml",
        "/static/portal.css%2F..%2F..%2Fsettings.py",
        "/exports/..%2F..%2Fpyproject.toml",
        "/%2e%2e/%2e%2e/etc/passwd",
    ):
        response = client.get(path)
        assert response.status_code in (404, 422), (path, response.status_code)
        for secret in ("root:x:", "[project]", "h" * 40, "SECRET"):
            assert secret not in response.text, path
        assert_inert(response.text, path, shown=False)


def test_control_characters_and_bad_bytes_never_reach_the_database(
    hostile_ledger: Ledger,
) -> None:
    """Accepted, but cleaned: no C0 control or invalid UTF-8 is stored (NUL breaks PostgreSQL)."""
    client = as_user(hostile_ledger.app, COORD)
    token = quote(csrf(client)).encode()
    ob = hostile_ledger.ids["open"]
    bodies = [
        b"note=%ED%A0%80%FF%FE" + b"abc&csrf_token=" + token,  # lone surrogate, invalid UTF-8
        b"note=\xff\xfe\x00raw&csrf_token=" + token,  # raw non-UTF-8 bytes and NUL
        b"note=" + quote("a\u202eb\x00c\x1b[31m\ufeffd\x7f\u0085e").encode()
        + b"&csrf_token=" + token,
    ]
    bodies = [  # the coordinator submits for the agency, with a reason as hostile as the note
        body + b"&on_behalf_reason=" + quote("l\u00fd do\u2066\x00\u202e").encode()
        for body in bodies
    ]
    for body in bodies:
        response = client.post(
            f"/obligations/{ob}/submit",
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text[:200]
        page = client.get(f"/obligations/{ob}")
        assert page.status_code == 200
        with hostile_ledger.factory() as session:
            note = session.scalars(
                select(SubmissionRow.note).order_by(SubmissionRow.id.desc()).limit(1)
            ).one()
        assert not CONTROL.search(note), repr(note)
        note.encode("utf-8")  # no surrogate left
        form(client, f"/obligations/{ob}/return", reason=f"lại {SCRIPT}\x00")
    with hostile_ledger.factory() as session:
        reasons = session.scalars(select(AuditRow.reason).where(AuditRow.reason.is_not(None)))
        assert not [r for r in reasons if CONTROL.search(r)]


def test_api_hostile_json_is_4xx_and_changes_nothing(hostile_ledger: Ledger) -> None:
    with transaction(hostile_ledger.factory) as session:
        bearer = credentials.issue_api_token(session, COORD, now=NOW)
    client = client_for(hostile_ledger.app)
    headers = {"Authorization": f"Bearer {bearer}", "content-type": "application/json"}
    ob = hostile_ledger.ids["open"]
    bodies = [
        b'{"indicator_values": {"so-buoi": NaN}}',
        b'{"indicator_values": {"so-buoi": Infinity}}',
        b'{"indicator_values": {"so-buoi": -1e999}}',
        b'{"indicator_values": {"so-buoi": 1' + b"0" * 400 + b"}}",
        '{"indicator_values": {"so-buoi": "12 buổi"}}'.encode(),
        b'{"indicator_values": {"khong-co": 1}}',
        b'{"indicator_values": [1, 2]}',
        b'{"note": 123}',
        b'{"note": "\\ud800"}',
        b'{"note": "x", "note": {"$gt": ""}}',
        b"[" * 20_000 + b"]" * 20_000,
        b"\xff\xfe{}",
        b'{"note": "\xc3\x28"}',
        b"",
    ]
    before = hostile_ledger.snapshot()
    for body in bodies:
        response = client.post(f"/api/obligations/{ob}/submit", content=body, headers=headers)
        assert 400 <= response.status_code < 500, (body[:50], response.status_code)
        assert response.json()["detail"], body[:50]
    for path in (f"/api/obligations/{2**63}", "/api/obligations/-1", "/api/obligations/１"):
        assert client.get(path, headers=headers).status_code == 422, path
    assert hostile_ledger.snapshot() == before


def test_api_unparsable_body_is_answered_in_vietnamese(sqlite_ledger: Ledger) -> None:
    hostile_ledger = sqlite_ledger
    with transaction(hostile_ledger.factory) as session:
        bearer = credentials.issue_api_token(session, COORD, now=NOW)
    response = client_for(hostile_ledger.app).post(
        f"/api/obligations/{hostile_ledger.ids['open']}/submit",
        content=b'{"note": "\xc3\x28"}',  # not UTF-8
        headers={"Authorization": f"Bearer {bearer}", "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["detail"] != "There was an error parsing the body"


def test_consolidated_report_link_is_served(world: World, tmp_path: Path) -> None:
    with world.factory() as session:
        report = consolidate.compile_report(session, "mini", "2026-Q1", at("2026-04-01"))
    files = report_files.write_files(report, world.settings.data_dir / "reports", PORTAL)
    coordinator = as_user(world.app, COORD)
    response = coordinator.get(files.url.removeprefix(PORTAL))
    assert response.status_code == 200
    assert_inert(response.text, "served report")
