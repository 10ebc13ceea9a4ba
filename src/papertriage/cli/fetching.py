"""The fetch command: today's papers from arXiv (its API or RSS) or Hugging Face, as records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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
from papertriage.cli.sources import (
    library_to_add_to,
    open_library,
    report_added,
    report_parse,
    tag_with_progress,
)
from papertriage.errors import UsageError
from papertriage.models import paper_key

if TYPE_CHECKING:
    from papertriage.fetch.http import Client
    from papertriage.fetch.sources import Endpoints
    from papertriage.fetch.verdict import Verdict
    from papertriage.library.store import Library
    from papertriage.models import Record


class Source(StrEnum):
    arxiv = "arxiv"
    arxiv_rss = "arxiv-rss"
    hf = "hf"


_SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="arxiv: papers submitted on or after this day (YYYY-MM-DD); any source: 'last',"
        " what is newer than the last fetch --add stored.",
    ),
]
_TimeoutOpt = Annotated[
    float, typer.Option("--timeout", min=0.1, help="Seconds to wait for each answer.")
]
_RefreshOpt = Annotated[
    bool, typer.Option("--refresh", help="Ask the service even if the cache is fresh.")
]


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
    since: _SinceOpt = None,
    date: Annotated[str | None, typer.Option("--date", help="hf: the day, YYYY-MM-DD.")] = None,
    week: Annotated[str | None, typer.Option("--week", help="hf: the week, YYYY-Www.")] = None,
    month: Annotated[str | None, typer.Option("--month", help="hf: the month, YYYY-MM.")] = None,
    timeout: _TimeoutOpt = 30.0,
    refresh: _RefreshOpt = False,
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
    every 3 seconds. Exit status: 0 fresh, 1 quiet (no papers), 5 stale, 6 incomplete, 4 when
    a service cannot be reached or answers with an error.

    Example: papertriage fetch arxiv-rss cs.LG --add
    """
    from papertriage.fetch import sources
    from papertriage.fetch import verdict as verdicts
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
    first_day, seen = _since(since, source, urls[0][0], db, env, messages)
    client = Client(env.dirs.cache, timeout=timeout, refresh=refresh, delays=endpoints.delays())
    last = verdicts.last_fetch(env.dirs.cache, urls[0][0])
    expected = sum(size for _, size in urls) if len(urls) > 1 else 0  # a bar for long pagings
    with progress_bar(env, expected, "fetching") as advance:
        fetched = _fetch_pages(client, urls, source, first_day, messages, advance)
    from papertriage.listings.merge import merge_duplicates

    merged = merge_duplicates([r for r in fetched.records if paper_key(r) not in seen])
    if merged.merged:
        messages.info(f"merged {merged.merged} duplicate record(s) of the same paper")
    cached = "; answered from the cache" if client.requests == 0 else ""
    messages.info(f"{_papers(len(merged.records))} from {source.value}{cached}")
    if fetched.records and not merged.records:  # every paper left out by --since last
        verdict = verdicts.Verdict("quiet", "nothing newer than the last fetch --add of it")
    elif client.requests == 0 and last is not None:  # the verdict of the fetch that cached it
        verdict = verdicts.Verdict(last.verdict, f"{last.reason} (as fetched at {last.when})")
    else:
        asked = most if source is Source.arxiv and not fetched.cut else None
        verdict = verdicts.judge(merged.records, last, fetched.declared, asked)
        verdicts.remember(env.dirs.cache, urls[0][0], merged.records, verdict)
    if add:
        library = _add(merged.records, topics, db, env, messages)
        _remember(library, urls[0][0], fetched.records)
    else:
        emit_records(merged.records, resolved, output, force, env)
    _end_with(verdict, messages)


def _since(
    since: str | None,
    source: Source,
    first_url: str,
    db: str | None,
    env: Env,
    messages: Messages,
) -> tuple[str | None, set[str]]:
    """The first day a paper may be from, and the papers to leave out, for --since."""
    from papertriage.fetch.sources import check_date

    if since is None:
        return None, set()
    if since == "last":
        return _since_last(first_url, db, env, messages)
    if source is not Source.arxiv:
        raise UsageError(
            "--since DATE goes with the arxiv source", hint="--since last goes with any"
        )
    return check_date(since, "--since").isoformat(), set()


def _since_last(
    source: str, db: str | None, env: Env, messages: Messages
) -> tuple[str | None, set[str]]:
    """The newest day and the papers of the last `fetch --add` of `source` (none remembered:
    nothing to leave out)."""
    memory = open_library(env, db).added_fetch(source)
    if memory is None:
        messages.info("no earlier fetch --add of this source in the library: fetching all")
        return None, set()
    newest = memory.get("newest")
    ids = memory.get("ids")
    day = newest if isinstance(newest, str) and newest else None
    return day, {str(i) for i in ids} if isinstance(ids, list) else set()


def _remember(library: Library, source: str, records: list[Record]) -> None:
    """What this fetch --add stored, for the next --since last (a quiet day moves nothing on)."""
    if not records:
        return
    newest = max((r.date or "" for r in records), default="")
    library.remember_added_fetch(source, {"newest": newest, "ids": sorted(map(paper_key, records))})


def _papers(count: int) -> str:
    return f"{count} paper{'' if count == 1 else 's'}"


def _end_with(verdict: Verdict, messages: Messages) -> None:
    """Say the verdict (a warning when stale or incomplete) and exit with its status."""
    judged = f"{verdict.name}: {verdict.reason}"
    if verdict.name in ("stale", "incomplete"):
        messages.warning(judged)
    else:
        messages.info(judged)
    if verdict.exit_code:
        raise typer.Exit(int(verdict.exit_code))


@dataclass
class _Fetched:
    records: list[Record] = field(default_factory=list)
    declared: int | None = None  # the papers the first answer says the query has (the API's)
    cut: bool = False  # papers older than --since left out


def _fetch_pages(
    client: Client,
    urls: list[tuple[str, int]],
    source: Source,
    first_day: str | None,
    messages: Messages,
    advance: Callable[[int], None] | None = None,
) -> _Fetched:
    """Every page's papers (a page of `size` papers that holds fewer is the last), each page
    read as the listing format its source answers in."""
    from papertriage.fetch import sources
    from papertriage.fetch.verdict import declared_total

    format_name = {"arxiv": "arxiv-atom", "arxiv-rss": "arxiv-rss", "hf": "hf-api"}[source.value]
    fetched = _Fetched()
    for url, size in urls:
        body = client.get(url)
        if fetched.declared is None and source is Source.arxiv:
            fetched.declared = declared_total(body)
        report = sources.parsed(body, format_name, url)  # the source, as a file's path
        report_parse(report, messages)
        kept = [r for r in report.records if first_day is None or (r.date or "") >= first_day]
        fetched.records.extend(kept)
        fetched.cut = fetched.cut or len(kept) < len(report.records)
        if advance is not None:
            advance(len(fetched.records))
        if size and (len(report.records) < size or fetched.cut):
            break  # the API has no more, or has reached papers older than --since
    return fetched


def _add(
    records: list[Record], topics: str | None, db: str | None, env: Env, messages: Messages
) -> Library:
    """The fetched papers tagged and stored in one transaction, as `add` stores a listing."""
    taxonomy = load_topics(topics, env)
    library = library_to_add_to(env, db, taxonomy, messages)
    tagged = tag_with_progress(records, taxonomy, env)
    report_added(library, library.add(tagged, taxonomy_hash=taxonomy.content_hash()), messages)
    return library


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
