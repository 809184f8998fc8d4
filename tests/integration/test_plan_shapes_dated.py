"""A 2021–2025 plan that lived through the 2025 reform, and a plan with periods inside it,
materialised and swept on SQLite and PostgreSQL: nothing before the amendment changes, and
nothing is owed by a unit outside its validity."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from phancong.adapters.db import transaction
from phancong.adapters.orm import DutyRow, ObligationRow, OutboxRow, UnitRow
from phancong.services import handlers, reads, submissions
from phancong.services import ledger as svc
from phancong.services.sweep import sweep
from tests.helpers import ROOT, at, plain_renderer
from tests.integration.ledger_fixtures import Ledger
from tests.integration.step_lines import steps_without_line

pytestmark = pytest.mark.integration

SHAPES = ROOT / "tests" / "data" / "shapes"
ISSUED = SHAPES / "through-reform-2021.yaml"
AMENDED = SHAPES / "through-reform.yaml"
REFORM = dt.date(2025, 7, 1)


def _rows(ledger: Ledger, plan_id: str = "through-reform") -> list[dict[str, Any]]:
    with ledger.factory() as s:
        rows = s.execute(
            select(ObligationRow.id, UnitRow.code, DutyRow.code, ObligationRow.period_label,
                   ObligationRow.period_end, ObligationRow.state, ObligationRow.role,
                   ObligationRow.original_deadline, ObligationRow.effective_deadline,
                   ObligationRow.revision)
            .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
            .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
            .where(ObligationRow.plan_id == plan_id)
            .order_by(ObligationRow.id)
        ).all()
    keys = ("id", "unit", "duty", "period", "period_end", "state", "role", "original",
            "effective", "revision")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def test_the_amended_plan_owes_by_validity(ledger: Ledger) -> None:
    report = ledger.materialize(AMENDED, through="2025-12-31", now="2025-01-02")
    rows = _rows(ledger)
    assert report.obligations_created == len(rows)
    for row in rows:
        if row["unit"].startswith("ward-"):  # Hải Phòng's communes exist from 1/7/2025
            assert row["original"] >= REFORM, row
        if row["unit"].startswith("old-district-"):  # Hải Dương's districts until 30/6/2025
            assert row["original"] < REFORM, row
    yearly = [r for r in rows if r["duty"] == "bao-cao-nam"]
    assert len(yearly) == 12 * 4 + 114  # 12 districts 2021–2024, 114 communes for 2025
    consolidations = {r["period"]: r["unit"] for r in rows if r["duty"] == "tong-hop-nam"}
    assert consolidations == {"2021": "so-ldtbxh", "2022": "so-ldtbxh", "2023": "so-ldtbxh",
                              "2024": "so-ldtbxh", "2025": "so-y-te"}
    quarterly = {(r["period"], r["unit"][:4]) for r in rows if r["duty"] == "bao-cao-quy"}
    assert ("2025-Q1", "old-") in quarterly and ("2025-Q3", "ward") in quarterly
    assert ("2025-Q3", "old-") not in quarterly and ("2025-Q1", "ward") not in quarterly

    with transaction(ledger.factory) as s:
        sweep(s, "through-reform", at("2025-12-31"), renderer=plain_renderer)
    with ledger.factory() as s:
        assert steps_without_line(s, "through-reform") == []
    again = ledger.materialize(AMENDED, through="2025-12-31", now="2026-01-05")
    assert not again.changed_anything


def test_nothing_before_the_amendment_changes(ledger: Ledger) -> None:
    ledger.materialize(ISSUED, through="2025-12-31", now="2025-05-02")
    views = {(v.duty_code, v.unit_code, v.period_label): v
             for v in _find(ledger, "2025-05-02")}
    with transaction(ledger.factory) as s:  # one report submitted and accepted
        oid = views[("bao-cao-nam", "h-gia-loc", "2024")].id
        submissions.submit(s, oid, actor="h-gia-loc", at=at("2025-01-10"), note="Đã báo cáo")
        handlers.record(s, [svc.accept(s, oid, actor="so-ldtbxh", at=at("2025-01-11"))])
    with transaction(ledger.factory) as s:  # the one-off survey of 2021 was never sent
        sweep(s, "through-reform", at("2025-05-02"), renderer=plain_renderer)
    with ledger.factory() as s:
        assert steps_without_line(s, "through-reform") == []
    before = [r for r in _rows(ledger) if r["period_end"] < REFORM]
    assert any(r["duty"] == "khao-sat" and r["state"] == "open" for r in before)
    later = {r["id"] for r in _rows(ledger) if r["period_end"] >= REFORM}

    report = ledger.materialize(AMENDED, through="2025-12-31", now="2025-08-01")
    after = _rows(ledger)
    assert [r for r in after if r["period_end"] < REFORM] == before  # ids, states, deadlines
    assert report.duties_removed == ["khao-sat"]  # its 2021 obligations are kept
    assert report.obligations_cancelled == len(later)  # only the hand-typed districts' 2025
    cancelled = {r["id"] for r in after if r["state"] == "cancelled"}
    assert cancelled == later
    for row in after:
        if row["unit"].startswith(("ward-", "old-district-")):
            assert row["period_end"] >= REFORM and row["original"] >= REFORM, row
    # the successor communes owe 2025's yearly report and Q3, the new office its consolidation
    fresh = {(r["duty"], r["period"]) for r in after if r["id"] not in {b["id"] for b in before}
             and r["state"] == "open"}
    assert fresh == {("bao-cao-nam", "2025"), ("bao-cao-quy", "2025-Q3"),
                     ("tong-hop-nam", "2025")}
    with transaction(ledger.factory) as s:
        swept = sweep(s, "through-reform", at("2025-12-31"), renderer=plain_renderer)
    assert swept.steps["standing_office"] > 0
    with ledger.factory() as s:
        # the May letters went to the offices of the plan as it then was (checked above)
        missing = steps_without_line(s, "through-reform")
        assert [m for m in missing if m.taken_at.startswith("2025-12-31")] == []
        letters = {r for (r,) in s.execute(select(OutboxRow.recipient_unit).where(
            OutboxRow.plan_id == "through-reform", OutboxRow.created_at >= at("2025-12-31")))}
    assert "so-y-te" in letters and "so-ldtbxh" not in letters  # the acting Standing Office


def test_without_the_amendment_date_history_is_rewritten(ledger: Ledger, tmp_path: Path) -> None:
    """The rule is what keeps the past: the same edit with no amendment cancels 2021–2024."""
    ledger.materialize(ISSUED, through="2025-12-31", now="2025-05-02")
    text = AMENDED.read_text(encoding="utf-8")
    start = text.index("  amendments:")
    end = text.index("ladder:")
    bare = tmp_path / "through-reform.yaml"
    bare.write_text(text[:start] + text[end:], encoding="utf-8")
    report = ledger.materialize(bare, through="2025-12-31", now="2025-08-01")
    cancelled = [r for r in _rows(ledger) if r["state"] == "cancelled"]
    assert any(r["period_end"] < REFORM for r in cancelled)
    assert report.obligations_cancelled == len(cancelled)


def _find(ledger: Ledger, when: str) -> list[reads.ObligationView]:
    with ledger.factory() as s:
        return list(reads.find(s, "through-reform", at(when), limit=10_000))


@pytest.mark.parametrize("name", ["periods-inside.yaml", "kontum-2019.yaml"])
def test_other_shapes_materialise_and_sweep(ledger: Ledger, name: str) -> None:
    path = SHAPES / name
    plan_id = name.removesuffix(".yaml")
    last = "2025-06-30" if plan_id == "periods-inside" else "2020-12-31"
    report = ledger.materialize(path, through=last, now=last)
    assert report.obligations_created > 0
    with transaction(ledger.factory) as s:
        sweep(s, plan_id, at(last), renderer=plain_renderer)
    with ledger.factory() as s:
        assert steps_without_line(s, plan_id) == []
    rows = _rows(ledger, plan_id)
    assert all(r["original"] <= dt.date.fromisoformat(last) for r in rows)
    if plan_id == "kontum-2019":
        assert len(rows) == 10 * 4 + 102 * 2  # districts twice a year, communes yearly
