"""Report files a unit attaches to a submission: what is accepted, judged by content, not name.

Accepted: PDF, DOCX, XLSX, ODT, JPEG, PNG. A file's type is read from its first bytes (and, for
the zip-based office formats, from the members inside); its name only has to agree. Refused,
with a Vietnamese message: executables, macro-enabled office documents (a ``vbaProject.bin``,
a ``macroEnabled`` content type, ODF ``Basic``/``Scripts``), plain archives, old binary office
formats, zip bombs (decompressed size bounded, absolutely and by ratio, counted while
decompressing, never trusting the sizes the archive declares), empty and oversized files.
Pure: no database, no clock.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from phancong.services.errors import Refused

MB = 1024 * 1024
FILE_LIMIT = 20 * MB
TOTAL_LIMIT = 50 * MB
MAX_FILES = 20
UNZIPPED_LIMIT = 100 * MB  # what all members of one office file may decompress to
UNZIPPED_RATIO = 100  # … and at most this many times the file's own size (above 10 MB)
MAX_MEMBERS = 5000
NAME_LIMIT = 200

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
JPEG = "image/jpeg"
PNG = "image/png"

EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    ODT: (".odt",),
    JPEG: (".jpg", ".jpeg"),
    PNG: (".png",),
}
KIND_NAMES = {
    PDF: "PDF",
    DOCX: "Word (DOCX)",
    XLSX: "Excel (XLSX)",
    ODT: "ODT",
    JPEG: "JPEG",
    PNG: "PNG",
}
ACCEPTED_TEXT = "PDF, DOCX, XLSX, ODT, JPEG, PNG"

_EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE
    b"\x7fELF",
    b"#!",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
)
_ARCHIVE_MAGIC = (
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b",  # gzip
    b"BZh",
    b"\xfd7zXZ\x00",
)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .xls, .msg: may carry macros
_RISKY_MEMBER = re.compile(
    r"(\.(exe|dll|com|scr|bat|cmd|ps1|vbs|vbe|js|jse|wsf|msi|jar|sh|apk|lnk|hta|cpl|zip|rar|7z|"
    r"gz|docm|xlsm|pptm|dotm|xltm)$)|(^|/)vbaProject\.bin$|(^|/)vbaData\.xml$",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Upload:
    """A file as received: its name as the client gave it and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Attachment:
    """A checked file, ready to be stored with its submission: its bytes in ``data``, or
    already written to a files directory under ``location`` (see :func:`keep_in`)."""

    name: str
    content_type: str
    size: int
    sha256: str
    data: bytes
    location: str | None = None

    def describe(self) -> dict[str, object]:
        """What the audit entry records of the file (never its bytes)."""
        return {
            "name": self.name,
            "type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }


def keep_in(attachment: Attachment, root: Path) -> Attachment:
    """Write the bytes under ``root`` named by their SHA-256 (the same file twice is one file;
    written to a temporary name, flushed to disk, then renamed, so a reader never sees half a
    file) and return the attachment pointing there. A transaction that then fails leaves an
    unreferenced file, never a reference without its file."""
    location = f"{attachment.sha256[:2]}/{attachment.sha256}"
    target = root / location
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        with open(partial, "wb") as handle:
            handle.write(attachment.data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    return replace(attachment, data=b"", location=location)


def read_kept(root: Path, location: str) -> bytes:
    """The bytes of a file kept by :func:`keep_in`; ``location`` comes from the ledger and must
    be a SHA-256 name (nothing else is ever read)."""
    if not re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{64}", location):
        raise ValueError(f"not a kept file's location: {location!r}")
    return (root / location).read_bytes()


def _refuse(name: str, vi: str, en: str) -> Refused:
    return Refused(f"Tệp “{name}”: {vi}", f"File “{name}”: {en}")


def clean_name(raw: str) -> str:
    """The file's base name: no folders, no control characters, NFC, at most 200 characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", name).strip().lstrip(".")
    if not name:
        name = "tep"
    if len(name) > NAME_LIMIT:
        stem, dot, ext = name.rpartition(".")
        name = (
            (stem[: NAME_LIMIT - len(ext) - 1] + dot + ext)
            if dot and len(ext) < 10
            else name[:NAME_LIMIT]
        )
    return name


def human_size(size: int) -> str:
    if size >= MB:
        return f"{size / MB:.1f} MB".replace(".", ",")
    return f"{max(1, round(size / 1024))} KB"


def sniff(name: str, data: bytes) -> str:
    """The content type of ``data`` among the accepted ones, or :class:`Refused` saying why."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(name, data)
    if head.startswith(_EXECUTABLE_MAGIC):
        raise _refuse(
            name,
            "là tệp chương trình chạy được, không được nhận",
            "is an executable program and is refused",
        )
    if head.startswith(_OLE):
        raise _refuse(
            name,
            "là định dạng Office cũ (.doc/.xls), có thể chứa macro; hãy lưu lại thành DOCX, "
            "XLSX hoặc PDF",
            "is an old binary Office format (.doc/.xls) that may carry macros; save it as "
            "DOCX, XLSX or PDF",
        )
    if head.startswith(_ARCHIVE_MAGIC) or head.startswith(b"PK"):
        raise _refuse(
            name,
            "là tệp nén, không được nhận; hãy gửi từng tệp báo cáo",
            "is an archive and is refused; send each report file itself",
        )
    raise _refuse(
        name,
        f"không phải định dạng được nhận ({ACCEPTED_TEXT})",
        f"is not an accepted format ({ACCEPTED_TEXT})",
    )


def _sniff_zip(name: str, data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _refuse(name, "bị hỏng, không đọc được", "is damaged and cannot be read") from None
    if len(members) > MAX_MEMBERS:
        raise _refuse(name, "có quá nhiều thành phần bên trong", "has too many members")
    names = {m.filename for m in members}
    for member in members:
        if _RISKY_MEMBER.search(member.filename):
            raise _refuse(
                name,
                "chứa macro hoặc tệp chạy được/tệp nén bên trong, không được nhận; hãy lưu lại "
                "thành tệp không có macro (DOCX, XLSX) hoặc PDF",
                "contains macros, an executable or an archive inside and is refused; save it "
                "without macros (DOCX, XLSX) or as PDF",
            )
        if member.filename.startswith(("Basic/", "Scripts/")):
            raise _refuse(name, "chứa macro, không được nhận", "contains macros and is refused")
    _check_unzipped_size(name, archive, members, len(data))
    if "[Content_Types].xml" in names:
        types = _read_member(archive, "[Content_Types].xml").lower()
        if b"macroenabled" in types or b"vbaproject" in types:
            raise _refuse(
                name,
                "là tài liệu có macro (.docm/.xlsm), không được nhận",
                "is a macro-enabled document (.docm/.xlsm) and is refused",
            )
        if "word/document.xml" in names and b"wordprocessingml.document.main+xml" in types:
            return DOCX
        if "xl/workbook.xml" in names and b"spreadsheetml.sheet.main+xml" in types:
            return XLSX
        raise _refuse(
            name,
            f"là tài liệu Office không được nhận (chỉ nhận {ACCEPTED_TEXT})",
            f"is an Office document of a kind not accepted ({ACCEPTED_TEXT})",
        )
    if "mimetype" in names:
        mimetype = _read_member(archive, "mimetype").strip()
        if mimetype == ODT.encode() and "content.xml" in names:
            return ODT
        raise _refuse(
            name,
            f"là tài liệu OpenDocument không được nhận (chỉ nhận {ACCEPTED_TEXT})",
            f"is an OpenDocument file of a kind not accepted ({ACCEPTED_TEXT})",
        )
    raise _refuse(
        name,
        "là tệp nén, không được nhận; hãy gửi từng tệp báo cáo",
        "is an archive and is refused; send each report file itself",
    )


def _read_member(archive: zipfile.ZipFile, member: str, limit: int = MB) -> bytes:
    with archive.open(member) as handle:
        return handle.read(limit)


def _check_unzipped_size(
    name: str, archive: zipfile.ZipFile, members: Sequence[zipfile.ZipInfo], size: int
) -> None:
    """Decompress every member in chunks, counting: a zip bomb stops the count, not memory."""
    limit = min(UNZIPPED_LIMIT, max(10 * MB, UNZIPPED_RATIO * size))
    total = 0
    bomb = _refuse(
        name,
        "giải nén ra quá lớn (nghi là “bom nén”), không được nhận",
        "decompresses to far more than its size (a zip bomb) and is refused",
    )
    for member in members:
        if member.file_size > limit or total + member.file_size > limit:
            raise bomb
        try:
            with archive.open(member) as handle:
                while chunk := handle.read(256 * 1024):
                    total += len(chunk)
                    if total > limit:
                        raise bomb
        except (
            zipfile.BadZipFile,
            NotImplementedError,
            RuntimeError,
            OSError,
            EOFError,
            ValueError,
        ):  # encrypted, unknown compression, CRC mismatch, truncated
            raise _refuse(
                name,
                "bị hỏng hoặc có mật khẩu, không đọc được",
                "is damaged or password-protected and cannot be read",
            ) from None


def check(upload: Upload, *, file_limit: int = FILE_LIMIT) -> Attachment:
    """One file, checked by content; raises :class:`Refused` with the reason."""
    name = clean_name(upload.name)
    size = len(upload.data)
    if size == 0:
        raise _refuse(name, "rỗng", "is empty")
    if size > file_limit:
        raise _refuse(
            name,
            f"quá lớn ({human_size(size)}; tối đa {human_size(file_limit)})",
            f"is too large ({human_size(size)}; max {human_size(file_limit)})",
        )
    kind = sniff(name, upload.data)
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS[kind]:
        raise _refuse(
            name,
            f"có nội dung {KIND_NAMES[kind]} nhưng phần mở rộng “{extension or '(không có)'}” "
            f"không khớp; hãy đặt tên đuôi {EXTENSIONS[kind][0]}",
            f"holds {KIND_NAMES[kind]} but its extension “{extension or '(none)'}” does not "
            f"match; name it {EXTENSIONS[kind][0]}",
        )
    return Attachment(
        name=name,
        content_type=kind,
        size=size,
        sha256=hashlib.sha256(upload.data).hexdigest(),
        data=upload.data,
    )


def check_all(
    uploads: Sequence[Upload],
    *,
    file_limit: int = FILE_LIMIT,
    total_limit: int = TOTAL_LIMIT,
    max_files: int = MAX_FILES,
) -> list[Attachment]:
    """Every file of one submission, or :class:`Refused` for the first that fails (then none
    is kept)."""
    uploads = [u for u in uploads if u.name or u.data]  # an empty file input sends nothing
    if len(uploads) > max_files:
        raise Refused(
            f"Tối đa {max_files} tệp cho một lần báo cáo",
            f"At most {max_files} files per submission",
        )
    total = sum(len(u.data) for u in uploads)
    if total > total_limit:
        raise Refused(
            f"Tổng dung lượng các tệp quá lớn (tối đa {human_size(total_limit)} cho một lần "
            "báo cáo)",
            f"The files are too large together (max {human_size(total_limit)} per submission)",
        )
    return [check(u, file_limit=file_limit) for u in uploads]
