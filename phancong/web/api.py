"""JSON API for scripts: the portal's reads and actions, authenticated by a bearer API token.

Issue a token with ``phancong users token EMAIL``; send ``Authorization: Bearer <token>``.
Errors are ``{"detail": "..."}``, in Vietnamese unless ``?lang=en`` or ``Accept-Language: en``.
"""
from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from phancong.adapters.db import transaction
from phancong.domain.access import Action
from phancong.services import reads
from phancong.services.access import MAX_ID, authorize
from phancong.services.actions import perform_in
from phancong.services.errors import Refused
from phancong.services.links import obligation_url
from phancong.web import files as web_files
from phancong.web import i18n
from phancong.web.api_models import (
    ActionOut,
    AuditOut,
    BlockerOut,
    ErrorOut,
    EscalationOut,
    ExtendIn,
    ExtensionOut,
    FileOut,
    IndicatorOut,
    MeOut,
    ObligationDetail,
    ObligationOut,
    ObligationPage,
    ReasonIn,
    StatusName,
    SubmissionOut,
    SubmitIn,
)
from phancong.web.batching import SubmitRequest, Unauthenticated
from phancong.web.context import Bearer, Caller, api_bearer, api_caller

router = APIRouter(prefix="/api", tags=["api"])


CallerDep = Annotated[Caller, Depends(api_caller)]


BearerDep = Annotated[Bearer, Depends(api_bearer)]


ObligationId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="obligation id")]


FileId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="file id")]


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "the request body could not be read"},
    401: {"model": ErrorOut, "description": "missing or invalid bearer token"},
    403: {"model": ErrorOut, "description": "the account's role may not do this"},
    404: {"model": ErrorOut, "description": "no such obligation in the caller's scope"},
    409: {"model": ErrorOut, "description": "changed concurrently; retry"},
    422: {"model": ErrorOut, "description": "invalid input or action not allowed in this state"},
}


def _out(caller: Caller, view: reads.ObligationView) -> ObligationOut:
    return ObligationOut(
        id=view.id,
        plan_id=view.plan_id,
        duty_code=view.duty_code,
        duty_title=view.duty_title,
        citation=view.source,
        unit_code=view.unit_code,
        unit_name=view.unit_name,
        role=view.role,  # type: ignore[arg-type]
        period_label=view.period_label,
        period_title=i18n.period_name(view.period_label, caller.lang),
        period_start=view.period_start,
        deadline=view.deadline,
        original_deadline=view.original_deadline,
        state=view.state,
        status=view.status,  # type: ignore[arg-type]
        status_label=i18n.status_label(view.status, caller.lang),
        submitted_at=view.submitted_at,
        days_left=view.days_left,
        url=obligation_url(caller.portal.settings, view.id),
    )


@router.get("/me", response_model=MeOut, responses=ERRORS)
def me(caller: CallerDep) -> MeOut:
    p = caller.principal
    return MeOut(
        email=p.email,
        name=p.name,
        role=p.role,  # type: ignore[arg-type]
        plan_id=p.plan_id,
        unit_code=p.unit_code,
        language=p.language,
    )


