"""One listing read the way every command reads it: from the tagged-listings cache when it can
serve, else parsed, its repeated papers merged, tagged (given a taxonomy) and cached.

Nothing here prints: what happened comes back in a `Listing` (and, while it happens, through the
`parsed` and `tagging` hooks), so the caller says it in order and draws its progress bars.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from papertriage.listings.readoptions import ReadOptions
from papertriage.models import Record

if TYPE_CHECKING:
    from papertriage.listings.parse import ParseReport
    from papertriage.topics.tagger import Tagger
    from papertriage.topics.taxonomy import Taxonomy

Progress = Callable[[int], None]
# A progress bar for so many papers, as a context giving its callback (or None: no bar).
ProgressBar = Callable[[int], AbstractContextManager[Progress | None]]


def cache_settings(options: ReadOptions) -> str:
    """The read options as they name a cache entry (the one place they are spelled so)."""
    return f"{options.format}:{options.include_replaced}"


def cache_entry(
    cache_dir: Path, path: str, taxonomy_hash: str, options: ReadOptions
) -> Path | None:
    """Where the tagged records of the file `path` are cached; None for stdin or a non-file."""
    if path == "-" or not os.path.isfile(path):
        return None
    from papertriage.listings import cache

    return cache.entry_path(cache_dir, path, taxonomy_hash, cache_settings(options))


# Per record: its title's and its abstract's tokens, each joined by spaces (tokens have none):
# a form that crosses from worker processes and into the cache in one piece.
Tokens = list[tuple[str, str]]
# Larger listings get a search index of numpy arrays (papertriage.search.index.ARRAY_INDEX_MIN),
# built from the records: their tokens would only cross from the workers for nothing.
TOKENS_KEPT_BELOW = 5_000


class Listing(NamedTuple):
    """One listing read: its records, and what the cache did."""

    records: list[Record]
    cached: bool = False  # served from the cache: nothing parsed or tagged
    entry: str | None = None  # the cache entry's name (a file read with a taxonomy), else None
    cache_failed: bool = False  # the entry could not be written
    tokens: Tokens | None = None  # the tagger's tokens of the records, when asked for and known


class _KeptTokens:
    """Search "postings" that are the tagger's tokens themselves (papertriage.topics.parallel
    .Postings), for an index built from them later without tokenising the records again."""

    def from_tokens(self, fields: Sequence[tuple[list[str], list[str]]]) -> Tokens:
        return [(" ".join(title), " ".join(abstract)) for title, abstract in fields]

    def concat(self, parts: Sequence[Tokens]) -> Tokens:
        return [fields for part in parts for fields in part]


@contextlib.contextmanager
def _no_bar(total: int) -> Iterator[Progress | None]:
    yield None


class ListingReader:
    """Reads listings with the same options and taxonomy, one Tagger for all of them."""

    def __init__(
        self,
        options: ReadOptions,
        taxonomy: Taxonomy | None,
        cache_dir: Path,
        *,
        write_cache: bool = True,
    ) -> None:
        self.options, self.taxonomy, self.cache_dir = options, taxonomy, cache_dir
        self.write_cache = write_cache
        self.tagger: Tagger | None = None

    def read(
        self,
        path: str,
        *,
        stdin: bytes | None = None,
        parsed: Callable[[ParseReport, int], None] | None = None,
        tagging: ProgressBar = _no_bar,
        keep_tokens: bool = False,
    ) -> Listing:
        """The records of `path` ('-' for stdin, or `stdin` if already read). `parsed(report,
        merged)` hears of a parse (with the number of repeated papers merged) before tagging
        starts; `tagging(total)` gives the progress bar of the tagging. With `keep_tokens`, a
        listing tagged here keeps its tokens, if it has fewer than TOKENS_KEPT_BELOW records."""
        from papertriage.listings import cache

        entry = None
        if self.taxonomy is not None:
            entry = cache_entry(self.cache_dir, path, self.taxonomy.content_hash(), self.options)
        name = entry.name if entry is not None else None
        if entry is not None:
            cached = cache.load(entry)
            if cached is not None:
                return Listing(cached, cached=True, entry=name)
        from papertriage.listings.inputs import read_listing  # parsing, only when needed
        from papertriage.listings.merge import merge_duplicates

        report = read_listing(path, self.options, stdin=stdin)
        merged = merge_duplicates(report.records)
        if parsed is not None:
            parsed(report, merged.merged)
        if self.taxonomy is None:
            return Listing(merged.records, entry=name)
        from papertriage.topics.tagger import Tagger  # only to tag

        if self.tagger is None:
            self.tagger = Tagger(self.taxonomy)
        tokens = None
        with tagging(len(merged.records)) as advance:
            if keep_tokens and len(merged.records) < TOKENS_KEPT_BELOW:
                tagged, tokens = self.tagger.tag_and_index(
                    merged.records, postings=_KeptTokens(), progress=advance
                )
            else:
                tagged = self.tagger.tag(merged.records, progress=advance)
        failed = self.write_cache and entry is not None and not cache.store(entry, tagged)
        return Listing(tagged, entry=name, cache_failed=failed, tokens=tokens)
