"""The ledger's tables (SQLAlchemy 2 typed models). Alembic migrations mirror this file."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite stores them naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger; use an aware instant")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class PlanRow(Base):
    __tablename__ = "plans"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    number: Mapped[str | None] = mapped_column(String(80))
    issuer: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)  # None: until revoked
    standing_office: Mapped[str] = mapped_column(String(80))
    steering_committee: Mapped[str] = mapped_column(String(80))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    materialized_through: Mapped[dt.date | None] = mapped_column(Date)


class PlanVersionRow(Base):
    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[dt.datetime] = mapped_column()
    document: Mapped[dict[str, Any]] = mapped_column()


class UnitRow(Base):
    """An agency or an expanded group member (e.g. one commune) within a plan."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    code: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(300))
    short: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    emails: Mapped[list[Any]] = mapped_column(default=list)
    parent_code: Mapped[str | None] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(5), default="vi")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DutyRow(Base):
    __tablename__ = "duties"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    code: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(80))
    cadence: Mapped[str] = mapped_column(String(20))
    indicators: Mapped[list[Any]] = mapped_column(default=list)
    evidence: Mapped[str] = mapped_column(String(12), default="optional", server_default="optional")
    depends_on: Mapped[list[Any]] = mapped_column(default=list)
    ladder: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_in_version: Mapped[int] = mapped_column(Integer)
    removed_in_version: Mapped[int | None] = mapped_column(Integer)


class ObligationRow(Base):
    """One duty × unit × period. ``state`` is what was recorded; status is derived as of a time."""

    __tablename__ = "obligations"
    __table_args__ = (
        UniqueConstraint("duty_id", "unit_id", "period_label"),
        Index("ix_obligations_sweep", "plan_id", "state", "alert_on"),
        Index("ix_obligations_unit", "unit_id", "period_label"),
        Index("ix_obligations_plan_period", "plan_id", "period_label"),
        Index("ix_obligations_open_deadline", "plan_id", "state", "effective_deadline"),
        # the matrix's status filters: obligations in a state whose period began by a day
        Index("ix_obligations_state_start", "plan_id", "state", "period_start"),
        # the national roll-up: per plan, the rows past their deadline, read from the index only
        Index("ix_obligations_rollup", "plan_id", "effective_deadline", "state", "role", "on_time"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    duty_id: Mapped[int] = mapped_column(ForeignKey("duties.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(12))
    period_label: Mapped[str] = mapped_column(String(24))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    nominal_deadline: Mapped[dt.date] = mapped_column(Date)
    original_deadline: Mapped[dt.date] = mapped_column(Date)  # after the holiday policy
    effective_deadline: Mapped[dt.date] = mapped_column(Date)  # after any extension
    # ladder dates, precomputed so a sweep is plain SQL over indexed columns
    alert_on: Mapped[dt.date] = mapped_column(Date)  # earliest ladder date: the sweep's index
    remind_on: Mapped[dt.date | None] = mapped_column(Date)
    overdue_on: Mapped[dt.date | None] = mapped_column(Date)
    standing_office_on: Mapped[dt.date | None] = mapped_column(Date)
    steering_committee_on: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default="open")
    submitted_at: Mapped[dt.datetime | None] = mapped_column()
    accepted_at: Mapped[dt.datetime | None] = mapped_column()
    on_time: Mapped[bool | None] = mapped_column(Boolean)  # of the accepted submission
    closed_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column()
    revision: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012


class ObligationEventRow(Base):
    """What opened an event-triggered obligation: an event its unit reported ("kịp thời"), or
    a report the Standing Office asked for ("đột xuất"). One row per such obligation."""

    __tablename__ = "obligation_events"
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # event | request
    event_date: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    opened_by: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[dt.datetime] = mapped_column()


class DependencyRow(Base):
    __tablename__ = "obligation_dependencies"
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id"), primary_key=True)
    upstream_id: Mapped[int] = mapped_column(ForeignKey("obligations.id"), primary_key=True)
    __table_args__ = (Index("ix_dependencies_upstream", "upstream_id"),)


class SubmissionRow(Base):
    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_obligation", "obligation_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id"))
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[dt.datetime] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")
    indicator_values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    evidence_url: Mapped[str | None] = mapped_column(Text)
    review: Mapped[str] = mapped_column(String(12), default="pending")
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column()
    review_reason: Mapped[str | None] = mapped_column(Text)
    # set when a coordinator submitted for the agency: why (shown, audited, counted apart)
    on_behalf_reason: Mapped[str | None] = mapped_column(Text)


class SubmissionFileRow(Base):
    """A report file attached to a submission, its bytes kept in the ledger by default (one
    system of record, one backup; every portal process and flow runner reads the same files),
    or, with ``PHANCONG_FILES_DIR``, in that directory under ``location`` (named by SHA-256)."""

    __tablename__ = "submission_files"
    __table_args__ = (
        Index("ix_submission_files_submission", "submission_id"),
        Index("ix_submission_files_obligation", "obligation_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id"))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # None: on disk
    location: Mapped[str | None] = mapped_column(String(200))  # under PHANCONG_FILES_DIR
    created_at: Mapped[dt.datetime] = mapped_column()


class ConsolidatedReportRow(Base):
    """A consolidated report as the ``consolidate`` flow wrote it (HTML and DOCX; the PDF once
    a portal made it): kept in the ledger, so that any portal process serves what any runner
    wrote (migration 0008). The runner also writes the files under its data directory."""

    __tablename__ = "consolidated_reports"
    plan_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    period_label: Mapped[str] = mapped_column(String(24), primary_key=True)
    as_of: Mapped[dt.datetime] = mapped_column()
    written_at: Mapped[dt.datetime] = mapped_column()
    html: Mapped[str] = mapped_column(Text, deferred=True)
    docx: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)


class ExtensionRow(Base):
    __tablename__ = "extensions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id"), index=True)
    previous_deadline: Mapped[dt.date] = mapped_column(Date)
    new_deadline: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column()


