"""The development signing key: one per data directory, whoever asks first, however many ask."""

from __future__ import annotations

from pathlib import Path

import pytest

from phancong.settings import Settings

pytestmark = pytest.mark.unit


def test_a_key_written_by_another_process_meanwhile_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two portal workers start on a fresh data directory: both find no key, one writes first.
    The second must use the first one's key (a worker signing with its own would reject the
    sessions of the other), not replace it."""
    first = Settings(data_dir=tmp_path, secret_key=None).signing_key()
    assert len(first) >= 32
    monkeypatch.setattr(Path, "exists", lambda self: False)  # it looked before the file came
    assert Settings(data_dir=tmp_path, secret_key=None).signing_key() == first
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]  # no candidate left
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_a_configured_key_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="k" * 40)
    assert settings.signing_key() == "k" * 40
    assert not (tmp_path / "secret_key").exists()
