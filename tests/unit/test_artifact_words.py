"""The artifacts in a coordinator's words: Vietnamese headers and values (English on request),
times in Asia/Ho_Chi_Minh whatever zone ``as_of`` arrives in, and a cut table that says so."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from phancong.orchestration.artifacts import (
    OVERDUE_COLUMNS,
    headed,
    late_description,
    late_list_url,
    late_rows,
    local_date_text,
    local_time,
    number,
    progress_words,
    summary_markdown,
)

pytestmark = pytest.mark.unit

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SWEEP_0800_UTC = dt.datetime(2026, 3, 25, 1, 0, tzinfo=dt.UTC)  # the 08:00 sweep, in UTC


def row(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "obligation": 7, "agency": "Phường Hoàn Kiếm", "role": "requested",
        "duty": "Tuyên truyền", "citation": "IV.3, bullet 2", "period": "2026-H1",
        "deadline": "16/03/2026", "days_late": 9, "escalation_level": "standing_office",
        "blocked_by": "", "state": "open", "total": 1,
    }
    base.update(changes)
    return base


def test_times_are_shown_in_ho_chi_minh_whatever_zone_they_arrive_in() -> None:
    assert local_time(SWEEP_0800_UTC) == "25/03/2026 08:00"
    assert local_time(SWEEP_0800_UTC.astimezone(HCM)) == "25/03/2026 08:00"
    assert local_time(dt.datetime(2026, 3, 25, 1, 0)) == "25/03/2026 08:00"  # naive is UTC
    # 06:00 in Hà Nội is still the previous day in UTC
    early = dt.datetime(2026, 3, 24, 23, 0, tzinfo=dt.UTC)
    assert local_date_text(early) == "25/03/2026"
    assert f"{early:%d/%m/%Y}" == "24/03/2026"


def test_late_rows_translate_levels_roles_statuses_and_periods() -> None:
    (vi,) = late_rows([row()])
    assert tuple(vi) == OVERDUE_COLUMNS
    assert vi["escalation_level"] == "Thường trực Ban Chỉ đạo"
    assert vi["role"] == "Đề nghị"
    assert vi["status"] == "Quá hạn chưa hoàn thành"
    assert vi["period"] == "6 tháng đầu năm 2026"
    assert vi["citation"] == "Mục IV.3, gạch đầu dòng 2"
    assert vi["days_late"] == 9

    (en,) = late_rows([row()], "en")
    assert (en["escalation_level"], en["role"], en["status"], en["period"]) == (
        "Standing Office", "Requested", "Overdue", "H1 2026")

    levels = {level: late_rows([row(escalation_level=level)])[0]["escalation_level"]
              for level in ("reminder", "overdue", "steering_committee", "—")}
    assert levels == {"reminder": "Nhắc hạn", "overdue": "Thông báo quá hạn",
                      "steering_committee": "Ban Chỉ đạo", "—": "—"}
    assert late_rows([row(role="lead")])[0]["role"] == "Chủ trì"
    assert late_rows([row(state="returned")])[0]["status"] == "Bị trả lại"
    assert late_rows([row(blocked_by="Công an Thành phố")])[0]["status"] == \
        "Đang chờ đơn vị khác"


def test_headers_are_vietnamese_or_english_in_column_order() -> None:
    rows = late_rows([row()])
    (vi,) = headed(rows)
    assert list(vi) == ["Đơn vị", "Vai trò", "Nhiệm vụ", "Căn cứ", "Kỳ báo cáo", "Hạn",
                        "Số ngày quá hạn", "Trạng thái", "Đã đôn đốc đến", "Đang chờ đơn vị"]
    assert vi["Đã đôn đốc đến"] == "Thường trực Ban Chỉ đạo"
    (en,) = headed(late_rows([row()], "en"), "en")
    assert list(en)[:3] == ["Agency", "Role", "Duty"]
    assert en["Escalated to"] == "Standing Office"


def test_a_cut_table_says_how_many_are_shown_and_links_the_full_list() -> None:
    url = late_list_url("https://cong.example/", "hanoi-2026-2030")
    assert url == "https://cong.example/obligations?plan=hanoi-2026-2030&status=late&period="
    cut = late_description(SWEEP_0800_UTC, 1000, 1359, list_url=url)
    assert "25/03/2026 08:00" in cut and "01:00" not in cut
    assert "1.000 / 1.359 được hiển thị" in cut
    assert f"]({url})" in cut
    whole = late_description(SWEEP_0800_UTC, 12, 12, list_url=url)
    assert "được hiển thị" not in whole and url not in whole and whole.endswith(": 12")
    english = late_description(SWEEP_0800_UTC, 1000, 1359, lang="en", list_url=url)
    assert "1,000 of 1,359 shown" in english
    assert number(1359) == "1.359" and number(1359, "en") == "1,359"


def test_summary_shows_the_sweep_in_hanoi_time_and_words() -> None:
    text = summary_markdown("Kế hoạch", SWEEP_0800_UTC, dt.date(2026, 3, 25), [], [],
                            {"reminder": 2, "standing_office": 1260}, 3)
    assert "lúc 25/03/2026 08:00, giờ Hà Nội" in text
    assert "01:00" not in text and "+00:00" not in text
    assert "Nhắc hạn: 2, Thường trực Ban Chỉ đạo: 1.260; thư xếp hàng: 3." in text
    assert "/ agency" not in text  # one language, not both
    english = summary_markdown("Plan", SWEEP_0800_UTC, dt.date(2026, 3, 25), [], [],
                               {"overdue": 1}, 0, lang="en")
    assert "as of 25/03/2026 08:00, Hà Nội time" in english
    assert "This sweep: Overdue notice: 1; emails queued: 0." in english


def test_progress_notes_use_the_same_words() -> None:
    assert progress_words("standing_office: 126") == "Thường trực Ban Chỉ đạo: 126"
    assert progress_words("emails: 3") == "thư xếp hàng: 3"
    assert progress_words("steering_committee: 4", "en") == "Steering Committee: 4"
