"""The command line: turns options into library calls and results into output.

The only module that writes to stdout. Data goes to stdout, messages to stderr; the one place
where domain errors become `Error: ...` lines and exit codes is `_run`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator
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
) -> list[Record]:
    """Parse every input (and tag it, given a taxonomy), then merge records of the same paper.

    Each listing is tagged on its own, as a listing, and the result is cached, so a second
    command on the same file neither parses nor tags it again.
    """
    from papertriage.readoptions import ReadOptions

    stdin = None
    if not files:
        # Nothing named: the library, when the command can use it and nothing is piped in.
        if env.stdin_is_tty and library_ok:
            return _library_records(env, db, messages, taxonomy, cache_entries)
        if env.stdin_is_tty:
            raise UsageError("no listing given", hint="name a file, or pipe one into stdin")
        stdin = sys.stdin.buffer.read()
        if not stdin.strip() and library_ok:
            return _library_records(env, db, messages, taxonomy, cache_entries)
        files = ["-"]
    options = ReadOptions(format=input_format.value, include_replaced=include_replaced)
    records: list[Record] = []
    tagger = None
    for path in files:
        listing, tagger = _read_one(
            path, options, taxonomy, tagger, env, messages, cache_entries, stdin
        )
        records.extend(listing)
    if len(files) == 1:
        return records  # merged within the listing already (and cached so)
    from papertriage.merge import merge_duplicates

    result = merge_duplicates(records)
    if result.merged:
        messages.info(f"merged {result.merged} duplicate record(s) of the same paper")
    return result.records


def open_library(env: Env, db: str | None) -> object:
    from papertriage.store import Library, default_library_path

    return Library(db or default_library_path(env.environ, env.dirs.data))


def _library_records(
    env: Env,
    db: str | None,
    messages: Messages,
    taxonomy: Taxonomy | None = None,
    cache_entries: list[str] | None = None,
) -> list[Record]:
    library = open_library(env, db)
    records = library.records()  # type: ignore[attr-defined]
    if not records:
        raise UsageError(
            "no listing given and the library is empty",
            hint="name a listing file, or add one with `papertriage add FILE`",
        )
    if taxonomy is not None and library.taxonomy_hash() != taxonomy.content_hash():  # type: ignore[attr-defined]
        records = _retag(library, records, taxonomy, messages)
    if cache_entries is not None and taxonomy is not None:
        # Names the library's content for the search index cache: it changes with every write.
        from papertriage.cache import code_fingerprint

        cache_entries.append(
            f"library:{library.path.resolve()}:{library.version()}:"  # type: ignore[attr-defined]
            f"{taxonomy.content_hash()}:{code_fingerprint()}"
        )
    messages.info(f"{library.path}: {len(records)} papers in the library")  # type: ignore[attr-defined]
    return records


def _by_state(
    records: list[Record], statuses: list[str] | None, starred: bool, env: Env, db: str | None
) -> list[Record]:
    """Records whose reading state in the library matches (all of them, without filters)."""
    if not statuses and not starred:
        return records
    from papertriage.store import STATUSES

    for status in statuses or ():
        if status not in STATUSES:
            raise UsageError(f"unknown status {status!r}", hint=f"one of {', '.join(STATUSES)}")
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
def _progress(env: Env, total: int, label: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for long jobs, when stderr is a terminal; otherwise nothing."""
    if env.quiet or total < PROGRESS_MIN or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)


def _retag(
    library: object, records: list[Record], taxonomy: Taxonomy, messages: Messages
) -> list[Record]:
    """Tags of the whole library recomputed with `taxonomy`, stored, and returned."""
    from papertriage.tag import Tagger

    messages.info(f"re-tagging {len(records)} papers of the library with the current taxonomy")
    tagged = Tagger(taxonomy).tag(records)
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
    tagged = tagger.tag(merged.records)  # type: ignore[attr-defined]
    if entry is not None and not cache.store(entry, tagged):
        messages.warning(f"could not write the cache in {env.dirs.cache}; continuing without")
    return tagged, tagger


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


