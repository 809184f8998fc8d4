"""Materialise, consolidate, deliver and digest flows over the mini plan."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from docx import Document
from flowkit import Ledger, at
from sqlalchemy import func, select

from flows.consolidate import consolidate_flow
from flows.materialize import materialize_flow
from flows.sweep import sweep_flow
from phancong.adapters.db import transaction
from phancong.adapters.orm import (
    DutyRow,
    ObligationRow,
    OutboxRow,
    SubmissionRow,
    UnitRow,
)
from phancong.bootstrap import wired
from phancong.services import handlers, submissions
from phancong.services import ledger as ledger_service

pytestmark = pytest.mark.flows


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


def test_materialize_keeps_the_ledger_a_quarter_ahead_and_is_idempotent(
        empty_ledger: Ledger) -> None:
    first = asyncio.run(materialize_flow(plan=str(empty_ledger.plan_file),
                                         as_of=at("2026-02-10")))
    assert first.through == dt.date(2026, 6, 30)
    assert first.obligations_created > 0
    with wired().sessions() as session:
        periods = set(session.scalars(select(ObligationRow.period_label).distinct()))
    assert periods == {"2026-Q1", "2026-H1", "2026"}  # Q3 starts after 30/6
    # by id, the flow finds the plan file the ledger recorded
    again = asyncio.run(materialize_flow(plan="mini", as_of=at("2026-02-11")))
    assert again.obligations_created == 0
    assert not again.new_version
    later = asyncio.run(materialize_flow(plan="mini", as_of=at("2026-05-02")))
    assert later.through == dt.date(2026, 9, 30)
    assert later.obligations_created > 0  # Q3 2026


def test_consolidate_compiles_writes_and_records_the_standing_office_report(
        ledger: Ledger) -> None:
    report_sgd = obligation("report", "sgd")
    with transaction(wired().sessions) as session:
        submissions.submit(session, report_sgd, actor="sgd@example.test", at=at("2026-03-13"),
                              indicator_values={"cases": 3, "trainings": 2})
        handlers.record(session, [ledger_service.accept(session, report_sgd, actor="pc02@example.test",
                              at=at("2026-03-14"))])

    written = asyncio.run(consolidate_flow(plan="mini", as_of=at("2026-03-17", 9)))
    assert len(written) == 1
    files = written[0]
    assert files.url == "http://portal.test/reports/mini/2026-Q1.html"
    html = Path(files.html).read_text(encoding="utf-8")
    assert Path(files.html) == ledger.data_dir / "reports" / "mini" / "2026-Q1.html"
    assert "Quý I/2026" in html
    assert "Đã báo cáo 1/2 đơn vị" in html
    assert "Công an &lt;b&gt;Thành phố&lt;/b&gt; | CA &amp; Co" in html  # autoescaped
    assert "<b>Thành phố</b>" not in html
    assert "Số vụ việc | phát hiện" in html
    docx_text = "\n".join(
        cell.text for table in Document(files.docx).tables for row in table.rows
        for cell in row.cells)
    assert "Sở Giáo dục và Đào tạo" in docx_text
    assert "Công an <b>Thành phố</b> | CA & Co" in docx_text

    consolidated = obligation("consolidated", "pc02")
    with wired().sessions() as session:
        row = session.get(ObligationRow, consolidated)
        assert row is not None
        assert row.state == "submitted"
        submission = session.scalars(select(SubmissionRow).where(
            SubmissionRow.obligation_id == consolidated)).one()
        assert submission.evidence_url == files.url
        assert submission.submitted_by == "system:consolidate"
        assert "1/2" in submission.note
        # kept in the ledger for portal processes on other machines
        from phancong.services.report_files import stored_report

        assert stored_report(session, "mini", "2026-Q1", "html") == html.encode("utf-8")
        assert stored_report(session, "mini", "2026-Q1", "docx") == Path(files.docx).read_bytes()

    # a second run rewrites the files and records nothing more
    again = asyncio.run(consolidate_flow(plan="mini", as_of=at("2026-03-18"),
                                         period="2026-Q1"))
    assert again[0].html == files.html
    with wired().sessions() as session:
        assert session.scalar(select(func.count()).select_from(SubmissionRow).where(
            SubmissionRow.obligation_id == consolidated)) == 1

    from prefect.artifacts import Artifact

    artifact = Artifact.get("mini-report-2026-q1")
    assert artifact is not None
    assert "1/2" in str(artifact.data)


def test_consolidate_before_any_deadline_does_nothing(ledger: Ledger) -> None:
    assert asyncio.run(consolidate_flow(plan="mini", as_of=at("2026-02-01"))) == []


@pytest.mark.skipif(importlib.util.find_spec("phancong.mail.deliver") is None,
                    reason="phancong.mail.deliver is not written yet")
def test_deliver_sends_what_the_sweep_queued(ledger: Ledger, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.deliver import deliver_flow
    from phancong.settings import get_settings

    mail_dir = tmp_path / "mail"
    monkeypatch.setenv("PHANCONG_MAIL_DIR", str(mail_dir))
    get_settings.cache_clear()
    asyncio.run(sweep_flow(plan="mini", as_of=at("2026-03-17")))
    asyncio.run(deliver_flow(as_of=at("2026-03-17", 9)))
    # ca and sgd urged as blockers, vks overdue, pc02 reminded of its consolidated report
    assert len(list(mail_dir.glob("*.eml"))) == 4
    with wired().sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxRow).where(
            OutboxRow.status == "queued")) == 0


def test_digest_queues_the_weekly_summary_for_the_standing_office(ledger: Ledger) -> None:
    from flows.digest import digest_flow

    asyncio.run(digest_flow(plan="mini", as_of=at("2026-03-23", 7)))
    with wired().sessions() as session:
        kinds = session.execute(select(OutboxRow.recipient_unit, OutboxRow.kind)).all()
    assert ("pc02", "digest") in [tuple(k) for k in kinds]
