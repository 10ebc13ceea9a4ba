"""Commands that find and order papers: search, filter, rank, similar."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    LimitOpt,
    Messages,
    NotTagOpt,
    OutputFormat,
    OutputOpt,
    QuietOpt,
    SortOrder,
    StarredOpt,
    StatusFilterOpt,
    TagOpt,
    TopicsOpt,
    check_tags,
    command,
    emit_objects,
    emit_records,
    load_topics,
    resolve_format,
    show,
    write_or_save,
)
from papertriage.cli.sources import (
    by_state,
    library_search_index,
    piped_input,
    read_inputs,
    selected_records,
)
from papertriage.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from papertriage.learn.model import Reasons
    from papertriage.search.index import Hit
    from papertriage.topics.reading import Tokens


@command()
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
    """Find the papers that best match a query.

    Typos, acronyms and synonyms included; the papers of the topic the query names rank higher.

    Exit status 0 when something matched, 1 when nothing did (like grep).

    Example: papertriage search "mixture of experts" examples/hf-papers-listing.txt
    """
    from papertriage.search.index import parse_query
    from papertriage.search.indexcache import cached_search_index

    env = Env.detect(quiet=quiet)
    messages = Messages(env)
    parsed = parse_query(query)
    resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env, force=force)
    taxonomy = load_topics(topics, env)
    use_library, piped = piped_input(files, env)
    if use_library:
        index, total = library_search_index(env, db, taxonomy, messages, status or [], starred)
    else:
        entries: list[str] = []
        scanned: list[Tokens] = []  # the tagger's tokens of a listing tagged now
        records = read_inputs(
            files,
            input_format,
            False,
            env,
            messages,
            taxonomy,
            entries,
            piped=piped,
            tokens=scanned,
        )
        whole = not (status or starred)  # whole files: the cached index is theirs
        records = by_state(records, status, starred, env, db)
        index = cached_search_index(
            records,
            taxonomy,
            entries if whole else [],
            env.dirs.cache,
            tokens=scanned[0] if scanned and whole else None,
        )
        total = len(records)
    hits, matched = index.ranked(
        parsed, limit=limit, min_score=min_score, tags=tag or (), not_tags=not_tag or ()
    )
    if sort is SortOrder.position:
        hits.sort(key=lambda hit: (hit.record.source, hit.record.position))
    elif sort is SortOrder.title:
        hits.sort(key=lambda hit: (hit.record.title.casefold(), hit.record.id))
    shown = f"; the best {len(hits)} shown (--limit)" if len(hits) < matched else ""
    messages.info(f"{matched} of {total} papers match{shown}")
    _show_hits(hits, resolved, output, force, explain)


def _show_hits(
    hits: Sequence[Hit],
    resolved: str,
    output: str | None,
    force: bool,
    explain: bool,
    reasons: Mapping[str, Reasons] | None = None,
) -> None:
    """Hits as a table or data; `reasons` (paper id -> learn.Reasons) explain learned ranks."""
    if resolved == "table":
        from papertriage.cli.terminal import hits_table

        show(hits_table(hits, explain=explain, reasons=reasons if explain else None))
    elif resolved == "md":
        from papertriage.output import render

        write_or_save(render.markdown_lines([h.record for h in hits], hits), output, force)
    elif resolved == "csv":  # the columns of records, as parse writes them, and the ranks
        from papertriage.output.render import hit_csv_lines

        placed = None
        if explain and reasons is not None:
            placed = {hit.record.id: reasons[hit.record.id].to_dict() for hit in hits}
        chunks = hit_csv_lines(hits, explain=explain, reasons=placed)
        write_or_save(chunks, output, force)
    else:
        from papertriage.output.render import hit_dicts

        rows = hit_dicts(hits, explain=explain)
        if explain and reasons is not None:
            for row in rows:
                row["reasons"] = reasons[row["id"]].to_dict()
        emit_objects(rows, resolved, output, force)
    if not hits:
        raise typer.Exit(int(ExitCode.NO_RESULTS))


@command("filter")
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
    author: Annotated[
        list[str] | None,
        typer.Option(
            "--author",
            "-a",
            show_default=False,
            help="Only papers by this author: 'Jonsson', 'H. Jónsson' (case, accents and "
            "initials aside; repeatable: any of them).",
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
    """Keep papers by tag, reading state, author or regular expression.

    Exit status 0 when something is left, 1 when nothing is.

    Example: papertriage filter examples/hf-papers-listing.txt --tag moe --not-tag llm
    """
    import re

    env = Env.detect(quiet=quiet)
    messages = Messages(env)
    resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env, force=force)
    taxonomy = load_topics(topics, env)
    check_tags(taxonomy, [*(tag or ()), *(not_tag or ())])
    try:
        pattern = re.compile(match, re.IGNORECASE) if match else None
    except re.error as error:
        raise UsageError(f"--match: invalid regex {match!r}: {error}") from None
    from papertriage.search.authors import by_any_of

    wanted = by_any_of(author or ())
    if author and not wanted.wanted:
        raise UsageError("--author: give a name with letters in it", hint="e.g. --author Hinton")
    records, total = selected_records(
        files, input_format, env, messages, taxonomy, db, tag, not_tag, status, starred
    )
    kept = [
        r
        for r in records
        if (pattern is None or pattern.search(r.title) or pattern.search(r.abstract))
        and (not author or wanted(r))
    ]
    messages.info(f"{len(kept)} of {total} papers kept")
    emit_records(kept, resolved, output, force, env)
    if not kept:
        raise typer.Exit(int(ExitCode.NO_RESULTS))


@command()
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
    learned: Annotated[
        bool,
        typer.Option(
            "--learned",
            help="Rank by a model learned from your library: starred or read papers against "
            "skipped ones. Without FILE, ranks the library's undecided papers.",
        ),
    ] = False,
    limit: LimitOpt = 10,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain", help="Show each score's parts (with --learned: the words behind it)."
        ),
    ] = False,
    topics: TopicsOpt = None,
    input_format: FromOpt = InputFormat.auto,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Rank papers by a profile, by papers you liked, or by what your library teaches.

    A profile is YAML: `topics: {moe: 2, llm: -1}`, `favourite: [sparse]`, `unwanted: [survey]`.
    --learned trains on your starred/read (liked) and skipped papers.

    Example: papertriage rank examples/hf-papers-listing.txt --profile me.yaml
    """
    from papertriage.search import rank as ranking

    env = Env.detect(quiet=quiet)
    messages = Messages(env)
    if bool(profile) + bool(like) + learned != 1:
        raise UsageError(
            "rank needs --profile FILE, --like ID or --learned (one of them)",
            hint="e.g. rank listing.txt --like 2303.08867",
        )
    resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env, force=force)
    taxonomy = load_topics(topics, env)
    chosen = ranking.load_profile(profile, taxonomy.ids) if profile else None
    records = read_inputs(
        files, input_format, False, env, messages, taxonomy, db=db, library_ok=True
    )
    if learned:
        from papertriage.cli.learning import learned_ranking

        ranked = learned_ranking(records, limit, explain, env, db, messages)
        _show_hits(ranked.hits, resolved, output, force, explain, ranked.reasons)
        return
    if chosen is not None:
        hits = ranking.rank_by_profile(records, chosen, limit=limit)
    else:
        liked = [ranking.find_record(records, wanted) for wanted in like or ()]
        hits = ranking.rank_like(records, liked, limit=limit)
    _show_hits(hits, resolved, output, force, explain)


@command()
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
    """List the papers nearest to one paper.

    Nearness is TF-IDF cosine similarity over title and abstract.

    Example: papertriage similar 3ffe60e3 examples/hf-papers-listing.txt
    """
    from papertriage.search import rank as ranking

    env = Env.detect(quiet=quiet)
    messages = Messages(env)
    resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env, force=force)
    taxonomy = load_topics(topics, env)
    records = read_inputs(
        files, input_format, False, env, messages, taxonomy, db=db, library_ok=True
    )
    target = ranking.find_record(records, paper)
    messages.info(f"papers like: {target.title}")
    _show_hits(ranking.rank_like(records, [target], limit=limit), resolved, output, force, False)
