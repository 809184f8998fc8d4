"""Rules of the draft reader, each on a plan text written for the tests (not one of the seeds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from phancong.adapters.loader import parse
from phancong.authoring.draft_model import Draft, draft_yaml
from phancong.authoring.draft_plan import draft
from phancong.authoring.draft_read import read_document

pytestmark = pytest.mark.unit

HEAD = (
    "Số: 21/KH-UBND\n\nCần Thơ, ngày 02 tháng 02 năm 2026\n\nKẾ HOẠCH\n\n"
    "Phòng, chống bạo lực học đường (Giai đoạn 2026 - 2027)\n\n"
    "UBND Thành phố Cần Thơ ban hành Kế hoạch như sau:\n\n"
)
CALENDAR = (
    "\n\nV. TỔ CHỨC THỰC HIỆN\n\n1. Các sở, ban, ngành, UBND các xã, phường định kỳ hằng quý"
    " (trước ngày 20/3), 06 tháng (trước ngày 20/6), 01 năm (trước ngày 20/12) báo cáo kết quả"
    " thực hiện về Sở Giáo dục và Đào tạo, Cơ quan Thường trực Ban Chỉ đạo để tổng hợp, báo cáo"
    " UBND Thành phố.\n"
)


def _draft(body: str, tmp_path: Path) -> Draft:
    path = tmp_path / "plan.txt"
    path.write_text(HEAD + body + CALENDAR, encoding="utf-8")
    result = draft(read_document(path))
    parse(draft_yaml(result, path.name), "draft.yaml")  # every draft here is a valid plan
    return result


def _at(result: Draft, source: str) -> list[dict[str, Any]]:
    return [d for d in result.data["duties"] if d["source"] == source]


def test_named_observances_are_yearly_duties_of_their_own(tmp_path: Path) -> None:
    result = _draft(
        "III. NHIỆM VỤ TRỌNG TÂM\n\n1. Tuyên truyền\n\n"
        "1.1. Tổ chức “Ngày Pháp luật” và “Tháng hành động phòng, chống ma túy” tại các trường"
        " học; huy động nguồn lực xã hội.\n\n"
        "2. Phòng ngừa\n\na) Tuần tra quanh trường học. Phối hợp triển khai “Tháng hành động vì"
        " trẻ em”.\n\n* Giao Công an Thành phố chủ trì, phối hợp với Sở Y tế thực hiện.\n",
        tmp_path,
    )
    # a paragraph naming no body: one duty per observance, its lead to be filled in
    law_day, drugs_month = _at(result, "III.1.1")
    assert law_day["cadence"] == {"kind": "yearly", "deadline": {"day": 9, "month": 11}}
    assert drugs_month["cadence"] == {"kind": "yearly", "deadline": {"day": 31, "month": 6}}
    assert law_day["lead"] == ["can-dien-chu-tri"] and "every June" in drugs_month["assumption"]
    assert any("III.1.1" in item for item in result.to_fill)
    # an item of a group: the item itself, and the observance with the group's roles
    item, month = _at(result, "III.2, item a")
    assert item["cadence"] == {"kind": "periodic"}
    assert month["title"].startswith("Tổ chức «Tháng hành động vì trẻ em»")
    assert (month["lead"], month["supporting"]) == (["cong-an"], ["so-y-te"])
    assert month["cadence"]["deadline"] == {"day": 31, "month": 6}


def test_a_sentence_opening_with_its_own_period_is_a_duty_of_its_own(tmp_path: Path) -> None:
    result = _draft(
        "IV. PHÂN CÔNG TRÁCH NHIỆM\n\n1. Sở Giáo dục và Đào tạo\n\n"
        "- Theo dõi, đôn đốc các trường học thực hiện Kế hoạch. Định kỳ hằng năm tổ chức sơ"
        " kết việc thực hiện.\n\n- Tập huấn cho giáo viên về kỹ năng phòng, chống bạo lực.\n",
        tmp_path,
    )
    follow, review = _at(result, "IV.1, bullet 1")
    assert follow["text"] == "Theo dõi, đôn đốc các trường học thực hiện Kế hoạch."
    assert follow["cadence"] == {"kind": "periodic"}  # not the next sentence's "hằng năm"
    assert review["text"].startswith("Định kỳ hằng năm") and review["cadence"]["kind"] == "yearly"
    assert follow["lead"] == review["lead"] == ["so-gddt"]
    assert len(_at(result, "IV.1, bullet 2")) == 1


def test_a_heading_body_that_directs_another_owns_the_duty(tmp_path: Path) -> None:
    result = _draft(
        "IV. PHÂN CÔNG TRÁCH NHIỆM\n\n1. Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam Thành phố\n\n"
        "- Vận động Nhân dân tham gia phòng ngừa bạo lực học đường.\n\n"
        "- Chỉ đạo Hội Liên hiệp Phụ nữ Thành phố duy trì mô hình “Mẹ đỡ đầu”.\n\n"
        "2. Sở Giáo dục và Đào tạo\n\n- Chỉ đạo Công an Thành phố phối hợp kiểm tra an ninh"
        " trường học.\n",
        tmp_path,
    )
    (women,) = _at(result, "IV.1, bullet 2")
    assert women["lead"] == ["mttq"] and women["owner_role"] == "requested"
    assert women["requested"] == ["hoi-phu-nu"]  # the Women's Union is outside the command
    assert "directs it" in women["assumption"]
    (police,) = _at(result, "IV.2, bullet 1")
    assert police["lead"] == ["so-gddt"] and police["supporting"] == ["cong-an"]


def test_core_forces_named_mid_sentence_lead(tmp_path: Path) -> None:
    result = _draft(
        "III. NHIỆM VỤ TRỌNG TÂM\n\n1. Hỗ trợ trẻ em\n\n"
        "1.1. Xây dựng mô hình hỗ trợ học sinh, trong đó lực lượng Công an - Y tế - Văn hóa xã"
        " hội là nòng cốt triển khai tại cộng đồng.\n\n"
        "1.2. Quán triệt vai trò của lực lượng Công an là nòng cốt trong phòng ngừa.\n",
        tmp_path,
    )
    (core,) = _at(result, "III.1.1")
    assert core["lead"] == ["cong-an", "so-y-te", "xa-phuong"]  # the communes' culture offices
    assert "Phòng Văn hóa – Xã hội of every commune" in core["assumption"]
    group = next(g for g in result.data["groups"] if g["id"] == "xa-phuong")
    assert group["wards_of"]["province_code"] > 0  # every ward of Cần Thơ
    assert _at(result, "III.1.2") == []  # a body's role described, not a duty given


def test_owners_after_an_opening_circumstance_and_their_consolidation(tmp_path: Path) -> None:
    result = _draft(
        "III. PHÂN CÔNG TRÁCH NHIỆM\n\n1. Sở Y tế\n\n- Khám sức khỏe cho học sinh.\n\n"
        "IV. KIẾN NGHỊ\n\n1. Quá trình thực hiện nếu có khó khăn, vướng mắc, Sở Y tế, UBND các xã,"
        " phường kịp thời báo cáo về UBND Thành phố (qua Sở Giáo dục và Đào tạo, Cơ quan Thường"
        " trực Ban Chỉ đạo) để tổng hợp, tham mưu giải quyết.\n",
        tmp_path,
    )
    report, consolidation = _at(result, "IV.1")
    assert report["lead"] == ["so-y-te", "xa-phuong"]
    # "kịp thời báo cáo": each difficulty reported as it arises (event-triggered), so the
    # consolidation cannot wait on a period of it: it stays periodic, waiting on nothing
    assert report["cadence"] == {"kind": "on_event", "within": 3}
    assert consolidation["lead"] == ["so-gddt"] and consolidation["depends_on"] == []
    assert consolidation["cadence"] == {"kind": "periodic"}
    assert "one by one" in consolidation["assumption"]


def test_an_assigning_paragraph_after_a_numbered_one_is_cited_as_its_own(tmp_path: Path) -> None:
    result = _draft(
        "IV. TỔ CHỨC\n\n1. Các trường học thực hiện nghiêm Kế hoạch này.\n\n"
        "Giao Sở Tư pháp là đơn vị thường trực giúp UBND Thành phố theo dõi, đôn đốc việc thực"
        " hiện của các đơn vị.\n\n"
        "Các trường báo cáo khi có vụ việc.\n\nGiao Sở Nội vụ theo dõi công tác thi đua.\n",
        tmp_path,
    )
    (office,) = _at(result, "IV.1, paragraph 2")
    assert office["lead"] == ["so-tu-phap"] and office["cadence"] == {"kind": "periodic"}
    (emulation,) = _at(result, "IV.1, paragraph 4")  # paragraphs are counted as written
    assert emulation["lead"] == ["so-noi-vu"]


def test_a_paragraph_asking_several_products_is_one_duty_per_product(tmp_path: Path) -> None:
    result = _draft(
        "III. NHIỆM VỤ TRỌNG TÂM\n\n1. Chỉ đạo, điều hành\n\n"
        "1.1. Kiện toàn Tổ công tác liên ngành; xây dựng Quy chế phối hợp, duy trì họp giao ban,"
        " ra thông báo kết quả 06 tháng, năm. Ban Chỉ đạo Thành phố ban hành Hướng dẫn tiếp"
        " nhận tin báo cho các trường học.\n\n"
        "1.2. Tăng cường nắm tình hình, duy trì giao ban định kỳ.\n",
        tmp_path,
    )
    duties = _at(result, "III.1.1")
    assert [d["text"] for d in duties] == [
        "Kiện toàn Tổ công tác liên ngành",
        "xây dựng Quy chế phối hợp",
        "ra thông báo kết quả 06 tháng, năm",  # not "duy trì họp giao ban": no product
        "Ban Chỉ đạo Thành phố ban hành Hướng dẫn tiếp nhận tin báo cho các trường học",
    ]
    assert [d["lead"] for d in duties] == [["can-dien-chu-tri"]] * 3 + [["bcd"]]
    assert all("products the paragraph asks" in d["assumption"] for d in duties)
    assert _at(result, "III.1.2") == []  # activities only, no product


def test_front_and_unions_beside_the_departments_are_requested(tmp_path: Path) -> None:
    result = _draft(
        "III. PHÂN CÔNG TRÁCH NHIỆM\n\n1. Ủy ban Mặt trận Tổ quốc Việt Nam Thành phố\n\n"
        "- Vận động Nhân dân.\n\n2. Thành đoàn Cần Thơ\n\n- Tổ chức diễn đàn trẻ em.\n\n"
        "IV. CHẾ ĐỘ BÁO CÁO\n\n1. Các Sở, ban, ngành, tổ chức, đoàn thể, UBND các xã, phường xây"
        " dựng kế hoạch thực hiện. Định kỳ 06 tháng (trước ngày 15/6), 01 năm (trước ngày 15/12)"
        " các đơn vị báo cáo kết quả.\n",
        tmp_path,
    )
    plan, report = _at(result, "IV.1")[:2]
    assert plan["lead"] == ["so-ban-nganh", "xa-phuong"]
    assert plan["requested"] == ["mat-tran-doan-the"]
    assert report["requested"] == ["mat-tran-doan-the"]  # the next sentence's owners are the same
    group = next(g for g in result.data["groups"] if g["id"] == "mat-tran-doan-the")
    assert group["members"] == ["mttq", "doan-thanh-nien"]  # every Front body the plan names
    assert any("Fatherland Front" in note for note in result.notes)


def test_event_reports_are_drafted_as_on_event(tmp_path: Path) -> None:
    result = _draft(
        "III. NHIỆM VỤ TRỌNG TÂM\n\n"
        "1. Công an Thành phố thực hiện chế độ báo cáo kịp thời về các vụ việc xâm hại trẻ em"
        " trên địa bàn.\n\n"
        "2. Sở Y tế kịp thời báo cáo những khó khăn, vướng mắc trong quá trình thực hiện.\n\n"
        "3. UBND các xã, phường báo cáo ngay trong vòng 24 giờ khi phát hiện sự việc.\n\n"
        "4. Sở Tư pháp báo cáo kịp thời trong thời hạn 05 ngày kể từ khi có yêu cầu.\n",
        tmp_path,
    )
    (incident,) = _at(result, "III.1")
    (difficulty,) = _at(result, "III.2")
    (hours,) = _at(result, "III.3")
    (days,) = _at(result, "III.4")
    # no time in the text: an incident within 1 working day, anything else 3 (said as a guess)
    assert incident["cadence"] == {"kind": "on_event", "within": 1}
    assert difficulty["cadence"] == {"kind": "on_event", "within": 3}
    assert "báo cáo kịp thời" in incident["assumption"]
    # 24 hours: 1 working day; "05 ngày": 5 calendar days
    assert hours["cadence"] == {"kind": "on_event", "within": 1}
    assert days["cadence"] == {"kind": "on_event", "within": 5, "day_count": "calendar"}


def test_a_directive_until_revoked_has_no_end(tmp_path: Path) -> None:
    path = tmp_path / "chi-thi.txt"
    path.write_text(
        "Số: 05/CT-UBND\n\nQuảng Ninh, ngày 10 tháng 3 năm 2026\n\nCHỈ THỊ\n\n"
        "Về tăng cường phòng, chống xâm hại trẻ em\n\n"
        "Chủ tịch UBND tỉnh Quảng Ninh chỉ thị:\n\nII. NHIỆM VỤ, GIẢI PHÁP\n\n"
        "1. Công an tỉnh chủ trì, phối hợp với Sở Y tế kịp thời báo cáo các vụ việc xâm hại"
        " trẻ em.\n\n"
        "2. Sở Giáo dục và Đào tạo định kỳ hằng quý báo cáo kết quả thực hiện.\n\n"
        "Chỉ thị này có hiệu lực kể từ ngày ký cho đến khi có văn bản thay thế.\n",
        encoding="utf-8",
    )
    result = draft(read_document(path))
    plan = parse(draft_yaml(result, path.name), "draft.yaml")
    assert plan.plan.period.end is None
    assert plan.plan.period.start.isoformat() == "2026-03-10"
    assert any("until revoked" in note for note in result.notes)
    kinds = {d.cadence.kind for d in plan.duties}
    assert "on_event" in kinds and "quarterly" in kinds
