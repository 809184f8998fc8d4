"""python-docx building blocks in the layout of Decree 30/2020/NĐ-CP: fonts and sizes, A4 page
and margins, paragraphs, table cells and grids, the short rule under a heading, hyperlinks and
pictures. The consolidated report's content is :mod:`phancong.services.report_docx`.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

FONT = "Times New Roman"

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from docx.table import _Cell
    from docx.text.paragraph import Paragraph


BODY_PT = 14


HEADER_PT = 13


TITLE_PT = 12  # the bodies' names and the national title: 12–13 pt in the decree


PX_MM = 0.2  # chart pixels to millimetres in the document (about 127 dpi)


MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}


PAGE_MM = (210, 297)  # A4


def set_font(run: Any, size: float, *, bold: bool = False, italic: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def para(
    container: Any,
    text: str = "",
    size: float = BODY_PT,
    *,
    bold: bool = False,
    italic: bool = False,
    align: Any = WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: bool = False,
    after: float = 6,
) -> Paragraph:
    paragraph: Paragraph = container.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(after)
    fmt.line_spacing = 1.1
    if indent:
        fmt.first_line_indent = Mm(12.7)
    if text:
        set_font(paragraph.add_run(text), size, bold=bold, italic=italic)
    return paragraph


def cell_para(cell: _Cell, text: str, size: float, **kw: Any) -> Paragraph:
    """The cell's first (empty) paragraph for the first text, new ones after."""
    first: Paragraph = cell.paragraphs[0]
    if not first.text and not first.runs:
        first.alignment = kw.pop("align", WD_ALIGN_PARAGRAPH.CENTER)
        fmt = first.paragraph_format
        fmt.space_before, fmt.space_after = Pt(0), Pt(kw.pop("after", 0))
        if text:
            set_font(first.add_run(text), size, bold=kw.pop("bold", False),
                      italic=kw.pop("italic", False))
        return first
    kw.setdefault("align", WD_ALIGN_PARAGRAPH.CENTER)
    kw.setdefault("after", 0)
    return para(cell, text, size, **kw)


def rule(cell: _Cell, width_mm: float) -> None:
    """A short horizontal rule under a header block: a bottom-bordered, centred empty table
    cell is fragile across viewers, so the rule is a paragraph border on an indented line."""
    paragraph = cell_para(cell, "", 4)
    cell_width = cell.width.mm if cell.width is not None else width_mm * 2
    side = max(0.0, (cell_width - width_mm) / 2)
    paragraph.paragraph_format.left_indent = Mm(side)
    paragraph.paragraph_format.right_indent = Mm(side)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def set_widths(table: Any, widths_mm: list[float]) -> None:
    """Column widths in the table grid (what LibreOffice reads) and in every cell (Word)."""
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)


def hyperlink(paragraph: Paragraph, text: str, url: str, size: float) -> None:
    part = paragraph.part
    rel = part.relate_to(
        url, "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
        is_external=True,
    )
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    props.append(fonts)
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "0563C1")
    props.append(color)
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(underline)
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(int(size * 2)))
    props.append(sz)
    run.append(props)
    text_el = OxmlElement("w:t")
    text_el.text = text
    text_el.set(qn("xml:space"), "preserve")
    run.append(text_el)
    link.append(run)
    paragraph._p.append(link)


def grid(document: DocumentObject, header: list[str], rows: list[list[str]],
          widths: list[float], size: float = 12) -> Any:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell_para(cell, text, size, bold=True)
    for row in rows:
        cells = table.add_row().cells
        for n, (cell, text) in enumerate(zip(cells, row, strict=True)):
            cell_para(cell, text, size,
                       align=WD_ALIGN_PARAGRAPH.LEFT if n == 1 else WD_ALIGN_PARAGRAPH.CENTER)
    set_widths(table, widths)
    return table


def picture(document: DocumentObject, png: bytes) -> None:
    """A chart at a fixed scale (never stretched to the page), at most the text width."""
    import struct

    width_px = struct.unpack(">I", png[16:20])[0]
    usable = PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"]
    document.add_picture(io.BytesIO(png), width=Mm(min(usable, width_px * PX_MM)))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def clip(text: str, limit: int = 600) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rule_para(document: DocumentObject, width_mm: float) -> None:
    paragraph = para(document, "", 4, align=WD_ALIGN_PARAGRAPH.CENTER, after=8)
    usable = PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"]
    side = (usable - width_mm) / 2
    paragraph.paragraph_format.left_indent = Mm(side)
    paragraph.paragraph_format.right_indent = Mm(side)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)
