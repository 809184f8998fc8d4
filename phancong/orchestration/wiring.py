"""The real collaborators of the tasks, imported lazily: mail renderer, transport, digest.

``phancong.mail`` is another module's work; importing it here, inside functions, keeps the
orchestration importable (and its tests runnable) while that package changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from phancong.services.notices import Renderer
from phancong.settings import Settings


def renderer() -> Renderer:
    from phancong.mail.render import render_notice

    return render_notice


def transport(settings: Settings) -> Any:
    """Capture to ``PHANCONG_MAIL_DIR`` when set, otherwise SMTP from the settings."""
    from phancong.mail.transport import transport_from_settings

    return transport_from_settings(settings)


def deliverer() -> Callable[..., Any]:
    from phancong.mail.deliver import deliver

    return deliver


def digest_queuer() -> Callable[..., Any]:
    from phancong.mail.digest import queue_digest

    return queue_digest
