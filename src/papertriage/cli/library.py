"""Commands on the local library: add, mark, note, show, new, backup, retag, export."""

from __future__ import annotations

import os
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from papertriage.cli.app import (
    DbOpt,
    Env,
    FilesArg,
    ForceOpt,
    FormatOpt,
    FromOpt,
    InputFormat,
    JsonOpt,
    Messages,
    NotTagOpt,
    OutputFormat,
    OutputOpt,
    QuietOpt,
    ReplacedOpt,
    TagOpt,
    TopicsOpt,
    _check_output_early,
    _check_tags,
    _progress,
    _run,
    _write_or_save,
    app,
    emit_objects,
    emit_records,
    load_topics,
    resolve_format,
    show,
)
from papertriage.cli.sources import (
    by_state,
    exported_states,
    library_search_index,
    open_library,
    piped_input,
    read_inputs,
    report_parse,
    retag_library,
    selected_records,
    with_tags,
)
from papertriage.errors import ExitCode, UsageError
from papertriage.listings.readoptions import ReadOptions

if TYPE_CHECKING:
    from papertriage.library.store import AddResult
    from papertriage.models import Record
    from papertriage.topics.tagger import TagJob
    from papertriage.topics.taxonomy import Taxonomy


@app.command()
def add(
    files: FilesArg = None,
    input_format: FromOpt = InputFormat.auto,
    include_replaced: ReplacedOpt = False,
    topics: TopicsOpt = None,
    status: Annotated[
        Status | None,
        typer.Option(
            "--status",
            "-s",
            show_default=False,
            help="Give every paper of these listings this reading status (e.g. read, for an "
            "export of the papers you have read: `rank --learned` then learns from them).",
        ),
    ] = None,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Add listings to your library: parsed, tagged, merged.

    Adding the same listing again changes nothing; a paper seen in several listings is kept once.
    --status sets the reading status of every paper added, in the same transaction.

    Example: papertriage add examples/hf-papers-listing.txt
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        messages = Messages(env)
        if not files and env.stdin_is_tty:
            raise UsageError("add needs a listing", hint="e.g. papertriage add listing.txt")
        library = open_library(env, db)
        taxonomy = load_topics(topics, env)
        stored = library.taxonomy_hash()  # type: ignore[attr-defined]
        if stored is not None and stored != taxonomy.content_hash():
            retag_library(library, library.records(), taxonomy, messages, env)  # type: ignore[attr-defined]
        options = ReadOptions(format=input_format.value, include_replaced=include_replaced)
        result = _add_listings(library, files or ["-"], options, taxonomy, env, messages, status)
        states = exported_states(files or [])
        if states:  # an export of a library: bring its reading state along
            library.restore_state(  # type: ignore[attr-defined]
                {
                    result.stored_ids[i]: (None, *state[1:]) if status else state
                    for i, state in states.items()
                    if i in result.stored_ids
                }  # the status asked for wins over the exported one; stars and notes still come
            )
        messages.info(
            f"{library.path}: {result.new} new, {result.updated} updated, "  # type: ignore[attr-defined]
            f"{result.unchanged} unchanged"
        )

    _run(body)


def _add_listings(
    library: object,
    paths: list[str],
    options: ReadOptions,
    taxonomy: Taxonomy,
    env: Env,
    messages: Messages,
    status: Status | None = None,
) -> AddResult:
    """Parse, tag and store listings a batch at a time, in one transaction (which also gives
    the papers `status`, if any): memory stays flat however large the listing, and a failure
    anywhere leaves the library as it was."""
    from papertriage.listings import cache
    from papertriage.listings.inputs import check_file, read_listing
    from papertriage.topics.tagger import Tagger

    for path in paths:  # a missing or unreadable file is reported before the library is opened
        if path != "-":
            check_file(path)

    tagger = Tagger(taxonomy)
    settings = f"{options.format}:{options.include_replaced}"
    said: list[object] = []  # messages and parse reports, given once the progress bar is gone
    with (
        _progress(env, None, "adding to the library") as advance,
        library.adding(  # type: ignore[attr-defined]
            taxonomy_hash=taxonomy.content_hash(),
            progress=advance,
            status=status.value if status else None,
        ) as adding,
    ):
        for path in paths:
            if path != "-" and os.path.isfile(path):  # tagged before by another command
                entry = cache.entry_path(env.dirs.cache, path, taxonomy.content_hash(), settings)
                cached = cache.load(entry)
                if cached is not None:
                    said.append(f"{path}: {len(cached)} records (tagged before; cached)")
                    adding.add(cached)
                    continue
            pipeline = _TagThenStore(tagger, adding)
            try:
                report = read_listing(path, options, sink=pipeline.feed)
                pipeline.flush()
            finally:
                pipeline.close()
            said.append(report)
    for item in said:  # after the progress bar is gone, not through it
        if isinstance(item, str):
            messages.info(item)
        else:
            report_parse(item, messages)
    return adding.result()  # type: ignore[no-any-return]


class _TagThenStore:
    """Batches tagged by worker processes while the batch before is stored: the two steps
    overlap, so a large listing is added in about the time tagging alone takes."""

    def __init__(self, tagger: object, adding: object) -> None:
        self.tagger, self.adding = tagger, adding
        self.pending: TagJob | None = None

    def feed(self, batch: list[Record]) -> None:
        # Papers the library holds as they are (a listing added again) are stored untagged:
        # tagging them would change nothing.
        known = set(self.adding.unchanged_places(batch))  # type: ignore[attr-defined]
        if known:
            unchanged = [record for place, record in enumerate(batch) if place in known]
            batch = [record for place, record in enumerate(batch) if place not in known]
        started = self.tagger.start(batch)  # type: ignore[attr-defined]
        try:
            self.flush()
            if known:
                self.adding.add(unchanged)  # type: ignore[attr-defined]
        except BaseException:
            started.close()
            raise
        self.pending = started

    def flush(self) -> None:
        if self.pending is not None:
            job, self.pending = self.pending, None
            self.adding.add(*job.result())  # type: ignore[attr-defined]

    def close(self) -> None:
        if self.pending is not None:
            self.pending.close()


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
    """Set the reading status of papers, or star them.

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
    """Show one library paper in full.

    The record, its tags with their evidence, its status, notes and sources.

    Example: papertriage show 3ffe60e3
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        library = open_library(env, db)
        entry = library.entry(library.resolve(paper))  # type: ignore[attr-defined]
        resolved = resolve_format(fmt, json_flag=json_flag, output=None, env=env)
        if resolved == "table":
            from papertriage.cli.terminal import entry_view

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
    """List the papers of a listing not yet in your library.

    Example: papertriage new examples/hf-papers-listing.txt
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        messages = Messages(env)
        resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env, force=force)
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
    """Copy your library consistently, even while in use.

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
    """Re-tag every paper of the library with the current taxonomy.

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
        retag_library(library, records, load_topics(topics, env), messages, env)

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
    """Write a reading list, a bibliography or data.

    A Markdown reading list grouped by topic, BibTeX, CSV, JSON or JSON Lines.

    Reads the library when no file is given; filters as `search` and `filter` do.

    Example: papertriage export --format md --group-by tag -o reading-list.md
    """
    env = Env.detect(quiet=quiet)

    def body() -> None:
        from datetime import date

        from papertriage.output import export as exporting

        messages = Messages(env)
        _check_output_early(output, force)
        taxonomy = load_topics(topics, env)
        _check_tags(taxonomy, [*(tag or ()), *(not_tag or ())])
        statuses = [s.value for s in status or ()]
        if query:  # searched among every paper first, as `search` would, then filtered
            from papertriage.search.index import SearchIndex

            use_library, piped = piped_input(files, env)
            if use_library:
                index, _ = library_search_index(env, db, taxonomy, messages, (), False)
            else:
                listed = read_inputs(
                    files, input_format, False, env, messages, taxonomy, piped=piped
                )
                index = SearchIndex.build(listed, taxonomy)
            hits = index.search(query, limit=None)  # type: ignore[attr-defined]
            records = with_tags([hit.record for hit in hits], tag, not_tag)
            records = by_state(records, statuses, starred, env, db)
        else:
            records, _ = selected_records(
                files, input_format, env, messages, taxonomy, db, tag, not_tag, statuses, starred
            )
        states = open_library(env, db).states()  # type: ignore[attr-defined]
        items = [
            exporting.Item(record, *states.get(record.id, (None, False, ()))) for record in records
        ]
        if fmt is ExportFormat.md:
            chunks: Iterable[str] = exporting.markdown_reading_list(
                items, group_by=group_by.value, title=title, date=date.today().isoformat()
            )
        elif fmt is ExportFormat.bibtex:
            chunks = exporting.bibtex_entries(items)
        elif fmt is ExportFormat.csv:
            from papertriage.output.render import csv_lines

            chunks = csv_lines([item.record for item in items])
        else:
            from papertriage.output.render import object_chunks

            chunks = object_chunks([item.to_dict() for item in items], fmt.value)
        _write_or_save(chunks, output, force)
        messages.info(f"{len(items)} papers exported")  # only once they are
        if not items:
            raise typer.Exit(int(ExitCode.NO_RESULTS))

    _run(body)
