"""Login throttling across real portal processes, and the proxy headers of ``portal serve``
and ``up`` (issue 14, items 1-3 and 9).

Two servers on one ledger: ``phancong portal serve --workers 2`` and the uvicorn command line
``phancong up`` runs, each a process of its own with the production password hash. Against
them, 60 guesses for one account at once, half to each: the attempt is reserved in the ledger
before the ~100 ms hash, so exactly 5 are checked, and both servers then refuse the account.
A loopback client rotating ``X-Forwarded-For`` through both is throttled as one address: no
proxy is named in ``PHANCONG_TRUSTED_PROXIES``, so neither server believes the header.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from phancong.orchestration.up import portal_command
from phancong.services import throttle
from tests.e2e.portal_server import HOST, PortalProcess, start_portal
from tests.portal_support import PASSWORD, add_user, seed_ledger

pytestmark = pytest.mark.e2e

NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
SGD, CA = "sgd@example.test", "ca@example.test"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[tuple[PortalProcess, PortalProcess]]:
    factory = seed_ledger(database_url, through=dt.date(2026, 6, 30), now=NOW)
    add_user(factory, SGD, "agency", plan="mini", unit="sgd", now=NOW)
    add_user(factory, CA, "agency", plan="mini", unit="ca", now=NOW)
    factory.kw["bind"].dispose()
    env = {"PHANCONG_SECRET_KEY": "k" * 48, "PHANCONG_PORTAL_NOW": NOW.isoformat()}
    with ThreadPoolExecutor(2) as pool:  # both start at once
        starting = [
            pool.submit(start_portal, database_url, tmp_path / "serve", workers=2, extra_env=env),
            pool.submit(start_portal, database_url, tmp_path / "up", extra_env=env,
                        command=lambda port: portal_command(HOST, port)),
        ]
    started = [f.result() for f in starting if f.exception() is None]
    try:
        assert len(started) == 2, [f.exception() for f in starting]
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


def _client(server: PortalProcess) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=server.url, timeout=30)
    match = CSRF.search(client.get("/login").text)
    assert match is not None
    return client, match.group(1)


def _post(client: httpx.Client, token: str, email: str, password: str,
          headers: dict[str, str] | None = None) -> int:
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": token}, headers=headers)
    return response.status_code


def test_guesses_through_two_processes(servers: tuple[PortalProcess, PortalProcess]) -> None:
    serve, up = servers
    clients = [_client(serve if i % 2 else up) for i in range(60)]
    barrier = threading.Barrier(30)

    def guess(i: int) -> int:
        client, token = clients[i]
        if i < 30:
            barrier.wait()
        return _post(client, token, SGD, f"đoán-{i}-{uuid.uuid4().hex[:6]}")

    try:
        with ThreadPoolExecutor(30) as pool:
            answers = list(pool.map(guess, range(60)))
        # every one answered by a password check (400) or refused before it (429)
        assert answers.count(400) == throttle.ACCOUNT.free, answers
        assert answers.count(429) == 60 - throttle.ACCOUNT.free
        for server in (serve, up):  # the account waits in both processes, even for its password
            client, token = _client(server)
            assert _post(client, token, SGD, PASSWORD) == 429
            client.close()

        # a loopback client rotating X-Forwarded-For: one address (127.0.0.1) to both servers
        spray = []
        for i in range(40):
            client, token = clients[i % 2]
            spray.append(_post(client, token, f"{uuid.uuid4().hex[:8]}@example.test", "đoán",
                               headers={"X-Forwarded-For": f"198.51.100.{i + 1}"}))
        free_left = throttle.ADDRESS.free - throttle.ACCOUNT.free  # the guesses above counted
        assert spray[:free_left] == [400] * free_left
        assert set(spray[free_left:]) == {429}
    finally:
        for client, _ in clients:
            client.close()
