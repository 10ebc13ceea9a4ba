"""The shell of the command line: shared options, the environment, messages, the one error
boundary (`command` registers a command inside it) and writing outputs. Commands live beside it, by group; where their papers come
from is cli/sources.py.

The cli package is the only writer to stdout. Data goes to stdout, messages to stderr.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, NoReturn, TextIO, TypeVar

import typer

from papertriage.dirs import UserDirs, user_dirs
from papertriage.errors import ExitCode, OutputError, PapertriageError, Terminated, UsageError
from papertriage.models import Record

if TYPE_CHECKING:
    from rich.console import RenderableType

    from papertriage.topics.taxonomy import Taxonomy


T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="papertriage",
    help="Turn raw paper listings into records you can tag, search, rank and export.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain usage errors ("Error: Invalid value for ...") like every other papertriage error,
    # instead of a framed panel; help stays readable as plain text.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class OutputFormat(StrEnum):
    auto = "auto"
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    md = "md"


class SortOrder(StrEnum):
    relevance = "relevance"
    position = "position"
    title = "title"  # type: ignore[assignment]  # (str.title, shadowed on purpose)


class InputFormat(StrEnum):
    auto = "auto"
    hf = "hf"
    hf_html = "hf-html"
    hf_api = "hf-api"
    arxiv_email = "arxiv-email"
    arxiv_list = "arxiv-list"
    arxiv_html = "arxiv-html"
    arxiv_rss = "arxiv-rss"
    arxiv_atom = "arxiv-atom"
    jsonfeed = "jsonfeed"
    bibtex = "bibtex"
    ris = "ris"
    jsonl = "jsonl"
    json = "json"
    csv = "csv"


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
        help="Keep arXiv 'replaced' entries (skipped by default: a new version of an old paper).",
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

TopicsOpt = Annotated[
    str | None,
    typer.Option(
        "--topics",
        "-t",
        show_default=False,
        help="Taxonomy YAML (else $PAPERTRIAGE_TOPICS, else topics.yaml in the config "
        "directory, else the built-in taxonomy).",
    ),
]

ExplainOpt = Annotated[
    bool, typer.Option("--explain", help="Show why each tag applies, matched words highlighted.")
]

TagOpt = Annotated[
    list[str] | None, typer.Option("--tag", help="Only papers with this tag (repeatable).")
]

NotTagOpt = Annotated[
    list[str] | None, typer.Option("--not-tag", help="No papers with this tag (repeatable).")
]

LimitOpt = Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most this many.")]

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        show_default=False,
        help="The library file (else $PAPERTRIAGE_DB, else library.sqlite3 in the "
        "user data directory).",
    ),
]

StatusFilterOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        help="Only papers with this reading status in the library "
        "(to-read, reading, read, skip; repeatable).",
    ),
]

StarredOpt = Annotated[bool, typer.Option("--starred", help="Only papers starred in the library.")]


class Env(NamedTuple):
    """What the process was started with, resolved once per command."""

    stdout_is_tty: bool
    stdin_is_tty: bool
    quiet: bool
    dirs: UserDirs
    environ: dict[str, str]

    @classmethod
    def detect(cls, *, quiet: bool) -> Env:
        environ = dict(os.environ)
        return cls(sys.stdout.isatty(), sys.stdin.isatty(), quiet, user_dirs(environ), environ)


class Messages:
    """Counts, warnings and errors on stderr; colour only on a terminal and never with NO_COLOR."""

    def __init__(self, env: Env) -> None:
        self.quiet = env.quiet
        # rich only where colour can show; plain writes otherwise (and no import cost).
        self.console = None
        if not env.quiet and sys.stderr.isatty():
            from rich.console import Console

            self.console = Console(stderr=True, highlight=False, soft_wrap=True)

    def info(self, text: str) -> None:
        if self.quiet:
            return
        if self.console is None:
            sys.stderr.write(text + "\n")
        else:
            self.console.print(text, markup=False)

    def warning(self, text: str) -> None:
        if self.quiet:
            return
        if self.console is None:
            sys.stderr.write(f"warning: {text}\n")
        else:
            self.console.print(f"warning: {text}", style="yellow", markup=False)


# Command name -> its function, as `command` defined it; papertriage.cli registers with the app
# only those a run needs (Typer builds the parameters of every registered command).
DEFINED: dict[str, Callable[..., Any]] = {}


def command(name: str | None = None) -> Callable[[F], F]:
    """Define a function as a command of the app, called inside the one error boundary
    (`_run`): a command is a plain function that raises, and never handles, domain errors."""

    def define(function: F) -> F:
        @functools.wraps(function)  # Typer reads the options from the function's signature
        def bounded(*args: Any, **kwargs: Any) -> Any:
            return _run(functools.partial(function, *args, **kwargs))

        DEFINED[name or function.__name__.replace("_", "-")] = bounded
        return bounded  # type: ignore[return-value]

    return define


def _run(body: Callable[[], T]) -> T:
    """Call a command body; turn domain errors into `Error: ...` on stderr and an exit code.

    A failed write on stdout (a full disk, an I/O error) is such an error, wherever it happens:
    rich and plain writes alike go through `_GuardedStdout`, and what is still buffered is
    flushed here rather than at exit. SIGTERM ends the command as Ctrl-C does (workers
    stopped, the library's transaction rolled back, partial output files removed)."""
    with _guarded_stdout(), _sigterm_interrupts():
        try:
            return _then_flush(body)
        except PapertriageError as error:
            if isinstance(error, _StdoutError):
                _silence_stdout()
            sys.stderr.write(f"Error: {error}\n")
            raise typer.Exit(int(error.exit_code)) from None
        except BrokenPipeError:
            _quiet_broken_pipe()
        except Terminated:
            sys.stderr.write("Terminated.\n")
            raise typer.Exit(int(ExitCode.TERMINATED)) from None
        except KeyboardInterrupt:
            sys.stderr.write("Interrupted.\n")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None


def _then_flush(body: Callable[[], T]) -> T:
    try:
        result = body()
    except typer.Exit:  # an early end (nothing matched, ...) keeps what was written
        sys.stdout.flush()
        raise
    sys.stdout.flush()
    return result


def _quiet_broken_pipe() -> NoReturn:
    # The reader went away (`| head`): not an error.
    _silence_stdout()
    raise typer.Exit(int(ExitCode.OK))


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush of what is still buffered
    neither fails again nor reports "Exception ignored" (and exit 120) at shutdown."""
    try:
        fileno = sys.stdout.fileno()
    except (OSError, ValueError):  # not a real file (a test's capture): nothing to flush at exit
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


def _stand_in_for_closed_streams() -> None:
    """Python gives None for a standard stream closed when the process started (`>&-`, `<&-`,
    `2>&-`). stdin then reads as empty and stderr writes nowhere; stdout is a stream whose
    writes fail, so that a command with nothing to print (`add -q`) still works and one with
    data ends with the usual `Error:` line and exit status 3."""
    if sys.stdin is None:
        sys.stdin = open(os.devnull, encoding="utf-8")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")
    if sys.stdout is None:
        sys.stdout = _ClosedStdout()


class _ClosedStdout(io.TextIOBase):
    """stdout when the process started without one: every write fails as writing to a closed
    file descriptor does."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "stdout is closed")

    def isatty(self) -> bool:
        return False


class _StdoutError(OutputError):
    """Writing to stdout failed (a closed pipe is not this, see _quiet_broken_pipe)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(f"stdout: cannot write: {error.strerror or error}")


class _GuardedStdout:
    """sys.stdout while a command runs: the same stream, with a failed write or flush raised as
    `_StdoutError` (BrokenPipeError stays as it is)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise _StdoutError(error) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise _StdoutError(error) from None

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, ...
        return getattr(self.stream, name)


@contextlib.contextmanager
def _guarded_stdout() -> Iterator[None]:
    stream = sys.stdout
    if isinstance(stream, _GuardedStdout):  # a command run inside another's _run
        yield
        return
    sys.stdout = _GuardedStdout(stream)
    try:
        yield
    finally:
        sys.stdout = stream


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises Terminated (a KeyboardInterrupt) while the block runs. Only in the main
    thread (where Python runs signal handlers) and only if SIGTERM has its default action: an
    ignored SIGTERM (nohup-like launchers) stays ignored."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
        raise Terminated

    signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def resolve_format(
    fmt: OutputFormat, *, json_flag: bool, output: str | None, env: Env, force: bool = False
) -> str:
    """The format to write, from the options, the output file's suffix and the terminal; an
    output file that exists (without `force`) is refused here, before any work is done."""
    resolved = _format_for(fmt, json_flag=json_flag, output=output, env=env)
    check_output_early(output, force)
    return resolved


def _format_for(fmt: OutputFormat, *, json_flag: bool, output: str | None, env: Env) -> str:
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
        return {".json": "json", ".csv": "csv", ".md": "md"}.get(suffix, "jsonl")
    return "table" if env.stdout_is_tty else "jsonl"


PROGRESS_MIN = 2000  # fewer papers than this go by too fast for a progress bar


@contextlib.contextmanager
def progress_bar(env: Env, total: int | None, label: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for long jobs, when stderr is a terminal; otherwise nothing.
    With `total` None (not known in advance) it counts papers instead, from PROGRESS_MIN."""
    if env.quiet or (total is not None and total < PROGRESS_MIN) or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, TextColumn, TimeElapsedColumn

    columns = () if total is not None else (
        TextColumn("{task.description}: {task.completed:,} papers"),
        TimeElapsedColumn(),
    )  # fmt: skip
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total, visible=total is not None)

        def advance(done: int) -> None:
            bar.update(task, completed=done, visible=total is not None or done >= PROGRESS_MIN)

        yield advance


def emit_records(
    records: list[Record], fmt: str, output: str | None, force: bool, env: Env
) -> None:
    """Write records to stdout or to a file, in the resolved format."""
    from papertriage.output import render

    if fmt == "table":
        show(render.records_table(records))
        return
    chunks: Iterable[str] = {
        "json": render.json_chunks,
        "jsonl": render.jsonl_lines,
        "csv": render.csv_lines,
        "md": render.markdown_lines,
    }[fmt](records)
    write_or_save(chunks, output, force)


def _write_stdout(chunks: Iterable[str]) -> None:
    write = sys.stdout.write  # the guard `_run` set: a failed write is a _StdoutError there
    for chunk in chunks:
        write(chunk)
    sys.stdout.flush()


def check_output_early(output: str | None, force: bool) -> None:
    if output:
        from papertriage.output.files import check_writable

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


def load_topics(topics: str | None, env: Env) -> Taxonomy:
    from papertriage.topics.taxonomy import resolve_taxonomy

    return resolve_taxonomy(topics, env.environ, env.dirs.config, env.dirs.cache)


def show(renderable: RenderableType, *, wrap: bool = True) -> None:
    """A human view on stdout: colours on a terminal only (rich also honours NO_COLOR).

    With wrap=False, long lines stay whole when piped (tables always fit the width)."""
    from rich.console import Console

    Console(highlight=False, soft_wrap=not wrap and not sys.stdout.isatty()).print(renderable)


def write_or_save(chunks: Iterable[str], output: str | None, force: bool) -> None:
    if output:
        from papertriage.output.files import write_atomically

        write_atomically(output, chunks, force=force)
    else:
        _write_stdout(chunks)


def emit_objects(
    objects: list[dict[str, object]],
    fmt: str,
    output: str | None,
    force: bool,
    *,
    single: bool = False,
) -> None:
    """Plain dictionaries (not records) as JSON, JSON Lines or CSV."""
    from papertriage.output import render

    write_or_save(render.object_chunks(objects, fmt, single=single), output, force)


def check_tags(taxonomy: Taxonomy, tags: Iterable[str]) -> None:
    for tag in tags:
        taxonomy.get(tag)  # raises with the valid ids and the closest one


def main() -> None:
    """The entry point. `--help` and `--version` write outside every command's `_run`: their
    output is flushed here, through the same stdout guard as every command, so that a failed
    write there is the same one `Error:` line (and any other OSError stays a bug, not masked).
    The app runs outside Typer's standalone mode, so that a mistake on the command line comes
    here too and is one line, as every other bad input is."""
    _stand_in_for_closed_streams()
    with _guarded_stdout():
        try:
            try:
                code = app(standalone_mode=False)
            finally:
                sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
            raise SystemExit(int(ExitCode.OK)) from None
        except _StdoutError as error:
            _silence_stdout()
            sys.stderr.write(f"Error: {error}\n")
            raise SystemExit(int(ExitCode.OUTPUT)) from None
        except typer.Abort:  # end of input where the parser asked for more
            sys.stderr.write("Aborted.\n")
            raise SystemExit(1) from None
        except Exception as error:
            if not _is_usage_error(error):
                raise
            raise SystemExit(_report_usage_error(error)) from None
    raise SystemExit(code if isinstance(code, int) else int(ExitCode.OK))


def _is_usage_error(error: Exception) -> bool:
    """A mistake on the command line, as Typer's parser raises it (a ClickException: it has an
    exit code and a message to format)."""
    return isinstance(getattr(error, "exit_code", None), int) and hasattr(error, "format_message")


def _report_usage_error(error: Any) -> int:
    """One line on stderr for a mistake on the command line, as for every other bad input (not
    the parser's usage block, hint and blank line): `Error: No such option: --bogus (see
    'papertriage parse --help')`. A command given without its arguments still shows its help."""
    if type(error).__name__ == "NoArgsIsHelpError":
        error.show()
        return int(error.exit_code)
    message = str(error.format_message()).replace("Value error, ", "").rstrip(".")
    context = getattr(error, "ctx", None)
    where = f" (see '{context.command_path} --help')" if context is not None else ""
    sys.stderr.write(f"Error: {message}{where}\n")
    return int(error.exit_code)
