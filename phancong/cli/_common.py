"""Helpers shared by the command modules: settings, database, clear errors, time parsing."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.loader import PlanError, load
from phancong.bootstrap import wired
from phancong.domain.plan import Plan
from phancong.domain.zone import DEFAULT_TZ
from phancong.services.errors import LedgerError
from phancong.settings import DEFAULT_PLAN

TZ = DEFAULT_TZ


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def load_plan(path: Path) -> Plan:
    try:
        return load(path)
    except PlanError as exc:
        fail(str(exc), 2)


def sessions() -> sessionmaker[Session]:
    """The ledger's sessions, from the process's wiring (:mod:`phancong.bootstrap`)."""
    return wired().sessions


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the ledger's refusals into a one-line message and a non-zero exit."""
    try:
        yield
    except LedgerError as exc:
        fail(exc.message("vi"), 1)


def parse_instant(text: str | None, tz: str = TZ) -> dt.datetime:
    """'2026-03-20' (08:00 that day, local), '2026-03-20T10:00' (local), or now."""
    if not text:
        return dt.datetime.now(dt.UTC)
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time(8, 0), ZoneInfo(tz)).astimezone(dt.UTC)
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        fail(f"'{text}' is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM)", 2)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(dt.UTC)


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"'{text}' is not a date (YYYY-MM-DD)", 2)


def default_plan() -> Path:
    return DEFAULT_PLAN


def progress_printer(label: str) -> ProgressPrinter:
    return ProgressPrinter(label)


class ProgressPrinter:
    """A one-line progress counter on stderr when it is a terminal; a few lines otherwise."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.last_pct = -1

    def __call__(self, done: int, total: int, what: str) -> None:
        pct = int(done * 100 / max(total, 1))
        if self.tty:
            sys.stderr.write(f"\r{self.label}: {done}/{total} ({pct}%) {what[:40]:<40}")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif pct // 25 != self.last_pct // 25 or done == total:
            sys.stderr.write(f"{self.label}: {done}/{total} ({pct}%)\n")
        self.last_pct = pct
