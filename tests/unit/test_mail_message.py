"""Messages built from outbox rows, the transports' configuration, backoff, the preview command."""

from __future__ import annotations

import datetime as dt
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from phancong.adapters.orm import OutboxRow
from phancong.mail.deliver import backoff
from phancong.mail.message import build_message, envelope_sender
from phancong.mail.transport import (
    FileTransport,
    MockTransport,
    SendError,
    SmtpConfig,
    SmtpTransport,
    eml_name,
    transport_from_settings,
)
from phancong.settings import Settings

pytestmark = pytest.mark.unit

SUBJECT = "[phancong · hanoi-2026-2030] Nhắc hạn: 3 nhiệm vụ đến hạn 16/03/2026"
CREATED = dt.datetime(2026, 3, 9, 1, 0, tzinfo=dt.UTC)


def row(**values: object) -> OutboxRow:
    fields: dict[str, object] = {
        "id": 7, "message_id": "<abc123@phancong.localhost>", "kind": "reminder", "language": "vi",
        "recipients": ["so-gddt@hanoi.example", "vp@hanoi.example"], "subject": SUBJECT,
        "body_text": "Kính gửi: Sở Giáo dục và Đào tạo\n\nĐề nghị đơn vị hoàn thành.\n",
        "body_html": "<p>Kính gửi: Sở Giáo dục và Đào tạo</p>", "created_at": CREATED,
    }
    fields.update(values)
    return OutboxRow(**fields)


def parse(msg: EmailMessage) -> EmailMessage:
    return message_from_bytes(bytes(msg), policy=policy.default)


def test_message_has_both_parts_headers_and_a_decodable_subject() -> None:
    msg = build_message(row(), mail_from="Thường trực Ban Chỉ đạo <thuongtruc@hanoi.example>")
    raw = bytes(msg)
    raw.decode("ascii")  # RFC 2047 headers, 7-bit bodies
    assert b"\r\n" in raw
    got = parse(msg)
    assert got["Subject"] == SUBJECT
    assert got["From"].addresses[0].display_name == "Thường trực Ban Chỉ đạo"
    assert [a.addr_spec for a in got["To"].addresses] == ["so-gddt@hanoi.example",
                                                          "vp@hanoi.example"]
    assert got["Message-ID"] == "<abc123@phancong.localhost>"
    assert got["Auto-Submitted"] == "auto-generated"
    assert got["X-Phancong-Kind"] == "reminder"
    assert got["Content-Language"] == "vi"
    assert parsedate_to_datetime(got["Date"]) == CREATED
    assert got.get_content_type() == "multipart/alternative"
    plain, html = got.get_body(("plain",)), got.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content_charset() == "utf-8"
    assert "Sở Giáo dục và Đào tạo" in plain.get_content()
    assert "<p>Kính gửi" in html.get_content()


def test_the_same_row_gives_the_same_bytes() -> None:
    def render() -> bytes:
        return bytes(build_message(row(), mail_from="a@b.example")).split(b"\r\n\r\n", 1)[0]

    headers = render()
    assert headers == render()


def test_envelope_sender_is_the_bare_address() -> None:
    assert envelope_sender("Thường trực Ban Chỉ đạo <tt@hanoi.example>") == "tt@hanoi.example"
    with pytest.raises(ValueError, match="no address"):
        envelope_sender("")


