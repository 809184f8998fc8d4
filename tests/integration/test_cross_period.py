"""Dependencies across periods: a ministry's one-off consolidation waits on every province's
one-off report, is shown blocked until the last has reported, and the provinces are urged."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from phancong.adapters.db import transaction
from phancong.adapters.orm import OutboxItemRow, OutboxRow
from phancong.domain.status import Status
from phancong.services import handlers, reads, submissions
from phancong.services import ledger as svc
from phancong.services.sweep import sweep
from tests.helpers import ROOT, at, plain_renderer
from tests.integration.ledger_fixtures import Ledger
from tests.integration.step_lines import steps_without_line

pytestmark = pytest.mark.integration

PLAN = ROOT / "tests" / "data" / "shapes" / "ministry-once.yaml"


def _views(ledger: Ledger, when: str) -> dict[tuple[str, str], reads.ObligationView]:
    with ledger.factory() as s:
        return {(v.duty_code, v.unit_code): v for v in reads.find(s, "ministry-once", at(when))}


def test_a_one_off_consolidation_waits_on_every_province(ledger: Ledger) -> None:
    report = ledger.materialize(PLAN)
    assert report.dependencies_added == 3  # one per province: 'within' links across periods
    views = _views(ledger, "2026-08-03")
    consolidated = views[("ministry-report", "c02")]
    assert consolidated.status == Status.BLOCKED.value

    with transaction(ledger.factory) as s:
        sweep(s, "ministry-once", at("2026-08-03"), renderer=plain_renderer)
    with ledger.factory() as s:
        urged = {
            unit for unit, level in s.execute(
                select(OutboxRow.recipient_unit, OutboxItemRow.level)
                .join(OutboxRow, OutboxRow.id == OutboxItemRow.outbox_id)
                .where(OutboxItemRow.obligation_id == consolidated.id)
            )
            if level == "blocker"
        }
        assert steps_without_line(s, "ministry-once") == []
    assert urged == {"ca-hn", "ca-hp", "ca-dn"}  # the provinces, not the ministry's office

    # two provinces report: still blocked by the third; the third reports: no longer blocked
    for unit in ("ca-hn", "ca-hp", "ca-dn"):
        with transaction(ledger.factory) as s:
            oid = views[("province-report", unit)].id
            submissions.submit(s, oid, actor=unit, at=at("2026-08-04"), note="Đã báo cáo")
            handlers.record(s, [svc.accept(s, oid, actor="c02", at=at("2026-08-04T15:00"))])
        status = _views(ledger, "2026-08-05")[("ministry-report", "c02")].status
        expected = Status.OVERDUE if unit == "ca-dn" else Status.BLOCKED
        assert status == expected.value, unit


def test_a_dependency_that_links_nothing_is_refused(tmp_path: Path) -> None:
    from phancong.adapters.loader import PlanError, load

    text = PLAN.read_text(encoding="utf-8").replace("    depends_on_period: within\n", "")
    path = tmp_path / "same-period.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError) as caught:
        load(path)
    (problem,) = caught.value.problems
    assert "không nối được kỳ nào" in str(problem) and "within" in str(problem)
    assert problem.line == text[: text.index("depends_on: [province-report]")].count("\n") + 1
