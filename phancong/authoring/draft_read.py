"""Reading a plan document (.docx or plain text) into clean paragraphs, and its outline.

Plain text may be UTF-8 with or without a byte-order mark, NFC or NFD, with Windows or Unix
line endings; Markdown-like decoration left by converters (``**``, ``##``, ``\\*``) is dropped.
A paragraph that starts in lower case continues the previous one (a page break in the source).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

_ROMAN = re.compile(r"^(?P<num>[IVX]+)\.\s+(?P<text>\S.*)$")
_NUMBERED = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2})*)\.?\s+(?P<text>\S.*)$")
_LETTER = re.compile(r"^(?P<num>[a-zđ])\)\s*(?P<text>\S.*)$")
_BULLET = re.compile(r"^[-–—•+]\s*(?P<text>\S.*)$")
_STAR = re.compile(r"^\*\s*(?P<text>\S.*)$")


def read_document(path: str | Path) -> list[str]:
    """The document's paragraphs, cleaned, in order."""
    path = Path(path)
    if path.suffix.casefold() == ".docx":
        from docx import Document

        document = Document(str(path))
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                lines.append(" · ".join(cell.text for cell in row.cells))
        return clean(lines)
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    return clean(re.split(r"\r\n|\r|\n", text))


def _strip_decoration(line: str) -> str:
    line = unicodedata.normalize("NFC", line).replace("\u00a0", " ").replace("\t", " ")
    line = re.sub(r"^#{1,6}\s*", "", line.strip())
    starred = bool(re.match(r"^(\*\s*)?\\\*", line))  # '*\\* Giao …' / '\\* *Giao …*'
    if starred:
        line = re.sub(r"^(\*\s*)?\\\*\s*\*?", "", line).rstrip("*").strip()
        return "* " + " ".join(line.replace("\\*", "*").replace("**", "").split())
    line = line.replace("\\*", "*").replace("**", "")
    line = line.replace("(*", "(").replace("*)", ")")
    line = re.sub(r"(?<!\S)\*(?=\S)([^*]+?)(?<=\S)\*(?!\S)", r"\1", line)  # *italic*
    line = re.sub(r"^\*\s*\*\s*", "* ", line)
    return " ".join(line.split()).strip()


def clean(lines: list[str]) -> list[str]:
    paragraphs: list[str] = []
    blank_before = True
    for raw in lines:
        line = _strip_decoration(raw)
        if re.match(r"^Nơi nhận\s*:", line):
            break  # the distribution list and signature follow the body
        if not line:
            blank_before = True
            continue
        continues = (
            paragraphs
            and line[0].islower()
            and not _BULLET.match(line)
            and not _LETTER.match(line)
            and not re.search(r"[.;:!?]$", paragraphs[-1])
        )
        if continues or (paragraphs and not blank_before and _joins_title(paragraphs[-1], line)):
            paragraphs[-1] += " " + line
        else:
            paragraphs.append(line)
        blank_before = False
    return paragraphs


def _joins_title(previous: str, line: str) -> bool:
    """Lines of one title block broken by hand ('… tội phạm,' / 'vi phạm …')."""
    return previous.endswith(",") and not (_NUMBERED.match(line) or _ROMAN.match(line))


@dataclass
class Node:
    """A section, numbered paragraph, lettered item or bullet, with what follows it."""

    kind: str  # section | numbered | item | bullet | star | para
    number: str
    text: str
    citation: str
    line: int
    children: list[Node] = field(default_factory=list)

    def kids(self, kind: str) -> list[Node]:
        return [c for c in self.children if c.kind == kind]


def outline(paragraphs: list[str]) -> list[Node]:
    """Sections (I, II, …) holding numbered paragraphs, items, bullets and plain paragraphs."""
    sections: list[Node] = []
    stack: list[Node] = []  # numbered nodes, outermost first
    for index, text in enumerate(paragraphs):
        if m := _ROMAN.match(text):
            node = Node("section", m["num"], m["text"], m["num"], index)
            sections.append(node)
            stack = []
            continue
        if not sections:
            continue
        section = sections[-1]
        if (m := _NUMBERED.match(text)) and not re.match(r"^\d+\.\d*\s*%", text):
            parts = m["num"].split(".")
            while stack and len(stack[-1].number.split(".")) >= len(parts):
                stack.pop()
            parent = stack[-1] if stack else section
            node = Node("numbered", m["num"], m["text"], f"{section.number}.{m['num']}", index)
            parent.children.append(node)
            stack.append(node)
            continue
        owner = stack[-1] if stack else section
        if m := _LETTER.match(text):
            owner.children.append(
                Node("item", m["num"], m["text"], f"{owner.citation}, item {m['num']}", index)
            )
        elif m := _BULLET.match(text):
            count = len(owner.kids("bullet")) + 1
            owner.children.append(
                Node("bullet", str(count), m["text"], f"{owner.citation}, bullet {count}", index)
            )
        elif m := _STAR.match(text):
            owner.children.append(Node("star", "", m["text"], owner.citation, index))
        else:
            last = owner.children[-1] if owner.children else None
            if last is not None and last.kind in ("item", "bullet") and not _assignment_like(text):
                last.text += "\n" + text  # a further paragraph of the same item or bullet
            else:
                owner.children.append(Node("para", "", text, owner.citation, index))
    return sections


def _assignment_like(text: str) -> bool:
    return bool(re.match(r"^(Giao|Đề nghị)\b", text))
