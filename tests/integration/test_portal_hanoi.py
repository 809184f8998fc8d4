"""The portal on the Hà Nội plan: 126 wards as units, fan-out duties, a ward's own account."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from phancong.adapters.orm import DutyRow, ObligationRow, UnitRow
from phancong.bootstrap import bootstrap
from phancong.services import accounts
from phancong.settings import Settings
from phancong.web.app import create_app
from phancong.web.i18n import fmt_citation
from tests.portal_support import add_user, client_for, fast_hasher, login, seed_ledger

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "responsibilities" / "hanoi-2026-2030.yaml"
NOW = dt.datetime(2026, 5, 4, 3, 0, tzinfo=dt.UTC)
WARD = "ward-00004"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("hanoi")
    url = f"sqlite+pysqlite:///{tmp}/ledger.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "hasher", fast_hasher)
        factory = seed_ledger(url, PLAN, through=dt.date(2026, 12, 31), now=NOW)
        add_user(factory, "tt@example.test", "coordinator", plan="hanoi-2026-2030", now=NOW)
        add_user(factory, "ward@example.test", "agency", plan="hanoi-2026-2030", unit=WARD, now=NOW)
        with factory() as session:
            wards = session.scalar(
                select(func.count()).select_from(UnitRow).where(UnitRow.kind == "commune")
            )
        assert wards == 126
        settings = Settings(data_dir=tmp, secret_key="h" * 40)  # type: ignore[arg-type]
        yield create_app(bootstrap(settings, sessions=factory, clock=lambda: NOW))
        factory.kw["bind"].dispose()


@pytest.fixture(scope="module")
def coordinator(app: Any) -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "hasher", fast_hasher)
        client = client_for(app)
        assert login(client, "tt@example.test").status_code == 303
    return client


def test_matrix_of_the_wards(coordinator: Any) -> None:
    page = coordinator.get("/matrix?kind=commune")
    assert page.status_code == 200
    rows = re.findall(r'data-testid="matrix-row"', page.text)
    assert len(rows) == 126
    statuses = set(re.findall(r'data-testid="matrix-cell" data-status="([a-z_]*)"', page.text))
    assert {"overdue", "in_progress"} <= statuses
    assert "Xã, phường" in page.text


def test_fan_out_duties_by_ward(coordinator: Any) -> None:
    page = coordinator.get("/matrix/communes?period=2026-H1")
    assert page.status_code == 200
    duties = re.findall(
        r'data-testid="fanout-duty" data-submitted="(\d+)" data-total="(\d+)"', page.text
    )
    assert duties
    assert all(int(total) >= 126 for _, total in duties)
    assert "0/126 đã nộp" in page.text
    units = set(re.findall(r'<tr id="row-([a-z0-9-]+)" data-unit', page.text))
    assert WARD in units
    cell = re.search(rf'id="cell-{WARD}-[^"]+"[^>]*data-status="([a-z_]+)"', page.text)
    assert cell is not None


def test_ward_sees_only_its_own(app: Any) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "hasher", fast_hasher)
        ward = client_for(app)
        login(ward, "ward@example.test")
    page = ward.get("/obligations?period=")
    ids = [int(i) for i in re.findall(r'data-obligation-id="(\d+)"', page.text)]
    assert ids
    assert "UBND Phường" in page.text
    api_like = ward.get("/exports/overdue.csv")
    rows = list(csv.reader(io.StringIO(api_like.content.decode("utf-8-sig"))))[1:]
    units = {row[5] for row in rows}
    assert units <= {WARD}
    assert ward.get("/matrix").status_code == 403


def test_city_matrix_is_fast(coordinator: Any) -> None:
    """The 126-ward view: a loose bound here (shared CI machines); the benchmark measures p95."""
    timings = []
    for _ in range(10):
        started = time.perf_counter()
        assert coordinator.get("/matrix?kind=commune").status_code == 200
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 1.5


def test_indicator_values_submitted_and_reviewed(coordinator: Any) -> None:
    listing = coordinator.get("/obligations?duty=iv-1-b7&period=2026-Q1")
    first = re.search(r'data-obligation-id="(\d+)"', listing.text)
    assert first is not None
    ob = first.group(1)
    page = coordinator.get(f"/obligations/{ob}")
    assert 'name="indicator.ty-le-tiep-nhan-tin-bao"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    done = coordinator.post(
        f"/obligations/{ob}/submit",
        data={
            "note": "Quý I",
            "indicator.ty-le-tiep-nhan-tin-bao": "98.5",
            "on_behalf_reason": "Công an thành phố gửi báo cáo bằng văn bản",
            "csrf_token": token.group(1),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    queue = coordinator.get("/review")
    assert "98.5" in queue.text
    assert "Tin báo, tố giác tội phạm" in queue.text
    half = coordinator.get("/obligations?duty=iv-1-b7&period=2026-H1")
    other = re.findall(r'data-obligation-id="(\d+)"', half.text)[0]
    wrong = coordinator.post(
        f"/obligations/{other}/submit",
        data={"indicator.ty-le-tiep-nhan-tin-bao": "nhiều", "csrf_token": token.group(1)},
    )
    assert wrong.status_code == 422
    assert "phải là số" in wrong.text


def test_citations_are_shown_in_the_reader_language(app: Any, coordinator: Any) -> None:
    """One obligation per citation form of the plan (bullet, bare section)."""
    with app.state.portal.factory() as session:
        rows = session.execute(
            select(func.min(ObligationRow.id), DutyRow.source)
            .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
            .group_by(DutyRow.source)
        ).all()
    examples: dict[str, tuple[int, str]] = {}
    for ob, source in rows:
        form = source.split(", ")[1].split(" ")[0] if ", " in source else "section"
        examples.setdefault(form, (ob, source))
    # the Hà Nội plan no longer cites a paragraph (III.5.1's first paragraph is the same work as
    # IV.1 bullet 5 and is tracked there); the paragraph form is the Hải Dương plan's (III.5)
    assert {"bullet", "section"} <= set(examples), examples
    assert fmt_citation("III.5, paragraph 2", "vi") == "Mục III.5, đoạn 2"
    try:
        for ob, source in examples.values():
            vi = coordinator.get(f"/obligations/{ob}").text
            shown = re.search(r'data-testid="citation">([^<]*)<', vi)
            assert shown is not None
            assert shown.group(1) == fmt_citation(source, "vi") != source
            assert shown.group(1).startswith("Mục ")
            en = coordinator.get(f"/obligations/{ob}?lang=en").text
            assert f'data-testid="citation">{source}<' in en
            coordinator.get("/obligations?lang=vi")
        listing = coordinator.get("/matrix?period=2026-H1").text  # the duty roll-ups
        assert "gạch đầu dòng" in listing
        assert not re.search(r"\b(bullet|paragraph)\b", listing)
    finally:
        coordinator.get("/account?lang=vi")
