"""Where a command's papers come from: listing files, standard input, or the library (and the
index it keeps), with the tag and reading-state filters that can be answered there.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from papertriage.cli.shell import Env, InputFormat, Messages, progress_bar
from papertriage.errors import UsageError
from papertriage.models import Record

if TYPE_CHECKING:
    from papertriage.library.adding import AddResult
    from papertriage.library.index import LibraryPostings
    from papertriage.library.store import Library
    from papertriage.listings.parse import ParseReport
    from papertriage.search.index import SearchIndex
    from papertriage.topics.reading import Listing, ListingReader, Tokens
    from papertriage.topics.taxonomy import Taxonomy

MAX_WARNINGS_SHOWN = 10  # parse warnings listed one by one; the rest are counted


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
    tokens: list[Tokens] | None = None,
) -> list[Record]:
    """Parse every input (and tag it, given a taxonomy), then merge records of the same paper.

    Each listing is tagged on its own, as a listing, and the result is cached, so a second
    command on the same file neither parses nor tags it again. Given `tokens`, a single
    listing tagged here leaves the tagger's tokens of the records returned there (for a search
    index built without tokenising them again).
    """
    from papertriage.listings.readoptions import ReadOptions
    from papertriage.topics.reading import ListingReader

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
    reader = ListingReader(options, taxonomy, env.dirs.cache, write_cache=write_cache)
    if len(files) == 1:  # merged within the listing already (and cached so)
        listing = read_listing(
            reader, files[0], env, messages, cache_entries, stdin, keep_tokens=tokens is not None
        )
        if tokens is not None and listing.tokens is not None:
            tokens.append(listing.tokens)
        return listing.records
    records: list[Record] = []
    for path in files:
        records.extend(read_listing(reader, path, env, messages, cache_entries, stdin).records)
    from papertriage.listings.merge import merge_duplicates

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
    from papertriage.library.reading import check_status

    for status in statuses:
        check_status(status)


def open_library(env: Env, db: str | None) -> Library:
    from papertriage.library.store import Library, default_library_path

    return Library(db or default_library_path(env.environ, env.dirs.data))


def _library_records(
    env: Env, db: str | None, messages: Messages, taxonomy: Taxonomy | None = None
) -> list[Record]:
    library, records = _current_library(env, db, taxonomy, messages)
    if records is None:
        records = library.records()
    messages.info(f"{library.path}: {len(records)} papers in the library")
    return records


def _current_library(
    env: Env, db: str | None, taxonomy: Taxonomy | None, messages: Messages
) -> tuple[Library, list[Record] | None]:
    """The library, refused when empty, its tags those of `taxonomy`: re-tagged first if the
    taxonomy changed since, and then also its records (the caller need not read them again)."""
    library = open_library(env, db)
    if library.is_empty():
        raise empty_library()
    if taxonomy is not None and library.taxonomy_hash() != taxonomy.content_hash():
        records = library.records()
        return library, retag_library(library, records, taxonomy, messages, env)
    return library, None


def library_index(library: Library, env: Env, messages: Messages) -> LibraryPostings:
    """The search index the library keeps (papertriage.library.index.LibraryPostings), built once
    first for a library made before papertriage kept one."""
    if not library.index_is_current():
        messages.info(f"{library.path}: indexing the library for search (once)")
        with progress_bar(env, library.count(), "indexing") as advance:
            library.reindex(advance)
    from papertriage.library.index import LibraryPostings

    return LibraryPostings(library)


def searched_library(
    env: Env,
    db: str | None,
    taxonomy: Taxonomy,
    messages: Messages,
    statuses: Sequence[str],
    starred: bool,
) -> tuple[Library, LibraryPostings]:
    """The library and its index (papertriage.library.index.LibraryPostings) restricted to the
    reading state asked for, its tags those of `taxonomy`. Reads no record unless the taxonomy
    changed since the library was tagged."""
    check_statuses(statuses)
    library, _ = _current_library(env, db, taxonomy, messages)
    postings = library_index(library, env, messages)
    messages.info(f"{library.path}: {postings.count} papers in the library")
    if statuses or starred:
        postings.restrict(library.docs_in_state(statuses, starred))
    return library, postings


def library_search_index(
    env: Env,
    db: str | None,
    taxonomy: Taxonomy,
    messages: Messages,
    statuses: Sequence[str],
    starred: bool,
) -> tuple[SearchIndex, int]:
    """A SearchIndex over the library's own index (stored in it, nothing rebuilt), and how many
    papers it searches. Reads no record beyond those a search shows."""
    from papertriage.search.index import SearchIndex

    _, postings = searched_library(env, db, taxonomy, messages, statuses, starred)
    return SearchIndex.with_arrays([], postings, taxonomy), postings.count


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
    docs = postings.select(tags, not_tags)
    return library.records_in_order(docs), postings.count


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
    records = by_state(records, list(statuses or ()), starred, env, db)
    return with_tags(records, list(tags or ()), list(not_tags or ())), len(records)


def empty_library() -> UsageError:
    return UsageError(
        "no listing given and the library is empty",
        hint="name a listing file, or add one with `papertriage add FILE`",
    )


def with_tags(
    records: list[Record], tags: list[str] | None, not_tags: list[str] | None
) -> list[Record]:
    """Records that have every tag of `tags` and none of `not_tags`."""
    wanted, refused = set(tags or ()), set(not_tags or ())
    return [r for r in records if wanted.issubset(r.tags) and not refused.intersection(r.tags)]


def by_state(
    records: list[Record], statuses: list[str] | None, starred: bool, env: Env, db: str | None
) -> list[Record]:
    """Records whose reading state in the library matches (all of them, without filters)."""
    if not statuses and not starred:
        return records
    from papertriage.library.reading import UNREAD

    check_statuses(statuses or ())
    states = open_library(env, db).states()
    kept = []
    for record in records:
        state = states.get(record.id, UNREAD)
        if (not statuses or state.status in statuses) and (state.starred or not starred):
            kept.append(record)
    return kept


def retag_library(
    library: Library,
    records: list[Record],
    taxonomy: Taxonomy,
    messages: Messages,
    env: Env,
    *,
    asked: bool = False,
) -> list[Record]:
    """Tags of the whole library recomputed with `taxonomy`, stored, and returned. Unless the
    reader `asked` (retag), the message says why, and how to keep a taxonomy of one's own: a
    command run once without --topics re-tags with the default."""
    name = _taxonomy_name(taxonomy)
    if asked:
        messages.info(f"re-tagging {len(records)} papers of the library with {name}")
    else:
        messages.info(
            f"re-tagging {len(records)} papers of the library with {name}: they were tagged "
            "with another (to keep one, give the same --topics FILE to every command, or put "
            f"it in $PAPERTRIAGE_TOPICS or at {env.dirs.config / 'topics.yaml'})"
        )
    tagged = tag_with_progress(records, taxonomy, env, "re-tagging")
    library.set_tags(tagged, taxonomy.content_hash())
    return tagged


def _taxonomy_name(taxonomy: Taxonomy) -> str:
    made_from = taxonomy.origins[-1] if taxonomy.origins else ""
    return made_from if made_from and not made_from.startswith("<") else "the default taxonomy"


def tag_with_progress(
    records: list[Record], taxonomy: Taxonomy, env: Env, label: str = "tagging"
) -> list[Record]:
    """The records tagged, a progress bar drawn on a terminal meanwhile."""
    from papertriage.topics.tagger import Tagger

    with progress_bar(env, len(records), label) as advance:
        return Tagger(taxonomy).tag(records, progress=advance)


def library_to_add_to(env: Env, db: str | None, taxonomy: Taxonomy, messages: Messages) -> Library:
    """The library to add papers tagged by `taxonomy` to: its papers re-tagged first when they
    come from another taxonomy, so that every paper's tags come from one."""
    library = open_library(env, db)
    retag_if_changed(library, taxonomy, messages, env)
    return library