class EscalationRow(Base):
    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("obligation_id", "level"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # no foreign key (migration 0008): written only by the sweep from the obligations it reads
    # in the same transaction; ``phancong status`` checks that none is orphaned
    obligation_id: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(24))
    rank: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[dt.datetime] = mapped_column()
    sweep_key: Mapped[str] = mapped_column(String(120), index=True)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(80))
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(5))
    recipient_unit: Mapped[str | None] = mapped_column(String(80))
    recipients: Mapped[list[Any]] = mapped_column()
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # a sweep email queued unrendered: {as_of, portal_url}; its lines are outbox_items
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column()
    next_attempt_at: Mapped[dt.datetime] = mapped_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column()


class OutboxItemRow(Base):
    """Which obligations an outgoing message cites (for the obligation's history)."""

    __tablename__ = "outbox_items"
    # no foreign keys (migration 0008), as for escalations: one writer, one transaction
    outbox_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    obligation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str | None] = mapped_column(String(24))  # the line's level in a sweep mail
    upstream_id: Mapped[int | None] = mapped_column(Integer)  # for an upstream owner's line
    __table_args__ = (Index("ix_outbox_items_obligation", "obligation_id"),)


class AuditRow(Base):
    """Append-only: database triggers refuse UPDATE and DELETE (see the first migration)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    plan_id: Mapped[str | None] = mapped_column(String(80))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # agency | coordinator | viewer
    plan_id: Mapped[str | None] = mapped_column(String(80))
    unit_code: Mapped[str | None] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(5), default="vi")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    api_token_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    feed_token_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column()
    # bumped by logout, a password change, disabling and enabling: every session opened
    # before carries the old epoch and stops working
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginLinkRow(Base):
    """One-time signed login links: the nonce may be used once."""

    __tablename__ = "login_links"
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column()


class LoginThrottleRow(Base):
    """Failed-login back-off shared by every portal process: one row per account or address.

    ``key`` is ``a:<digest of the email>`` or ``i:<client address>``; times are epoch seconds.
    """

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    blocked_until: Mapped[float | None] = mapped_column(Float)
    last_at: Mapped[float] = mapped_column(Float)
