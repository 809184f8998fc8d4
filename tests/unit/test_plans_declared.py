"""Both source plans are declared in full: every bullet / lettered item has a duty citing it."""

from __future__ import annotations

import re

import pytest

from phancong.adapters.loader import directory, load
from phancong.adapters.seed import coverage, read
from phancong.domain.plan import Role
from tests.helpers import HAIDUONG, HAIDUONG_SEED, HANOI, HANOI_SEED

pytestmark = pytest.mark.unit


def _section(text: str, start: str, end: str) -> list[str]:
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if start in line)
    last = next(i for i, line in enumerate(lines) if i > first and end in line)
    return lines[first:last]


def test_every_bullet_of_hanoi_section_iv_is_declared() -> None:
    plan = load(HANOI)
    text = HANOI_SEED.read_text(encoding="utf-8")
    section = _section(text, "IV. PHÂN CÔNG TRÁCH NHIỆM", "V. TỔ CHỨC THỰC HIỆN")
    # independent count straight from the text: bullets, and owners written as one paragraph
    owners = [m for line in section if (m := re.match(r"^(\d+)\. (.+)", line))]
    assert len(owners) == 12
    bullets = sum(1 for line in section if line.startswith("- "))
    assert bullets == 45
    cited = {d.source for d in plan.duties}
    expected: set[str] = set()
    bullets_of: dict[str, int] = {}
    owner = ""
    for line in section:
        heading = re.match(r"^(\d+)\. ", line)
        if heading:
            owner = heading.group(1)
            bullets_of[owner] = 0
        elif line.startswith("- "):
            bullets_of[owner] += 1
    for number, count in bullets_of.items():
        expected |= (
            {f"IV.{number}, bullet {k}" for k in range(1, count + 1)} if count else {f"IV.{number}"}
        )
    assert len(expected) == 49
    assert expected <= cited, f"undeclared: {sorted(expected - cited)}"
    parsed = {p.citation for p in read(HANOI_SEED) if p.section == "IV"}
    assert parsed == expected


def test_every_lettered_item_of_haiduong_section_ii_is_declared() -> None:
    plan = load(HAIDUONG)
    text = HAIDUONG_SEED.read_text(encoding="utf-8")
    section = _section(text, "II. CÔNG TÁC TRỌNG TÂM", "III. TỔ CHỨC THỰC HIỆN")
    expected, group = set(), 0
    for line in section:
        heading = re.match(r"^#+ \**(\d)\. ", line)
        if heading:
            group = int(heading.group(1))
        item = re.match(r"^([a-zđ])\) ", line)
        if item:
            expected.add(f"II.{group}, item {item.group(1)}")
    assert len(expected) == 27
    assert expected <= {d.source for d in plan.duties}
    assert {p.citation for p in read(HAIDUONG_SEED) if p.section == "II"} == expected


def test_hanoi_owners_and_fan_out() -> None:
    plan = load(HANOI)
    d = directory(plan)
    assert len(d.expand("xa-phuong")) == 126
    owners_iv = {ref for duty in plan.duties if duty.source.startswith("IV.") for ref in duty.lead}
    # 12 numbered owners; IV.10 is two bodies. IV.11's last bullets ask the Front to direct the
    # Youth and Women's Unions: the Front owns them, the unions are requested (issue 15, item 5)
    assert {
        "catp",
        "so-tu-phap",
        "so-gddt",
        "so-y-te",
        "so-vhtt",
        "so-du-lich",
        "so-tai-chinh",
        "so-nganh-khac",
        "bo-tu-lenh-thu-do",
        "vks-tp",
        "tand-tp",
        "mttq-tp",
        "xa-phuong",
    } == owners_iv
    requested = {
        ref for duty in plan.duties if duty.owner_role is Role.REQUESTED for ref in duty.lead
    }
    assert {"vks-tp", "tand-tp", "mttq-tp"} <= requested
    unions = {ref for duty in plan.duties for ref in duty.requested}
    assert {"thanh-doan", "hoi-phu-nu-tp"} <= unions
    consolidated = plan.duty("v-3-tong-hop")
    assert consolidated.lead == ("catp-pc02",) and "v-1-bao-cao" in consolidated.depends_on
    assert plan.plan.standing_office == "catp-pc02"


def test_haiduong_district_police_and_roles() -> None:
    plan = load(HAIDUONG)
    d = directory(plan)
    assert len(d.expand("ca-cap-huyen")) == 12
    first = plan.duty("ii-1-a")
    assert first.lead == ("pc02",)
    assert {"pv01", "pa03", "pc01", "ca-cap-huyen"} <= set(first.supporting)
    assert "mttq-tinh" in plan.duty("ii-2-a").requested
    assert {"vks-tinh", "tand-tinh"} <= set(plan.duty("ii-3-a").requested)


@pytest.mark.parametrize(("plan_path", "seed"), [(HANOI, HANOI_SEED), (HAIDUONG, HAIDUONG_SEED)])
def test_every_citation_exists_in_its_source(plan_path, seed) -> None:  # type: ignore[no-untyped-def]
    plan = load(plan_path)
    result = coverage(read(seed), {d.source for d in plan.duties})
    assert result.unknown == []


def test_assumptions_are_listed_in_the_readme() -> None:
    readme = (HANOI.parent.parent / "README.md").read_text(encoding="utf-8")
    for plan_path in (HANOI, HAIDUONG):
        for duty in load(plan_path).duties:
            if duty.assumption:
                assert duty.id in readme, f"assumption of {duty.id} is not listed in README.md"


def test_declared_duty_counts() -> None:
    """Hà Nội: the 49 Section IV duties and IV.1 bullet 2's yearly review; 6 of Section V (V.1 ×2,
    V.3 ×3, V.4); 14 of Section III (III.1.2 ×4, III.1.5, III.1.6, III.2.3 ×2, III.2.4, III.3.2,
    III.3.2 bullet 1, III.3.4, III.5.3 ×2 — III.3.2 bullet 2 and III.5.1 are tracked in IV.1
    bullets 8 and 5); the I.2 yearly review. Hải Dương: 27 Section II items, II.2c's two yearly
    events, 8 Section III duties (III.4's ad hoc "đột xuất" reports among them)."""
    hanoi, haiduong = load(HANOI), load(HAIDUONG)
    assert len(hanoi.duties) == 72
    assert sum(d.source.startswith("IV.") for d in hanoi.duties) == 49 + 1  # + the yearly review
    assert len(haiduong.duties) == 37
    assert sum(d.source.startswith("II.") for d in haiduong.duties) == 27 + 2
