"""``phancong users …`` (portal accounts) and ``phancong obligation …`` (act as a user).

The obligation commands go through the same authorisation and services as the portal and the
JSON API (:func:`phancong.services.actions.perform`), so an agency account can only mark its own
unit's obligations done and only coordinators accept, return, extend or waive.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from phancong.adapters.db import transaction
from phancong.bootstrap import wired
from phancong.cli._common import fail, parse_date, parse_instant, sessions, user_errors
from phancong.domain.access import Action, Principal
from phancong.mail.render import render_notice
from phancong.services import accounts, credentials
from phancong.services.access import principal_of
from phancong.services.actions import perform
from phancong.services.attachments import Upload, check_all, human_size, keep_in
from phancong.services.links import login_link, safe_next
from phancong.services.units import find_unit

users_app = typer.Typer(help="Tài khoản cổng thông tin / portal accounts.", no_args_is_help=True)
obligation_app = typer.Typer(
    help="Báo cáo, duyệt, gia hạn, miễn nghĩa vụ / act on an obligation as a portal user.",
    no_args_is_help=True,
)

AsOption = Annotated[str, typer.Option("--as", help="email of the account acting")]
AtOption = Annotated[
    str | None, typer.Option("--at", help="instant (YYYY-MM-DD or YYYY-MM-DDTHH:MM), default now")
]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _read_password() -> str:
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@users_app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="login email")],
    name: Annotated[str, typer.Option("--name", help="full name")],
    role: Annotated[str, typer.Option("--role", help="agency | coordinator | viewer")],
    plan: Annotated[
        str | None, typer.Option("--plan", help="plan id (required for agency accounts)")
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option(
            "--unit",
            help="unit code (ward-00004) or name ('Phường Ba Đình'), for agency accounts; "
            "see phancong units list",
        ),
    ] = None,
    language: Annotated[str, typer.Option("--language", help="vi | en")] = "vi",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
    generate: Annotated[
        bool, typer.Option("--generate", help="generate a password and print it once")
    ] = False,
) -> None:
    """Create an account (without a password it logs in by emailed link only)."""
    if password_stdin and generate:
        fail("--password-stdin and --generate exclude each other", 2)
    password = _read_password() if password_stdin else None
    if generate:
        password = accounts.generate_password()
    with user_errors(), transaction(sessions()) as session:
        if unit and plan:  # a unit may be named rather than coded
            unit = find_unit(session, plan, unit).code
        user = accounts.add_user(
            session,
            email=email,
            name=name,
            role=role,
            plan_id=plan,
            unit_code=unit,
            language=language,
            password=password,
            now=_now(),
            actor="cli",
        )
        created = user.email
    typer.echo(f"created {created} ({role})")
    if generate:
        typer.echo(f"password: {password}")


@users_app.command("password")
def password(
    email: Annotated[str, typer.Argument(help="login email")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
    generate: Annotated[
        bool, typer.Option("--generate", help="generate a password and print it once")
    ] = False,
) -> None:
    """Set an account's password (ends its open portal sessions)."""
    if password_stdin == generate:
        fail("give exactly one of --password-stdin or --generate", 2)
    value = _read_password() if password_stdin else accounts.generate_password()
    with user_errors(), transaction(sessions()) as session:
        accounts.set_password(session, email, value, now=_now(), actor="cli")
    typer.echo("password set")
    if generate:
        typer.echo(f"password: {value}")


@users_app.command("invite")
def invite(
    email: Annotated[str, typer.Argument(help="login email")],
    next_path: Annotated[
        str, typer.Option("--next", help="page to land on, e.g. /obligations/42")
    ] = "/",
    hours: Annotated[
        float, typer.Option("--hours", min=0.1, max=720, help="link lifetime in hours")
    ] = 72,
) -> None:
    """Print a one-time signed login link for an account."""
    if safe_next(next_path, "") != next_path:
        fail(f"--next must be a local path such as /obligations/42, not '{next_path}'", 2)
    with user_errors():
        link = login_link(wired().settings, sessions(), email, next_path, dt.timedelta(hours=hours))
    typer.echo(link)


