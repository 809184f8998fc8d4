"""``phancong units …`` and the tidied command outputs: units found by code, name or address,
contact addresses imported from CSV (all or nothing, bad rows named by line, audited), users
added by unit name, the users list header, queued sweep mail described in the outbox, the
flows' shortened output, simulate cleaning up after itself, help wider than 80 columns."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from phancong.adapters.orm import AuditRow, UnitRow, UserRow
from phancong.cli import app
from phancong.cli.flows import compact, deliver_summary
from phancong.services import accounts
from phancong.settings import get_settings
from tests.helpers import HANOI
from tests.portal_support import fast_hasher, seed_ledger

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
PLAN = "hanoi-2026-2030"


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)


@pytest.fixture(scope="module")
def hanoi_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Hà Nội plan materialised once for the module; each test works on a copy."""
    path = tmp_path_factory.mktemp("hanoi") / "ledger.db"
    factory = seed_ledger(f"sqlite+pysqlite:///{path}", HANOI, through=dt.date(2026, 3, 31),
                          now=NOW)
    factory.kw["bind"].dispose()
    return path


@pytest.fixture
def env(hanoi_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    db = tmp_path / "ledger.db"
    db.write_bytes(hanoi_db.read_bytes())
    url = f"sqlite+pysqlite:///{db}"
    monkeypatch.setenv("PHANCONG_DATABASE_URL", url)
    monkeypatch.setenv("PHANCONG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PHANCONG_SECRET_KEY", raising=False)
    monkeypatch.setenv("PHANCONG_ENVIRONMENT", "development")
    get_settings.cache_clear()
    from phancong.adapters.db import make_engine, session_factory

    engine = make_engine(url)
    yield session_factory(engine)
    engine.dispose()
    get_settings.cache_clear()


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_units_list_finds_a_ward_by_name_without_diacritics(env: Any) -> None:
    found = run("units", "list", "--plan", PLAN, "--search", "ba dinh")
    assert found.exit_code == 0, found.output
    lines = found.output.splitlines()
    assert lines[0].split() == ["mã", "tên", "email"]
    assert any(line.startswith("ward-00004 ") and "UBND Phường Ba Đình" in line
               and "@" in line and "(địa chỉ tạm)" in line for line in lines), found.output
    assert lines[-1].endswith("đơn vị")
    everything = run("units", "list", "--plan", PLAN)
    assert everything.exit_code == 0
    with env() as session:
        communes = len(session.scalars(select(UnitRow.id).where(
            UnitRow.plan_id == PLAN, UnitRow.kind == "commune")).all())
        total = len(session.scalars(select(UnitRow.id).where(UnitRow.plan_id == PLAN)).all())
    assert communes == 126 and total > communes
    assert everything.output.splitlines()[-1] == f"{total} đơn vị"
    nothing = run("units", "list", "--plan", PLAN, "--search", "không-có-đâu")
    assert nothing.exit_code == 1 and "không có đơn vị nào phù hợp" in nothing.output


def test_import_contacts_names_bad_rows_by_line_and_imports_nothing(
    env: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "unit,emails\n"
        "ward-00004,vanphong@badinh.hanoi.gov.vn\n"
        "Phường Không Tồn Tại,a@b.vn\n"
        "ward-00070,không-phải-email\n"
        "ward-00004,khac@badinh.hanoi.gov.vn\n",
        encoding="utf-8",
    )
    refused = run("units", "import-contacts", str(bad), "--plan", PLAN)
    assert refused.exit_code == 1
    assert "dòng 3:" in refused.output and "Phường Không Tồn Tại" in refused.output
    assert "dòng 4:" in refused.output and "không-phải-email" in refused.output
    assert "dòng 5:" in refused.output and "dòng 2" in refused.output  # duplicate of line 2
    assert "dòng 2:" not in refused.output
    with env() as session:
        ba_dinh = session.scalars(
            select(UnitRow).where(UnitRow.plan_id == PLAN, UnitRow.code == "ward-00004")
        ).one()
        assert all(e.endswith(".example") for e in ba_dinh.emails)  # nothing imported
        assert session.scalar(select(AuditRow).where(AuditRow.action == "unit.contacts_set")) is None

    good = tmp_path / "good.csv"
    good.write_text(
        "\ufeffunit,emails\n"
        "ward-00004,vanphong@badinh.hanoi.gov.vn; chutich@badinh.hanoi.gov.vn\n"
        "UBND Phường Hoàn Kiếm,vp@hoankiem.hanoi.gov.vn\n",
        encoding="utf-8",
    )
    done = run("units", "import-contacts", str(good), "--plan", PLAN)
    assert done.exit_code == 0, done.output
    with env() as session:
        total = len(session.scalars(select(UnitRow.id).where(UnitRow.plan_id == PLAN)).all())
    assert f"đã cập nhật 2 đơn vị, 0 không đổi; còn {total - 2} đơn vị dùng địa chỉ tạm" in (
        done.output
    )
    again = run("units", "import-contacts", str(good), "--plan", PLAN)
    assert "đã cập nhật 0 đơn vị, 2 không đổi" in again.output
    with env() as session:
        emails = session.scalar(
            select(UnitRow.emails).where(UnitRow.plan_id == PLAN, UnitRow.code == "ward-00004")
        )
        assert emails == ["vanphong@badinh.hanoi.gov.vn", "chutich@badinh.hanoi.gov.vn"]
        audit = session.scalars(
            select(AuditRow).where(AuditRow.action == "unit.contacts_set").order_by(AuditRow.id)
        ).all()
        assert [a.entity_id for a in audit] == ["ward-00004", "ward-00070"]
        assert audit[0].actor == "cli" and audit[0].before is not None
        assert audit[0].before["emails"][0].endswith(".example")
    placeholders = run("units", "list", "--plan", PLAN, "--search", "ba dinh", "--placeholder")
    assert "ward-00004" not in placeholders.output


def test_materialize_keeps_imported_addresses(env: Any) -> None:
    from phancong.adapters.db import transaction
    from phancong.adapters.loader import directory, load
    from phancong.services import units
    from phancong.services.materialize import materialize

    with transaction(env) as session:
        units.set_contacts(session, PLAN, "ward-00004", "vp@badinh.hanoi.gov.vn", now=NOW,
                           actor="test")
    plan = load(HANOI)
    with transaction(env) as session:  # the nightly run, from the file's placeholders
        materialize(session, plan, directory(plan), through=dt.date(2026, 3, 31), now=NOW,
                    source=str(HANOI))
    with env() as session:
        assert units.find_unit(session, PLAN, "ward-00004").emails == ("vp@badinh.hanoi.gov.vn",)
        left = units.units_on_placeholder_addresses(session, PLAN)
        total = len(session.scalars(select(UnitRow.id).where(UnitRow.plan_id == PLAN)).all())
        assert "ward-00004" not in {u.code for u in left} and len(left) == total - 1


def test_users_add_by_unit_name_and_users_list_header(env: Any) -> None:
    added = run("users", "add", "badinh@example.test", "--name", "Văn thư Ba Đình", "--role",
                "agency", "--plan", PLAN, "--unit", "Phường Ba Đình", "--generate")
    assert added.exit_code == 0, added.output
    with env() as session:
        user = session.scalars(select(UserRow).where(UserRow.email == "badinh@example.test")).one()
        assert user.unit_code == "ward-00004"
    vague = run("users", "add", "x@example.test", "--name", "X", "--role", "agency", "--plan",
                PLAN, "--unit", "Phường Ba")
    assert vague.exit_code == 1 and "Hãy dùng mã đơn vị" in vague.output
    listing = run("users", "list")
    assert listing.output.splitlines()[0] == "email\trole\tplan\tunit\tstate\tlogin\tname"
    assert "badinh@example.test\tagency\thanoi-2026-2030\tward-00004" in listing.output


def test_outbox_describes_queued_sweep_mail(env: Any) -> None:
    from phancong.adapters.db import transaction
    from phancong.services.sweep import sweep

    with transaction(env) as session:
        sweep(session, PLAN, dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC))
    listing = run("mail", "outbox", "--limit", "5")
    assert listing.exit_code == 0, listing.output
    rows = listing.output.splitlines()[1:]
    assert rows and all("nhiệm vụ – soạn khi gửi)" in r for r in rows), listing.output


