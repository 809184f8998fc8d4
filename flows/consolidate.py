"""The day after each reporting deadline: the Standing Office's consolidated report."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from phancong.orchestration.runs import label_run, local_day, name_from_parameters, resolve_as_of
from phancong.services.report_model import ReportFiles
from tasks.plans import resolve_plan
from tasks.reports import compile_report, periods_due, publish_report, record_report, write_report


@flow(name="consolidate", flow_run_name=name_from_parameters("consolidate"), log_prints=True)
async def consolidate_flow(plan: str | None = None, as_of: dt.datetime | None = None,
                           period: str | None = None) -> list[ReportFiles]:
    """Compile, write (HTML, DOCX) and record the consolidated report of ``period`` (default:
    the period(s) whose reporting deadline passed most recently before ``as_of``)."""
    instant = resolve_as_of(as_of)
    ref = resolve_plan(plan)
    periods = [period] if period else periods_due(ref.id, instant)
    await label_run("consolidate", ref.id, ",".join(periods) or local_day(instant).isoformat())
    written: list[ReportFiles] = []
    for label in periods:
        report = compile_report(ref.id, label, instant)
        files = write_report(report)
        obligation = record_report(report, files)
        publish_report(report, files, obligation)
        print(f"{ref.id} {label}: {len(report.reported)}/{report.expected} reported → {files.html}")
        written.append(files)
    if not periods:
        print(f"{ref.id}: no reporting deadline has passed before {local_day(instant)}")
    return written
