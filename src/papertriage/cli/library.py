"""Commands on the local library: add, mark, note, show, new, backup, retag, export."""

from __future__ import annotations

import os
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from papertriage.cli.shell import (
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
    check_output_early,
    check_tags,
    command,
    emit_objects,
    emit_records,
    load_topics,
    progress_bar,
    resolve_format,
    show,
    write_or_save,
)
from papertriage.cli.sources import (
    by_state,
    library_search_index,
    library_to_add_to,
    open_library,
    piped_input,
    read_inputs,
    report_added,
    report_parse,
    retag_library,
    selected_records,
    with_tags,
)
from papertriage.errors import ExitCode, UsageError
from papertriage.listings.readoptions import ReadOptions

if TYPE_CHECKING:
    from papertriage.library.ingest import Added
    from papertriage.library.store import Library
    from papertriage.models import Record
    from papertriage.output.export import Item
    from papertriage.topics.taxonomy import Taxonomy


class Status(StrEnum):
    to_read = "to-read"
    reading = "reading"
    read = "read"
    skip = "skip"


@command()
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
            help="Give the papers of these listings this reading status (e.g. read, for an "
            "export of the papers you have read: `rank --learned` then learns from them); "
            "a paper with a status of its own keeps it.",
        ),
    ] = None,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Add listings to your library: parsed, tagged, merged.

    Adding the same listing again changes nothing; a paper seen in several listings is kept once.
    --status sets the reading status of the papers added that have none, in the same
    transaction; one you gave a status before keeps it.

    Example: papertriage add examples/hf-papers-listing.txt
    """
    from papertriage.library.ingest import restore_exported_states

    env = Env.detect(quiet=quiet)
    messages = Messages(env)
    if not files and env.stdin_is_tty:
        raise UsageError("add needs a listing", hint="e.g. papertriage add listing.txt")
    taxonomy = load_topics(topics, env)
    library = library_to_add_to(env, db, taxonomy, messages)
    options = ReadOptions(format=input_format.value, include_replaced=include_replaced)
    added = _add_listings(library, files or ["-"], options, taxonomy, env, messages, status)
    # An export of a library brings its reading state along: the status asked for wins over
    # the exported one; stars and notes still come.
    restore_exported_states(library, files or [], added.result, keep_status=not status)
    report_added(library, added.result, messages)


def _add_listings(
    library: Library,
    paths: list[str],
    options: ReadOptions,
    taxonomy: Taxonomy,
    env: Env,
    messages: Messages,
    status: Status | None,
) -> Added:
    """The listings added (papertriage.library.ingest) under a progress bar; what each
    listing gave is said once the bar is gone, not through it."""
    from papertriage.library import ingest

    ingest.check_listings(paths)  # a missing or unreadable file, before any work
    with progress_bar(env, None, "adding to the library") as advance:
        added = ingest.add_listings(
            library,
            paths,
            options,
            taxonomy,
            env.dirs.cache,
            status=status.value if status else None,
            progress=advance,
        )
    for report in added.reports:
        if isinstance(report, ingest.Cached):
            messages.info(f"{report.path}: {report.count} records (tagged before; cached)")
        else:
            report_parse(report, messages)
    return added


@command()
def mark(
    papers: Annotated[list[str], typer.Argument(help="Paper ids (or unique prefixes).")],
    status: Annotated[
        Status | None, typer.Option("--status", "-s", help="The reading status to set.")
    ] = None,
    star: Annotated[
        bool | None, typer.Option("--star/--unstar", help="Star or unstar.", show_default=False)
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="A topic that fits (kept over re-tagging); repeatable."),
    ] = None,
    untag: Annotated[
        list[str] | None,
        typer.Option("--untag", help="A topic that does not fit; repeatable."),
    ] = None,
    forget: Annotated[
        list[str] | None,
        typer.Option(
            "--forget",
            help="Take back your --tag or --untag of this topic: the tagger decides again "
            "(also for a topic your taxonomy no longer has); repeatable.",
        ),
    ] = None,
    topics: TopicsOpt = None,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Set the reading status of papers, star them, or correct their tags.

    Example: papertriage mark 3ffe60e3 --status to-read --star --tag moe --untag llm
    """
    env = Env.detect(quiet=quiet)
    messages = Messages(env)
    tag, untag, forget = tag or [], untag or [], forget or []
    if status is None and star is None and not tag and not untag and not forget:
        raise UsageError(
            "nothing to mark",
            hint="give --status STATUS, --star, --tag TOPIC, --untag TOPIC or --forget TOPIC",
        )
    for first, second, one, other in (
        (tag, untag, "--tag", "--untag"),
        (forget, tag, "--forget", "--tag"),
        (forget, untag, "--forget", "--untag"),
    ):
        if both := sorted(set(first) & set(second)):
            raise UsageError(
                f"{both[0]!r} is given to {one} and to {other}", hint="keep one of them"
            )
    if tag or untag:
        check_tags(load_topics(topics, env), [*tag, *untag])
    library = open_library(env, db)
    ids = [library.resolve(paper) for paper in papers]
    if forget:
        _check_forgettable(library, ids, forget)
    if status is not None or star is not None:
        library.mark(ids, status=status.value if status else None, starred=star)
    if tag or untag:
        library.correct(ids, tag=tag, untag=untag)
    if forget:
        _forget(library, ids, forget, topics, env, messages)
    messages.info(f"marked {len(ids)} paper(s)")


