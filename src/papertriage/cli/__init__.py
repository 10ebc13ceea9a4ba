"""The command line: a thin Typer app over the library (shell.py has what commands share).

A command module defines its commands (papertriage.cli.shell.command); `--help` lists them in
COMMAND_ORDER. A run registers only the command it names: Typer builds every registered command's parameters before
it runs one, which for all of them costs more than a search of a day's listing. Anything else
(`--help`, a mistyped command, shell completion) gets them all, as does `papertriage.cli.app`.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

# Command -> the module defining it, in the order `--help` lists them.
COMMAND_MODULES = {
    "parse": "listing",
    "tag": "listing",
    "topics": "listing",
    "eval": "listing",  # listings and topics
    "search": "finding",
    "filter": "finding",
    "rank": "finding",
    "similar": "finding",  # finding papers
    "fetch": "fetching",  # getting them from the services
    "digest": "digesting",
    "screen": "learning",
    "add": "library",
    "mark": "library",
    "note": "library",
    "show": "library",
    "new": "library",
    "backup": "library",
    "retag": "library",
    "export": "library",  # the library
}
COMMAND_ORDER = list(COMMAND_MODULES)


def register(commands: list[str] | None = None) -> Any:
    """The Typer app with `commands` registered (None: all of them), in COMMAND_ORDER."""
    from papertriage.cli.shell import DEFINED, app

    wanted = COMMAND_ORDER if commands is None else commands
    for module in dict.fromkeys(COMMAND_MODULES[name] for name in wanted):
        importlib.import_module(f"papertriage.cli.{module}")
    registered = {command_name(info) for info in app.registered_commands}
    for name in wanted:
        if name not in registered:
            app.command(name)(DEFINED[name])
    app.registered_commands.sort(key=lambda info: COMMAND_ORDER.index(command_name(info)))
    return app


def command_name(info: Any) -> str:
    """A registered command's name (typer.models.CommandInfo)."""
    return info.name or str(getattr(info.callback, "__name__", ""))


def named_command(argv: list[str]) -> str | None:
    """The command an argument list runs, when it comes first: after an option of the app's own
    (`--help search` lists every command), or for shell completion, all commands are needed."""
    if any(key.startswith("_") and key.endswith("_COMPLETE") for key in os.environ):
        return None
    first = argv[0] if argv else None
    return first if first in COMMAND_MODULES else None


def main() -> None:
    """The entry point: registers the command named on the command line (or all), and runs."""
    from papertriage.cli import shell

    named = named_command(sys.argv[1:])
    register(None if named is None else [named])
    shell.main()


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole app, for those who drive it (tests, documentation)
        return register()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["COMMAND_ORDER", "app", "main", "register"]
