"""``phancong mail``: preview the emails, list the outbox, deliver it now."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path

import typer

from phancong.bootstrap import wired
from phancong.cli._common import default_plan, fail, load_plan
from phancong.services.notices import NoticeKind

mail_app = typer.Typer(
    name="mail",
    help="Thư điện tử: xem trước mẫu thư, hàng đợi gửi thư, gửi ngay / "
    "email: preview the templates, list the outbox, deliver it now.",
    no_args_is_help=True,
)


class Lang(StrEnum):
    vi = "vi"
    en = "en"


class Review(StrEnum):
    accepted = "accepted"
    returned = "returned"


class OutboxStatus(StrEnum):
    queued = "queued"
    sent = "sent"
    failed = "failed"


@mail_app.command("preview")
def preview(
    kind: NoticeKind = typer.Argument(..., help="Which email to render."),
    plan: Path = typer.Option(None, "--plan", help="Plan file (default: the Hà Nội plan).",
                              exists=True, dir_okay=False),
    lang: Lang = typer.Option(Lang.vi, "--lang", help="Language of the email: vi or en."),
    out: Path = typer.Option(None, "--out", dir_okay=False,
                             help="Write the whole message to this file (.eml; .html writes "
                                  "only the HTML part) instead of printing the text part."),
    review: Review = typer.Option(Review.returned, "--review",
                                  help="For KIND=review: an accepted or a returned report."),
) -> None:
    """Render a realistic sample email from the plan's real duties and agencies (no database).

    Example: phancong mail preview overdue --lang en --out /tmp/overdue.eml
    """
    from phancong.bootstrap import wired
    from phancong.mail.message import build_message
    from phancong.mail.render import render_notice
    from phancong.mail.samples import sample_notice
    from phancong.services.outbox import Mail

    settings = wired().settings
    notice = sample_notice(kind, load_plan(plan or default_plan()), lang=lang.value,
                           portal_url=settings.portal_url, review=review.value)
    mail = render_notice(notice)
    if out is None:
        typer.echo(f"From: {settings.mail_from}\nTo: {', '.join(notice.recipients)}\n"
                   f"Subject: {mail.subject}\n\n{mail.text}")
        return
    if out.suffix.lower() in (".html", ".htm"):
        out.write_text(mail.html, encoding="utf-8")
    else:
        preview = Mail(id=0, message_id=f"<preview-{kind.value}-{lang.value}@phancong.localhost>",
                       kind=kind.value, language=lang.value, recipients=list(notice.recipients),
                       subject=mail.subject, body_text=mail.text, body_html=mail.html,
                       created_at=notice.as_of)  # never queued: id 0
        out.write_bytes(bytes(build_message(preview, mail_from=settings.mail_from)))
    typer.echo(f"{mail.subject}\n→ {out}")


def _cut(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


@mail_app.command("outbox")
def outbox(
    status: OutboxStatus = typer.Option(None, "--status", help="Only messages in this state."),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many, newest first."),
) -> None:
    """List queued, sent and failed messages (failed ones show the server's reply)."""
    from phancong.services.outbox import latest

    with wired().sessions() as session:
        rows = latest(session, status=status.value if status is not None else None, limit=limit)
    if not rows:
        typer.echo("outbox is empty" if status is None else f"no {status.value} messages")
        return
    typer.echo(f"{'id':>6}  {'status':<7} {'kind':<18} {'att':>3}  {'recipients':<32} subject")
    for row in rows:
        # a sweep email is written when it is sent: until then say what it will be about
        subject = row.subject or (f"({KIND_WORDS.get(row.kind, row.kind)}, "
                                  f"{row.obligations} nhiệm vụ – soạn khi gửi)")
        typer.echo(f"{row.id:>6}  {row.status:<7} {row.kind:<18} {row.attempts:>3}  "
                   f"{_cut(', '.join(row.recipients), 32):<32} {_cut(subject, 70)}")
        if row.last_error:
            typer.echo(f"{'':>8}↳ {_cut(row.last_error, 110)}")


KIND_WORDS = {
    "reminder": "nhắc hạn",
    "overdue": "thông báo quá hạn",
    "blocker": "đôn đốc đơn vị được chờ",
    "standing_office": "báo cáo Thường trực",
    "steering_committee": "báo cáo Ban Chỉ đạo",
    "digest": "tổng hợp tuần",
    "review": "kết quả duyệt",
    "login_link": "liên kết đăng nhập",
}


@mail_app.command("deliver")
def deliver_now(
    limit: int = typer.Option(500, "--limit", min=1, help="Messages per batch."),
    all_batches: bool = typer.Option(False, "--all", help="Keep going until nothing is due."),
    max_attempts: int = typer.Option(8, "--max-attempts", min=1,
                                     help="Temporary failures before a message is failed."),
) -> None:
    """Send the queued messages that are due now, over one SMTP connection.

    SMTP comes from PHANCONG_SMTP_* or the prefect-email block named by PHANCONG_SMTP_BLOCK;
    with PHANCONG_MAIL_DIR set, messages are written there as .eml files instead.
    """
    from phancong.mail.deliver_worker import run
    from phancong.mail.transport import transport_from_settings

    settings = wired().settings
    try:
        transport = transport_from_settings(settings)
    except RuntimeError as exc:
        fail(str(exc), 2)
    reports = run(wired().sessions, transport, limit=limit, max_attempts=max_attempts,
                  mail_from=settings.mail_from, until_empty=all_batches, echo=typer.echo)
    if reports and reports[-1].error:
        raise typer.Exit(1)


@mail_app.command("retry")
def retry(
    ids: list[int] = typer.Argument(None, help="Outbox ids to send again."),
    failed: bool = typer.Option(False, "--failed", help="Every failed message."),
) -> None:
    """Queue failed messages again (after an address or the server was fixed)."""
    from phancong.adapters.db import transaction
    from phancong.services.outbox import requeue_failed

    if not ids and not failed:
        fail("give outbox ids or --failed", 2)
    now = dt.datetime.now(dt.UTC)
    with transaction(wired().sessions) as session:
        count = requeue_failed(session, ids or None, now=now)
    typer.echo(f"Đã xếp lại {count} thư vào hàng chờ gửi / {count} message(s) queued again")


def register(app: typer.Typer) -> None:
    app.add_typer(mail_app, name="mail")
