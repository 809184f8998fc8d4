"""The status report in words: the text `phancong status` prints (Vietnamese, or English) and
its JSON form, times in Hà Nội."""

from __future__ import annotations

import datetime as dt
from typing import Any

from phancong.orchestration.artifacts import local_time
from phancong.orchestration.health import DeploymentStatus, StatusReport
from phancong.services.health import hours

WORDS: dict[str, tuple[str, str]] = {
    "title": ("Tình trạng phancong lúc {when} (giờ Hà Nội)",
              "phancong status at {when} (Hà Nội time)"),
    "plan": ("Kế hoạch {id}: {title}", "Plan {id}: {title}"),
    "last_sweep": ("  Lần rà soát thành công gần nhất: {when} ({ago})",
                   "  Last successful sweep: {when} ({ago})"),
    "no_sweep": ("  Lần rà soát thành công gần nhất: chưa có", "  Last successful sweep: none yet"),
    "ago": ("{h} giờ trước", "{h} h ago"),
    "from_steps": (", theo bước đôn đốc gần nhất", ", from the last escalation step"),
    "prefect_sweep": ("  Lần chạy rà soát hoàn thành gần nhất trên Prefect: {when}",
                      "  Last completed sweep run in Prefect: {when}"),
    "outbox": ("  Hộp thư đi: {counts}", "  Outbox: {counts}"),
    "oldest": ("  Thư chờ gửi lâu nhất: từ {when} ({minutes} phút)",
               "  Oldest queued email: since {when} ({minutes} min)"),
    "deployments": ("  Lịch chạy:", "  Schedules:"),
    "shared": ("Dùng chung", "Shared"),
    "next": ("    {name:32} lần tới: {when}", "    {name:32} next: {when}"),
    "none": ("không có", "none"),
    "not_registered": ("chưa đăng ký", "not registered"),
    "paused": ("tạm dừng", "paused"),
    "finished": ("đã hết lịch", "no date left"),
    "prefect": ("Prefect: {url} — {state}", "Prefect: {url} — {state}"),
    "prefect_missing": ("Prefect: không tìm thấy máy chủ", "Prefect: no server found"),
    "prefect_ok": ("hoạt động (phiên bản {version})", "healthy (version {version})"),
    "prefect_bad": ("KHÔNG trả lời: {error}", "NOT answering: {error}"),
    "smtp": ("Máy chủ thư: {target} — {state}", "Mail server: {target} — {state}"),
    "smtp_unchecked": ("Máy chủ thư: {state}", "Mail server: {state}"),
    "smtp_ok": ("kết nối được ({reply})", "reachable ({reply})"),
    "smtp_bad": ("KHÔNG kết nối được: {reply}", "NOT reachable: {reply}"),
    "smtp_skipped": ("không kiểm tra ({why})", "not checked ({why})"),
    "healthy": ("Kết luận: hoạt động bình thường.", "Verdict: healthy."),
    "unhealthy": ("Kết luận: CÓ VẤN ĐỀ ({n}):", "Verdict: UNHEALTHY ({n} problems):"),
}


STATE_WORDS = {"queued": ("chờ gửi", "queued"), "sent": ("đã gửi", "sent"),
               "failed": ("lỗi", "failed")}


def _w(key: str, lang: str, **values: object) -> str:
    vi, en = WORDS[key]
    return (en if lang == "en" else vi).format(**values)


def _deployment_line(d: DeploymentStatus, lang: str) -> str:
    if not d.registered:
        when = _w("not_registered", lang)
    elif d.paused:
        when = _w("paused", lang)
    elif d.next_run is not None:
        when = local_time(d.next_run)
    elif not d.expects_runs:
        when = _w("finished", lang)
    else:
        when = _w("none", lang)
    return _w("next", lang, name=d.name, when=when)


