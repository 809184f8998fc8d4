"""The units of a plan as the Standing Office manages them: finding a unit by code or name,
and its contact addresses (set one at a time or imported from a CSV file, each change audited).

The plan files ship placeholder addresses (``*.example``); :func:`units_on_placeholder_addresses`
says which units still have nothing else, so the matrix and ``phancong status`` can warn (the
sweep still queues their mail: it refuses nothing).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from phancong.adapters.orm import UnitRow
from phancong.domain.units import on_placeholder
from phancong.services import audit
from phancong.services.accounts import normalize_email
from phancong.services.errors import NotFound, Refused

MAX_EMAILS = 10
_SPLIT = re.compile(r"[;,\s]+")
_NAME_PREFIX = re.compile(r"^(ubnd|uỷ ban nhân dân|ủy ban nhân dân)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class UnitContact:
    code: str
    name: str
    kind: str
    emails: tuple[str, ...]

    @property
    def placeholder(self) -> bool:
        return on_placeholder(self.emails)


def fold(text: str) -> str:
    """Lower case without diacritics ('Phường Ba Đình' → 'phuong ba dinh') for searching."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).casefold().split())


def _contact(row: UnitRow) -> UnitContact:
    return UnitContact(row.code, row.name, row.kind, tuple(str(e) for e in row.emails))


def _rows(session: Session, plan_id: str) -> list[UnitRow]:
    return list(
        session.scalars(
            select(UnitRow)
            .where(UnitRow.plan_id == plan_id, UnitRow.active.is_(True))
            .order_by(UnitRow.code)
        )
    )


def list_units(session: Session, plan_id: str, search: str | None = None) -> list[UnitContact]:
    """The plan's active units by code; ``search`` matches code, name or address, without
    regard to case or diacritics ('ba dinh' finds 'Phường Ba Đình')."""
    rows = _rows(session, plan_id)
    if not rows and session.scalar(select(UnitRow.id).where(UnitRow.plan_id == plan_id)) is None:
        raise NotFound(
            f"Kế hoạch '{plan_id}' không có đơn vị nào", f"Plan '{plan_id}' has no units"
        )
    units = [_contact(r) for r in rows]
    wanted = fold(search or "")
    if not wanted:
        return units
    return [u for u in units if wanted in fold(f"{u.code} {u.name} {' '.join(u.emails)}")]


def find_unit(session: Session, plan_id: str, text: str) -> UnitContact:
    """The unit named by ``text``: its code, its exact name (with or without 'UBND'), or the one
    unit whose name contains it; refuses an ambiguous name and lists the candidates."""
    rows = _rows(session, plan_id)
    value = (text or "").strip()
    for row in rows:
        if row.code == value:
            return _contact(row)
    wanted = fold(_NAME_PREFIX.sub("", value))
    if not wanted:
        raise Refused("Cần nêu mã hoặc tên đơn vị", "A unit code or name is required")
    exact = [r for r in rows if fold(_NAME_PREFIX.sub("", r.name)) == wanted]
    found = exact or [r for r in rows if wanted in fold(r.name)]
    if len(found) == 1:
        return _contact(found[0])
    if not found:
        raise NotFound(
            f"Kế hoạch '{plan_id}' không có đơn vị '{value}' (xem: phancong units list --plan "
            f"{plan_id} --search …)",
            f"Plan '{plan_id}' has no unit '{value}' (see phancong units list --plan {plan_id})",
        )
    listed = "; ".join(f"{r.code} = {r.name}" for r in found[:8])
    more = f" … (+{len(found) - 8})" if len(found) > 8 else ""
    raise Refused(
        f"'{value}' khớp với {len(found)} đơn vị: {listed}{more}. Hãy dùng mã đơn vị.",
        f"'{value}' matches {len(found)} units: {listed}{more}. Use the unit code.",
    )


