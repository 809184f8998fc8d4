"""Who leads, supports and is requested, from the usual wording of an assignment.

- a heading that is a body ("1. Công an Thành phố", "10. Đề nghị Viện Kiểm sát …") owns the
  bullets under it;
- a paragraph that opens with bodies ("Công an Thành phố phối hợp với …", "Giao X chủ trì,
  phối hợp với Y …", "Các cơ quan tiến hành tố tụng …") is owned by them;
- the lines closing a group of lettered items ("* Giao X chủ trì phối hợp với Y …",
  "* Đề nghị Z …") assign every item of the group;
- bodies after "phối hợp (với)" support, or are requested when outside the issuer's command;
  "… liên quan" is an open set and names nobody.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from phancong.authoring import draft_bodies as B
from phancong.domain.agencies import AgencyKind

_SEPARATOR = re.compile(r"^[\s,;()]*(?:(?:và|cùng|gồm:?)[\s,;()]*)*$")
_STANDING = re.compile(r"^\s*,\s*(?:Cơ quan\s+)?[Tt]hường trực\s+$")
_LEAD_IN = re.compile(
    r"^(?:(?:Giao|Đề nghị|Yêu cầu)\s+)?"
    r"(?:các\s+cơ quan,\s*đơn vị(?:\s+có)?\s+liên quan\s*\(gồm:?\s*)?"
    r"(?:[Cc]ác\s+|[Ll]ực lượng\s+)?$"
)
# a paragraph that opens with its circumstances names its owners after a comma
_CIRCUMSTANCE = re.compile(
    r"^(?:Căn cứ|(?:Trong\s+)?[Qq]uá trình(?:\s+tổ chức)? thực hiện|Nếu|Khi)\b"
)
_CORE = re.compile(r"\s+là\s+(?:lực lượng\s+)?nòng cốt\b")
_PARTNER_END = re.compile(r"[;.:]|\s(?:để|nhằm|tham mưu|báo cáo|gửi)\s")


@dataclass
class Roles:
    lead: list[B.Body] = field(default_factory=list)
    supporting: list[B.Body] = field(default_factory=list)
    requested: list[B.Body] = field(default_factory=list)
    requested_owner: bool = False
    notes: list[str] = field(default_factory=list)

    def add(self, role: str, body: B.Body) -> None:
        present = {b.key for b in (*self.lead, *self.supporting, *self.requested)}
        if body.key not in present:
            getattr(self, role).append(body)


@dataclass(frozen=True)
class Context:
    issuer_kind: AgencyKind  # POLICE for a police plan, COMMITTEE for a People's Committee's
    issuer_key: str  # the issuer's own body, never its own partner
    standing: B.Body | None
    standing_parent: B.Body | None

    def outside(self, body: B.Body) -> bool:
        """Outside the issuer's command: tracked as requested (đề nghị), not supporting."""
        if body.kind in (AgencyKind.JUDICIAL, AgencyKind.FRONT, AgencyKind.MASS_ORGANISATION):
            return True
        if self.issuer_kind is AgencyKind.POLICE:
            return body.kind not in (AgencyKind.POLICE, AgencyKind.DISTRICT)
        return False


def heading_owners(text: str) -> list[B.Mention] | None:
    """The bodies a heading consists of, or None when the line is not just bodies."""
    if len(text) > 140 or text.endswith("."):
        return None
    mentions = B.find(text)
    if not mentions:
        return None
    rest = text
    for m in sorted(mentions, key=lambda m: -m.start):
        rest = rest[: m.start] + " " + rest[m.end :]
    rest = re.sub(r"\b(?:Đề nghị|và|các|Các|khác|của|Thành phố|tỉnh)\b|[,;:()]", " ", rest)
    return mentions if len(rest.split()) <= 2 else None


