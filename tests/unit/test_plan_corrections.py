"""Issue 15: both plans exactly as written. Each corrected duty is checked against the seed text
it cites (citation, owners, roles, cadence, deadline), consolidations fall due after their
inputs, and "trước ngày 15/3" is the last working day before the 15th."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

import pytest
from typer.testing import CliRunner

from phancong.adapters.loader import directory, load
from phancong.adapters.seed import read
from phancong.cli import app
from phancong.domain.cadence import Anchor, CadenceKind, DeadlineRule, HolidayPolicy
from phancong.domain.calendar import (
    Period,
    apply_policy,
    duty_occurrences,
    inputs_deadline,
    is_working_day,
    nominal_deadline,
    previous_working_day,
)
from phancong.domain.plan import Duty, Plan, Role
from phancong.orchestration.deployments import consolidation_dates, consolidation_runs
from tests.helpers import HAIDUONG, HAIDUONG_SEED, HANOI, HANOI_SEED

pytestmark = pytest.mark.unit


@cache
def hanoi() -> Plan:
    return load(HANOI)


@cache
def haiduong() -> Plan:
    return load(HAIDUONG)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("*", "")).strip()


@cache
def seed_paragraphs(which: str) -> dict[str, str]:
    """Citation → text of that paragraph of the seed (page breaks joined)."""
    path = HANOI_SEED if which == "hanoi" else HAIDUONG_SEED
    return {p.citation: _flat(p.text) for p in read(path)}


def seed_text(which: str) -> str:
    return _flat((HANOI_SEED if which == "hanoi" else HAIDUONG_SEED).read_text(encoding="utf-8"))


def cited(plan: Plan, citation: str) -> list[Duty]:
    return [d for d in plan.duties if d.source == citation]


def units(plan: Plan, refs: tuple[str, ...]) -> set[str]:
    d = directory(plan)
    return {u for ref in refs for u in d.expand(ref)}


# ----------------------------------------------------------------------- the deadline rule


def test_deadline_before_date_moves_to_previous_working_day() -> None:
    q1 = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31), "2026-Q1", CadenceKind.QUARTERLY)
    before_15th = DeadlineRule(day=15, anchor=Anchor.LAST_MONTH, before=True,
                               holiday_policy=HolidayPolicy.PREVIOUS_WORKING_DAY)
    nominal = nominal_deadline(q1, before_15th)
    assert nominal == dt.date(2026, 3, 14)  # "trước ngày 15/3": the 14th is the last day allowed
    assert apply_policy(nominal, HolidayPolicy.PREVIOUS_WORKING_DAY) == dt.date(2026, 3, 13)
    # the same date under the other policies
    assert apply_policy(nominal, HolidayPolicy.NEXT_WORKING_DAY) == dt.date(2026, 3, 16)
    assert apply_policy(nominal, HolidayPolicy.KEEP) == nominal


def test_deadline_before_date_defaults_to_previous_working_day_and_never_moves_forward() -> None:
    from pydantic import ValidationError

    plan = hanoi()
    data = plan.model_dump(mode="python")
    for entry in data["reporting_calendar"]:  # 'before' alone, the plan's policy moving forward
        entry["cadence"]["deadline"]["holiday_policy"] = None
    assert data["plan"]["holiday_policy"] == HolidayPolicy.NEXT_WORKING_DAY
    again = Plan.model_validate(data)
    dues = duty_occurrences(again, again.duty("v-1-bao-cao"))
    assert dues[0].effective == dt.date(2026, 3, 13)
    with pytest.raises(ValidationError, match="cannot move to the next working day"):
        DeadlineRule(day=15, before=True, holiday_policy=HolidayPolicy.NEXT_WORKING_DAY)


def test_previous_working_day_skips_tet_and_public_holidays() -> None:
    assert previous_working_day(dt.date(2026, 2, 20)) == dt.date(2026, 2, 13)  # Tết Bính Ngọ
    assert previous_working_day(dt.date(2027, 2, 10)) == dt.date(2027, 2, 3)  # Tết 2027
    assert previous_working_day(dt.date(2026, 9, 2)) == dt.date(2026, 8, 28)  # National Day
    assert previous_working_day(dt.date(2026, 3, 13)) == dt.date(2026, 3, 13)  # a Friday


def test_deadline_in_a_named_month_is_only_for_yearly_cadences() -> None:
    from pydantic import ValidationError

    from phancong.domain.cadence import Cadence

    year = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "2026", CadenceKind.YEARLY)
    assert nominal_deadline(year, DeadlineRule(day=15, month=11)) == dt.date(2026, 11, 15)
    with pytest.raises(ValidationError, match="only for yearly"):
        Cadence(kind=CadenceKind.QUARTERLY, deadline=DeadlineRule(day=15, month=11))


def test_hanoi_reports_are_due_the_last_working_day_before_the_dates_v1_names() -> None:
    v1 = seed_paragraphs("hanoi")["V.1"]
    named = [(int(day), int(month)) for day, month in re.findall(r"trước ngày (\d+)/(\d+)", v1)]
    assert named == [(15, 3), (15, 6), (15, 12)]
    plan = hanoi()
    report = plan.duty("v-1-bao-cao")
    dues = duty_occurrences(plan, report)
    assert len(dues) == 20  # Q1, H1, Q3 and the year, 2026–2030
    for due in dues:
        limit = dt.date(due.effective.year, due.period.end.month, 15)  # Q3: 15/9, same rule
        assert due.effective < limit, due
        assert is_working_day(due.effective)
        between = [due.effective + dt.timedelta(days=n)
                   for n in range(1, (limit - due.effective).days)]
        assert not any(is_working_day(day) for day in between), due  # the *last* one before
    first = {d.period.label: d.effective for d in dues}
    assert first["2026-Q1"] == dt.date(2026, 3, 13)  # Friday: 14 and 15/3/2026 are a weekend
    assert not any(d.effective.day in (15, 16, 17) for d in dues)


def test_haiduong_calendar_is_an_assumption_the_text_does_not_support() -> None:
    iii4 = seed_paragraphs("haiduong")["III.4"]
    assert "(định kỳ, 06 tháng, 01 năm)" in iii4 and not re.search(r"\d+/\d+", iii4)
    plan = haiduong()
    quarterly = next(e for e in plan.reporting_calendar if e.id == "quy")
    assert quarterly.assumption and "does not support" in quarterly.assumption
    out = CliRunner().invoke(app, ["plan", "assumptions", str(HAIDUONG)]).output
    assert quarterly.assumption in out


# ----------------------------------------------------------------------- consolidations


@pytest.mark.parametrize("plan_path", [HANOI, HAIDUONG])
def test_every_consolidation_is_due_after_its_inputs(plan_path) -> None:  # type: ignore[no-untyped-def]
    plan = load(plan_path)
    consolidating = [d for d in plan.duties if d.depends_on]
    assert consolidating
    checked = 0
    for duty in consolidating:
        assert duty.due_after_inputs, f"{duty.id} waits on inputs but has no own deadline"
        for due in duty_occurrences(plan, duty):
            last = inputs_deadline(plan, duty, due.period.label)
            assert last is not None, (duty.id, due.period.label)
            assert due.effective > last, (duty.id, due.period.label, due.effective, last)
            assert is_working_day(due.effective)
            checked += 1
    assert checked >= 20


def test_hanoi_consolidation_dates() -> None:
    plan = hanoi()
    tong_hop = {d.period.label: d.effective for d in duty_occurrences(plan, plan.duty("v-3-tong-hop"))}
    assert tong_hop["2026-Q1"] == dt.date(2026, 3, 20)  # 5 working days after Friday 13/3
    notice = {d.period.label: d.effective
              for d in duty_occurrences(plan, plan.duty("iii-1-2-thong-bao"))}
    assert notice["2026-Q1"] == dt.date(2026, 3, 27)  # after the consolidated report


@pytest.mark.parametrize("plan_path", [HANOI, HAIDUONG])
def test_consolidate_flow_runs_before_the_consolidation_is_due(plan_path) -> None:  # type: ignore[no-untyped-def]
    plan = load(plan_path)
    runs = consolidation_runs(plan)
    assert len(runs) == 20
    for run in runs:
        assert run.inputs_due < run.run_on <= run.due, run
    assert consolidation_dates(plan) == sorted({r.run_on for r in runs})


# ----------------------------------------------------------------------- corrected duties


def test_yearly_review_is_iv_1_bullet_2_owned_by_the_city_police() -> None:
    plan = hanoi()
    sentence = "Định kỳ hằng năm tổ chức sơ, tổng kết việc triển khai thực hiện kế hoạch."
    assert sentence in seed_paragraphs("hanoi")["IV.1, bullet 2"]
    assert sentence not in seed_paragraphs("hanoi")["V.3"]
    review = plan.duty("iv-1-b2-so-tong-ket")
    assert review.source == "IV.1, bullet 2" and review.text == sentence
    assert review.lead == ("catp",) and review.owner_role is Role.LEAD
    assert review.cadence.kind is CadenceKind.YEARLY and review.depends_on == ("v-1-bao-cao",)
    assert "v-3-so-tong-ket" not in {d.id for d in plan.duties}
    dues = duty_occurrences(plan, review)
    assert dues[0].effective == dt.date(2026, 12, 21)


def test_capital_command_procuracy_and_court_are_partners_of_the_police() -> None:
    plan = hanoi()
    paragraphs = seed_paragraphs("hanoi")
    assert "phối hợp với Công an Thành phố" in paragraphs["IV.9"]
    assert "phối hợp với Cơ quan Cảnh sát điều tra Công an thành phố" in paragraphs["IV.10"]
    iv9, iv10 = plan.duty("iv-9"), plan.duty("iv-10")
    assert iv9.lead == ("bo-tu-lenh-thu-do",) and iv9.owner_role is Role.LEAD
    assert iv10.lead == ("vks-tp", "tand-tp") and iv10.owner_role is Role.REQUESTED
    for duty in (iv9, iv10):
        assert "catp" not in units(plan, duty.supporting), duty.id


def test_procuracy_and_court_owe_what_iv_10_asks_once() -> None:
    plan = hanoi()
    for body in ("vks-tp", "tand-tp"):
        owed = [d for d in plan.duties
                if body in units(plan, (*d.lead, *d.requested, *d.supporting))]
        assert [d.id for d in owed] == ["iv-10"], body
        in_2026 = [due for due in duty_occurrences(plan, owed[0]) if due.period.start.year == 2026]
        assert len(in_2026) == 4  # was 16 a year: IV.1 b10, III.1.5, III.3.4 and IV.10


def test_front_directs_the_youth_and_womens_unions() -> None:
    plan = hanoi()
    paragraphs = seed_paragraphs("hanoi")
    for citation, union in (("IV.11, bullet 4", "thanh-doan"), ("IV.11, bullet 5", "hoi-phu-nu-tp")):
        assert paragraphs[citation].startswith("Chỉ đạo ")
        (duty,) = cited(plan, citation)
        assert duty.lead == ("mttq-tp",) and duty.owner_role is Role.REQUESTED
        assert duty.requested == (union,)
        assert _flat(duty.text) == paragraphs[citation]


def test_front_and_unions_are_requested_everywhere_never_lead_owners() -> None:
    plan = hanoi()
    front = {a.id for a in plan.agencies if a.kind.value in ("front", "mass_organisation")}
    assert front == {"mttq-tp", "thanh-doan", "hoi-phu-nu-tp"}
    for duty in plan.duties:
        if duty.owner_role is Role.LEAD:
            assert not units(plan, duty.lead) & front, duty.id
    assert "tổ chức, đoàn thể" in seed_paragraphs("hanoi")["V.1"]
    for duty_id in ("v-1-bao-cao", "v-1-ke-hoach-don-vi"):
        assert units(plan, plan.duty(duty_id).requested) == front


def test_iii_1_2_is_three_one_off_deliverables_and_the_results_notice() -> None:
    plan = hanoi()
    paragraph = seed_paragraphs("hanoi")["III.1.2"]
    duties = {d.id: d for d in cited(plan, "III.1.2")}
    assert set(duties) == {"iii-1-2-kien-toan", "iii-1-2-quy-che", "iii-1-2-huong-dan",
                           "iii-1-2-thong-bao"}
    for duty in duties.values():
        assert _flat(duty.text).rstrip(".") in paragraph, duty.id
    for key, words in (("kien-toan", "Kiện toàn Ban chỉ đạo"), ("quy-che", "Quy chế làm việc"),
                       ("huong-dan", "Hướng dẫn xử lý")):
        duty = duties[f"iii-1-2-{key}"]
        assert words in paragraph and words in duty.text
        assert duty.cadence.kind is CadenceKind.ONCE
        (due,) = duty_occurrences(plan, duty)
        assert dt.date(2026, 1, 1) <= due.effective <= dt.date(2026, 12, 31)  # it falls due
    kien_toan = duties["iii-1-2-kien-toan"]  # an act of UBND TP on CATP's proposal
    assert kien_toan.lead == ("ubnd-tp",) and kien_toan.supporting == ("catp",)
    notice = duties["iii-1-2-thong-bao"]
    assert "thông báo kết quả Quý, 06 tháng, năm" in paragraph
    assert notice.cadence.kind is CadenceKind.PERIODIC and notice.depends_on == ("v-3-tong-hop",)


def test_iii_2_4_names_three_core_forces() -> None:
    plan = hanoi()
    assert "Công an - Y tế - Văn hóa xã hội là nòng cốt" in seed_paragraphs("hanoi")["III.2.4"]
    (duty,) = cited(plan, "III.2.4")
    assert duty.lead == ("catp", "so-y-te", "xa-phuong")
    assert len(units(plan, duty.lead)) == 2 + 126  # every commune's Phòng Văn hóa – Xã hội


def test_budget_proposal_is_due_before_the_peoples_council_adopts_the_budget() -> None:
    plan = hanoi()
    assert "báo cáo HĐND Thành phố" in seed_paragraphs("hanoi")["IV.7"]
    dues = duty_occurrences(plan, plan.duty("iv-7"))
    assert len(dues) == 5
    for due in dues:  # the provincial People's Council adopts next year's budget before 10/12
        assert due.effective < dt.date(due.period.start.year, 12, 10)
        assert due.effective.month == 11


def test_duplicates_are_tracked_once() -> None:
    plan = hanoi()
    paragraphs = seed_paragraphs("hanoi")
    ids = {d.id for d in plan.duties}
    assert not {"iii-5-1", "iii-3-2-b2"} & ids
    shared = "tổ chức sơ, tổng kết, đánh giá hiệu quả hoạt động của các mô hình"
    assert shared in paragraphs["III.5.1"] and shared in paragraphs["IV.1, bullet 5"]
    assert plan.duty("iv-1-b5").also_cites == ("III.5.1, paragraph 1",)
    survey = "tổ chức khảo sát, điều tra cơ bản"
    assert survey in paragraphs["III.3.2, bullet 2"] and survey in paragraphs["IV.1, bullet 8"]
    assert plan.duty("iv-1-b8").also_cites == ("III.3.2, bullet 2",)
    # Hải Dương III.5: each Steering Committee member once, the umbrella only for the others
    hd = haiduong()
    (iii5,) = cited(hd, "III.5")
    members = units(hd, iii5.lead)
    assert members == {"mttq-tinh", "hlhpn-tinh", "so-ldtbxh", "vks-tinh", "tand-tinh",
                       "so-tu-phap", "bcd138-thanh-vien"}
    assert "khác" in hd.agency("bcd138-thanh-vien").name


def test_haiduong_ii_3_a_is_continuing() -> None:
    plan = haiduong()
    assert seed_paragraphs("haiduong")["II.3, item a"].startswith("a) Xây dựng, triển khai Kế hoạch")
    duty = plan.duty("ii-3-a")
    assert duty.cadence.kind is CadenceKind.PERIODIC
    years = {due.period.start.year for due in duty_occurrences(plan, duty)}
    assert years == {2021, 2022, 2023, 2024, 2025}


def test_group_memberships_are_listed_with_the_assumptions() -> None:
    out = CliRunner().invoke(app, ["plan", "assumptions", str(HANOI), str(HAIDUONG)]).output
    for plan in (hanoi(), haiduong()):
        for group in plan.groups:
            assert group.assumption, group.id
            assert f"- `{group.id}` (" in out and group.assumption in out
    assert "`thanh-vien-bcd` (8 units: `so-tu-phap`" in out
    assert "`phong-nghiep-vu` (7 units: `pv01`, `pa03`" in out


def test_readme_carries_the_generated_assumptions_verbatim() -> None:
    readme = (HANOI.parent.parent / "README.md").read_text(encoding="utf-8")
    out = CliRunner().invoke(app, ["plan", "assumptions", str(HANOI), str(HAIDUONG)]).output
    assert out.strip() in readme, "rerun `phancong plan assumptions responsibilities/*.yaml`"


# ----------------------------------------------------------------------- what was not tracked


def test_friendly_room_regulation_and_its_inspection_reports() -> None:
    plan = hanoi()
    paragraph = seed_paragraphs("hanoi")["III.5.3"]
    assert "ban hành Quy chế quản lý, sử dụng phòng điều tra thân thiện" in paragraph
    assert "định kỳ 6 tháng, 01 năm có báo cáo kiểm tra" in paragraph
    regulation, inspections = plan.duty("iii-5-3-quy-che"), plan.duty("iii-5-3-kiem-tra")
    assert regulation.source == inspections.source == "III.5.3"
    assert regulation.cadence.kind is CadenceKind.ONCE
    labels = [d.period.label for d in duty_occurrences(plan, inspections)]
    assert labels[:2] == ["2026-H1", "2026"] and len(labels) == 10  # no quarterly report


@pytest.mark.parametrize(("plan_path", "which", "citation"),
                         [(HANOI, "hanoi", "III.2.3"), (HAIDUONG, "haiduong", "II.2, item c")])
def test_yearly_events_have_a_report_after_each(plan_path, which, citation) -> None:  # type: ignore[no-untyped-def]
    plan = load(plan_path)
    paragraph = seed_paragraphs(which)[citation]
    assert "“Tháng hành động vì trẻ em”" in paragraph or '"Tháng hành động vì trẻ em"' in paragraph
    assert "Ngày toàn dân phòng, chống mua bán người" in paragraph
    events = [d for d in cited(plan, citation) if d.cadence.kind is CadenceKind.YEARLY]
    assert len(events) == 2
    month, day30 = events[0], events[1]
    start, end = plan.plan.period.start.year, plan.plan.period.end.year
    for due in duty_occurrences(plan, month):  # after June, the Action Month
        assert dt.date(due.period.start.year, 7, 1) <= due.effective
    for due in duty_occurrences(plan, day30):  # after 30/7
        assert dt.date(due.period.start.year, 7, 31) <= due.effective
    assert len(duty_occurrences(plan, month)) == end - start + 1


def test_section_i_targets_are_attached_to_duties() -> None:
    plan = hanoi()
    targets = seed_paragraphs("hanoi")["I.2"]
    for words in ("100% các vụ có dấu hiệu tội phạm xâm hại trẻ em",
                  "100% số người dưới 18 tuổi nghiện ma túy",
                  "Hằng năm việc thực hiện các văn bản liên quan đến công tác này"):
        assert words in targets
    prosecuted = {i.id: i for i in plan.duty("iv-1-b7").indicators}["ty-le-khoi-to-dieu-tra"]
    assert prosecuted.target == 100 and "khởi tố, điều tra" in prosecuted.name
    drugs = {i.id: i for i in plan.duty("iv-12-b3").indicators}
    assert drugs["nguoi-duoi-18-nghien-ma-tuy-duoc-quan-ly"].target == 100
    review = plan.duty("i-2-ra-soat-van-ban")
    assert review.source == "I.2" and _flat(review.text) in targets
    assert review.cadence.kind is CadenceKind.YEARLY and review.lead == ("so-tu-phap",)


def test_haiduong_standing_office_duty() -> None:
    plan = haiduong()
    paragraph = seed_paragraphs("haiduong")["III.5"]
    duty = plan.duty("iii-thuong-truc")
    assert _flat(duty.text) in paragraph and "theo dõi, hướng dẫn, đôn đốc" in duty.text
    assert duty.lead == (plan.plan.standing_office,) == ("pc02",)
    assert duty.cadence.kind is CadenceKind.PERIODIC


@pytest.mark.parametrize(("plan_path", "which", "duty_id", "names"), [
    (HANOI, "hanoi", "v-3-tong-hop",
     ["Ban Chỉ đạo Thành phố", "Ủy ban nhân dân Thành phố Hà Nội", "Ban Chỉ đạo Bộ Công an"]),
    (HAIDUONG, "haiduong", "iii-4-tong-hop", ["Bộ Công an", "Ủy ban nhân dân tỉnh Hải Dương"]),
])
def test_consolidated_reports_are_addressed_to_their_recipients(  # type: ignore[no-untyped-def]
        plan_path, which, duty_id, names) -> None:
    plan = load(plan_path)
    duty = plan.duty(duty_id)
    assert [plan.agency(ref).name for ref in duty.recipients] == names
    text = seed_text(which)
    for phrase in (("Ban Chỉ đạo Thành phố, UBND Thành phố và Ban Chỉ đạo Bộ Công an",)
                   if which == "hanoi" else ("tổng hợp báo cáo Bộ Công an và Ủy ban nhân dân tỉnh",)):
        assert phrase in text


@pytest.mark.parametrize(("plan_path", "seed"), [(HANOI, HANOI_SEED), (HAIDUONG, HAIDUONG_SEED)])
def test_every_duty_text_is_verbatim_from_its_seed(plan_path, seed) -> None:  # type: ignore[no-untyped-def]
    text = _flat(seed.read_text(encoding="utf-8"))
    for duty in load(plan_path).duties:
        for part in duty.text.split("\n\n"):
            assert _flat(part) in text, duty.id


def test_event_triggered_reports_are_declared_with_a_cadence_the_model_holds() -> None:
    """IV.12 bullet 8 and V.4 ("kịp thời") and Hải Dương III.4 ("đột xuất") are on_event duties:
    opened by the unit (or asked for by the Standing Office), due a few working days later."""
    plan = hanoi()
    v4 = seed_paragraphs("hanoi")["V.4"]
    assert "kịp thời báo cáo về UBND Thành phố (qua Công an Thành phố" in v4
    duties = {d.id: d for d in cited(plan, "V.4")}
    assert set(duties) == {"v-4-bao-cao-kho-khan", "v-4-kho-khan"}
    reports, synthesis = duties["v-4-bao-cao-kho-khan"], duties["v-4-kho-khan"]
    assert reports.on_event and reports.cadence.within == 3
    assert reports.lead == ("don-vi-bao-cao",) and reports.requested == ("mat-tran-doan-the",)
    assert synthesis.lead == (plan.plan.standing_office,) and not synthesis.on_event
    assert synthesis.recipients == ("ubnd-tp",) and synthesis.due_after_inputs
    assert "v-4-bao-cao-kho-khan" in (synthesis.assumption or "")
    incidents = plan.duty("iv-12-b8")
    assert "kịp thời" in seed_paragraphs("hanoi")["IV.12, bullet 8"]
    assert incidents.source == "IV.12, bullet 8"
    assert incidents.on_event and incidents.cadence.within == 1
    assert incidents.lead == ("xa-phuong",)
    assert duty_occurrences(plan, incidents) == []  # no calendar obligation
    assert "đột xuất" in seed_paragraphs("haiduong")["III.4"]
    ad_hoc = haiduong().duty("iii-4-dot-xuat")
    assert ad_hoc.on_event and ad_hoc.source == "III.4" and ad_hoc.lead == ("don-vi-bao-cao",)
    assert "Standing Office" in (ad_hoc.assumption or "")
    for duty in (*plan.duties, *haiduong().duties):
        assert "cannot hold" not in (duty.assumption or ""), duty.id


def test_blocker_sample_urges_once_the_consolidation_is_late() -> None:
    """`mail preview blocker`: the consolidation is due 5 working days after the reports, so the
    sample is dated after that deadline and lists the late consolidations waiting on the unit."""
    from phancong.mail.samples import sample_notice

    notice = sample_notice("blocker", hanoi())
    assert notice.items, "the blocker sample lists nothing"
    assert {i.duty_code for i in notice.items} >= {"v-3-tong-hop"}
    for item in notice.items:
        assert item.days_late > 0 and item.deadline == dt.date(2026, 3, 20)
