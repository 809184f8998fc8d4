"""The tables stay behind the services: only ``phancong.adapters``, ``phancong.services`` and the
migrations import the ORM (``phancong.adapters.orm``). The web, the email channel, the CLI,
the orchestration, the Prefect tasks and flows ask a service instead.

Every import is found by parsing the source (``ast``), wherever it is written: at the top of a
module, inside a function, under ``TYPE_CHECKING``, relative, or by ``importlib``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
ORM = "phancong.adapters.orm"
ALLOWED = ("phancong/adapters/", "phancong/services/", "phancong/migrations/")

# Modules outside those packages that still import the ORM. Empty since the portal's reads
# moved into the read model (phancong/services/reads/); a module that must import it again goes
# here with the reason, and leaves as soon as it does not.
STILL_IMPORTING: frozenset[str] = frozenset()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, *, package: bool = False) -> set[str]:
    """Every module name ``source`` (the module ``module``) imports, with the names it takes
    from a package counted as modules too (``from a import b`` gives ``a`` and ``a.b``)."""
    found: set[str] = set()
    base = module.split(".") if package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                target = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and (getattr(node.func, "attr", None) == "import_module"
                   or getattr(node.func, "id", None) in ("import_module", "__import__"))):
            found.add(node.args[0].value)
    return found


def imports_orm(source: str, module: str, *, package: bool = False) -> bool:
    return any(name == ORM or name.startswith(ORM + ".")
               for name in imported_modules(source, module, package=package))


def sources() -> list[Path]:
    files = [p for folder in ("phancong", "tasks", "flows")
             for p in sorted((ROOT / folder).rglob("*.py"))]
    assert len(files) > 50, "the package was not found where the test looks"
    return files


def orm_importers() -> set[str]:
    return {
        str(path.relative_to(ROOT))
        for path in sources()
        if imports_orm(path.read_text(encoding="utf-8"), module_name(path),
                       package=path.name == "__init__.py")
    }


def test_only_adapters_services_and_migrations_import_the_orm() -> None:
    outside = {m for m in orm_importers() if not m.startswith(ALLOWED)}
    assert outside - STILL_IMPORTING == set(), "ask a service in phancong/services/ instead"


def test_the_allow_list_only_shrinks() -> None:
    no_longer = STILL_IMPORTING - orm_importers()
    assert no_longer == set(), f"remove {sorted(no_longer)} from STILL_IMPORTING"


def test_the_services_do_import_it() -> None:
    """The check sees the imports it is about (a parser that found none would pass anything)."""
    found = orm_importers()
    assert {"phancong/services/audit.py", "phancong/services/outbox.py"} <= found
    assert not any(m.startswith(("phancong/mail/", "phancong/cli/", "tasks/", "flows/"))
                   for m in found)


@pytest.mark.parametrize("source", [
    "from phancong.adapters.orm import UserRow",
    "import phancong.adapters.orm",
    "import phancong.adapters.orm as orm",
    "from phancong.adapters import orm",
    "from ..adapters.orm import OutboxRow",
    "from ..adapters import orm",
    "def f():\n    from phancong.adapters.orm import PlanRow\n    return PlanRow",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from phancong.adapters.orm import X",
    "import importlib\norm = importlib.import_module('phancong.adapters.orm')",
])
def test_every_form_of_import_is_seen(source: str) -> None:
    assert imports_orm(source, "phancong.mail.deliver")


@pytest.mark.parametrize("source", [
    "from phancong.adapters.db import transaction",
    "from phancong.adapters import db",
    "from phancong.services.outbox import Mail",
    "from .adapters.orm import X",  # phancong.mail.adapters.orm: another module
    "orm = 'phancong.adapters.orm'",
])
def test_other_imports_are_not_taken_for_it(source: str) -> None:
    assert not imports_orm(source, "phancong.mail.deliver")


def _importers_of(prefix: str) -> set[str]:
    return {
        str(path.relative_to(ROOT))
        for path in sources()
        if any(name == prefix or name.startswith(prefix + ".")
               for name in imported_modules(path.read_text(encoding="utf-8"), module_name(path),
                                            package=path.name == "__init__.py"))
    }


def test_the_web_is_on_top() -> None:
    """Nothing below the portal imports it: the domain, the services, the email channel and the
    adapters work without FastAPI; the portal is built by its entry points."""
    below = ("phancong/domain/", "phancong/services/", "phancong/mail/", "phancong/adapters/")
    assert {m for m in _importers_of("phancong.web") if m.startswith(below)} == set()
    assert "phancong/orchestration/portal.py" in _importers_of("phancong.web")  # seen


def test_the_domain_is_pure() -> None:
    """The domain imports no database, web, email or orchestration code."""
    domain = {m for m in _importers_of("sqlalchemy") | _importers_of("phancong.services")
              | _importers_of("phancong.adapters") | _importers_of("phancong.mail")
              | _importers_of("fastapi") | _importers_of("prefect")
              if m.startswith("phancong/domain/")}
    assert domain == set()
    assert "phancong/services/ledger.py" in _importers_of("sqlalchemy")  # the check sees imports


def test_one_writer_of_the_audit_log() -> None:
    """Every audit row is built by phancong/services/audit.py: no other module constructs an
    ``AuditRow`` or inserts into its table."""
    writers = set()
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            called = getattr(node, "func", None) if isinstance(node, ast.Call) else None
            name = getattr(called, "id", None) or getattr(called, "attr", None)
            if name == "AuditRow" or (name == "insert" and "AuditRow" in ast.dump(node)):
                writers.add(str(path.relative_to(ROOT)))
    assert writers == {"phancong/services/audit.py"}
