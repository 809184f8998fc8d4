"""Recognising the bodies a plan names: departments, police divisions, procuracy, court, Front…

Names follow the national nomenclature of provincial bodies (no plan-specific tables): a
``Body`` is keyed by what it is ('vks' = the provincial procuracy) so that "Viện kiểm sát nhân
dân tỉnh", "… Thành phố" and "… cùng cấp" are one body. Groups that the text cannot expand
("Công an các huyện, thị xã, thành phố") are marked ``fill``: the clerk lists their members.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from phancong.domain.agencies import AgencyKind

K = AgencyKind


@dataclass(frozen=True)
class Body:
    key: str
    name: str  # '{level}' is replaced by the plan's level word ('Thành phố', 'tỉnh')
    kind: AgencyKind
    group: str = ""  # '' = an agency; 'wards' | 'fill' | 'departments' | 'front' | 'reporting'
    short: str | None = None


@dataclass(frozen=True)
class Mention:
    body: Body
    start: int
    end: int
    text: str
    open_set: bool = False  # "… có liên quan": an open set, not a list of bodies


_LEVEL = (
    r"(?:\s+(?:nhân dân\s+)?(?:Thành phố|thành phố|tỉnh|TP|cùng cấp|các cấp)"
    r"(?:\s+[A-ZĐ][^\s,;.()]*){0,3})?"
)
_V = r"[^\s,;.()]*"  # one word

# Departments of a provincial People's Committee (the national list, before and after 2025).
DEPARTMENTS = {
    "Nội vụ": "so-noi-vu",
    "Tư pháp": "so-tu-phap",
    "Tài chính": "so-tai-chinh",
    "Kế hoạch và Đầu tư": "so-khdt",
    "Xây dựng": "so-xay-dung",
    "Công Thương": "so-cong-thuong",
    "Nông nghiệp và Môi trường": "so-nnmt",
    "Nông nghiệp và Phát triển nông thôn": "so-nnptnt",
    "Tài nguyên và Môi trường": "so-tnmt",
    "Khoa học và Công nghệ": "so-khcn",
    "Giáo dục và Đào tạo": "so-gddt",
    "Y tế": "so-y-te",
    "Văn hóa và Thể thao": "so-vhtt",
    "Văn hóa, Thể thao và Du lịch": "so-vhttdl",
    "Du lịch": "so-du-lich",
    "Thông tin và Truyền thông": "so-tttt",
    "Giao thông vận tải": "so-gtvt",
    "Lao động - Thương binh và Xã hội": "so-ldtbxh",
    "Lao động-Thương binh và Xã hội": "so-ldtbxh",
    "Dân tộc và Tôn giáo": "so-dttg",
    "Ngoại vụ": "so-ngoai-vu",
}
# Divisions of a provincial police force by their Ministry code (Decree 01/2018 nomenclature).
POLICE_CODES = {
    "PV01": "Phòng Tham mưu",
    "PV05": "Phòng Xây dựng phong trào bảo vệ an ninh Tổ quốc",
    "PX03": "Phòng Công tác Đảng và công tác chính trị",
    "PA03": "Phòng An ninh chính trị nội bộ",
    "PA04": "Phòng An ninh kinh tế",
    "PA05": "Phòng An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao",
    "PA09": "Phòng An ninh điều tra",
    "PC01": "Văn phòng Cơ quan Cảnh sát điều tra",
    "PC02": "Phòng Cảnh sát hình sự",
    "PC03": "Phòng Cảnh sát kinh tế",
    "PC04": "Phòng Cảnh sát điều tra tội phạm về ma túy",
    "PC06": "Phòng Cảnh sát quản lý hành chính về trật tự xã hội",
    "PC08": "Phòng Cảnh sát giao thông",
    "PC10": "Phòng Cảnh sát quản lý trại giam",
}
_DIVISION_NAMES = {
    name.removeprefix("Phòng ").removeprefix("Văn phòng "): code
    for code, name in POLICE_CODES.items()
    if code != "PC01"
}

POLICE = Body("cong-an", "Công an {level}", K.POLICE, short="CA")
WARDS = Body("xa-phuong", "UBND các xã, phường", K.COMMUNE, group="wards")
DEPARTMENTS_GROUP = Body("so-ban-nganh", "Các sở, ban, ngành", K.DEPARTMENT, group="departments")
# "tổ chức, đoàn thể" beside the departments: the Front and its member organisations, outside
# the issuer's command (requested); the group is every such body the plan names
FRONT_GROUP = Body(
    "mat-tran-doan-the",
    "Ủy ban Mặt trận Tổ quốc Việt Nam và các tổ chức, đoàn thể",
    K.FRONT,
    group="front",
)
VKS = Body("vks", "Viện Kiểm sát nhân dân {level}", K.JUDICIAL)
TAND = Body("tand", "Tòa án nhân dân {level}", K.JUDICIAL)
_TABLE: list[tuple[str, Body]] = [
    (r"(?:cơ quan|Cơ quan)\s+tiến hành tố tụng(?:\s*\([^)]*\))?", Body("to-tung", "", K.JUDICIAL)),
    (
        r"(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+(?:các\s+)?xã,\s*phường"
        r"(?:,\s*thị trấn)?(?:,\s*đặc khu)?",
        WARDS,
    ),
    (
        r"Công an\s+(?:các|cấp)\s+huyện(?:,\s*thị xã,\s*thành phố)?(?:\s+thuộc tỉnh)?",
        Body("ca-cap-huyen", "Công an các huyện, thị xã, thành phố", K.DISTRICT, group="fill"),
    ),
    (
        r"(?:UBND|Ủy ban nhân dân)\s+(?:các|cấp)\s+huyện(?:,\s*thị xã,\s*thành phố)?",
        Body("ubnd-cap-huyen", "UBND các huyện, thị xã, thành phố", K.DISTRICT, group="fill"),
    ),
    (
        r"(?:các\s+)?phòng nghiệp vụ(?:\s+(?:thuộc\s+)?Công an tỉnh)?",
        Body("phong-nghiep-vu", "Các phòng nghiệp vụ Công an {level}", K.POLICE, group="fill"),
    ),
    (
        r"(?:các\s+)?(?:(?:đơn vị thuộc ngành|[Ss]ở,\s*(?:ban,\s*)?ngành|đơn vị)(?:\s+là)?\s+)?"
        r"thành viên\s+Ban\s+[Cc]hỉ\s+đạo(?:\s+\d+)?(?:\s*/?\s*(?:tỉnh|Thành phố|TP))?",
        Body("thanh-vien-bcd", "Các sở, ban, ngành thành viên Ban Chỉ đạo", K.OTHER),
    ),
    (
        r"[Cc]ác\s+[Ss]ở,\s*ban,\s*ngành\s+khác(?:\s+của\s+(?:Thành phố|tỉnh))?",
        Body("so-nganh-khac", "Các sở, ban, ngành khác", K.OTHER),
    ),
    (
        r"(?:các\s+)?[Ss]ở,\s*(?:ban,\s*)?ngành(?:,\s*(?:tổ chức,\s*)?đoàn thể)?"
        r"(?:\s+(?:có\s+)?liên quan)?",
        DEPARTMENTS_GROUP,
    ),
    (r"Giám đốc Công an" + _LEVEL, Body("giam-doc-ca", "Giám đốc Công an {level}", K.POLICE)),
    (
        r"(?:Phòng\s+|lực lượng\s+)?Cảnh sát hình sự(?:\s+Công an" + _LEVEL + ")?",
        Body("pc02", POLICE_CODES["PC02"], K.POLICE, short="PC02"),
    ),
    (
        r"\bCATP\b|Công an\s+(?:Thành phố|thành phố|tỉnh|TP)(?:\s+[A-ZĐ][^\s,;.()]*){0,2}"
        r"|(?:(?<=lực lượng )|(?<=Lực lượng ))Công an(?!\s+(?:xã|cấp|các))(?:\s+nhân dân)?",
        POLICE,
    ),
    (r"[Vv]iện\s+[Kk]iểm\s+sát(?:\s+nhân dân)?" + _LEVEL, VKS),
    (r"[Tt]òa án(?:\s+nhân dân)?" + _LEVEL, TAND),
    (
        r"(?:Ủy ban|Uỷ ban|UB)\s*M[ặa]t trận Tổ quốc(?:\s+Việt Nam)?" + _LEVEL,
        Body("mttq", "Ủy ban Mặt trận Tổ quốc Việt Nam {level}", K.FRONT),
    ),
    (
        r"Hội\s+[Ll]iên hiệp\s+[Pp]hụ nữ" + _LEVEL,
        Body("hoi-phu-nu", "Hội Liên hiệp Phụ nữ {level}", K.MASS_ORGANISATION),
    ),
    (
        r"(?:Thành đoàn|Tỉnh đoàn)(?:\s+[A-ZĐ]"
        + _V
        + r"(?:\s+[A-ZĐ]"
        + _V
        + ")?)?|Đoàn Thanh niên Cộng sản Hồ Chí Minh"
        + _LEVEL,
        Body("doan-thanh-nien", "", K.MASS_ORGANISATION),
    ),
    (
        r"Bộ Tư lệnh(?:\s+[A-ZĐ][^\s,;.()]*)+",  # a city's military command ("Bộ Tư lệnh <city>")
        Body("bo-tu-lenh", "", K.MILITARY),
    ),
    (r"Bộ Chỉ huy [Qq]uân sự" + _LEVEL, Body("bchqs", "Bộ Chỉ huy Quân sự {level}", K.MILITARY)),
    (
        r"Bộ Chỉ huy Bộ đội Biên phòng" + _LEVEL,
        Body("bdbp", "Bộ Chỉ huy Bộ đội Biên phòng {level}", K.MILITARY),
    ),
    (
        r"Hội đồng phổ biến,?\s+giáo dục pháp luật" + _LEVEL,
        Body("hd-pbgdpl", "Hội đồng phổ biến, giáo dục pháp luật {level}", K.COMMITTEE),
    ),
    (
        r"Ban\s+[Cc]hỉ\s+đạo(?:\s+\d+)?(?:\s*/?\s*(?:Thành phố|tỉnh|TP)(?:\s+[A-ZĐ]"
        + _V
        + r"){0,2})?(?!\s+Bộ)",
        Body("bcd", "Ban Chỉ đạo {level}", K.COMMITTEE),
    ),
    (
        r"(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+(?:Thành phố|thành phố|tỉnh|TP)(?:\s+[A-ZĐ]"
        + _V
        + r"){0,3}",
        Body("ubnd", "Ủy ban nhân dân {level}", K.COMMITTEE, short="UBND"),
    ),
    (r"\b(?:P[AVXCHKB]\d{2})\b", Body("code", "", K.POLICE)),
    (
        r"[Ss]ở\s+(?:"
        + "|".join(re.escape(n) for n in sorted(DEPARTMENTS, key=len, reverse=True))
        + r")",
        Body("so", "", K.DEPARTMENT),
    ),
]
_COMPILED = [(re.compile(pattern), body) for pattern, body in _TABLE]
# After "lực lượng Công an": the sectors listed with it stand for their departments — but
# "Văn hóa xã hội" is the Phòng Văn hóa – Xã hội that every commune and ward has had since the
# two-level local government of 1 July 2025 (no province or district body bears that name): it
# stands for the communes' People's Committees.
_SECTORS = {
    "Y tế": "Y tế",
    "Giáo dục": "Giáo dục và Đào tạo",
    "Tư pháp": "Tư pháp",
    "sở Nội vụ": "Nội vụ",
    "Nội vụ": "Nội vụ",
    "Văn hóa": "Văn hóa và Thể thao",
}
_COMMUNE_SECTOR = r"Văn hóa\s*[-–]?\s*[Xx]ã hội"
_SECTOR_WORDS = "|".join([_COMMUNE_SECTOR, *_SECTORS])  # the commune office before 'Văn hóa'
_SECTOR_RUN = re.compile(r"lực lượng Công an((?:\s*[,\-–]\s*(?:" + _SECTOR_WORDS + r"))+)")


def _department(text: str) -> Body:
    name = re.sub(r"^[Ss]ở\s+", "", text)
    for known, key in DEPARTMENTS.items():
        if name.casefold() == known.casefold():
            return Body(key, f"Sở {known}", K.DEPARTMENT)
    return Body("so-" + re.sub(r"\W+", "-", name.casefold()).strip("-"), f"Sở {name}", K.DEPARTMENT)


def find(text: str) -> list[Mention]:
    """Every body named in ``text``, left to right, longest match first, none overlapping."""
    taken: list[tuple[int, int]] = []
    found: list[Mention] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for run in _SECTOR_RUN.finditer(text):
        for sector in re.finditer(_SECTOR_WORDS, run[1]):
            start = run.start(1) + sector.start()
            body = (
                WARDS
                if re.fullmatch(_COMMUNE_SECTOR, sector[0])
                else _department("Sở " + _SECTORS[sector[0]])
            )
            found.append(Mention(body, start, start + len(sector[0]), sector[0]))
            taken.append((start, start + len(sector[0])))
    for pattern, body in _COMPILED:
        for match in pattern.finditer(text):
            start, end = match.span()
            if not free(start, end) or end == start:
                continue
            taken.append((start, end))
            words = match[0]
            open_set = bool(re.search(r"liên quan$", words)) or (
                body.group == "departments"
                and not re.search(r"liên quan$", words)
                and _qualified(text[end:])
            )
            for piece in _expand(body, words, text, start):
                found.append(Mention(piece, start, end, words, open_set))
    found.sort(key=lambda m: m.start)
    return found


def _qualified(rest: str) -> bool:
    """'các sở, ban, ngành quản lý nhà nước về …' — a set defined by a quality, not named."""
    return bool(re.match(r"\s+(?:quản lý|có|thuộc|về|trong|của|khác|và các|liên quan)", rest))


def _expand(body: Body, words: str, text: str, start: int) -> list[Body]:
    if body.key == "code":
        code = words.upper()
        return [Body(code.lower(), POLICE_CODES.get(code, code), K.POLICE, short=code)]
    if body.key == "so":
        return [_department(words)]
    if body.key in ("doan-thanh-nien", "bo-tu-lenh"):
        return [Body(body.key, words, body.kind)]
    if body.key == "to-tung":
        return [POLICE, VKS, TAND]
    if body is DEPARTMENTS_GROUP and "đoàn thể" in words:
        return [DEPARTMENTS_GROUP, FRONT_GROUP]
    return [body]


def division_code(name: str) -> str | None:
    """'Phòng Cảnh sát hình sự' → 'PC02' (the code of a police division named in full)."""
    plain = re.sub(r"^(?:Phòng|Văn phòng)\s+", "", name)
    return _DIVISION_NAMES.get(plain)
