"""The HTML pages: my obligations, one obligation (with its forms), the matrix, the review queue."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from phancong.adapters.db import transaction
from phancong.domain import charts
from phancong.domain.access import Action
from phancong.domain.status import LATE, Review, Status, local_date
from phancong.services import accounts, consolidate, reads, sessions, units
from phancong.services.access import MAX_ID, authorize, forbidden
from phancong.services.actions import perform
from phancong.services.actions import withdraw as withdraw_submission
from phancong.services.attachments import human_size
from phancong.services.errors import Refused
from phancong.web import files, i18n
from phancong.web.context import Page, page_user
from phancong.web.links import base_url
from phancong.web.security import csrf_protect, start_session

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

PageDep = Annotated[Page, Depends(page_user)]
ObligationId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
Text = Annotated[str, Query(max_length=100)]
PageNo = Annotated[int, Query(ge=1, le=100_000, alias="page")]
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
        user.may(Action.SUBMIT) and state in ("open", "returned") and view.status != "not_open"
    )
    subs = history.submissions
    # a returned report: its reason at the top; the last report (returned or withdrawn) prefills
    # the form for correction
    returned = next((x for x in reversed(subs) if x.review == Review.RETURNED), None)
    returned = returned if state == "returned" else None
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
            page.t(f"audit.{action}") if f"audit.{action}" in i18n.CATALOG else action
        ),
        mail_state=lambda status: (
            page.t(f"mail.{status}") if f"mail.{status}" in i18n.CATALOG else status
        ),
        can_submit=can_submit,
        can_withdraw=user.is_agency and user.may(Action.SUBMIT) and state == "submitted",
        can_review=user.may(Action.ACCEPT) and state == "submitted",
        can_extend=user.may(Action.EXTEND) and state in ("open", "returned", "submitted"),
        can_waive=user.may(Action.WAIVE) and state not in ("accepted", "waived", "cancelled"),
        can_see_upstream=user.sees_all_units,
        indicators=indicators,
        indicator_names={i["id"]: i.get("name", i["id"]) for i in indicators},
        indicator_kinds={i["id"]: i.get("kind", "value") for i in indicators},
        evidence_required=evidence == "required",
        file_limit=human_size(page.portal.settings.upload_file_limit),
        total_limit=human_size(page.portal.settings.upload_total_limit),
        level_label=lambda level: (
            page.t(f"level.{level}") if f"level.{level}" in i18n.CATALOG else level
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


def _overview(page: Page) -> None:
    if page.user.is_agency:
        raise forbidden()


def matrix_filters(
    page: Page,
    session: Any,
    plan: str,
    year: int | None,
    period: str,
    status: str,
    kind: str,
    q: str,
) -> dict[str, Any]:
    """Resolve the matrix filters shared by the page and its exports."""
    info = reads.resolve_plan(session, page.user, plan or None)
    periods = page.portal.periods(session, info.id)
    years = sorted({y for y in (reads.period_year(p) for p in periods) if y is not None})
    today = reads.today(info, page.now())
    if year not in years:
        year = today.year if today.year in years else (years[0] if years else today.year)
    year_periods = [p for p in periods if reads.period_year(p) == year]
    period = _clean(period, year_periods)
    kinds = reads.unit_kinds(session, info.id)
    return {
        "info": info,
        "periods": periods,
        "years": years,
        "year": year,
        "year_periods": year_periods,
        "period": period,
        "status": _clean(status, STATUSES),
        "kind": _clean(kind, kinds),
        "kinds": kinds,
        "q": q.strip()[:100],
        "today": today,
    }


@router.get("/matrix")
def matrix(
    page: PageDep,
    plan: Text = "",
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    period: Text = "",
    status: Text = "",
    kind: Text = "",
    q: Text = "",
    page_no: PageNo = 1,
) -> Response:
    _overview(page)
    now = page.now()
    with page.portal.factory() as session:
        f = matrix_filters(page, session, plan, year, period, status, kind, q)
        info = f["info"]
        columns = [f["period"]] if f["period"] else f["year_periods"]
        m = reads.matrix(
            session,
            info,
            now,
            periods=columns,
            status=f["status"] or None,
            kind=f["kind"] or None,
            q=f["q"] or None,
            page=page_no,
        )
        rollup_period = f["period"] or reads.current_period(f["year_periods"], f["today"])
        rollups, rollups_at = (
            page.portal.duty_progress(session, info, rollup_period) if rollup_period else ([], now)
        )
        plans = reads.plans_for(session, page.user)
        placeholder_units = len(units.units_on_placeholder_addresses(session, info.id))
        charts = _charts(page, session, info, f["year_periods"], now)
        health = _health(page, session, info.id)
    params = {
        "plan": plan,
        "year": f["year"],
        "period": f["period"],
        "status": f["status"],
        "kind": f["kind"],
        "q": f["q"],
    }
    export_query = urlencode(
        {"plan": info.id, **{k: v for k, v in params.items() if k != "plan" and v}}
    )
    return page.render(
        "matrix.html",
        plan=info,
        plans=plans,
        years=f["years"],
        year=f["year"],
        year_periods=f["year_periods"],
        statuses=STATUSES,
        kinds=f["kinds"],
        filters={"period": f["period"], "status": f["status"], "kind": f["kind"], "q": f["q"]},
        m=m,
        rollups=rollups,
        rollups_at=rollups_at,
        rollup_period=rollup_period,
        legend=reads.LEGEND,
        placeholder_units=placeholder_units,
        page_url=_page_url("/matrix", params),
        export_query=export_query,
        charts=charts,
        report_formats=_written_report(page, info.id, rollup_period),
        health=health,
    )


def _written_report(page: Page, plan_id: str, period: str | None) -> list[str]:
    """The formats in which the consolidated report of ``period`` was written (html, docx; a
    pdf is offered with the docx: the portal makes it on first request): from the ledger, or
    for a report written before the ledger kept them, from this machine's data directory."""
    if not period:
        return []
    with page.portal.factory() as session:
        stored = consolidate.stored_formats(session, plan_id, period)
    if stored:
        return stored
    try:
        html, docx = consolidate.report_paths(
            page.portal.settings.data_dir / "reports", plan_id, period
        )
    except ValueError:
        return []
    formats = [name for name, path in (("html", html), ("docx", docx)) if path.is_file()]
    return [*formats, "pdf"] if "docx" in formats else formats


