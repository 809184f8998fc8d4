"""Report files with a submission, through the API (multipart) and the portal form, on SQLite
and PostgreSQL: stored in the ledger with their SHA-256 in the audit entry, downloaded only by
whoever may see the obligation (another unit gets 404), served as attachments with nosniff;
hostile files and bodies refused with a Vietnamese message and nothing stored; empty
submissions refused; a duty with ``evidence: required`` refuses a submission without a file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import json
import tracemalloc
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import transaction
from phancong.adapters.orm import (
    AuditRow,
    DutyRow,
    ObligationRow,
    SubmissionFileRow,
    SubmissionRow,
    UnitRow,
)
from phancong.bootstrap import bootstrap
from phancong.services import accounts, credentials
from phancong.settings import Settings
from phancong.web.app import create_app
from tests.portal_support import add_user, client_for, csrf, fast_hasher, login, seed_ledger

pytestmark = pytest.mark.integration

PLAN = Path(__file__).resolve().parents[1] / "data" / "mini-reports.yaml"
NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
SGD, CA, COORD, VIEWER = (
    "sgd@example.test",
    "ca@example.test",
    "pc02@example.test",
    "bcd@example.test",
)
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)


def docx_bytes(text: str = "Báo cáo kết quả thực hiện Quý I/2026") -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docm_bytes() -> bytes:
    """A macro-enabled Word document: the macro part and its content type."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(docx_bytes_io(), "r") as source, zipfile.ZipFile(buffer, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"wordprocessingml.document.main+xml",
                    b"ms-word.document.macroEnabled.main+xml",
                )
            out.writestr(item, data)
        out.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\x00" * 512)
    return buffer.getvalue()


def docx_bytes_io() -> io.BytesIO:
    return io.BytesIO(docx_bytes())


