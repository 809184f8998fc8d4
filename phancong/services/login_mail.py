"""The "forgotten password" email: a one-time login link queued in the outbox.

The link is the portal's usual one-time login link (:func:`phancong.services.links.login_link`),
valid for an hour and landing on the account page, where a new password is set. At most one
such email per account every few minutes; an unknown or disabled address queues nothing, and
the portal says the same thing either way.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from phancong.services import accounts, outbox, sessions
from phancong.services.errors import Refused
from phancong.services.links import login_link
from phancong.services.outbox import Mail, message_id
from phancong.settings import Settings
from phancong.templating import environment

LINK_TTL = dt.timedelta(hours=1)
RESEND_AFTER = dt.timedelta(minutes=5)
KIND = "login_link"
SUBJECTS = {
    "vi": "[phancong] Liên kết đăng nhập cổng theo dõi",
    "en": "[phancong] Your login link to the follow-up portal",
}


def queue_login_link(
    session: Session, settings: Settings, email: str, *, now: dt.datetime
) -> Mail | None:
    """Queue a login-link email for the active account ``email``; None when there is no such
    account or one was queued less than :data:`RESEND_AFTER` ago."""
    try:
        address = accounts.normalize_email(email)
    except Refused:
        return None
    user = accounts.find_user(session, address)
    if user is None or not user.active:
        return None
    if sessions.login_link_sent_recently(session, user.id, now=now, ttl=LINK_TTL,
                                         within=RESEND_AFTER):
        return None
    link = login_link(settings, session, user.email, "/account#password", LINK_TTL, now=now)
    lang = user.language if user.language in SUBJECTS else "vi"
    env = environment()
    values = {"lang": lang, "name": user.name, "email": user.email, "link": link,
              "subject": SUBJECTS[lang]}
    return outbox.queue_mail(
        session, plan_id=user.plan_id or "",
        message_id=message_id("login-link", user.id, now.isoformat()), kind=KIND, language=lang,
        recipients=[user.email], subject=SUBJECTS[lang],
        body_text=env.get_template("email/login_link.txt").render(values),
        body_html=env.get_template("email/login_link.html").render(values), now=now,
    )