@router.get("/obligations", response_model=ObligationPage, responses=ERRORS)
def list_obligations(
    caller: CallerDep,
    plan: Annotated[str | None, Query(max_length=80)] = None,
    unit: Annotated[
        str | None, Query(max_length=80, description="ignored for agency accounts")
    ] = None,
    period: Annotated[str | None, Query(max_length=24, examples=["2026-Q1"])] = None,
    status: StatusName | None = None,
    duty: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ObligationPage:
    """Obligations in the caller's scope, open ones first (agency accounts: their unit only)."""
    p = caller.principal
    with caller.portal.factory() as session:
        info = reads.resolve_plan(session, p, plan)
        views = reads.list_obligations(
            session,
            info,
            caller.now(),
            unit=p.unit_code if p.is_agency else unit,
            period=period,
            status=status,
            duty=duty,
            limit=limit + 1,
            offset=offset,
        )
    more = len(views) > limit
    return ObligationPage(
        items=[_out(caller, v) for v in views[:limit]],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if more else None,
    )


def _detail(caller: Caller, obligation_id: int) -> ObligationDetail:
    with caller.portal.factory() as session:
        authorize(session, caller.principal, obligation_id, Action.VIEW)
        h = reads.history(session, obligation_id, caller.now())
        base = _out(caller, h.view).model_dump()
        return ObligationDetail(
            **base,
            duty_text=h.duty_text,
            indicators=[
                IndicatorOut.model_validate(i) for i in h.view.indicators if isinstance(i, dict)
            ],
            submissions=[
                SubmissionOut(
                    id=s.id,
                    submitted_by=s.submitted_by,
                    submitted_at=s.submitted_at,
                    note=s.note,
                    indicator_values=dict(s.indicator_values or {}),
                    evidence_url=s.evidence_url,
                    files=[
                        FileOut(
                            id=f.id,
                            name=f.name,
                            content_type=f.content_type,
                            size=f.size,
                            sha256=f.sha256,
                            url=f"/api/obligations/{obligation_id}/files/{f.id}",
                        )
                        for f in h.files.get(s.id, [])
                    ],
                    review=s.review,  # type: ignore[arg-type]
                    reviewed_by=s.reviewed_by,
                    reviewed_at=s.reviewed_at,
                    review_reason=s.review_reason,
                    on_behalf_reason=s.on_behalf_reason,
                )
                for s in h.submissions
            ],
            extensions=[
                ExtensionOut(
                    previous_deadline=e.previous_deadline,
                    new_deadline=e.new_deadline,
                    reason=e.reason,
                    approved_by=e.approved_by,
                    created_at=e.created_at,
                )
                for e in h.extensions
            ],
            escalations=[
                EscalationOut(level=e.level, taken_at=e.taken_at, blocked=e.blocked)
                for e in h.escalations
            ],
            audit=[
                AuditOut(at=a.at, actor=a.actor, action=a.action, reason=a.reason) for a in h.audit
            ],
            blocked_by=[
                BlockerOut(
                    upstream_id=b.upstream_id,
                    unit_code=b.unit_code,
                    unit_name=b.unit_name,
                    duty_code=b.duty_code,
                )
                for b in h.blocked_by
            ],
        )


@router.get("/obligations/{obligation_id}", response_model=ObligationDetail, responses=ERRORS)
def get_obligation(caller: CallerDep, obligation_id: ObligationId) -> ObligationDetail:
    """One obligation with its submissions, extensions, escalation steps and audit trail."""
    return _detail(caller, obligation_id)


async def _act(bearer: Bearer, obligation_id: int, action: Action, **kwargs: Any) -> ActionOut:
    def act() -> tuple[Caller, reads.ObligationView]:
        # one worker-thread hop and one transaction: the token's owner, the action, and the
        # obligation as it now stands (the API's busiest route is submit)
        if not bearer.plausible:
            raise bearer.unauthorized()  # before taking the write lock
        with transaction(bearer.portal.factory) as session:
            caller = bearer.caller(session)
            now = caller.now()
            perform_in(
                session,
                caller.principal,
                obligation_id,
                action,
                now=now,
                portal_url=caller.portal.settings.portal_url,
                renderer=caller.portal.renderer,
                **kwargs,
            )
            return caller, reads.get(session, obligation_id, now)

    caller, current = await run_in_threadpool(act)
    bearer.portal.ledger_changed()
    return ActionOut(
        message=i18n.t(f"flash.{action.value}", caller.lang), obligation=_out(caller, current)
    )


@router.post("/obligations/{obligation_id}/submit", response_model=ActionOut, responses=ERRORS)
async def submit(bearer: BearerDep, obligation_id: ObligationId, body: SubmitIn) -> ActionOut:
    """Mark the obligation done (agency of the unit, or a coordinator)."""
    if bearer.token is None or not bearer.plausible:
        raise bearer.unauthorized()
    request = SubmitRequest(
        bearer.token,
        obligation_id,
        note=body.note,
        indicator_values={k: v for k, v in body.indicator_values.items() if v is not None},
        evidence_url=body.evidence_url,
        on_behalf_reason=body.on_behalf_reason,
    )
    return await _recorded(bearer, request)


async def _recorded(bearer: Bearer, request: SubmitRequest) -> ActionOut:
    """A submission recorded by the portal's writer with those that arrive alongside, answered
    as the obligation now stands."""
    try:
        principal, current = await bearer.portal.submits.record(request)
    except Unauthenticated:
        raise bearer.unauthorized() from None
    bearer.portal.ledger_changed()
    caller = bearer.as_caller(principal)
    return ActionOut(
        message=i18n.t(f"flash.{Action.SUBMIT.value}", caller.lang),
        obligation=_out(caller, current),
    )


FILE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    413: {"model": ErrorOut, "description": "the body is over the per-submission file limit"},
}


