"""The weekly digest as an email: :mod:`phancong.services.digest` rendered by this channel."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from phancong.mail.render import render_notice
from phancong.services import digest
from phancong.services.notices import Renderer
from phancong.services.outbox import Mail


def queue_digest(session: Session, plan_id: str, as_of: dt.datetime,
                 renderer: Renderer = render_notice, portal_url: str = "",
                 now: dt.datetime | None = None) -> Mail | None:
    """Queue this ISO week's digest once; ``None`` if it is already in the outbox."""
    return digest.queue_digest(session, plan_id, as_of, renderer, portal_url, now)
