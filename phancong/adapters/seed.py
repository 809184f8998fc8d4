"""Reads a source plan text and lists its citable paragraphs ("IV.3, bullet 2", "II.1, item a").

The texts are plain or lightly marked-down copies of the documents; page breaks split some
paragraphs, so a line that does not open a new item continues the previous one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SECTION = re.compile(r"^(?P<roman>[IVX]+)\.\s+\S")
NUMBERED = re.compile(r"^(?P<num>\d+(?:\.\d+)*)\.?\s+\S")
LETTERED = re.compile(r"^(?P<letter>[a-zđ])\)\s+\S")
BULLET = re.compile(r"^[-•]\s+\S")
ASSIGNMENT = re.compile(r"^\\?\*\s*(Giao|Đề nghị|PC|PV|PA|PX|Công an)")


@dataclass(frozen=True)
class SeedParagraph:
    citation: str
    section: str
    text: str
    line: int


def _clean(line: str) -> str:
    line = line.strip().lstrip("#").strip()
    line = line.replace("**", "")
    if line.startswith("*") and line.endswith("*") and not line.startswith("*\\*"):
        line = line.strip("*").strip()
    return line


def paragraphs(text: str) -> list[SeedParagraph]:
    """Citable paragraphs: numbered items, their bullets and lettered items.

    A numbered item with bullets or letters is cited through them; one without is cited as a
    whole ("IV.7"). Markers such as "* Giao PC02 chủ trì…" close a group and are not paragraphs.
    """
    out: list[SeedParagraph] = []
    section: str | None = None
    number: str | None = None
    number_text = ""
    number_line = 0
    children = 0
    bullet_count = 0

    def close_number() -> None:
        if section and number and children == 0:
            out.append(SeedParagraph(f"{section}.{number}", section, number_text, number_line))

    for index, raw in enumerate(text.splitlines(), start=1):
        line = _clean(raw)
        if not line:
            continue
        if line.startswith(("Nơi nhận", "KT. ", "TM. ")):
            close_number()
            number = None
            section = None
            continue
        match = SECTION.match(line)
        if match and line.split(".", 1)[1].strip()[:1].isupper():
            close_number()
            section, number, children = match["roman"], None, 0
            continue
        if section is None:
            continue
        if ASSIGNMENT.match(raw.strip()) or line.startswith("\\*"):
            continue
        match = NUMBERED.match(line)
        if match:
            close_number()
            number, number_text, number_line = match["num"], line, index
            children, bullet_count = 0, 0
            continue
        if number is None:
            continue
        match = LETTERED.match(line)
        if match:
            children += 1
            out.append(
                SeedParagraph(f"{section}.{number}, item {match['letter']}", section, line, index)
            )
            continue
        if BULLET.match(line):
            children += 1
            bullet_count += 1
            out.append(
                SeedParagraph(
                    f"{section}.{number}, bullet {bullet_count}", section, line[1:].strip(), index
                )
            )
            continue
        if children == 0 and number_text:
            number_text = f"{number_text} {line}"
    close_number()
    # a numbered item with numbered sub-items ("1." above "1.1.") is a heading, not a duty
    heads = {p.citation for p in out if "," not in p.citation}
    parents = {c for c in heads if any(o.startswith(c + ".") for o in heads)}
    return [p for p in out if p.citation not in parents]


def read(path: str | Path) -> list[SeedParagraph]:
    return paragraphs(Path(path).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Coverage:
    declared: list[SeedParagraph]
    missing: list[SeedParagraph]
    unknown: list[str]  # citations in the plan that the text does not have


def coverage(
    seed: list[SeedParagraph], cited: set[str], sections: set[str] | None = None
) -> Coverage:
    """Which paragraphs of the sections the plan draws on are declared, which are not.

    A duty citing a numbered item ("III.3.2") covers that item's bullets too.
    """
    if sections is None:
        sections = {c.split(".", 1)[0] for c in cited}
    relevant = [p for p in seed if p.section in sections]
    known = {p.citation for p in seed}
    bases = {c.split(",", 1)[0] for c in cited}

    def is_declared(p: SeedParagraph) -> bool:
        # "III.3.2" covers its bullets; "III.5.1, paragraph 1" covers the item III.5.1
        return p.citation in cited or p.citation.split(",", 1)[0] in (
            cited if "," in p.citation else bases
        )

    declared = [p for p in relevant if is_declared(p)]
    missing = [p for p in relevant if not is_declared(p)]
    numbered = {p.citation.split(",", 1)[0] for p in seed}
    unknown = sorted(c for c in cited if c not in known and c.split(",", 1)[0] not in numbered)
    return Coverage(declared, missing, unknown)