def _check_forgettable(library: Library, ids: list[str], forgotten: list[str]) -> None:
    """Refuse, before anything is written, a topic none of the papers has a correction of: a
    typo must not pass for done."""
    known = library.corrections(ids)
    corrected = {topic for fits in known.values() for topic in fits}
    for topic in forgotten:
        if topic not in corrected:
            from papertriage.topics.taxonomy import suggest

            papers = "this paper" if len(ids) == 1 else "these papers"
            raise UsageError(
                f"--forget: no correction of {topic!r} on {papers}",
                hint=suggest(topic, sorted(corrected))
                if corrected
                else "there is none to take back",
            )


def _forget(
    library: Library,
    ids: list[str],
    forgotten: list[str],
    topics: str | None,
    env: Env,
    messages: Messages,
) -> None:
    """Take back corrections, and tag those papers again so that the tagger decides them."""
    from papertriage.cli.sources import retag_if_changed, tag_with_progress

    taxonomy = load_topics(topics, env)
    retag_if_changed(library, taxonomy, messages, env)  # the library's papers keep one taxonomy
    taken = library.forget(ids, forgotten)
    records = [library.entry(paper_id).record for paper_id in ids]
    library.set_tags(tag_with_progress(records, taxonomy, env), taxonomy.content_hash())
    messages.info(f"took back {taken} correction(s); the tagger decides them again")


@command()
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
    library = open_library(env, db)
    library.note(library.resolve(paper), text)
    Messages(env).info("noted")


@command("show")
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
    library = open_library(env, db)
    entry = library.entry(library.resolve(paper))
    resolved = resolve_format(fmt, json_flag=json_flag, output=None, env=env)
    if resolved == "table":
        from papertriage.cli.terminal import entry_view

        show(entry_view(entry))
    elif resolved in ("md", "csv"):  # as export writes a paper (the columns README documents)
        from papertriage.output import export as exporting

        item = exporting.Item(
            entry.record, entry.status, entry.starred, tuple(text for _, text in entry.notes)
        )
        chunks = (
            exporting.markdown_entry(item) if resolved == "md" else exporting.item_csv_lines([item])
        )
        write_or_save(chunks, None, False)
    else:
        data = entry.record.to_dict()
        data.update(
            status=entry.status,
            starred=entry.starred,
            first_seen=entry.first_seen,
            notes=[{"created": c, "text": t} for c, t in entry.notes],
            sources=[{"source": s, "position": p, "added": a} for s, p, a in entry.sources],
            corrections=entry.corrections,
        )
        emit_objects([data], resolved, None, False, single=True)


@command()
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
    messages = Messages(env)
    resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env, force=force)
    taxonomy = load_topics(topics, env)
    records = read_inputs(files, input_format, False, env, messages, taxonomy)
    fresh = open_library(env, db).unknown(records)
    messages.info(f"{len(fresh)} of {len(records)} papers are new")
    emit_records(fresh, resolved, output, force, env)
    if not fresh:
        raise typer.Exit(int(ExitCode.NO_RESULTS))


