"""Event-triggered obligations in the ledger, on SQLite and PostgreSQL: opened by a unit or
requested by the Standing Office, then reminded, escalated, reported and reviewed like any
other — and never touched by re-materialisation."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import func, select

from phancong.adapters.db import transaction
from phancong.adapters.orm import (
    AuditRow,
    DutyRow,
    EscalationRow,
    ObligationEventRow,
    ObligationRow,
    OutboxItemRow,
    OutboxRow,
    UnitRow,
)
from phancong.domain.access import Principal
from phancong.services import event_actions, event_duties, events, handlers, reads, submissions
from phancong.services import ledger as ledger_service
from phancong.services.errors import Forbidden, LedgerError, NotFound, Refused
from phancong.services.sweep import sweep
from tests.helpers import at, plain_renderer
from tests.integration.event_plans import mini_with_events
from tests.integration.ledger_fixtures import Ledger

pytestmark = pytest.mark.integration

SGD = Principal(1, "sgd@example.test", "Sở GD&ĐT", "agency", "mini", "sgd", "vi")
CA = Principal(2, "ca@example.test", "Công an", "agency", "mini", "ca", "vi")
PC02 = Principal(3, "pc02@example.test", "PC02", "coordinator", "mini", None, "vi")
VIEWER = Principal(4, "bcd@example.test", "BCĐ", "viewer", "mini", None, "vi")
VKS = Principal(5, "vks@example.test", "VKS", "agency", "mini", "vks", "vi")


def _open(ledger_: Ledger, who: Principal, when: str, **kwargs: object) -> events.Opened:
    options: dict[str, object] = {
        "plan_id": "mini", "duty_code": "su-viec", "description": "Một vụ việc", "event_date": None,
    }
    options.update(kwargs)
    with transaction(ledger_.factory) as s:
        return event_actions.open_event(s, who, at=at(when), **options)  # type: ignore[arg-type]


def _request(ledger_: Ledger, who: Principal, when: str, **kwargs: object) -> list[events.Opened]:
    options: dict[str, object] = {
        "plan_id": "mini", "duty_code": "su-viec", "reason": "Theo yêu cầu của Ban Chỉ đạo",
        "unit_codes": None, "deadline": None,
    }
    options.update(kwargs)
    with transaction(ledger_.factory) as s:
        return event_actions.request_reports(s, who, at=at(when), **options)  # type: ignore[arg-type]


def _row(ledger_: Ledger, obligation_id: int) -> ObligationRow:
    with ledger_.factory() as s:
        row = s.get(ObligationRow, obligation_id)
        assert row is not None
        s.expunge(row)
        return row


def _run_sweep(ledger_: Ledger, when: str) -> None:
    with transaction(ledger_.factory) as s:
        sweep(s, "mini", at(when), renderer=plain_renderer, portal_url="https://cong.example")


def test_open_sweep_escalate_report_accept(ledger: Ledger, tmp_path: Path) -> None:
    """sgd reports an event of Friday 27/2/2026 on Monday 2/3: due 2 working days later (Tue
    3/3); the sweep marks it overdue on 4/3, tells the Standing Office on 10/3, and sgd's
    report through the ordinary submit path is accepted by the Standing Office."""
    ledger.materialize(mini_with_events(tmp_path))
    with ledger.factory() as s:
        before = s.scalar(select(func.count()).select_from(ObligationRow))
    opened = _open(
        ledger, SGD, "2026-03-02T09:15", event_date=dt.date(2026, 2, 27),
        description=unicodedata.normalize("NFD", "Phát hiện  vụ việc tại trường X"),
    )
    assert opened.unit_code == "sgd" and opened.period_label == "EV-2026-02-27-1"
    assert opened.title() == "Sự việc 27/02/2026 (1)"
    assert opened.deadline == dt.date(2026, 3, 3)  # Fri 27/2 + Mon 2/3, Tue 3/3
    row = _row(ledger, opened.obligation_id)
    assert (row.role, row.state, row.period_start, row.effective_deadline) == (
        "lead", "open", dt.date(2026, 2, 27), dt.date(2026, 3, 3)
    )
    assert row.remind_on is None  # the unit opened it itself: no reminder of it
    assert row.overdue_on == dt.date(2026, 3, 4) and row.standing_office_on == dt.date(2026, 3, 10)
    with ledger.factory() as s:
        assert s.scalar(select(func.count()).select_from(ObligationRow)) == (before or 0) + 1
        info = event_duties.event_of(s, opened.obligation_id)
        assert info is not None and info.kind == "event"
        assert info.description == "Phát hiện vụ việc tại trường X"  # NFC, spaces folded
        assert unicodedata.is_normalized("NFC", info.description)
        assert info.opened_by == SGD.email and info.event_date == dt.date(2026, 2, 27)
        audit = s.scalars(
            select(AuditRow).where(
                AuditRow.entity == "obligation", AuditRow.entity_id == str(opened.obligation_id)
            )
        ).all()
        assert [(a.actor, a.action) for a in audit] == [(SGD.email, "obligation.event_opened")]
        assert audit[0].after and audit[0].after["deadline"] == "2026-03-03"
        assert audit[0].reason == info.description

    for day in ("2026-03-03", "2026-03-04", "2026-03-10"):
        _run_sweep(ledger, day)
    with ledger.factory() as s:
        steps = s.execute(
            select(EscalationRow.level, EscalationRow.sweep_key)
            .where(EscalationRow.obligation_id == opened.obligation_id)
            .order_by(EscalationRow.rank)
        ).all()
        assert [tuple(r) for r in steps] == [
            ("overdue", "mini:2026-03-04"), ("standing_office", "mini:2026-03-10")
        ]
        lines = s.execute(
            select(OutboxRow.recipient_unit, OutboxItemRow.level)
            .join(OutboxItemRow, OutboxItemRow.outbox_id == OutboxRow.id)
            .where(OutboxItemRow.obligation_id == opened.obligation_id)
            .order_by(OutboxRow.id)
        ).all()
        assert [tuple(r) for r in lines] == [("sgd", "overdue"), ("pc02", "standing_office")]
        mail = s.scalars(
            select(OutboxRow.body_text)
            .join(OutboxItemRow, OutboxItemRow.outbox_id == OutboxRow.id)
            .where(OutboxItemRow.obligation_id == opened.obligation_id, OutboxRow.recipient_unit == "pc02")
        ).one()
        assert "su-viec EV-2026-02-27-1" in mail
        view = reads.get(s, opened.obligation_id, at("2026-03-10"))
        assert view.status == "overdue"

    with transaction(ledger.factory) as s:
        submissions.submit(s, opened.obligation_id, actor=SGD.email, at=at("2026-03-11"), note="Đã báo cáo")
    with transaction(ledger.factory) as s:
        handlers.record(s, [ledger_service.accept(s, opened.obligation_id, actor=PC02.email, at=at("2026-03-12"))])
    row = _row(ledger, opened.obligation_id)
    assert row.state == "accepted" and row.on_time is False  # reported after 3/3


def test_the_real_letter_names_the_event(ledger: Ledger, tmp_path: Path) -> None:
    """The overdue letter, rendered with the real templates, names the event by its title."""
    from phancong.mail.render import render_notice

    ledger.materialize(mini_with_events(tmp_path))
    opened = _open(ledger, SGD, "2026-03-02", description="Vụ việc")
    with transaction(ledger.factory) as s:
        sweep(s, "mini", at("2026-03-05"), renderer=render_notice, portal_url="https://cong.example")
    with ledger.factory() as s:
        body = s.scalars(
            select(OutboxRow.body_text)
            .join(OutboxItemRow, OutboxItemRow.outbox_id == OutboxRow.id)
            .where(OutboxItemRow.obligation_id == opened.obligation_id)
        ).one()
    assert "Sự việc 02/03/2026 (1)" in body, body
    assert f"https://cong.example/obligations/{opened.obligation_id}" in body


def test_numbering_and_ad_hoc_requests(ledger: Ledger, tmp_path: Path) -> None:
    ledger.materialize(mini_with_events(tmp_path))
    first = _open(ledger, SGD, "2026-07-03", description="Vụ thứ nhất")
    second = _open(ledger, SGD, "2026-07-03", description="Vụ thứ hai")
    other_unit = _open(ledger, CA, "2026-07-03", description="Vụ của Công an")
    assert [first.period_label, second.period_label, other_unit.period_label] == [
        "EV-2026-07-03-1", "EV-2026-07-03-2", "EV-2026-07-03-1"
    ]
    assert first.deadline == dt.date(2026, 7, 7)  # Fri 3/7 + 2 working days
    requested_body = _open(ledger, VKS, "2026-07-03", description="Viện kiểm sát báo")
    assert _row(ledger, requested_body.obligation_id).role == "requested"

    everyone = _request(ledger, PC02, "2026-07-06")  # Monday
    assert sorted(o.unit_code for o in everyone) == ["ca", "sgd", "vks"]
    assert {o.period_label for o in everyone} == {"DX-2026-07-06-1"}  # one label: "x of 3"
    assert {o.deadline for o in everyone} == {dt.date(2026, 7, 8)}
    again = _request(
        ledger, PC02, "2026-07-06", unit_codes=["sgd"], deadline=dt.date(2026, 7, 20)
    )
    assert [(o.unit_code, o.period_label, o.deadline) for o in again] == [
        ("sgd", "DX-2026-07-06-2", dt.date(2026, 7, 20))
    ]
    row = _row(ledger, again[0].obligation_id)
    # asked for: the unit is told by the next sweep (the reminder is not before the request)
    assert row.remind_on == dt.date(2026, 7, 6)
    _run_sweep(ledger, "2026-07-06")
    with ledger.factory() as s:
        told = s.scalars(
            select(OutboxRow.recipient_unit)
            .join(OutboxItemRow, OutboxItemRow.outbox_id == OutboxRow.id)
            .where(OutboxItemRow.obligation_id == again[0].obligation_id)
        ).all()
        assert told == ["sgd"]
        rollup = [
            r for r in reads.rollup_by_duty(s, "mini", at("2026-07-06"))
            if r.period_label == "DX-2026-07-06-1"
        ]
        assert [(r.duty_code, r.total) for r in rollup] == [("su-viec", 3)]
        kinds = s.execute(
            select(ObligationEventRow.kind, func.count()).group_by(ObligationEventRow.kind)
        ).all()
        assert dict(kinds) == {"event": 4, "request": 4}  # type: ignore[arg-type]


def test_rematerialising_never_touches_event_obligations(ledger: Ledger, tmp_path: Path) -> None:
    """The daily materialise, a plan edit that changes 'within', and one that drops the duty
    altogether: the opened obligations keep their state, deadline and revision."""
    ledger.materialize(mini_with_events(tmp_path), through="2026-06-30")
    opened = _open(ledger, SGD, "2026-03-02", description="Vụ việc")
    asked = _request(ledger, PC02, "2026-03-02", unit_codes=["ca"])
    ids = [opened.obligation_id, asked[0].obligation_id]
    before = [_row(ledger, i) for i in ids]

    def unchanged() -> None:
        for old in before:
            new = _row(ledger, old.id)
            assert (new.state, new.effective_deadline, new.original_deadline, new.revision,
                    new.period_label, new.remind_on, new.overdue_on) == (
                old.state, old.effective_deadline, old.original_deadline, old.revision,
                old.period_label, old.remind_on, old.overdue_on)  # fmt: skip

    daily = ledger.materialize(mini_with_events(tmp_path), through="2026-12-31", now="2026-03-03")
    assert daily.obligations_cancelled == daily.obligations_rescheduled == 0
    unchanged()
    edited = ledger.materialize(
        mini_with_events(tmp_path, within=5), through="2026-12-31", now="2026-03-04"
    )
    assert edited.duties_changed == [] and edited.obligations_cancelled == 0
    assert edited.new_version  # the plan changed: a new version, the event rows as they were
    unchanged()
    dropped = ledger.materialize(
        mini_with_events(tmp_path, without="su-viec"), through="2026-12-31", now="2026-03-05"
    )
    assert dropped.duties_removed == ["su-viec"] and dropped.obligations_cancelled == 0
    unchanged()
    with ledger.factory() as s:
        assert not s.scalars(
            select(AuditRow.action).where(
                AuditRow.entity_id.in_([str(i) for i in ids]),
                AuditRow.action.in_(["obligation.cancelled", "obligation.rescheduled"]),
            )
        ).all()
        # the dropped duty cannot be opened any more, but its obligations stay owed
        with pytest.raises(NotFound):
            events.open_event(s, plan_id="mini", duty_code="su-viec", unit_code="sgd",
                              description="x", actor=SGD.email, at=at("2026-03-06"))


def test_access_policy_and_bad_input(ledger: Ledger, tmp_path: Path) -> None:
    ledger.materialize(mini_with_events(tmp_path))

    def refused(kind: type[LedgerError], fragment: str, call: object) -> None:
        with pytest.raises(kind) as caught:
            call()  # type: ignore[operator]
        assert fragment in caught.value.vi, caught.value.vi

    refused(Forbidden, "không có quyền", lambda: _open(ledger, VIEWER, "2026-03-02"))
    refused(Forbidden, "yêu cầu báo cáo đột xuất", lambda: _open(ledger, PC02, "2026-03-02"))
    refused(Forbidden, "Chỉ Cơ quan Thường trực", lambda: _request(ledger, SGD, "2026-03-02"))
    refused(Forbidden, "Chỉ Cơ quan Thường trực", lambda: _request(ledger, VIEWER, "2026-03-02"))
    # a duty sgd does not own, a calendar duty, an unknown one
    refused(Refused, "không chủ trì nhiệm vụ 'pc02-su-viec'",
            lambda: _open(ledger, SGD, "2026-03-02", duty_code="pc02-su-viec"))
    refused(Refused, "không phải nhiệm vụ báo cáo theo sự việc",
            lambda: _open(ledger, SGD, "2026-03-02", duty_code="d1"))
    refused(NotFound, "không có nhiệm vụ 'khong-co'",
            lambda: _open(ledger, SGD, "2026-03-02", duty_code="khong-co"))
    refused(NotFound, "Không có kế hoạch 'khac'",
            lambda: _open(ledger, SGD, "2026-03-02", plan_id="khac"))
    refused(Refused, "Cần ghi nội dung sự việc",
            lambda: _open(ledger, SGD, "2026-03-02", description=" \u202e\u0000 "))
    refused(Refused, "quá dài", lambda: _open(ledger, SGD, "2026-03-02", description="x" * 501))
    refused(Refused, "chưa tới",
            lambda: _open(ledger, SGD, "2026-03-02", event_date=dt.date(2026, 3, 3)))
    refused(Refused, "ngoài thời gian của kế hoạch",
            lambda: _open(ledger, SGD, "2026-03-02", event_date=dt.date(2025, 12, 31)))
    refused(Refused, "Không thuộc các đơn vị chủ trì nhiệm vụ 'su-viec': pc02",
            lambda: _request(ledger, PC02, "2026-03-02", unit_codes=["pc02"]))
    refused(Refused, "đã qua",
            lambda: _request(ledger, PC02, "2026-03-02", deadline=dt.date(2026, 3, 1)))
    refused(Refused, "Cần ghi lý do",
            lambda: _request(ledger, PC02, "2026-03-02", reason=""))
    with ledger.factory() as s:
        assert s.scalar(select(func.count()).select_from(ObligationEventRow)) == 0
        sgd_duties = event_duties.event_duties(s, "mini", dt.date(2026, 3, 2), "sgd")
        assert [d.code for d in sgd_duties] == ["su-viec"]
        assert sgd_duties[0].owners == ("ca", "sgd", "vks") and sgd_duties[0].within == 2
        every = event_duties.event_duties(s, "mini", dt.date(2026, 3, 2))
        assert [(d.code, d.calendar_days) for d in every] == [
            ("su-viec", False), ("pc02-su-viec", True)
        ]
        # the mini plan's calendar duties got nothing new and the event duties nothing at all
        counted = dict(
            s.execute(
                select(DutyRow.code, func.count(ObligationRow.id))
                .join(ObligationRow, ObligationRow.duty_id == DutyRow.id, isouter=True)
                .group_by(DutyRow.code)
            ).tuples().all()
        )
        assert counted["su-viec"] == counted["pc02-su-viec"] == 0
        assert s.scalar(select(func.count()).select_from(UnitRow)) == 5
