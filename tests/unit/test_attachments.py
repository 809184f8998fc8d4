"""Report files judged by content: the accepted formats, and what is refused and why."""

from __future__ import annotations

import io
import zipfile

import pytest

from phancong.services import attachments
from phancong.services.attachments import Upload, check, check_all, clean_name
from phancong.services.errors import Refused

pytestmark = pytest.mark.unit

PDF = b"%PDF-1.7\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def _zip(members: dict[str, bytes], *, stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(
                zipfile.ZipInfo(stored_first), members.pop(stored_first), zipfile.ZIP_STORED
            )
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Chỉ tiêu", 12])  # type: ignore[union-attr]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def odt(extra: dict[str, bytes] | None = None) -> bytes:
    return _zip(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "content.xml": b"<office:document-content/>",
            "META-INF/manifest.xml": b"<manifest/>",
            **(extra or {}),
        },
        stored_first="mimetype",
    )


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("bao-cao.pdf", PDF, attachments.PDF),
        ("anh-chup.PNG", PNG, attachments.PNG),
        ("scan.jpeg", JPEG, attachments.JPEG),
        ("scan.jpg", JPEG, attachments.JPEG),
        ("so-lieu.xlsx", xlsx(), attachments.XLSX),
        ("bao-cao.odt", odt(), attachments.ODT),
    ],
)
def test_accepted_by_content(name: str, data: bytes, kind: str) -> None:
    checked = check(Upload(name, data))
    assert checked.content_type == kind
    assert checked.size == len(data)
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bao-cao.pdf", b"\x7fELF" + b"\x00" * 60, "chạy được"),
        ("x.pdf", b"#!/bin/sh\nrm -rf /\n", "chạy được"),
        ("bao-cao.odt", odt({"Basic/Standard/Module1.xml": b"<macro/>"}), "macro"),
        ("so-lieu.xlsx", _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"x",
                               "xl/vbaProject.bin": b"x"}), "macro"),
        ("bao-cao.docx", _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"x",
                               "word/embeddings/run.exe": b"MZ"}), "chạy được"),
        ("bao-cao.docx", _zip({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b""}),
         "không được nhận"),
        ("bao-cao.ods", _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                              "content.xml": b""}), "OpenDocument"),
        ("bao-cao.pdf", b"Rar!\x1a\x07\x00" + b"\x00" * 20, "tệp nén"),
        ("bao-cao.pdf", b"\x1f\x8b\x08" + b"\x00" * 20, "tệp nén"),
        ("bao-cao.docx", b"PK\x03\x04" + b"\x00" * 40, "hỏng"),
        ("bao-cao.pdf", "Báo cáo dạng văn bản".encode(), "không phải định dạng"),
        ("bao-cao", PDF, "phần mở rộng"),
    ],
)
def test_refused_with_a_reason(name: str, data: bytes, message: str) -> None:
    with pytest.raises(Refused, match=message) as refused:
        check(Upload(name, data))
    assert clean_name(name) in refused.value.vi


def test_zip_bomb_is_stopped_while_counting() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"wordprocessingml.document.main+xml")
        archive.writestr("word/document.xml", b"<w:document/>")
        with archive.open("word/big.xml", "w") as member:
            for _ in range(120):
                member.write(b"\x00" * (1024 * 1024))
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024  # 120 MB in well under 1 MB
    with pytest.raises(Refused, match="bom nén"):
        check(Upload("bao-cao.docx", data))


def test_names_are_cleaned() -> None:
    assert clean_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert clean_name("C:\\Users\\a\\Báo cáo.pdf") == "Báo cáo.pdf"
    assert clean_name("bao\x00cao\r\n.pdf") == "baocao.pdf"
    assert clean_name(".hidden.pdf") == "hidden.pdf"
    assert clean_name("") == "tep"
    long = clean_name("a" * 500 + ".pdf")
    assert len(long) == attachments.NAME_LIMIT and long.endswith(".pdf")
    # decomposed Vietnamese (as some systems send it) is stored composed (NFC)
    assert clean_name("Ba\u0301o ca\u0301o.pdf") == "Báo cáo.pdf"


def test_limits_per_file_count_and_total() -> None:
    with pytest.raises(Refused, match="quá lớn"):
        check(Upload("a.pdf", PDF + b"x" * 2000), file_limit=1024)
    with pytest.raises(Refused, match="Tổng dung lượng"):
        check_all([Upload(f"{n}.pdf", PDF + b"x" * 600) for n in range(3)], total_limit=1500)
    with pytest.raises(Refused, match="Tối đa 2 tệp"):
        check_all([Upload(f"{n}.pdf", PDF) for n in range(3)], max_files=2)
    with pytest.raises(Refused, match="rỗng"):
        check(Upload("a.pdf", b""))
    assert check_all([]) == []