@command()
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
    library = open_library(env, db)
    library.backup(path, force=force)
    Messages(env).info(f"backed up {library.path} to {path}")


@command()
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
    messages = Messages(env)
    library = open_library(env, db)
    records = library.records()
    if not records:
        raise UsageError("the library is empty", hint="add a listing first")
    retag_library(library, records, load_topics(topics, env), messages, env, asked=True)


class ExportFormat(StrEnum):
    auto = "auto"
    md = "md"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    bibtex = "bibtex"


class GroupBy(StrEnum):
    tag = "tag"
    status = "status"
    none = "none"


@command()
def export(
    files: FilesArg = None,
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="What to write; auto follows -o's name (.json, .jsonl, .csv, .bib; "
            "else md), md on stdout.",
        ),
    ] = ExportFormat.auto,
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

    A Markdown reading list grouped by topic, BibTeX, CSV, JSON or JSON Lines. Without
    --format, the format follows -o's name (.json, .jsonl, .csv, .bib; anything else, and
    stdout, is Markdown).

    Reads the library when no file is given; filters as `search` and `filter` do.

    Example: papertriage export --starred -o starred.bib
    """
    from datetime import date

    from papertriage.output import export as exporting

    env = Env.detect(quiet=quiet)
    messages = Messages(env)
    check_output_early(output, force)
    fmt = _export_format(fmt, output)
    taxonomy = load_topics(topics, env)
    check_tags(taxonomy, [*(tag or ()), *(not_tag or ())])
    statuses = [s.value for s in status or ()]
    if query:  # searched among every paper first, as `search` would, then filtered
        records = _searched(query, files, input_format, env, messages, taxonomy, db)
        records = by_state(with_tags(records, tag, not_tag), statuses, starred, env, db)
    else:
        records, _ = selected_records(
            files, input_format, env, messages, taxonomy, db, tag, not_tag, statuses, starred
        )
    from papertriage.library.reading import UNREAD

    states = open_library(env, db).states()
    items = [exporting.Item(record, *states.get(record.id, UNREAD)) for record in records]
    if fmt is ExportFormat.md:
        chunks: Iterable[str] = exporting.markdown_reading_list(
            items, group_by=group_by.value, title=title, date=date.today().isoformat()
        )
    else:
        chunks = _export_chunks(items, fmt)
    write_or_save(chunks, output, force)
    messages.info(f"{len(items)} papers exported")  # only once they are
    if not items:
        raise typer.Exit(int(ExitCode.NO_RESULTS))


# What the name of an export's file says it holds; any other name is a reading list.
_EXPORT_SUFFIXES = {
    ".json": ExportFormat.json,
    ".jsonl": ExportFormat.jsonl,
    ".csv": ExportFormat.csv,
    ".bib": ExportFormat.bibtex,
}


def _export_format(fmt: ExportFormat, output: str | None) -> ExportFormat:
    """The format given, else the one -o's suffix names, else Markdown (also on stdout)."""
    if fmt is not ExportFormat.auto:
        return fmt
    suffix = os.path.splitext(output or "")[1].lower()
    return _EXPORT_SUFFIXES.get(suffix, ExportFormat.md)


def _searched(
    query: str,
    files: list[str] | None,
    input_format: InputFormat,
    env: Env,
    messages: Messages,
    taxonomy: Taxonomy,
    db: str | None,
) -> list[Record]:
    """Every paper of the listings (or the library) that matches `query`, best first."""
    from papertriage.search.index import SearchIndex

    use_library, piped = piped_input(files, env)
    if use_library:
        index, _ = library_search_index(env, db, taxonomy, messages, (), False)
    else:
        listed = read_inputs(files, input_format, False, env, messages, taxonomy, piped=piped)
        index = SearchIndex.build(listed, taxonomy)
    return [hit.record for hit in index.search(query, limit=None)]


def _export_chunks(items: list[Item], fmt: ExportFormat) -> Iterable[str]:
    """BibTeX, CSV, JSON or JSON Lines of the papers exported."""
    from papertriage.output import export as exporting

    if fmt is ExportFormat.bibtex:
        return exporting.bibtex_entries(items)
    if fmt is ExportFormat.csv:
        return exporting.item_csv_lines(items)
    from papertriage.output.render import object_chunks

    return object_chunks([item.to_dict() for item in items], fmt.value)
