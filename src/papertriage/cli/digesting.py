"""The digest command: what arrived in the library since the last digest, as a reading list."""

from __future__ import annotations

import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from papertriage.cli.shell import (
    DbOpt,
    Env,
    ForceOpt,
    LimitOpt,
    Messages,
    OutputOpt,
    QuietOpt,
    TopicsOpt,
    command,
    load_topics,
    write_or_save,
)
from papertriage.cli.sources import open_library
from papertriage.errors import ExitCode
from papertriage.models import Record, paper_key

if TYPE_CHECKING:
    from papertriage.library.reading import ReadingState
    from papertriage.library.store import Library
    from papertriage.search.rank import Profile


class Period(StrEnum):
    day = "day"
    week = "week"


PERIOD_DAYS = {Period.day: 1, Period.week: 7}


@command()
def digest(
    period: Annotated[
        Period, typer.Option("--period", help="How far back: papers first seen in the last...")
    ] = Period.day,
    profile: Annotated[
        str | None,
        typer.Option("--profile", help="Rank by this profile when there are no judgments."),
    ] = None,
    limit: LimitOpt = 50,
    topics: TopicsOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """A Markdown reading list of the papers new since the last digest, grouped by topic.

    New: added to the library in the period, not shown by an earlier digest (a v2 of a paper
    shown is not new) and not yet starred, read or skipped. Ranked by what you liked (starred or read) when you have judged
    papers, else by --profile, else in the order they arrived. The papers count as shown only
    once the digest is written. Exit status 1 when there is nothing new.

    Example: papertriage digest -o today.md (after fetch arxiv-rss cs.LG --since last --add)
    """
    from papertriage.output import export as exporting

    env = Env.detect(quiet=quiet)
    messages = Messages(env)
    taxonomy = load_topics(topics, env)
    chosen = _profile(profile, taxonomy.ids)  # checked before anything is read
    library = open_library(env, db)
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=PERIOD_DAYS[period])
    seen = library.digest_seen()
    arrived = [
        r
        for r in library.records_since(since.isoformat(timespec="seconds"))
        if paper_key(r) not in seen
    ]
    from papertriage.library.reading import UNREAD

    states = library.states()
    # A paper already starred, read or skipped is decided: the learned ranking leaves it out,
    # so counting it as waiting would promise papers no digest ever shows.
    fresh = [r for r in arrived if not _decided(states.get(r.id, UNREAD))]
    if not fresh:
        decided = f" ({len(arrived)} new ones already starred, read or skipped)" if arrived else ""
        messages.info(
            f"nothing new in the library in the last {period.value} since the last digest" + decided
        )
        raise typer.Exit(int(ExitCode.NO_RESULTS))
    ranked = _ranked(fresh, library, chosen, profile, limit, env, db, messages)
    items = [exporting.Item(record, *states.get(record.id, UNREAD)) for record in ranked]
    today = datetime.date.today().isoformat()
    chunks = exporting.markdown_reading_list(
        items, group_by="tag", title=f"Digest: new papers, {today}", date=today
    )
    write_or_save(chunks, output, force)
    library.mark_digested(paper_key(record) for record in ranked)  # only once it is written
    messages.info(f"{len(ranked)} new papers in the digest ({len(fresh) - len(ranked)} left)")


def _decided(state: ReadingState) -> bool:
    """Starred, read or skipped: a paper the learned ranking learns from and leaves out."""
    from papertriage.learn.model import judgement

    return judgement(state.status, state.starred) is not None


def _profile(path: str | None, topic_ids: list[str]) -> Profile | None:
    if path is None:
        return None
    from papertriage.search import rank

    return rank.load_profile(path, topic_ids)


def _ranked(
    records: list[Record],
    library: Library,
    profile: Profile | None,
    profile_path: str | None,
    limit: int,
    env: Env,
    db: str | None,
    messages: Messages,
) -> list[Record]:
    """The best `limit` papers: by the learned model if the library has judged papers, else by
    the profile, else as they came."""
    from papertriage.cli.learning import judged_docs, learned_ranking

    if judged_docs(library):
        return [
            hit.record for hit in learned_ranking(records, limit, False, env, db, messages).hits
        ]
    if profile is not None:
        from papertriage.search import rank

        messages.info(f"no judged papers yet: ranked by the profile {profile_path}")
        return [hit.record for hit in rank.rank_by_profile(records, profile, limit=limit)]
    return records[:limit]
