"""``phancong event …``: open an event-triggered obligation, or request an ad hoc report.

Both go through the portal's access policy (:mod:`phancong.services.event_actions`): an agency
account opens only for its own unit and only for the event duties it owns; only the Standing
Office's accounts (coordinators) request "báo cáo đột xuất".
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from phancong.adapters.db import transaction
from phancong.cli._common import fail, parse_date, parse_instant, sessions, user_errors
from phancong.domain.access import Principal
from phancong.services import accounts, event_actions
from phancong.services.access import principal_of

event_app = typer.Typer(
    help="Nghĩa vụ theo sự việc: báo sự việc, yêu cầu báo cáo đột xuất / "
    "event-triggered obligations: report an event, request an ad hoc report.",
    no_args_is_help=True,
)

AsOption = Annotated[str, typer.Option("--as", help="email of the portal account acting")]
AtOption = Annotated[
    str | None,
    typer.Option("--at", help="instant (YYYY-MM-DD or YYYY-MM-DDTHH:MM, Hà Nội time), default now"),
]
PlanOption = Annotated[
    str | None, typer.Option("--plan", help="plan id (default: the account's own plan)")
]


def _principal(email: str) -> Principal:
    with sessions()() as session:
        user = accounts.find_user(session, email)
        if user is None or not user.active:
            fail(f"Không có tài khoản đang hoạt động '{email}'", 1)
        return principal_of(user)


def _day(text: str | None) -> dt.date | None:
    return parse_date(text) if text else None


@event_app.command("open")
def open_event(
    duty: Annotated[str, typer.Argument(help="code of the event-triggered duty, e.g. iv-12-b8")],
    actor: AsOption,
    what: Annotated[
        str, typer.Option("--what", help="what happened (short text, required)")
    ],
    on: Annotated[
        str | None,
        typer.Option("--on", help="the day it happened, YYYY-MM-DD (default: today; not later)"),
    ] = None,
    plan: PlanOption = None,
    at: AtOption = None,
) -> None:
    """Báo một sự việc: mở nghĩa vụ báo cáo của đơn vị mình, hạn theo 'within' của nhiệm vụ /
    report that something happened: opens your unit's obligation, due 'within' days later."""
    principal = _principal(actor)
    with user_errors(), transaction(sessions()) as session:
        opened = event_actions.open_event(
            session,
            principal,
            plan_id=plan,
            duty_code=duty,
            description=what,
            event_date=_day(on),
            at=parse_instant(at),
        )
    typer.echo(
        f"Đã mở nghĩa vụ số {opened.obligation_id} — {opened.title()} — đơn vị "
        f"{opened.unit_code}, hạn báo cáo {opened.deadline:%d/%m/%Y}."
    )


@event_app.command("request")
def request_reports(
    duty: Annotated[
        str, typer.Argument(help="code of the event-triggered duty, e.g. iii-4-dot-xuat")
    ],
    actor: AsOption,
    reason: Annotated[str, typer.Option("--reason", help="why the report is asked for")],
    unit: Annotated[
        list[str] | None,
        typer.Option("--unit", help="unit code to ask (repeatable); default: every owner"),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="deadline YYYY-MM-DD (default: the duty's 'within' days)"),
    ] = None,
    plan: PlanOption = None,
    at: AtOption = None,
) -> None:
    """Yêu cầu báo cáo đột xuất từ một hoặc mọi đơn vị chủ trì nhiệm vụ (Cơ quan Thường trực) /
    request an ad hoc report from one or every owner of the duty (Standing Office)."""
    principal = _principal(actor)
    with user_errors(), transaction(sessions()) as session:
        opened = event_actions.request_reports(
            session,
            principal,
            plan_id=plan,
            duty_code=duty,
            reason=reason,
            unit_codes=unit or None,
            deadline=_day(until),
            at=parse_instant(at),
        )
    first = opened[0]
    typer.echo(
        f"Đã yêu cầu báo cáo đột xuất ({first.title()}) từ {len(opened)} đơn vị, "
        f"hạn {first.deadline:%d/%m/%Y}: " + ", ".join(o.unit_code for o in opened)
    )


def register(app: typer.Typer) -> None:
    app.add_typer(event_app, name="event")