def retag_if_changed(library: Library, taxonomy: Taxonomy, messages: Messages, env: Env) -> None:
    """The library's papers re-tagged with `taxonomy` when they were tagged with another."""
    stored = library.taxonomy_hash()
    if stored is not None and stored != taxonomy.content_hash():
        retag_library(library, library.records(), taxonomy, messages, env)


def report_added(library: Library, result: AddResult, messages: Messages) -> None:
    messages.info(
        f"{library.path}: {result.new} new, {result.updated} updated, {result.unchanged} unchanged"
    )
    if result.status_kept:
        messages.info(
            f"{result.status_kept} of them kept the status you gave them before"
            " (`papertriage mark ID --status STATUS` changes one)"
        )


def read_listing(
    reader: ListingReader,
    path: str,
    env: Env,
    messages: Messages,
    cache_entries: list[str] | None = None,
    stdin: bytes | None = None,
    *,
    keep_tokens: bool = False,
) -> Listing:
    """One listing through `reader`, what happened said on stderr and its tagging's progress
    drawn there; the name of its cache entry, if any, appended to `cache_entries`. With
    `keep_tokens`, a listing tagged here keeps the tagger's tokens (Listing.tokens)."""

    def parsed(report: ParseReport, merged: int) -> None:
        report_parse(report, messages)
        if merged:
            messages.info(f"{path}: merged {merged} duplicate record(s) of the same paper")

    listing = reader.read(
        path,
        stdin=stdin,
        parsed=parsed,
        tagging=lambda total: progress_bar(env, total, "tagging"),
        keep_tokens=keep_tokens,
    )
    if cache_entries is not None and listing.entry is not None:
        cache_entries.append(listing.entry)
    if listing.cached:
        messages.info(f"{path}: {len(listing.records)} records (tagged before; cached)")
    if listing.cache_failed:
        messages.warning(f"could not write the cache in {env.dirs.cache}; continuing without")
    return listing


def report_parse(report: ParseReport, messages: Messages) -> None:
    line = f"{report.source}: {report.count} records ({report.format})"
    if report.dropped:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(report.dropped.items()))
        line += f"; dropped {sum(report.dropped.values())} noise lines ({kinds})"
    if report.skipped.get("repeated"):
        line += f"; skipped {report.skipped['repeated']} entries repeated back to back"
    if report.skipped.get("replaced"):
        line += (
            f"; skipped {report.skipped['replaced']} replaced entries"
            " (--include-replaced keeps them)"
        )
    messages.info(line)
    for warning in report.warnings[:MAX_WARNINGS_SHOWN]:
        messages.warning(warning)
    if len(report.warnings) > MAX_WARNINGS_SHOWN:
        messages.warning(f"{report.source}: {len(report.warnings) - MAX_WARNINGS_SHOWN} more")
