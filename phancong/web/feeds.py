"""The private calendar feed (``/feeds/{token}.ics``): an account's deadlines as iCalendar
events, for Outlook, Google or a phone's calendar; the token is issued on the account page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from icalendar import Calendar, Event
from starlette.responses import Response

from phancong.domain.access import Principal
from phancong.services import credentials, reads
from phancong.services.access import principal_of
from phancong.services.errors import NotFound
from phancong.services.links import base_url, obligation_url
from phancong.web import i18n
from phancong.web.context import Portal, get_portal
from phancong.web.exports import EXPORT_LIMIT

router = APIRouter(include_in_schema=False)


def _event(
    uid: str, day: dt.date, summary: str, description: str, url: str, stamp: dt.datetime
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    return event


def calendar_for(page_portal: Portal, principal: Principal, now: dt.datetime) -> bytes:
    settings = page_portal.settings
    lang = principal.language if principal.language in i18n.LANGS else "vi"
    host = urlsplit(base_url(settings)).hostname or "phancong"
    cal = Calendar()
    cal.add("prodid", "-//phancong//portal//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-timezone", settings.timezone)
    with page_portal.factory() as session:
        plan = reads.resolve_plan(session, principal, None)
        cal.add("x-wr-calname", f"{i18n.t('app.short', lang)} – {plan.title}"[:200])
        since = reads.today(plan, now) - dt.timedelta(days=366)
        if principal.is_agency:
            views = reads.find(
                session,
                plan.id,
                now,
                unit=principal.unit_code,
                open_first=False,
                limit=EXPORT_LIMIT,
            )
            for v in views:
                if v.state in ("cancelled", "waived") or v.deadline < since:
                    continue
                title = f"{v.duty_title} – {i18n.period_name(v.period_label, lang)}"
                link = obligation_url(settings, v.id)
                description = (
                    f"{i18n.t('col.citation', lang)}: {i18n.fmt_citation(v.source, lang)}\n"
                    f"{i18n.t('col.status', lang)}: {i18n.status_label(v.status, lang)}\n{link}"
                )
                cal.add_component(
                    _event(f"obligation-{v.id}@{host}", v.deadline, title, description, link, now)
                )
        else:
            for g in reads.deadline_groups(session, plan, since):
                title = f"{g.duty_title} – {i18n.period_name(g.period_label, lang)} ({g.count})"
                query = urlencode({"plan": plan.id, "duty": g.duty_code, "period": g.period_label})
                link = f"{base_url(settings)}/obligations?{query}"
                citation = i18n.fmt_citation(g.source, lang)
                description = f"{i18n.t('col.citation', lang)}: {citation}\n{link}"
                uid = f"duty-{plan.id}-{g.duty_code}-{g.period_label}-{g.deadline:%Y%m%d}@{host}"
                cal.add_component(_event(uid, g.deadline, title, description, link, now))
    data: bytes = cal.to_ical()
    return data


FeedToken = Annotated[str, PathParam(max_length=200)]


@router.get("/feeds/{token}.ics")
def feed(token: FeedToken, portal: Annotated[Portal, Depends(get_portal)]) -> Response:
    """A private, revocable calendar of deadlines; the token in the URL is the credential."""
    with portal.factory() as session:
        user = credentials.user_for_feed_token(session, token)
        principal = principal_of(user) if user is not None else None
    if principal is None:
        raise NotFound("Không tìm thấy lịch", "No such calendar")
    body = calendar_for(portal, principal, portal.now())
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": 'inline; filename="phancong.ics"',
        },
    )
