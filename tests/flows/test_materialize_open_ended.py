"""The nightly materialize flow on a directive with no end date: it keeps the ledger a rolling
horizon ahead (PHANCONG_MATERIALIZE_HORIZON_MONTHS) and moves it as the days pass."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from flowkit import Ledger, at
from sqlalchemy import func, select

from flows.materialize import materialize_flow
from phancong.adapters.orm import ObligationRow
from phancong.bootstrap import wired
from phancong.settings import get_settings

pytestmark = pytest.mark.flows

DIRECTIVE = Path(__file__).resolve().parents[1] / "data" / "shapes" / "quangninh-chi-thi-2026.yaml"


def _held() -> tuple[int, int, set[str]]:
    with wired().sessions() as session:
        total = session.scalar(select(func.count()).select_from(ObligationRow)) or 0
        keys = session.scalar(select(func.count()).select_from(
            select(ObligationRow.unit_id, ObligationRow.duty_id, ObligationRow.period_label)
            .distinct().subquery())) or 0
        periods = set(session.scalars(select(ObligationRow.period_label).distinct()))
    return total, keys, periods


def test_the_nightly_run_moves_the_horizon_of_an_open_ended_plan(
    empty_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHANCONG_MATERIALIZE_HORIZON_MONTHS", "6")
    get_settings.cache_clear()
    first = asyncio.run(materialize_flow(plan=str(DIRECTIVE), as_of=at("2026-06-20")))
    assert first.through == dt.date(2026, 12, 19)  # six months ahead, not the next quarter
    total, keys, periods = _held()
    assert total == keys == first.obligations_created > 0
    assert "2026" in periods and not any(p.startswith("2027") for p in periods)

    again = asyncio.run(materialize_flow(plan="quangninh-chi-thi-2026", as_of=at("2026-06-21")))
    assert again.obligations_created == again.obligations_cancelled == 0

    later = asyncio.run(materialize_flow(plan="quangninh-chi-thi-2026", as_of=at("2027-01-20")))
    assert later.through == dt.date(2027, 7, 19)
    assert later.obligations_created > 0 and later.obligations_cancelled == 0
    total, keys, periods = _held()
    assert total == keys == first.obligations_created + later.obligations_created
    assert {"2027-H1", "2027-H2", "2027"} <= periods and not any(p.startswith("2028") for p in periods)
