"""The HTML pages: my obligations, one obligation (with its forms), the matrix, the review queue."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from phancong.domain.access import Action
from phancong.domain.status import LATE, Review, State, Status
from phancong.domain.transitions import Transition, allowed
from phancong.services import reads, sessions
from phancong.services.access import authorize
from phancong.services.actions import perform
from phancong.services.actions import withdraw as withdraw_submission
from phancong.services.attachments import human_size
from phancong.services.errors import Refused
from phancong.web import catalog, files, i18n
from phancong.web.context import Page
from phancong.web.params import ObligationId, PageDep, PageNo, Text
from phancong.web.security import csrf_protect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


PER_PAGE = 50
STATUSES = [s.value for s in Status]
LIST_FILTERS = [*STATUSES, LATE]  # the obligations list also filters on the late list
FLASH = {"submit", "accept", "return", "extend", "waive", "withdraw"}


def _clean(value: str, allowed: list[str] | None = None) -> str:
    value = (value or "").strip()
    if allowed is not None and value not in allowed:
        return ""
    return value


def _page_url(path: str, params: dict[str, Any]) -> Any:
    def url(page: int) -> str:
        # an empty period is kept: on the list it means "all periods", not "the current one"
        query = {k: v for k, v in params.items() if v is not None and (v != "" or k == "period")}
        query["page"] = page
        return f"{path}?{urlencode(query)}"

    return url


HEALTH_SECONDS = 60.0  # the health checks run at most once a minute per plan and process


def _health(page: Page, session: Any, plan_id: str) -> list[str]:
    """The service's warnings a coordinator must see, as `phancong status` words them: the
    ledger's (last sweep too old, mail queued too long) and, when the portal knows the Prefect
    server (``PREFECT_API_URL``, which `phancong up` gives it), the schedules' (a deployment
    without upcoming run, runs nobody executes, Prefect unreachable). Each is computed at most
    once a minute per plan and judged against the wall clock, not a demonstration clock."""
    import os

    from phancong.services.health import plan_health

    if not page.user.is_coordinator:
        return []
    now = dt.datetime.now(dt.UTC)
    found = page.portal.memo(f"health:{plan_id}", lambda: plan_health(session, plan_id),
                             seconds=HEALTH_SECONDS)
    problems = found.problems(now)
    api = os.environ.get("PREFECT_API_URL")
    if api:
        from phancong.orchestration.health import check_prefect, prefect_problems

        def schedules() -> list[Any]:
            return prefect_problems(check_prefect(api.rstrip("/"), [plan_id], now), now)

        problems += page.portal.memo(f"schedules:{plan_id}", schedules, seconds=HEALTH_SECONDS)
    return [p.text(page.lang) for p in problems]


def _unit_name(page: Page, plan_id: str | None, code: str | None) -> str:
    if not plan_id or not code:
        return ""
    with page.portal.factory() as session:
        name = reads.unit_name(session, plan_id, code)
    return name or code


def _actors(history: reads.History) -> set[str]:
    found = {a.actor for a in history.audit}
    for sub in history.submissions:
        found.add(sub.submitted_by)
        if sub.reviewed_by:
            found.add(sub.reviewed_by)
    found.update(e.approved_by for e in history.extensions)
    return {e for e in found if e}


def _person(page: Page, people: dict[str, str], email: str | None) -> str:
    if not email:
        return ""
    if email == "system":
        return page.t("person.system")
    return people.get(email, email)


@router.get("/")
def home(page: PageDep) -> Response:
    return RedirectResponse("/obligations" if page.user.is_agency else "/matrix", status_code=303)


@router.get("/obligations")
def obligations(
    page: PageDep,
    plan: Text = "",
    period: Annotated[str | None, Query(max_length=100)] = None,
    status: Text = "",
    unit: Text = "",
    duty: Text = "",
    page_no: PageNo = 1,
) -> Response:
    """A unit's obligations (agency accounts), or the plan's, open first then by deadline.

    Coordinators and viewers see the current period unless they choose one (or all: empty).
    """
    user = page.user
    now = page.now()
    with page.portal.factory() as session:
        info = reads.resolve_plan(session, user, plan or None)
        plans = reads.plans_for(session, user)
        periods = page.portal.periods(session, info.id)
        if period is None and not user.is_agency and not (unit or duty):
            period = reads.current_period(periods, reads.today(info, now)) or ""
        filters = {
            "period": _clean(period or "", periods),
            "status": _clean(status, LIST_FILTERS),
            "unit": user.unit_code if user.is_agency else _clean(unit),
            "duty": _clean(duty),
        }
        views = reads.list_obligations(
            session,
            info,
            now,
            unit=filters["unit"] or None,
            period=filters["period"] or None,
            status=filters["status"] or None,
            duty=filters["duty"] or None,
            limit=PER_PAGE + 1,
            offset=(page_no - 1) * PER_PAGE,
        )
    has_next = len(views) > PER_PAGE
    heading = page.t("list.title") if user.is_agency else page.t("list.title_all")
    params = {
        "plan": plan,
        **({} if user.is_agency else {"unit": filters["unit"]}),
        "period": filters["period"],
        "status": filters["status"],
        "duty": filters["duty"],
    }
    return page.render(
        "obligations.html",
        heading=heading,
        plan=info,
        plans=plans,
        periods=periods,
        statuses=LIST_FILTERS,
        filters=filters,
        views=views[:PER_PAGE],
        page=page_no,
        pages=page_no + 1 if has_next else page_no,
        page_url=_page_url("/obligations", params),
        unit_name=_unit_name(page, user.plan_id, user.unit_code) if user.is_agency else "",
    )


@router.get("/obligations/{obligation_id}")
def obligation(page: PageDep, obligation_id: ObligationId, msg: Text = "") -> Response:
    user = page.user
    now = page.now()
    with page.portal.factory() as session:
        authorize(session, user, obligation_id, Action.VIEW)
        history = reads.history(session, obligation_id, now)
        closed_reason, evidence = reads.closing_and_evidence(session, obligation_id)
        people = sessions.people_names(session, _actors(history))
    view = history.view
    state = view.state
    indicators = [i for i in view.indicators if isinstance(i, dict) and "id" in i]
    can_submit = (
        user.may(Action.SUBMIT) and allowed(Transition.SUBMIT, state)
        and view.status != Status.NOT_OPEN
    )
    subs = history.submissions
    # a returned report: its reason at the top; the last report (returned or withdrawn) prefills
    # the form for correction
    returned = next((x for x in reversed(subs) if x.review == Review.RETURNED), None)
    returned = returned if state == State.RETURNED else None
    previous = subs[-1] if can_submit and subs and subs[-1].review != Review.PENDING else None
    return page.render(
        "obligation.html",
        h=history,
        closed_reason=closed_reason,
        flash=page.t(f"flash.{msg}") if msg in FLASH else None,
        returned=returned,
        previous=previous,
        person=lambda email: _person(page, people, email),
        audit_label=lambda action: (
            page.t(f"audit.{action}") if f"audit.{action}" in catalog.CATALOG else action
        ),
        mail_state=lambda status: (
            page.t(f"mail.{status}") if f"mail.{status}" in catalog.CATALOG else status
        ),
        can_submit=can_submit,
        can_withdraw=user.is_agency and user.may(Action.SUBMIT)
        and allowed(Transition.WITHDRAW, state),
        can_review=user.may(Action.ACCEPT) and allowed(Transition.ACCEPT, state),
        can_extend=user.may(Action.EXTEND) and allowed(Transition.EXTEND, state),
        can_waive=user.may(Action.WAIVE) and allowed(Transition.WAIVE, state),
        can_see_upstream=user.sees_all_units,
        indicators=indicators,
        indicator_names={i["id"]: i.get("name", i["id"]) for i in indicators},
        indicator_kinds={i["id"]: i.get("kind", "value") for i in indicators},
        evidence_required=evidence == "required",
        file_limit=human_size(page.portal.settings.upload_file_limit),
        total_limit=human_size(page.portal.settings.upload_total_limit),
        level_label=lambda level: (
            page.t(f"level.{level}") if f"level.{level}" in catalog.CATALOG else level
        ),
    )


async def _act(page: Page, request: Request, obligation_id: int, action: Action) -> Response:
    form = await request.form()

    def field(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    kwargs: dict[str, Any] = {}
    if action is Action.SUBMIT:
        uploads = files.uploads_in(form.getlist("files"))
        if uploads:  # scope first: a unit outside it learns nothing from the checks of its files
            await run_in_threadpool(_may, page, obligation_id, action)
            kwargs["files"] = await files.checked(uploads, page.portal.settings)
        kwargs["note"] = field("note")
        kwargs["evidence_url"] = field("evidence_url")
        kwargs["on_behalf_reason"] = field("on_behalf_reason")
        kwargs["indicator_values"] = {
            key.removeprefix("indicator."): value
            for key, value in form.multi_items()
            if key.startswith("indicator.") and isinstance(value, str) and value.strip()
        }
    if action in (Action.RETURN, Action.EXTEND, Action.WAIVE):
        kwargs["reason"] = field("reason")
    if action is Action.EXTEND:
        try:
            kwargs["new_deadline"] = i18n.parse_day(field("new_deadline"))
        except ValueError:
            raise Refused(i18n.t("error.bad_date", "vi"), i18n.t("error.bad_date", "en")) from None
    await run_in_threadpool(
        perform,
        page.portal.factory,
        page.user,
        obligation_id,
        action,
        now=page.now(),
        portal_url=page.portal.settings.portal_url,
        renderer=page.portal.renderer,
        **kwargs,
    )
    page.portal.ledger_changed()
    back = field("back")
    target = (
        f"/review?done={action.value}&ob={obligation_id}"
        if back == "/review"
        else f"/obligations/{obligation_id}?msg={action.value}"
    )
    return RedirectResponse(target, status_code=303)


def _may(page: Page, obligation_id: int, action: Action) -> None:
    with page.portal.factory() as session:
        authorize(session, page.user, obligation_id, action)


@router.get("/obligations/{obligation_id}/files/{file_id}")
def file_download(page: PageDep, obligation_id: ObligationId, file_id: ObligationId) -> Response:
    """A report file of the obligation, for whoever may see the obligation (as an attachment)."""
    with page.portal.factory() as session:
        authorize(session, page.user, obligation_id, Action.VIEW)
        content = reads.file_content(session, obligation_id, file_id)
    return files.download_of(content, page.portal.settings)


@router.post("/obligations/{obligation_id}/submit")
async def submit(page: PageDep, request: Request, obligation_id: ObligationId) -> Response:
    return await _act(page, request, obligation_id, Action.SUBMIT)


@router.post("/obligations/{obligation_id}/withdraw")
async def withdraw(page: PageDep, obligation_id: ObligationId) -> Response:
    """The unit takes its report back before the Standing Office reviews it (audited)."""
    await run_in_threadpool(withdraw_submission, page.portal.factory, page.user, obligation_id,
                            now=page.now())
    page.portal.ledger_changed()
    return RedirectResponse(f"/obligations/{obligation_id}?msg=withdraw", status_code=303)


@router.post("/obligations/{obligation_id}/accept")
async def accept(page: PageDep, request: Request, obligation_id: ObligationId) -> Response:
    return await _act(page, request, obligation_id, Action.ACCEPT)


@router.post("/obligations/{obligation_id}/return")
async def return_(page: PageDep, request: Request, obligation_id: ObligationId) -> Response:
    return await _act(page, request, obligation_id, Action.RETURN)


@router.post("/obligations/{obligation_id}/extend")
async def extend(page: PageDep, request: Request, obligation_id: ObligationId) -> Response:
    return await _act(page, request, obligation_id, Action.EXTEND)


@router.post("/obligations/{obligation_id}/waive")
async def waive(page: PageDep, request: Request, obligation_id: ObligationId) -> Response:
    return await _act(page, request, obligation_id, Action.WAIVE)
