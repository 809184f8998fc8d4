"""A first draft of a plan from its own text: one duty per assignment bullet or lettered item.

Every guess the reader must check is written in the duty's ``assumption`` with the words it was
read from; groups and owners the text cannot name are placeholders listed in ``to_fill``.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from phancong.authoring import draft_bodies as B
from phancong.authoring import draft_events as E
from phancong.authoring import draft_header as H
from phancong.authoring.draft_model import Draft, DutyDraft
from phancong.authoring.draft_read import Node, outline
from phancong.authoring.draft_roles import (
    Context,
    Roles,
    assignment,
    core_owners,
    explicit,
    heading_owners,
    partners,
    subject,
)
from phancong.domain.agencies import AgencyKind

_SKIP_SECTION = re.compile(r"MỤC TIÊU|MỤC ĐÍCH|CHỈ TIÊU|THỜI GIAN|KINH PHÍ|TÌNH HÌNH|KẾT QUẢ", re.I)
_CADENCE_START = re.compile(r"^(?:[Đđ]ịnh kỳ|[Hh][ằà]ng\s+(?:năm|quý|tháng))\b")


_PLAN_TO_WRITE = re.compile(r"xây dựng\s+[Kk]ế hoạch\s+(?:triển khai|thực hiện|hoặc)")


# a product a paragraph asks: a body consolidated, rules, guidance or a plan issued, a notice, a
# periodic report
_PRODUCT = re.compile(
    r"\b(?:[Kk]iện toàn\s+(?:[Bb]an|[Hh]ội đồng|[Tt]ổ|[Đđ]ội)\b"
    r"|(?:[Xx]ây dựng|[Bb]an hành)(?:,?\s+(?:và\s+)?ban hành)?\s+"
    r"(?:[Qq]uy chế|[Hh]ướng dẫn|[Qq]uy định|[Đđ]ề án)\b"
    r"|ra thông báo\b"
    r"|[Đđ]ịnh kỳ\b.{0,40}\bbáo cáo\b)"
)


_CLAUSE_BREAK = re.compile(
    r",\s+(?=(?:duy trì|ra thông báo|xây dựng|ban hành|kiện toàn|tổ chức|định kỳ)\b)", re.I
)


REPORTING = B.Body(
    "don-vi-bao-cao", "Các đơn vị thực hiện Kế hoạch", AgencyKind.OTHER, group="reporting"
)


PLACEHOLDER_LEAD = B.Body("can-dien-chu-tri", "(Cần điền) cơ quan chủ trì", AgencyKind.OTHER)


class Drafter:
    def __init__(self, paragraphs: list[str]) -> None:
        self.paragraphs = paragraphs
        self.header = H.read_header(paragraphs)
        place = re.search(r"(?:Thành phố|tỉnh)\s+(.+)$", self.header.issuer)
        self.level = self.header.level + (
            f" {place[1]}" if place and self.header.level == "tỉnh" else ""
        )
        office = H.standing_office(paragraphs)
        issuer_kind = (
            AgencyKind.POLICE if self.header.issuer.startswith("Công an") else AgencyKind.COMMITTEE
        )
        self.ctx = Context(
            issuer_kind,
            "cong-an" if issuer_kind is AgencyKind.POLICE else "ubnd",
            office[0] if office else None,
            office[1] if office else None,
        )
        self.office_words = office[2] if office else ""
        self.calendar, self.calendar_words, self.calendar_note = H.reporting_calendar(paragraphs)
        self.duties: list[DutyDraft] = []
        self.bodies: dict[str, B.Body] = {}

    # ---- walking the outline

    def run(self) -> Draft:
        for section in outline(self.paragraphs):
            if not _SKIP_SECTION.search(section.text):
                self._visit(section)
        return self._assemble()

    def _visit(self, node: Node) -> None:
        if node.kids("item"):
            self._items(node)
        for child in node.kids("numbered"):
            own = heading_owners(child.text) if child.children else None
            if own:
                self._under_heading(child, own)
                continue
            fields = explicit(child.text, self.ctx)
            found = subject(child.text, self.ctx) if fields is None else None
            core = core_owners(child.text, self.ctx) if fields is None and found is None else None
            if fields is not None:
                self._emit(child.citation, child.text, fields)
            elif found is not None:
                self._paragraph(child, *found)
            elif core is not None:
                partners(child.text, core, self.ctx)
                self._emit(child.citation, child.text, core)
            elif re.match(r"^[Cc]ác đơn vị\b", child.text) and "báo cáo" in child.text:
                roles = Roles(
                    lead=[REPORTING], notes=["'Các đơn vị' is read as every unit of the plan."]
                )
                self._paragraph(child, roles, len("Các đơn vị"))
            else:
                self._deliverables(child)
                unowned = Roles(
                    lead=[PLACEHOLDER_LEAD],
                    notes=["The paragraph names no body: the lead is to be filled in."],
                )
                self._observances(child.citation, child.text, unowned)
            if not child.kids("item"):
                self._assigning_paragraphs(child)
            if found is None:
                for bullet in child.kids("bullet"):
                    if (own_fields := explicit(bullet.text, self.ctx)) is not None:
                        self._emit(bullet.citation, bullet.text, own_fields)
            self._visit(child)

    def _deliverables(self, node: Node) -> None:
        """A paragraph that names no owner but asks several products ('Kiện toàn Ban Chỉ đạo …;
        xây dựng Quy chế làm việc, duy trì giao ban, ra thông báo kết quả …') is one duty per
        product; a sentence that opens with a body is that body's, the others' lead is to be
        filled in. Activities with no product ('duy trì giao ban') are not duties of their own."""
        for sentence in re.split(r"(?<=[.;])\s+", node.text):
            found = subject(sentence, self.ctx)
            roles, end = found if found is not None else (Roles(lead=[PLACEHOLDER_LEAD]), 0)
            words = sentence[:end].strip()
            for clause in _CLAUSE_BREAK.split(sentence[end:]):
                product = _PRODUCT.search(clause)
                if product is None:
                    continue
                notes = [
                    f"one of several products the paragraph asks ('{product[0]}'): a duty of"
                    " its own",
                    f"owners from the words '{words}'"
                    if words
                    else "the paragraph names no owner: the lead is to be filled in",
                ]
                part = Roles(list(roles.lead), [], [], roles.requested_owner, notes)
                partners(clause, part, self.ctx)
                self._emit(node.citation, (words + " " + clause.strip()).strip(" ;."), part)

    def _assigning_paragraphs(self, node: Node) -> None:
        """A further paragraph of a numbered paragraph that assigns work of its own ('Giao X là
        đơn vị thường trực …') is a duty, cited as that paragraph (the first is the number's)."""
        for number, para in enumerate(node.kids("para"), 2):
            if not para.text.startswith("Giao "):
                continue
            found = subject(para.text, self.ctx)
            if found is None:
                continue
            roles, end = found
            roles.notes.insert(0, f"owners from the words '{para.text[:end].strip()}'")
            partners(para.text[end:], roles, self.ctx)
            self._emit(f"{node.citation}, paragraph {number}", para.text, roles)

    def _under_heading(self, node: Node, owners: list[B.Mention]) -> None:
        base = Roles(requested_owner=node.text.startswith("Đề nghị"))
        for m in owners:
            base.add("lead", m.body)
        if all(self.ctx.outside(b) for b in base.lead):
            base.requested_owner = True
        words = f"lead from the heading '{node.number}. {node.text}'"
        parts = node.kids("bullet") + node.kids("item")
        if not parts:
            text = "\n".join(c.text for c in node.children if c.kind == "para")
            parts = [replace(node, text=text, kind="para")] if text else []
        for part in parts:
            segments = _segments(part.text)
            for n, segment in enumerate(segments):
                roles = Roles(list(base.lead), [], [], base.requested_owner, [words])
                if len(segments) > 1:
                    roles.notes.append(
                        f"sentence {n + 1} of the {part.kind}: a sentence opening with its own"
                        " period is a duty of its own"
                    )
                directs = re.match(r"^Chỉ đạo\s+", segment) if n == 0 else None
                named = B.find(segment[:80]) if directs else []
                if directs and named and named[0].start == directs.end():
                    # the heading's body directs another, which carries the work out: the
                    # heading's body owns the duty, the one it directs joins it
                    body = named[0].body
                    role = "requested" if self.ctx.outside(body) else "supporting"
                    roles.add(role, body)
                    heading = ", ".join(m.text for m in owners)
                    roles.notes.append(
                        f"'Chỉ đạo {named[0].text}': {heading} directs it, so owns the duty;"
                        f" {named[0].text} carries it out ({role})"
                    )
                partners(segment, roles, self.ctx)
                self._emit(part.citation, segment, roles)

    def _items(self, node: Node) -> None:
        lines = [
            c.text
            for c in node.children
            if c.kind == "star" or (c.kind == "para" and re.match(r"^(?:Giao|Đề nghị)\b", c.text))
        ]
        base = assignment(lines, self.ctx)
        if not base.lead and base.requested:
            base.lead, base.requested, base.requested_owner = base.requested, [], True
        if not base.lead:
            base.lead = [PLACEHOLDER_LEAD]
            base.notes.append("No line assigns these items: the lead is to be filled in.")
        elif lines:
            base.notes.insert(
                0,
                "roles from the lines closing the group: "
                + " / ".join(f"'{line[:70]}…'" for line in lines),
            )
        for item in node.kids("item"):
            if (fields := explicit(item.text, self.ctx)) is not None:
                self._emit(item.citation, item.text, fields)
                continue
            roles = Roles(
                list(base.lead),
                list(base.supporting),
                list(base.requested),
                base.requested_owner,
                list(base.notes),
            )
            partners(item.text, roles, self.ctx)
            self._emit(item.citation, item.text, roles)

    def _paragraph(self, node: Node, roles: Roles, end: int) -> None:
        text = node.text
        more = [
            c
            for c in node.children
            if c.kind == "para" and not re.match(r"^(?:Giao|Đề nghị)\b", c.text)
        ]
        source = (
            f"{node.citation}, paragraph 1" if more and not node.kids("bullet") else node.citation
        )
        roles.notes.insert(0, f"owners from the words '{text[:end].strip()}'")
        segments = _segments(text)
        first = segments[0]
        lead_in = Roles(
            list(roles.lead),
            list(roles.supporting),
            list(roles.requested),
            roles.requested_owner,
            list(roles.notes),
        )
        partners(first[end:] if len(first) > end else "", lead_in, self.ctx)
        self._emit(source, first if len(segments) > 1 else text, lead_in, report=first)
        for segment in segments[1:]:
            # the owners carry on (those outside the command among them stay requested); the
            # partners of one sentence are that sentence's
            part = Roles(
                list(roles.lead),
                [],
                list(roles.requested),
                roles.requested_owner,
                list(roles.notes),
            )
            partners(segment, part, self.ctx)
            self._emit(source, segment, part, report=segment)
        for bullet in node.kids("bullet"):
            part = Roles(
                list(roles.lead),
                [],
                [],
                roles.requested_owner,
                [f"lead from the paragraph above: '{text[:end].strip()}'"],
            )
            partners(bullet.text, part, self.ctx)
            self._emit(bullet.citation, bullet.text, part)

    # ---- one duty

    def _emit(self, source: str, text: str, roles: Roles, report: str | None = None) -> None:
        duty = DutyDraft(source, text.strip(), roles, list(roles.notes))
        h = self.header
        hits = sum(bool(re.search(p, report or "")) for _, p in H._CAL_WORDS)
        if report is not None and "báo cáo" in report and hits >= 2:
            duty.notes.append(
                "reported with the plan's reporting calendar (periodic), from the words "
                f"'{report[:80]}…'"
            )
        elif found := H.cadence_of(text, h.start, h.end):
            duty.cadence = found[0]
            duty.notes.append(f"cadence '{found[0]['kind']}' from the words '{found[1]}'")
            if found[0]["kind"] == "on_event" and roles.supporting:
                # an event report is owed by the unit it happens to; supporting units of such a
                # duty are not tracked (the plan model refuses them)
                names = ", ".join(b.name for b in roles.supporting)
                duty.roles = Roles(roles.lead, [], roles.requested, roles.requested_owner,
                                   list(roles.notes))
                duty.notes.append(f"event-triggered: the supporting units ({names}) are not "
                                  "tracked for it")
        elif m := _PLAN_TO_WRITE.search(text):
            month = h.start.month + 2
            year = h.start.year + (month - 1) // 12
            month = (month - 1) % 12 + 1
            due = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
            duty.cadence = {"kind": "once", "due": due}
            duty.notes.append(
                f"a plan to write ('{m[0]}') with no date: assumed due {due:%d/%m/%Y}"
            )
        else:
            duty.notes.append(
                "no date or period in the text: a continuous duty reported with the"
                " plan's reporting calendar (periodic)"
            )
        self.duties.append(duty)
        if report is not None and "tổng hợp" in report and "báo cáo" in report:
            self._consolidation(duty, report)
        self._observances(source, text, roles)

    def _observances(self, source: str, text: str, roles: Roles) -> None:
        """One yearly duty per national observance the text asks to be held, with its roles."""
        for observance, sentence in E.observances(text):
            notes = [
                *roles.notes,
                f"'{observance.name}' is held {E.when(observance)} (national calendar): a yearly"
                f" duty due when it ends, from the words '{sentence[:90]}'",
            ]
            duty = DutyDraft(
                source,
                f"Tổ chức «{observance.name}»: {sentence}",
                Roles(
                    list(roles.lead),
                    list(roles.supporting),
                    list(roles.requested),
                    roles.requested_owner,
                    notes,
                ),
                notes,
                dict(E.cadence(observance)),
            )
            self.duties.append(duty)

    def _consolidation(self, report: DutyDraft, text: str) -> None:
        via = re.search(r"\(qua\s+", text)
        to = re.search(r"(?:gửi\s+)?về\s+", text)
        start = via.end() if via else to.end() if to else None
        named = [m for m in B.find(text[start:])] if start is not None else []
        if not named:
            return
        body = named[0].body
        if self.ctx.standing is not None and body.key == getattr(
            self.ctx.standing_parent, "key", None
        ):
            body = self.ctx.standing
        if body.key in {b.key for b in report.roles.lead}:
            return
        roles = Roles(lead=[body])
        hit = via or to
        assert hit is not None
        notes = [
            f"consolidation by {named[0].text} from the words '{text[hit.start() :][:90]}…'"
            " (it waits on the units' reports)"
        ]
        duty = DutyDraft(report.source, "Tổng hợp kết quả, báo cáo: " + text, roles, notes)
        self.duties.append(duty)
        if report.cadence.get("kind") == "on_event":  # no period to wait for: see each report
            notes[0] = notes[0].replace(
                "(it waits on the units' reports)",
                "(periodic: the units' reports come one by one, as events happen)")
            return
        duty.depends_on = [f"@{len(self.duties) - 2}"]

    # ---- the plan

    def _assemble(self) -> Draft:
        from phancong.authoring.draft_registry import Registry

        registry = Registry(self.header, self.level)
        return registry.plan(self)


def _segments(text: str) -> list[str]:
    """A paragraph cut where a sentence or clause opens with its own period ('định kỳ', …)."""
    pieces = re.split(r"(?<=[.;])\s+", text)
    segments: list[str] = []
    for piece in pieces:
        if segments and _CADENCE_START.match(piece):
            segments.append(piece)
        elif segments:
            segments[-1] += " " + piece
        else:
            segments.append(piece)
    return segments


def draft(paragraphs: list[str]) -> Draft:
    return Drafter(paragraphs).run()