@router.post(
    "/obligations/{obligation_id}/submit-files", response_model=ActionOut, responses=FILE_ERRORS
)
async def submit_files(
    bearer: BearerDep,
    obligation_id: ObligationId,
    files: Annotated[
        list[UploadFile] | None,
        File(description="the report files: PDF, DOCX, XLSX, ODT, JPEG, PNG (checked by content)"),
    ] = None,
    note: Annotated[str, Form(max_length=10_000)] = "",
    indicator_values: Annotated[
        str, Form(max_length=20_000, description='a JSON object, e.g. {"so-buoi": 12}')
    ] = "{}",
    evidence_url: Annotated[str | None, Form(max_length=2000)] = None,
    on_behalf_reason: Annotated[
        str | None,
        Form(max_length=10_000, description="a coordinator submitting for the unit: why"),
    ] = None,
) -> ActionOut:
    """Mark the obligation done with its report files (multipart/form-data): the same rules as
    ``submit``, plus the files. Nothing is stored if any file is refused."""
    if bearer.token is None or not bearer.plausible:
        raise bearer.unauthorized()
    try:
        values = json.loads(indicator_values or "{}")
    except ValueError:
        values = None
    if not isinstance(values, dict) or not all(
        v is None or isinstance(v, int | float | str | bool) for v in values.values()
    ):
        raise Refused(
            "“indicator_values” phải là một đối tượng JSON {mã chỉ tiêu: giá trị}",
            "'indicator_values' must be a JSON object {indicator id: value}",
        )
    uploads = web_files.uploads_in(files or [])

    def scope() -> None:  # before the files are read: another unit learns nothing from them
        caller = bearer.caller()
        with bearer.portal.factory() as session:
            authorize(session, caller.principal, obligation_id, Action.SUBMIT)

    await run_in_threadpool(scope)
    checked = await web_files.checked(uploads, bearer.portal.settings) if uploads else []
    request = SubmitRequest(
        bearer.token,
        obligation_id,
        note=note,
        indicator_values={k: v for k, v in values.items() if v is not None},
        evidence_url=evidence_url or None,
        on_behalf_reason=on_behalf_reason,
        files=tuple(checked),
    )
    return await _recorded(bearer, request)


@router.get(
    "/obligations/{obligation_id}/files/{file_id}",
    responses={
        **ERRORS,
        200: {"content": {"application/octet-stream": {}}, "description": "the file"},
    },
    response_class=Response,
)
def file_download(caller: CallerDep, obligation_id: ObligationId, file_id: FileId) -> Response:
    """A report file of the obligation (anyone who may see the obligation), as an attachment."""
    with caller.portal.factory() as session:
        authorize(session, caller.principal, obligation_id, Action.VIEW)
        content = reads.file_content(session, obligation_id, file_id)
    return web_files.download_of(content, caller.portal.settings)


@router.post("/obligations/{obligation_id}/accept", response_model=ActionOut, responses=ERRORS)
async def accept(bearer: BearerDep, obligation_id: ObligationId) -> ActionOut:
    """Accept the pending submission (coordinators)."""
    return await _act(bearer, obligation_id, Action.ACCEPT)


@router.post("/obligations/{obligation_id}/return", response_model=ActionOut, responses=ERRORS)
async def return_(bearer: BearerDep, obligation_id: ObligationId, body: ReasonIn) -> ActionOut:
    """Return the pending submission with a reason (coordinators)."""
    return await _act(bearer, obligation_id, Action.RETURN, reason=body.reason)


@router.post("/obligations/{obligation_id}/extend", response_model=ActionOut, responses=ERRORS)
async def extend(bearer: BearerDep, obligation_id: ObligationId, body: ExtendIn) -> ActionOut:
    """Move the deadline later with a reason (coordinators); on-time is judged on the original."""
    return await _act(
        bearer, obligation_id, Action.EXTEND, new_deadline=body.new_deadline, reason=body.reason
    )


@router.post("/obligations/{obligation_id}/waive", response_model=ActionOut, responses=ERRORS)
async def waive(bearer: BearerDep, obligation_id: ObligationId, body: ReasonIn) -> ActionOut:
    """Waive the obligation with a reason (coordinators)."""
    return await _act(bearer, obligation_id, Action.WAIVE, reason=body.reason)
