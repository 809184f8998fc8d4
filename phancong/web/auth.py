"""Login by password or by a one-time signed link, and logout."""

from __future__ import annotations

import math
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query
from fastapi import Path as PathParam
from itsdangerous import BadSignature, SignatureExpired
from starlette.responses import RedirectResponse, Response

from phancong.adapters.db import transaction
from phancong.services import accounts, credentials, sessions
from phancong.services.credentials import InvalidLink
from phancong.services.links import MAX_TTL, safe_next, serializer
from phancong.web.context import Page, page_optional
from phancong.web.security import (
    client_address,
    csrf_protect,
    end_session,
    read_device,
    remember_device,
    start_session,
)

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
    address = client_address(request, portal.proxies)
    secret, secure = portal.settings.signing_key(), portal.secure_cookies
    device = _known_device(page, email, read_device(request, secret, secure))
    # the attempt is counted as a failure before the password is hashed (concurrent guesses
    # cannot all slip through) and given back if it was right
    reservation = portal.throttle.reserve(email, address, device)
    if not reservation.allowed:
        wait = max(1, math.ceil(reservation.retry_after))
        response = page.render(
            "login.html",
            status_code=429,
            next=target,
            email=email,
            error=page.t("login.rate_limited", wait=_wait_text(wait, page.lang)),
        )
        response.headers["Retry-After"] = str(wait)
        return response
    with transaction(portal.factory) as session:
        user = accounts.authenticate(session, email, password)
        found = (user.id, accounts.password_version(user)) if user is not None else None
    if found is None:
        return page.render(
            "login.html", status_code=400, next=target, email=email, error=page.t("login.failed")
        )
    portal.throttle.succeeded(email, address, device)
    start_session(request, *found)
    response = _redirect(target)
    remember_device(response, secret, secure, found[0], device)
    return response


def _known_device(page: Page, email: str, device: tuple[int, str] | None) -> str | None:
    """The device id when this browser's device cookie belongs to the account being logged
    into (looked up only when a validly signed cookie is there)."""
    if device is None:
        return None
    with page.portal.factory() as session:
        user = accounts.find_user(session, email)
        return device[1] if user is not None and user.id == device[0] else None


def _wait_text(seconds: int, lang: str) -> str:
    if seconds < 60:
        return f"{seconds} giây" if lang == "vi" else f"{seconds} s"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} phút" if lang == "vi" else f"{minutes} min"


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
        user = credentials.check_login_nonce(session, nonce, now=page.now())
        if page.principal is not None and page.principal.id == user.id:
            return _redirect(target)
        email = user.email
    return page.render("link.html", email=email, action=f"/login/link/{token}")


@router.post("/login/link/{token}")
def link_login(page: PageDep, token: TokenParam) -> Response:
    nonce, target = _decode(page, token)
    with transaction(page.portal.factory) as session:
        user = credentials.consume_login_nonce(session, nonce, now=page.now())
        found = (user.id, accounts.password_version(user))
    start_session(page.request, *found)
    # a new password may be set without the old one for an hour (the "forgotten password" path)
    page.request.session["link_at"] = int(time.time())
    response = _redirect(target)
    secret, secure = page.portal.settings.signing_key(), page.portal.secure_cookies
    known = read_device(page.request, secret, secure)
    device = known[1] if known is not None and known[0] == found[0] else None
    remember_device(response, secret, secure, found[0], device)
    return response


@router.get("/login/forgot")
def forgot_form(page: PageDep) -> Response:
    return page.render("forgot.html", sent=False)


@router.post("/login/forgot")
def forgot(page: PageDep, email: Annotated[str, Form(max_length=254)] = "") -> Response:
    """Email a one-time login link (one hour) to an active account; the answer is the same
    whether or not the address has an account."""
    from phancong.services.login_mail import queue_login_link

    with transaction(page.portal.factory) as session:
        queue_login_link(session, page.portal.settings, email, now=page.now())
    return page.render("forgot.html", sent=True)


@router.post("/logout")
def logout(page: PageDep) -> Response:
    """End this session and, on the server, every other session and login link of the account
    (a copied cookie stops working too)."""
    if page.principal is not None:
        with transaction(page.portal.factory) as session:
            sessions.log_out_everywhere(session, page.principal.id, now=page.now())
    end_session(page.request)
    return _redirect("/login?msg=logged_out")
