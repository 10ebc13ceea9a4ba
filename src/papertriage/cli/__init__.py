"""The command line: a thin Typer app over the library (see app.py for the shared shell).

Importing the command modules registers their commands; `--help` lists them in COMMAND_ORDER.
"""

from typer.models import CommandInfo

from papertriage.cli import finding, learning, library, listing  # noqa: F401 - registers the commands
from papertriage.cli.app import app, main

COMMAND_ORDER = [
    "parse",
    "tag",
    "topics",
    "eval",  # listings and topics
    "search",
    "filter",
    "rank",
    "similar",  # finding papers
    "screen",
    "add",
    "mark",
    "note",
    "show",
    "new",
    "backup",
    "retag",
    "export",  # the library
]


def _command_name(info: CommandInfo) -> str:
    return info.name or str(getattr(info.callback, "__name__", ""))


app.registered_commands.sort(key=lambda info: COMMAND_ORDER.index(_command_name(info)))

__all__ = ["COMMAND_ORDER", "app", "main"]