def subject(text: str, ctx: Context) -> tuple[Roles, int] | None:
    """Owners named at the start of a paragraph, and where the rest of it begins."""
    mentions = B.find(text)
    if not mentions:
        return None
    first = 0
    if _CIRCUMSTANCE.match(text):  # "Căn cứ …, X …", "Quá trình thực hiện nếu …, X …"
        after_comma = [i for i, m in enumerate(mentions) if text[: m.start].rstrip().endswith(",")]
        if not after_comma or mentions[after_comma[0]].start > 300:
            return None
        first = after_comma[0]
    elif not _LEAD_IN.match(text[: mentions[0].start]):
        return None
    chosen = [mentions[first]]
    end = mentions[first].end
    standing = False
    for m in mentions[first + 1 :]:
        gap = text[end : m.start]
        if m.start < end:
            chosen.append(m)  # one phrase standing for several bodies
            continue
        if _STANDING.match(gap) and m.body.key == "bcd":
            standing = True
            end = m.end
            continue
        if not _SEPARATOR.match(gap):
            break
        chosen.append(m)
        end = m.end
    roles = Roles()
    roles.requested_owner = text.startswith("Đề nghị")
    for m in chosen:
        body = m.body
        if (
            standing
            and ctx.standing is not None
            and body.key == (ctx.standing_parent or ctx.standing).key
        ):
            roles.notes.append(f"'{m.text}, Thường trực …' is read as the Standing Office.")
            body = ctx.standing
        role = "lead"
        if (
            ctx.outside(body)
            and not roles.requested_owner
            and any(not ctx.outside(o.body) for o in chosen)
        ):
            role = "requested"  # e.g. the procuracy and court among 'cơ quan tiến hành tố tụng'
        roles.add(role, body)
    main = re.search(r"chủ công là\s+", text[: end + 80])
    if main is not None:
        named = [m for m in mentions if m.start >= main.end() and m.start - main.end() < 20]
        if named:
            roles.lead = [named[0].body]
            roles.notes.append(f"'chủ công là {named[0].text}' is read as the lead.")
    if all(ctx.outside(b) for b in roles.lead):
        roles.requested_owner = True
    return roles, end


def core_owners(text: str, ctx: Context) -> Roles | None:
    """Owners named mid-sentence as the core forces: '…, trong đó lực lượng Công an - Y tế - Văn
    hóa xã hội là nòng cốt triển khai …' → they lead. Not when the words describe a body's role
    ('vai trò của lực lượng Công an là nòng cốt')."""
    at = _CORE.search(text)
    if at is None:
        return None
    mentions = [m for m in B.find(text[: at.start()]) if not m.open_set]
    chosen: list[B.Mention] = []
    end = at.start()
    for m in reversed(mentions):
        if not re.fullmatch(r"[\s,\-–]*(?:và\s*)?", text[m.end : end]):
            break
        chosen.insert(0, m)
        end = m.start
    if not chosen or re.search(r"\bcủa\s+(?:lực lượng\s+)?$", text[: chosen[0].start]):
        return None
    roles = Roles()
    for m in chosen:
        roles.add("requested" if ctx.outside(m.body) and roles.lead else "lead", m.body)
    words = text[max(0, chosen[0].start - 12) : at.end()].strip()
    roles.notes.append(f"the core forces named mid-sentence lead, from the words '…{words}'")
    if any(m.body.group == "wards" and "xã hội" in m.text.casefold() for m in chosen):
        roles.notes.append(
            "'Văn hóa xã hội' is read as the Phòng Văn hóa – Xã hội of every commune and ward"
            " (since 1 July 2025), tracked through their People's Committees"
        )
    if all(ctx.outside(b) for b in roles.lead):
        roles.requested_owner = True
    return roles


def partners(text: str, roles: Roles, ctx: Context) -> None:
    """Bodies named after 'phối hợp (với)' or 'đề nghị' in ``text`` join the duty."""
    owners = {b.key for b in roles.lead}
    for hit in re.finditer(r"[Pp]hối hợp(?:\s+chặt chẽ)?(?:\s+với)?\s+|[Đđ]ề nghị\s+", text):
        stop = _PARTNER_END.search(text, hit.end())
        span_end = stop.start() if stop else len(text)
        for m in B.find(text[hit.end() : span_end]):
            if m.open_set or m.body.key in owners or m.body.key == ctx.issuer_key:
                continue
            if m.body.group == "departments":
                continue  # "phối hợp với các sở, ngành …": an open set as a partner
            if (
                "tố tụng" in m.text
                and m.body.kind is AgencyKind.POLICE
                and any(b.kind is AgencyKind.POLICE for b in roles.lead)
            ):
                continue  # the police lead is itself one of the procedural bodies
            asked = hit[0].lower().startswith("đề nghị") or ctx.outside(m.body)
            roles.add("requested" if asked else "supporting", m.body)


