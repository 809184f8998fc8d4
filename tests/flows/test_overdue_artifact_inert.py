"""The overdue table artifact a real sweep flow publishes keeps hostile plan texts inert.

Agency names and duty titles of a copy of the mini plan carry ``<script>``, HTML,
markdown links and images, bare URLs, list and heading markers, pipes and newlines. After the
sweep flow, the ``hostile-overdue`` table artifact is read back from Prefect: every text cell
must render, as CommonMark (what Prefect's V1 UI does with a cell), to the plain original text —
whitespace collapsed — and nothing else; numbers stay numbers. The V2 UI shows a cell's string as
text, so no markup can come to life there either. See tests/unit/test_artifact_cells.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest
import yaml
from flowkit import MINI, Ledger, at

from flows.sweep import sweep_flow
from phancong.adapters.db import transaction
from phancong.adapters.loader import directory, load
from phancong.bootstrap import wired
from phancong.orchestration.artifacts import OVERDUE_COLUMNS
from phancong.services.materialize import materialize
from tests.unit.test_artifact_cells import GFM_AUTOLINK, shown

pytestmark = pytest.mark.flows

SCRIPT = "<script>alert(1)</script>"
AGENCIES = {
    "ca": "# Công an <b>Thành phố</b> | CA & Co\n|---|---|",
    "pc02": "1986. Phòng `PC02` https://evil.example www.evil.example pc02@evil.example",
    "sgd": f"Sở Giáo dục {SCRIPT}",
    "vks": "[Viện Kiểm sát](javascript:alert(1)) ![x](http://127.0.0.1:9/x.png)",
}
DUTIES = {  # titles (citations are checked against a pattern and cannot carry markup)
    "d1": '"><img src=x onerror=alert(1)> Tuyên truyền **trong** trường học\n---',
    "report": "- Báo cáo ~~định kỳ~~ &lt;b&gt; [V.1](https://evil.example)",
    "consolidated": "Báo cáo tổng hợp\ndòng hai | x <!-- x -->",
}


def hostile_mini(ledger: Ledger) -> None:
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    data["plan"]["id"] = "hostile"
    for agency in data["agencies"]:
        agency["name"] = AGENCIES.get(agency["id"], agency["name"])
    for duty in data["duties"]:
        duty["title"] = DUTIES[duty["id"]]
    ledger.plan_file.write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    plan = load(ledger.plan_file)
    with transaction(wired().sessions) as session:
        materialize(
            session,
            plan,
            directory(plan),
            through=dt.date(2026, 12, 31),
            now=at("2026-01-01"),
            source=str(ledger.plan_file),
        )


def table_rows(data: Any) -> list[dict[str, Any]]:
    """Rows of a table artifact, published as a list of rows (the form Prefect's V2 UI reads)."""
    table = json.loads(data) if isinstance(data, str) else data
    assert isinstance(table, list), table
    assert all(isinstance(row, dict) for row in table), table
    return table


def test_the_overdue_table_artifact_shows_hostile_plan_texts_as_plain_text(
    empty_ledger: Ledger,
) -> None:
    from prefect.artifacts import Artifact

    hostile_mini(empty_ledger)
    asyncio.run(sweep_flow(plan="hostile", as_of=at("2026-03-17")))
    artifact = Artifact.get("hostile-overdue")
    assert artifact is not None and artifact.type == "table"
    rows = table_rows(artifact.data)
    assert len(rows) == 5  # as in test_sweep_flow: d1 sgd & vks, report ca & sgd, consolidated

    seen: dict[str, set[str]] = {}
    for headed_row in rows:
        assert next(iter(headed_row)) == "Đơn vị"  # headers are Vietnamese
        row = dict(zip(OVERDUE_COLUMNS, headed_row.values(), strict=True))
        assert isinstance(row["days_late"], int)
        for column, value in row.items():
            if isinstance(value, str) and value:
                assert not GFM_AUTOLINK.search(value), (column, value)
                seen.setdefault(column, set()).add(shown(value))  # asserts: text and nothing else
    plain = {key: " ".join(text.split()) for key, text in AGENCIES.items()}
    assert seen["agency"] == {plain["sgd"], plain["vks"], plain["ca"], plain["pc02"]}
    assert seen["duty"] == {" ".join(title.split()) for title in DUTIES.values()}
    assert seen["citation"] == {"Mục IV.3, gạch đầu dòng 2", "Mục V.1", "Mục V.3"}
    assert seen["blocked_by"] == {f"{plain['ca']}, {plain['sgd']}"}
