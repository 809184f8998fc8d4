"""Two small charts, drawn without a plotting library: the on-time rate per agency over the
periods, and "x of N reported" per period.

``svg_*`` return inline SVG for the portal (text escaped, sized by a viewBox, readable by
screen readers through ``<title>``); ``png_*`` return a PNG for the consolidated DOCX, drawn
pixel by pixel with a 5×7 bitmap font (upper-case ASCII: names are written without diacritics
in the picture; the document's legend and tables carry the full Vietnamese names). A PNG is
zlib-compressed scanlines in three chunks — no imaging library is needed for bars and labels.
Pure: data in, bytes or text out.
"""

from __future__ import annotations

import struct
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class RateRow:
    """One agency (or a group of units) and its on-time rate per period (None: nothing due)."""

    name: str
    short: str
    rates: tuple[float | None, ...]


@dataclass(frozen=True)
class ReportedBar:
    period: str  # the period's title, e.g. "Quý I/2026"
    short: str  # ASCII, for the PNG: "Q1/26"
    reported: int
    expected: int


def period_short(label: str) -> str:
    """'2026-Q1' → 'Q1/26', '2026-H2' → 'H2/26', '2026-03' → 'T3/26', '2026' → '2026'."""
    year, _, rest = label.partition("-")
    if not rest:
        return year
    if rest[:1] in ("Q", "H"):
        return f"{rest}/{year[2:]}"
    if rest.isdigit():
        return f"T{int(rest)}/{year[2:]}"
    return label[:8]


