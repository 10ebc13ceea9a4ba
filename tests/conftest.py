from __future__ import annotations

from pathlib import Path

import pytest

# Fixtures only: helpers shared by test modules (paths, `run`) are in tests/helpers/.


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read or write the user's real directories, and never see their colours."""
    monkeypatch.setenv("PAPERTRIAGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("PAPERTRIAGE_TOPICS", raising=False)
    monkeypatch.delenv("PAPERTRIAGE_DB", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
