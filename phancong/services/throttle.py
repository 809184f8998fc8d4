"""Failed-login back-off, kept in the ledger so every portal process shares it.

Two kinds of key: the account (``a:`` + a digest of the email typed, whether or not such an
account exists, so a refusal says nothing about existence) and the client's address (``i:`` +
the address, only when the portal knows the address is really the client's — see
:func:`phancong.web.security.client_address`).

Each key allows ``free`` failures, then every further attempt must wait a delay that doubles
with each failure up to ``cap`` (a back-off, not a lockout): 5 free attempts per account, then
30 s, 1 min, 2 min … up to 1 h. An attempt made while a key waits is refused before the password
is looked at and is not counted, so an attacker cannot push the wait further by hammering; he
can only keep an account at one guess an hour, and its holder still gets in with a one-time
login link (which clears the account's back-off) or after a coordinator clears it
(``phancong users unthrottle``).

An attempt is *reserved* before the password hash is computed: the failure is counted (and the
next wait set) in a short transaction that locks the key's row, and a successful login takes it
back. Concurrent guesses therefore cannot all pass the check before the first failure is
recorded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import transaction
from phancong.adapters.dialect import insert_missing
from phancong.adapters.orm import LoginThrottleRow


@dataclass(frozen=True)
class Policy:
    free: int  # failures allowed before any wait
    base: float  # the first wait, seconds; doubled by each further failure
    cap: float  # the longest wait
    forget: float  # a key with no failure for this long starts afresh

    def wait(self, failures: int) -> float | None:
        """The wait after ``failures`` failures (None while still free)."""
        if failures < self.free:
            return None
        return float(min(self.base * 2.0 ** min(failures - self.free, 40), self.cap))


ACCOUNT = Policy(free=5, base=30.0, cap=3600.0, forget=24 * 3600.0)
ADDRESS = Policy(free=30, base=2.0, cap=900.0, forget=3600.0)


def account_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()
    return f"a:{digest[:40]}"


def device_key(device: str) -> str:
    return f"d:{device[:70]}"


def address_key(address: str) -> str:
    return f"i:{address[:70]}"


@dataclass(frozen=True)
class Reservation:
    """The answer to one login attempt's reservation."""

    allowed: bool
    retry_after: float = 0.0  # seconds, when refused


def _ensure_rows(session: Session, keys: Sequence[str], now: float) -> None:
    rows = [{"key": k, "failures": 0, "blocked_until": None, "last_at": now} for k in keys]
    insert_missing(session, cast(Table, LoginThrottleRow.__table__), rows)


def _locked(session: Session, keys: Sequence[str]) -> list[LoginThrottleRow]:
    return list(
        session.scalars(
            select(LoginThrottleRow)
            .where(LoginThrottleRow.key.in_(sorted(keys)))
            .order_by(LoginThrottleRow.key)
            .with_for_update()
        )
    )


def reserve(
    factory: sessionmaker[Session], keys: Sequence[tuple[str, Policy]], now: float
) -> Reservation:
    """Count one attempt against every key, or refuse it (counting nothing) while any waits."""
    policies = dict(keys)
    with transaction(factory) as session:
        _ensure_rows(session, sorted(policies), now)
        rows = _locked(session, list(policies))
        for row in rows:
            if now - row.last_at >= policies[row.key].forget:
                row.failures, row.blocked_until = 0, None
        waits = [
            row.blocked_until - now
            for row in rows
            if row.blocked_until is not None and row.blocked_until > now
        ]
        if waits:
            return Reservation(False, max(waits))
        for row in rows:
            row.failures += 1
            row.last_at = now
            wait = policies[row.key].wait(row.failures)
            row.blocked_until = None if wait is None else now + wait
    return Reservation(True)


def release(
    factory: sessionmaker[Session],
    clear: Sequence[str],
    refund: Sequence[tuple[str, Policy]],
) -> None:
    """A reserved attempt succeeded: forget the ``clear`` keys (the account), and give the
    reserved failure back to the ``refund`` keys (the address)."""
    policies = dict(refund)
    with transaction(factory) as session:
        if clear:
            session.execute(delete(LoginThrottleRow).where(LoginThrottleRow.key.in_(clear)))
        if policies:
            for row in _locked(session, list(policies)):
                row.failures = max(0, row.failures - 1)
                wait = policies[row.key].wait(row.failures)
                if wait is None:
                    row.blocked_until = None


def clear_account(session: Session, email: str) -> bool:
    """Forget an account's failures (a coordinator's reset, or a login link used)."""
    result = session.execute(
        delete(LoginThrottleRow).where(LoginThrottleRow.key == account_key(email))
    )
    return bool(getattr(result, "rowcount", 0))


def prune(session: Session, now: float, older_than: float = 2 * 24 * 3600.0) -> int:
    """Drop keys with no failure for ``older_than`` seconds (they would start afresh anyway)."""
    result = session.execute(
        delete(LoginThrottleRow).where(LoginThrottleRow.last_at < now - older_than)
    )
    return int(getattr(result, "rowcount", 0) or 0)