def ascii_upper(text: str) -> str:
    """Vietnamese text as upper-case ASCII for the bitmap font ('Sở Tư pháp' → 'SO TU PHAP')."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in plain if c.isascii()).upper()


def _label(x: float, y: float, text: str, size: int = 11, width: int = 14) -> str:
    """A centred label on one line, or two when longer than ``width`` characters."""
    lines = [text]
    if len(text) > width and " " in text:
        head, _, tail = text.rpartition(" ")
        lines = [head, tail]
    spans = "".join(
        f'<tspan x="{x:.0f}" dy="{0 if n == 0 else size + 1}">{escape(line)}</tspan>'
        for n, line in enumerate(lines)
    )
    return f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" text-anchor="middle">{spans}</text>'


def _color(rate: float | None) -> str:
    if rate is None:
        return "#d0d4d9"
    if rate >= 0.9:
        return "#2e7d32"
    if rate >= 0.7:
        return "#f9a825"
    return "#c62828"


# ----------------------------------------------------------------------------- SVG


def svg_rates(rows: Sequence[RateRow], periods: Sequence[str], title: str) -> str:
    """A grid: one row per agency, one column per period, a bar as tall as the on-time rate."""
    label_w, cell_w, cell_h, top = 230, 96, 30, 56
    width = label_w + cell_w * max(1, len(periods)) + 10
    height = top + cell_h * max(1, len(rows)) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-labelledby="chart-rates-title" '
        f'data-testid="chart-rates" width="{width}" height="{height}">',
        f'<title id="chart-rates-title">{escape(title)}</title>',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for j, period in enumerate(periods):
        parts.append(_label(label_w + j * cell_w + cell_w / 2, 34, period))
    for i, row in enumerate(rows):
        y = top + i * cell_h
        name = row.name if len(row.name) <= 34 else row.name[:33] + "…"
        parts.append(
            f'<text x="0" y="{y + 19}" font-size="12"><title>{escape(row.name)}</title>'
            f"{escape(name)}</text>"
        )
        for j, rate in enumerate(row.rates):
            x = label_w + j * cell_w + 6
            inner = cell_h - 8
            parts.append(
                f'<rect x="{x}" y="{y + 2}" width="{cell_w - 12}" height="{inner}" '
                'fill="#f1f3f5"/>'
            )
            if rate is not None:
                bar = max(1.0, inner * rate)
                parts.append(
                    f'<rect x="{x}" y="{y + 2 + inner - bar:.1f}" width="{cell_w - 12}" '
                    f'height="{bar:.1f}" fill="{_color(rate)}" data-rate="{rate:.3f}"/>'
                )
            text = "—" if rate is None else f"{round(rate * 100)}%"
            parts.append(
                f'<text x="{x + (cell_w - 12) / 2:.0f}" y="{y + 19}" font-size="11" '
                f'text-anchor="middle">{text}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def svg_reported(bars: Sequence[ReportedBar], title: str) -> str:
    """Vertical bars per period: the reported part filled, 'x/N' above."""
    bar_w, gap, plot_h, top = 64, 40, 140, 40
    width = max(1, len(bars)) * (bar_w + gap) + gap
    height = top + plot_h + 48
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-labelledby="chart-reported-title" '
        f'data-testid="chart-reported" width="{width}" height="{height}">',
        f'<title id="chart-reported-title">{escape(title)}</title>',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for i, b in enumerate(bars):
        x = gap + i * (bar_w + gap)
        share = b.reported / b.expected if b.expected else 0.0
        filled = plot_h * share
        parts.append(
            f'<rect x="{x}" y="{top}" width="{bar_w}" height="{plot_h}" fill="#e3e7eb"/>'
            f'<rect x="{x}" y="{top + plot_h - filled:.1f}" width="{bar_w}" height="{filled:.1f}" '
            f'fill="#1565c0" data-reported="{b.reported}" data-expected="{b.expected}"/>'
            f'<text x="{x + bar_w / 2}" y="{top - 6}" font-size="12" text-anchor="middle">'
            f"{b.reported}/{b.expected}</text>"
            + _label(x + bar_w / 2, top + plot_h + 16, b.period)
        )
    parts.append("</svg>")
    return "".join(parts)


# ----------------------------------------------------------------------------- PNG

_FONT: dict[str, tuple[str, ...]] = {
    "A": ("01110", "10001", "10001", "11111", "10001", "10001", "10001"),
    "B": ("11110", "10001", "10001", "11110", "10001", "10001", "11110"),
    "C": ("01110", "10001", "10000", "10000", "10000", "10001", "01110"),
    "D": ("11110", "10001", "10001", "10001", "10001", "10001", "11110"),
    "E": ("11111", "10000", "10000", "11110", "10000", "10000", "11111"),
    "F": ("11111", "10000", "10000", "11110", "10000", "10000", "10000"),
    "G": ("01110", "10001", "10000", "10111", "10001", "10001", "01111"),
    "H": ("10001", "10001", "10001", "11111", "10001", "10001", "10001"),
    "I": ("01110", "00100", "00100", "00100", "00100", "00100", "01110"),
    "J": ("00111", "00010", "00010", "00010", "00010", "10010", "01100"),
    "K": ("10001", "10010", "10100", "11000", "10100", "10010", "10001"),
    "L": ("10000", "10000", "10000", "10000", "10000", "10000", "11111"),
    "M": ("10001", "11011", "10101", "10101", "10001", "10001", "10001"),
    "N": ("10001", "10001", "11001", "10101", "10011", "10001", "10001"),
    "O": ("01110", "10001", "10001", "10001", "10001", "10001", "01110"),
    "P": ("11110", "10001", "10001", "11110", "10000", "10000", "10000"),
    "Q": ("01110", "10001", "10001", "10001", "10101", "10010", "01101"),
    "R": ("11110", "10001", "10001", "11110", "10100", "10010", "10001"),
    "S": ("01111", "10000", "10000", "01110", "00001", "00001", "11110"),
    "T": ("11111", "00100", "00100", "00100", "00100", "00100", "00100"),
    "U": ("10001", "10001", "10001", "10001", "10001", "10001", "01110"),
    "V": ("10001", "10001", "10001", "10001", "10001", "01010", "00100"),
    "W": ("10001", "10001", "10001", "10101", "10101", "10101", "01010"),
    "X": ("10001", "10001", "01010", "00100", "01010", "10001", "10001"),
    "Y": ("10001", "10001", "01010", "00100", "00100", "00100", "00100"),
    "Z": ("11111", "00001", "00010", "00100", "01000", "10000", "11111"),
    "0": ("01110", "10001", "10011", "10101", "11001", "10001", "01110"),
    "1": ("00100", "01100", "00100", "00100", "00100", "00100", "01110"),
    "2": ("01110", "10001", "00001", "00010", "00100", "01000", "11111"),
    "3": ("11111", "00010", "00100", "00010", "00001", "10001", "01110"),
    "4": ("00010", "00110", "01010", "10010", "11111", "00010", "00010"),
    "5": ("11111", "10000", "11110", "00001", "00001", "10001", "01110"),
    "6": ("00110", "01000", "10000", "11110", "10001", "10001", "01110"),
    "7": ("11111", "00001", "00010", "00100", "01000", "01000", "01000"),
    "8": ("01110", "10001", "10001", "01110", "10001", "10001", "01110"),
    "9": ("01110", "10001", "10001", "01111", "00001", "00010", "01100"),
    "%": ("11000", "11001", "00010", "00100", "01000", "10011", "00011"),
    "/": ("00000", "00001", "00010", "00100", "01000", "10000", "00000"),
    "-": ("00000", "00000", "00000", "11111", "00000", "00000", "00000"),
    ".": ("00000", "00000", "00000", "00000", "00000", "01100", "01100"),
    ",": ("00000", "00000", "00000", "00000", "01100", "00100", "01000"),
    "(": ("00010", "00100", "01000", "01000", "01000", "00100", "00010"),
    ")": ("01000", "00100", "00010", "00010", "00010", "00100", "01000"),
    " ": ("00000",) * 7,
}

Rgb = tuple[int, int, int]
WHITE: Rgb = (255, 255, 255)
BLACK: Rgb = (33, 37, 41)
GREY: Rgb = (227, 231, 235)


def _rgb(color: str) -> Rgb:
    return (int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16))


class Canvas:
    """An RGB raster with rectangles and bitmap text, written out as PNG."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.rows = [bytearray(bytes(WHITE) * width) for _ in range(height)]

    def rect(self, x: int, y: int, w: int, h: int, color: Rgb) -> None:
        x0, x1 = max(0, x), min(self.width, x + w)
        if x1 <= x0:
            return
        span = bytes(color) * (x1 - x0)
        for row in range(max(0, y), min(self.height, y + h)):
            self.rows[row][x0 * 3 : x1 * 3] = span

    def text(self, x: int, y: int, text: str, scale: int = 2, color: Rgb = BLACK) -> int:
        """Draw ``text`` (upper-case ASCII; anything else as a space); returns its width."""
        cursor = x
        for char in text:
            glyph = _FONT.get(char.upper(), _FONT[" "])
            for r, line in enumerate(glyph):
                for c, bit in enumerate(line):
                    if bit == "1":
                        self.rect(cursor + c * scale, y + r * scale, scale, scale, color)
            cursor += 6 * scale
        return cursor - x

    @staticmethod
    def text_width(text: str, scale: int = 2) -> int:
        return len(text) * 6 * scale

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)

        def chunk(kind: bytes, data: bytes) -> bytes:
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


