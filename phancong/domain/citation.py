"""A duty's citation of its plan paragraph, shown in the reader's language (pure).

Citations are stored in their English form ('V.3', 'II.1, item a', 'III.5.1, paragraph 1',
'IV.3, bullet 2'); that form stays the machine interface (API, database). Vietnamese readers
of the portal, emails, reports and exports see 'Mục IV.3, gạch đầu dòng 2'.
"""

from __future__ import annotations

import re

_CITATION = re.compile(
    r"^(?:Section )?(?P<section>[IVX]+(?:\.\d+)*)"
    r"(?:, (?P<part>bullet|item|point|paragraph) (?P<number>[0-9a-zđ]+))?$"
)
CITATION_PARTS_VI = {
    "bullet": "gạch đầu dòng",
    "item": "điểm",
    "point": "điểm",
    "paragraph": "đoạn",
}


def fmt_citation(source: str, lang: str = "vi") -> str:
    """A duty's citation in the reader's language: 'IV.3, bullet 2' → 'Mục IV.3, gạch đầu dòng 2'.

    English readers (``lang`` other than ``"vi"``) get the stored form unchanged, and a form not
    recognised is shown as stored.
    """
    if lang != "vi":
        return source
    match = _CITATION.match(source)
    if match is None:
        return source
    text = f"Mục {match['section']}"
    if match["part"]:
        text += f", {CITATION_PARTS_VI[match['part']]} {match['number']}"
    return text
