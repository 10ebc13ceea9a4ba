"""The fetch command: today's papers from arXiv (its API or RSS) or Hugging Face, as records."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from papertriage.cli.shell import (
    DbOpt,
    Env,
    ForceOpt,
    FormatOpt,
    JsonOpt,
    Messages,
    OutputFormat,
    OutputOpt,
    QuietOpt,
    TopicsOpt,
    command,
    emit_records,
    load_topics,
    progress_bar,
    resolve_format,
)
from papertriage.cli.sources import open_library, report_parse, retag_library
from papertriage.errors import UsageError

if TYPE_CHECKING:
    from papertriage.fetch.sources import Endpoints
    from papertriage.models import Record


class Source(StrEnum):
    arxiv = "arxiv"
    arxiv_rss = "arxiv-rss"
    hf = "hf"


@command()
def fetch(
    source: Annotated[Source, typer.Argument(help="arxiv (the API), arxiv-rss or hf.")],
    categories: Annotated[
        list[str] | None,
        typer.Argument(help="arxiv-rss: the categories, e.g. cs.LG cs.CL.", show_default=False),
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="arxiv: a category; repeatable.")
    ] = None,
    query: Annotated[str | None, typer.Option("--query", help="arxiv: words to search.")] = None,
    paper_id: Annotated[
        list[str] | None, typer.Option("--id", help="arxiv: a paper id; repeatable.")
    ] = None,
    most: Annotated[int, typer.Option("--max", min=1, help="arxiv: papers at most.")] = 100,
    since: Annotated[
        str | None,
        typer.Option("--since", help="arxiv: papers submitted on or after this day, YYYY-MM-DD."),
    ] = None,
    date: Annotated[str | None, typer.Option("--date", help="hf: the day, YYYY-MM-DD.")] = None,
    week: Annotated[str | None, typer.Option("--week", help="hf: the week, YYYY-Www.")] = None,
    month: Annotated[str | None, typer.Option("--month", help="hf: the month, YYYY-MM.")] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds to wait for each answer.")
    ] = 30.0,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Ask the service even if the cache is fresh.")
    ] = False,
    add: Annotated[
        bool, typer.Option("--add", help="Store the papers in the library instead (all or none).")
    ] = False,
    topics: TopicsOpt = None,
    db: DbOpt = None,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Fetch papers from arXiv or Hugging Face, as `parse` gives them.

    Answers are cached for ten minutes (--refresh asks again); arXiv is asked at most once
    every 3 seconds. Exit status 4 when a service cannot be reached or answers with an error.

    Example: papertriage fetch arxiv-rss cs.LG --add
    """
    from papertriage.fetch import sources
    from papertriage.fetch.http import Client

    env = Env.detect(quiet=quiet)
    messages = Messages(env)
    resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env, force=force)
    endpoints = sources.Endpoints.from_environment(env.environ)
    urls = _urls(
        source,
        categories or [],
        category or [],
        query,
        paper_id or [],
        most,
        date,
        week,
        month,
        endpoints,
    )
    if since is not None and source is not Source.arxiv:
        raise UsageError("--since goes with the arxiv source", hint="e.g. fetch arxiv --since DATE")
    first_day = sources.check_date(since, "--since").isoformat() if since else None
    client = Client(env.dirs.cache, timeout=timeout, refresh=refresh, delays=endpoints.delays())
    format_name = {"arxiv": "arxiv-atom", "arxiv-rss": "arxiv-rss", "hf": "hf-api"}[source.value]
    records = []
    for url, size in urls:
        answer = client.get(url)
        report = sources.parsed(answer.body, format_name, url)  # the source, as a file's path
        report_parse(report, messages)
        kept = [r for r in report.records if first_day is None or (r.date or "") >= first_day]
        records.extend(kept)
        if size and (len(report.records) < size or len(kept) < len(report.records)):
            break  # the API has no more, or has reached papers older than --since
    from papertriage.listings.merge import merge_duplicates

    merged = merge_duplicates(records)
    if merged.merged:
        messages.info(f"merged {merged.merged} duplicate record(s) of the same paper")
    cached = "; answered from the cache" if client.requests == 0 else ""
    messages.info(f"{len(merged.records)} papers from {source.value}{cached}")
    if add:
        _add(merged.records, topics, db, env, messages)
    else:
        emit_records(merged.records, resolved, output, force, env)


def _add(
    records: list[Record], topics: str | None, db: str | None, env: Env, messages: Messages
) -> None:
    """The fetched papers tagged and stored in one transaction, as `add` stores a listing."""
    from papertriage.topics.tagger import Tagger

    library = open_library(env, db)
    taxonomy = load_topics(topics, env)
    stored = library.taxonomy_hash()
    if stored is not None and stored != taxonomy.content_hash():
        retag_library(library, library.records(), taxonomy, messages, env)
    with progress_bar(env, len(records), "tagging") as advance:
        tagged = Tagger(taxonomy).tag(records, progress=advance)
    result = library.add(tagged, taxonomy_hash=taxonomy.content_hash())
    messages.info(
        f"{library.path}: {result.new} new, {result.updated} updated, {result.unchanged} unchanged"
    )


def _urls(
    source: Source,
    categories: list[str],
    category: list[str],
    query: str | None,
    ids: list[str],
    most: int,
    date: str | None,
    week: str | None,
    month: str | None,
    endpoints: Endpoints,
) -> list[tuple[str, int]]:
    """The URLs to ask, each with the results it may hold (0: one answer, no paging); every
    check made before any request."""
    from papertriage.fetch import sources

    if source is Source.arxiv_rss:
        return [(sources.rss_url(endpoints, sources.check_categories(categories)), 0)]
    if categories:
        raise UsageError(
            f"{source.value} takes no categories as arguments",
            hint="arxiv: --category CAT; hf: --date, --week or --month",
        )
    if source is Source.hf:
        if sum(value is not None for value in (date, week, month)) > 1:
            raise UsageError("give one of --date, --week and --month")
        day = sources.check_date(date).isoformat() if date else None
        spans = (
            sources.check_week(week) if week else None,
            sources.check_month(month) if month else None,
        )
        return [(sources.hf_url(endpoints, day, *spans), 0)]
    if not (category or query or ids):
        raise UsageError("arxiv needs --category, --query or --id", hint="e.g. --category cs.LG")
    params = sources.api_query(
        sources.check_categories(category) if category else [], query, sources.check_ids(ids)
    )
    return list(sources.api_pages(endpoints, params, most))
