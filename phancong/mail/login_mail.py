"""The "forgotten password" email: a one-time login link queued in the outbox.

The link is the portal's usual one-time login link (:func:`phancong.web.links.login_link`),
valid for an hour and landing on the account page, where a new password is set. At most one
such email per account every few minutes; an unknown or disabled address queues nothing, and
the portal says the same thing either way.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from phancong.adapters.orm import LoginLinkRow, OutboxRow
from phancong.services import accounts
from phancong.services.errors import Refused
from phancong.services.outbox import message_id
from phancong.settings import Settings
from phancong.templating import environment
from phancong.web.links import login_link

LINK_TTL = dt.timedelta(hours=1)
RESEND_AFTER = dt.timedelta(minutes=5)
KIND = "login_link"
SUBJECTS = {
    "vi": "[phancong] Liên kết đăng nhập cổng theo dõi",
    "en": "[phancong] Your login link to the follow-up portal",
}


def queue_login_link(
    session: Session, settings: Settings, email: str, *, now: dt.datetime
) -> OutboxRow | None:
    """Queue a login-link email for the active account ``email``; None when there is no such
    account or one was queued less than :data:`RESEND_AFTER` ago."""
    try:
        address = accounts.normalize_email(email)
    except Refused:
        return None
    user = accounts.find_user(session, address)
    if user is None or not user.active:
        return None
    recent = session.scalar(
        select(LoginLinkRow.nonce).where(
            LoginLinkRow.user_id == user.id,
            LoginLinkRow.used_at.is_(None),
            LoginLinkRow.expires_at > now + LINK_TTL - RESEND_AFTER,
        )
    )
    if recent is not None:
        return None
    link = login_link(settings, session, user.email, "/account#password", LINK_TTL, now=now)
    lang = user.language if user.language in SUBJECTS else "vi"
    env = environment()
    values = {"lang": lang, "name": user.name, "email": user.email, "link": link,
              "subject": SUBJECTS[lang]}
    row = OutboxRow(
        plan_id=user.plan_id or "", message_id=message_id("login-link", user.id, now.isoformat()),
        kind=KIND, language=lang, recipient_unit=None, recipients=[user.email],
        subject=SUBJECTS[lang], body_text=env.get_template("email/login_link.txt").render(values),
        body_html=env.get_template("email/login_link.html").render(values), payload=None,
        status="queued", attempts=0, last_error=None, created_at=now, next_attempt_at=now,
        sent_at=None,
    )
    session.add(row)
    session.flush()
    return row
