"""Search indexes kept in the cache beside the tagged listings they index, so a repeated search
loads its postings instead of building them again: numpy arrays for a large index; for a small
one, the JSON of its papers' tokens (tokenising a day's listing costs more than reading it back).

An index is named by the cache entries of the listings it holds (papertriage.listings.cache):
they already name everything that decides its content, so a new name means a new index and an
index is never stale. One that cannot be read is built again; one that cannot be written is not
kept, and the next search builds it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from papertriage.models import Record
from papertriage.search.index import ARRAY_INDEX_MIN, SearchIndex, joined_tokens

SMALL_FORMAT = 2  # of the JSON kept for a small index; another number is not read


def index_path(cache_dir: Path, entries: Sequence[str], suffix: str = ".index.npz") -> Path:
    """Where the index of the listings cached as `entries` (their names, in order) is kept."""
    name = hashlib.sha256("\n".join(entries).encode()).hexdigest()[:32] + suffix
    return cache_dir / "tagged" / name


def cached_search_index(
    records: list[Record],
    taxonomy: object,
    entries: Sequence[str],
    cache_dir: Path,
    *,
    tokens: Sequence[tuple[str, str]] | None = None,
) -> SearchIndex:
    """The search index of `records`, read from the cached listings `entries`: loaded from the
    cache, or built (from the tagger's `tokens` of the records when given: each field's joined
    by spaces) and kept there. Records that are not exactly those listings (no entries, a
    listing given twice) get an index built and not kept."""
    if not entries or len(entries) != len(set(entries)):
        return SearchIndex.build(records, taxonomy, tokens=tokens)
    if len(records) < ARRAY_INDEX_MIN:
        path = index_path(cache_dir, entries, ".index.json")
        return _small_index(records, taxonomy, path, tokens)
    from papertriage.search.arrayindex import ArrayPostings

    path = index_path(cache_dir, entries)
    arrays = ArrayPostings.load(str(path), records)
    if arrays is None:
        arrays = ArrayPostings.build(records)
        with contextlib.suppress(OSError):  # no cache: the next search builds it again
            path.parent.mkdir(parents=True, exist_ok=True)
            arrays.save(str(path))
    return SearchIndex.with_arrays(records, arrays, taxonomy)


def _small_index(
    records: list[Record],
    taxonomy: object,
    path: Path,
    tokens: Sequence[tuple[str, str]] | None,
) -> SearchIndex:
    # What is kept is the records' tokens, each field's joined by spaces (tokens have none):
    # written and read back in a few milliseconds, where tokenising the text again costs tens.
    try:
        with path.open(encoding="utf-8") as handle:
            saved = json.load(handle)
        if saved["format"] == SMALL_FORMAT and saved["records"] == len(records):
            kept = [(title, abstract) for title, abstract in saved["tokens"]]
            if all(isinstance(text, str) for fields in kept for text in fields):
                return SearchIndex.build(records, taxonomy, arrays=False, tokens=kept)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # none yet, or not one this code can read: build it
    if tokens is None:
        tokens = [joined_tokens(record) for record in records]
    from papertriage.output.files import keep_cache_file

    saved = {"format": SMALL_FORMAT, "records": len(records), "tokens": tokens}
    keep_cache_file(path, [json.dumps(saved, ensure_ascii=False, separators=(",", ":"))])
    return SearchIndex.build(records, taxonomy, arrays=False, tokens=tokens)
