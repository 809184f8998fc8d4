"""A duty's citation of its plan paragraph: read in any usual style, stored in one form, shown in
the reader's language (pure).

Plans cite their paragraphs as Vietnamese documents do — "Mục IV.1, gạch đầu dòng 2", "mục 2.1,
điểm a", "Điều 5, khoản 2, điểm a", "điểm a khoản 2 Điều 5" — or in English ("IV.3, bullet 2",
"Article 5, clause 2, point a"). :func:`parse_citation` reads any of them into the stored form,
the machine interface (API, database): a section (Roman "IV.3" or Arabic "2.1") or an article
("Article 5"), then its parts from the largest to the smallest, each "kind number"
("IV.3, bullet 2", "II.1, item a", "2.1, bullet 3, item b", "Article 5, clause 2, point a").
:func:`fmt_citation` shows the stored form in Vietnamese ("Mục IV.3, gạch đầu dòng 2").
"""

from __future__ import annotations

import re
import unicodedata

# part kinds of the stored form, from the largest to the smallest, and their Vietnamese words
CITATION_PARTS_VI = {
    "clause": "khoản",
    "paragraph": "đoạn",
    "bullet": "gạch đầu dòng",
    "item": "điểm",
    "point": "điểm",
}
_RANK = {kind: rank for rank, kind in enumerate(CITATION_PARTS_VI)}
_RANK["point"] = _RANK["item"]

_SECTION = r"(?:[IVX]+|\d+)(?:\.\d+)*"
_NUMBER = r"[0-9]+[a-zđ]?|[a-zđ]"
_STORED = re.compile(
    rf"^(?:Section )?(?P<head>{_SECTION}|Article \d+[a-z]?)"
    rf"(?P<parts>(?:, (?:{'|'.join(CITATION_PARTS_VI)}) (?:{_NUMBER}))*)$"
)
_STORED_PART = re.compile(rf", (?P<kind>[a-z]+) (?P<number>{_NUMBER})")

# words of the usual styles → (kind of the stored form, what its number looks like)
_WORDS: list[tuple[str, str, str]] = [
    (r"mục|section|phần", "section", _SECTION),
    (r"điều|article|art\.", "article", r"\d+[a-zđ]?"),
    (r"khoản|clause", "clause", r"\d+"),
    (r"đoạn|paragraph|para\.", "paragraph", r"\d+"),
    (r"gạch đầu dòng|gạch|bullet|ý", "bullet", r"\d+"),
    (r"điểm|item|point|tiết", "item", r"[a-zđ]|\d+[a-zđ]?"),
]
_TOKEN = re.compile(
    "|".join(f"(?P<k{i}>(?:{words})\\s*(?P<n{i}>{number}))" for i, (words, _, number) in
             enumerate(_WORDS)),
    re.IGNORECASE,
)
_BARE_HEAD = re.compile(rf"^(?P<head>{_SECTION})\.?(?=$|[\s,;])")
_SEPARATORS = re.compile(r"^[\s,;–-]*$")

EXAMPLES = ("IV.3, bullet 2", "Mục IV.3, gạch đầu dòng 2", "II.1, điểm a", "2.1, bullet 3",
            "Điều 5, khoản 2, điểm a")


class CitationError(ValueError):
    def __init__(self, text: str) -> None:
        self.text = text
        examples = ", ".join(f"'{e}'" for e in EXAMPLES)
        super().__init__(
            f"không đọc được căn cứ '{text}': ghi mục (La Mã hoặc số), điều, khoản, điểm, gạch "
            f"đầu dòng, ví dụ {examples} / cannot read the citation '{text}': cite a section "
            f"(Roman or Arabic), article, clause, item or bullet, e.g. {examples}"
        )


def parse_citation(text: str) -> str:
    """The stored form of a citation written in any usual style; :class:`CitationError` (a
    ``ValueError`` whose message shows examples) when it cannot be read."""
    raw = " ".join(unicodedata.normalize("NFC", text).split())
    if _STORED.match(raw):
        return raw.removeprefix("Section ")
    head: str | None = None
    parts: list[tuple[str, str]] = []
    rest = raw
    bare = _BARE_HEAD.match(rest)
    if bare:
        head, rest = bare["head"], rest[bare.end():]
    position = 0
    leftovers = []
    for match in _TOKEN.finditer(rest):
        leftovers.append(rest[position:match.start()])
        position = match.end()
        index = next(i for i in range(len(_WORDS)) if match[f"k{i}"])
        kind, number = _WORDS[index][1], match[f"n{index}"]
        if kind in ("section", "article"):
            if head is not None:
                raise CitationError(text)
            head = number.upper() if kind == "section" else f"Article {number.lower()}"
        else:
            parts.append((kind, number.lower()))
    leftovers.append(rest[position:])
    if head is None or not all(_SEPARATORS.match(piece) for piece in leftovers):
        raise CitationError(text)
    if head.startswith("Article") and any(kind == "item" for kind, _ in parts):
        parts = [("point" if kind == "item" else kind, n) for kind, n in parts]
    parts.sort(key=lambda p: _RANK[p[0]])  # "điểm a khoản 2 Điều 5" reads from the smallest
    if len({kind for kind, _ in parts}) != len(parts):
        raise CitationError(text)
    stored = head + "".join(f", {kind} {number}" for kind, number in parts)
    if not _STORED.match(stored):
        raise CitationError(text)
    return stored


def fmt_citation(source: str, lang: str = "vi") -> str:
    """A duty's citation in the reader's language: 'IV.3, bullet 2' → 'Mục IV.3, gạch đầu dòng 2',
    'Article 5, clause 2, point a' → 'Điều 5, khoản 2, điểm a'.

    English readers (``lang`` other than ``"vi"``) get the stored form unchanged, and a form not
    recognised is shown as stored.
    """
    if lang != "vi":
        return source
    match = _STORED.match(source)
    if match is None:
        return source
    head = match["head"]
    text = f"Điều {head.split()[1]}" if head.startswith("Article") else f"Mục {head}"
    for part in _STORED_PART.finditer(match["parts"]):
        text += f", {CITATION_PARTS_VI[part['kind']]} {part['number']}"
    return text
