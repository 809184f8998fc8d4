"""Validated settings from the environment (prefix ``PHANCONG_``). Nothing is read at import."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import platformdirs
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from phancong.domain.horizon import DEFAULT_HORIZON_MONTHS
from phancong.domain.zone import DEFAULT_TZ
from phancong.resources import plans_dir

DEFAULT_MAIL_FROM = "Thường trực Ban Chỉ đạo <thuongtruc@phancong.localhost>"
DEFAULT_PLAN = plans_dir() / "hanoi-2026-2030.yaml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PHANCONG_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("phancong")))
    database_url: str | None = Field(default=None, repr=False)  # may carry a password
    timezone: str = DEFAULT_TZ

    secret_key: SecretStr | None = None
    portal_url: str = "http://127.0.0.1:8000"
    portal_host: str = "127.0.0.1"
    portal_port: int = 8000
    prefect_ui_url: str | None = None
    portal_now: dt.datetime | None = Field(
        default=None,
        description="fix the portal's clock at this ISO instant (tests, demos; naive = local time)",
    )

    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses or networks of the reverse proxies whose "
        "X-Forwarded-For is believed (none by default)",
    )
    api_docs: bool | None = Field(
        default=None,
        description="serve /docs and /openapi.json (default: yes in development, no in production)",
    )
    upload_file_limit: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="bytes one report file may have"
    )
    upload_total_limit: int = Field(
        default=50 * 1024 * 1024, ge=1024, description="bytes the files of one submission may have"
    )
    files_dir: Path | None = Field(
        default=None,
        description="keep report files in this directory (shared by every portal process) "
        "instead of the ledger database",
    )
    soffice: str = Field(default="soffice", description="LibreOffice, for the report's PDF")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = 10.0
    smtp_block: str | None = Field(
        default=None, description="name of a prefect-email EmailServerCredentials block"
    )
    mail_from: str = DEFAULT_MAIL_FROM
    mail_dir: Path | None = Field(default=None, description="capture mail as .eml files here")

    # schedules of the served deployments (cron, Asia/Ho_Chi_Minh); shorten them to watch the
    # scheduler at work (the unattended end-to-end test runs sweep and delivery every minute)
    sweep_cron: str = "0 8 * * *"
    deliver_cron: str = "*/5 * * * *"
    materialize_cron: str = "0 1 * * *"
    digest_cron: str = "0 7 * * 1"
    # a plan without an end (until revoked) is materialised this many months ahead of today;
    # the nightly materialize run moves the horizon forward
    materialize_horizon_months: int = Field(
        default=DEFAULT_HORIZON_MONTHS,
        ge=1,
        le=120,
        description="months ahead an open-ended plan's obligations are created",
    )
    # how long a delivery batch holds the rows it claimed before another delivery may take them
    # (a runner killed mid-batch leaves its rows for this long); longer than a batch takes
    deliver_lease_seconds: int = Field(default=900, ge=10, le=86_400)

    @field_validator("sweep_cron", "deliver_cron", "materialize_cron", "digest_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        fields = value.split()
        if len(fields) != 5 or not all(set(f) <= set("0123456789*/,-") for f in fields):
            raise ValueError(
                f"not a five-field cron expression of numbers, *, /, - and , ({value!r})"
            )
        return " ".join(fields)

    @model_validator(mode="after")
    def _safe_in_production(self) -> Settings:
        if self.environment == "production":
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if len(key) < 32:
                raise ValueError(
                    "PHANCONG_SECRET_KEY of at least 32 characters is required in production"
                )
            if self.database_url is None:
                raise ValueError("PHANCONG_DATABASE_URL is required in production")
            if self.portal_now is not None:
                raise ValueError(
                    "PHANCONG_PORTAL_NOW (a fixed portal clock) is refused in production"
                )
        try:
            self.trusted_networks()
        except ValueError as exc:
            raise ValueError(f"PHANCONG_TRUSTED_PROXIES: {exc}") from None
        if self.portal_now is not None and self.portal_now.tzinfo is None:
            self.portal_now = self.portal_now.replace(tzinfo=ZoneInfo(self.timezone))
        return self

    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The proxies named in ``trusted_proxies``, parsed (ValueError for a bad entry)."""
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in self.trusted_proxies.split(",")
            if part.strip()
        )

    @property
    def docs_enabled(self) -> bool:
        """Whether /docs and /openapi.json are served."""
        return self.environment != "production" if self.api_docs is None else self.api_docs

    @property
    def hsts(self) -> bool:
        """Strict-Transport-Security is sent in production on an https portal URL."""
        return self.environment == "production" and self.portal_url.startswith("https://")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+pysqlite:///{self.data_dir / 'phancong.db'}"

    def signing_key(self) -> str:
        """The portal's signing key; in development one is generated once and kept on disk.

        Processes that start together (``portal serve --workers 4`` on a fresh data directory)
        agree on one key: each writes its candidate to a file of its own and links it into
        place, which only the first succeeds in doing; every one then reads the winner's. The
        file is per data directory, so portal processes on several machines need the same
        ``PHANCONG_SECRET_KEY`` (required in production) or one shared data directory.
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret_key"
        if not path.exists():
            candidate = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(8)}")
            candidate.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            candidate.chmod(0o600)
            try:
                os.link(candidate, path)  # atomic; refused when another process was first
            except FileExistsError:
                pass
            finally:
                candidate.unlink(missing_ok=True)
        return path.read_text(encoding="utf-8").strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
