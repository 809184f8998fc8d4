"""What a plan calls its escalation levels, read from its current version (letters use it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from phancong.adapters.orm import PlanRow, PlanVersionRow
from phancong.domain.plan import LevelNames


def level_names(session: Session, plan_id: str) -> LevelNames:
    document = session.scalar(
        select(PlanVersionRow.document)
        .join(PlanRow, PlanRow.id == PlanVersionRow.plan_id)
        .where(PlanVersionRow.plan_id == plan_id, PlanVersionRow.version == PlanRow.current_version)
    )
    header = (document or {}).get("plan", {}) if isinstance(document, dict) else {}
    return LevelNames.model_validate(header.get("level_names") or {})


def in_language(names: LevelNames, lang: str) -> tuple[str, str]:
    """(standing office, steering committee) as a letter in ``lang`` names them."""
    if lang == "en":
        return names.standing_office_en, names.steering_committee_en
    return names.standing_office, names.steering_committee


def acting_offices(session: Session, plan: PlanRow, day: dt.date) -> tuple[str, str]:
    """(standing office, steering committee) acting on ``day``: the plan's, or the successor
    its current version names after one's last day (``valid_to``/``successor``)."""
    document = session.scalar(
        select(PlanVersionRow.document).where(
            PlanVersionRow.plan_id == plan.id, PlanVersionRow.version == plan.current_version
        )
    )
    agencies = {
        str(a.get("id")): a
        for a in ((document or {}).get("agencies") or [] if isinstance(document, dict) else [])
        if isinstance(a, dict)
    }

    def follow(ref: str) -> str:
        seen = {ref}
        while True:
            agency = agencies.get(ref) or {}
            last, successor = agency.get("valid_to"), agency.get("successor")
            if not last or not successor or day <= dt.date.fromisoformat(str(last)):
                return ref
            if successor in seen:
                return ref
            seen.add(successor)
            ref = str(successor)

    return follow(plan.standing_office), follow(plan.steering_committee)
