"""A first draft from a plan's own text: header, duties, roles, cadences, guesses, encodings."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from docx import Document
from typer.testing import CliRunner

from phancong.adapters.loader import load, parse
from phancong.authoring.draft_model import Draft, draft_yaml
from phancong.authoring.draft_plan import draft
from phancong.authoring.draft_read import read_document
from phancong.authoring.score import score
from phancong.cli import app
from phancong.domain.citation import fmt_citation
from phancong.domain.plan import Plan
from tests.helpers import HAIDUONG, HAIDUONG_SEED, HANOI, HANOI_SEED, ROOT

pytestmark = pytest.mark.unit

TEXT = ROOT / "tests" / "data" / "draft-plan-danang.txt"


def _draft(path: Path) -> Draft:
    return draft(read_document(path))


def _duty(result: Draft, source: str) -> dict[str, Any]:
    return next(d for d in result.data["duties"] if d["source"] == source)


def test_header_of_the_plan() -> None:
    plan = _draft(TEXT).data["plan"]
    assert plan["number"] == "45/KH-UBND"
    assert plan["issued"] == "2026-01-10"
    assert plan["issuer"] == "UBND Thành phố Đà Nẵng"
    assert plan["title"].startswith("Kế hoạch phòng, chống dịch bệnh truyền nhiễm")
    assert plan["period"] == {"start": "2026-01-10", "end": "2027-12-31"}
    assert plan["standing_office"] == "so-y-te"  # "… về Sở Y tế, Cơ quan Thường trực Ban Chỉ đạo"


def test_duties_roles_and_cadences() -> None:
    result = _draft(TEXT)
    sources = [d["source"] for d in result.data["duties"]]
    assert sources == [
        "II.1, item a", "II.1, item b", "II.2, item a", "II.2, item b",
        "III.1, bullet 1", "III.1, bullet 2", "III.2, bullet 1", "III.3",
        "III.4, bullet 1", "III.4, bullet 2", "IV.1", "IV.1",
    ]  # fmt: skip
    a = _duty(result, "II.1, item a")  # "* Giao Sở Y tế chủ trì, phối hợp với …" / "* Đề nghị …"
    assert a["lead"] == ["so-y-te"]
    assert a["supporting"] == ["so-tai-chinh", "cong-an"]  # "các đơn vị liên quan" names nobody
    assert a["requested"] == ["mttq"]
    assert a["cadence"] == {"kind": "once", "due": "2026-03-31"}
    assert "trước ngày 31/3/2026" in a["assumption"]
    assert _duty(result, "II.1, item b")["cadence"]["only"] == [12]  # tháng 12 hằng năm
    assert _duty(result, "II.2, item b")["cadence"] == {"kind": "semiannual"}
    assert _duty(result, "II.2, item a")["lead"] == ["can-dien-chu-tri"]
    school = _duty(result, "III.1, bullet 2")
    assert school["cadence"] == {
        "kind": "monthly", "only": [5], "deadline": {"day": 15, "anchor": "last_month"}
    }  # fmt: skip
    assert _duty(result, "III.1, bullet 1")["supporting"] == ["so-y-te"]
    court = _duty(result, "III.3")  # "3. Đề nghị Viện Kiểm sát nhân dân, Tòa án nhân dân …"
    assert court["lead"] == ["vks", "tand"] and court["owner_role"] == "requested"
    assert court["supporting"] == ["cong-an"]
    wards = _duty(result, "III.4, bullet 2")
    assert wards["lead"] == ["xa-phuong"] and wards["cadence"]["due"] == "2026-06-30"
    report, consolidated = [d for d in result.data["duties"] if d["source"] == "IV.1"]
    assert (
        report["lead"] == ["so-ban-nganh", "xa-phuong"] and report["cadence"]["kind"] == "periodic"
    )
    assert consolidated["lead"] == ["so-y-te"] and consolidated["depends_on"] == [report["id"]]
    assert all(d["assumption"] for d in result.data["duties"])
    group = next(g for g in result.data["groups"] if g["id"] == "xa-phuong")
    assert group["wards_of"] == {"province_code": 48}  # Đà Nẵng, from vietnam-provinces
    calendar = {e["id"]: e["cadence"] for e in result.data["reporting_calendar"]}
    assert calendar["quy"]["only"] == [1, 3] and calendar["quy"]["deadline"]["day"] == 20
    assert any("II.2, item a" in item for item in result.to_fill)


def test_the_draft_validates_and_can_be_read_back() -> None:
    result = _draft(TEXT)
    plan = parse(draft_yaml(result, TEXT.name), "draft.yaml")
    assert len(plan.duties) == len(result.data["duties"])
    assert plan.plan.standing_office == "so-y-te"


@pytest.mark.parametrize("variant", ["nfd", "bom", "crlf", "all"])
def test_encodings_give_the_same_draft(variant: str, tmp_path: Path) -> None:
    text = TEXT.read_text(encoding="utf-8")
    if variant in ("nfd", "all"):
        text = unicodedata.normalize("NFD", text)
    if variant in ("crlf", "all"):
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if variant in ("bom", "all"):
        data = b"\xef\xbb\xbf" + data
    path = tmp_path / "plan.txt"
    path.write_bytes(data)
    assert _draft(path).data == _draft(TEXT).data


def test_docx_gives_the_same_draft(tmp_path: Path) -> None:
    document = Document()
    for line in TEXT.read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line)
    path = tmp_path / "plan.docx"
    document.save(str(path))
    assert _draft(path).data == _draft(TEXT).data


def test_groups_the_text_cannot_list_are_placeholders_to_fill_in(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(
        "Số: 12/KH-CAT\n\nKẾ HOẠCH\n\nBảo đảm an ninh (Giai đoạn 2026-2026)\n\n"
        "Công an tỉnh Nam Hà xây dựng kế hoạch như sau:\n\nI. NHIỆM VỤ\n\n1. Tuần tra\n\n"
        "a) Tuần tra ban đêm.\n\n* Giao PC06 chủ trì phối hợp với Công an các huyện, thị xã,"
        " thành phố thực hiện.\n\n* Đề nghị UBND các xã, phường phối hợp.\n",
        encoding="utf-8",
    )
    result = _draft(path)
    duty = result.data["duties"][0]
    assert duty["lead"] == ["pc06"] and duty["supporting"] == ["ca-cap-huyen"]
    assert duty["requested"] == ["xa-phuong"]  # a police plan cannot command the communes
    groups = {g["id"]: g for g in result.data["groups"]}
    assert groups["ca-cap-huyen"]["members"] == ["ca-cap-huyen-can-dien"]
    assert groups["xa-phuong"]["members"] == ["xa-phuong-can-dien"]  # no province found
    assert any("Công an các huyện, thị xã, thành phố" in item for item in result.to_fill)
    assert parse(draft_yaml(result, "x"), "x").plan.issuer == "Công an tỉnh Nam Hà"


def test_draft_command(tmp_path: Path) -> None:
    out = tmp_path / "draft.yaml"
    result = CliRunner().invoke(app, ["plan", "draft", str(TEXT), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "12 nhiệm vụ" in result.output and "Cần điền:" in result.output
    assert "II.2, item a" in result.output and "Bản nháp hợp lệ" in result.output
    assert load(out).plan.number == "45/KH-UBND"
    missing = CliRunner().invoke(
        app, ["plan", "draft", str(tmp_path / "nope.txt"), "--out", str(out)]
    )
    assert missing.exit_code == 2 and "không tìm thấy" in missing.output


def test_score_of_a_plan_against_itself_and_a_changed_copy() -> None:
    plan = load(HAIDUONG)
    perfect = score(plan, plan)
    assert all(perfect.share(m) == 1.0 for m in perfect.hits)
    duties = list(plan.duties)
    duties[0] = duties[0].model_copy(update={"lead": ("pv01",), "source": "II.9, item z"})
    changed = score(Plan.model_validate({**plan.model_dump(), "duties": duties}), plan)
    assert (
        changed.hits["citation"] == changed.total - 1 and changed.hits["lead"] == changed.total - 1
    )


@pytest.mark.parametrize(
    ("seed", "reference"),
    [(HANOI_SEED, HANOI), (HAIDUONG_SEED, HAIDUONG)],
    ids=["hanoi", "haiduong"],
)
def test_drafts_of_the_seeds_meet_the_targets(seed: Path, reference: Path) -> None:
    if not seed.exists():
        pytest.skip(f"{seed} is not on this machine")
    drafted = parse(draft_yaml(_draft(seed), seed.name), "draft.yaml")
    result = score(drafted, load(reference))
    assert result.share("citation") >= 0.90, result.table()
    assert result.share("lead") >= 0.80, result.table()
    assert result.share("supporting") >= 0.70, result.table()
    assert result.share("requested") >= 0.70, result.table()
    assert drafted.plan.period.start.year == load(reference).plan.period.start.year
    assert isinstance(drafted.plan.period.end, dt.date)


def test_roles_written_as_fields_and_quarter_or_month_deadlines(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(
        "Số: 08/KH-UBND\n\nCần Thơ, ngày 05 tháng 02 năm 2026\n\nKẾ HOẠCH\n\nChuyển đổi số năm 2026\n\n"
        "UBND Thành phố Cần Thơ ban hành Kế hoạch như sau:\n\nI. NHIỆM VỤ VÀ GIẢI PHÁP\n\n"
        "1. Rà soát thủ tục hành chính trực tuyến (Cơ quan chủ trì: Sở Nội vụ; cơ quan phối hợp:"
        " Sở Tư pháp, Công an Thành phố; thời gian hoàn thành: Quý II/2026).\n\n2. Hạ tầng số\n\n"
        "- Nâng cấp trung tâm dữ liệu. Đơn vị chủ trì: Sở Khoa học và Công nghệ; đơn vị phối hợp:"
        " Sở Tài chính; thời gian: tháng 9/2026.\n\n- Đào tạo kỹ năng số cho cán bộ cấp xã."
        " Cơ quan chủ trì: UBND các xã, phường; thời gian: hằng quý.\n",
        encoding="utf-8",
    )
    result = _draft(path)
    first = _duty(result, "I.1")
    assert first["lead"] == ["so-noi-vu"] and first["supporting"] == ["so-tu-phap", "cong-an"]
    assert first["cadence"] == {"kind": "once", "due": "2026-06-30"}
    assert "Cơ quan chủ trì: Sở Nội vụ" in first["assumption"]
    data = _duty(result, "I.2, bullet 1")
    assert data["lead"] == ["so-khcn"] and data["cadence"]["due"] == "2026-09-30"
    wards = _duty(result, "I.2, bullet 2")
    assert wards["lead"] == ["xa-phuong"] and wards["cadence"] == {"kind": "quarterly"}
    plan = parse(draft_yaml(result, path.name), "draft.yaml")
    # no "giai đoạn": the year of issue is assumed, and said so
    assert (plan.plan.period.start, plan.plan.period.end) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
    )
    assert any("assumed to cover 2026" in note for note in result.notes)
    assert next(g for g in plan.groups if g.id == "xa-phuong").wards_of is not None  # Cần Thơ


def test_citations_in_another_style_score_the_same() -> None:
    """A draft citing 'Mục II.1, điểm a' finds the duty cited 'II.1, item a': both sides are read
    into the stored form by parse_citation before they are compared."""
    plan = load(HAIDUONG)
    data = plan.model_dump(mode="json")
    for duty in data["duties"]:
        duty["source"] = fmt_citation(duty["source"])  # 'Mục II.1, điểm a', 'Mục III.5, đoạn 2'
    assert data["duties"][0]["source"] == "Mục II.1, điểm a"
    restyled = parse(yaml.safe_dump(data, allow_unicode=True), "restyled.yaml")
    result = score(restyled, plan)
    assert result.hits["citation"] == result.total


def test_a_drafted_group_with_the_reference_groups_members_is_that_group() -> None:
    plan = load(HANOI)
    data = plan.model_dump(mode="json")
    front = next(g for g in data["groups"] if g["id"] == "mat-tran-doan-the")
    front.update(id="doan-the", name="Các tổ chức chính trị - xã hội")  # no word in common
    for duty in data["duties"]:
        duty["requested"] = [
            "doan-the" if r == "mat-tran-doan-the" else r for r in duty["requested"]
        ]
    renamed = parse(yaml.safe_dump(data, allow_unicode=True), "renamed.yaml")
    assert score(renamed, plan).hits["requested"] == len(plan.duties)
    front["members"] = front["members"][:-1]  # another set of bodies is another group
    fewer = parse(yaml.safe_dump(data, allow_unicode=True), "fewer.yaml")
    uses = sum("mat-tran-doan-the" in d.requested for d in plan.duties)
    assert uses > 0 and score(fewer, plan).hits["requested"] == len(plan.duties) - uses
