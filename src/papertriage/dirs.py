"""Where papertriage keeps a user's files, resolved once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple


class UserDirs(NamedTuple):
    config: Path  # topics.yaml and other settings
    cache: Path  # derived data that can always be rebuilt
    data: Path  # the library


def user_dirs(environ: Mapping[str, str]) -> UserDirs:
    """$PAPERTRIAGE_HOME holds everything when set; otherwise the XDG base directories."""
    home = environ.get("PAPERTRIAGE_HOME")
    if home:
        root = Path(home)
        return UserDirs(root, root / "cache", root)
    user_home = Path(environ.get("HOME") or Path.home())

    def xdg(variable: str, default: str) -> Path:
        return Path(environ.get(variable) or user_home / default) / "papertriage"

    return UserDirs(
        xdg("XDG_CONFIG_HOME", ".config"),
        xdg("XDG_CACHE_HOME", ".cache"),
        xdg("XDG_DATA_HOME", ".local/share"),
    )
