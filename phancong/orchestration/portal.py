"""The portal's ASGI app for uvicorn's ``--factory`` (``phancong.web`` is imported lazily)."""

from __future__ import annotations

from typing import Any

from phancong.bootstrap import wired


def make_app() -> Any:
    from phancong.web.app import create_app

    return create_app(wired())
