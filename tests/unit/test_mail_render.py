"""The email templates: golden files of every kind in both languages, and what each must show.

The golden HTML files in tests/data/mail-golden/ are the snapshots a reviewer opens in a
browser. After a deliberate change to the templates, rewrite them with
``PHANCONG_UPDATE_GOLDEN=1 pytest tests/unit/test_mail_render.py`` and review the diff.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError

from phancong.adapters.orm import OutboxRow
from phancong.domain.citation import fmt_citation
from phancong.mail.message import build_message
from phancong.mail.render import (
    DETAIL_LIMIT,
    SUBJECT_LIMIT,
    clean_subject,
    group_items,
    render_notice,
)
from phancong.services.notices import Notice, NoticeItem, NoticeKind, RenderedMail
from phancong.templating import TEMPLATES_DIR, environment, format_date

pytestmark = pytest.mark.unit

ENGLISH_CITATION = re.compile(r"\b(bullet|item|point|paragraph)\b")
GOLDEN = Path(__file__).resolve().parent.parent / "data" / "mail-golden"
UPDATE = os.environ.get("PHANCONG_UPDATE_GOLDEN") == "1"
PORTAL = "https://phancong.hanoi.example"
PLAN_TITLE = ("Kế hoạch phòng, chống tội phạm xâm hại trẻ em và phòng, chống tội phạm, vi phạm "
              "pháp luật liên quan đến người dưới 18 tuổi trên địa bàn Thành phố Hà Nội "
              "(Giai đoạn 2026 - 2030)")
Q1 = dt.date(2026, 3, 16)  # 15/3/2026 is a Sunday: the deadline moves to Monday


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T08:00+07:00").astimezone(dt.UTC)


def item(oid: int, level: str, duty: str, title: str, source: str, unit: tuple[str, str], *,
         days: int, deadline: dt.date = Q1, original: dt.date | None = None, role: str = "lead",
         period: str = "2026-Q1", **extra: Any) -> NoticeItem:
    return NoticeItem(obligation_id=oid, level=level, duty_code=duty, duty_title=title,
                      source=source, unit_code=unit[0], unit_name=unit[1], role=role,
                      period_label=period, deadline=deadline,
                      original_deadline=original or deadline, days_late=days, **extra)


GDDT = ("so-gddt", "Sở Giáo dục và Đào tạo")
YTE = ("so-y-te", "Sở Y tế")
VKS = ("vks-tp", "Viện Kiểm sát nhân dân Thành phố")
PC02 = ("catp-pc02", "Phòng Cảnh sát hình sự, Công an Thành phố")
BCD = ("bcd-tp", "Ban Chỉ đạo Thành phố")
WARD = ("phuong-ba-dinh", "UBND phường Ba Đình")

T_SKILLS = ("Tuyên truyền, giáo dục pháp luật, kỹ năng tự bảo vệ cho học sinh, giáo viên, "
            "cha mẹ học sinh")
T_RULES = ("Quy định, quy chế bảo đảm an toàn, phòng chống xâm hại trẻ em trong môi trường "
           "giáo dục; kiểm tra, giám sát")
T_JOINT = ("CATP phối hợp Sở GD&ĐT xây dựng kế hoạch phối hợp phòng, chống tội phạm trong "
           "trường học")
T_MED = ("Hướng dẫn chuyên môn, quy trình khám, chữa bệnh, giám định y khoa cho trẻ em bị bạo "
         "lực, xâm hại")
T_CARE = ("Chăm sóc sức khỏe thể chất, tinh thần cho trẻ em bị xâm hại; hỗ trợ tái hòa nhập "
          "cộng đồng")
T_REPORT = "Báo cáo định kỳ kết quả thực hiện Kế hoạch"
T_CONSOLIDATE = "Tổng hợp kết quả, báo cáo Ban Chỉ đạo, UBND Thành phố và Ban Chỉ đạo Bộ Công an"
T_COURT = "Phối hợp đẩy nhanh tiến độ điều tra, truy tố, xét xử tội phạm xâm hại trẻ em"


def sample(kind: str, lang: str) -> Notice:
    """A fixed notice of each kind (the golden files depend on nothing else)."""
    base: dict[str, Any] = {"plan_id": "hanoi-2026-2030", "plan_title": PLAN_TITLE,
                            "language": lang, "portal_url": PORTAL}
    if kind == "reminder":
        return Notice(kind=NoticeKind.REMINDER, as_of=at("2026-03-09"), recipient_code=GDDT[0],
                      recipient_name=GDDT[1], recipients=("so-gddt@hanoi.example",), items=(
            item(101, "reminder", "iv-3-b2", T_SKILLS, "IV.3, bullet 2", GDDT, days=-7),
            item(102, "reminder", "iv-3-b5", T_RULES, "IV.3, bullet 5", GDDT, days=-7),
            item(103, "reminder", "v-1-bao-cao", T_REPORT, "V.1", GDDT, days=-7),
        ), **base)
    if kind == "overdue":  # a unit's one mail of a sweep: overdue, urged as a blocker, reminded
        return Notice(kind=NoticeKind.BLOCKER, as_of=at("2026-03-17"), recipient_code=GDDT[0],
                      recipient_name=GDDT[1], recipients=("so-gddt@hanoi.example",), items=(
            item(101, "overdue", "iv-3-b2", T_SKILLS, "IV.3, bullet 2", GDDT, days=1),
            item(104, "overdue", "iii-1-6", T_JOINT, "III.1.6", GDDT, days=1, role="support"),
            item(230, "blocker", "v-3-tong-hop", T_CONSOLIDATE, "V.3", PC02, days=1,
                 waiting=(PC02[1],), link=f"{PORTAL}/obligations/103"),
            item(102, "reminder", "iv-3-b5", T_RULES, "IV.3, bullet 5", GDDT, days=-5,
                 deadline=dt.date(2026, 3, 23), original=Q1),
        ), **base)
    if kind == "blocker":
        return Notice(kind=NoticeKind.BLOCKER, as_of=at("2026-03-17"), recipient_code=YTE[0],
                      recipient_name=YTE[1], recipients=("so-y-te@hanoi.example",), items=(
            item(230, "blocker", "v-3-tong-hop", T_CONSOLIDATE, "V.3", PC02, days=1,
                 waiting=(PC02[1],), link=f"{PORTAL}/obligations/113"),
        ), **base)
    if kind in ("standing_office", "digest"):
        level = "standing_office" if kind == "standing_office" else "overdue"
        items = (
            item(111, level, "iv-4-b1", T_MED, "IV.4, bullet 1", YTE, days=7),
            item(112, level, "iv-4-b2", T_CARE, "IV.4, bullet 2", YTE, days=7),
            item(113, level, "v-1-bao-cao", T_REPORT, "V.1", YTE, days=7),
            item(101, level, "iv-3-b2", T_SKILLS, "IV.3, bullet 2", GDDT, days=7),
            item(104, level, "iii-1-6", T_JOINT, "III.1.6", GDDT, days=7, role="support"),
            item(121, level, "iv-1-b10", T_COURT, "IV.1, bullet 10", VKS, days=7, role="requested"),
            item(131, level, "v-1-bao-cao", T_REPORT, "V.1", WARD, days=7),
            item(230, level, "v-3-tong-hop", T_CONSOLIDATE, "V.3", PC02, days=7,
                 blocked_by=(YTE[1], WARD[1])),
        )
        if kind == "standing_office":
            return Notice(kind=NoticeKind.STANDING_OFFICE, as_of=at("2026-03-23"),
                          recipient_code=PC02[0], recipient_name=PC02[1],
                          recipients=("pc02@hanoi.example",), items=items, **base)
        return Notice(kind=NoticeKind.DIGEST, as_of=at("2026-03-25"), recipient_code=PC02[0],
                      recipient_name=PC02[1], recipients=("pc02@hanoi.example",), items=items[:6],
                      summary={"total": 1469, "due": 1180, "overdue": 8, "units_with_overdue": 5,
                               "on_time_pct": 87, "completed_on_time": 1024,
                               "completed_late": 148, "submitted": 44, "in_progress": 245},
                      **base)
    if kind == "steering_committee":
        return Notice(kind=NoticeKind.STEERING_COMMITTEE, as_of=at("2026-04-06"),
                      recipient_code=BCD[0], recipient_name=BCD[1],
                      recipients=("bcd-tp@hanoi.example",), items=(
            item(111, "steering_committee", "iv-4-b1", T_MED, "IV.4, bullet 1", YTE, days=21),
            item(113, "steering_committee", "v-1-bao-cao", T_REPORT, "V.1", YTE, days=21),
            item(121, "steering_committee", "iv-1-b10", T_COURT, "IV.1, bullet 10", VKS,
                 days=21, role="requested"),
        ), **base)
    review = "accepted" if kind == "review-accepted" else "returned"
    reason = ("Báo cáo chưa có số liệu các chỉ tiêu của Quý I/2026; đề nghị bổ sung số liệu và "
              "tài liệu minh chứng.") if review == "returned" else None
    return Notice(kind=NoticeKind.REVIEW, as_of=at("2026-03-18"), recipient_code=YTE[0],
                  recipient_name=YTE[1], recipients=("so-y-te@hanoi.example",), items=(
        item(111, "review", "iv-4-b1", T_MED, "IV.4, bullet 1", YTE, days=2),
    ), review=review, reason=reason, summary={"on_time": 0} if review == "accepted" else {},
        **base)


KINDS = ["reminder", "overdue", "blocker", "standing_office", "steering_committee", "digest",
         "review", "review-accepted"]
CASES = [(k, lang) for k in KINDS for lang in ("vi", "en")]


def check_golden(path: Path, text: str) -> None:
    if UPDATE:
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} missing: run with PHANCONG_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name} differs from the golden file; if intended, rerun with "
        "PHANCONG_UPDATE_GOLDEN=1 and review the diff")


@pytest.mark.parametrize(("kind", "lang"), CASES)
def test_golden(kind: str, lang: str) -> None:
    mail = render_notice(sample(kind, lang))
    check_golden(GOLDEN / f"{kind}.{lang}.txt", f"Subject: {mail.subject}\n\n{mail.text}")
    check_golden(GOLDEN / f"{kind}.{lang}.html", mail.html)


@pytest.mark.parametrize(("kind", "lang"), CASES)
def test_every_item_is_cited_in_both_parts(kind: str, lang: str) -> None:
    notice = sample(kind, lang)
    mail = render_notice(notice)
    text = mail.text
    html = re.sub(r"\s+", " ", mail.html)
    flat = " ".join(text.split())
    label = {"vi": "Căn cứ", "en": "Source"}[lang]
    for i in notice.items:
        period = {"vi": "Quý I/2026", "en": "Q1 2026"}[lang]
        for part in (text, html):
            assert period in part
            assert f"{i.deadline:%d/%m/%Y}" in part
            assert i.duty_code in part
            assert (i.link or f"{PORTAL}/obligations/{i.obligation_id}") in part
        cited = fmt_citation(i.source, "vi") if lang == "vi" else i.source
        for part in (flat, html):  # the citation as its reader says it
            assert f"{label}: {cited} " in part
        assert " ".join(i.duty_title.split()) in " ".join(text.split())
        assert i.duty_title.replace("&", "&amp;") in html
        if notice.kind is not NoticeKind.REVIEW:
            days = {"vi": (f"Quá hạn {i.days_late} ngày", f"Còn {-i.days_late} ngày"),
                    "en": (f"{i.days_late} day", f"{-i.days_late} day")}[lang]
            assert days[0 if i.days_late > 0 else 1] in text
        for name in (*i.blocked_by, *i.waiting):
            assert name in text
    if lang == "vi":
        for part in (mail.subject, text, html):
            assert not ENGLISH_CITATION.search(part), part


@pytest.mark.parametrize(("kind", "lang"), CASES)
def test_subject_is_one_short_line_with_plan_and_counts(kind: str, lang: str) -> None:
    notice = sample(kind, lang)
    subject = render_notice(notice).subject
    assert "\n" not in subject
    assert len(subject) <= SUBJECT_LIMIT
    assert subject.startswith("[phancong · hanoi-2026-2030] ")
    if notice.kind is not NoticeKind.REVIEW:
        assert re.search(r"\d", subject.split("]", 1)[1])


def test_vietnamese_wording_has_its_diacritics() -> None:
    mail = render_notice(sample("reminder", "vi"))
    assert mail.subject == "[phancong · hanoi-2026-2030] Nhắc hạn: 3 nhiệm vụ đến hạn 16/03/2026"
    for words in ("Kính gửi: Sở Giáo dục và Đào tạo", "THƯỜNG TRỰC BAN CHỈ ĐẠO", "Trân trọng./.",
                  "Kỳ báo cáo: Quý I/2026", "Căn cứ: Mục IV.3, gạch đầu dòng 2",
                  "Căn cứ: Mục V.1 (mã v-1-bao-cao)", "Còn 7 ngày"):
        assert words in mail.text
    assert 'lang="vi"' in mail.html


def test_one_mail_groups_items_by_level_most_urgent_first() -> None:
    mail = render_notice(sample("overdue", "vi"))
    headings = re.findall(r"^([IVX]+)\. (.+) \((\d+) nhiệm vụ\)$", mail.text, re.M)
    assert [(n, h, c) for n, h, c in headings] == [
        ("I", "NHIỆM VỤ ĐÃ QUÁ HẠN, CHƯA HOÀN THÀNH", "2"),
        ("II", "NHIỆM VỤ CỦA ĐƠN VỊ KHÁC ĐANG CHỜ KẾT QUẢ CỦA ĐƠN VỊ", "1"),
        ("III", "NHIỆM VỤ SẮP ĐẾN HẠN", "1"),
    ]
    assert mail.subject.endswith(
        "Thông báo quá hạn: 4 nhiệm vụ (2 quá hạn, 1 đơn vị khác đang chờ, 1 sắp đến hạn)")
    assert "Hạn: 23/03/2026 (hạn ban đầu 16/03/2026)" in mail.text  # an extension shows both


def test_standing_office_counts_every_late_agency() -> None:
    notice = sample("standing_office", "vi")
    mail = render_notice(notice)
    lines = [line.strip() for line in mail.text.splitlines()]
    counts = [line for line in lines if line.startswith("- ") and "nhiệm vụ quá hạn" in line]
    assert counts == [
        "- Sở Y tế: 3 nhiệm vụ quá hạn",
        "- Sở Giáo dục và Đào tạo: 2 nhiệm vụ quá hạn",
        "- Phòng Cảnh sát hình sự, Công an Thành phố: 1 nhiệm vụ quá hạn",
        "- UBND phường Ba Đình: 1 nhiệm vụ quá hạn",
        "- Viện Kiểm sát nhân dân Thành phố: 1 nhiệm vụ quá hạn",
    ]
    assert "8 nhiệm vụ quá hạn của 5 đơn vị" in mail.subject
    assert "Được đề nghị thực hiện" in mail.text  # the procuracy is requested, not commanded
    en = render_notice(sample("standing_office", "en")).text
    assert "- Sở Y tế: 3 duties overdue" in en


def test_groups_by_unit_only_for_escalations_and_digest() -> None:
    assert [g.by_unit for g in group_items(sample("overdue", "vi"))] == [False, False, False]
    assert [g.by_unit for g in group_items(sample("standing_office", "vi"))] == [True]
    assert [g.by_unit for g in group_items(sample("digest", "vi"))] == [True]


def test_html_escapes_what_the_text_keeps() -> None:
    notice = sample("blocker", "vi")
    evil = dataclasses.replace(notice.items[0], duty_title="<script>alert(1)</script> & co",
                               link="https://x.example/o?a=1&b=2")
    mail = render_notice(dataclasses.replace(notice, items=(evil,),
                                             recipient_name="Sở <b>Y tế</b>"))
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in mail.html
    assert "Sở &lt;b&gt;Y tế&lt;/b&gt;" in mail.html
    assert 'href="https://x.example/o?a=1&amp;b=2"' in mail.html
    assert "<script>alert(1)</script> & co" in mail.text
    assert "<" not in mail.text.replace("<script>", "").replace("</script>", "").replace("<b>", "")\
        .replace("</b>", "")


def test_review_returned_gives_the_reason_and_accepted_the_timeliness() -> None:
    returned = render_notice(sample("review", "vi"))
    assert "Trả lại báo cáo Quý I/2026 (Mục IV.4, gạch đầu dòng 1): Hướng dẫn" in returned.subject
    assert "Lý do: Báo cáo chưa có số liệu" in returned.text
    accepted = render_notice(sample("review-accepted", "en"))
    assert "Q1 2026 report accepted (IV.4, bullet 1): Hướng dẫn" in accepted.subject
    assert "as completed late" in accepted.text


def test_digest_shows_the_figures_and_what_is_not_listed() -> None:
    mail = render_notice(sample("digest", "vi"))
    assert "Tổng hợp tuần 13/2026: 8 nhiệm vụ quá hạn của 5 đơn vị" in mail.subject
    assert "- Tổng số nghĩa vụ báo cáo: 1.469" in mail.text
    assert "- Hoàn thành đúng hạn: 1.024" in mail.text
    assert "Danh sách đầy đủ xem trên cổng theo dõi: 2 nhiệm vụ" in mail.text
    assert "Completed on time: 1,024" in render_notice(sample("digest", "en")).text


def test_a_large_escalation_describes_the_first_obligations_and_counts_them_all() -> None:
    """A Steering Committee mail after a year's backlog: every agency counted, the most urgent
    DETAIL_LIMIT obligations described, the rest left to the portal (not a 7 MB email)."""
    units = [(f"xa-{n}", f"UBND xã {n}") for n in range(1, 4)]
    items = tuple(
        item(1000 + n, "steering_committee", f"iv-{n % 7}", T_REPORT, "IV.3, bullet 2",
             units[n % 3], days=30 + n % 5)
        for n in range(DETAIL_LIMIT + 50)
    )
    notice = dataclasses.replace(sample("steering_committee", "vi"), items=items)
    mail = render_notice(notice)
    lines = [line.strip() for line in mail.text.splitlines()]
    counts = sorted(line for line in lines if line.endswith("nhiệm vụ quá hạn"))
    assert counts == [
        "- UBND xã 1: 84 nhiệm vụ quá hạn",
        "- UBND xã 2: 83 nhiệm vụ quá hạn",
        "- UBND xã 3: 83 nhiệm vụ quá hạn",
    ]
    assert f"({DETAIL_LIMIT + 50} nhiệm vụ)" in mail.text  # the level's heading counts them all
    assert sum(line.startswith("- Xem và cập nhật:") for line in lines) == DETAIL_LIMIT
    assert mail.html.count(">Xem và cập nhật</a>") == DETAIL_LIMIT
    assert "(Danh sách đầy đủ xem trên cổng theo dõi: 50 nhiệm vụ)" in mail.text
    assert "250 nhiệm vụ" in mail.subject
    assert len(mail.text) + len(mail.html) < 400_000
    whole = render_notice(dataclasses.replace(notice, items=items[:DETAIL_LIMIT]))
    assert "Danh sách đầy đủ" not in whole.text  # nothing left out, nothing said


def test_unknown_language_falls_back_to_vietnamese() -> None:
    mail = render_notice(dataclasses.replace(sample("reminder", "vi"), language="fr"))
    assert "Nhắc hạn" in mail.subject


def test_long_subjects_are_cut_at_a_word() -> None:
    subject = clean_subject("[phancong · p] Trả lại báo cáo: " + "rất dài " * 40)
    assert len(subject) <= SUBJECT_LIMIT
    assert subject.endswith("…")
    assert "\n" not in clean_subject("a\nb")


def test_subject_survives_rfc2047_both_ways() -> None:
    mail: RenderedMail = render_notice(sample("standing_office", "vi"))
    row = OutboxRow(message_id="<x@phancong.localhost>", kind="standing_office", language="vi",
                    recipients=["pc02@hanoi.example"], subject=mail.subject, body_text=mail.text,
                    body_html=mail.html, created_at=at("2026-03-23"))
    raw = bytes(build_message(row, mail_from="Thường trực Ban Chỉ đạo <tt@hanoi.example>"))
    raw.decode("ascii")  # every header and body line is 7-bit: any client can read it
    header = re.search(rb"^Subject: (.*?)\r\n(?! )", raw, re.M | re.S)
    assert header is not None
    assert b"=?utf-8?" in header.group(1)
    folded = header.group(1).decode().replace("\r\n", "")
    assert str(make_header(decode_header(folded))) == mail.subject
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == mail.subject


def test_environment_is_shared_strict_and_escapes_html() -> None:
    env = environment()
    assert env is environment()
    assert TEMPLATES_DIR.joinpath("email", "_layout.html").exists()
    with pytest.raises(UndefinedError):
        env.from_string("{{ missing }}").render()
    assert env.from_string("{{ t('Hạn', 'Deadline') }}").render(lang="en") == "Deadline"
    assert env.from_string("{{ 3321|number }}").render(lang="vi") == "3.321"
    assert env.from_string("{{ '2026-Q1'|period }}").render(lang="vi") == "Quý I/2026"
    assert env.from_string("{{ 'overdue'|status }}").render(lang="en") == "Overdue"
    cite = env.from_string("{{ 'IV.3, bullet 2'|citation }}")
    assert cite.render(lang="vi") == "Mục IV.3, gạch đầu dòng 2"
    assert cite.render(lang="en") == "IV.3, bullet 2"
    assert cite.render(lang="fr") == "Mục IV.3, gạch đầu dòng 2"  # unknown: Vietnamese
    assert env.from_string("{{ 'II.1, item a'|citation('en') }}").render(lang="vi") == "II.1, item a"
    html = env.get_template("email/_items.html")
    assert html.environment.autoescape is not False


def test_email_templates_show_citations_through_the_filter() -> None:
    """Every email template that prints a citation (``.source``) says it in the letter's
    language."""
    shown = 0
    for path in (TEMPLATES_DIR / "email").rglob("*.*"):
        for match in re.finditer(r"\b([\w.]+)\.source\b(\s*\|\s*\w+)?", path.read_text("utf-8")):
            if match.group(1).endswith("labels"):  # the word "Căn cứ" / "Source" itself
                continue
            shown += 1
            assert match.group(2) and match.group(2).strip("| ") == "citation", (path, match[0])
    assert shown >= 4


def test_dates_are_local_to_hanoi() -> None:
    late_evening_utc = dt.datetime(2026, 3, 15, 20, 0, tzinfo=dt.UTC)  # 03:00 on 16/3 in Hà Nội
    assert format_date(late_evening_utc) == "16/03/2026"
    assert format_date(dt.date(2026, 1, 2)) == "02/01/2026"


def test_every_kind_has_a_letter_in_both_languages() -> None:
    from phancong.mail.render import LETTERS

    for kind in NoticeKind:
        for lang in ("vi", "en"):
            assert (TEMPLATES_DIR / "email" / lang / f"{LETTERS[kind]}.txt").exists()
