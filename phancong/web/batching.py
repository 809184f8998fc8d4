"""Group commit for the submit API.

A database takes one writer at a time (SQLite) or pays a round trip per statement
(PostgreSQL), and agencies submit in bursts before each deadline. Submissions that arrive while
a transaction is running are therefore taken together by one writer thread and recorded in one
transaction: the token owners, the scope checks, the submissions and the read-back are a handful
of set-based statements for the whole group instead of a handful per request. Every request still
gets its own answer — the obligation as it now stands, or why it was refused — and only after the
transaction has committed. If the shared transaction fails for any other reason, each submission
of the group is retried in a transaction of its own, so that one cannot fail another.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import transaction
from phancong.domain.access import Action, Principal
from phancong.services import credentials, reads, submissions
from phancong.services.access import authorize_many
from phancong.services.actions import submission
from phancong.services.attachments import Attachment
from phancong.services.errors import LedgerError

log = logging.getLogger(__name__)

Outcome = tuple[Principal, reads.ObligationView]


class Unauthenticated(Exception):
    """The bearer token has no active owner."""


@dataclass(frozen=True)
class SubmitRequest:
    token: str
    obligation_id: int
    note: str | None = None
    indicator_values: dict[str, Any] = field(default_factory=dict)
    evidence_url: str | None = None
    on_behalf_reason: str | None = None
    files: tuple[Attachment, ...] = ()


@dataclass
class _Job:
    """A queued submission and who waits for it: a thread (a concurrent future) or a
    coroutine (an asyncio future, answered on its event loop)."""

    request: SubmitRequest
    answer: Future[Outcome] | asyncio.Future[Outcome]

    def claim(self) -> bool:
        """Whether someone still waits (the client may have gone); taken by the writer."""
        if isinstance(self.answer, asyncio.Future):
            return not self.answer.cancelled()
        return self.answer.set_running_or_notify_cancel()


_STOP = object()


class SubmitBatcher:
    """One writer thread recording the submissions queued since its last transaction."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: Callable[[], dt.datetime],
        *,
        max_batch: int = 64,
    ) -> None:
        self.factory = factory
        self.clock = clock
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.groups = 0  # transactions committed, and the submissions recorded in them
        self.recorded = 0

    def submit(self, request: SubmitRequest) -> Future[Outcome]:
        """Queue ``request``; the future is answered after the transaction recording it."""
        future: Future[Outcome] = Future()
        self._put(_Job(request, future))
        return future

    async def record(self, request: SubmitRequest) -> Outcome:
        """Queue ``request`` and await its answer, from an event loop.

        The answers of a group reach their loop in one call, so the loop wakes once per
        transaction rather than once per submission.
        """
        waiter: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._put(_Job(request, waiter))
        return await waiter

    def _put(self, job: _Job) -> None:
        with self._lock:
            if self._thread is None:  # started on first use (again after close)
                self._thread = threading.Thread(
                    target=self._run, args=(self._queue,), name="phancong-submits", daemon=True
                )
                self._thread.start()
            self._queue.put(job)

    def close(self, timeout: float = 10.0) -> None:
        """Record what is queued, then stop the writer thread."""
        with self._lock:
            thread, jobs = self._thread, self._queue
            self._thread, self._queue = None, queue.SimpleQueue()
        if thread is not None:
            jobs.put(_STOP)
            thread.join(timeout)

    # ------------------------------------------------------------------------- the writer

    def _run(self, jobs: queue.SimpleQueue[_Job | object]) -> None:
        deferred: list[_Job] = []  # a second submission of an obligation waits for the next group
        stopping = False
        while not (stopping and not deferred):
            group, stop = self._take(jobs, deferred, wait=not stopping)
            stopping = stopping or stop
            if group:
                self._record_group(group)

    def _take(
        self, jobs: queue.SimpleQueue[_Job | object], deferred: list[_Job], *, wait: bool
    ) -> tuple[list[_Job], bool]:
        """The next group: what was deferred, then what is queued (waiting only when idle)."""
        pending = deferred[:]
        deferred.clear()
        stop = False
        if not pending:
            if not wait:
                return [], False
            first = jobs.get()
            if first is _STOP:
                return [], True
            pending.append(first)  # type: ignore[arg-type]
        while len(pending) < self.max_batch:
            try:
                more = jobs.get_nowait()
            except queue.Empty:
                break
            if more is _STOP:
                stop = True
                break
            pending.append(more)  # type: ignore[arg-type]
        group: list[_Job] = []
        seen: set[int] = set()
        for job in pending:
            oid = job.request.obligation_id
            if oid in seen:
                deferred.append(job)
            elif job.claim():
                seen.add(oid)
                group.append(job)
        return group, stop

    def _record_group(self, group: list[_Job]) -> None:
        try:
            outcomes = self._record(group)
        except Exception as exc:
            if len(group) == 1:
                outcomes = [exc]
            else:  # retried one by one, so that each gets its own outcome
                log.warning(
                    "a group of %d submissions failed (%s); recording each alone",
                    len(group),
                    type(exc).__name__,
                )
                outcomes = [_error_of(self._record, [job]) for job in group]
        wake: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Outcome], Any]]] = {}
        for job, outcome in zip(group, outcomes, strict=True):
            if isinstance(job.answer, asyncio.Future):
                wake.setdefault(job.answer.get_loop(), []).append((job.answer, outcome))
            elif isinstance(outcome, BaseException):
                job.answer.set_exception(outcome)
            else:
                job.answer.set_result(outcome)
        for loop, answers in wake.items():
            try:
                loop.call_soon_threadsafe(_answer, answers)
            except RuntimeError:  # the loop has closed: nobody is waiting any more
                log.warning("%d submission answers had no event loop to go to", len(answers))

    def _record(self, group: list[_Job]) -> list[Outcome | BaseException]:
        """One transaction for ``group``; refusals are outcomes, anything else raises."""
        now = self.clock()
        outcomes: list[Outcome | BaseException | None] = [None] * len(group)
        with transaction(self.factory) as session:
            owners = credentials.api_token_owners(session, [job.request.token for job in group])
            asks: list[tuple[int, Principal]] = []
            for position, job in enumerate(group):
                owner = owners.get(job.request.token)
                if owner is None:
                    outcomes[position] = Unauthenticated()
                else:
                    asks.append((position, Principal(*owner)))
            scopes = authorize_many(
                session,
                [(principal, group[pos].request.obligation_id) for pos, principal in asks],
                Action.SUBMIT,
            )
            allowed: list[tuple[int, Principal]] = []
            for (position, principal), scope in zip(asks, scopes, strict=True):
                if isinstance(scope, LedgerError):
                    outcomes[position] = scope
                else:
                    allowed.append((position, principal))
            items = [
                submission(
                    group[pos].request.obligation_id,
                    principal,
                    group[pos].request.note,
                    group[pos].request.indicator_values,
                    group[pos].request.evidence_url,
                    group[pos].request.on_behalf_reason,
                    group[pos].request.files,
                )
                for pos, principal in allowed
            ]
            # each recorded submission comes back as its obligation now stands, from the rows
            # read under lock (no read-back statement)
            recorded = submissions.submit_and_view(session, items, at=now) if items else []
            done = 0
            for (position, principal), outcome in zip(allowed, recorded, strict=True):
                if isinstance(outcome, LedgerError):
                    outcomes[position] = outcome
                else:
                    outcomes[position] = (principal, outcome)
                    done += 1
        self.groups += 1  # committed (only this writer thread counts)
        self.recorded += done
        assert all(o is not None for o in outcomes)  # every position was answered above
        return cast(list[Outcome | BaseException], outcomes)


def _answer(answers: list[tuple[asyncio.Future[Outcome], Any]]) -> None:
    """Hand a group's outcomes to the coroutines awaiting them (run on their loop)."""
    for waiter, outcome in answers:
        if waiter.done():  # cancelled meanwhile; the submission stands, as for a thread
            continue
        if isinstance(outcome, BaseException):
            waiter.set_exception(outcome)
        else:
            waiter.set_result(outcome)


def _error_of(
    record: Callable[[list[_Job]], list[Outcome | BaseException]], alone: list[_Job]
) -> Outcome | BaseException:
    try:
        (outcome,) = record(alone)
    except Exception as exc:  # handed to the waiting request
        return exc
    return outcome