def zip_bomb() -> bytes:
    """A DOCX-shaped zip whose one extra member inflates 1 000 times (300 MB of zeros)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(docx_bytes_io(), "r") as source, zipfile.ZipFile(
        buffer, "w", zipfile.ZIP_DEFLATED
    ) as out:
        for item in source.infolist():
            out.writestr(item, source.read(item.filename))
        with out.open("word/media/padding.xml", "w") as member:
            block = b"\x00" * (1024 * 1024)
            for _ in range(300):
                member.write(block)
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("bao-cao.pdf", PDF_BYTES)
    return buffer.getvalue()


@dataclass
class World:
    factory: sessionmaker[Session]
    settings: Settings
    ids: dict[str, int]
    tokens: dict[str, str]

    def app(self) -> Any:
        return create_app(bootstrap(self.settings, sessions=self.factory, clock=lambda: NOW))

    def counts(self) -> tuple[int, int, int]:
        with self.factory() as session:
            return (
                session.scalar(select(func.count()).select_from(SubmissionRow)) or 0,
                session.scalar(select(func.count()).select_from(SubmissionFileRow)) or 0,
                session.scalar(select(func.count()).select_from(AuditRow)) or 0,
            )


def ob_id(session: Session, duty: str, unit: str, period: str) -> int:
    value = session.scalar(
        select(ObligationRow.id)
        .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        .where(DutyRow.code == duty, UnitRow.code == unit, ObligationRow.period_label == period)
    )
    assert value is not None
    return value


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    factory = seed_ledger(database_url, PLAN, through=dt.date(2026, 12, 31), now=NOW)
    add_user(factory, SGD, "agency", plan="mini-reports", unit="sgd", now=NOW)
    add_user(factory, CA, "agency", plan="mini-reports", unit="ca", now=NOW)
    add_user(factory, COORD, "coordinator", plan="mini-reports", now=NOW)
    add_user(factory, VIEWER, "viewer", plan="mini-reports", now=NOW)
    with transaction(factory) as session:
        tokens = {e: credentials.issue_api_token(session, e, now=NOW) for e in (SGD, CA, COORD)}
        ids = {
            "d1": ob_id(session, "d1", "sgd", "2026-Q1"),
            "report": ob_id(session, "report", "sgd", "2026-Q1"),
            "report_ca": ob_id(session, "report", "ca", "2026-Q1"),
        }
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path / "data", database_url=database_url, secret_key="k" * 40
    )
    yield World(factory, settings, ids, tokens)
    factory.kw["bind"].dispose()


def bearer(w: World, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {w.tokens[email]}"}


def test_api_upload_download_scoped(world: World) -> None:
    client = client_for(world.app())
    docx = docx_bytes()
    oid = world.ids["report"]
    response = client.post(
        f"/api/obligations/{oid}/submit-files",
        headers=bearer(world, SGD),
        data={"note": "Báo cáo Quý I kèm văn bản đã ký"},
        files=[
            ("files", ("Báo cáo quý I.pdf", PDF_BYTES, "application/pdf")),
            ("files", ("phu-luc.docx", docx, "application/octet-stream")),
        ],
    )
    assert response.status_code == 200, response.text
    assert response.json()["obligation"]["state"] == "submitted"

    detail = client.get(f"/api/obligations/{oid}", headers=bearer(world, SGD)).json()
    (submission,) = detail["submissions"]
    files = {f["name"]: f for f in submission["files"]}
    assert set(files) == {"Báo cáo quý I.pdf", "phu-luc.docx"}
    assert files["Báo cáo quý I.pdf"]["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert files["phu-luc.docx"]["content_type"].endswith("wordprocessingml.document")
    assert files["phu-luc.docx"]["size"] == len(docx)

    # the audit entry of the submission records each file's SHA-256
    with world.factory() as session:
        audit = session.scalars(
            select(AuditRow).where(
                AuditRow.entity_id == str(oid), AuditRow.action == "obligation.submitted"
            )
        ).one()
    assert audit.after is not None
    assert {f["sha256"] for f in audit.after["files"]} == {
        hashlib.sha256(PDF_BYTES).hexdigest(),
        hashlib.sha256(docx).hexdigest(),
    }

    url = files["phu-luc.docx"]["url"]
    own = client.get(url, headers=bearer(world, SGD))
    assert own.status_code == 200
    assert own.content == docx
    assert own.headers["content-disposition"].startswith("attachment;")
    assert own.headers["x-content-type-options"] == "nosniff"
    assert client.get(url, headers=bearer(world, COORD)).content == docx
    other = client.get(url, headers=bearer(world, CA))
    assert other.status_code == 404
    assert "Không có nghĩa vụ" in other.json()["detail"]
    assert docx not in other.content
    # a file id of another obligation under an obligation the caller may see: not found either
    file_id = url.rsplit("/", 1)[-1]
    crossed = client.get(
        f"/api/obligations/{world.ids['report_ca']}/files/{file_id}", headers=bearer(world, CA)
    )
    assert crossed.status_code == 404

    # the portal's route: same scope
    pdf_id = files["Báo cáo quý I.pdf"]["id"]
    portal_url = f"/obligations/{oid}/files/{pdf_id}"
    for email, status in ((SGD, 200), (COORD, 200), (VIEWER, 200), (CA, 404)):
        browser = client_for(world.app())
        assert login(browser, email).status_code == 303
        got = browser.get(portal_url)
        assert got.status_code == status, email
        if status == 200:
            assert got.content == PDF_BYTES
            assert "attachment" in got.headers["content-disposition"]
            assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o" in got.headers["content-disposition"]
            assert got.headers["x-content-type-options"] == "nosniff"
        else:
            assert PDF_BYTES not in got.content


def test_returned_submission_keeps_its_files(world: World) -> None:
    client = client_for(world.app())
    oid = world.ids["report"]
    first = client.post(
        f"/api/obligations/{oid}/submit-files",
        headers=bearer(world, SGD),
        files=[("files", ("ban-dau.pdf", PDF_BYTES, "application/pdf"))],
    )
    assert first.status_code == 200, first.text
    back = client.post(
        f"/api/obligations/{oid}/return", headers=bearer(world, COORD), json={"reason": "Thiếu"}
    )
    assert back.status_code == 200
    second = client.post(
        f"/api/obligations/{oid}/submit-files",
        headers=bearer(world, SGD),
        files=[("files", ("bo-sung.docx", docx_bytes("Bổ sung"), "application/octet-stream"))],
    )
    assert second.status_code == 200, second.text
    detail = client.get(f"/api/obligations/{oid}", headers=bearer(world, COORD)).json()
    assert [(s["review"], [f["name"] for f in s["files"]]) for s in detail["submissions"]] == [
        ("returned", ["ban-dau.pdf"]),
        ("pending", ["bo-sung.docx"]),
    ]
    # the review queue shows the pending submission's file, linked
    browser = client_for(world.app())
    login(browser, COORD)
    page = browser.get("/review")
    assert "bo-sung.docx" in page.text
    assert f"/obligations/{oid}/files/" in page.text


HOSTILE = {
    "exe renamed pdf": ("bao-cao.pdf", b"MZ\x90\x00" + b"\x00" * 4000, "chương trình chạy được"),
    "docm": ("bao-cao.docm", None, "macro"),
    "docm renamed docx": ("bao-cao.docx", None, "macro"),
    "zip bomb": ("bao-cao.docx", None, "bom nén"),
    "plain zip": ("bao-cao.zip", None, "tệp nén"),
    "pdf named png": ("anh.png", PDF_BYTES, "không khớp"),
    "old doc": ("cu.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "Office cũ"),
    "html": ("trang.pdf", b"<html><script>alert(1)</script></html>", "không phải định dạng"),
    "empty": ("rong.pdf", b"", "rỗng"),
}


def _hostile_bytes(what: str, given: bytes | None) -> bytes:
    if given is not None:
        return given
    if what.startswith("docm"):
        return docm_bytes()
    if what == "zip bomb":
        return zip_bomb()
    return plain_zip()


def test_hostile_files_refused_and_nothing_stored(world: World) -> None:
    client = client_for(world.app())
    oid = world.ids["d1"]
    before = world.counts()
    for what, (name, given, message) in HOSTILE.items():
        data = _hostile_bytes(what, given)
        response = client.post(
            f"/api/obligations/{oid}/submit-files",
            headers=bearer(world, SGD),
            data={"note": "Kèm báo cáo"},
            # a good file first: the whole submission is refused, the good file too
            files=[
                ("files", ("tot.pdf", PDF_BYTES, "application/pdf")),
                ("files", (name, data, "application/pdf")),
            ],
        )
        assert response.status_code == 422, (what, response.status_code, response.text)
        assert message in response.json()["detail"], (what, response.json())
    assert world.counts() == before

    # the same through the portal form: a page with the message, nothing stored
    browser = client_for(world.app())
    login(browser, SGD)
    for what in ("exe renamed pdf", "docm", "zip bomb"):
        name, given, message = HOSTILE[what]
        page = browser.post(
            f"/obligations/{oid}/submit",
            data={"note": "Kèm báo cáo", "csrf_token": csrf(browser)},
            files=[("files", (name, _hostile_bytes(what, given), "application/pdf"))],
        )
        assert page.status_code == 422, what
        assert message in page.text, what
    assert world.counts() == before


def test_size_limits(world: World) -> None:
    settings = world.settings.model_copy(
        update={"upload_file_limit": 100_000, "upload_total_limit": 150_000}
    )
    app = create_app(bootstrap(settings, sessions=world.factory, clock=lambda: NOW))
    client = client_for(app)
    oid = world.ids["d1"]
    before = world.counts()
    big = PDF_BYTES + b"%" * 100_000
    one = client.post(
        f"/api/obligations/{oid}/submit-files",
        headers=bearer(world, SGD),
        files=[("files", ("to.pdf", big, "application/pdf"))],
    )
    assert one.status_code == 422
    assert "quá lớn" in one.json()["detail"]
    middle = PDF_BYTES + b"%" * 60_000
    together = client.post(
        f"/api/obligations/{oid}/submit-files",
        headers=bearer(world, SGD),
        files=[("files", (f"{n}.pdf", middle, "application/pdf")) for n in range(3)],
    )
    assert together.status_code == 422
    assert "Tổng dung lượng" in together.json()["detail"]
    body = client.post(  # over the body limit (files + 1 MB): refused by the middleware
        f"/api/obligations/{oid}/submit-files",
        headers=bearer(world, SGD),
        files=[("files", ("x.pdf", PDF_BYTES + b"%" * 1_300_000, "application/pdf"))],
    )
    assert body.status_code == 413
    assert "quá lớn" in body.json()["detail"]
    assert world.counts() == before


def _asgi_post(app: Any, path: str, headers: list[tuple[bytes, bytes]], total: int,
               chunk: int = 1024 * 1024) -> tuple[int | None, int, int]:
    """POST ``total`` bytes to the ASGI app in ``chunk``-sized pieces, made as they are asked
    for; returns (status, bytes the app pulled, peak traced memory during the call)."""
    block = b"x" * chunk
    pulled = 0
    status: list[int] = []
    preamble = (
        b"--B\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.pdf\"\r\n"
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    )
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    first = True

    async def receive() -> dict[str, Any]:
        nonlocal pulled, first
        if first:
            first = False
            pulled += len(preamble)
            return {"type": "http.request", "body": preamble, "more_body": True}
        if pulled >= total:
            return {"type": "http.disconnect"}
        pulled += chunk
        return {"type": "http.request", "body": block, "more_body": pulled < total}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    tracemalloc.start()
    try:
        asyncio.run(app(scope, receive, send))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (status[0] if status else None), pulled, peak


def test_200_mb_body_refused_without_being_read(world: World, test_output: Path) -> None:
    app = world.app()
    oid = world.ids["d1"]
    path = f"/api/obligations/{oid}/submit-files"
    auth = (b"authorization", f"Bearer {world.tokens[SGD]}".encode())
    kind = (b"content-type", b"multipart/form-data; boundary=B")
    total = 200 * 1024 * 1024
    before = world.counts()
    declared = _asgi_post(app, path, [auth, kind, (b"content-length", str(total).encode())], total)
    assert declared[0] == 413
    assert declared[1] == 0, "a declared 200 MB body is refused before any byte is read"
    chunked = _asgi_post(app, path, [auth, kind], total)
    assert chunked[0] == 413
    limit = world.settings.upload_total_limit + 1024 * 1024
    assert chunked[1] <= limit + 1024 * 1024 + 1024, "reading stopped at the limit"
    assert chunked[2] < 16 * 1024 * 1024, f"peak memory {chunked[2]} bytes"
    assert world.counts() == before
    (test_output / "upload-200mb.txt").write_text(
        f"declared 200 MB body: status {declared[0]}, body bytes read {declared[1]}\n"
        f"chunked 200 MB body: status {chunked[0]}, body bytes read {chunked[1]} "
        f"(limit {limit}), traced peak memory {chunked[2] / 1024 / 1024:.1f} MB\n",
        encoding="utf-8",
    )


def test_empty_submission_refused_in_portal_and_api(world: World) -> None:
    client = client_for(world.app())
    oid = world.ids["d1"]
    before = world.counts()
    api = client.post(f"/api/obligations/{oid}/submit", headers=bearer(world, SGD), json={})
    assert api.status_code == 422
    assert "Báo cáo trống" in api.json()["detail"]
    spaces = client.post(
        f"/api/obligations/{oid}/submit", headers=bearer(world, SGD), json={"note": "   "}
    )
    assert spaces.status_code == 422
    multipart = client.post(
        f"/api/obligations/{oid}/submit-files", headers=bearer(world, SGD), data={"note": ""}
    )
    assert multipart.status_code == 422
    assert "Báo cáo trống" in multipart.json()["detail"]
    browser = client_for(world.app())
    login(browser, SGD)
    page = browser.post(
        f"/obligations/{oid}/submit",
        data={"note": "", "evidence_url": "", "csrf_token": csrf(browser)},
    )
    assert page.status_code == 422
    assert "Báo cáo trống" in page.text
    assert world.counts() == before
    # a figure alone is a report
    figures = client.post(
        f"/api/obligations/{oid}/submit",
        headers=bearer(world, SGD),
        json={"indicator_values": {"so-buoi": 12}},
    )
    assert figures.status_code == 200, figures.text


def test_evidence_required_needs_a_file(world: World) -> None:
    client = client_for(world.app())
    oid = world.ids["report"]
    note_only = client.post(
        f"/api/obligations/{oid}/submit", headers=bearer(world, SGD), json={"note": "Đã làm"}
    )
    assert note_only.status_code == 422
    assert "cần kèm tệp báo cáo" in note_only.json()["detail"]
    browser = client_for(world.app())
    login(browser, SGD)
    form = browser.get(f"/obligations/{oid}")
    assert 'id="files-required"' in form.text
    assert 'enctype="multipart/form-data"' in form.text
    page = browser.post(
        f"/obligations/{oid}/submit", data={"note": "Đã làm", "csrf_token": csrf(browser)}
    )
    assert page.status_code == 422
    with_file = browser.post(
        f"/obligations/{oid}/submit",
        data={"note": "Đã làm", "csrf_token": csrf(browser)},
        files=[("files", ("bc.pdf", PDF_BYTES, "application/pdf"))],
        follow_redirects=False,
    )
    assert with_file.status_code == 303, with_file.text[:300]
    shown = browser.get(f"/obligations/{oid}")
    assert "bc.pdf" in shown.text


def test_indicator_values_checked_by_kind(world: World) -> None:
    client = client_for(world.app())
    oid = world.ids["d1"]
    cases = {
        "co-mo-hinh": ("có lẽ", "“có” hoặc “không”"),
        "so-buoi": (2.5, "số đếm"),
        "ty-le-xu-ly": (120, "từ 0 đến 100"),
        "kinh-phi": ("nhiều", "phải là số"),
    }
    for key, (value, message) in cases.items():
        response = client.post(
            f"/api/obligations/{oid}/submit-files",
            headers=bearer(world, SGD),
            data={"note": "x", "indicator_values": json.dumps({key: value})},
        )
        assert response.status_code == 422, key
        assert message in response.json()["detail"], (key, response.json())
    good = client.post(
        f"/api/obligations/{oid}/submit",
        headers=bearer(world, SGD),
        json={
            "indicator_values": {
                "co-mo-hinh": True,
                "so-buoi": 3,
                "so-tin-bao": 40,
                "ty-le-xu-ly": 97.5,
                "kinh-phi": -12.5,
            }
        },
    )
    assert good.status_code == 200, good.text
    detail = client.get(f"/api/obligations/{oid}", headers=bearer(world, SGD)).json()
    assert detail["submissions"][0]["indicator_values"] == {
        "co-mo-hinh": 1.0,
        "so-buoi": 3.0,
        "so-tin-bao": 40.0,
        "ty-le-xu-ly": 97.5,
        "kinh-phi": -12.5,
    }


def test_cli_done_with_files(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from phancong.cli import app as cli
    from phancong.settings import get_settings

    monkeypatch.setenv("PHANCONG_DATABASE_URL", world.settings.effective_database_url)
    monkeypatch.setenv("PHANCONG_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    report = tmp_path / "bao-cao.pdf"
    report.write_bytes(PDF_BYTES)
    program = tmp_path / "bao-cao-2.pdf"
    program.write_bytes(b"MZ" + b"\x00" * 100)
    oid = str(world.ids["report"])
    base = ["obligation", "done", oid, "--as", SGD, "--note", "Đã làm", "--at", "2026-03-02"]
    try:
        before = world.counts()
        without = CliRunner().invoke(cli, base)
        assert without.exit_code != 0
        assert "cần kèm tệp báo cáo" in without.output
        hostile = CliRunner().invoke(cli, [*base, "--file", str(program)])
        assert hostile.exit_code != 0
        assert "chương trình chạy được" in hostile.output
        assert world.counts() == before
        done = CliRunner().invoke(cli, [*base, "--file", str(report)])
        assert done.exit_code == 0, done.output
    finally:
        get_settings.cache_clear()
    with world.factory() as session:
        names = session.scalars(
            select(SubmissionFileRow.name).where(SubmissionFileRow.obligation_id == int(oid))
        ).all()
    assert names == ["bao-cao.pdf"]


def test_files_directory_instead_of_the_ledger(world: World, tmp_path: Path) -> None:
    """With PHANCONG_FILES_DIR the bytes are written there, named by SHA-256, and the ledger
    keeps where; downloads read them back under the same scope."""
    files_dir = tmp_path / "files"
    settings = world.settings.model_copy(update={"files_dir": files_dir})
    client = client_for(create_app(bootstrap(settings, sessions=world.factory, clock=lambda: NOW)))
    oid = world.ids["report"]
    response = client.post(
        f"/api/obligations/{oid}/submit-files",
        headers=bearer(world, SGD),
        files=[("files", ("bc.pdf", PDF_BYTES, "application/pdf"))],
    )
    assert response.status_code == 200, response.text
    digest = hashlib.sha256(PDF_BYTES).hexdigest()
    assert (files_dir / digest[:2] / digest).read_bytes() == PDF_BYTES
    with world.factory() as session:
        row = session.scalars(select(SubmissionFileRow)).one()
        assert (row.data, row.location) == (None, f"{digest[:2]}/{digest}")
        file_id = row.id
    url = f"/api/obligations/{oid}/files/{file_id}"
    assert client.get(url, headers=bearer(world, SGD)).content == PDF_BYTES
    assert client.get(url, headers=bearer(world, CA)).status_code == 404
    # a portal process without the directory says so rather than failing
    plain = client_for(world.app())
    missing = plain.get(url, headers=bearer(world, SGD))
    assert missing.status_code == 503
    assert "PHANCONG_FILES_DIR" in missing.json()["detail"]
