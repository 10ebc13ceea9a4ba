"""The shell of the command line: shared options, the environment, messages, the one error
boundary (`_run`), reading inputs and writing outputs. Commands live beside it, by group.

The cli package is the only writer to stdout. Data goes to stdout, messages to stderr.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from papertriage.dirs import UserDirs, user_dirs
from papertriage.errors import ExitCode, PapertriageError, UsageError
from papertriage.models import Record

if TYPE_CHECKING:
    from rich.console import RenderableType

    from papertriage.topics import Taxonomy


T = TypeVar("T")

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
    title = "title"


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

MAX_WARNINGS_SHOWN = 10


@dataclass(frozen=True)
class Env:
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
        return {".json": "json", ".csv": "csv", ".md": "md"}.get(suffix, "jsonl")
    return "table" if env.stdout_is_tty else "jsonl"


def read_inputs(
    files: list[str] | None,
    input_format: InputFormat,
    include_replaced: bool,
    env: Env,
    messages: Messages,
    taxonomy: Taxonomy | None = None,
    cache_entries: list[str] | None = None,
    db: str | None = None,
    library_ok: bool = False,
    write_cache: bool = True,
    piped: bytes | None = None,
) -> list[Record]:
    """Parse every input (and tag it, given a taxonomy), then merge records of the same paper.

    Each listing is tagged on its own, as a listing, and the result is cached, so a second
    command on the same file neither parses nor tags it again.
    """
    from papertriage.readoptions import ReadOptions

    stdin = piped
    if not files:
        if stdin is None:
            if env.stdin_is_tty and not library_ok:
                raise UsageError("no listing given", hint="name a file, or pipe one into stdin")
            use_library, stdin = piped_input(files, env)
        else:
            use_library = not stdin.strip()
        if use_library and library_ok:
            return _library_records(env, db, messages, taxonomy)
        files = ["-"]
    options = ReadOptions(format=input_format.value, include_replaced=include_replaced)
    records: list[Record] = []
    tagger = None
    for path in files:
        listing, tagger = _read_one(
            path, options, taxonomy, tagger, env, messages, cache_entries, stdin, write_cache
        )
        records.extend(listing)
    if len(files) == 1:
        return records  # merged within the listing already (and cached so)
    from papertriage.merge import merge_duplicates

    result = merge_duplicates(records)
    if result.merged:
        messages.info(f"merged {result.merged} duplicate record(s) of the same paper")
    return result.records


def piped_input(files: list[str] | None, env: Env) -> tuple[bool, bytes | None]:
    """For a command that can read the library: whether it should (no file named and nothing
    piped in), and what was piped in, read once here so read_inputs need not read it again."""
    if files:
        return False, None
    if env.stdin_is_tty:
        return True, None
    piped = sys.stdin.buffer.read()
    return not piped.strip(), piped


def check_statuses(statuses: Iterable[str]) -> None:
    from papertriage.store import STATUSES

    for status in statuses:
        if status not in STATUSES:
            raise UsageError(f"unknown status {status!r}", hint=f"one of {', '.join(STATUSES)}")


def open_library(env: Env, db: str | None) -> object:
    from papertriage.store import Library, default_library_path

    return Library(db or default_library_path(env.environ, env.dirs.data))


def _library_records(
    env: Env, db: str | None, messages: Messages, taxonomy: Taxonomy | None = None
) -> list[Record]:
    library = open_library(env, db)
    records = library.records()  # type: ignore[attr-defined]
    if not records:
        raise empty_library()
    if taxonomy is not None and library.taxonomy_hash() != taxonomy.content_hash():  # type: ignore[attr-defined]
        records = _retag(library, records, taxonomy, messages, env)
    messages.info(f"{library.path}: {len(records)} papers in the library")  # type: ignore[attr-defined]
    return records


def library_index(library: object, env: Env, messages: Messages) -> object:
    """The search index the library keeps (papertriage.libindex.LibraryPostings), built once
    first for a library made before papertriage kept one."""
    if not library.index_is_current():  # type: ignore[attr-defined]
        messages.info(f"{library.path}: indexing the library for search (once)")  # type: ignore[attr-defined]
        with _progress(env, library.count(), "indexing") as advance:  # type: ignore[attr-defined]
            library.reindex(advance)  # type: ignore[attr-defined]
    from papertriage.libindex import LibraryPostings

    return LibraryPostings(library)  # type: ignore[arg-type]


def searched_library(
    env: Env,
    db: str | None,
    taxonomy: Taxonomy,
    messages: Messages,
    statuses: Sequence[str],
    starred: bool,
) -> tuple[object, object]:
    """The library and its index (papertriage.libindex.LibraryPostings) restricted to the
    reading state asked for, its tags those of `taxonomy`. Reads no record unless the taxonomy
    changed since the library was tagged."""
    check_statuses(statuses)
    library = open_library(env, db)
    if library.is_empty():  # type: ignore[attr-defined]
        raise empty_library()
    if library.taxonomy_hash() != taxonomy.content_hash():  # type: ignore[attr-defined]
        _retag(library, library.records(), taxonomy, messages, env)  # type: ignore[attr-defined]
    postings = library_index(library, env, messages)
    messages.info(f"{library.path}: {postings.count} papers in the library")  # type: ignore[attr-defined]
    if statuses or starred:
        postings.restrict(library.docs_in_state(statuses, starred))  # type: ignore[attr-defined]
    return library, postings


def library_search_index(
    env: Env,
    db: str | None,
    taxonomy: Taxonomy,
    messages: Messages,
    statuses: Sequence[str],
    starred: bool,
) -> tuple[object, int]:
    """A SearchIndex over the library's own index (stored in it, nothing rebuilt), and how many
    papers it searches. Reads no record beyond those a search shows."""
    from papertriage.search import SearchIndex

    _, postings = searched_library(env, db, taxonomy, messages, statuses, starred)
    return SearchIndex.with_arrays([], postings, taxonomy), postings.count  # type: ignore[arg-type, attr-defined]


def library_selection(
    env: Env,
    db: str | None,
    taxonomy: Taxonomy,
    messages: Messages,
    tags: Sequence[str],
    not_tags: Sequence[str],
    statuses: Sequence[str],
    starred: bool,
) -> tuple[list[Record], int]:
    """The library's papers with every tag of `tags`, none of `not_tags` and the reading state
    asked for (in the order first seen), and how many have that state. The index's topic bits
    pick them, so only the papers selected are read."""
    library, postings = searched_library(env, db, taxonomy, messages, statuses, starred)
    docs = postings.select(tags, not_tags)  # type: ignore[attr-defined]
    return library.records_in_order(docs), postings.count  # type: ignore[attr-defined]


def selected_records(
    files: list[str] | None,
    input_format: InputFormat,
    env: Env,
    messages: Messages,
    taxonomy: Taxonomy,
    db: str | None,
    tags: Sequence[str] | None,
    not_tags: Sequence[str] | None,
    statuses: Sequence[str] | None,
    starred: bool,
) -> tuple[list[Record], int]:
    """The papers of the listings (or, without any, of the library) with the tags and reading
    state asked for, and how many there were to choose from."""
    use_library, piped = piped_input(files, env)
    if use_library:
        return library_selection(
            env, db, taxonomy, messages, tags or (), not_tags or (), statuses or (), starred
        )
    records = read_inputs(files, input_format, False, env, messages, taxonomy, piped=piped)
    records = _by_state(records, list(statuses or ()), starred, env, db)
    return _with_tags(records, list(tags or ()), list(not_tags or ())), len(records)


def empty_library() -> UsageError:
    return UsageError(
        "no listing given and the library is empty",
        hint="name a listing file, or add one with `papertriage add FILE`",
    )


def _with_tags(
    records: list[Record], tags: list[str] | None, not_tags: list[str] | None
) -> list[Record]:
    """Records that have every tag of `tags` and none of `not_tags`."""
    wanted, refused = set(tags or ()), set(not_tags or ())
    return [r for r in records if wanted.issubset(r.tags) and not refused.intersection(r.tags)]


def _by_state(
    records: list[Record], statuses: list[str] | None, starred: bool, env: Env, db: str | None
) -> list[Record]:
    """Records whose reading state in the library matches (all of them, without filters)."""
    if not statuses and not starred:
        return records
    check_statuses(statuses or ())
    states = open_library(env, db).states()  # type: ignore[attr-defined]
    kept = []
    for record in records:
        status, star, _ = states.get(record.id, (None, False, ()))
        if (not statuses or status in statuses) and (star or not starred):
            kept.append(record)
    return kept


def _exported_states(files: list[str]) -> dict[str, tuple[str | None, bool, list[str]]]:
    """Reading state carried by papertriage JSON Lines exports (status, starred, notes)."""
    import json

    states: dict[str, tuple[str | None, bool, list[str]]] = {}
    for path in files:
        if path == "-" or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            for line in handle:
                if not line.startswith("{"):
                    break  # not JSON Lines: a raw listing carries no state
                try:
                    data = json.loads(line)
                except json.JSONDecodeError:
                    break
                if (
                    isinstance(data, dict)
                    and "id" in data
                    and (data.get("status") or data.get("starred") or data.get("notes"))
                ):
                    notes = [n for n in data.get("notes") or [] if isinstance(n, str)]
                    states[str(data["id"])] = (data.get("status"), bool(data.get("starred")), notes)
    return states


PROGRESS_MIN = 2000  # fewer papers than this go by too fast for a progress bar


@contextlib.contextmanager
def _progress(env: Env, total: int | None, label: str) -> Iterator[Callable[[int], None] | None]:
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


def _retag(
    library: object, records: list[Record], taxonomy: Taxonomy, messages: Messages, env: Env
) -> list[Record]:
    """Tags of the whole library recomputed with `taxonomy`, stored, and returned."""
    from papertriage.tag import Tagger

    messages.info(f"re-tagging {len(records)} papers of the library with the current taxonomy")
    with _progress(env, len(records), "re-tagging") as advance:
        tagged = Tagger(taxonomy).tag(records, progress=advance)
    library.set_tags(tagged, taxonomy.content_hash())  # type: ignore[attr-defined]
    return tagged


def _read_one(
    path: str,
    options: object,
    taxonomy: Taxonomy | None,
    tagger: object,
    env: Env,
    messages: Messages,
    cache_entries: list[str] | None = None,
    stdin: bytes | None = None,
    write_cache: bool = True,
) -> tuple[list[Record], object]:
    from papertriage import cache

    entry = None
    if taxonomy is not None and path != "-" and os.path.isfile(path):
        settings = f"{options.format}:{options.include_replaced}"  # type: ignore[attr-defined]
        entry = cache.entry_path(env.dirs.cache, path, taxonomy.content_hash(), settings)
        if cache_entries is not None:
            cache_entries.append(entry.name)
        cached = cache.load(entry)
        if cached is not None:
            messages.info(f"{path}: {len(cached)} records (tagged before; cached)")
            return cached, tagger
    from papertriage.inputs import read_listing  # parsing code, only when the cache cannot serve

    report = read_listing(path, options, stdin=stdin)  # type: ignore[arg-type]
    _report_parse(report, messages)
    from papertriage.merge import merge_duplicates

    merged = merge_duplicates(report.records)
    if merged.merged:
        messages.info(f"{path}: merged {merged.merged} duplicate record(s) of the same paper")
    if taxonomy is None:
        return merged.records, tagger
    if tagger is None:
        from papertriage.tag import Tagger

        tagger = Tagger(taxonomy)
    with _progress(env, len(merged.records), "tagging") as advance:
        tagged = tagger.tag(merged.records, progress=advance)  # type: ignore[attr-defined]
    if write_cache and entry is not None and not cache.store(entry, tagged):
        messages.warning(f"could not write the cache in {env.dirs.cache}; continuing without")
    return tagged, tagger


def _report_parse(report: object, messages: Messages) -> None:
    from papertriage.parse import ParseReport

    assert isinstance(report, ParseReport)
    line = f"{report.source}: {report.count} records ({report.format})"
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
        "md": render.markdown_lines,
    }[fmt](records)
    _write_or_save(chunks, output, force)


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


def load_topics(topics: str | None, env: Env) -> Taxonomy:
    from papertriage.topics import resolve_taxonomy

    return resolve_taxonomy(topics, env.environ, env.dirs.config)


def show(renderable: RenderableType, *, wrap: bool = True) -> None:
    """A human view on stdout: colours on a terminal only (rich also honours NO_COLOR).

    With wrap=False, long lines stay whole when piped (tables always fit the width)."""
    from rich.console import Console

    Console(highlight=False, soft_wrap=not wrap and not sys.stdout.isatty()).print(renderable)


def _write_or_save(chunks: Iterable[str], output: str | None, force: bool) -> None:
    if output:
        from papertriage.outputs import write_atomically

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
    from papertriage import render

    _write_or_save(render.object_chunks(objects, fmt, single=single), output, force)


def _check_tags(taxonomy: Taxonomy, tags: Iterable[str]) -> None:
    for tag in tags:
        taxonomy.get(tag)  # raises with the valid ids and the closest one


def main() -> None:
    app()
