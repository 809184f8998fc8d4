"""Login by password or by a one-time signed link, and logout."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from itsdangerous import BadSignature, SignatureExpired
from starlette.responses import RedirectResponse, Response

from phancong.adapters.db import transaction
from phancong.services import accounts
from phancong.services.accounts import InvalidLink
from phancong.web.context import Page, page_optional
from phancong.web.links import MAX_TTL, safe_next, serializer
from phancong.web.security import client_ip, csrf_protect, end_session, start_session

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

PageDep = Annotated[Page, Depends(page_optional)]
TokenParam = Annotated[str, PathParam(max_length=600)]


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/login")
def login_form(
    page: PageDep,
    next: Annotated[str, Query(max_length=1000)] = "/",
    msg: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    target = safe_next(next)
    if page.principal is not None:
        return _redirect(target)
    flash = page.t("login.logged_out") if msg == "logged_out" else None
    return page.render("login.html", next=target, email="", error=None, flash=flash)


@router.post("/login")
def login(
    page: PageDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=1000)] = "/",
) -> Response:
    target = safe_next(next)
    portal, request = page.portal, page.request
    ip, key = client_ip(request), email.strip().lower()
    if portal.limiter.blocked(ip, key):
        return page.render(
            "login.html",
            status_code=429,
            next=target,
            email=email,
            error=page.t("login.rate_limited"),
        )
    with transaction(portal.factory) as session:
        user = accounts.authenticate(session, email, password)
        found = (user.id, accounts.password_version(user)) if user is not None else None
    if found is None:
        portal.limiter.failure(ip, key)
        return page.render(
            "login.html", status_code=400, next=target, email=email, error=page.t("login.failed")
        )
    portal.limiter.success(ip, key)
    start_session(request, *found)
    return _redirect(target)


def _decode(page: Page, token: str) -> tuple[str, str]:
    try:
        data = serializer(page.portal.settings.signing_key()).loads(
            token, max_age=int(MAX_TTL.total_seconds())
        )
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        raise InvalidLink() from None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        raise InvalidLink()
    return data["n"], safe_next(data.get("p") if isinstance(data.get("p"), str) else None)


@router.get("/login/link/{token}")
def link_form(page: PageDep, token: TokenParam) -> Response:
    """Show who the link logs in; the POST uses it up (mail scanners that follow links don't)."""
    nonce, target = _decode(page, token)
    with page.portal.factory() as session:
        user = accounts.check_login_nonce(session, nonce, now=page.now())
        if page.principal is not None and page.principal.id == user.id:
            return _redirect(target)
        email = user.email
    return page.render("link.html", email=email, action=f"/login/link/{token}")


@router.post("/login/link/{token}")
def link_login(page: PageDep, token: TokenParam) -> Response:
    nonce, target = _decode(page, token)
    with transaction(page.portal.factory) as session:
        user = accounts.consume_login_nonce(session, nonce, now=page.now())
        found = (user.id, accounts.password_version(user))
    start_session(page.request, *found)
    # a new password may be set without the old one for an hour (the "forgotten password" path)
    page.request.session["link_at"] = int(time.time())
    return _redirect(target)


@router.get("/login/forgot")
def forgot_form(page: PageDep) -> Response:
    return page.render("forgot.html", sent=False)


@router.post("/login/forgot")
def forgot(page: PageDep, email: Annotated[str, Form(max_length=254)] = "") -> Response:
    """Email a one-time login link (one hour) to an active account; the answer is the same
    whether or not the address has an account."""
    from phancong.mail.login_mail import queue_login_link

    with transaction(page.portal.factory) as session:
        queue_login_link(session, page.portal.settings, email, now=page.now())
    return page.render("forgot.html", sent=True)


@router.post("/logout")
def logout(request: Request) -> Response:
    end_session(request)
    return _redirect("/login?msg=logged_out")
