"""Schemathesis against the portal's OpenAPI: every operation, anonymous and as each role.

The portal runs in-process (schemathesis' ASGI transport) on a prepared SQLite ledger: the mini
plan materialised for 2026 and three accounts (coordinator, agency, viewer) with API tokens.
Schemathesis generates cases for every operation of ``/openapi.json`` (its examples, coverage
and fuzzing phases; valid and invalid data, unsupported methods) and each case is sent four
times: without credentials and with each role's bearer token. Checks: no 5xx
(``not_a_server_error``) and every documented response matches its schema
(``response_schema_conformance``). The HTML routes (pages, forms, exports) are not in the
schema; tests/integration/test_hostile_input.py covers them.

The schema is read at import from an app on an unused in-memory database (schemathesis' pytest
plugin builds one test per operation from an eager schema; its fixture-based loader does not
work with pytest 9); every case is sent to ``portal.app``, the app on the prepared ledger.

Requests per role and status code go to ``<test_output>/schemathesis.txt`` (RELIABILITY.md),
with the status codes the schema does not document (informational, not a failure).
``PHANCONG_SCHEMATHESIS_EXAMPLES`` sets the fuzzing examples per operation (default 40).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.specs.openapi.schemas import OpenApiSchema

from phancong.adapters.db import transaction
from phancong.bootstrap import bootstrap
from phancong.services import accounts, credentials
from phancong.settings import Settings
from phancong.web.app import create_app
from tests.integration.event_plans import mini_with_events
from tests.portal_support import add_user, fast_hasher, seed_ledger

pytestmark = pytest.mark.e2e

NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)  # Q1 2026 under way
EXAMPLES = int(os.environ.get("PHANCONG_SCHEMATHESIS_EXAMPLES", "40"))
ACCOUNTS = {
    "coordinator": ("pc02@example.test", "coordinator", None, None),
    "agency": ("sgd@example.test", "agency", "mini", "sgd"),
    "viewer": ("bcd@example.test", "viewer", "mini", None),
}
ROLES = ("anonymous", *ACCOUNTS)
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance]


@dataclass
class Portal:
    app: Any
    tokens: dict[str, str]
    requests: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    cases: Counter[str] = field(default_factory=Counter)
    undocumented: Counter[str] = field(default_factory=Counter)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    url = f"sqlite+pysqlite:///{tmp}/ledger.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "hasher", fast_hasher)
        # the mini plan with two event-triggered duties, so /api/events can open obligations
        factory = seed_ledger(url, mini_with_events(tmp), through=dt.date(2026, 12, 31), now=NOW)
        for email, role, plan, unit in ACCOUNTS.values():
            add_user(factory, email, role, plan=plan, unit=unit, now=NOW)
        with transaction(factory) as session:
            tokens = {
                role: credentials.issue_api_token(session, email, now=NOW)
                for role, (email, *_) in ACCOUNTS.items()
            }
    app = create_app(bootstrap(Settings(
            data_dir=tmp / "data",
            database_url=url,
            secret_key="schemathesis-" + "k" * 40,  # type: ignore[arg-type]
            portal_url="http://portal.test",
        ), sessions=factory, clock=lambda: NOW))
    yield Portal(app, tokens, statuses={role: Counter() for role in ROLES})
    factory.kw["bind"].dispose()


def _schema() -> OpenApiSchema:
    """The portal's OpenAPI document (no database is touched to serve it)."""
    app = create_app(bootstrap(Settings(
            data_dir=Path("/nonexistent/phancong"),
            database_url="sqlite+pysqlite:///:memory:",
            secret_key="x" * 40,  # type: ignore[arg-type]
        )))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = _schema()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api(case: Any, portal: Portal) -> None:
    """The same generated request, anonymous and as each role: no 5xx, responses as documented."""
    portal.cases[case.operation.label] += 1
    documented = case.operation.definition.raw.get("responses", {})
    generated = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    for role in ROLES:
        headers = dict(generated)
        if role in portal.tokens:
            headers["Authorization"] = f"Bearer {portal.tokens[role]}"
        case.headers = headers
        response = case.call(app=portal.app)
        portal.requests[role] += 1
        portal.statuses[role][response.status_code] += 1
        if str(response.status_code) not in documented:
            portal.undocumented[f"{case.operation.label} -> {response.status_code}"] += 1
        case.validate_response(response, checks=CHECKS)


def test_figures(portal: Portal, test_output: Path) -> None:
    """Requests generated per role (for RELIABILITY.md); every role got every case."""
    if not portal.requests:
        pytest.skip("test_api did not run in this session (run the whole file)")
    lines = [
        f"schemathesis {version('schemathesis')} against the portal's /openapi.json: "
        f"{len(portal.cases)} operations, {sum(portal.cases.values())} generated cases "
        f"(max_examples={EXAMPLES}), each sent anonymous and as each role",
    ]
    for role in ROLES:
        codes = ", ".join(f"{c}: {n}" for c, n in sorted(portal.statuses[role].items()))
        lines.append(f"{role}: {portal.requests[role]} requests ({codes})")
    lines.append(f"total: {sum(portal.requests.values())} requests, 0 server errors")
    lines.append("cases per operation:")
    lines += [f"  {label}: {n}" for label, n in sorted(portal.cases.items())]
    lines.append("status codes the schema does not document (informational):")
    lines += [f"  {what}: {n}" for what, n in sorted(portal.undocumented.items())]
    text = "\n".join(lines) + "\n"
    (test_output / "schemathesis.txt").write_text(text, encoding="utf-8")
    print(text)
    assert len({portal.requests[role] for role in ROLES}) == 1
    assert not [c for role in ROLES for c in portal.statuses[role] if c >= 500]
