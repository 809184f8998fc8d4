"""The portal's clock from the settings: real, or fixed by PHANCONG_PORTAL_NOW (not in production)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from phancong.bootstrap import clock_from
from phancong.settings import Settings
from tests.helpers import VN

pytestmark = pytest.mark.unit


def test_a_fixed_portal_clock(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, portal_now="2026-05-04T10:00")  # type: ignore[arg-type]
    assert settings.portal_now == dt.datetime(2026, 5, 4, 10, 0, tzinfo=VN)  # naive: local time
    assert clock_from(settings)() == dt.datetime(2026, 5, 4, 3, 0, tzinfo=dt.UTC)
    aware = Settings(data_dir=tmp_path, portal_now="2026-05-04T10:00Z")  # type: ignore[arg-type]
    assert clock_from(aware)() == dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC)
    now = clock_from(Settings(data_dir=tmp_path))()
    assert now.tzinfo is not None
    assert abs(now - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_a_fixed_portal_clock_is_refused_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("PHANCONG_SECRET_KEY", "PHANCONG_DATABASE_URL", "PHANCONG_ENVIRONMENT"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PHANCONG_PORTAL_NOW", "2026-05-04T10:00")
    production = {
        "environment": "production",
        "secret_key": "p" * 40,
        "database_url": "sqlite+pysqlite:///x.db",
        "data_dir": tmp_path,
    }
    with pytest.raises(ValidationError, match=r"PHANCONG_PORTAL_NOW .* refused in production"):
        Settings(**production)  # type: ignore[arg-type]
    monkeypatch.delenv("PHANCONG_PORTAL_NOW")
    assert Settings(**production).portal_now is None  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="datetime"):
        Settings(data_dir=tmp_path, portal_now="tomorrow")  # type: ignore[arg-type]