@app.command()
def tag(
    files: FilesArg = None,
    input_format: FromOpt = InputFormat.auto,
    include_replaced: ReplacedOpt = False,
    topics: TopicsOpt = None,
    explain: ExplainOpt = False,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Tag papers with topics; every tag carries its score and evidence.

    Reads raw listings or papertriage JSON Lines, so it chains after `parse`.

    Example: papertriage tag examples/hf-papers-listing.txt --explain
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        messages = Messages(env)
        resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env)
        _check_output_early(output, force)
        taxonomy = load_topics(topics, env)
        tagged = read_inputs(files, input_format, include_replaced, env, messages, taxonomy)
        messages.info(
            f"tagged {sum(1 for r in tagged if r.tags)} of {len(tagged)} papers "
            f"with {len(taxonomy.topics)} topics"
        )
        if explain and fmt is OutputFormat.auto and not json_flag and not output:
            from rich.console import Group

            from papertriage.terminal import explanation

            show(Group(*(explanation(record) for record in tagged)), wrap=False)
        else:
            emit_records(tagged, resolved, output, force, env)

    _run(body)


@app.command("topics")
def topics_command(
    args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[check FILE | show ID | LISTING...]",
            show_default=False,
            help="Nothing: the taxonomy. 'check FILE': validate a topics file. "
            "'show ID': one topic in full. Listings: papers per topic.",
        ),
    ] = None,
    topics: TopicsOpt = None,
    input_format: FromOpt = InputFormat.auto,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Show the topic taxonomy, check a topics file, or count papers per topic.

    Example: papertriage topics examples/hf-papers-listing.txt
    """
    env = Env.detect(quiet=quiet)
    words = list(args or [])

    def body() -> None:
        messages = Messages(env)
        resolved = resolve_format(fmt, json_flag=json_flag, output=None, env=env)
        if words[:1] == ["check"]:
            _topics_check(words[1:], messages)
        elif words[:1] == ["show"]:
            if len(words) != 2:
                raise UsageError("'topics show' takes one topic id", hint="e.g. topics show moe")
            topic = load_topics(topics, env).get(words[1])
            if resolved == "table":
                from papertriage.terminal import topic_detail

                show(topic_detail(topic))
            else:
                emit_objects([_topic_dict(topic)], resolved, None, False, single=True)
        elif words:
            _topic_counts(words, topics, input_format, resolved, env, messages)
        else:
            taxonomy = load_topics(topics, env)
            if resolved == "table":
                from papertriage.terminal import topics_table

                show(topics_table(taxonomy))
            else:
                emit_objects([_topic_dict(t) for t in taxonomy.topics], resolved, None, False)

    _run(body)


def _topic_dict(topic: object) -> dict[str, object]:
    from dataclasses import asdict

    return asdict(topic)  # type: ignore[call-overload]


def _topics_check(paths: list[str], messages: Messages) -> None:
    from papertriage.topics import default_taxonomy, load_taxonomy

    if len(paths) != 1:
        raise UsageError("'topics check' takes one file", hint="e.g. topics check my-topics.yaml")
    taxonomy = load_taxonomy(paths[0])
    base = set(default_taxonomy().ids)
    ids = set(taxonomy.ids)
    sys.stdout.write(
        f"{paths[0]}: ok, {len(taxonomy.topics)} topics "
        f"({len(ids - base)} new, {len(base - ids)} dropped from the default)\n"
    )
    messages.info(f"taxonomy hash {taxonomy.content_hash()}")


def _topic_counts(
    files: list[str],
    topics: str | None,
    input_format: InputFormat,
    fmt: str,
    env: Env,
    messages: Messages,
) -> None:
    taxonomy = load_topics(topics, env)
    records = read_inputs(files, input_format, False, env, messages, taxonomy)
    counts = [
        (topic_id, sum(1 for r in records if topic_id in r.tags)) for topic_id in taxonomy.ids
    ]
    counts.sort(key=lambda item: (-item[1], item[0]))
    if fmt == "table":
        from papertriage.terminal import topic_counts_chart

        show(topic_counts_chart(counts, len(records)))
    else:
        emit_objects([{"topic": t, "papers": n} for t, n in counts], fmt, None, False)


@app.command("eval")
def eval_command(
    labels: Annotated[str, typer.Argument(help="YAML or JSON mapping title or id to topic ids.")],
    files: FilesArg = None,
    topics: TopicsOpt = None,
    input_format: FromOpt = InputFormat.auto,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Compare tags with hand labels: precision, recall and F1 per topic, and the papers behind them.

    Example: papertriage eval tests/data/hf-labels.yaml examples/hf-papers-listing.txt
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        from papertriage.evaluate import evaluate, load_labels

        messages = Messages(env)
        resolved = resolve_format(fmt, json_flag=json_flag, output=None, env=env)
        taxonomy = load_topics(topics, env)
        truth = load_labels(labels)
        records = read_inputs(files, input_format, False, env, messages, taxonomy)
        evaluation = evaluate(records, truth, taxonomy.ids)
        if evaluation.unmatched_labels:
            messages.warning(
                f"{len(evaluation.unmatched_labels)} labelled papers are not in the listing"
            )
        if resolved == "table":
            from papertriage.terminal import evaluation_table

            show(evaluation_table(evaluation))
        else:
            emit_objects(
                [evaluation.to_dict()],
                "json" if resolved != "jsonl" else "jsonl",
                None,
                False,
                single=True,
            )

    _run(body)


@app.command()
def search(
    query: Annotated[
        str,
        typer.Argument(
            help='Words, "quoted phrases", -word, title:word, tag:id, -tag:id.', show_default=False
        ),
    ],
    files: FilesArg = None,
    tag: TagOpt = None,
    not_tag: NotTagOpt = None,
    limit: LimitOpt = 10,
    min_score: Annotated[
        float, typer.Option("--min-score", min=0.0, help="Leave out results scoring lower.")
    ] = 0.0,
    sort: Annotated[
        SortOrder, typer.Option("--sort", help="Order of the results shown.")
    ] = SortOrder.relevance,
    explain: Annotated[
        bool, typer.Option("--explain", help="Break each score into its parts.")
    ] = False,
    topics: TopicsOpt = None,
    input_format: FromOpt = InputFormat.auto,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
    status: StatusFilterOpt = None,
    starred: StarredOpt = False,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Find the papers that match a query, best first; typos, acronyms and synonyms included.

    Exit status 0 when something matched, 1 when nothing did (like grep).

    Example: papertriage search "mixture of experts" examples/hf-papers-listing.txt
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        from papertriage.search import parse_query

        messages = Messages(env)
        parsed = parse_query(query)
        resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env)
        _check_output_early(output, force)
        taxonomy = load_topics(topics, env)
        entries: list[str] = []
        records = read_inputs(
            files, input_format, False, env, messages, taxonomy, entries, db=db, library_ok=True
        )
        records = _by_state(records, status, starred, env, db)
        cached = entries if not (status or starred) else []  # a cached index covers whole files
        index = _search_index(records, taxonomy, cached, env)
        hits = index.search(
            parsed, limit=limit, min_score=min_score, tags=tag or (), not_tags=not_tag or ()
        )
        if sort is SortOrder.position:
            hits.sort(key=lambda hit: (hit.record.source, hit.record.position))
        elif sort is SortOrder.title:
            hits.sort(key=lambda hit: (hit.record.title.casefold(), hit.record.id))
        messages.info(f"{len(hits)} of {len(records)} papers match")
        _show_hits(hits, resolved, output, force, explain)

    _run(body)


def _check_tags(taxonomy: Taxonomy, tags: Iterable[str]) -> None:
    for tag in tags:
        taxonomy.get(tag)  # raises with the valid ids and the closest one


def _show_hits(
    hits: list[object], resolved: str, output: str | None, force: bool, explain: bool
) -> None:
    if resolved == "table":
        from papertriage.terminal import hits_table

        show(hits_table(hits, explain=explain))
    elif resolved == "md":
        from papertriage import render

        _write_or_save(render.markdown_lines([h.record for h in hits], hits), output, force)
    else:
        from papertriage.render import hit_dicts

        emit_objects(hit_dicts(hits, explain=explain), resolved, output, force)
    if not hits:
        raise typer.Exit(int(ExitCode.NO_RESULTS))


@app.command("filter")
def filter_command(
    files: FilesArg = None,
    tag: TagOpt = None,
    not_tag: NotTagOpt = None,
    match: Annotated[
        str | None,
        typer.Option(
            "--match",
            "-m",
            show_default=False,
            help="Only papers whose title or abstract matches this regex (case-insensitive).",
        ),
    ] = None,
    topics: TopicsOpt = None,
    input_format: FromOpt = InputFormat.auto,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
    status: StatusFilterOpt = None,
    starred: StarredOpt = False,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Keep the papers with (or without) some tags, or matching a regular expression.

    Exit status 0 when something is left, 1 when nothing is.

    Example: papertriage filter examples/hf-papers-listing.txt --tag moe --not-tag llm
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        import re

        messages = Messages(env)
        resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env)
        _check_output_early(output, force)
        taxonomy = load_topics(topics, env)
        _check_tags(taxonomy, [*(tag or ()), *(not_tag or ())])
        try:
            pattern = re.compile(match, re.IGNORECASE) if match else None
        except re.error as error:
            raise UsageError(f"--match: invalid regex {match!r}: {error}") from None
        records = read_inputs(
            files, input_format, False, env, messages, taxonomy, db=db, library_ok=True
        )
        records = _by_state(records, status, starred, env, db)
        kept = [
            r
            for r in records
            if set(tag or ()).issubset(r.tags)
            and not set(not_tag or ()).intersection(r.tags)
            and (pattern is None or pattern.search(r.title) or pattern.search(r.abstract))
        ]
        messages.info(f"{len(kept)} of {len(records)} papers kept")
        emit_records(kept, resolved, output, force, env)
        if not kept:
            raise typer.Exit(int(ExitCode.NO_RESULTS))

    _run(body)


@app.command()
def rank(
    files: FilesArg = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            "-p",
            show_default=False,
            help="YAML with topic weights, favourite and unwanted phrases.",
        ),
    ] = None,
    like: Annotated[
        list[str] | None,
        typer.Option(
            "--like",
            show_default=False,
            help="Rank by similarity to this paper id (or unique prefix; repeatable).",
        ),
    ] = None,
    limit: LimitOpt = 10,
    explain: Annotated[bool, typer.Option("--explain", help="Show each score's parts.")] = False,
    topics: TopicsOpt = None,
    input_format: FromOpt = InputFormat.auto,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Rank papers by a reading profile or by similarity to papers you liked.

    A profile is YAML: `topics: {moe: 2, llm: -1}`, `favourite: [sparse]`, `unwanted: [survey]`.

    Example: papertriage rank examples/hf-papers-listing.txt --profile me.yaml
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        from papertriage import rank as ranking

        messages = Messages(env)
        if bool(profile) == bool(like):
            raise UsageError(
                "rank needs --profile FILE or --like ID (one of them)",
                hint="e.g. rank listing.txt --like 2303.08867",
            )
        resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env)
        _check_output_early(output, force)
        taxonomy = load_topics(topics, env)
        chosen = ranking.load_profile(profile, taxonomy.ids) if profile else None
        records = read_inputs(
            files, input_format, False, env, messages, taxonomy, db=db, library_ok=True
        )
        if chosen is not None:
            hits = ranking.rank_by_profile(records, chosen, limit=limit)
        else:
            liked = [ranking.find_record(records, wanted) for wanted in like or ()]
            hits = ranking.rank_like(records, liked, limit=limit)
        _show_hits(hits, resolved, output, force, explain)

    _run(body)


@app.command()
def similar(
    paper: Annotated[str, typer.Argument(help="Paper id (or a unique prefix of it).")],
    files: FilesArg = None,
    limit: LimitOpt = 10,
    topics: TopicsOpt = None,
    input_format: FromOpt = InputFormat.auto,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """List the papers nearest to one paper (TF-IDF cosine over title and abstract).

    Example: papertriage similar 3ffe60e3 examples/hf-papers-listing.txt
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        from papertriage import rank as ranking

        messages = Messages(env)
        resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env)
        _check_output_early(output, force)
        taxonomy = load_topics(topics, env)
        records = read_inputs(
            files, input_format, False, env, messages, taxonomy, db=db, library_ok=True
        )
        target = ranking.find_record(records, paper)
        messages.info(f"papers like: {target.title}")
        _show_hits(
            ranking.rank_like(records, [target], limit=limit), resolved, output, force, False
        )

    _run(body)


