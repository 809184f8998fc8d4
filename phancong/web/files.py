"""Report files over HTTP: reading the uploads of a submission, serving a download.

Uploads arrive as multipart parts (spooled to disk by the form parser, the body capped by
:class:`phancong.web.security.BodyLimitMiddleware`); each is read, checked by content
(:mod:`phancong.services.attachments`) and handed to the ledger with its submission. A download
is always an attachment, never shown inline, with ``nosniff``: the portal never lets a browser
interpret a unit's file as a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from phancong.services import attachments
from phancong.services.attachments import Attachment, Upload
from phancong.services.errors import LedgerError, Refused
from phancong.services.reads import FileContent, FileInfo
from phancong.settings import Settings


def uploads_in(values: Sequence[Any]) -> list[UploadFile]:
    """The file parts among a form's values (an empty file input sends a nameless, empty one)."""
    return [v for v in values if isinstance(v, UploadFile) and (v.filename or v.size)]


async def checked(files: Sequence[UploadFile], settings: Settings) -> list[Attachment]:
    """Read and check every file; :class:`Refused` for the first one that fails (none kept)."""
    if len(files) > attachments.MAX_FILES:
        raise Refused(
            f"Tối đa {attachments.MAX_FILES} tệp cho một lần báo cáo",
            f"At most {attachments.MAX_FILES} files per submission",
        )
    uploads: list[Upload] = []
    total = 0
    for part in files:
        data = await part.read(settings.upload_file_limit + 1)
        total += len(data)
        if len(data) > settings.upload_file_limit or total > settings.upload_total_limit:
            # the size checks below give the message; reading stops at the limit
            uploads.append(Upload(part.filename or "", data))
            break
        uploads.append(Upload(part.filename or "", data))
    checked_files = await run_in_threadpool(
        attachments.check_all,
        uploads,
        file_limit=settings.upload_file_limit,
        total_limit=settings.upload_total_limit,
    )
    return await run_in_threadpool(keep, checked_files, settings)


def keep(files: Sequence[Attachment], settings: Settings) -> list[Attachment]:
    """With ``PHANCONG_FILES_DIR`` the bytes go to that directory now (before the submission's
    transaction); otherwise they stay with the attachment, for the ledger."""
    if settings.files_dir is None:
        return list(files)
    return [attachments.keep_in(f, settings.files_dir) for f in files]


def _ascii_name(name: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in plain if c.isascii() and (c.isalnum() or c in "._- "))
    return text.strip() or "tep"


def download_of(content: FileContent, settings: Settings) -> Response:
    """The file, from the ledger or from the files directory where it was kept."""
    data = content.data
    if data is None:
        if settings.files_dir is None or content.location is None:
            raise _Unavailable(
                "Tệp được lưu trong thư mục tệp nhưng máy chủ chưa cấu hình PHANCONG_FILES_DIR",
                "The file is kept in a files directory but PHANCONG_FILES_DIR is not set",
            )
        try:
            data = attachments.read_kept(settings.files_dir, content.location)
        except (OSError, ValueError):
            raise _Unavailable(
                "Không đọc được tệp trong thư mục tệp của máy chủ",
                "The file could not be read from the files directory",
            ) from None
    return download(content.info, data)


class _Unavailable(LedgerError):
    http_status = 503


def download(info: FileInfo, data: bytes) -> Response:
    """The file as an attachment: its stored type, never sniffed, never cached by proxies."""
    disposition = f"attachment; filename=\"{_ascii_name(info.name)}\"; filename*=UTF-8''" + quote(
        info.name, safe=""
    )
    return Response(
        data,
        media_type=info.content_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-File-SHA256": info.sha256,
        },
    )
