"""What an email says, before it is rendered: one notice per recipient per sweep.

The sweep builds notices from the escalation steps it records; a renderer (``phancong.mail``)
turns each into subject, text and HTML; the outbox stores the result in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class Level(StrEnum):
    """Escalation steps in the order they are taken."""

    REMINDER = "reminder"
    OVERDUE = "overdue"
    STANDING_OFFICE = "standing_office"
    STEERING_COMMITTEE = "steering_committee"

    @property
    def rank(self) -> int:
        return list(Level).index(self) + 1


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
    level: str  # a Level value, or "blocker" for the upstream owner's copy
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


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class Renderer(Protocol):
    def __call__(self, notice: Notice) -> RenderedMail: ...


def notice_to_json(notice: Notice) -> dict[str, Any]:
    """A notice as JSON-ready data: the outbox keeps it and renders it when it is delivered."""
    return {
        "kind": notice.kind.value, "plan_id": notice.plan_id, "plan_title": notice.plan_title,
        "as_of": notice.as_of.isoformat(), "language": notice.language,
        "recipient_code": notice.recipient_code, "recipient_name": notice.recipient_name,
        "recipients": list(notice.recipients), "portal_url": notice.portal_url,
        "review": notice.review, "reason": notice.reason, "summary": dict(notice.summary),
        "items": [
            {"obligation_id": i.obligation_id, "level": i.level, "duty_code": i.duty_code,
             "duty_title": i.duty_title, "source": i.source, "unit_code": i.unit_code,
             "unit_name": i.unit_name, "role": i.role, "period_label": i.period_label,
             "days_late": i.days_late, "link": i.link, "deadline": i.deadline.isoformat(),
             "original_deadline": i.original_deadline.isoformat(),
             "blocked_by": list(i.blocked_by), "waiting": list(i.waiting)}
            for i in notice.items
        ],
    }


def notice_from_json(data: dict[str, Any]) -> Notice:
    items = tuple(
        NoticeItem(**{
            **{k: item[k] for k in _ITEM_FIELDS},
            "deadline": dt.date.fromisoformat(item["deadline"]),
            "original_deadline": dt.date.fromisoformat(item["original_deadline"]),
            "blocked_by": tuple(item["blocked_by"]), "waiting": tuple(item["waiting"]),
        })
        for item in data["items"]
    )
    return Notice(
        kind=NoticeKind(data["kind"]), plan_id=data["plan_id"], plan_title=data["plan_title"],
        as_of=dt.datetime.fromisoformat(data["as_of"]), language=data["language"],
        recipient_code=data["recipient_code"], recipient_name=data["recipient_name"],
        recipients=tuple(data["recipients"]), items=items, portal_url=data["portal_url"],
        review=data["review"], reason=data["reason"], summary=dict(data["summary"]),
    )


_ITEM_FIELDS = ("obligation_id", "level", "duty_code", "duty_title", "source", "unit_code",
                "unit_name", "role", "period_label", "days_late", "link")
