"""The exported workbook opens in LibreOffice (headless) without repair, and survives its re-save."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from phancong.adapters.loader import load
from phancong.authoring.workbook_export import export_workbook
from phancong.authoring.workbook_import import read_workbook
from tests.helpers import HANOI

pytestmark = pytest.mark.e2e


def _soffice(
    tmp_path: Path, target: str, source: Path, outdir: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_converts_the_workbook_to_pdf_and_resaves_it(tmp_path: Path) -> None:
    plan = load(HANOI)
    book = tmp_path / "hanoi.xlsx"
    export_workbook(plan, book)
    done = _soffice(tmp_path, "pdf", book, tmp_path)
    assert done.returncode == 0, done.stderr
    pdf = tmp_path / "hanoi.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 20_000  # every duty row printed, not an empty page
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=False)
    if text.returncode == 0:
        # the last duty's id (citations are shown in Vietnamese and wrap inside their cell)
        assert plan.duties[-1].id in text.stdout and "Phân công" not in text.stderr
    # saved again by LibreOffice as .xlsx, the workbook still reads back to the same plan
    resaved = tmp_path / "lo"
    done = _soffice(tmp_path, "xlsx:Calc MS Excel 2007 XML", book, resaved)
    assert done.returncode == 0, done.stderr
    assert read_workbook(resaved / "hanoi.xlsx") == plan


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_every_field_survives_a_libreoffice_resave(tmp_path: Path) -> None:
    """Dates, dropdown words and the amendments sheet of the all-fields plan read back the same
    after LibreOffice has saved the workbook again."""
    from tests.unit.test_workbook import _rich_plan

    plan = _rich_plan()
    book = tmp_path / "rich.xlsx"
    export_workbook(plan, book)
    resaved = tmp_path / "lo"
    done = _soffice(tmp_path, "xlsx:Calc MS Excel 2007 XML", book, resaved)
    assert done.returncode == 0, done.stderr
    assert read_workbook(resaved / "rich.xlsx") == plan
