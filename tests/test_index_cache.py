"""A small listing's search index: built from the tagger's tokens, gathered per term, kept in the
cache and read back; every way of getting it ranks the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from papertriage.listings.readoptions import ReadOptions
from papertriage.search.index import SearchIndex, search_tokens
from papertriage.search.indexcache import cached_search_index, index_path
from papertriage.search.termweights import GatheredPostings
from papertriage.topics.reading import ListingReader
from papertriage.topics.tagger import Tagger
from papertriage.topics.taxonomy import default_taxonomy
from tests.helpers import EXAMPLE, example_records, run

QUERIES = ["mixture of experts", "pruning title:network", '"lottery ticket"', "quantizaton"]
QUERIES += ["tag:moe", "scaling laws -tag:llm", "gnn", "zzzzqqqq"]


def ranking(index: SearchIndex, query: str) -> list[tuple[str, float, tuple[str, ...]]]:
    return [(h.record.id, h.score, h.matched) for h in index.search(query, limit=None)]


@pytest.fixture(scope="module")
def tagged():
    return Tagger(default_taxonomy()).tag(example_records())


def test_an_index_from_the_taggers_tokens_ranks_as_one_from_the_records(tagged):
    reader = ListingReader(ReadOptions(), default_taxonomy(), Path("unused"), write_cache=False)
    listing = reader.read(str(EXAMPLE), keep_tokens=True)
    assert listing.tokens is not None and len(listing.tokens) == len(listing.records)
    assert listing.tokens[0] == (
        " ".join(search_tokens(listing.records[0].title)),
        " ".join(search_tokens(listing.records[0].abstract)),
    )
    from_tokens = SearchIndex.build(listing.records, default_taxonomy(), tokens=listing.tokens)
    from_records = SearchIndex.build(listing.records, default_taxonomy())
    for query in QUERIES:
        assert ranking(from_tokens, query) == ranking(from_records, query)


def test_tokens_of_other_records_are_refused(tagged):
    with pytest.raises(ValueError, match="tokens of 1 records"):
        SearchIndex.build(tagged, tokens=[("", "")])


def test_gathered_postings_are_the_inverted_index(tagged):
    index = SearchIndex.build(tagged, arrays=False)
    postings = index.postings
    assert isinstance(postings, GatheredPostings)
    # The full inversion, computed the plain way, term by term.
    expected: dict[str, dict[int, float]] = {}
    for number, record in enumerate(tagged):
        for term in search_tokens(record.title):
            expected.setdefault(term, {}).setdefault(number, 0.0)
            expected[term][number] += 3.0
        for term in search_tokens(record.abstract):
            expected.setdefault(term, {}).setdefault(number, 0.0)
            expected[term][number] += 1.0
    assert set(postings) == set(expected) and len(postings) == len(expected)
    assert all(postings[term] == entry for term, entry in expected.items())
    assert "zzzzqqqq" not in postings and postings.get("zzzzqqqq") is None


def test_the_cache_keeps_the_index_and_a_damaged_one_is_built_again(tagged, tmp_path):
    entries = ["listing-entry.jsonl"]
    path = index_path(tmp_path, entries, ".index.json")
    first = cached_search_index(tagged, default_taxonomy(), entries, tmp_path)
    assert path.is_file()
    kept = json.loads(path.read_text(encoding="utf-8"))
    assert kept["records"] == len(kept["tokens"]) == len(tagged)
    again = cached_search_index(tagged, default_taxonomy(), entries, tmp_path)
    assert again.postings is not first.postings  # read back, not the same object
    # Kept tokens of other records (another count) are not used for these.
    assert len(cached_search_index(tagged[:-1], None, entries, tmp_path).docs) == len(tagged) - 1
    path.write_text('{"format": 2, "records": 3', encoding="utf-8")
    rebuilt = cached_search_index(tagged, default_taxonomy(), entries, tmp_path)
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == 2  # written anew
    for query in QUERIES:
        assert ranking(again, query) == ranking(first, query) == ranking(rebuilt, query)


def test_records_that_are_no_cached_listing_get_an_index_not_kept(tagged, tmp_path):
    cached_search_index(tagged, default_taxonomy(), [], tmp_path)
    cached_search_index(tagged, default_taxonomy(), ["a", "a"], tmp_path)  # a file given twice
    assert not list(tmp_path.rglob("*.index.json"))


def test_first_and_warm_searches_print_the_same(tmp_path):
    for number, query in enumerate(QUERIES[:4]):
        listing = tmp_path / f"listing-{number}.txt"  # a listing never seen, for each query
        listing.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
        args = ("search", query, str(listing), "--format", "jsonl", "--explain", "--limit", "20")
        first = run(*args)
        warm = run(*args)
        assert first[0] in (0, 1) and first[:2] == warm[:2]
        assert "cached" in warm[2] and "cached" not in first[2]
    assert len(list(tmp_path.rglob("*.index.json"))) == 4
