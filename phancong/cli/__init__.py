"""The ``phancong`` command. Each module of this package adds its commands in ``register(app)``."""

from __future__ import annotations

import importlib
import os
import pkgutil
import shutil

import typer

HELP_WIDTH_MAX = 140
HELP_WIDTH_PIPED = 120


def _help_width() -> None:
    """Help as wide as the terminal (at most 140 columns), and 120 when not on a terminal: rich
    otherwise wraps every help text at 80 columns once output is piped or captured."""
    if os.environ.get("TERMINAL_WIDTH"):
        return  # the user's choice, which Typer reads itself
    try:
        from typer import rich_utils
    except ImportError:  # pragma: no cover - Typer without rich
        return
    columns = shutil.get_terminal_size((HELP_WIDTH_PIPED, 24)).columns
    rich_utils.MAX_WIDTH = max(60, min(columns, HELP_WIDTH_MAX))


_help_width()

app = typer.Typer(
    name="phancong",
    help="phancong — theo dõi, đôn đốc thực hiện kế hoạch liên ngành / "
    "task assignment and escalation for inter-agency plans.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"max_content_width": HELP_WIDTH_MAX},
)


def _register_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_all()


def main() -> None:
    app()
