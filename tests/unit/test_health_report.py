"""The health report's rules without any server: thresholds, the wording, the up watch."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from phancong.orchestration.health import (
    DeploymentStatus,
    PrefectStatus,
    SchedulerWatch,
    build_report,
    check_prefect,
)
from phancong.orchestration.health_render import render_json, render_text
from phancong.orchestration.health_smtp import SmtpStatus
from phancong.services.health import PlanLedgerHealth

pytestmark = pytest.mark.unit

NOW = dt.datetime(2026, 3, 25, 3, 0, tzinfo=dt.UTC)  # 10:00 in Hà Nội


def plan(**changes: object) -> PlanLedgerHealth:
    values: dict[str, object] = {
        "plan_id": "hanoi", "title": "Kế hoạch", "last_sweep": NOW - dt.timedelta(hours=2),
        "last_sweep_as_of": NOW - dt.timedelta(hours=2), "last_sweep_source": "ledger",
        "loaded_at": NOW - dt.timedelta(days=30),
        "outbox": {"queued": 0, "sent": 10, "failed": 1}, "oldest_queued": None,
    }
    values.update(changes)
    return PlanLedgerHealth(**values)  # type: ignore[arg-type]


def prefect(**deployment: object) -> PrefectStatus:
    d = DeploymentStatus("sweep/hanoi", "hanoi", registered=True,
                         next_run=NOW + dt.timedelta(hours=22))
    for key, value in deployment.items():
        setattr(d, key, value)
    return PrefectStatus("http://127.0.0.1:4200/api", healthy=True, version="3.9.1",
                         deployments=[d])


SMTP_OK = SmtpStatus("127.0.0.1:25 (none)", reachable=True, reply="250 OK")


def codes(p: PlanLedgerHealth | None = None, f: PrefectStatus | None = None,
          s: SmtpStatus = SMTP_OK) -> list[str]:
    report = build_report([p or plan()], f or prefect(), s, NOW)
    return [problem.code for problem in report.problems]


def test_thresholds() -> None:
    assert codes() == []
    assert codes(plan(last_sweep=NOW - dt.timedelta(hours=25, minutes=59))) == []
    assert codes(plan(last_sweep=NOW - dt.timedelta(hours=26, minutes=1))) == ["sweep_stale"]
    assert codes(plan(last_sweep=None, loaded_at=NOW - dt.timedelta(hours=3))) == []
    assert codes(plan(last_sweep=None, loaded_at=NOW - dt.timedelta(hours=27))) == \
        ["sweep_missing"]
    assert codes(plan(oldest_queued=NOW - dt.timedelta(minutes=59))) == []
    assert codes(plan(oldest_queued=NOW - dt.timedelta(minutes=61))) == ["mail_stale"]
    assert codes(f=prefect(next_run=None)) == ["no_upcoming_run"]
    assert codes(f=prefect(next_run=None, expects_runs=False)) == []  # no date left
    assert codes(f=prefect(registered=False)) == ["deployment_missing"]
    assert codes(f=prefect(paused=True)) == ["deployment_paused"]
    assert codes(f=prefect(late_since=NOW - dt.timedelta(minutes=30))) == ["runs_late"]
    assert codes(f=PrefectStatus(None)) == ["prefect_unreachable"]
    assert codes(s=SmtpStatus("x:25", reply="refused")) == ["smtp_unreachable"]


def test_text_is_vietnamese_by_default_times_in_hanoi() -> None:
    report = build_report([plan(oldest_queued=NOW - dt.timedelta(minutes=90),
                                outbox={"queued": 2, "sent": 10, "failed": 1})], prefect(),
                          SMTP_OK, NOW)
    text = render_text(report)
    assert text.startswith("Tình trạng phancong lúc 25/03/2026 10:00 (giờ Hà Nội)")
    assert "Lần rà soát thành công gần nhất: 25/03/2026 08:00 (2 giờ trước)" in text
    assert "Hộp thư đi: chờ gửi 2, đã gửi 10, lỗi 1" in text
    assert "Thư chờ gửi lâu nhất: từ 25/03/2026 08:30 (90 phút)" in text
    assert "sweep/hanoi" in text and "lần tới: 26/03/2026 08:00" in text
    assert "Kết luận: CÓ VẤN ĐỀ (1):" in text
    english = render_text(report, "en")
    assert "Last successful sweep: 25/03/2026 08:00 (2 h ago)" in english
    assert "Verdict: UNHEALTHY (1 problems):" in english
    data = render_json(report, "en")
    assert data["healthy"] is False
    assert data["plans"][0]["oldest_queued_age_minutes"] == 90
    assert data["problems"][0]["code"] == "mail_stale"


def test_the_up_watch_warns_once_and_says_when_it_is_over() -> None:
    answers = [["sweep/hanoi"], ["sweep/hanoi"], [], []]
    watch = SchedulerWatch("http://x/api", ["sweep/hanoi"], started=100.0, first=45.0,
                           every=60.0, check=lambda: answers.pop(0))
    assert watch.poll(144.0) is None
    first = watch.poll(145.0)
    assert first is not None and "sweep/hanoi" in first and "WARNING" in first
    again = watch.poll(205.0)
    assert again is not None and "WARNING" in again  # still broken: said again each minute
    over = watch.poll(265.0)
    assert over is not None and "now has runs" in over
    assert watch.poll(325.0) is None
    assert answers == []


def test_prefect_answering_503_is_retried_then_reported() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(503, json={"exception_message": "database is locked"})

    status = check_prefect("http://prefect.test/api", ["hanoi"], NOW,
                           transport=httpx.MockTransport(handler))
    assert not status.healthy and status.error == "GET /health: HTTP 503"
    assert calls == ["/api/health"] * 4
