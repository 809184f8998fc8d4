"""The real collaborators of the tasks, imported lazily: mail renderer, transport, digest.

``phancong.mail`` is another module's work; importing it here, inside functions, keeps the
orchestration importable (and its tests runnable) while that package changes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from phancong.services.notices import Renderer
from phancong.settings import Settings

TRANSPORT_MODULES = ("phancong.mail.transports", "phancong.mail.transport",
                     "phancong.mail.deliver", "phancong.mail")


def renderer() -> Renderer:
    from phancong.mail.render import render_notice  # type: ignore[import-not-found]

    return render_notice  # type: ignore[no-any-return]


def _transport_class(name: str) -> Any:
    for module_name in TRANSPORT_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        if hasattr(module, name):
            return getattr(module, name)
    raise ImportError(f"phancong.mail provides no {name}")


def transport(settings: Settings) -> Any:
    """Capture to ``PHANCONG_MAIL_DIR`` when set, otherwise SMTP from the settings."""
    if settings.mail_dir is not None:
        return _transport_class("FileTransport")(settings.mail_dir)
    return _transport_class("SmtpTransport")(settings)


def deliverer() -> Callable[..., Any]:
    from phancong.mail.deliver import deliver  # type: ignore[import-not-found]

    return deliver  # type: ignore[no-any-return]


def digest_queuer() -> Callable[..., Any]:
    from phancong.mail.digest import queue_digest  # type: ignore[import-not-found]

    return queue_digest  # type: ignore[no-any-return]
