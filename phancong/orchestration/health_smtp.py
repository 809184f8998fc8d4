"""The mail server's part of ``phancong status``: can the configured SMTP server (or the mail
folder) take the outbox's emails, and the problem to report when it cannot."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass

from phancong.bootstrap import wired
from phancong.services.health import Problem

SMTP_TIMEOUT = 5.0


@dataclass
class SmtpStatus:
    target: str
    reachable: bool = False
    reply: str = ""
    skipped: str | None = None  # why no check was made (mail captured to files)


def check_smtp(timeout: float = SMTP_TIMEOUT) -> SmtpStatus:
    """Connect, EHLO (STARTTLS where configured) and NOOP; QUIT. Nothing is sent."""
    from phancong.mail.transport import SmtpConfig

    settings = wired().settings
    if settings.mail_dir is not None:
        return SmtpStatus(target=str(settings.mail_dir), reachable=True,
                          skipped="PHANCONG_MAIL_DIR: mail is written to files")
    try:
        config = SmtpConfig.from_settings(settings)
    except Exception as exc:  # a prefect-email block that cannot be read
        return SmtpStatus(target=f"block {settings.smtp_block}", reply=f"{exc}")
    status = SmtpStatus(target=f"{config.host}:{config.port} ({config.security})")
    smtp: smtplib.SMTP | None = None
    try:
        context = ssl.create_default_context()
        if not config.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if config.security == "tls":
            smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=timeout)
        code, text = smtp.ehlo()
        if config.security == "starttls":
            smtp.starttls(context=context)
            code, text = smtp.ehlo()
        if code != 250:
            status.reply = f"EHLO: {code} {text.decode(errors='replace')}"
            return status
        code, text = smtp.noop()
        status.reply = f"{code} {text.decode(errors='replace')}".strip()
        status.reachable = code == 250
    except (smtplib.SMTPException, OSError) as exc:
        status.reply = f"{type(exc).__name__}: {exc}"
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    return status


def smtp_problems(status: SmtpStatus) -> list[Problem]:
    if status.reachable:
        return []
    return [Problem("smtp_unreachable",
                    f"Không kết nối được máy chủ thư {status.target}: {status.reply}",
                    f"cannot reach the mail server {status.target}: {status.reply}")]
