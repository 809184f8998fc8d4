"""The obligation actions as the portal, the JSON API and the CLI perform them.

One transaction per action: authorise (scope and role, :mod:`phancong.services.access`), call
the ledger, and hand the change it returns to :mod:`phancong.services.handlers`, which writes
the audit row and — for accept, return and extend — queues the notice to the unit in the same
transaction, rendered by the renderer the caller was wired with.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, Unpack

from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import transaction
from phancong.domain.access import Action, Principal
from phancong.services import handlers, ledger, submissions
from phancong.services.access import authorize, forbidden
from phancong.services.attachments import Attachment
from phancong.services.errors import Refused
from phancong.services.notices import Renderer

log = logging.getLogger(__name__)

# C0 controls but tab and newline (a NUL breaks PostgreSQL text), DEL, C1 controls, and the
# bidirectional formatting characters — embeddings and overrides U+202A–U+202E, isolates
# U+2066–U+2069, the marks U+200E, U+200F and U+061C — which make a note or reason read
# differently from what it holds ("Trojan Source")
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
REASON_LIMIT = 2000


def clean_text(value: str | None) -> str:
    """Drop control and bidi formatting characters and normalise newlines."""
    return _CONTROL.sub("", (value or "").replace("\r\n", "\n")).strip()


def _reason(value: str | None) -> str:
    text = clean_text(value)
    if len(text) > REASON_LIMIT:
        raise Refused(
            f"Lý do quá dài (tối đa {REASON_LIMIT} ký tự)",
            f"Reason too long (max {REASON_LIMIT} characters)",
        )
    return text


def submission(
    obligation_id: int,
    principal: Principal,
    note: str | None,
    indicator_values: Mapping[str, Any] | None,
    evidence_url: str | None,
    on_behalf_reason: str | None = None,
    files: Sequence[Attachment] = (),
) -> submissions.SubmitItem:
    """A submission as the portal, the API and the CLI hand it to the ledger (text cleaned;
    files already checked by :func:`phancong.services.attachments.check_all`).

    Anyone but the unit's own agency account (a coordinator) submits on the agency's behalf
    and must say why."""
    return submissions.SubmitItem(
        obligation_id,
        principal.email,
        clean_text(note),
        dict(indicator_values or {}),
        clean_text(evidence_url) or None,
        on_behalf=not principal.is_agency,
        on_behalf_reason=clean_text(on_behalf_reason) or None,
        files=tuple(files),
    )


class ActionOptions(TypedDict, total=False):
    """What an action may take besides who does it to which obligation (see :func:`perform_in`)."""

    note: str | None
    indicator_values: Mapping[str, Any] | None
    evidence_url: str | None
    on_behalf_reason: str | None
    files: Sequence[Attachment]
    reason: str | None
    new_deadline: dt.date | None


def perform(
    factory: sessionmaker[Session],
    principal: Principal,
    obligation_id: int,
    action: Action,
    *,
    now: dt.datetime,
    portal_url: str,
    renderer: Renderer,
    **options: Unpack[ActionOptions],
) -> None:
    """Do ``action`` as ``principal`` in a transaction of its own; raises a LedgerError the
    caller turns into a message."""
    with transaction(factory) as session:
        perform_in(
            session, principal, obligation_id, action, now=now, portal_url=portal_url,
            renderer=renderer, **options
        )


def perform_in(
    session: Session,
    principal: Principal,
    obligation_id: int,
    action: Action,
    *,
    now: dt.datetime,
    portal_url: str,
    renderer: Renderer,
    note: str | None = None,
    indicator_values: Mapping[str, Any] | None = None,
    evidence_url: str | None = None,
    on_behalf_reason: str | None = None,
    files: Sequence[Attachment] = (),
    reason: str | None = None,
    new_deadline: dt.date | None = None,
) -> None:
    """:func:`perform` inside the caller's write transaction (see :func:`transaction`)."""
    if action is Action.VIEW:
        raise ValueError("VIEW is not an action to perform")
    authorize(session, principal, obligation_id, action)
    actor = principal.email
    if action is Action.SUBMIT:
        item = submission(
            obligation_id, principal, note, indicator_values, evidence_url, on_behalf_reason,
            files,
        )
        (refused,) = submissions.submit_many(session, [item], at=now)
        if refused is not None:
            raise refused
        return  # audited by the submit path; nobody is notified of a submission
    if action is Action.ACCEPT:
        change = ledger.accept(session, obligation_id, actor=actor, at=now)
    elif action is Action.RETURN:
        change = ledger.return_(session, obligation_id, actor=actor, at=now,
                                reason=_reason(reason))
    elif action is Action.EXTEND:
        if new_deadline is None:
            raise Refused("Cần nhập hạn mới", "A new deadline is required")
        change = ledger.extend(session, obligation_id, actor=actor, at=now,
                               new_deadline=new_deadline, reason=_reason(reason))
    elif action is Action.WAIVE:
        change = ledger.waive(session, obligation_id, actor=actor, at=now,
                              reason=_reason(reason))
    else:  # pragma: no cover - Action has no other member that changes an obligation
        raise ValueError(f"{action} is not an obligation action")
    handlers.handle(session, [change], renderer=renderer, portal_url=portal_url, now=now)


def withdraw(
    factory: sessionmaker[Session], principal: Principal, obligation_id: int, *, now: dt.datetime
) -> None:
    """Take the principal's unit's submission back before review (audited in the ledger).

    Only the unit's own accounts withdraw (the Standing Office returns instead).
    """
    with transaction(factory) as session:
        authorize(session, principal, obligation_id, Action.SUBMIT)
        if not principal.is_agency:
            raise forbidden()
        handlers.record(
            session, [ledger.withdraw(session, obligation_id, actor=principal.email, at=now)]
        )
