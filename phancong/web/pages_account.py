"""A person's account (password, calendar feed) and the Standing Office's units page
(contact addresses)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from phancong.adapters.db import transaction
from phancong.services import accounts, credentials, reads, sessions, units
from phancong.services.access import forbidden
from phancong.services.errors import Refused
from phancong.services.links import base_url
from phancong.web.context import Page
from phancong.web.pages import _unit_name
from phancong.web.params import PageDep, Text
from phancong.web.security import csrf_protect, start_session

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


LINK_SESSION_GRACE = 3600  # seconds after a login link during which no current password is asked


def link_session(page: Page) -> bool:
    """Whether this session was opened by a one-time login link within the hour (the
    "forgotten password" path): the new password is then set without the current one."""
    started = page.request.session.get("link_at")
    return isinstance(started, int) and 0 <= time.time() - started <= LINK_SESSION_GRACE


def _account(
    page: Page,
    feed_url: str | None = None,
    flash: str | None = None,
    password_error: str | None = None,
    status_code: int = 200,
) -> Response:
    user = page.user
    with page.portal.factory() as session:
        has_feed, has_password = sessions.account_has(session, user.id)
    return page.render(
        "account.html",
        status_code=status_code,
        feed_url=feed_url,
        has_feed=has_feed,
        flash=flash,
        password_error=password_error,
        ask_current=has_password and not link_session(page),
        unit_name=_unit_name(page, user.plan_id, user.unit_code),
    )


@router.post("/account/password")
async def change_password(page: PageDep, request: Request) -> Response:
    """Current password (unless just logged in by a link), the new one twice; the account's
    other sessions end, this one continues under the new password."""
    form = await request.form()

    def field(name: str) -> str:
        value = form.get(name)
        return value[: accounts.MAX_PASSWORD + 1] if isinstance(value, str) else ""

    current = None if link_session(page) else field("current_password")

    def change() -> tuple[int, str]:
        with transaction(page.portal.factory) as session:
            user = accounts.change_password(
                session,
                page.user.email,
                current=current,
                new=field("new_password"),
                again=field("new_password_again"),
                now=page.now(),
            )
            return user.id, accounts.password_version(user)

    try:
        found = await run_in_threadpool(change)
    except Refused as refused:
        return _account(page, password_error=refused.message(page.lang), status_code=400)
    start_session(request, *found)
    return _account(page, flash=page.t("flash.password"))


@router.get("/account")
def account(page: PageDep) -> Response:
    return _account(page)


@router.post("/account/feed")
def new_feed(page: PageDep) -> Response:
    """A new private calendar URL, shown once; the previous one stops working."""
    now: dt.datetime = page.now()
    with transaction(page.portal.factory) as session:
        token = credentials.issue_feed_token(
            session, page.user.email, now=now, actor=page.user.email
        )
    url = f"{base_url(page.portal.settings)}/feeds/{token}.ics"
    return _account(page, feed_url=url, flash=page.t("flash.feed"))


@router.post("/account/feed/revoke")
def revoke_feed(page: PageDep) -> Response:
    with transaction(page.portal.factory) as session:
        credentials.revoke_feed_token(
            session, page.user.email, now=page.now(), actor=page.user.email
        )
    return _account(page, flash=page.t("flash.feed_revoked"))


def _coordinator(page: Page) -> None:
    if not page.user.is_coordinator:
        raise forbidden()


def _units_page(
    page: Page,
    plan: str,
    q: str,
    placeholder: bool,
    *,
    flash: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with page.portal.factory() as session:
        info = reads.resolve_plan(session, page.user, plan or None)
        found = units.list_units(session, info.id, q.strip()[:100] or None)
        left = len(units.units_on_placeholder_addresses(session, info.id))
        plans = reads.plans_for(session, page.user)
    if placeholder:
        found = [u for u in found if u.placeholder]
    return page.render(
        "units.html",
        status_code=status_code,
        plan=info,
        plans=plans,
        units=found,
        placeholder_count=left,
        filters={"q": q.strip(), "placeholder": placeholder},
        flash=flash,
        error=error,
    )


@router.get("/units")
def units_page(
    page: PageDep, plan: Text = "", q: Text = "", placeholder: Text = ""
) -> Response:
    """The Standing Office sets real contact addresses per unit (audited)."""
    _coordinator(page)
    return _units_page(page, plan, q, placeholder == "1")


@router.post("/units/{code}/contacts")
async def set_unit_contacts(
    page: PageDep, request: Request, code: Annotated[str, PathParam(max_length=80)]
) -> Response:
    _coordinator(page)
    form = await request.form()

    def field(name: str) -> str:
        value = form.get(name)
        return value[:2000] if isinstance(value, str) else ""

    plan, q, placeholder = field("plan"), field("q"), field("placeholder") == "1"

    def save() -> str:
        with transaction(page.portal.factory) as session:
            info = reads.resolve_plan(session, page.user, plan or None)
            units.set_contacts(
                session, info.id, code, field("emails"), now=page.now(), actor=page.user.email
            )
            return units.find_unit(session, info.id, code).name

    try:
        name = await run_in_threadpool(save)
    except Refused as refused:
        return _units_page(
            page, plan, q, placeholder, error=refused.message(page.lang), status_code=400
        )
    return _units_page(page, plan, q, placeholder, flash=page.t("flash.units_saved", unit=name))
