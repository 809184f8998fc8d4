"""Turning the bodies and duties a draft found into a plan file's agencies, groups and duties."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from phancong.authoring import draft_bodies as B
from phancong.authoring.draft_header import Header
from phancong.domain.agencies import AgencyKind

if TYPE_CHECKING:
    from phancong.authoring.draft_model import Draft, DutyDraft
    from phancong.authoring.draft_plan import Drafter


class Registry:
    def __init__(self, header: Header, level: str) -> None:
        self.header = header
        self.level = level
        self.agencies: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.to_fill: list[str] = []
        self.pending: dict[str, str] = {}  # group id → 'departments' | 'front' | 'reporting'

    def ref(self, body: B.Body) -> str:
        name = body.name.replace("{level}", self.level)
        if body.group == "wards":
            if body.key not in self.groups:
                if self.header.province_code is not None:
                    self.groups[body.key] = {
                        "id": body.key,
                        "name": name,
                        "wards_of": {"province_code": self.header.province_code},
                    }
                else:
                    self._fill_group(
                        body,
                        name,
                        "không tìm thấy tỉnh, thành phố của kế hoạch trong vietnam-provinces",
                    )
            return body.key
        if body.group == "fill":
            if body.key not in self.groups:
                self._fill_group(body, name, "văn bản không liệt kê")
            return body.key
        if body.group in ("departments", "front", "reporting"):
            self.groups.setdefault(body.key, {"id": body.key, "name": name, "members": []})
            self.pending[body.key] = body.group
            return body.key
        if body.key not in self.agencies:
            agency: dict[str, Any] = {"id": body.key, "name": name, "kind": body.kind.value}
            if body.short:
                agency["short"] = body.short
            self.agencies[body.key] = agency
        return body.key

    def _fill_group(self, body: B.Body, name: str, why: str) -> None:
        member = f"{body.key}-can-dien"
        self.agencies[member] = {
            "id": member,
            "name": f"(Cần điền) các đơn vị của nhóm «{name}»",
            "kind": body.kind.value,
        }
        self.groups[body.key] = {"id": body.key, "name": name, "members": [member]}
        self.to_fill.append(
            f"Nhóm «{name}» ({body.key}): liệt kê các đơn vị thành viên"
            f" thay cho '{member}' ({why})."
        )

    def _refs(self, bodies: list[B.Body]) -> list[str]:
        return list(dict.fromkeys(self.ref(b) for b in bodies))

    def plan(self, drafter: Drafter) -> Draft:
        from phancong.authoring.draft_model import Draft, slug
        from phancong.authoring.draft_plan import PLACEHOLDER_LEAD

        h = self.header
        standing = drafter.ctx.standing
        notes = list(h.notes)
        if standing is None:
            standing = B.Body(
                "co-quan-thuong-truc", "(Cần điền) Cơ quan Thường trực", AgencyKind.OTHER
            )
            self.to_fill.append(
                "Cơ quan Thường trực (co-quan-thuong-truc): văn bản không nêu; cần điền."
            )
        else:
            notes.append(
                f"Standing Office {standing.name} from the words '{drafter.office_words}'."
            )
        standing_id = self.ref(standing)
        steering = next(
            (m.body for p in drafter.paragraphs for m in B.find(p) if m.body.key == "bcd"), None
        )
        if steering is None:
            steering = B.Body("co-quan-ban-hanh", h.issuer, AgencyKind.COMMITTEE)
            notes.append(f"No Steering Committee named: escalation goes to the issuer, {h.issuer}.")
        else:
            notes.append("The last level of escalation is the Ban Chỉ đạo the plan names.")
        steering_id = self.ref(steering)
        ids: list[str] = []
        duties = []
        for index, duty in enumerate(drafter.duties):
            ident = slug(
                duty.source.replace(", bullet ", "-b")
                .replace(", item ", "-")
                .replace(", paragraph ", "-p")
            )
            base, n = ident, 2
            while ident in ids:
                ident, n = f"{base}-{n}", n + 1
            ids.append(ident)
            duties.append(self._duty(ident, duty, index, ids))
            if PLACEHOLDER_LEAD.key in duties[-1]["lead"]:
                self.to_fill.append(f"Nhiệm vụ {ident} ({duty.source}): cần điền cơ quan chủ trì.")
        for duty_data in duties:
            duty_data["depends_on"] = [ids[int(d[1:])] for d in duty_data["depends_on"]]
        notes += self._resolve_pending(duties, {standing_id, steering_id})
        if drafter.calendar_note:
            notes.append(drafter.calendar_note)
        elif drafter.calendar_words:
            notes.append(f"Reporting calendar from the words '{drafter.calendar_words[:120]}…'.")
        plan_id = (
            slug(h.number or "")
            if h.number
            else slug(f"{h.province_name or h.issuer} {h.start.year}"
                       + (f"-{h.end.year}" if h.end else ""))
        )
        header: dict[str, Any] = {
            "id": plan_id,
            "number": h.number,
            "title": h.title,
            "issuer": h.issuer,
            "issued": h.issued.isoformat() if h.issued else None,
            "period": {"start": h.start.isoformat()}
            | ({"end": h.end.isoformat()} if h.end else {}),
            "standing_office": standing_id,
            "steering_committee": steering_id,
        }
        data = {
            "plan": {k: v for k, v in header.items() if v is not None},
            "agencies": list(self.agencies.values()),
            "groups": list(self.groups.values()),
            "reporting_calendar": drafter.calendar,
            "duties": duties,
        }
        if not duties:
            self.to_fill.append(
                "Không tìm thấy nhiệm vụ nào: văn bản không có mục phân công dạng"
                " «1. <cơ quan>» với gạch đầu dòng, «a)» với dòng «Giao … chủ trì»,"
                " hay đoạn mở đầu bằng tên cơ quan."
            )
        silent = [a["id"] for a in self.agencies.values() if not a["id"].endswith("-can-dien")]
        if silent:
            self.to_fill.append(
                f"Thư điện tử của {len(silent)} cơ quan (trang «Cơ quan», cột «Thư điện tử»):"
                " văn bản không có; cần điền trước khi gửi thư nhắc việc."
            )
        return Draft(data, notes, self.to_fill)

    def _duty(self, ident: str, duty: DutyDraft, index: int, ids: list[str]) -> dict[str, Any]:
        from phancong.authoring.draft_model import duty_title

        roles = duty.roles
        lead = self._refs(roles.lead)
        supporting = [r for r in self._refs(roles.supporting) if r not in lead]
        requested = [
            r for r in self._refs(roles.requested) if r not in lead and r not in supporting
        ]
        cadence = dict(duty.cadence)
        if "due" in cadence:
            cadence["due"] = cadence["due"].isoformat()
        data: dict[str, Any] = {
            "id": ident,
            "title": duty_title(duty.text),
            "text": duty.text,
            "source": duty.source,
            "lead": lead,
            "supporting": supporting,
            "requested": requested,
            "cadence": cadence,
            "depends_on": list(duty.depends_on),
            "assumption": "; ".join(dict.fromkeys(n.rstrip(". ") for n in duty.notes)) + ".",
        }
        if roles.requested_owner:
            data["owner_role"] = "requested"
        return data

    def _resolve_pending(self, duties: list[dict[str, Any]], apart: set[str]) -> list[str]:
        notes = []
        for group_id, kind in self.pending.items():
            group = self.groups[group_id]
            if kind == "departments":
                members = [a["id"] for a in self.agencies.values() if a["kind"] == "department"]
                why = "every department the plan names"
            elif kind == "front":
                members = [
                    a["id"]
                    for a in self.agencies.values()
                    if a["kind"] in ("front", "mass_organisation")
                ]
                why = "the Fatherland Front and every mass organisation the plan names"
            else:
                seen: dict[str, None] = {}
                for duty in duties:
                    for ref in (*duty["lead"], *duty["supporting"]):
                        if (
                            ref not in apart
                            and ref not in self.pending
                            and not ref.endswith("-can-dien")
                        ):
                            seen.setdefault(ref, None)
                members = list(seen)
                why = "every body that leads or supports a duty, but the Standing Office"
            if not members:
                self._fill_group(
                    B.Body(group_id, group["name"], AgencyKind.OTHER),
                    group["name"],
                    "văn bản không nêu đơn vị nào",
                )
                continue
            group["members"] = members
            notes.append(f"Group «{group['name']}» ({group_id}) is taken as {why}.")
        return notes