@users_app.command("list")
def list_(
    plan: Annotated[str | None, typer.Option("--plan", help="only this plan's accounts")] = None,
) -> None:
    """List accounts."""
    with sessions()() as session:
        rows = accounts.list_users(session, plan)
        if rows:
            typer.echo("email\trole\tplan\tunit\tstate\tlogin\tname")
        for u in rows:
            state = "active" if u.active else "disabled"
            login = "password" if u.password_hash else "link"
            typer.echo(
                f"{u.email}\t{u.role}\t{u.plan_id or '*'}\t{u.unit_code or '-'}\t{state}\t{login}"
                f"\t{u.name}"
            )
    if not rows:
        typer.echo("no accounts", err=True)


@users_app.command("disable")
def disable(email: Annotated[str, typer.Argument(help="login email")]) -> None:
    """Disable an account: sessions, API token and calendar feed stop working."""
    with user_errors(), transaction(sessions()) as session:
        accounts.set_active(session, email, False, now=_now(), actor="cli")
    typer.echo(f"disabled {email}")


@users_app.command("enable")
def enable(email: Annotated[str, typer.Argument(help="login email")]) -> None:
    """Enable a disabled account again (issue new tokens if needed)."""
    with user_errors(), transaction(sessions()) as session:
        accounts.set_active(session, email, True, now=_now(), actor="cli")
    typer.echo(f"enabled {email}")


@users_app.command("unthrottle")
def unthrottle(email: Annotated[str, typer.Argument(help="login email")]) -> None:
    """Forget an account's failed logins, so its holder may try the password again at once."""
    with user_errors(), transaction(sessions()) as session:
        cleared = accounts.clear_login_backoff(session, email, now=_now(), actor="cli")
    typer.echo(
        f"đã xoá lượt đăng nhập sai của {email} / failed logins cleared"
        if cleared
        else f"{email} không bị giãn cách đăng nhập / no login back-off to clear"
    )


@users_app.command("token")
def token(email: Annotated[str, typer.Argument(help="login email")]) -> None:
    """Issue a new API token (printed once; the previous one stops working)."""
    with user_errors(), transaction(sessions()) as session:
        value = credentials.issue_api_token(session, email, now=_now(), actor="cli")
    typer.echo(value)


@users_app.command("feed-token")
def feed_token(
    email: Annotated[str, typer.Argument(help="login email")],
    rotate: Annotated[
        bool, typer.Option("--rotate", help="replace the existing feed URL with a new one")
    ] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help="disable the feed URL")] = False,
) -> None:
    """Print the private iCalendar feed URL of an account's deadlines (revocable)."""
    settings = wired().settings
    with user_errors(), transaction(sessions()) as session:
        user = accounts.get_user(session, email)
        if revoke:
            credentials.revoke_feed_token(session, email, now=_now(), actor="cli")
            typer.echo(f"feed revoked for {user.email}")
            return
        if user.feed_token_hash and not rotate:
            fail(
                f"{user.email} already has a feed URL (shown once when made); "
                "use --rotate to make a new one (the old one stops working)"
            )
        value = credentials.issue_feed_token(session, email, now=_now(), actor="cli")
    typer.echo(f"{settings.portal_url.rstrip('/')}/feeds/{value}.ics")


# ----------------------------------------------------------------------------- obligations


def _principal(email: str) -> Principal:
    with sessions()() as session:
        user = accounts.find_user(session, email)
        if user is None or not user.active:
            fail(f"no active account '{email}'", 1)
        return principal_of(user)