def assignment(lines: list[str], ctx: Context) -> Roles:
    """Roles from the lines that close a group of items ('* Giao …', '* Đề nghị …')."""
    roles = Roles()
    for line in lines:
        mentions = [m for m in B.find(line) if not m.open_set]
        if not mentions:
            continue
        if line.startswith("Đề nghị"):
            for m in _named_before_verb(line, mentions):
                roles.add("requested", m.body)
            continue
        lead_at = re.search(r"\bchủ trì\b", line)
        if lead_at is not None:
            for m in mentions:
                if m.end <= lead_at.start():
                    roles.add("requested" if ctx.outside(m.body) else "lead", m.body)
            with_at = re.search(r"phối hợp(?:\s+với)?\s+", line[lead_at.end() :])
            if with_at is not None:
                start = lead_at.end() + with_at.end()
                for m in mentions:
                    if m.start >= start and m.body.key != ctx.issuer_key:
                        roles.add("requested" if ctx.outside(m.body) else "supporting", m.body)
            continue
        named = _named_before_verb(line, mentions)
        first = named[0].body if named else None
        if line.startswith("Giao") and first is not None and not first.group:
            roles.add("lead", first)
            roles.notes.append(
                f"'{line[:60]}…' names no 'chủ trì': {named[0].text}, named first, is"
                " taken as lead."
            )
        elif ctx.standing is not None:
            roles.add("lead", ctx.standing)
            roles.notes.append(
                f"'{line[:60]}…' names no 'chủ trì': the Standing Office is taken as"
                " lead, the bodies named support."
            )
        for m in named:
            roles.add("requested" if ctx.outside(m.body) else "supporting", m.body)
    return roles


def _named_before_verb(line: str, mentions: list[B.Mention]) -> list[B.Mention]:
    verb = re.search(
        r"\s(?:chỉ đạo|phối hợp|tham mưu|thực hiện|triển khai|căn cứ)\b", line[mentions[0].end :]
    )
    limit = mentions[0].end + verb.start() if verb else len(line)
    return [m for m in mentions if m.start < limit]


_EXPLICIT_LEAD = re.compile(r"(?:[Cc]ơ quan|[Đđ]ơn vị)\s+chủ\s+trì\s*:\s*")
_EXPLICIT_SUPPORT = re.compile(r"(?:[Cc]ơ quan|[Đđ]ơn vị)\s+phối\s+hợp\s*:\s*")
_FIELD_END = re.compile(
    r";|\n|\.(?:\s|$)|\)|(?:[Cc]ơ quan|[Đđ]ơn vị)\s+(?:phối\s+hợp|chủ\s+trì)"
    r"|[Tt]hời\s+gian|[Ss]ản\s+phẩm"
)


def _field(text: str, start: int) -> str:
    stop = _FIELD_END.search(text, start)
    return text[start : stop.start() if stop else len(text)]


def explicit(text: str, ctx: Context) -> Roles | None:
    """Roles written out as fields: '(Cơ quan chủ trì: X; cơ quan phối hợp: Y, Z; thời gian: …)'."""
    lead_at = _EXPLICIT_LEAD.search(text)
    if lead_at is None:
        return None
    roles = Roles()
    words = _field(text, lead_at.end())
    for m in B.find(words):
        if not m.open_set:
            roles.add("requested" if ctx.outside(m.body) else "lead", m.body)
    if not roles.lead and roles.requested:
        roles.lead, roles.requested, roles.requested_owner = roles.requested, [], True
    if not roles.lead:
        return None
    roles.notes.append(f"lead from the words '{lead_at[0]}{words.strip()}'")
    support_at = _EXPLICIT_SUPPORT.search(text)
    if support_at is not None:
        for m in B.find(_field(text, support_at.end())):
            if not m.open_set and m.body.key != ctx.issuer_key:
                roles.add("requested" if ctx.outside(m.body) else "supporting", m.body)
    return roles
