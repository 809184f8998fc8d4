"""The consolidated report as a DOCX laid out as Decree 30/2020/NĐ-CP lays out a "Báo cáo".

Appendix I of the decree: A4, margins top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm;
Times New Roman; at the top left the governing body (upper case, 12–13 pt) and the issuing body
(upper case, bold) over a short rule; at the top right the national title (upper case, bold,
12–13 pt) and the motto (bold, 13–14 pt) over a rule; under them "Số: …/BC-…" left blank for
the registry and the place and date line (italic); the kind of document ("BÁO CÁO", bold) and
its summary line (bold) centred; the body at 13–14 pt; "Nơi nhận" (bold italic 12 pt, items
11 pt) beside the signature block; then the appendix. The numbers follow the Government
Office's wording ("X nhiệm vụ đến hạn; đã hoàn thành Y, đạt Z% (đúng hạn: …, quá hạn: …);
chưa hoàn thành … (trong hạn: …, quá hạn: …)").
"""
from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from phancong.domain import charts
from phancong.domain.citation import fmt_citation
from phancong.domain.collation import vietnamese_key
from phancong.services.docx_layout import (
    BODY_PT,
    FONT,
    HEADER_PT,
    MARGINS_MM,
    PAGE_MM,
    TITLE_PT,
    cell_para,
    clip,
    grid,
    hyperlink,
    para,
    picture,
    rule,
    rule_para,
    set_font,
    set_widths,
)

if TYPE_CHECKING:

    from phancong.services.report_model import ConsolidatedReport, IndicatorTotal, Summary


KIND_VI = {
    "yes_no": "tỷ lệ đơn vị đạt",
    "count": "tổng số",
    "percent": "bình quân tỷ lệ",
    "value": "số liệu từng đơn vị",
}


def place_of(issuer: str) -> str:
    """'UBND Thành phố Hà Nội' → 'Hà Nội'; 'Công an tỉnh Hải Dương' → 'Hải Dương'."""
    match = re.search(r"(?:[Tt]hành phố|[Tt]ỉnh)\s+(.+)$", issuer.strip())
    return match.group(1).strip() if match else "……"


def percent(part: int, whole: int) -> str:
    if not whole:
        return "—"
    text = f"{100 * part / whole:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def counts_sentence(s: Summary) -> str:
    """The Government Office's sentence for the period's numbers."""
    return (
        f"{s.due} nhiệm vụ đến hạn; đã hoàn thành {s.done}, đạt {percent(s.done, s.due)}% "
        f"(đúng hạn: {s.done_on_time}, quá hạn: {s.done_late}); chưa hoàn thành {s.open} "
        f"(trong hạn: {s.open_in_time}, quá hạn: {s.open_overdue})"
    )


def number(value: float) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u00a0").replace(".", ",")


def with_unit(value: float, unit: str | None) -> str:
    """'93,5%', '12 buổi' (Vietnamese decimal comma; no space before a percent sign)."""
    if not unit:
        return number(value)
    return f"{number(value)}{unit}" if unit == "%" else f"{number(value)} {unit}"


def indicator_result(i: IndicatorTotal) -> str:
    unit = None if i.kind == "yes_no" else i.unit
    if i.kind == "yes_no":
        share = "—" if i.total is None else number(i.total)
        return f"{share}% ({i.yes}/{i.units} đơn vị)"
    if i.kind == "value" or i.total is None:
        return "; ".join(f"{name}: {with_unit(v, unit)}" for name, v in i.values[:10]) + (
            f"; … ({len(i.values)} đơn vị)" if len(i.values) > 10 else ""
        )
    return with_unit(i.total, unit)


def indicator_target(i: IndicatorTotal) -> str:
    if i.target_text:
        return i.target_text
    if i.target is None:
        return ""
    return f"{number(i.target)}{'%' if i.kind in ('yes_no', 'percent') else ''}"


