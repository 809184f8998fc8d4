"""What a plan calls its escalation levels, read from its current version (letters use it)."""

from __future__ import annotations

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
