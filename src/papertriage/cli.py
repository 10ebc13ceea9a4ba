"""The command line: turns options into library calls and results into output.

The only module that writes to stdout. Data goes to stdout, messages to stderr; the one place
where domain errors become `Error: ...` lines and exit codes is `_run`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, NoReturn, TypeVar

import typer

from papertriage.errors import ExitCode, PapertriageError, UsageError
from papertriage.models import Record

T = TypeVar("T")

app = typer.Typer(
    name="papertriage",
    help="Turn raw paper listings into records you can tag, search, rank and export.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class OutputFormat(StrEnum):
    auto = "auto"
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class InputFormat(StrEnum):
    auto = "auto"
    hf = "hf"
    arxiv_email = "arxiv-email"
    arxiv_list = "arxiv-list"
    arxiv_atom = "arxiv-atom"
    jsonl = "jsonl"
    json = "json"


# Options shared by every command that reads listings or writes records, defined once.
FilesArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Listing files to read; '-' (or nothing, when piped) reads stdin.", show_default=False
    ),
]
FromOpt = Annotated[
    InputFormat,
    typer.Option("--from", "--input-format", "-F", help="Input format; auto detects it per file."),
]
ReplacedOpt = Annotated[
    bool,
    typer.Option(
        "--include-replaced/--skip-replaced",
        help="Keep arXiv 'replaced' entries (they carry no abstract).",
    ),
]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option(
        "--format", "-f", help="Output format; auto is a table on a terminal, JSON Lines otherwise."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Short for --format json.")]
OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to this file (atomically) instead of stdout.",
        show_default=False,
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Allow --output to replace a file.")]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No messages on stderr, only errors.")
]

MAX_WARNINGS_SHOWN = 10


@dataclass(frozen=True)
class Env:
    """What the process was started with, resolved once per command."""

    stdout_is_tty: bool
    stdin_is_tty: bool
    quiet: bool

    @classmethod
    def detect(cls, *, quiet: bool) -> Env:
        return cls(sys.stdout.isatty(), sys.stdin.isatty(), quiet)


class Messages:
    """Counts, warnings and errors on stderr; colour only on a terminal and never with NO_COLOR."""

    def __init__(self, env: Env) -> None:
        from rich.console import Console

        self.quiet = env.quiet
        self.console = Console(stderr=True, highlight=False, soft_wrap=True)

    def info(self, text: str) -> None:
        if not self.quiet:
            self.console.print(text, markup=False)

    def warning(self, text: str) -> None:
        if not self.quiet:
            self.console.print(f"warning: {text}", style="yellow", markup=False)


def _run(body: Callable[[], T]) -> T:
    """Call a command body; turn domain errors into `Error: ...` on stderr and an exit code."""
    try:
        return body()
    except PapertriageError as error:
        sys.stderr.write(f"Error: {error}\n")
        raise typer.Exit(int(error.exit_code)) from None
    except BrokenPipeError:
        _quiet_broken_pipe()
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None


def _quiet_broken_pipe() -> NoReturn:
    # The reader went away (`| head`): not an error. Point stdout at /dev/null so the interpreter's
    # final flush does not complain either.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise typer.Exit(int(ExitCode.OK))


def resolve_format(fmt: OutputFormat, *, json_flag: bool, output: str | None, env: Env) -> str:
    if json_flag:
        if fmt not in (OutputFormat.auto, OutputFormat.json):
            raise UsageError("--json and --format disagree", hint="give only one of them")
        return "json"
    if fmt is not OutputFormat.auto:
        if fmt is OutputFormat.table and output:
            raise UsageError(
                "a table is for the terminal", hint="write json, jsonl or csv to a file"
            )
        return fmt.value
    if output:
        suffix = os.path.splitext(output)[1].lower()
        return {".json": "json", ".csv": "csv"}.get(suffix, "jsonl")
    return "table" if env.stdout_is_tty else "jsonl"


def read_inputs(
    files: list[str] | None,
    input_format: InputFormat,
    include_replaced: bool,
    env: Env,
    messages: Messages,
) -> list[Record]:
    """Parse every input, report what was found, and merge records of the same paper."""
    from papertriage.inputs import ReadOptions, read_listing
    from papertriage.merge import merge_duplicates

    if not files:
        if env.stdin_is_tty:
            raise UsageError("no listing given", hint="name a file, or pipe one into stdin")
        files = ["-"]
    options = ReadOptions(format=input_format.value, include_replaced=include_replaced)
    records: list[Record] = []
    for path in files:
        report = read_listing(path, options)
        _report_parse(report, messages)
        records.extend(report.records)
    result = merge_duplicates(records)
    if result.merged:
        messages.info(f"merged {result.merged} duplicate record(s) of the same paper")
    return result.records


def _report_parse(report: object, messages: Messages) -> None:
    from papertriage.parse import ParseReport

    assert isinstance(report, ParseReport)
    line = f"{report.source}: {len(report.records)} records ({report.format})"
    if report.dropped:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(report.dropped.items()))
        line += f"; dropped {sum(report.dropped.values())} noise lines ({kinds})"
    if report.skipped.get("repeated"):
        line += f"; skipped {report.skipped['repeated']} entries repeated back to back"
    if report.skipped.get("replaced"):
        line += (
            f"; skipped {report.skipped['replaced']} replaced entries without abstracts"
            " (--include-replaced keeps them)"
        )
    messages.info(line)
    for warning in report.warnings[:MAX_WARNINGS_SHOWN]:
        messages.warning(warning)
    if len(report.warnings) > MAX_WARNINGS_SHOWN:
        messages.warning(f"{report.source}: {len(report.warnings) - MAX_WARNINGS_SHOWN} more")


def emit_records(
    records: list[Record], fmt: str, output: str | None, force: bool, env: Env
) -> None:
    """Write records to stdout or to a file, in the resolved format."""
    from papertriage import render

    if fmt == "table":
        from rich.console import Console

        Console(highlight=False).print(render.records_table(records))
        return
    chunks: Iterable[str] = {
        "json": render.json_chunks,
        "jsonl": render.jsonl_lines,
        "csv": render.csv_lines,
    }[fmt](records)
    if output:
        from papertriage.outputs import write_atomically

        write_atomically(output, chunks, force=force)
    else:
        _write_stdout(chunks)


def _write_stdout(chunks: Iterable[str]) -> None:
    write = sys.stdout.write
    for chunk in chunks:
        write(chunk)
    sys.stdout.flush()


def _check_output_early(output: str | None, force: bool) -> None:
    if output:
        from papertriage.outputs import check_writable

        check_writable(output, force=force)


def _show_version(value: bool) -> None:
    if value:
        from papertriage import __version__

        sys.stdout.write(f"papertriage {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """Turn raw paper listings into records you can tag, search, rank and export."""


@app.command()
def parse(
    files: FilesArg = None,
    input_format: FromOpt = InputFormat.auto,
    include_replaced: ReplacedOpt = False,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Parse raw listings into clean records.

    Example: papertriage parse examples/hf-papers-listing.txt --format jsonl | jq -r .title
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        messages = Messages(env)
        resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env)
        _check_output_early(output, force)
        records = read_inputs(files, input_format, include_replaced, env, messages)
        emit_records(records, resolved, output, force, env)

    _run(body)


def main() -> None:
    app()
