"""What an email says, before it is rendered: one notice per recipient per sweep.

The sweep builds notices from the escalation steps it records; a renderer (``phancong.mail``)
turns each into subject, text and HTML; the outbox stores the result in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from phancong.domain.ladder import Level

__all__ = ["Level", "Notice", "NoticeItem", "NoticeKind", "RenderedMail", "Renderer",
           "obligation_link"]


def obligation_link(portal_url: str, obligation_id: int) -> str:
    """The portal page of an obligation (every email and table links it the same way)."""
    return f"{portal_url.rstrip('/')}/obligations/{obligation_id}" if portal_url else ""


class NoticeKind(StrEnum):
    REMINDER = "reminder"  # before the deadline, to the owner
    OVERDUE = "overdue"  # the day after, to the owner
    BLOCKER = "blocker"  # to the owner of an upstream obligation others wait on
    STANDING_OFFICE = "standing_office"  # escalation to the Standing Office
    STEERING_COMMITTEE = "steering_committee"  # escalation to the Steering Committee
    DIGEST = "digest"  # weekly summary for the Standing Office
    REVIEW = "review"  # a submission accepted or returned


@dataclass(frozen=True)
class NoticeItem:
    obligation_id: int
    level: str  # a ladder Line value: a Level's, "blocker" or "review" for upstream urges
    duty_code: str
    duty_title: str
    source: str  # citation, e.g. "IV.3, bullet 2"
    unit_code: str  # the owner of the obligation
    unit_name: str
    role: str  # lead | requested | support
    period_label: str
    deadline: dt.date  # effective
    original_deadline: dt.date
    days_late: int  # negative: days left
    blocked_by: tuple[str, ...] = ()  # names of upstream owners still open
    waiting: tuple[str, ...] = ()  # for a blocker notice: who waits on this obligation
    link: str = ""  # portal page of the obligation (signed when the portal provides it)
    # found at this level by the first sweep that took any step of it: nobody was reminded or
    # notified before (a letter must not claim a reminder that never happened)
    first_notice: bool = False
    # for a "review" line: the unit whose submitted report awaits the Standing Office
    awaiting_review_of: str = ""
    # a Standing Office line sent to the Steering Committee: the owner is the Standing Office
    past_owner: bool = False


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    plan_id: str
    plan_title: str
    as_of: dt.datetime
    language: str
    recipient_code: str
    recipient_name: str
    recipients: tuple[str, ...]
    items: tuple[NoticeItem, ...] = ()
    portal_url: str = ""
    # for REVIEW: "accepted" or "returned" and the reason; for DIGEST: free summary figures
    review: str | None = None
    reason: str | None = None
    summary: dict[str, int] = field(default_factory=dict)
    # the plan's names of its escalation levels in the notice's language ("" = the usual ones)
    office: str = ""
    board: str = ""


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class Renderer(Protocol):
    def __call__(self, notice: Notice) -> RenderedMail: ...

