"""The portal's ASGI app for uvicorn's ``--factory`` (``phancong.web`` is imported lazily)."""

from __future__ import annotations

from typing import Any

from phancong.orchestration.db import sessions
from phancong.settings import get_settings


def make_app() -> Any:
    from phancong.web.app import create_app

    return create_app(get_settings(), sessions())
