"""Helpers for tests of the portal (integration and browser tests) and the portal benchmarks: a
seeded ledger and clients.

Not used by the portal itself. ``TestClient`` comes from Starlette, which warns when it runs on
``httpx`` rather than ``httpx2``; the import is done here with that one warning silenced so a
suite with ``filterwarnings = error`` can use it.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import make_engine, session_factory, transaction, upgrade
from phancong.adapters.loader import directory, load
from phancong.services import accounts
from phancong.services.materialize import materialize

if TYPE_CHECKING:
    from starlette.testclient import TestClient

MINI_PLAN = Path(__file__).resolve().parent / "data" / "mini.yaml"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "mật-khẩu-thử-nghiệm-2026"


def fast_hasher() -> PasswordHasher:
    """argon2id with minimal cost, for tests only (patch ``accounts.hasher`` with it)."""
    return _FAST


_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def client_for(app: Any, **kwargs: Any) -> TestClient:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx2.*")
        warnings.filterwarnings("ignore", message=".*httpx.*deprecated.*")
        from starlette.testclient import TestClient
    return TestClient(app, **kwargs)


def seed_ledger(
    url: str,
    plan_path: Path = MINI_PLAN,
    *,
    through: dt.date,
    now: dt.datetime,
) -> sessionmaker[Session]:
    """Migrate an empty database to head and materialise ``plan_path`` into it."""
    upgrade(url)
    factory = session_factory(make_engine(url))
    plan = load(plan_path)
    with transaction(factory) as session:
        materialize(session, plan, directory(plan), through=through, now=now, source=str(plan_path))
    return factory


def add_user(
    factory: sessionmaker[Session],
    email: str,
    role: str,
    *,
    plan: str | None,
    unit: str | None = None,
    password: str | None = PASSWORD,
    language: str = "vi",
    now: dt.datetime,
) -> None:
    with transaction(factory) as session:
        accounts.add_user(
            session,
            email=email,
            name=f"Người dùng {email.split('@')[0]}",
            role=role,
            plan_id=plan,
            unit_code=unit,
            password=password,
            language=language,
            now=now,
        )


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    if match is None:
        raise AssertionError("no csrf_token field in the page")
    return match.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD, next_path: str = "/") -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "next": next_path,
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )


def csrf(client: TestClient, path: str = "/account") -> str:
    """A CSRF token of the client's current session (from a page that has a form)."""
    return csrf_from(client.get(path).text)