def _search_index(
    records: list[Record], taxonomy: Taxonomy, entries: list[str], env: Env
) -> object:
    """The search index; large ones are kept in the cache beside the tagged records, so a
    repeated search loads them instead of building them again."""
    from papertriage.search import ARRAY_INDEX_MIN, SearchIndex

    if len(records) < ARRAY_INDEX_MIN or not entries or len(entries) != len(set(entries)):
        return SearchIndex.build(records, taxonomy)
    import hashlib

    from papertriage.arrayindex import ArrayPostings

    name = hashlib.sha256("\n".join(entries).encode()).hexdigest()[:32] + ".index.npz"
    path = env.dirs.cache / "tagged" / name
    arrays = ArrayPostings.load(str(path), records)
    if arrays is None:
        arrays = ArrayPostings.build(records)
        with contextlib.suppress(OSError):  # no cache: the next search builds it again
            arrays.save(str(path))
    return SearchIndex.with_arrays(records, arrays, taxonomy)


@app.command()
def add(
    files: FilesArg = None,
    input_format: FromOpt = InputFormat.auto,
    include_replaced: ReplacedOpt = False,
    topics: TopicsOpt = None,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Add listings to your library: parsed, tagged and merged with what is already there.

    Adding the same listing again changes nothing; a paper seen in several listings is kept once.

    Example: papertriage add examples/hf-papers-listing.txt
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        messages = Messages(env)
        if not files and env.stdin_is_tty:
            raise UsageError("add needs a listing", hint="e.g. papertriage add listing.txt")
        library = open_library(env, db)
        taxonomy = load_topics(topics, env)
        records = read_inputs(files, input_format, include_replaced, env, messages, taxonomy)
        stored = library.taxonomy_hash()  # type: ignore[attr-defined]
        if stored is not None and stored != taxonomy.content_hash():
            _retag(library, library.records(), taxonomy, messages)  # type: ignore[attr-defined]
        with _progress(env, len(records), "adding to the library") as advance:
            result = library.add(  # type: ignore[attr-defined]
                records, taxonomy_hash=taxonomy.content_hash(), progress=advance
            )
        states = _exported_states(files or [])
        if states:  # an export of a library: bring its reading state along
            library.restore_state(  # type: ignore[attr-defined]
                {
                    result.stored_ids[i]: state
                    for i, state in states.items()
                    if i in result.stored_ids
                }
            )
        messages.info(
            f"{library.path}: {result.new} new, {result.updated} updated, "  # type: ignore[attr-defined]
            f"{result.unchanged} unchanged"
        )

    _run(body)


class Status(StrEnum):
    to_read = "to-read"
    reading = "reading"
    read = "read"
    skip = "skip"


@app.command()
def mark(
    papers: Annotated[list[str], typer.Argument(help="Paper ids (or unique prefixes).")],
    status: Annotated[
        Status | None, typer.Option("--status", "-s", help="The reading status to set.")
    ] = None,
    star: Annotated[
        bool | None, typer.Option("--star/--unstar", help="Star or unstar.", show_default=False)
    ] = None,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Set the reading status of papers in the library, or star them.

    Example: papertriage mark 3ffe60e3 --status to-read --star
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        messages = Messages(env)
        if status is None and star is None:
            raise UsageError("nothing to mark", hint="give --status STATUS and/or --star")
        library = open_library(env, db)
        ids = [library.resolve(paper) for paper in papers]  # type: ignore[attr-defined]
        library.mark(ids, status=status.value if status else None, starred=star)  # type: ignore[attr-defined]
        messages.info(f"marked {len(ids)} paper(s)")

    _run(body)


@app.command()
def note(
    paper: Annotated[str, typer.Argument(help="Paper id (or a unique prefix).")],
    text: Annotated[str, typer.Argument(help="The note.")],
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Attach a note to a paper in the library.

    Example: papertriage note 3ffe60e3 "compare with the MoE baseline"
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        library = open_library(env, db)
        library.note(library.resolve(paper), text)  # type: ignore[attr-defined]
        Messages(env).info("noted")

    _run(body)


@app.command("show")
def show_command(
    paper: Annotated[str, typer.Argument(help="Paper id (or a unique prefix).")],
    db: DbOpt = None,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Show one paper of the library in full: tags with evidence, status, notes, sources.

    Example: papertriage show 3ffe60e3
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        library = open_library(env, db)
        entry = library.entry(library.resolve(paper))  # type: ignore[attr-defined]
        resolved = resolve_format(fmt, json_flag=json_flag, output=None, env=env)
        if resolved == "table":
            from papertriage.terminal import entry_view

            show(entry_view(entry))
        else:
            data = entry.record.to_dict()
            data.update(
                status=entry.status,
                starred=entry.starred,
                first_seen=entry.first_seen,
                notes=[{"created": c, "text": t} for c, t in entry.notes],
                sources=[{"source": s, "position": p, "added": a} for s, p, a in entry.sources],
            )
            emit_objects([data], resolved, None, False, single=True)

    _run(body)


@app.command()
def new(
    files: FilesArg = None,
    input_format: FromOpt = InputFormat.auto,
    topics: TopicsOpt = None,
    db: DbOpt = None,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """List the papers of a listing that are not in your library yet (the daily view).

    Example: papertriage new examples/hf-papers-listing.txt
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        messages = Messages(env)
        resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env)
        _check_output_early(output, force)
        taxonomy = load_topics(topics, env)
        records = read_inputs(files, input_format, False, env, messages, taxonomy)
        fresh = open_library(env, db).unknown(records)  # type: ignore[attr-defined]
        messages.info(f"{len(fresh)} of {len(records)} papers are new")
        emit_records(fresh, resolved, output, force, env)
        if not fresh:
            raise typer.Exit(int(ExitCode.NO_RESULTS))

    _run(body)


@app.command()
def backup(
    path: Annotated[str, typer.Argument(help="Where to write the copy.")],
    force: ForceOpt = False,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write a consistent copy of your library, even while it is in use.

    Example: papertriage backup library-backup.sqlite3
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        library = open_library(env, db)
        library.backup(path, force=force)  # type: ignore[attr-defined]
        Messages(env).info(f"backed up {library.path} to {path}")  # type: ignore[attr-defined]

    _run(body)


@app.command()
def retag(
    topics: TopicsOpt = None,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Recompute the tags of every paper in the library with the current taxonomy.

    Commands that read the library do this by themselves when the taxonomy has changed.

    Example: papertriage retag --topics my-topics.yaml
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        messages = Messages(env)
        library = open_library(env, db)
        records = library.records()  # type: ignore[attr-defined]
        if not records:
            raise UsageError("the library is empty", hint="add a listing first")
        _retag(library, records, load_topics(topics, env), messages)

    _run(body)


class ExportFormat(StrEnum):
    md = "md"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    bibtex = "bibtex"


class GroupBy(StrEnum):
    tag = "tag"
    status = "status"
    none = "none"


@app.command()
def export(
    files: FilesArg = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="What to write.")] = (
        ExportFormat.md
    ),
    group_by: Annotated[
        GroupBy, typer.Option("--group-by", help="Sections of a Markdown reading list.")
    ] = GroupBy.tag,
    query: Annotated[
        str | None,
        typer.Option("--search", "-S", show_default=False, help="Only papers matching a query."),
    ] = None,
    tag: TagOpt = None,
    not_tag: NotTagOpt = None,
    status: Annotated[
        list[Status] | None,
        typer.Option("--status", help="Only papers with this status (repeatable)."),
    ] = None,
    starred: Annotated[bool, typer.Option("--starred", help="Only starred papers.")] = False,
    title: Annotated[str, typer.Option("--title", help="Heading of the reading list.")] = (
        "Reading list"
    ),
    topics: TopicsOpt = None,
    input_format: FromOpt = InputFormat.auto,
    output: OutputOpt = None,
    force: ForceOpt = False,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write a reading list (Markdown, grouped by topic), a bibliography or data.

    Reads the library when no file is given; filters as `search` and `filter` do.

    Example: papertriage export --format md --group-by tag -o reading-list.md
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        from datetime import date

        from papertriage import export as exporting

        messages = Messages(env)
        _check_output_early(output, force)
        taxonomy = load_topics(topics, env)
        _check_tags(taxonomy, [*(tag or ()), *(not_tag or ())])
        records = read_inputs(
            files, input_format, False, env, messages, taxonomy, db=db, library_ok=True
        )
        states = open_library(env, db).states() if not files else {}  # type: ignore[attr-defined]
        if query:
            from papertriage.search import SearchIndex

            hits = SearchIndex.build(records, taxonomy).search(query, limit=None)
            records = [hit.record for hit in hits]
        wanted_status = {s.value for s in status or ()}
        items = []
        for record in records:
            state, star, notes = states.get(record.id, (None, False, ()))
            if set(tag or ()) - set(record.tags) or set(not_tag or ()) & set(record.tags):
                continue
            if (wanted_status and state not in wanted_status) or (starred and not star):
                continue
            items.append(exporting.Item(record, state, star, notes))
        messages.info(f"{len(items)} papers exported")
        if fmt is ExportFormat.md:
            chunks: Iterable[str] = exporting.markdown_reading_list(
                items, group_by=group_by.value, title=title, date=date.today().isoformat()
            )
        elif fmt is ExportFormat.bibtex:
            chunks = exporting.bibtex_entries(items)
        elif fmt is ExportFormat.csv:
            from papertriage.render import csv_lines

            chunks = csv_lines([item.record for item in items])
        else:
            from papertriage.render import object_chunks

            chunks = object_chunks([item.to_dict() for item in items], fmt.value)
        _write_or_save(chunks, output, force)
        if not items:
            raise typer.Exit(int(ExitCode.NO_RESULTS))

    _run(body)


def main() -> None:
    app()