def _act(obligation_id: int, email: str, action: Action, at: str | None, **kwargs: Any) -> None:
    principal = _principal(email)
    with user_errors():
        perform(
            sessions(),
            principal,
            obligation_id,
            action,
            now=parse_instant(at),
            portal_url=wired().settings.portal_url,
            renderer=render_notice,
            **kwargs,
        )
    typer.echo(f"obligation {obligation_id}: {action.value} by {principal.email}")


def _indicators(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"--indicator takes key=value, not '{item}'", 2)
        out[key.strip()] = value.strip()
    return out


@obligation_app.command("done")
def done(
    obligation_id: Annotated[int, typer.Argument(help="obligation id", min=1)],
    actor: AsOption,
    note: Annotated[str, typer.Option("--note", help="what was done")] = "",
    indicator: Annotated[
        list[str] | None, typer.Option("--indicator", help="declared indicator, key=value")
    ] = None,
    evidence: Annotated[
        str | None, typer.Option("--evidence", help="http(s) link to the evidence")
    ] = None,
    on_behalf_reason: Annotated[
        str | None,
        typer.Option(
            "--on-behalf-reason", help="a coordinator submitting for the agency: why (required)"
        ),
    ] = None,
    file: Annotated[
        list[Path] | None,
        typer.Option("--file", help="report file to attach (PDF, DOCX, XLSX, ODT, JPEG, PNG)"),
    ] = None,
    at: AtOption = None,
) -> None:
    """Mark an obligation done (submit it for review), with its report files."""
    settings = wired().settings
    uploads: list[Upload] = []
    for path in file or []:
        if not path.is_file():
            fail(f"không có tệp {path}", 2)
        if path.stat().st_size > settings.upload_file_limit:
            fail(f"tệp {path.name} quá lớn (tối đa {human_size(settings.upload_file_limit)})", 2)
        uploads.append(Upload(path.name, path.read_bytes()))
    with user_errors():
        files = check_all(
            uploads,
            file_limit=settings.upload_file_limit,
            total_limit=settings.upload_total_limit,
        )
    if settings.files_dir is not None:
        files = [keep_in(f, settings.files_dir) for f in files]
    _act(
        obligation_id,
        actor,
        Action.SUBMIT,
        at,
        note=note,
        indicator_values=_indicators(indicator or []),
        evidence_url=evidence,
        on_behalf_reason=on_behalf_reason,
        files=files,
    )


@obligation_app.command("accept")
def accept(
    obligation_id: Annotated[int, typer.Argument(help="obligation id", min=1)],
    actor: AsOption,
    at: AtOption = None,
) -> None:
    """Accept the pending submission (coordinators)."""
    _act(obligation_id, actor, Action.ACCEPT, at)


@obligation_app.command("return")
def return_(
    obligation_id: Annotated[int, typer.Argument(help="obligation id", min=1)],
    actor: AsOption,
    reason: Annotated[str, typer.Option("--reason", help="why it is returned")],
    at: AtOption = None,
) -> None:
    """Return the pending submission with a reason (coordinators)."""
    _act(obligation_id, actor, Action.RETURN, at, reason=reason)


@obligation_app.command("extend")
def extend(
    obligation_id: Annotated[int, typer.Argument(help="obligation id", min=1)],
    actor: AsOption,
    until: Annotated[str, typer.Option("--until", help="new deadline, YYYY-MM-DD")],
    reason: Annotated[str, typer.Option("--reason", help="why the deadline moves")],
    at: AtOption = None,
) -> None:
    """Extend the deadline with a reason (coordinators)."""
    _act(obligation_id, actor, Action.EXTEND, at, new_deadline=parse_date(until), reason=reason)


@obligation_app.command("waive")
def waive(
    obligation_id: Annotated[int, typer.Argument(help="obligation id", min=1)],
    actor: AsOption,
    reason: Annotated[str, typer.Option("--reason", help="why it is waived")],
    at: AtOption = None,
) -> None:
    """Waive the obligation with a reason (coordinators)."""
    _act(obligation_id, actor, Action.WAIVE, at, reason=reason)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(obligation_app, name="obligation")
