"""A clerk's way in, without a browser: draft a plan from its text, export it to a workbook,
fill in a cell, import it back, validate it and materialise it in the ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from phancong.adapters import orm
from phancong.authoring import sheets as S
from phancong.cli import app
from phancong.domain.citation import parse_citation
from tests.helpers import ROOT
from tests.integration.ledger_fixtures import Ledger

pytestmark = pytest.mark.integration

TEXT = ROOT / "tests" / "data" / "draft-plan-danang.txt"


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_draft_export_edit_import_validate_materialise(ledger: Ledger, tmp_path: Path) -> None:
    draft, book, plan_file = tmp_path / "draft.yaml", tmp_path / "plan.xlsx", tmp_path / "plan.yaml"
    output = _run("plan", "draft", str(TEXT), "--out", str(draft))
    assert "II.2, item a): cần điền cơ quan chủ trì" in output
    _run("plan", "export", str(draft), "--xlsx", str(book))

    # the clerk names the lead the text left out, by its name, in the duty sheet
    workbook = load_workbook(book)
    sheet = workbook[S.DUTIES]
    column = {c.key: i for i, c in enumerate(S.DUTY_COLUMNS, 1)}
    row = next(
        r for r in range(2, sheet.max_row + 1)
        if parse_citation(sheet.cell(r, column["source"]).value) == "II.2, item a"
    )  # fmt: skip
    assert sheet.cell(row, column["lead"]).value == "can-dien-chu-tri"
    sheet.cell(row, column["lead"]).value = "Sở Y tế"
    workbook.save(book)

    _run("plan", "import", str(book), "--out", str(plan_file))
    assert "OK" in _run("plan", "validate", str(plan_file))
    report = ledger.materialize(plan_file, through="2027-12-31", now="2026-01-12")
    assert report.obligations_created > 0
    with ledger.factory() as session:
        owners = session.scalars(
            select(orm.UnitRow.code)
            .join(orm.ObligationRow, orm.ObligationRow.unit_id == orm.UnitRow.id)
            .join(orm.DutyRow, orm.ObligationRow.duty_id == orm.DutyRow.id)
            .where(orm.DutyRow.code == "ii-2-a")
            .distinct()
        ).all()
        assert set(owners) == {"so-y-te"}
        wards = session.scalar(
            select(func.count(func.distinct(orm.ObligationRow.unit_id)))
            .join(orm.UnitRow, orm.ObligationRow.unit_id == orm.UnitRow.id)
            .where(orm.UnitRow.code.like("ward-%"))
        )
        assert wards is not None and wards > 50  # every ward of Đà Nẵng owes its report
