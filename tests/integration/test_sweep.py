"""The sweep decides each ladder step once, batches one email per recipient, urges upstream."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from phancong.adapters.db import transaction
from phancong.adapters.orm import (
    DutyRow,
    EscalationRow,
    ObligationRow,
    OutboxItemRow,
    OutboxRow,
    UnitRow,
)
from phancong.services import reads, submissions
from phancong.services.reads.late import late_list
from phancong.services.sweep import SweepReport, sweep
from tests.helpers import MINI, at, plain_renderer
from tests.integration.ledger_fixtures import Ledger
from tests.integration.step_lines import steps_without_line

pytestmark = pytest.mark.integration


def run(ledger: Ledger, when: str) -> SweepReport:
    with transaction(ledger.factory) as s:
        return sweep(
            s, "mini", at(when), renderer=plain_renderer, portal_url="https://cong.example"
        )


def steps_by_unit(ledger: Ledger) -> Counter[tuple[str, str, str, str]]:
    with ledger.factory() as s:
        rows = s.execute(
            select(DutyRow.code, UnitRow.code, ObligationRow.period_label, EscalationRow.level)
            .join(ObligationRow, ObligationRow.id == EscalationRow.obligation_id)
            .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
            .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        ).all()
    return Counter(tuple(r) for r in rows)  # type: ignore[misc]


def outbox(ledger: Ledger) -> list[tuple[str, str, list[str]]]:
    with ledger.factory() as s:
        return [
            (r.recipient_unit or "", r.kind, r.body_text.splitlines())
            for r in s.scalars(select(OutboxRow).order_by(OutboxRow.id))
        ]


def test_a_quarter_of_sweeps(ledger: Ledger) -> None:
    """mini.yaml, Q1 2026: deadline 15/3 (Sunday) → 16/3; ladder 3/1/5/15 working days."""
    ledger.materialize(MINI)
    # 10/3: the supporting unit's own deadline (9/3) has passed → its overdue notice; nothing else
    first = run(ledger, "2026-03-10")
    assert first.steps == {
        "reminder": 1,
        "overdue": 1,
        "standing_office": 0,
        "steering_committee": 0,
    }
    assert [(u, k) for u, k, _ in outbox(ledger)] == [("ca", "overdue")]
    # the same day again: nothing new, no mail
    again = run(ledger, "2026-03-10")
    assert again.total_steps == 0 and again.emails == 0
    # 11/3: reminders for the owners (3 working days before 16/3)
    reminders = run(ledger, "2026-03-11")
    assert reminders.steps["reminder"] == 5 and reminders.emails == 4
    kinds = {(u, k) for u, k, _ in outbox(ledger)[1:]}
    assert kinds == {
        ("sgd", "reminder"),
        ("vks", "reminder"),
        ("ca", "reminder"),
        ("pc02", "reminder"),
    }
    sgd_mail = next(lines for u, k, lines in outbox(ledger)[1:] if u == "sgd")
    assert sorted(sgd_mail) == [
        "reminder sgd d1 2026-Q1",
        "reminder sgd report 2026-Q1",
    ]  # one mail, two items
    # 17/3: overdue notices; the consolidated report waits on 'report' by ca and sgd → they are urged
    overdue = run(ledger, "2026-03-17")
    assert overdue.steps["overdue"] == 5  # sgd ×2, ca, vks, and pc02 (blocked)
    mails = {(u, k): lines for u, k, lines in outbox(ledger)[5:]}
    assert set(mails) == {("ca", "blocker"), ("sgd", "blocker"), ("vks", "overdue")}
    assert "blocker ca consolidated 2026-Q1" not in mails[("ca", "blocker")]
    assert any(line.startswith("blocker pc02 consolidated") for line in mails[("sgd", "blocker")])
    assert ("pc02", "overdue") not in mails  # the one who waits is not the one urged
    # 23/3: Standing Office (5 working days after); requested bodies included
    so = run(ledger, "2026-03-23")
    assert so.steps["standing_office"] == 5 and so.emails == 2
    mails = {(u, k): lines for u, k, lines in outbox(ledger)[-2:]}
    assert set(mails) == {("pc02", "standing_office"), ("bcd", "steering_committee")}
    assert any(line.startswith("standing_office vks d1") for line in mails[("pc02", "standing_office")])
    # the consolidated report is the Standing Office's own: its step goes one level up
    assert mails[("bcd", "steering_committee")] == ["standing_office pc02 consolidated 2026-Q1"]
    assert not any(" pc02 " in line for line in mails[("pc02", "standing_office")])
    # 7/4: Steering Committee (15 working days after) — but not for the requested body (vks)
    sc = run(ledger, "2026-04-07")
    assert sc.steps["steering_committee"] == 4
    (unit, kind, lines) = outbox(ledger)[-1]
    assert (unit, kind) == ("bcd", "steering_committee")
    assert not any(" vks " in line for line in lines)
    steps = steps_by_unit(ledger)
    assert all(count == 1 for count in steps.values())  # each step once
    assert ("d1", "vks", "2026-Q1", "steering_committee") not in steps
    assert ("d1", "ca", "2026-Q1", "standing_office") not in steps  # supporting: notices only


def test_a_missed_week_is_caught_up_in_order(ledger: Ledger) -> None:
    ledger.materialize(MINI)
    caught = run(ledger, "2026-03-24")  # the scheduler was down from 1/3 to 24/3
    assert caught.steps == {
        "reminder": 6,
        "overdue": 6,
        "standing_office": 5,
        "steering_committee": 0,
    }
    with ledger.factory() as s:
        per_obligation: dict[int, list[int]] = {}
        for oid, rank, _step_id in s.execute(
            select(EscalationRow.obligation_id, EscalationRow.rank, EscalationRow.id).order_by(
                EscalationRow.id
            )
        ):
            per_obligation.setdefault(oid, []).append(rank)
        assert all(ranks == sorted(ranks) for ranks in per_obligation.values())
    # one mail per recipient, at its highest level
    mails = outbox(ledger)
    assert Counter(u for u, _, _ in mails) == Counter({u: 1 for u, _, _ in mails})
    assert run(ledger, "2026-03-24").total_steps == 0


def test_submitted_obligations_are_not_chased(ledger: Ledger) -> None:

    ledger.materialize(MINI)
    with transaction(ledger.factory) as s:
        for view in reads.find(s, "mini", at("2026-03-01"), period="2026-Q1"):
            if view.unit_code == "sgd":
                submissions.submit(s, view.id, actor="sgd", at=at("2026-03-05"), note="xong")
    run(ledger, "2026-03-24")
    assert not any(unit == "sgd" for (_, unit, _, _) in steps_by_unit(ledger))


def test_outbox_rows_cite_their_obligations(ledger: Ledger) -> None:
    ledger.materialize(MINI)
    run(ledger, "2026-03-24")
    with ledger.factory() as s:
        cited = s.scalar(select(func.count()).select_from(OutboxItemRow))
        assert cited and cited >= 6
        ids = [r.message_id for r in s.scalars(select(OutboxRow))]
        assert len(ids) == len(set(ids)) and all(i.startswith("<") and i.endswith(">") for i in ids)
        table = late_list(s, "mini", at("2026-03-24"))
    blocked = next(row for row in table if row["citation"] == "V.3")
    assert blocked["blocked_by"] == "Công an Thành phố, Sở Giáo dục và Đào tạo"
    assert {row["escalation_level"] for row in table} == {"standing_office"}


def test_steps_taken_together_each_reach_their_recipient(ledger: Ledger) -> None:
    """A first sweep late in the quarter takes reminder, overdue and Standing Office steps of
    one obligation at once: the owner hears it is overdue *and* the Standing Office is told."""
    ledger.materialize(MINI)
    caught = run(ledger, "2026-03-24")
    assert caught.steps["standing_office"] == 5
    with ledger.factory() as s:
        assert steps_without_line(s, "mini") == []
    mails = {(u, k): lines for u, k, lines in outbox(ledger)}
    # vks (requested) reaches the Standing Office level in this sweep: it is told too
    assert mails[("vks", "overdue")] == ["overdue vks d1 2026-Q1"]
    assert "standing_office vks d1 2026-Q1" in mails[("pc02", "standing_office")]


def test_first_sweep_letters_say_nobody_was_reminded_before(ledger: Ledger) -> None:
    from phancong.mail.render import render_notice

    ledger.materialize(MINI)
    with transaction(ledger.factory) as s:
        sweep(s, "mini", at("2026-03-24"), renderer=render_notice, portal_url="https://c.example")
    with ledger.factory() as s:
        texts = {r.recipient_unit: r.body_text for r in s.scalars(select(OutboxRow))}
    assert "phát hiện ở lần rà soát đầu tiên" in " ".join(texts["vks"].split())
    office = " ".join(texts["pc02"].split())
    assert "đã được nhắc, thông báo" not in office
    assert "được phát hiện quá hạn lần đầu ở lần rà soát này" in office
    # a later sweep's escalation of an obligation notified before does not say so
    with transaction(ledger.factory) as s:
        sweep(s, "mini", at("2026-04-07"), renderer=render_notice, portal_url="https://c.example")
    with ledger.factory() as s:
        board = s.scalars(
            select(OutboxRow).where(OutboxRow.kind == "steering_committee").order_by(OutboxRow.id)
        ).all()[-1]
    assert "đã được nhắc, thông báo và đôn đốc" in " ".join(board.body_text.split())


def test_a_report_awaiting_review_is_not_a_blocker(ledger: Ledger) -> None:
    """ca has submitted the report the consolidated report waits on: the reviewer holds it up,
    so the Standing Office is asked to review, and ca is not urged."""

    ledger.materialize(MINI)
    with transaction(ledger.factory) as s:
        for view in reads.find(s, "mini", at("2026-03-01"), period="2026-Q1"):
            if view.unit_code == "ca" and view.duty_code == "report":
                submissions.submit(s, view.id, actor="ca", at=at("2026-03-12"), note="xong")
    run(ledger, "2026-03-17")
    with ledger.factory() as s:
        items = s.execute(
            select(OutboxRow.recipient_unit, OutboxItemRow.level, OutboxItemRow.upstream_id)
            .join(OutboxRow, OutboxRow.id == OutboxItemRow.outbox_id)
        ).all()
        assert steps_without_line(s, "mini") == []
        ca_report = s.scalar(
            select(ObligationRow.id)
            .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
            .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
            .where(DutyRow.code == "report", UnitRow.code == "ca", ObligationRow.period_label == "2026-Q1")
        )
    assert not any(unit == "ca" and level == "blocker" for unit, level, _ in items)
    assert ("pc02", "review", ca_report) in items
    assert any(unit == "sgd" and level == "blocker" for unit, level, _ in items)  # still open


def test_letters_name_the_levels_as_the_plan_does(ledger: Ledger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A directive without a steering committee escalates to the provincial People's
    Committee: no letter speaks of a 'Ban Chỉ đạo' it does not have."""
    from phancong.mail.render import render_notice

    text = MINI.read_text(encoding="utf-8").replace(
        "  standing_office: pc02\n",
        "  standing_office: pc02\n  level_names:\n    standing_office: Sở Lao động – Thương binh"
        " và Xã hội\n    steering_committee: UBND tỉnh\n",
    ).replace("{id: bcd, name: Ban Chỉ đạo Thành phố", "{id: bcd, name: Ủy ban nhân dân tỉnh")
    assert "level_names" in text
    plan = tmp_path / "directive.yaml"
    plan.write_text(text, encoding="utf-8")
    ledger.materialize(plan)
    for day in ("2026-03-24", "2026-04-07"):
        with transaction(ledger.factory) as s:
            sweep(s, "mini", at(day), renderer=render_notice, portal_url="https://c.example")
    with ledger.factory() as s:
        mails = {(r.kind, r.recipient_unit): r for r in s.scalars(select(OutboxRow))}
    board = mails[("steering_committee", "bcd")]
    office = mails[("standing_office", "pc02")]
    for mail in (board, office):
        assert "Ban Chỉ đạo" not in mail.subject + mail.body_text + mail.body_html
    assert "kính đề nghị UBND tỉnh xem xét" in " ".join(board.body_text.split())
    assert office.subject.split("] ", 1)[1].startswith("Báo cáo Sở Lao động – Thương binh và Xã hội")
