"""The coordinators' and viewers' overview pages: the matrix of units × periods, the
national roll-up, the communes of a fan-out duty and the review queue."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from phancong.domain import charts
from phancong.domain.access import Action
from phancong.domain.status import local_date
from phancong.services import (
    reads,
    report_charts,
    report_files,
    report_model,
    sessions,
    units,
)
from phancong.services.access import MAX_ID, authorize, forbidden
from phancong.web import i18n
from phancong.web.context import Page
from phancong.web.pages import STATUSES, _clean, _health, _page_url, _person
from phancong.web.params import PageDep, PageNo, Text
from phancong.web.security import csrf_protect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


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
        stored = report_files.stored_formats(session, plan_id, period)
    if stored:
        return stored
    try:
        html, docx = report_files.report_paths(
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
        data = report_charts.chart_data(session, info.id, now, periods=periods)
        # the periods of the reporting calendar (one-off deadlines have no periodic report)
        keep = [n for n, (_, _, owed) in enumerate(data.reported) if owed]
        if not keep:
            return None
        data = report_model.ChartData(
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
            "rates": charts.svg_rates(report_charts.rate_rows(data), names, page.t("chart.rates")),
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
