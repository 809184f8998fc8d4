"""The sweep flow over the mini plan: exact steps and outbox rows at a sequence of instants."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest
from flowkit import Ledger, at
from sqlalchemy import func, select

from flows.sweep import sweep_flow
from phancong.adapters.db import transaction
from phancong.adapters.orm import (
    DutyRow,
    EscalationRow,
    ObligationRow,
    OutboxItemRow,
    OutboxRow,
    UnitRow,
)
from phancong.bootstrap import wired
from phancong.orchestration.values import SweepSummary
from phancong.services import handlers, submissions
from phancong.services import ledger as ledger_service

pytestmark = pytest.mark.flows

Mail = tuple[str, str, frozenset[tuple[str, str]]]


def run_sweep(plan: str, as_of: dt.datetime) -> SweepSummary:
    return asyncio.run(sweep_flow(plan=plan, as_of=as_of))


def mails_at(as_of: dt.datetime) -> set[Mail]:
    """Outbox rows queued by the sweep at ``as_of``: recipient, kind, cited (duty, unit)."""
    with wired().sessions() as session:
        rows = session.execute(
            select(OutboxRow.id, OutboxRow.recipient_unit, OutboxRow.kind, DutyRow.code,
                   UnitRow.code)
            .join(OutboxItemRow, OutboxItemRow.outbox_id == OutboxRow.id)
            .join(ObligationRow, ObligationRow.id == OutboxItemRow.obligation_id)
            .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
            .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
            .where(OutboxRow.created_at == as_of)
        ).all()
    cited: dict[tuple[int, str, str], set[tuple[str, str]]] = {}
    for outbox_id, recipient, kind, duty, unit in rows:
        cited.setdefault((outbox_id, recipient, kind), set()).add((duty, unit))
    return {(recipient, kind, frozenset(items)) for (_, recipient, kind), items in cited.items()}


def counts() -> tuple[int, int]:
    with wired().sessions() as session:
        return (session.scalar(select(func.count()).select_from(EscalationRow)) or 0,
                session.scalar(select(func.count()).select_from(OutboxRow)) or 0)


def obligation(duty: str, unit: str, period: str = "2026-Q1") -> int:
    with wired().sessions() as session:
        found = session.scalar(
            select(ObligationRow.id)
            .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
            .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
            .where(DutyRow.code == duty, UnitRow.code == unit,
                   ObligationRow.period_label == period))
    assert found is not None
    return found


def steps(reminder: int = 0, overdue: int = 0, standing_office: int = 0,
          steering_committee: int = 0) -> dict[str, int]:
    return {"reminder": reminder, "overdue": overdue, "standing_office": standing_office,
            "steering_committee": steering_committee}


def test_sweeps_take_exactly_the_due_steps_and_queue_one_mail_per_recipient(ledger: Ledger) -> None:
    # Q1 deadline 15/3/2026 is a Sunday: moved to Monday 16/3. Ladder in working days:
    # reminder 3 before (11/3), overdue 1 after (17/3), Standing Office 5 after (23/3).
    # The supporting unit (ca on d1) owes its input 5 working days before the lead: 9/3.
    result = run_sweep("mini", at("2026-03-05"))
    assert result.steps == steps(reminder=1)
    assert mails_at(at("2026-03-05")) == {("ca", "reminder", frozenset({("d1", "ca")}))}

    result = run_sweep("mini", at("2026-03-11"))
    assert result.steps == steps(reminder=5, overdue=1)
    assert result.emails == 4
    assert mails_at(at("2026-03-11")) == {
        ("ca", "overdue", frozenset({("d1", "ca"), ("report", "ca")})),
        ("sgd", "reminder", frozenset({("d1", "sgd"), ("report", "sgd")})),
        ("vks", "reminder", frozenset({("d1", "vks")})),
        ("pc02", "reminder", frozenset({("consolidated", "pc02")})),
    }

    result = run_sweep("mini", at("2026-03-17"))
    assert result.steps == steps(overdue=5)
    assert mails_at(at("2026-03-17")) == {
        ("ca", "blocker", frozenset({("report", "ca"), ("consolidated", "pc02")})),
        ("sgd", "blocker", frozenset({("d1", "sgd"), ("report", "sgd"),
                                      ("consolidated", "pc02")})),
        ("vks", "overdue", frozenset({("d1", "vks")})),
    }

    # sgd reports on 20/3 and the Standing Office accepts: no escalation for it any more
    report_sgd = obligation("report", "sgd")
    with transaction(wired().sessions) as session:
        submissions.submit(session, report_sgd, actor="sgd@example.test", at=at("2026-03-20"),
                              note="Đã báo cáo", indicator_values={"cases": 3})
        handlers.record(session, [ledger_service.accept(session, report_sgd, actor="pc02@example.test",
                              at=at("2026-03-20", 15))])

    result = run_sweep("mini", at("2026-03-24"))
    assert result.steps == steps(standing_office=4)
    assert mails_at(at("2026-03-24")) == {
        ("pc02", "standing_office", frozenset({("d1", "sgd"), ("d1", "vks"), ("report", "ca")})),
        # the Standing Office's own consolidated report: nobody is escalated to themselves
        ("bcd", "steering_committee", frozenset({("consolidated", "pc02")})),
    }
    assert counts() == (1 + 6 + 5 + 4, 1 + 4 + 3 + 2)


def test_the_same_sweep_twice_adds_nothing(ledger: Ledger) -> None:
    first = run_sweep("mini", at("2026-03-17"))
    assert first.steps == steps(reminder=6, overdue=6)  # all that is due by 17/3, at once
    # ca, sgd (urged as blockers), vks (overdue) and pc02: the reminder of its consolidated
    # report, taken with the overdue step that went to the blockers, still reaches its owner
    assert first.emails == 4
    before = counts()
    again = run_sweep("mini", at("2026-03-17"))
    assert again.steps == steps()
    assert again.emails == 0
    assert counts() == before
    later_same_day = run_sweep("mini", at("2026-03-17", 17))
    assert later_same_day.total_steps == 0
    assert counts() == before


def test_a_blocked_obligation_is_urged_on_its_upstream_owners(ledger: Ledger) -> None:
    run_sweep("mini", at("2026-03-11"))
    run_sweep("mini", at("2026-03-17"))
    consolidated = obligation("consolidated", "pc02")
    with wired().sessions() as session:
        step = session.scalars(select(EscalationRow).where(
            EscalationRow.obligation_id == consolidated, EscalationRow.level == "overdue")).one()
        assert step.blocked is True
        cited_by = session.execute(
            select(OutboxRow.recipient_unit, OutboxRow.kind)
            .join(OutboxItemRow, OutboxItemRow.outbox_id == OutboxRow.id)
            .where(OutboxItemRow.obligation_id == consolidated,
                   OutboxRow.created_at == at("2026-03-17"))).all()
    # the owners of the report it waits on are urged; the one who waits is not written to
    assert sorted(cited_by) == [("ca", "blocker"), ("sgd", "blocker")]
    assert all(recipient != "pc02" for recipient, _, _ in mails_at(at("2026-03-17")))


def _artifact(key: str) -> Any:
    from prefect.artifacts import Artifact

    found = Artifact.get(key)
    assert found is not None, key
    return found


OVERDUE_HEADERS = ["Đơn vị", "Vai trò", "Nhiệm vụ", "Căn cứ", "Kỳ báo cáo", "Hạn",
                   "Số ngày quá hạn", "Trạng thái", "Đã đôn đốc đến", "Đang chờ đơn vị"]


def served_table(key: str) -> list[dict[str, Any]]:
    """The latest table artifact under ``key`` as Prefect's UI V2 reads it: the ``data`` of
    ``GET /artifacts/{id}`` parsed as JSON must be a list of row objects (a dict of columns
    shows "No results." there)."""
    return served_artifact(key)[0]


def served_artifact(key: str) -> tuple[list[dict[str, Any]], str]:
    """The rows and the description of the latest table artifact under ``key``, from the API."""
    import httpx
    from prefect.settings import PREFECT_API_URL

    artifact = _artifact(key)
    assert artifact.type == "table"
    response = httpx.get(f"{PREFECT_API_URL.value()}/artifacts/{artifact.id}", timeout=30)
    response.raise_for_status()
    body = response.json()
    data = body["data"]
    rows = json.loads(data) if isinstance(data, str) else data
    assert isinstance(rows, list), rows
    assert all(isinstance(row, dict) for row in rows), rows
    return rows, str(body["description"])


def test_a_sweep_publishes_overdue_table_summary_progress_and_names_its_run(
        ledger: Ledger) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    run_sweep("mini", at("2026-03-05"))  # reminders only: nothing is overdue yet
    assert served_table("mini-overdue") == []  # a table with no rows: "No results." in UI V2

    # as the command line passes it: 08:00 in Hà Nội given in UTC (01:00)
    run_sweep("mini", at("2026-03-17").astimezone(dt.UTC))

    data, description = served_artifact("mini-overdue")
    assert all(list(row) == OVERDUE_HEADERS for row in data)  # Vietnamese, in order
    assert "17/03/2026 08:00 (giờ Hà Nội)" in description and "01:00" not in description
    assert description.endswith(": 5")  # all shown: no "x / N" line
    rows = [tuple(row.values()) for row in data]
    assert len(rows) == 5  # owners late on Q1: d1 sgd & vks, report ca & sgd, consolidated pc02
    consolidated = next(r for r in rows if r[2] == "Báo cáo tổng hợp")
    assert consolidated[1] == "Chủ trì"
    assert consolidated[3] == "Mục V.3"  # citations as Vietnamese readers see them
    assert consolidated[4] == "Quý I/2026"
    assert consolidated[5] == "16/03/2026"
    assert consolidated[6] == 1
    assert consolidated[7] == "Đang chờ đơn vị khác"
    assert consolidated[8] == "Thông báo quá hạn"
    # escaped for the V1 UI, which renders cells as markdown (tests/unit/test_artifact_cells.py)
    assert consolidated[9] == "Công an \\<b\\>Thành phố\\</b\\> \\| CA & Co, Sở Giáo dục và Đào tạo"
    requested = next(r for r in rows if r[0] == "Viện Kiểm sát nhân dân Thành phố")
    assert (requested[1], requested[7]) == ("Đề nghị", "Quá hạn chưa hoàn thành")

    summary = _artifact("mini-summary")
    assert summary.type == "markdown"
    text = summary.data
    # escaped as the overdue table's cells are (one escaping for every artifact cell)
    assert "Công an \\<b\\>Thành phố\\</b\\> \\| CA & Co" in text
    assert "<b>" not in text
    assert "| 0 / 2 |" in text  # the units' report for Q1: 0 of 2 submitted
    assert "Quý I/2026" in text

    assert "lúc 17/03/2026 08:00, giờ Hà Nội" in text
    assert "Nhắc hạn: 5, Thông báo quá hạn: 6" in text

    progress = _artifact("mini-sweep-progress")
    assert progress.type == "progress"
    assert float(progress.data) == 100.0
    assert progress.description is not None
    assert progress.description.startswith("Rà soát nhắc việc 17/03/2026 08:00 — ")

    async def read_run() -> Any:
        async with get_client() as client:
            runs = await client.read_flow_runs(flow_run_filter=FlowRunFilter(
                name=FlowRunFilterName(any_=["sweep · mini · 2026-03-17"])))
            return runs

    runs = asyncio.run(read_run())
    assert runs, "the flow run is named after plan and period"
    assert {"plan:mini", "period:2026-03-17", "flow:sweep"} <= set(runs[-1].tags)


def test_announce_sweep_emits_a_completed_event(monkeypatch: pytest.MonkeyPatch) -> None:
    import tasks.artifacts as task_module

    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(task_module, "emit_event", lambda **kw: seen.append(kw))
    summary = SweepSummary(plan_id="mini", as_of=at("2026-03-17"), sweep_key="mini:2026-03-17",
                           steps=steps(overdue=5), emails=3, recipients_without_address=[])
    task_module.announce_sweep.fn(summary, 5)
    assert len(seen) == 1
    event = seen[0]
    assert event["event"] == "phancong.sweep.completed"
    assert event["resource"]["prefect.resource.id"] == "phancong.plan.mini"
    assert event["payload"]["total_steps"] == 5
    assert event["payload"]["emails"] == 3
    assert event["payload"]["overdue"] == 5


def test_a_cut_overdue_table_says_how_many_it_shows_and_links_the_portal(
        ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    import tasks.artifacts as task_module

    monkeypatch.setattr(task_module, "OVERDUE_LIMIT", 2)
    summary = run_sweep("mini", at("2026-03-17"))
    assert summary.total_steps > 0
    data, description = served_artifact("mini-overdue")
    assert len(data) == 2
    assert "2 / 5 được hiển thị" in description
    assert "](http://portal.test/obligations?plan=mini&status=late&period=)" in description


def test_artifacts_are_in_english_when_the_standing_office_reads_english(
        empty_ledger: Ledger) -> None:
    import yaml

    from phancong.adapters.loader import directory, load
    from phancong.services.materialize import materialize

    data = yaml.safe_load(empty_ledger.plan_file.read_text(encoding="utf-8"))
    data["plan"]["id"] = "english"
    for agency in data["agencies"]:
        if agency["id"] == data["plan"]["standing_office"]:
            agency["language"] = "en"
    empty_ledger.plan_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    plan = load(empty_ledger.plan_file)
    with transaction(wired().sessions) as session:
        materialize(session, plan, directory(plan), through=dt.date(2026, 12, 31),
                    now=at("2026-01-01"), source=str(empty_ledger.plan_file))
    run_sweep("english", at("2026-03-17"))

    data_rows, description = served_artifact("english-overdue")
    assert list(data_rows[0]) == ["Agency", "Role", "Duty", "Citation", "Period", "Deadline",
                                  "Days late", "Status", "Escalated to", "Waiting on"]
    assert {row["Escalated to"] for row in data_rows} == {"Overdue notice"}
    assert {row["Period"] for row in data_rows} == {"Q1 2026"}
    assert description.startswith("Late list — obligations an owner still owes after the deadline")
    assert "as of 17/03/2026 08:00 (Hà Nội time)" in description
    summary = _artifact("english-summary").data
    assert "## On-time rate per agency" in summary and "Tỉ lệ" not in summary
    progress = _artifact("english-sweep-progress")
    assert progress.description is not None
    assert progress.description.startswith("Sweep of 17/03/2026 08:00 — ")
