"""Domain errors and the exit codes they map to: the one place both are defined."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, documented in the README ("Exit codes")."""

    OK = 0
    NO_RESULTS = 1  # a search or filter matched nothing, like grep
    INPUT = 2  # bad usage or bad input: missing file, unknown format, invalid taxonomy, ...
    OUTPUT = 3  # the output (a file or stdout) could not be written: exists, permission, disk full
    NETWORK = 4  # a service could not be reached or did not answer usefully (fetch)
    STALE = 5  # fetch: the feed repeats the last fetch of that source, or is older than it
    INCOMPLETE = 6  # fetch: fewer papers arrived than the answer says it has
    INTERRUPTED = 130  # Ctrl-C (SIGINT)
    TERMINATED = 143  # SIGTERM (`kill PID`): 128 + 15, as a shell reports a process it ended


class PapertriageError(Exception):
    """An error the user can fix. `str()` is the one-line message; `hint` says what to do next."""

    exit_code = ExitCode.INPUT

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(PapertriageError):
    """The input cannot be read or parsed."""


class UsageError(PapertriageError):
    """Options that do not fit together, or a value out of range."""


class OutputError(PapertriageError):
    """The output file, or stdout, cannot be written."""

    exit_code = ExitCode.OUTPUT


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, as Ctrl-C raises KeyboardInterrupt: the same clean-up
    runs (workers stopped, the library's transaction rolled back, partial files removed)."""