def render(report: ConsolidatedReport, portal_url: str = "") -> bytes:
    document = Document()
    document.core_properties.title = f"Báo cáo kết quả thực hiện {report.period_title}"
    document.core_properties.author = report.standing_office_name
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    base = portal_url.rstrip("/")
    place = place_of(report.issuer)
    year = report.day.year
    short = report.office_short or report.standing_office_code.upper()

    # header block: two columns, no borders
    header = document.add_table(rows=2, cols=2)
    set_widths(header, [66, 99])
    left, right = header.rows[0].cells
    governing = (report.office_parent_name or report.issuer).upper()
    if governing.endswith(("THÀNH PHỐ", "TỈNH")):
        governing = f"{governing} {place.upper()}"
    issuing = report.standing_office_name.split(",")[0].strip().upper()
    cell_para(left, governing, TITLE_PT)
    cell_para(left, issuing, TITLE_PT, bold=True)
    rule(left, 25)
    cell_para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", TITLE_PT, bold=True)
    cell_para(right, "Độc lập - Tự do - Hạnh phúc", BODY_PT, bold=True)
    rule(right, 58)
    number_cell, date_cell = header.rows[1].cells
    cell_para(number_cell, f"Số:        /BC-{short}", HEADER_PT, after=6)
    cell_para(date_cell, f"{place}, ngày      tháng      năm {year}", BODY_PT, italic=True,
               after=6)

    para(document, "", after=6)
    para(document, "BÁO CÁO", BODY_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    para(document, f"Kết quả thực hiện {report.plan_title} – {report.period_title}", BODY_PT,
          bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=2)
    rule_para(document, 40)
    if report.recipients:  # the bodies the plan addresses its consolidated report to
        para(document, f"Kính gửi: {'; '.join(report.recipients)}.", BODY_PT,
              align=WD_ALIGN_PARAGRAPH.CENTER, after=6)

    s = report.summary
    para(document,
          f"Thực hiện {report.plan_title} của {report.issuer}, {report.standing_office_name} "
          f"(Cơ quan Thường trực) tổng hợp, báo cáo kết quả thực hiện {report.period_title} "
          f"(số liệu tính đến ngày {report.day:%d/%m/%Y}) như sau:", indent=True)

    para(document, "I. KẾT QUẢ THỰC HIỆN", bold=True, after=4)
    para(document, "1. Tình hình thực hiện các nhiệm vụ", bold=True, after=4)
    if s is not None:
        para(document, f"Trong {report.period_title}: {counts_sentence(s)}"
              f"{f'; đã nộp, chờ duyệt: {s.pending_review}' if s.pending_review else ''}"
              f"{f'; được miễn: {s.waived}' if s.waived else ''}.", indent=True)
    para(document,
          f"Báo cáo định kỳ của các cơ quan, đơn vị: đã báo cáo {len(report.reported)}/"
          f"{report.expected} đơn vị ({percent(len(report.reported), report.expected)}%); "
          f"chưa báo cáo {len(report.not_reported)} đơn vị"
          f"{f'; được miễn {len(report.excused)}' if report.excused else ''}.", indent=True)

    para(document, "2. Kết quả theo từng cơ quan, đơn vị", bold=True, after=4)
    agencies = [u for u in report.units if u.kind != "commune"]
    communes = [u for u in report.units if u.kind == "commune"]
    for unit in agencies:
        if not unit.notes and not unit.figures:
            continue
        paragraph = para(document, "", indent=True, after=3)
        set_font(paragraph.add_run(f"- {unit.unit_name}: "), BODY_PT, bold=True)
        parts = [f"{title}: {clip(note).rstrip('.;')}" for title, note in unit.notes]
        if unit.figures:
            parts.append("số liệu: " + "; ".join(f"{n} {v}" for n, v in unit.figures))
        set_font(paragraph.add_run("; ".join(parts) + "."), BODY_PT)
    silent = [u.unit_name for u in agencies if not u.notes and not u.figures]
    if silent:
        para(document, f"- Chưa có nội dung báo cáo: {', '.join(silent)}.", indent=True)
    if communes:
        reported = sum(1 for u in communes if u.reported)
        owing = sum(1 for u in communes if u.reported is not None)
        with_notes = sum(1 for u in communes if u.notes)
        para(document,
              f"- {len(communes)} UBND xã, phường: {reported}/{owing} đã gửi báo cáo định kỳ, "
              f"{with_notes} có nội dung kết quả; chi tiết từng đơn vị tại Phụ lục.", indent=True)

    para(document, "3. Kết quả thực hiện các chỉ tiêu", bold=True, after=4)
    if report.indicators:
        grid(document, ["TT", "Chỉ tiêu", "Cách tổng hợp", "Kết quả", "Mục tiêu", "Đạt"],
              [[str(k), i.name, KIND_VI.get(i.kind, i.kind), indicator_result(i),
                indicator_target(i), {True: "Đạt", False: "Chưa đạt", None: "—"}[i.met]]
               for k, i in enumerate(report.indicators, 1)],
              [10, 55, 25, 35, 25, 15], size=12)
        para(document, "", after=4)
    else:
        para(document, "Chưa có số liệu chỉ tiêu từ các báo cáo đã được chấp nhận.",
              indent=True)

    para(document, "4. Cơ quan, đơn vị chưa báo cáo", bold=True, after=4)
    if report.not_reported:
        names = sorted({u.unit_name for u in report.not_reported}, key=vietnamese_key)
        shown = ", ".join(names[:40]) + (f" và {len(names) - 40} đơn vị khác" if len(names) > 40
                                         else "")
        para(document, f"{len(names)} đơn vị: {shown} (danh sách đầy đủ tại Phụ lục).",
              indent=True)
    else:
        para(document, "Tất cả các cơ quan, đơn vị đã báo cáo.", indent=True)

    para(document, "5. Tiến độ theo nhiệm vụ", bold=True, after=4)
    grid(document, ["Trích dẫn", "Nhiệm vụ", "Đã nộp", "Đã duyệt", "Quá hạn"],
          [[fmt_citation(d.source, "vi"), d.title, f"{d.submitted}/{d.total}", str(d.accepted),
            str(d.overdue)] for d in report.duties],
          [32, 77, 19, 19, 18], size=11)

    if report.chart is not None and report.chart.periods:
        from phancong.services.report_charts import rate_rows, reported_bars

        para(document, "", after=2)
        para(document, "6. Biểu đồ", bold=True, after=4)
        bars = reported_bars(report.chart)
        para(document, "Số đơn vị đã báo cáo định kỳ theo kỳ:", italic=True, after=2)
        picture(document, charts.png_reported(bars))
        rows = rate_rows(report.chart)
        periods = [charts.period_short(p) for p in report.chart.periods]
        para(document, "Tỷ lệ hoàn thành đúng hạn theo cơ quan, đơn vị qua các kỳ:",
              italic=True, after=2)
        picture(document, charts.png_rates(rows, periods))
        para(document, "Chú giải: " + "; ".join(
            f"{charts.ascii_upper(r.short)[:22]} = {r.name}" for r in rows) + ".", 11,
            italic=True)

    para(document, "II. TỒN TẠI, HẠN CHẾ", bold=True, after=4)
    para(document, "(Cơ quan Thường trực bổ sung.)", italic=True, indent=True)
    para(document, "", after=0)
    para(document, "III. PHƯƠNG HƯỚNG, NHIỆM VỤ KỲ TỚI", bold=True, after=4)
    para(document, "(Cơ quan Thường trực bổ sung.)", italic=True, indent=True)

    # "Nơi nhận" and the signature block side by side
    closing = document.add_table(rows=1, cols=2)
    set_widths(closing, [85, 80])
    recipients, signature = closing.rows[0].cells
    cell_para(recipients, "Nơi nhận:", 12, bold=True, italic=True,
               align=WD_ALIGN_PARAGRAPH.LEFT)
    addressed = report.recipients or [report.steering_committee_name or "Ban Chỉ đạo"]
    for line in (*(f"- {name};" for name in addressed), f"- {report.issuer};",
                 f"- Lưu: VT, {short}."):
        cell_para(recipients, line, 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    cell_para(signature, "THỦ TRƯỞNG CƠ QUAN THƯỜNG TRỰC", HEADER_PT, bold=True)
    cell_para(signature, "(Ký, ghi rõ họ tên, đóng dấu)", BODY_PT, italic=True, after=60)

    # appendix: one row per unit
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    para(document, "PHỤ LỤC", BODY_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    para(document, f"Kết quả thực hiện của từng cơ quan, đơn vị – {report.period_title}",
          BODY_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    para(document, f"(Kèm theo Báo cáo số        /BC-{short} ngày      tháng      năm {year})",
          BODY_PT - 1, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=6)
    appendix = document.add_table(rows=1, cols=8)
    appendix.style = "Table Grid"
    for cell, text in zip(appendix.rows[0].cells, ["TT", "Cơ quan, đơn vị", "Đến hạn",
                                                   "Đúng hạn", "Hoàn thành quá hạn",
                                                   "Chưa hoàn thành, quá hạn",
                                                   "Báo cáo định kỳ", "Tệp báo cáo"],
                          strict=True):
        cell_para(cell, text, 11, bold=True)
    for row_no, unit in enumerate(report.units, 1):
        cells = appendix.add_row().cells
        sent = ("—" if unit.reported is None else
                    f"Đã gửi {unit.reported_at:%d/%m}" if unit.reported and unit.reported_at
                    else "Chưa gửi")
        for cell, text in zip(cells[:7], [str(row_no), unit.unit_name, str(unit.due),
                                          str(unit.on_time), str(unit.late), str(unit.overdue),
                                          sent], strict=True):
            cell_para(cell, text, 11,
                       align=WD_ALIGN_PARAGRAPH.LEFT if text == unit.unit_name
                       else WD_ALIGN_PARAGRAPH.CENTER)
        files_cell = cells[7]
        for f in unit.files:
            paragraph = cell_para(files_cell, "", 11, align=WD_ALIGN_PARAGRAPH.LEFT)
            if base:
                hyperlink(paragraph, f.name, base + f.path, 11)
            else:
                set_font(paragraph.add_run(f"{f.name} ({f.path})"), 11)
    set_widths(appendix, [11, 44, 14, 15, 17, 18, 22, 24])

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
