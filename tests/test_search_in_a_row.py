"""Search: a paper holding the words typed in a row ranks above one with the same words apart,
on every index, for every limit, with the gain shown in the score's parts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import papertriage.search.scoring as scoring
from papertriage.models import Record
from papertriage.search.index import SearchIndex, parse_query
from papertriage.tokens import holds_in_a_row, tokenize
from papertriage.topics.tagger import tag_records
from papertriage.topics.taxonomy import default_taxonomy

FILLER = "We report results on standard benchmarks."
# The same words in each title and abstract, in different orders: only their order differs.
APART = Record.create("Mixture Models of Routing and Experts", f"Gates of experts. {FILLER}")
IN_TITLE = Record.create("Routing and Mixture of Experts Models", f"Gates of experts. {FILLER}")
IN_BOTH = Record.create("Routing and Mixture of Experts Models", f"A mixture of experts. {FILLER}")


def both_indexes(records: list[Record]) -> list[SearchIndex]:
    return [
        SearchIndex.build(records, default_taxonomy(), arrays=False),
        SearchIndex.build(records, default_taxonomy(), arrays=True),
    ]


@pytest.mark.parametrize("arrays", [False, True])
def test_the_words_in_a_row_rank_first_and_the_gain_is_a_share_of_the_text_score(
    arrays: bool,
) -> None:
    records = [APART, IN_TITLE]
    index = SearchIndex.build(records, arrays=arrays)
    hits = index.search("mixture of experts", limit=None)
    assert [h.record.id for h in hits] == [IN_TITLE.id, APART.id]
    first, second = hits
    assert "phrase" not in second.parts
    assert first.parts["text"] == pytest.approx(second.parts["text"], abs=1e-6)
    assert first.parts["phrase"] == pytest.approx(
        scoring.TITLE_IN_A_ROW * first.parts["text"], abs=1e-5
    )
    assert first.score == pytest.approx(first.parts["text"] + first.parts["phrase"], abs=1e-5)
    # In the abstract too: a further, smaller share.
    [both] = SearchIndex.build([IN_BOTH], arrays=arrays).search("mixture of experts")
    share = scoring.TITLE_IN_A_ROW + scoring.ABSTRACT_IN_A_ROW
    assert both.parts["phrase"] == pytest.approx(share * both.parts["text"], abs=1e-5)
    # The words typed in another order, or one word alone, gain nothing.
    assert all("phrase" not in h.parts for h in index.search("experts of mixture", limit=None))
    assert all("phrase" not in h.parts for h in index.search("experts", limit=None))


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("mixture of experts", ("mixture", "of", "expert")),
        ("the lottery tickets of", ("lottery", "ticket")),
        ("a survey", ()),  # one word of content
        ("pruning", ()),
        ("mixure of exprts", ("mixture", "of", "expert")),  # corrected first
        ('"sparse models" routing gates', ("routing", "gate")),  # quoted words are a filter
    ],
)
def test_the_words_looked_for_in_a_row(query: str, words: tuple[str, ...]) -> None:
    records = [*both_indexes([APART, IN_TITLE])[0].records]
    records.append(Record.create("Lottery tickets in pruning", "Sparse models, routing gates."))
    index = SearchIndex.build(records, default_taxonomy(), arrays=False)
    assert index.plan(parse_query(query)).in_a_row == words


@pytest.fixture(scope="module")
def example() -> list[Record]:
    from papertriage.listings.parse import parse_text
    from tests.helpers import EXAMPLE

    return tag_records(parse_text(EXAMPLE.read_text(encoding="utf-8")), default_taxonomy())


@pytest.mark.parametrize("pool", [scoring.IN_A_ROW_POOL, 3])
@pytest.mark.parametrize(
    "query", ["mixture of experts", "graph neural networks", '"language models" mixture of experts']
)
def test_every_limit_and_index_give_the_same_order(
    pool: int, query: str, example: list[Record], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pool of 3 puts its edge among the first results: still the same answers everywhere.
    monkeypatch.setattr(scoring, "IN_A_ROW_POOL", pool)
    small, large = both_indexes(example)
    whole = [(h.record.id, h.score) for h in small.search(query, limit=None)]
    assert any("phrase" in h.parts for h in small.search(query, limit=None))
    for index in (small, large):
        for limit in (1, 2, 5, 10, None):
            got = [(h.record.id, h.score) for h in index.search(query, limit=limit)]
            assert [i for i, _ in got] == [i for i, _ in whole[:limit]], (limit, index.arrays)
            assert [s for _, s in got] == pytest.approx([s for _, s in whole[:limit]], abs=1e-5)
    gained = [h for h in small.search(query, limit=None) if "phrase" in h.parts]
    assert len(gained) <= pool


@pytest.mark.parametrize("arrays", [False, True])
def test_min_score_counts_the_gain(arrays: bool) -> None:
    index = SearchIndex.build([APART, IN_TITLE], arrays=arrays)
    [apart_hit] = [h for h in index.search("mixture of experts") if h.record.id == APART.id]
    bar = apart_hit.score * (1 + scoring.TITLE_IN_A_ROW / 2)  # above the text score alone
    kept = index.search("mixture of experts", min_score=bar)
    assert [h.record.id for h in kept] == [IN_TITLE.id]


# Texts made of a few words that share beginnings, plurals, digits, separators and some letters
# beyond ASCII: the fast reading must agree with tokenising the whole text.
PIECES = [
    "mixture",
    "Mixtures",
    "of",
    "OF",
    "expert",
    "experts",
    "expertise",
    "inexpert",
    "gpus",
    "loss",
    "status",
    "x2",
    "2x",
    "Ünder",
    "naïve",
    "İstanbul",
    "ß",
]
SEPARATORS = [" ", "-", "_", ", ", "(", ")", "/", "  ", "'s ", ".\n"]


@given(
    st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)), max_size=12),
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=3),
)
@settings(max_examples=400, deadline=None)
def test_holding_words_in_a_row_agrees_with_tokenising_the_whole_text(
    pieces: list[tuple[str, str]], typed: list[str]
) -> None:
    text = "".join(piece + separator for piece, separator in pieces)
    words = tokenize(" ".join(typed))
    expected = f" {' '.join(words)} " in f" {' '.join(tokenize(text))} "
    assert holds_in_a_row(text, words) == expected, (text, words)
