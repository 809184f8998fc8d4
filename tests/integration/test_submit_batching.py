"""Group commit of API submissions: one transaction for what queued up, one answer each."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters import db
from phancong.adapters.db import transaction
from phancong.adapters.orm import AuditRow, ObligationRow, SubmissionRow
from phancong.services import accounts, credentials, reads, submissions
from phancong.services.errors import Forbidden, NotFound, Refused
from phancong.web import batching
from phancong.web.batching import SubmitBatcher, SubmitRequest, Unauthenticated
from tests.portal_support import add_user, fast_hasher, seed_ledger

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
SGD, CA, VIEWER = "sgd@example.test", "ca@example.test", "bcd@example.test"


@pytest.fixture
def factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sessionmaker[Session]]:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)
    factory = seed_ledger(
        f"sqlite+pysqlite:///{tmp_path}/l.db", through=dt.date(2026, 12, 31), now=NOW
    )
    add_user(factory, SGD, "agency", plan="mini", unit="sgd", now=NOW)
    add_user(factory, CA, "agency", plan="mini", unit="ca", now=NOW)
    add_user(factory, VIEWER, "viewer", plan="mini", now=NOW)
    yield factory
    factory.kw["bind"].dispose()


def tokens(factory: sessionmaker[Session]) -> dict[str, str]:
    with transaction(factory) as session:
        return {e: credentials.issue_api_token(session, e, now=NOW) for e in (SGD, CA, VIEWER)}


def open_ids(factory: sessionmaker[Session], unit: str) -> list[int]:
    with factory() as session:
        views = reads.find(session, "mini", NOW, unit=unit, period="2026-Q1", open_first=False)
        return [v.id for v in views if v.state == "open"]


def outcome(future: Future[Any]) -> Any:
    error = future.exception(timeout=30)
    return error if error is not None else future.result()


def taken(future: Future[Any]) -> Future[Any]:
    """``future`` once the writer has taken its job (so what is submitted next queues)."""
    deadline = time.monotonic() + 30
    while not future.running() and not future.done():
        assert time.monotonic() < deadline
        time.sleep(0.001)
    return future


def count(factory: sessionmaker[Session], row: Any) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(row)) or 0)


def test_what_queues_during_a_transaction_is_recorded_in_one_with_one_answer_each(
    factory: sessionmaker[Session],
) -> None:
    tok = tokens(factory)
    sgd, ca = open_ids(factory, "sgd"), open_ids(factory, "ca")
    assert len(sgd) >= 2 and ca
    batcher = SubmitBatcher(factory, lambda: NOW)
    audits, submissions = count(factory, AuditRow), count(factory, SubmissionRow)
    writers = db._SQLITE_WRITERS[factory.kw["bind"]]
    with writers:  # the first submission waits for the write lock; the rest queue behind it
        first = taken(batcher.submit(SubmitRequest(tok[SGD], sgd[0], note="lần đầu")))
        asks = {
            "own": SubmitRequest(tok[SGD], sgd[1], note="  Đã hoàn thành\r\n", evidence_url=""),
            "again": SubmitRequest(tok[SGD], sgd[1], note="lần hai"),  # deferred, then refused
            "other_unit": SubmitRequest(tok[SGD], ca[0]),
            "bad_token": SubmitRequest("pca_not-a-token", sgd[0]),
            "viewer": SubmitRequest(tok[VIEWER], ca[0]),
            "ghost": SubmitRequest(tok[CA], 999_999),
            "bad_indicator": SubmitRequest(tok[CA], ca[0], indicator_values={"ghost": 1}),
        }
        futures = {name: batcher.submit(ask) for name, ask in asks.items()}
    results = {name: outcome(f) for name, f in futures.items()}
    principal, view = outcome(first)
    assert principal.email == SGD and view.id == sgd[0] and view.status == "submitted"
    principal, view = results["own"]
    assert principal.email == SGD and view.status == "submitted" and view.id == sgd[1]
    assert isinstance(results["again"], Refused)
    assert "submitted" in str(results["again"].en)
    assert isinstance(results["other_unit"], NotFound)  # outside the scope: reads as missing
    assert isinstance(results["bad_token"], Unauthenticated)
    assert isinstance(results["viewer"], Forbidden)
    assert isinstance(results["ghost"], NotFound)
    assert isinstance(results["bad_indicator"], Refused)
    # first alone; the queued group; a second submission of an obligation waits for the next
    # group: sgd[1] once, ca[0] twice (other_unit, viewer, bad_indicator all name it)
    assert batcher.groups == 4
    assert batcher.recorded == 2
    assert count(factory, SubmissionRow) == submissions + 2  # refusals wrote nothing
    assert count(factory, AuditRow) == audits + 2
    with factory() as session:
        note = session.scalar(
            select(SubmissionRow.note).where(SubmissionRow.obligation_id == sgd[1])
        )
        assert note == "Đã hoàn thành"  # cleaned as the portal and the CLI clean it
        state = session.scalar(select(ObligationRow.state).where(ObligationRow.id == ca[0]))
        assert state == "open"
    batcher.close()


def test_coroutines_get_their_answers_in_one_wake_up_per_group(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    tok = tokens(factory)
    sgd, ca = open_ids(factory, "sgd"), open_ids(factory, "ca")
    assert len(sgd) >= 2 and len(ca) >= 2
    batcher = SubmitBatcher(factory, lambda: NOW)
    wake_ups: list[int] = []
    real_answer = batching._answer

    def answer(answers: Any) -> None:
        wake_ups.append(len(answers))
        real_answer(answers)

    monkeypatch.setattr(batching, "_answer", answer)

    async def scenario() -> tuple[Any, ...]:
        with db._SQLITE_WRITERS[factory.kw["bind"]]:  # the rest queue behind a first one
            first = taken(batcher.submit(SubmitRequest(tok[CA], ca[0], note="x")))
            asks = [
                SubmitRequest(tok[SGD], sgd[0], note="một"),
                SubmitRequest(tok[CA], ca[1], note="hai"),
                SubmitRequest(tok[SGD], 999_999),  # no such obligation: refused
                SubmitRequest("pca_not-a-token", sgd[1]),
            ]
            tasks = [asyncio.create_task(batcher.record(ask)) for ask in asks]
            gone = asyncio.create_task(batcher.record(SubmitRequest(tok[SGD], sgd[1])))
            await asyncio.sleep(0.05)  # every task has queued its submission
            gone.cancel()  # the client went away before the writer took it
            await asyncio.sleep(0)
        results = await asyncio.gather(*tasks, return_exceptions=True)
        return outcome(first), results, gone.cancelled()

    (_, first_view), results, cancelled = asyncio.run(scenario())
    assert first_view.status == "submitted"
    own_one, own_two, ghost, bad_token = results
    assert (own_one[0].email, own_one[1].id, own_one[1].status) == (SGD, sgd[0], "submitted")
    assert (own_two[0].email, own_two[1].id, own_two[1].status) == (CA, ca[1], "submitted")
    assert isinstance(ghost, NotFound)
    assert isinstance(bad_token, Unauthenticated)
    assert cancelled
    assert batcher.groups == 2 and batcher.recorded == 3  # the first alone, then the queue
    assert wake_ups == [4]  # the thread's answer went by its future; four answers, one call
    with factory() as session:
        state = session.scalar(select(ObligationRow.state).where(ObligationRow.id == sgd[1]))
        assert state == "open"  # taken after its client had gone: not recorded
    batcher.close()


def test_a_failing_group_is_recorded_one_by_one(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    tok = tokens(factory)
    batcher = SubmitBatcher(factory, lambda: NOW)
    real = submissions.submit_and_view

    def fails_for_groups(session: Session, items: Any, *, at: dt.datetime) -> Any:
        outcomes = real(session, items, at=at)  # written, then the transaction breaks
        if len(items) > 1:
            raise RuntimeError("the group's transaction breaks")
        return outcomes

    monkeypatch.setattr(submissions, "submit_and_view", fails_for_groups)
    asks = [(SGD, oid) for oid in open_ids(factory, "sgd")] + [(CA, open_ids(factory, "ca")[0])]
    assert len(asks) >= 3
    with db._SQLITE_WRITERS[factory.kw["bind"]]:
        who, oid = asks[0]
        futures = [taken(batcher.submit(SubmitRequest(tok[who], oid, note="x")))]
        futures += [batcher.submit(SubmitRequest(tok[w], o, note="x")) for w, o in asks[1:]]
    results = [outcome(f) for f in futures]
    assert batcher.groups == len(asks)  # the first alone, then the broken group one by one
    assert [view.status for _, view in results] == ["submitted"] * len(asks)
    assert count(factory, SubmissionRow) == len(asks)  # the failed group left nothing behind
    batcher.close()


def test_close_records_what_is_queued_and_a_later_submission_starts_again(
    factory: sessionmaker[Session],
) -> None:
    tok = tokens(factory)
    sgd = open_ids(factory, "sgd")
    batcher = SubmitBatcher(factory, lambda: NOW)
    with db._SQLITE_WRITERS[factory.kw["bind"]]:
        queued = [taken(batcher.submit(SubmitRequest(tok[SGD], sgd[0], note="x")))]
        queued.append(batcher.submit(SubmitRequest(tok[SGD], sgd[1], note="x")))
    batcher.close()
    assert all(f.done() for f in queued)
    assert [outcome(f)[1].status for f in queued] == ["submitted", "submitted"]
    later = batcher.submit(SubmitRequest(tok[CA], open_ids(factory, "ca")[0], note="x"))
    assert outcome(later)[1].status == "submitted"
    batcher.close()