def _charts(
    page: Page, session: Any, info: reads.PlanInfo, periods: list[str], now: dt.datetime
) -> dict[str, str] | None:
    """The matrix page's two charts as inline SVG, kept like the duty roll-ups."""
    if not periods:
        return None
    portal = page.portal
    key = f"charts:{info.id}:{','.join(periods)}:{page.lang}:{portal.generation}"

    def compute() -> dict[str, str] | None:
        data = consolidate.chart_data(session, info.id, now, periods=periods)
        # the periods of the reporting calendar (one-off deadlines have no periodic report)
        keep = [n for n, (_, _, owed) in enumerate(data.reported) if owed]
        if not keep:
            return None
        data = consolidate.ChartData(
            periods=[data.periods[n] for n in keep],
            rates=[(name, short, [v[n] for n in keep]) for name, short, v in data.rates],
            reported=[data.reported[n] for n in keep],
        )
        names = [i18n.period_name(p, page.lang) for p in data.periods]
        bars = [
            charts.ReportedBar(i18n.period_name(p, page.lang), charts.period_short(p), x, n)
            for p, x, n in data.reported
        ]
        return {
            "reported": charts.svg_reported(bars, page.t("chart.reported")),
            "rates": charts.svg_rates(consolidate.rate_rows(data), names, page.t("chart.rates")),
        }

    return portal.memo(key, compute, seconds=portal.rollup_seconds)


