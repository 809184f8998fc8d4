"""Every command shown in README.md exists and answers --help (docs checked by a test)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from phancong.cli import app
from tests.helpers import ROOT

pytestmark = pytest.mark.unit

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
COMMANDS = sorted({
    " ".join(re.match(r"phancong((?: [a-z][a-z-]*)+)", line.strip()).group(1).split()[:2])  # type: ignore[union-attr]
    for block in BLOCKS for line in block.splitlines() if line.strip().startswith("phancong ")
})


def test_readme_shows_commands() -> None:
    assert len(COMMANDS) >= 10


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_exists(command: str) -> None:
    words = command.split()
    result = CliRunner().invoke(app, [*words, "--help"])
    if result.exit_code != 0 and len(words) == 2:  # "phancong simulate responsibilities/…"
        result = CliRunner().invoke(app, [words[0], "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_every_command_has_help() -> None:
    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert command.help or command.short_help, f"phancong {name} has no help"
        for sub_name, sub in getattr(command, "commands", {}).items():
            assert sub.help or sub.short_help, f"phancong {name} {sub_name} has no help"
