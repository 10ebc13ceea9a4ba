"""Large search indexes kept in the cache beside the tagged listings they index, so a repeated
search loads its numpy postings instead of building them again.

An index is named by the cache entries of the listings it holds (papertriage.listings.cache):
they already name everything that decides its content, so a new name means a new index and an
index is never stale.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from pathlib import Path

from papertriage.models import Record
from papertriage.search.index import ARRAY_INDEX_MIN, SearchIndex


def index_path(cache_dir: Path, entries: Sequence[str]) -> Path:
    """Where the index of the listings cached as `entries` (their names, in order) is kept."""
    name = hashlib.sha256("\n".join(entries).encode()).hexdigest()[:32] + ".index.npz"
    return cache_dir / "tagged" / name


def cached_search_index(
    records: list[Record], taxonomy: object, entries: Sequence[str], cache_dir: Path
) -> SearchIndex:
    """The search index of `records`, read from the cached listings `entries`: a large one is
    loaded from the cache (or built and kept there); a small one, or records that are not
    exactly those listings (no entries, a listing given twice), is built."""
    if len(records) < ARRAY_INDEX_MIN or not entries or len(entries) != len(set(entries)):
        return SearchIndex.build(records, taxonomy)
    from papertriage.search.arrayindex import ArrayPostings

    path = index_path(cache_dir, entries)
    arrays = ArrayPostings.load(str(path), records)
    if arrays is None:
        arrays = ArrayPostings.build(records)
        with contextlib.suppress(OSError):  # no cache: the next search builds it again
            path.parent.mkdir(parents=True, exist_ok=True)
            arrays.save(str(path))
    return SearchIndex.with_arrays(records, arrays, taxonomy)