@router.get("/national")
def national(page: PageDep) -> Response:
    """Every plan in the account's scope on one page (a ministry's viewer account has no plan
    restriction and sees them all): per plan, x of N reported and the on-time rate."""
    _overview(page)
    now = page.now()
    with page.portal.factory() as session:
        plans = reads.plans_for(session, page.user)
        rows = reads.national_rollup(session, plans, now)
    total = reads.PlanRollup(
        reads.PlanInfo("", "", page.portal.tz),
        *(sum(getattr(r, f) for r in rows)
          for f in ("due", "reported", "accepted", "accepted_on_time", "late")),
    )
    return page.render("national.html", rows=rows, total=total,
                       today=local_date(now, page.portal.tz))


@router.get("/matrix/communes")
def communes(
    page: PageDep,
    plan: Text = "",
    period: Text = "",
    status: Text = "",
    q: Text = "",
    page_no: PageNo = 1,
) -> Response:
    _overview(page)
    now = page.now()
    with page.portal.factory() as session:
        info = reads.resolve_plan(session, page.user, plan or None)
        periods = page.portal.periods(session, info.id)
        chosen = (
            _clean(period, periods)
            or reads.current_period(periods, reads.today(info, now))
            or ""
        )
        st = _clean(status, STATUSES)
        f = (
            reads.fanout(
                session,
                info,
                now,
                chosen,
                q=q.strip()[:100] or None,
                status=st or None,
                page=page_no,
            )
            if chosen
            else reads.Fanout([], [], {}, {}, 0, 1, 1)
        )
        plans = reads.plans_for(session, page.user)
    params = {"plan": plan, "period": chosen, "status": st, "q": q.strip()}
    return page.render(
        "fanout.html",
        plan=info,
        plans=plans,
        periods=periods,
        period=chosen,
        f=f,
        statuses=STATUSES,
        filters={"status": st, "q": q.strip()},
        legend=reads.LEGEND,
        page_url=_page_url("/matrix/communes", params),
    )


@router.get("/review")
def review(
    page: PageDep,
    plan: Text = "",
    done: Text = "",
    ob: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    if not page.user.is_coordinator:
        raise forbidden()
    now = page.now()
    flash = None
    with page.portal.factory() as session:
        if done in ("accept", "return") and ob is not None:
            authorize(session, page.user, ob, Action.VIEW)
            unit = reads.unit_name_of_obligation(session, ob)
            if unit is not None:
                flash = page.t(f"flash.reviewed_{done}", unit=unit, id=ob)
        info = reads.resolve_plan(session, page.user, plan or None)
        pending = reads.pending_reviews(session, info)
        people = sessions.people_names(session, {r.submitted_by for r in pending if r.submitted_by})
        attached = reads.files_of(session, [r.obligation_id for r in pending])
        total = reads.pending_count(session, info)
        late = reads.overdue(session, info, now, limit=50)
        plans = reads.plans_for(session, page.user)
        health = _health(page, session, info.id)
    return page.render(
        "review.html",
        plan=info,
        plans=plans,
        pending=pending,
        pending_total=total,
        overdue=late,
        flash=flash,
        reviewed=ob if flash else None,
        person=lambda email: _person(page, people, email),
        files=attached,
        health=health,
    )


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
        token = accounts.issue_feed_token(session, page.user.email, now=now, actor=page.user.email)
    url = f"{base_url(page.portal.settings)}/feeds/{token}.ics"
    return _account(page, feed_url=url, flash=page.t("flash.feed"))


@router.post("/account/feed/revoke")
def revoke_feed(page: PageDep) -> Response:
    with transaction(page.portal.factory) as session:
        accounts.revoke_feed_token(session, page.user.email, now=page.now(), actor=page.user.email)
    return _account(page, flash=page.t("flash.feed_revoked"))


# ----------------------------------------------------------------------------- unit addresses


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