def png_rates(rows: Sequence[RateRow], periods: Sequence[str]) -> bytes:
    """The rate grid as a PNG (row labels: the agencies' short names in ASCII)."""
    label_w = max([Canvas.text_width(ascii_upper(r.short)[:22]) for r in rows] + [60]) + 16
    cell_w, cell_h, top = 110, 40, 30
    canvas = Canvas(label_w + cell_w * max(1, len(periods)) + 10, top + cell_h * len(rows) + 10)
    for j, period in enumerate(periods):
        text = ascii_upper(period)
        x = label_w + j * cell_w + (cell_w - Canvas.text_width(text)) // 2
        canvas.text(x, 8, text)
    for i, row in enumerate(rows):
        y = top + i * cell_h
        canvas.text(4, y + 13, ascii_upper(row.short)[:22])
        for j, rate in enumerate(row.rates):
            x = label_w + j * cell_w + 6
            inner = cell_h - 8
            canvas.rect(x, y + 4, cell_w - 12, inner, GREY)
            if rate is not None:
                bar = max(1, round(inner * rate))
                canvas.rect(x, y + 4 + inner - bar, cell_w - 12, bar, _rgb(_color(rate)))
            text = "-" if rate is None else f"{round(rate * 100)}%"
            tx = x + (cell_w - 12 - Canvas.text_width(text)) // 2
            canvas.rect(tx - 2, y + 11, Canvas.text_width(text) + 2, 18, WHITE)
            canvas.text(tx, y + 13, text)
    return canvas.png()


def png_reported(bars: Sequence[ReportedBar]) -> bytes:
    """The 'x of N reported' bars as a PNG."""
    bar_w, gap, plot_h, top = 90, 30, 180, 30
    canvas = Canvas(max(1, len(bars)) * (bar_w + gap) + gap, top + plot_h + 34)
    for i, b in enumerate(bars):
        x = gap + i * (bar_w + gap)
        share = b.reported / b.expected if b.expected else 0.0
        filled = round(plot_h * share)
        canvas.rect(x, top, bar_w, plot_h, GREY)
        canvas.rect(x, top + plot_h - filled, bar_w, filled, _rgb("#1565c0"))
        label = f"{b.reported}/{b.expected}"
        canvas.text(x + (bar_w - Canvas.text_width(label)) // 2, top - 20, label)
        period = ascii_upper(b.short)
        canvas.text(x + (bar_w - Canvas.text_width(period)) // 2, top + plot_h + 10, period)
    return canvas.png()