def parse_emails(text: str | Sequence[str]) -> tuple[str, ...]:
    """Addresses separated by commas, semicolons or spaces, checked and lower-cased."""
    texts = [text] if isinstance(text, str) else list(text)
    parts = [p for t in texts for p in _SPLIT.split(t)]
    emails: dict[str, None] = {}
    for part in parts:
        if part.strip():
            emails.setdefault(normalize_email(part), None)
    if not emails:
        raise Refused("Cần ít nhất một địa chỉ email", "At least one email address is required")
    if len(emails) > MAX_EMAILS:
        raise Refused(
            f"Tối đa {MAX_EMAILS} địa chỉ cho một đơn vị", f"At most {MAX_EMAILS} addresses a unit"
        )
    return tuple(emails)


def set_contacts(
    session: Session,
    plan_id: str,
    code: str,
    emails: str | Sequence[str],
    *,
    now: dt.datetime,
    actor: str,
) -> UnitContact | None:
    """Set a unit's contact addresses (audited as ``unit.contacts_set``); None if unchanged."""
    row = session.scalars(
        select(UnitRow).where(UnitRow.plan_id == plan_id, UnitRow.code == code)
    ).first()
    if row is None:
        raise NotFound(
            f"Kế hoạch '{plan_id}' không có đơn vị '{code}'",
            f"Plan '{plan_id}' has no unit '{code}'",
        )
    new = list(parse_emails(emails))
    old = [str(e) for e in row.emails]
    if new == old:
        return None
    row.emails = new
    audit.record(session, at=now, actor=actor, action="unit.contacts_set", plan_id=plan_id,
                 entity="unit", entity_id=code, before={"emails": old}, after={"emails": new})
    session.flush()
    return _contact(row)


@dataclass(frozen=True)
class ImportResult:
    changed: int
    unchanged: int


class ContactsRefused(Refused):
    """A contacts file with bad rows: nothing was imported; ``problems`` name each row."""

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        self.problems = problems
        super().__init__(
            "Tệp có dòng không hợp lệ, chưa nhập dòng nào:\n"
            + "\n".join(f"  dòng {line}: {vi}" for line, vi, _ in problems),
            "The file has bad rows; nothing was imported:\n"
            + "\n".join(f"  line {line}: {en}" for line, _, en in problems),
        )


def import_contacts(
    session: Session, plan_id: str, text: str, *, now: dt.datetime, actor: str
) -> ImportResult:
    """Import ``unit,emails`` rows (a header line first; the unit by code or name; several
    addresses separated by ';' or spaces). All or nothing: any bad row refuses the whole file,
    every bad row named by its line number."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows = list(reader)
    if not rows:
        raise ContactsRefused([(1, "tệp rỗng", "empty file")])
    header = [fold(h) for h in rows[0]]
    unit_names = ("unit", "code", "don vi", "ma")
    unit_col = next((i for i, h in enumerate(header) if h in unit_names), None)
    mail_col = next((i for i, h in enumerate(header) if h in ("emails", "email")), None)
    if unit_col is None or mail_col is None:
        raise ContactsRefused(
            [(1, "dòng tiêu đề phải có cột 'unit' và 'emails'",
              "the header must have 'unit' and 'emails' columns")]
        )
    wanted: list[tuple[str, tuple[str, ...]]] = []
    problems: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            if len(row) <= max(unit_col, mail_col):
                raise Refused("thiếu cột", "missing columns")
            unit = find_unit(session, plan_id, row[unit_col])
            emails = parse_emails(row[mail_col])
        except Refused as refused:
            problems.append((number, refused.vi, refused.en))
            continue
        except NotFound as missing:
            problems.append((number, missing.vi, missing.en))
            continue
        if unit.code in seen:
            problems.append(
                (number, f"đơn vị {unit.code} đã có ở dòng {seen[unit.code]}",
                 f"unit {unit.code} already on line {seen[unit.code]}")
            )
            continue
        seen[unit.code] = number
        wanted.append((unit.code, emails))
    if problems:
        raise ContactsRefused(problems)
    changed = sum(
        1
        for code, emails in wanted
        if set_contacts(session, plan_id, code, emails, now=now, actor=actor) is not None
    )
    return ImportResult(changed, len(wanted) - changed)


def units_on_placeholder_addresses(session: Session, plan_id: str) -> list[UnitContact]:
    """The plan's active units whose mail reaches no one: no address, or placeholder addresses
    (``*.example``) only."""
    return [u for u in (_contact(r) for r in _rows(session, plan_id)) if u.placeholder]
