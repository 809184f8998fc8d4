"""The portal's page of event-triggered obligations: ``/events``.

An agency account reports an event of its own unit (what happened, the day) for an event duty
it owns; the Standing Office requests an ad hoc report ("báo cáo đột xuất") from one unit or
every owner. Both forms carry the session's CSRF token like every other form; a refused input
re-renders the page with the message (4xx), in Vietnamese by default.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from phancong.adapters.db import transaction
from phancong.domain.status import local_date
from phancong.services import event_actions, event_duties, events, reads
from phancong.services.access import forbidden
from phancong.services.errors import LedgerError, Refused
from phancong.web import i18n
from phancong.web.context import Page
from phancong.web.params import PageDep, Text
from phancong.web.security import csrf_protect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

FIELDS = ("plan", "duty", "what", "day", "reason", "units", "deadline")
TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Sự việc và báo cáo đột xuất", "Events and ad hoc reports"),
    "open.heading": ("Báo một sự việc", "Report an event"),
    "open.help": (
        "Khi có sự việc thuộc nhiệm vụ báo cáo theo sự việc của đơn vị, ghi ngắn gọn nội dung và"
        " ngày xảy ra: hệ thống mở một nghĩa vụ báo cáo của đơn vị với hạn tính theo ngày làm"
        " việc. Không ghi thông tin cá nhân của trẻ em.",
        "When something happens that one of your unit's event duties covers, say briefly what"
        " and when: an obligation of your unit opens, due in working days. Never write personal"
        " details of a child.",
    ),
    "request.heading": ("Yêu cầu báo cáo đột xuất", "Request an ad hoc report"),
    "request.help": (
        "Yêu cầu một đơn vị, hoặc mọi đơn vị chủ trì nhiệm vụ, báo cáo đột xuất. Đơn vị được"
        " nhắc trong lần rà soát tiếp theo.",
        "Ask one unit, or every owner of the duty, for an ad hoc report. The units are told by"
        " the next sweep.",
    ),
    "duty": ("Nhiệm vụ", "Duty"),
    "what": ("Nội dung sự việc", "What happened"),
    "day": ("Ngày xảy ra (dd/mm/yyyy)", "Day it happened (dd/mm/yyyy)"),
    "reason": ("Lý do yêu cầu", "Reason"),
    "units": (
        "Mã đơn vị (cách nhau bởi dấu phẩy; để trống: mọi đơn vị chủ trì)",
        "Unit codes (comma separated; empty: every owner)",
    ),
    "deadline": (
        "Hạn báo cáo (dd/mm/yyyy; để trống: theo nhiệm vụ)",
        "Deadline (dd/mm/yyyy; empty: as the duty says)",
    ),
    "within": ("hạn {n} ngày làm việc sau sự việc", "due {n} working days after the event"),
    "within_calendar": ("hạn {n} ngày sau sự việc", "due {n} days after the event"),
    "open.button": ("Mở nghĩa vụ báo cáo", "Open the obligation"),
    "request.button": ("Gửi yêu cầu", "Send the request"),
    "none": (
        "Đơn vị không có nhiệm vụ báo cáo theo sự việc trong kế hoạch này.",
        "Your unit has no event-triggered duty in this plan.",
    ),
    "opened": (
        "Đã mở nghĩa vụ số {id}: {title}, hạn {deadline}.",
        "Obligation {id} opened: {title}, due {deadline}.",
    ),
    "requested": (
        "Đã yêu cầu báo cáo đột xuất ({title}) từ {n} đơn vị, hạn {deadline}.",
        "Ad hoc report ({title}) requested from {n} unit(s), due {deadline}.",
    ),
}


def text(key: str, lang: str, **values: Any) -> str:
    vi, en = TEXTS[key]
    return (vi if lang == "vi" else en).format(**values)


def _allowed(page: Page) -> None:
    if not (event_actions.may_open(page.user) or event_actions.may_request(page.user)):
        raise forbidden()


def _render(
    page: Page,
    plan: str,
    *,
    flash: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    user = page.user
    with page.portal.factory() as session:
        info = reads.resolve_plan(session, user, plan or None)
        today = local_date(page.now(), info.timezone)
        duties = event_duties.event_duties(
            session, info.id, today, user.unit_code if user.is_agency else None
        )
    return page.render(
        "events.html",
        status_code=status_code,
        plan=info,
        duties=duties,
        today=today,
        can_open=event_actions.may_open(user),
        can_request=event_actions.may_request(user),
        flash=flash,
        error=error,
        form={key: "" for key in FIELDS} | (form or {}),
        tt=lambda key, **values: text(key, page.lang, **values),
    )


@router.get("/events")
def events_page(page: PageDep, plan: Text = "") -> Response:
    """Agency accounts report events; the Standing Office requests ad hoc reports."""
    _allowed(page)
    return _render(page, plan)


def _day(value: str) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return i18n.parse_day(value)
    except ValueError:
        raise Refused(i18n.t("error.bad_date", "vi"), i18n.t("error.bad_date", "en")) from None


async def _fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {
        key: value[:2000]
        for key in FIELDS
        if isinstance(value := form.get(key), str)
    }


@router.post("/events/open")
async def open_event(page: PageDep, request: Request) -> Response:
    _allowed(page)
    form = await _fields(request)

    def act() -> events.Opened:
        with transaction(page.portal.factory) as session:
            return event_actions.open_event(
                session,
                page.user,
                plan_id=form.get("plan") or None,
                duty_code=form.get("duty", ""),
                description=form.get("what"),
                event_date=_day(form.get("day", "")),
                at=page.now(),
            )

    try:
        opened = await run_in_threadpool(act)
    except LedgerError as refused:
        return _render(page, form.get("plan", ""), error=refused.message(page.lang),
                       status_code=refused.http_status, form=form)
    page.portal.ledger_changed()
    message = text("opened", page.lang, id=opened.obligation_id, title=opened.title(page.lang),
                   deadline=f"{opened.deadline:%d/%m/%Y}")
    return _render(page, form.get("plan", ""), flash=message)


@router.post("/events/request")
async def request_reports(page: PageDep, request: Request) -> Response:
    _allowed(page)
    form = await _fields(request)
    codes = [c.strip() for c in form.get("units", "").replace(";", ",").split(",") if c.strip()]

    def act() -> list[events.Opened]:
        with transaction(page.portal.factory) as session:
            return event_actions.request_reports(
                session,
                page.user,
                plan_id=form.get("plan") or None,
                duty_code=form.get("duty", ""),
                reason=form.get("reason"),
                unit_codes=codes or None,
                deadline=_day(form.get("deadline", "")),
                at=page.now(),
            )

    try:
        opened = await run_in_threadpool(act)
    except LedgerError as refused:
        return _render(page, form.get("plan", ""), error=refused.message(page.lang),
                       status_code=refused.http_status, form=form)
    page.portal.ledger_changed()
    message = text("requested", page.lang, n=len(opened), title=opened[0].title(page.lang),
                   deadline=f"{opened[0].deadline:%d/%m/%Y}")
    return _render(page, form.get("plan", ""), flash=message)

