"""Consolidated report tasks: which periods, compile, write the files, record, publish."""

from __future__ import annotations

import datetime as dt

from prefect import task
from prefect.artifacts import create_markdown_artifact

from phancong.adapters.db import transaction
from phancong.bootstrap import wired
from phancong.orchestration.artifacts import md, report_key
from phancong.services import consolidate, report_files, report_model
from tasks import IO_RETRIES


@task(name="periods-due", **IO_RETRIES)
def periods_due(plan_id: str, as_of: dt.datetime) -> list[str]:
    with wired().sessions() as session:
        return consolidate.due_periods(session, plan_id, as_of)


@task(name="compile-report", **IO_RETRIES)
def compile_report(
    plan_id: str, period: str, as_of: dt.datetime
) -> report_model.ConsolidatedReport:
    with wired().sessions() as session:
        return consolidate.compile_report(session, plan_id, period, as_of)


@task(name="write-report", **IO_RETRIES)
def write_report(report: report_model.ConsolidatedReport) -> report_model.ReportFiles:
    settings = wired().settings
    files = report_files.write_files(report, settings.data_dir / "reports", settings.portal_url)
    with transaction(wired().sessions) as session:  # for every portal process, on any machine
        report_files.keep_in_ledger(session, report, files, dt.datetime.now(dt.UTC))
    return files


@task(name="record-report", **IO_RETRIES)
def record_report(report: report_model.ConsolidatedReport,
                  files: report_model.ReportFiles) -> int | None:
    summary = f"{len(report.reported)}/{report.expected} đơn vị đã báo cáo"
    with transaction(wired().sessions) as session:
        return consolidate.record(session, report.plan_id, report.period_label, files,
                                  report.as_of, summary)


@task(name="publish-report", **IO_RETRIES)
def publish_report(report: report_model.ConsolidatedReport, files: report_model.ReportFiles,
                   obligation: int | None) -> None:
    missing = ", ".join(md(u.unit_name) for u in report.not_reported) or "—"
    recorded = f"nghĩa vụ số {obligation}" if obligation else "không ghi nhận (đã nộp trước đó)"
    text = (f"# Báo cáo tổng hợp {md(report.period_title)}\n\n"
            f"- Đã báo cáo / reported: **{len(report.reported)}/{report.expected}**\n"
            f"- Chưa báo cáo / not reported: {missing}\n"
            f"- Ghi nhận / recorded: {recorded}\n"
            f"- HTML: [{md(files.url)}]({files.url})\n- DOCX: `{md(files.docx)}`\n")
    create_markdown_artifact(text, key=report_key(report.plan_id, report.period_label),  # type: ignore[call-arg]
                             description=f"Báo cáo tổng hợp {report.period_title}", _sync=True)