def test_flow_results_are_shortened_for_a_person() -> None:
    result = {"claimed": 3000, "sent": list(range(1, 2998)), "retrying": [5000, 5001],
              "failed": [6000], "released": [], "error": None}
    short = compact(result)
    assert short["sent"] == {"count": 2997, "first": [1, 2, 3, 4, 5]}
    assert short["retrying"] == [5000, 5001]
    assert deliver_summary(result) == (
        "đã gửi 2997, thử lại 2, thất bại 1, chưa thử 0 (3000 đến hạn)"
    )


def test_simulate_removes_its_throw_away_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    plan = Path(__file__).resolve().parent.parent / "data" / "mini.yaml"
    done = run("simulate", str(plan), "--from", "2026-03-14", "--to", "2026-03-18")
    assert done.exit_code == 0, done.output
    assert "ledger: throw-away, removed" in done.output
    assert list(tmp_path.glob("phancong-sim-*")) == []


def test_help_is_not_cut_at_80_columns() -> None:
    shown = run("users", "add", "--help")
    assert shown.exit_code == 0
    assert max(len(line) for line in shown.output.splitlines()) > 100
    # the option's help on one line: a long help text wrapped at 80 columns would split it
    assert any("unit code (ward-00004) or name ('Phường Ba Đình'), for agency accounts" in line
               for line in shown.output.splitlines())