def render_text(report: StatusReport, lang: str = "vi") -> str:
    now = report.checked_at
    out = [_w("title", lang, when=local_time(now)), ""]
    by_plan: dict[str | None, list[DeploymentStatus]] = {}
    for d in report.prefect.deployments:
        by_plan.setdefault(d.plan_id, []).append(d)
    for plan in report.plans:
        out.append(_w("plan", lang, id=plan.plan_id, title=plan.title))
        if plan.last_sweep is None:
            out.append(_w("no_sweep", lang))
        else:
            ago = _w("ago", lang, h=hours(now - plan.last_sweep))
            if plan.last_sweep_source == "escalations":
                ago += _w("from_steps", lang)
            out.append(_w("last_sweep", lang, when=local_time(plan.last_sweep), ago=ago))
        sweep = next((d for d in by_plan.get(plan.plan_id, []) if d.name.startswith("sweep/")),
                     None)
        if sweep is not None and sweep.last_completed is not None:
            out.append(_w("prefect_sweep", lang, when=local_time(sweep.last_completed)))
        counts = ", ".join(
            f"{STATE_WORDS.get(state, (state, state))[1 if lang == 'en' else 0]} {n}"
            for state, n in plan.outbox.items())
        out.append(_w("outbox", lang, counts=counts))
        if plan.oldest_queued is not None:
            minutes = int((now - plan.oldest_queued).total_seconds() // 60)
            out.append(_w("oldest", lang, when=local_time(plan.oldest_queued), minutes=minutes))
        if plan.placeholder_units:
            out.append(
                f"  Lưu ý: {plan.placeholder_units} đơn vị chưa có địa chỉ email thật (chỉ có địa "
                f"chỉ mẫu *.example hoặc trống): cập nhật bằng `phancong units import-contacts` "
                f"hoặc trang Đơn vị, email"
                if lang != "en" else
                f"  Note: {plan.placeholder_units} units have no real email address (placeholder "
                f"*.example or none): set them with `phancong units import-contacts` or the "
                f"portal's unit contacts page")
        if report.prefect.healthy:
            out.append(_w("deployments", lang))
            out += [_deployment_line(d, lang) for d in by_plan.get(plan.plan_id, [])]
        out.append("")
    if report.prefect.healthy and by_plan.get(None):
        out.append(_w("shared", lang))
        out += [_deployment_line(d, lang) for d in by_plan[None]]
        out.append("")
    prefect = report.prefect
    state = (_w("prefect_ok", lang, version=prefect.version or "?") if prefect.healthy
             else _w("prefect_bad", lang, error=prefect.error))
    if prefect.api_url is None:
        out.append(_w("prefect_missing", lang))
    else:
        out.append(_w("prefect", lang, url=prefect.api_url, state=state))
    smtp = report.smtp
    if smtp.skipped:
        smtp_state = _w("smtp_skipped", lang, why=smtp.skipped)
    elif smtp.reachable:
        smtp_state = _w("smtp_ok", lang, reply=smtp.reply)
    else:
        smtp_state = _w("smtp_bad", lang, reply=smtp.reply)
    if smtp.target:
        out.append(_w("smtp", lang, target=smtp.target, state=smtp_state))
    else:
        out.append(_w("smtp_unchecked", lang, state=smtp_state))
    out.append("")
    if report.healthy:
        out.append(_w("healthy", lang))
    else:
        out.append(_w("unhealthy", lang, n=len(report.problems)))
        out += [f"  - {p.text(lang)}" for p in report.problems]
    return "\n".join(out) + "\n"


def _stamp(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def render_json(report: StatusReport, lang: str = "vi") -> dict[str, Any]:
    """For machines: instants in ISO 8601 UTC, problems with a code and a message."""
    now = report.checked_at
    return {
        "healthy": report.healthy,
        "checked_at": _stamp(now),
        "plans": [{
            "id": p.plan_id, "title": p.title,
            "last_sweep": _stamp(p.last_sweep), "last_sweep_as_of": _stamp(p.last_sweep_as_of),
            "last_sweep_source": p.last_sweep_source,
            "last_sweep_age_hours": (round((now - p.last_sweep).total_seconds() / 3600, 2)
                                     if p.last_sweep else None),
            "outbox": p.outbox,
            "placeholder_units": p.placeholder_units,
            "oldest_queued": _stamp(p.oldest_queued),
            "oldest_queued_age_minutes": (int((now - p.oldest_queued).total_seconds() // 60)
                                          if p.oldest_queued else None),
        } for p in report.plans],
        "prefect": {
            "api_url": report.prefect.api_url, "healthy": report.prefect.healthy,
            "version": report.prefect.version, "error": report.prefect.error,
            "deployments": [{
                "name": d.name, "plan": d.plan_id, "registered": d.registered,
                "paused": d.paused, "expects_runs": d.expects_runs,
                "next_run": _stamp(d.next_run), "late_since": _stamp(d.late_since),
                "last_completed": _stamp(d.last_completed),
            } for d in report.prefect.deployments],
        },
        "smtp": {"target": report.smtp.target, "reachable": report.smtp.reachable,
                 "reply": report.smtp.reply, "skipped": report.smtp.skipped},
        "problems": [{"code": p.code, "plan": p.plan_id, "message": p.text(lang)}
                     for p in report.problems],
    }
