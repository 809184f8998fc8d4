"""The obligation ledger on SQLite and PostgreSQL: materialise, change plans, statuses, audit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DatabaseError

from phancong.adapters.db import downgrade, transaction, upgrade
from phancong.adapters.orm import (
    AuditRow,
    DependencyRow,
    DutyRow,
    ObligationRow,
    PlanVersionRow,
    SubmissionRow,
    UnitRow,
)
from phancong.domain.status import Facts, State, Status, status_of
from phancong.services import handlers, reads, status_sql, submissions
from phancong.services import ledger as svc
from phancong.services.errors import Refused
from tests.helpers import HANOI, MINI, at
from tests.integration.ledger_fixtures import Ledger

pytestmark = pytest.mark.integration
TABLES = (UnitRow, DutyRow, ObligationRow, DependencyRow, SubmissionRow, PlanVersionRow)


def counts(ledger: Ledger) -> dict[str, int]:
    with ledger.factory() as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}


def find_one(ledger: Ledger, duty: str, unit: str, period: str) -> int:
    with ledger.factory() as s:
        oid = s.scalar(
            select(ObligationRow.id)
            .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
            .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
            .where(DutyRow.code == duty, UnitRow.code == unit, ObligationRow.period_label == period)
        )
    assert oid is not None
    return oid


def test_materialise_hanoi_twice_is_idempotent(ledger: Ledger) -> None:
    first = ledger.materialize(HANOI)
    after_first = counts(ledger)
    second = ledger.materialize(HANOI)
    assert counts(ledger) == after_first
    assert not second.changed_anything
    assert after_first["units"] == 146  # 20 agencies (with the recipient BCĐ Bộ Công an) + 126 communes and wards
    with ledger.factory() as s:
        communes = s.scalar(
            select(func.count(func.distinct(ObligationRow.unit_id)))
            .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
            .where(UnitRow.kind == "commune")
        )
        assert communes == 126
        # the consolidated report of Q1 waits on every unit's Q1 report
        consolidated = find_one(ledger, "v-3-tong-hop", "catp-pc02", "2026-Q1")
        waits = s.scalar(
            select(func.count())
            .select_from(DependencyRow)
            .where(DependencyRow.obligation_id == consolidated)
        )
        reporters = s.scalar(
            select(func.count())
            .select_from(ObligationRow)
            .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
            .where(
                DutyRow.code == "v-1-bao-cao",
                ObligationRow.period_label == "2026-Q1",
                ObligationRow.role != "support",
            )
        )
        assert waits == reporters == 137

    assert first.obligations_created == after_first["obligations"]


def test_hanoi_consolidation_is_due_after_the_reports_and_addressed_to_its_recipients(
    ledger: Ledger,
) -> None:
    """Issue 15: the consolidated report has its own deadline after the units' reports, and the
    compiled report names the bodies V.1/V.3 address it to."""
    from phancong.services.consolidate import compile_report
    from phancong.services.report_files import render_html

    ledger.materialize(HANOI)
    consolidated = find_one(ledger, "v-3-tong-hop", "catp-pc02", "2026-Q1")
    report = find_one(ledger, "v-1-bao-cao", "so-y-te", "2026-Q1")
    with ledger.factory() as s:
        assert s.get(ObligationRow, report).original_deadline == dt.date(2026, 3, 13)
        assert s.get(ObligationRow, consolidated).original_deadline == dt.date(2026, 3, 20)
        compiled = compile_report(s, "hanoi-2026-2030", "2026-Q1", at("2026-03-16T09:00"))
    assert compiled.consolidating is not None and compiled.consolidating.code == "v-3-tong-hop"
    assert compiled.recipients == ["Ban Chỉ đạo Thành phố", "Ủy ban nhân dân Thành phố Hà Nội",
                                   "Ban Chỉ đạo Bộ Công an"]
    assert "Kính gửi: Ban Chỉ đạo Thành phố; Ủy ban nhân dân Thành phố Hà Nội; Ban Chỉ đạo Bộ" \
        " Công an." in render_html(compiled)


def _edit(tmp_path: Path) -> Path:
    """Add a duty, change one (title and cadence) and remove one."""
    text_ = MINI.read_text(encoding="utf-8")
    text_ = text_.replace(
        "title: Tuyên truyền trong trường học", "title: Tuyên truyền trong trường học (sửa)"
    )
    text_ = text_.replace(
        "  - id: report\n",
        "  - id: new-duty\n    title: Nhiệm vụ mới\n    text: Nhiệm vụ bổ sung.\n"
        "    source: IV.9\n    lead: [sgd]\n    cadence: {kind: yearly}\n  - id: report\n",
    )
    start = text_.index("  - id: d1\n")
    end = text_.index("  - id: new-duty\n")
    removed = text_[start:end]
    text_ = text_.replace(removed, "")
    path = tmp_path / "mini-v2.yaml"
    path.write_text(text_, encoding="utf-8")
    return path


def test_plan_change_keeps_submissions_and_explains_itself(ledger: Ledger, tmp_path: Path) -> None:
    ledger.materialize(MINI)
    d1_q1 = find_one(ledger, "d1", "sgd", "2026-Q1")
    d1_h1 = find_one(ledger, "d1", "sgd", "2026-H1")
    d1_q3 = find_one(ledger, "d1", "sgd", "2026-Q3")
    with transaction(ledger.factory) as s:
        submissions.submit(
            s, d1_q1, actor="sgd@example.test", at=at("2026-03-10"), note="Đã tổ chức 12 buổi"
        )
        handlers.record(s, [svc.accept(s, d1_q1, actor="pc02@example.test", at=at("2026-03-11"))])
        submissions.submit(s, d1_h1, actor="sgd@example.test", at=at("2026-06-01"), note="Đang chờ duyệt")
    report = ledger.materialize(_edit(tmp_path), now="2026-06-02")
    assert report.new_version and report.version == 2
    assert report.duties_added == ["new-duty"] and report.duties_removed == ["d1"]
    with ledger.factory() as s:
        states = {oid: s.get(ObligationRow, oid).state for oid in (d1_q1, d1_h1, d1_q3)}  # type: ignore[union-attr]
        assert states == {d1_q1: "accepted", d1_h1: "submitted", d1_q3: "cancelled"}
        assert s.scalar(select(func.count()).select_from(SubmissionRow)) == 2
        accepted = s.get(ObligationRow, d1_q1)
        assert accepted is not None and accepted.on_time is True
        actions = [r.action for r in s.scalars(select(AuditRow).order_by(AuditRow.id))]
        assert "duty.removed" in actions and "duty.added" in actions and "plan.version" in actions
        cancelled = s.scalars(
            select(AuditRow).where(
                AuditRow.action == "obligation.cancelled", AuditRow.entity_id == str(d1_q3)
            )
        ).one()
        assert "d1" in (cancelled.reason or "") and cancelled.before == {"state": "open"}
        new = s.scalar(
            select(func.count())
            .select_from(ObligationRow)
            .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
            .where(DutyRow.code == "new-duty")
        )
        assert new == 1
    # the changed title of 'd1' is gone with the duty; re-adding the plan restores it as a change
    report3 = ledger.materialize(MINI, now="2026-06-03")
    assert report3.version == 3 and "d1" in report3.duties_changed


def test_status_before_on_and_after_the_deadline(ledger: Ledger) -> None:
    ledger.materialize(MINI)
    oid = find_one(ledger, "report", "sgd", "2026-Q1")  # deadline 15/3 (Sunday) → 16/3
    with ledger.factory() as s:

        def status(when: str) -> str:
            return reads.get(s, oid, at(when)).status

        assert status("2026-03-16T23:59") == Status.IN_PROGRESS
        assert status("2026-03-17T00:01") == Status.OVERDUE
    with transaction(ledger.factory) as s:
        handlers.record(s, [svc.extend(
            s,
            oid,
            actor="pc02",
            at=at("2026-03-17T09:00"),
            new_deadline=dt.date(2026, 3, 31),
            reason="Chờ số liệu của Tòa án",
        )])
    with ledger.factory() as s:
        assert reads.get(s, oid, at("2026-03-20")).status == Status.IN_PROGRESS
        view = reads.get(s, oid, at("2026-03-20"))
        assert view.deadline == dt.date(2026, 3, 31) and view.original_deadline == dt.date(
            2026, 3, 16
        )
    with transaction(ledger.factory) as s:
        submissions.submit(s, oid, actor="sgd", at=at("2026-03-25"), note="Báo cáo quý I")
        handlers.record(s, [svc.return_(s, oid, actor="pc02", at=at("2026-03-26"), reason="Thiếu số liệu")])
    with ledger.factory() as s:
        assert reads.get(s, oid, at("2026-03-27")).status == Status.RETURNED
    with transaction(ledger.factory) as s:
        submissions.submit(s, oid, actor="sgd", at=at("2026-03-28"), note="Bổ sung")
        handlers.record(s, [svc.accept(s, oid, actor="pc02", at=at("2026-03-29"))])
    with ledger.factory() as s:
        # within the extension but after the original deadline: completed late in the statistics
        assert reads.get(s, oid, at("2026-04-01")).status == Status.COMPLETED_LATE
        assert reads.get(s, oid, at("2026-03-28T12:00")).status == Status.SUBMITTED
        history = reads.history(s, oid, at("2026-04-01"))
        assert [a.action for a in history.audit] == [
            "obligation.extended",
            "obligation.submitted",
            "obligation.returned",
            "obligation.submitted",
            "obligation.accepted",
        ]
        assert [sub.review for sub in history.submissions] == ["returned", "accepted"]
        assert history.submissions[0].review_reason == "Thiếu số liệu"


def test_on_time_submission_and_waiver(ledger: Ledger) -> None:
    ledger.materialize(MINI)
    timely = find_one(ledger, "report", "ca", "2026-Q1")
    waived = find_one(ledger, "d1", "vks", "2026-Q1")
    with transaction(ledger.factory) as s:
        submissions.submit(s, timely, actor="ca", at=at("2026-03-16T17:00"), note="đúng hạn")
        handlers.record(s, [svc.accept(s, timely, actor="pc02", at=at("2026-03-20"))])
        handlers.record(s, [svc.waive(s, waived, actor="pc02", at=at("2026-03-20"), reason="Không phát sinh")])
    with ledger.factory() as s:
        assert reads.get(s, timely, at("2026-03-21")).status == Status.COMPLETED_ON_TIME
        assert reads.get(s, waived, at("2026-03-21")).status == Status.WAIVED
        units = {u.unit_code: u for u in reads.rollup_by_unit(s, "mini", at("2026-03-21"))}
        assert units["ca"].on_time == 1 and units["ca"].rate == 1.0
        assert units["sgd"].overdue == 2 and units["sgd"].rate == 0.0


def test_a_submission_answers_the_view_a_read_back_gives(ledger: Ledger) -> None:
    """submit_and_view builds each recorded obligation's view from the rows it locked; it must
    be exactly what get_many reads back: on time, late, returned before, and a refusal."""
    ledger.materialize(MINI)
    on_time = find_one(ledger, "report", "ca", "2026-Q1")
    late = find_one(ledger, "d1", "sgd", "2026-Q1")
    again = find_one(ledger, "report", "sgd", "2026-Q1")
    later = find_one(ledger, "report", "ca", "2026-Q3")  # period not begun: refused
    with transaction(ledger.factory) as s:
        submissions.submit(s, again, actor="sgd", at=at("2026-03-10"), note="lần đầu")
        handlers.record(s, [svc.return_(s, again, actor="pc02", at=at("2026-03-11"), reason="Thiếu số liệu")])
    items = [
        submissions.SubmitItem(on_time, "ca", "đúng hạn"),
        submissions.SubmitItem(late, "sgd", "trễ", evidence_url="https://example.test/a"),
        submissions.SubmitItem(again, "sgd", "lần hai"),
        submissions.SubmitItem(later, "ca"),
    ]
    when = at("2026-03-18T06:30")  # 23:30 UTC the day before: days count in local time
    with transaction(ledger.factory) as s:
        outcomes = submissions.submit_and_view(s, items, at=when)
        assert isinstance(outcomes[3], Refused)
        answered = outcomes[:3]
        read_back = reads.get_many(s, [on_time, late, again], when)
    assert answered == [read_back[on_time], read_back[late], read_back[again]]
    views = [v for v in answered if isinstance(v, reads.ObligationView)]
    assert len(views) == 3 and {v.status for v in views} == {Status.SUBMITTED}
    assert min(v.days_left for v in views) < 0  # the late ones count their days late
    with ledger.factory() as s:  # and as committed
        assert reads.get_many(s, [on_time, late, again], when) == read_back


def test_sql_status_matches_the_domain_rules(ledger: Ledger) -> None:
    """The SQL status expression, the pure rules and the single-obligation view agree on every
    obligation at many instants."""
    ledger.materialize(MINI)
    with transaction(ledger.factory) as s:
        ids = [
            o.id for o in reads.find(s, "mini", at("2026-03-01"), period="2026-Q1", open_first=False)
        ]
        submissions.submit(s, ids[0], actor="x", at=at("2026-03-05"), note="x")
        handlers.record(s, [svc.accept(s, ids[0], actor="y", at=at("2026-03-06"))])
        submissions.submit(s, ids[1], actor="x", at=at("2026-03-20"), note="x")
        submissions.submit(s, ids[2], actor="x", at=at("2026-03-01"), note="x")
        handlers.record(s, [svc.return_(s, ids[2], actor="y", at=at("2026-03-02"), reason="thiếu")])
    instants = [
        "2025-12-31",
        "2026-03-05T12:00",
        "2026-03-16T23:59",
        "2026-03-17",
        "2026-03-21",
        "2026-09-30",
    ]
    with ledger.factory() as s:
        blocked = {r[0] for r in s.execute(select(DependencyRow.obligation_id)).all()}
        for when in instants:
            views = {v.id: v for v in reads.find(s, "mini", at(when), open_first=False)}
            for ob in s.scalars(select(ObligationRow)):
                open_upstream = (
                    bool(reads.blockers(s, [ob.id]).get(ob.id)) if ob.id in blocked else False
                )
                expected = status_of(
                    Facts(
                        State(ob.state),
                        ob.period_start,
                        ob.effective_deadline,
                        ob.on_time,
                        open_upstream,
                        ob.submitted_at,
                        ob.accepted_at,
                    ),
                    at(when),
                    "Asia/Ho_Chi_Minh",
                )
                assert views[ob.id].status == expected, (ob.id, when)
                # one obligation's view derives its status in Python: the same view as the list's
                assert reads.get(s, ob.id, at(when)) == views[ob.id], (ob.id, when)


def test_blocked_among_a_set_agrees_with_the_blocked_expression(ledger: Ledger) -> None:
    """The sweep flags blocked steps with blocked_among (a set-based form); it must pick out
    exactly the obligations blocked_expr calls blocked, before and after upstream work closes."""
    ledger.materialize(MINI)
    with ledger.factory() as s:
        waiting = {r[0] for r in s.execute(select(DependencyRow.obligation_id)).all()}
        upstream = sorted({r[0] for r in s.execute(select(DependencyRow.upstream_id)).all()})
    assert waiting and upstream

    def compare() -> set[int]:
        with ledger.factory() as s:
            every = select(ObligationRow.id).where(ObligationRow.plan_id == "mini")
            expected = set(s.scalars(every.where(status_sql.blocked_expr())))
            assert set(s.scalars(status_sql.blocked_among(every))) == expected
            some = every.where(ObligationRow.id.in_(sorted(waiting)[::2]))  # a subset only
            assert set(s.scalars(status_sql.blocked_among(some))) == expected & set(s.scalars(some))
            return expected

    before = compare()
    assert before  # open upstream work blocks something
    with transaction(ledger.factory) as s:  # close half of the upstream obligations
        for oid in upstream[::2]:
            handlers.record(s, [svc.waive(s, oid, actor="pc02", at=at("2026-03-20"), reason="Không phát sinh")])
    after = compare()
    assert after < before


def test_actions_refuse_what_does_not_apply(ledger: Ledger) -> None:
    ledger.materialize(MINI)
    oid = find_one(ledger, "report", "ca", "2026-Q3")
    with transaction(ledger.factory) as s, pytest.raises(Refused, match="chưa bắt đầu"):
        submissions.submit(s, oid, actor="ca", at=at("2026-03-01"))
    with transaction(ledger.factory) as s, pytest.raises(Refused, match="Không thể chấp nhận"):
        handlers.record(s, [svc.accept(s, oid, actor="pc02", at=at("2026-07-02"))])
    with transaction(ledger.factory) as s, pytest.raises(Refused, match="lý do"):
        handlers.record(s, [svc.return_(s, oid, actor="pc02", at=at("2026-07-02"), reason="  ")])
    with transaction(ledger.factory) as s, pytest.raises(Refused, match="Chỉ tiêu 'ghost'"):
        submissions.submit(s, oid, actor="ca", at=at("2026-07-02"), indicator_values={"ghost": 1})
    with transaction(ledger.factory) as s, pytest.raises(Refused, match="http"):
        submissions.submit(s, oid, actor="ca", at=at("2026-07-02"), evidence_url="javascript:alert(1)")
    with transaction(ledger.factory) as s, pytest.raises(Refused, match="Hạn mới phải sau"):
        handlers.record(s, [svc.extend(
            s, oid, actor="pc02", at=at("2026-07-02"), new_deadline=dt.date(2026, 9, 1), reason="x"
        )])


def test_audit_log_is_append_only(ledger: Ledger) -> None:
    ledger.materialize(MINI)
    with ledger.engine.connect() as conn:
        for statement in (update(AuditRow).values(actor="tamper"), delete(AuditRow)):
            with pytest.raises(DatabaseError, match="append-only"):
                conn.execute(statement)
            conn.rollback()
        assert conn.scalar(select(func.count()).select_from(AuditRow)) > 0


def test_alembic_upgrade_and_downgrade(database_url: str) -> None:
    upgrade(database_url)
    downgrade(database_url, "base")
    from sqlalchemy import create_engine, inspect

    engine = create_engine(database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0008"
    engine.dispose()


def test_migrations_match_the_models(database_url: str) -> None:
    """Alembic's autogenerate finds nothing between head and the SQLAlchemy models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from phancong.adapters.orm import Base

    upgrade(database_url)
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
