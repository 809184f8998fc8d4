"""An obligation's page in the read model: its history (submissions, extensions, escalation
steps, emails, audit), the obligations blocking it, its report files, and why it was closed.
The obligation's view and the list query are :mod:`phancong.services.reads.obligations`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session, aliased

from phancong.adapters.orm import (
    AuditRow,
    DependencyRow,
    DutyRow,
    EscalationRow,
    ExtensionRow,
    ObligationRow,
    OutboxItemRow,
    OutboxRow,
    SubmissionFileRow,
    SubmissionRow,
    UnitRow,
)
from phancong.domain.status import (
    CLOSED_STATES,
    State,
)
from phancong.services.errors import NotFound
from phancong.services.reads.obligations import ObligationView, get


@dataclass(frozen=True)
class Blocker:
    obligation_id: int
    upstream_id: int
    unit_code: str
    unit_name: str
    duty_code: str
    awaiting_review: bool = False  # the upstream is submitted: the reviewer holds it up


def blockers(session: Session, obligation_ids: list[int]) -> dict[int, list[Blocker]]:
    """Open upstream obligations each of the given obligations waits on."""
    out: dict[int, list[Blocker]] = defaultdict(list)
    if not obligation_ids:
        return out
    up = aliased(ObligationRow)
    for start in range(0, len(obligation_ids), 5000):
        chunk = obligation_ids[start : start + 5000]
        rows = session.execute(
            select(
                DependencyRow.obligation_id,
                up.id,
                UnitRow.code,
                UnitRow.name,
                DutyRow.code,
                up.state == State.SUBMITTED.value,
            )
            .join(up, up.id == DependencyRow.upstream_id)
            .join(UnitRow, UnitRow.id == up.unit_id)
            .join(DutyRow, DutyRow.id == up.duty_id)
            .where(
                DependencyRow.obligation_id.in_(chunk),
                up.state.not_in([s.value for s in CLOSED_STATES]),
            )
            .order_by(UnitRow.code)
        ).all()
        for r in rows:
            out[r[0]].append(Blocker(r[0], r[1], r[2], r[3], r[4], bool(r[5])))
    return out


@dataclass(frozen=True)
class FileInfo:
    """A report file as pages and the API list it (its bytes stay in the ledger)."""

    id: int
    submission_id: int
    obligation_id: int
    name: str
    content_type: str
    size: int
    sha256: str


def files_of(session: Session, obligation_ids: Sequence[int]) -> dict[int, list[FileInfo]]:
    """The report files of the given obligations, by submission id, in upload order."""
    out: dict[int, list[FileInfo]] = defaultdict(list)
    f = SubmissionFileRow
    for start in range(0, len(obligation_ids), 5000):
        chunk = list(obligation_ids[start : start + 5000])
        rows = session.execute(
            select(f.id, f.submission_id, f.obligation_id, f.name, f.content_type, f.size, f.sha256)
            .where(f.obligation_id.in_(chunk))
            .order_by(f.id)
        ).all()
        for r in rows:
            out[r[1]].append(FileInfo(*r))
    return out


@dataclass(frozen=True)
class FileContent:
    info: FileInfo
    data: bytes | None  # None: kept in the files directory, at ``location``
    location: str | None


def file_content(session: Session, obligation_id: int, file_id: int) -> FileContent:
    """One file of the obligation with its bytes (or where they are kept); not found when it
    belongs to another obligation."""
    f = SubmissionFileRow
    row = session.execute(
        select(
            f.id,
            f.submission_id,
            f.obligation_id,
            f.name,
            f.content_type,
            f.size,
            f.sha256,
            f.data,
            f.location,
        ).where(f.id == file_id, f.obligation_id == obligation_id)
    ).first()
    if row is None:
        raise NotFound(f"Không có tệp số {file_id}", f"No file {file_id}")
    return FileContent(FileInfo(*row[:7]), None if row[7] is None else bytes(row[7]), row[8])


@dataclass
class History:
    view: ObligationView
    duty_text: str
    submissions: list[SubmissionRow]
    extensions: list[ExtensionRow]
    escalations: list[EscalationRow]
    emails: list[OutboxRow]
    audit: list[AuditRow]
    blocked_by: list[Blocker]
    files: dict[int, list[FileInfo]] = field(default_factory=dict)  # by submission id


def history(session: Session, obligation_id: int, as_of: dt.datetime) -> History:
    view = get(session, obligation_id, as_of)
    ob = session.get(ObligationRow, obligation_id)
    assert ob is not None
    duty = session.get(DutyRow, ob.duty_id)
    assert duty is not None
    return History(
        view=view,
        duty_text=duty.text,
        submissions=list(
            session.scalars(
                select(SubmissionRow)
                .where(SubmissionRow.obligation_id == obligation_id)
                .order_by(SubmissionRow.id)
            )
        ),
        extensions=list(
            session.scalars(
                select(ExtensionRow)
                .where(ExtensionRow.obligation_id == obligation_id)
                .order_by(ExtensionRow.id)
            )
        ),
        escalations=list(
            session.scalars(
                select(EscalationRow)
                .where(EscalationRow.obligation_id == obligation_id)
                .order_by(EscalationRow.rank)
            )
        ),
        emails=list(
            session.scalars(
                select(OutboxRow)
                .join(OutboxItemRow, OutboxItemRow.outbox_id == OutboxRow.id)
                .where(OutboxItemRow.obligation_id == obligation_id)
                .order_by(OutboxRow.id)
            )
        ),
        audit=list(
            session.scalars(
                select(AuditRow)
                .where(AuditRow.entity == "obligation", AuditRow.entity_id == str(obligation_id))
                .order_by(AuditRow.id)
            )
        ),
        blocked_by=blockers(session, [obligation_id]).get(obligation_id, []),
        files=dict(files_of(session, [obligation_id])),
    )


def closing_and_evidence(session: Session, obligation_id: int) -> tuple[str | None, Any]:
    """Why the obligation was closed (waived, cancelled), and the evidence its duty asks for."""
    closed_reason, evidence = session.execute(
        select(ObligationRow.closed_reason, DutyRow.evidence)
        .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
        .where(ObligationRow.id == obligation_id)
    ).one()
    return closed_reason, evidence
