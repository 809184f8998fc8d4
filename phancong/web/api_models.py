"""The JSON API's request and response bodies (their examples and descriptions are what the
OpenAPI page shows)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

StatusName = Literal[
    "not_open",
    "in_progress",
    "overdue",
    "blocked",
    "submitted",
    "returned",
    "completed_on_time",
    "completed_late",
    "waived",
    "cancelled",
]


class ErrorOut(BaseModel):
    detail: str = Field(examples=["Không có nghĩa vụ số 42"])


class MeOut(BaseModel):
    email: str
    name: str
    role: Literal["agency", "coordinator", "viewer"]
    plan_id: str | None
    unit_code: str | None
    language: str


class ObligationOut(BaseModel):
    id: int
    plan_id: str
    duty_code: str
    duty_title: str
    citation: str = Field(description="source paragraph of the plan, e.g. 'IV.3, bullet 2'")
    unit_code: str
    unit_name: str
    role: Literal["lead", "support", "requested"]
    period_label: str = Field(examples=["2026-Q1"])
    period_title: str = Field(examples=["Quý I/2026"])
    period_start: dt.date
    deadline: dt.date = Field(description="effective deadline (after any extension)")
    original_deadline: dt.date
    state: str
    status: StatusName
    status_label: str = Field(examples=["Đang thực hiện trong hạn"])
    submitted_at: dt.datetime | None
    days_left: int = Field(description="negative: days late")
    url: str


class IndicatorOut(BaseModel):
    id: str
    name: str
    unit: str | None = None
    target: float | None = None
    target_text: str | None = None


class FileOut(BaseModel):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    url: str = Field(description="download (API, bearer token)")


class SubmissionOut(BaseModel):
    id: int
    submitted_by: str
    submitted_at: dt.datetime
    note: str
    indicator_values: dict[str, float]
    evidence_url: str | None
    files: list[FileOut] = Field(default_factory=list)
    review: Literal["pending", "accepted", "returned"]
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_reason: str | None
    on_behalf_reason: str | None = Field(
        None, description="set when a coordinator submitted for the agency: why"
    )


class ExtensionOut(BaseModel):
    previous_deadline: dt.date
    new_deadline: dt.date
    reason: str
    approved_by: str
    created_at: dt.datetime


class EscalationOut(BaseModel):
    level: str
    taken_at: dt.datetime
    blocked: bool


class AuditOut(BaseModel):
    at: dt.datetime
    actor: str
    action: str
    reason: str | None


class BlockerOut(BaseModel):
    upstream_id: int
    unit_code: str
    unit_name: str
    duty_code: str


class ObligationDetail(ObligationOut):
    duty_text: str
    indicators: list[IndicatorOut]
    submissions: list[SubmissionOut]
    extensions: list[ExtensionOut]
    escalations: list[EscalationOut]
    audit: list[AuditOut]
    blocked_by: list[BlockerOut]


class ObligationPage(BaseModel):
    items: list[ObligationOut]
    limit: int
    offset: int
    next_offset: int | None


class SubmitIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "note": "Đã tổ chức 12 buổi tuyên truyền tại các trường THCS trên địa bàn.",
                    "indicator_values": {"ty-le-tiep-nhan-tin-bao": 100},
                    "evidence_url": "https://example.gov.vn/bao-cao/q1-2026.pdf",
                }
            ]
        },
    )

    note: str = Field("", max_length=10_000)
    indicator_values: dict[str, float | None] = Field(default_factory=dict, max_length=100)
    evidence_url: str | None = Field(None, max_length=2000)
    on_behalf_reason: str | None = Field(
        None,
        max_length=10_000,
        description="required when a coordinator submits for the agency: why it does so",
    )


class ReasonIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Thiếu số liệu chỉ tiêu, đề nghị bổ sung."}]},
    )

    reason: str = Field(min_length=1, max_length=2000)


class ExtendIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"new_deadline": "2026-04-15", "reason": "Đơn vị đề nghị gia hạn do sáp nhập."}
            ]
        },
    )

    new_deadline: dt.date
    reason: str = Field(min_length=1, max_length=2000)


class ActionOut(BaseModel):
    message: str = Field(examples=["Đã gửi báo cáo hoàn thành."])
    obligation: ObligationOut


class DutyRollupOut(BaseModel):
    duty_code: str
    title: str
    citation: str
    period_label: str
    total: int
    submitted: int
    accepted: int
    on_time: int
    overdue: int
    not_open: int


class UnitRollupOut(BaseModel):
    unit_code: str
    unit_name: str
    kind: str
    due: int
    on_time: int
    late: int
    overdue: int
    open: int
    on_behalf: int = Field(
        0, description="completed by a coordinator's submission for the agency (not in on_time)"
    )
    on_time_rate: float | None