def test_backoff_doubles_up_to_an_hour() -> None:
    minutes = [backoff(n).total_seconds() / 60 for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_file_transport_writes_one_eml_per_message_id(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path / "mail")
    transport.open()
    msg = build_message(row(), mail_from="tt@hanoi.example")
    assert transport.send(msg, "tt@hanoi.example", ["so-gddt@hanoi.example"]) == {}
    assert transport.send(msg, "tt@hanoi.example", ["so-gddt@hanoi.example"]) == {}
    transport.close()
    files = list((tmp_path / "mail").iterdir())
    assert [f.name for f in files] == [eml_name("<abc123@phancong.localhost>")]
    parsed = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert parsed["Subject"] == SUBJECT
    assert parsed["X-Envelope-To"] == "so-gddt@hanoi.example"


def test_mock_transport_is_a_function() -> None:
    def refuse_vp(message: EmailMessage, sender: str, rcpts: object) -> dict[str, tuple[int, str]]:
        return {"vp@hanoi.example": (550, "550 no such user")}

    transport = MockTransport(refuse_vp)
    msg = build_message(row(), mail_from="tt@hanoi.example")
    refused = transport.send(msg, "tt@hanoi.example", ["so-gddt@hanoi.example", "vp@hanoi.example"])
    assert refused == {"vp@hanoi.example": (550, "550 no such user")}
    assert transport.sent == [msg]


def test_settings_choose_the_transport(tmp_path: Path) -> None:
    assert isinstance(transport_from_settings(Settings(mail_dir=tmp_path)), FileTransport)
    smtp = transport_from_settings(Settings(smtp_host="mail.hanoi.example", smtp_port=587,
                                            smtp_security="starttls", smtp_username="bot",
                                            smtp_password=SecretStr("s3cret-pw")))
    assert isinstance(smtp, SmtpTransport)
    assert smtp.config.security == "starttls"
    assert "s3cret-pw" not in repr(smtp)
    assert "s3cret-pw" not in repr(smtp.config)


def test_prefect_email_credentials_map_to_smtp_config() -> None:
    block = SimpleNamespace(smtp_server=SimpleNamespace(value="smtp.hanoi.example"),
                            smtp_type=SimpleNamespace(name="STARTTLS"), smtp_port=None,
                            username="bot@hanoi.example", password=SecretStr("pw"), verify=False)
    config = SmtpConfig.from_credentials(block, timeout=3)
    assert (config.host, config.port, config.security, config.username, config.verify) == (
        "smtp.hanoi.example", 587, "starttls", "bot@hanoi.example", False)
    assert config.password is not None
    assert config.password.get_secret_value() == "pw"
    insecure = SimpleNamespace(smtp_server="127.0.0.1", smtp_type="INSECURE", smtp_port=2525,
                               username=None, password=SecretStr(""))
    plain = SmtpConfig.from_credentials(insecure)
    assert (plain.port, plain.security, plain.password) == (2525, "none", None)


def test_real_prefect_email_block_maps_too() -> None:
    prefect_email = pytest.importorskip("prefect_email")
    block = prefect_email.EmailServerCredentials(username="bot", password="pw",
                                                 smtp_server="mail.hanoi.example",
                                                 smtp_type="SSL")
    config = SmtpConfig.from_credentials(block)
    assert (config.host, config.port, config.security) == ("mail.hanoi.example", 465, "tls")


def test_a_block_without_prefect_email_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "prefect_email", None)  # import fails
    with pytest.raises(RuntimeError, match="pip install prefect-email"):
        SmtpConfig.from_settings(Settings(smtp_block="hanoi-smtp"))


def test_smtp_transport_reports_a_refused_connection_as_temporary() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    transport = SmtpTransport(SmtpConfig(host="127.0.0.1", port=port, timeout=2))
    with pytest.raises(SendError) as info:
        transport.open()
    assert not info.value.permanent
    assert info.value.connection_lost


runner = CliRunner()


@pytest.mark.parametrize("kind", ["reminder", "overdue", "blocker", "standing_office",
                                  "steering_committee", "digest", "review"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_preview_prints_a_sample_from_the_plan(kind: str, lang: str) -> None:
    from phancong.cli import app

    result = runner.invoke(app, ["mail", "preview", kind, "--lang", lang])
    assert result.exit_code == 0, result.output
    assert "Subject: [phancong · hanoi-2026-2030]" in result.output
    assert ("Kính gửi:" if lang == "vi" else "To:") in result.output


def test_preview_writes_an_eml_file(tmp_path: Path) -> None:
    from phancong.cli import app

    out = tmp_path / "overdue.eml"
    result = runner.invoke(app, ["mail", "preview", "overdue", "--out", str(out)])
    assert result.exit_code == 0, result.output
    msg = message_from_bytes(out.read_bytes(), policy=policy.default)
    assert str(msg["Subject"]).startswith("[phancong · hanoi-2026-2030] Thông báo quá hạn")
    assert msg.get_content_type() == "multipart/alternative"
    html = tmp_path / "overdue.html"
    assert runner.invoke(app, ["mail", "preview", "overdue", "--out", str(html)]).exit_code == 0
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
