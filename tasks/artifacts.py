"""What coordinators see in the Prefect UI: overdue table, summary, event per sweep."""

from __future__ import annotations

import datetime as dt

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event

from phancong.bootstrap import wired
from phancong.orchestration.artifacts import (
    OVERDUE_LIMIT,
    artifact_language,
    headed,
    late_description,
    late_list_url,
    late_rows,
    local_date_text,
    overdue_key,
    summary_for,
    summary_key,
)
from phancong.orchestration.values import SweepSummary
from phancong.services.reads.late import late_list
from tasks import IO_RETRIES


@task(name="publish-overdue", **IO_RETRIES)
def publish_overdue(plan_id: str, as_of: dt.datetime) -> int:
    with wired().sessions() as session:
        lang = artifact_language(session, plan_id)
        found = late_list(session, plan_id, as_of, limit=OVERDUE_LIMIT)
    total = int(str(found[0]["total"])) if found else 0
    rows = headed(late_rows(found, lang), lang)
    # A list of rows, one dict per obligation keyed by the column headers in order: the only
    # form Prefect's V2 UI (the default) reads; V1 reads it too. No overdue obligation
    # publishes an empty table, which V2 shows as "No results." and V1 as "No data". A cut
    # list says so in the description and links the portal's full list.
    create_table_artifact(rows, key=overdue_key(plan_id),
                          description=late_description(
                              as_of, len(rows), total, lang=lang,
                              list_url=late_list_url(wired().settings.portal_url, plan_id)))
    return total


@task(name="publish-summary", **IO_RETRIES)
def publish_summary(plan_id: str, as_of: dt.datetime, sweep: SweepSummary | None = None) -> str:
    with wired().sessions() as session:
        lang = artifact_language(session, plan_id)
        text = summary_for(session, plan_id, as_of, sweep.steps if sweep else None,
                           sweep.emails if sweep else None, lang=lang)
    what = "Progress" if lang == "en" else "Tình hình thực hiện"
    create_markdown_artifact(text, key=summary_key(plan_id),  # type: ignore[call-arg]
                             description=f"{what} — {local_date_text(as_of)}", _sync=True)
    return text


@task(name="announce-sweep")
def announce_sweep(summary: SweepSummary, overdue: int) -> None:
    emit_event(event="phancong.sweep.completed",
               resource={"prefect.resource.id": f"phancong.plan.{summary.plan_id}",
                         "prefect.resource.name": summary.plan_id},
               payload={"as_of": summary.as_of.isoformat(), "steps": summary.steps,
                        "total_steps": summary.total_steps, "emails": summary.emails,
                        "overdue": overdue,
                        "recipients_without_address": summary.recipients_without_address})
