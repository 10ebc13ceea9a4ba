"""Listings into the library: parsed, tagged and stored a batch at a time, in one transaction,
with the reading state an export of a library carries brought along.

Nothing here prints: the parse reports and cache hits come back with the result, for the caller
to say once its progress bar is gone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from papertriage.library.index import PostingsPart
from papertriage.listings.readoptions import ReadOptions
from papertriage.models import Record
from papertriage.topics.reading import cache_entry

if TYPE_CHECKING:
    from pathlib import Path

    from papertriage.library.store import AddResult, Library
    from papertriage.listings.parse import ParseReport
    from papertriage.topics.tagger import Tagger, TagJob
    from papertriage.topics.taxonomy import Taxonomy

# id -> (status, starred, notes), as Library.restore_state takes it
States = dict[str, tuple[str | None, bool, list[str]]]


class Batches(Protocol):
    """What `Library.adding()` yields: a transaction that takes batches."""

    def unchanged_places(self, records: Sequence[Record]) -> list[int]: ...

    def add(self, records: Sequence[Record], postings: PostingsPart | None = None) -> None: ...


@dataclass(frozen=True)
class Cached:
    """A listing served from the tagged-listings cache."""

    path: str
    count: int


@dataclass(frozen=True)
class Added:
    result: AddResult
    # Per listing, in order: its parse report, or Cached when the cache served it.
    reports: list[ParseReport | Cached] = field(default_factory=list)


def check_listings(paths: Sequence[str]) -> None:
    """Fail on a missing, unreadable, empty or binary file before any work starts."""
    from papertriage.listings.inputs import check_file

    for path in paths:
        if path != "-":
            check_file(path)


def add_listings(
    library: Library,
    paths: Sequence[str],
    options: ReadOptions,
    taxonomy: Taxonomy,
    cache_dir: Path,
    *,
    status: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Added:
    """Parse, tag and store listings a batch at a time, in one transaction (which also gives
    the papers `status`, if any): memory stays flat however large the listing, and a failure
    anywhere leaves the library as it was. A listing tagged before by another command comes
    from the cache."""
    from papertriage.listings import cache
    from papertriage.listings.inputs import read_listing
    from papertriage.topics.tagger import Tagger

    tagger = Tagger(taxonomy)
    taxonomy_hash = taxonomy.content_hash()
    reports: list[ParseReport | Cached] = []
    with library.adding(taxonomy_hash=taxonomy_hash, progress=progress, status=status) as adding:
        for path in paths:
            entry = cache_entry(cache_dir, path, taxonomy_hash, options)
            cached = cache.load(entry) if entry is not None else None
            if cached is not None:
                reports.append(Cached(path, len(cached)))
                adding.add(cached)
                continue
            pipeline = TagThenStore(tagger, adding)
            try:
                report = read_listing(path, options, sink=pipeline.feed)
                pipeline.flush()
            finally:
                pipeline.close()
            reports.append(report)
    return Added(adding.result(), reports)


class TagThenStore:
    """Batches tagged by worker processes while the batch before is stored: the two steps
    overlap, so a large listing is added in about the time tagging alone takes."""

    def __init__(self, tagger: Tagger, adding: Batches) -> None:
        self.tagger, self.adding = tagger, adding
        self.pending: TagJob | None = None

    def feed(self, batch: list[Record]) -> None:
        # Papers the library holds as they are (a listing added again) are stored untagged:
        # tagging them would change nothing.
        known = set(self.adding.unchanged_places(batch))
        if known:
            unchanged = [record for place, record in enumerate(batch) if place in known]
            batch = [record for place, record in enumerate(batch) if place not in known]
        started = self.tagger.start(batch, postings=PostingsPart)
        try:
            self.flush()
            if known:
                self.adding.add(unchanged)
        except BaseException:
            started.close()
            raise
        self.pending = started

    def flush(self) -> None:
        if self.pending is not None:
            job, self.pending = self.pending, None
            self.adding.add(*job.result())

    def close(self) -> None:
        if self.pending is not None:
            self.pending.close()


def exported_states(paths: Sequence[str]) -> States:
    """Reading state carried by papertriage JSON Lines exports (status, starred, notes); a
    file that is not JSON Lines carries none."""
    states: States = {}
    for path in paths:
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


def restore_exported_states(
    library: Library, paths: Sequence[str], added: AddResult, *, keep_status: bool = True
) -> None:
    """Bring the reading state of exports among `paths` to the papers just added from them.
    Without `keep_status` (a status was given to the add, and wins) only stars and notes come."""
    states = exported_states(paths)
    if not states:
        return
    library.restore_state(
        {
            added.stored_ids[i]: state if keep_status else (None, *state[1:])
            for i, state in states.items()
            if i in added.stored_ids
        }
    )
