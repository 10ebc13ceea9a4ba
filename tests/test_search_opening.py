"""Search: a paper whose abstract opens with the words typed ranks above one naming them only
later, on every index and for every limit, with the gain shown as the "opening" part."""

from __future__ import annotations

from pathlib import Path

import pytest

import papertriage.search.scoring as scoring
from papertriage.library.index import LibraryPostings
from papertriage.library.store import Library
from papertriage.models import Record
from papertriage.search.index import SearchIndex, parse_query
from papertriage.search.query import opening_sentence
from papertriage.topics.tagger import tag_records
from papertriage.topics.taxonomy import default_taxonomy

SUBJECT = "Graph neural networks pass messages between nodes."
FILLER = "We report results on standard benchmarks."
# The same abstract words in another order, and titles alike but for one rare word each: only
# the opening differs.
OPENS = Record.create("A study of routing", f"{SUBJECT} {FILLER}")
LATER = Record.create("A study of gating", f"{FILLER} {SUBJECT}")


@pytest.mark.parametrize("arrays", [False, True])
def test_the_paper_opening_with_the_words_ranks_first_by_a_share_of_its_text_score(
    arrays: bool,
) -> None:
    index = SearchIndex.build([LATER, OPENS], arrays=arrays)
    first, second = index.search("graph neural networks", limit=None)
    assert (first.record.id, second.record.id) == (OPENS.id, LATER.id)
    assert first.parts["text"] == pytest.approx(second.parts["text"], abs=1e-6)
    assert "opening" not in second.parts
    assert first.parts["opening"] == pytest.approx(
        scoring.OPENING_SHARE * first.parts["text"], abs=1e-5
    )
    assert list(first.parts) == ["text", "phrase", "opening"]  # both hold the words in a row
    assert first.score == pytest.approx(sum(first.parts.values()), abs=1e-5)


@pytest.mark.parametrize(
    ("query", "gaining"),
    [
        ("graph", {OPENS.id}),  # one word is enough
        ("the graph of neural networks", {OPENS.id}),  # stop words need not be there
        ("grpah nerual netwroks", {OPENS.id}),  # the words as corrected
        ("networks graph", {OPENS.id}),  # in any order
        ('"neural networks" nodes', {OPENS.id}),  # quoted words count as typed
        ("graph routing", set()),  # every word typed must be there ("routing" is in a title)
        ("standard results", {LATER.id}),  # the other paper's first sentence
    ],
)
def test_what_the_opening_must_hold(query: str, gaining: set[str]) -> None:
    index = SearchIndex.build([OPENS, LATER], default_taxonomy(), arrays=False)
    hits = index.search(query, limit=None)
    assert {hit.record.id for hit in hits if "opening" in hit.parts} == gaining
    # Tag filters alone type no words: nothing is read.
    assert not index.plan(parse_query("tag:gnn")).reads_texts


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Pruning works. It is fast.", "Pruning works."),
        ("We use, e.g. the Adam optimizer. Then more.", "We use, e.g. the Adam optimizer."),
        ("A speed-up of 1.5 times on GPUs. Next.", "A speed-up of 1.5 times on GPUs."),
        ("Why does it work? We show that it does.", "Why does it work?"),
        ("Results improve by 3. 4 datasets are used.", "Results improve by 3."),
        ("No sentence ends here", "No sentence ends here"),
        ("", ""),
    ],
)
def test_the_opening_sentence(text: str, first: str) -> None:
    assert opening_sentence(text) == first


@pytest.fixture(scope="module")
def example() -> list[Record]:
    from papertriage.listings.parse import parse_text
    from tests.helpers import EXAMPLE

    return tag_records(parse_text(EXAMPLE.read_text(encoding="utf-8")), default_taxonomy())


@pytest.mark.parametrize("pool", [scoring.READ_POOL, 3])
@pytest.mark.parametrize("query", ["pruning", "language models", "mixture of experts"])
def test_every_limit_and_index_give_the_same_order(
    pool: int, query: str, example: list[Record], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(scoring, "READ_POOL", pool)
    small = SearchIndex.build(example, default_taxonomy(), arrays=False)
    large = SearchIndex.build(example, default_taxonomy(), arrays=True)
    library = Library(tmp_path / "lib.sqlite3")
    library.add(example)
    stored = SearchIndex.with_arrays([], LibraryPostings(library), default_taxonomy())
    whole = [(h.record.id, h.score) for h in small.search(query, limit=None)]
    gained = [h for h in small.search(query, limit=None) if "opening" in h.parts]
    assert 0 < len(gained) <= pool
    for index in (small, large, stored):
        for limit in (1, 2, 5, 10, None):
            got = [(h.record.id, h.score) for h in index.search(query, limit=limit)]
            assert [i for i, _ in got] == [i for i, _ in whole[:limit]], (limit, index.arrays)
            assert [s for _, s in got] == pytest.approx([s for _, s in whole[:limit]], abs=1e-5)


def test_min_score_counts_the_opening() -> None:
    index = SearchIndex.build([OPENS, LATER], arrays=False)
    [later] = [h for h in index.search("graph neural networks") if h.record.id == LATER.id]
    bar = later.score + scoring.OPENING_SHARE / 2 * later.parts["text"]
    kept = index.search("graph neural networks", min_score=bar)
    assert [h.record.id for h in kept] == [OPENS.id]
