"""Search: query syntax, BM25 against a brute-force reference, typos, acronyms, filters, order."""

from __future__ import annotations

import math

import pytest

from papertriage.errors import UsageError
from papertriage.models import Record
from papertriage.search.index import SearchIndex, parse_query, search_tokens
from papertriage.search.scoring import K1, TITLE_WEIGHT, B
from papertriage.search.synonyms import abbreviates
from papertriage.topics.tagger import tag_records
from papertriage.topics.taxonomy import default_taxonomy

PAPERS = [
    (
        "Sparse Mixture-of-Experts Routing at Scale",
        "We route tokens to experts with a learned gate and balance the load across experts.",
    ),
    (
        "Graph Neural Networks for Molecules",
        "Message passing over molecular graphs predicts properties of drug candidates.",
    ),
    (
        "Pruning Attention Heads",
        "We prune redundant heads after training and keep accuracy; pruning is cheap.",
    ),
    (
        "Tensor Parallel Training of Transformers",
        "Splitting each layer across GPUs lets us train larger models with tensor parallelism.",
    ),
    (
        "Data Pruning for Faster Training",
        "Removing easy examples from the training data saves compute without hurting accuracy.",
    ),
    (
        "A Survey of Optimizers",
        "We compare Adam, SGD and second-order optimizers on language modelling.",
    ),
]


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    records = [Record.create(t, a, source="s", position=i) for i, (t, a) in enumerate(PAPERS, 1)]
    return SearchIndex.build(tag_records(records, default_taxonomy()), default_taxonomy())


def titles(hits: list) -> list[str]:
    return [hit.record.title for hit in hits]


def test_query_syntax() -> None:
    query = parse_query('experts "load balancing" -survey title:routing tag:moe -tag:gnn')
    assert query.words == ("experts",)
    assert query.phrases == (("load", "balancing"),)
    assert query.excluded == ("survey",)
    assert query.title_words == ("routing",)
    assert (query.tags, query.not_tags) == (("moe",), ("gnn",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the query is empty"),
        ("   ", "the query is empty"),
        ("the of and", "has no words to search for"),
        ("?!;", "has no words to search for"),
        ("x" * 10_000, "the query is 10,000 characters long"),
        ("tag:", "tag: needs a topic id"),
        ("title:", "title: needs a word"),
    ],
)
def test_bad_queries_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_query(text)


def test_bm25_scores_equal_a_brute_force_reference(index: SearchIndex) -> None:
    index_without_topics = SearchIndex.build(index.records)
    query = "pruning training accuracy"
    terms = [t for t in search_tokens(query)]
    docs = [(search_tokens(r.title), search_tokens(r.abstract)) for r in index.records]
    lengths = [TITLE_WEIGHT * len(t) + len(a) for t, a in docs]
    average = sum(lengths) / len(lengths)
    expected = {}
    for number, (title, abstract) in enumerate(docs):
        score = 0.0
        found = sum(1 for term in set(terms) if term in title or term in abstract)
        for term in terms:
            tf = TITLE_WEIGHT * title.count(term) + abstract.count(term)
            df = sum(1 for t, a in docs if term in t or term in a)
            if tf:
                idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
                score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[number] / average))
        if score:  # coordination: the share of the query's words found
            expected[index.records[number].id] = score * (0.5 + 0.5 * found / len(set(terms)))
    hits = index_without_topics.search(query, limit=None)
    assert {hit.record.id: hit.score for hit in hits} == pytest.approx(expected)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_typos_are_corrected_against_the_corpus(index: SearchIndex) -> None:
    assert titles(index.search("mixure of exprts"))[0] == PAPERS[0][0]
    assert titles(index.search("grpah neural netwroks"))[0] == PAPERS[1][0]


def test_acronyms_and_phrases_find_each_other(index: SearchIndex) -> None:
    assert titles(index.search("MoE"))[0] == PAPERS[0][0]
    assert titles(index.search("GNN"))[0] == PAPERS[1][0]
    assert abbreviates("MoE", "mixture of experts") and not abbreviates("SparseGPT", "pruning")


def test_filters_and_exclusions(index: SearchIndex) -> None:
    assert PAPERS[4][0] not in titles(index.search("pruning -data", limit=None))
    assert titles(index.search("pruning title:data", limit=None)) == [PAPERS[4][0]]
    assert titles(index.search('"tensor parallelism"', limit=None)) == [PAPERS[3][0]]
    assert all("pruning" in hit.record.tags for hit in index.search("training tag:pruning"))
    assert PAPERS[2][0] not in titles(index.search("training -tag:pruning", limit=None))
    assert index.search("training", tags=["gnn"]) == [
        hit for hit in index.search("training tag:gnn")
    ]


def test_unknown_tags_suggest_the_closest(index: SearchIndex) -> None:
    with pytest.raises(UsageError, match="unknown tag 'moee'") as caught:
        index.search("experts tag:moee")
    assert "did you mean 'moe'?" in str(caught.value)


def test_ties_are_broken_by_id_and_results_are_stable(index: SearchIndex) -> None:
    twins = [
        Record.create(f"Identical Paper {n}", "Same words in every abstract here.")
        for n in ("b", "a", "c")
    ]
    twin_index = SearchIndex.build(twins)
    hits = twin_index.search("same words", limit=None)
    assert [h.record.id for h in hits] == sorted(h.record.id for h in hits)
    assert index.search("training") == index.search("training")


def test_limit_and_min_score(index: SearchIndex) -> None:
    everything = index.search("training", limit=None)
    assert index.search("training", limit=2) == everything[:2]
    threshold = everything[1].score
    assert all(hit.score >= threshold for hit in index.search("training", min_score=threshold))


@pytest.mark.parametrize(
    "query",
    [
        "mixture of experts",
        "mixure of exprts",
        "MoE",
        "graph nets",
        "tensor parallel",
        "pruning -data",
        "pruning title:network",
        '"lottery ticket"',
        "training tag:gnn",
        "tag:moe",
        "scaling laws -tag:llm",
        "quantizaton",
        "zzzzqqqq",
    ],
)
def test_array_postings_rank_exactly_like_the_dictionaries(query: str) -> None:
    from papertriage.listings.parse import parse_text
    from tests.helpers import EXAMPLE

    records = tag_records(parse_text(EXAMPLE.read_text(encoding="utf-8")), default_taxonomy())
    small = SearchIndex.build(records, default_taxonomy(), arrays=False)
    large = SearchIndex.build(records, default_taxonomy(), arrays=True)
    for limit in (10, None):
        expected = small.search(query, limit=limit)
        got = large.search(query, limit=limit)
        assert [h.record.id for h in got] == [h.record.id for h in expected]
        assert [h.score for h in got] == pytest.approx([h.score for h in expected], abs=1e-5)
        assert [h.matched for h in got] == [h.matched for h in expected]


@pytest.mark.parametrize(
    ("query", "not_named", "named"),
    [
        ("data pruning", "pruning", "data-efficiency"),  # pruning excludes "data pruning"
        ("sparse expert models", "sparsity", None),  # sparsity excludes "sparse expert"
        ("vision-language models", "llm", None),  # llm excludes "vision-language model"
    ],
)
def test_a_query_in_a_topics_excluded_sense_does_not_name_it(
    query: str, not_named: str, named: str | None
) -> None:
    index = SearchIndex.build([Record.create("A paper", "Some words.")], default_taxonomy())
    topics = index.plan(parse_query(query)).topic_ids
    assert not_named not in topics
    assert named is None or named in topics
    # The same words outside the excluded sense still name the topic.
    plain = {"data pruning": "pruning", "sparse expert models": "sparse models"}.get(
        query, "language models"
    )
    assert not_named in index.plan(parse_query(plain)).topic_ids


@pytest.mark.parametrize("arrays", [False, True])
def test_a_plural_in_es_finds_the_singular_and_back(arrays: bool) -> None:
    plural = Record.create("Deep Gaussian processes", "Stacked processes for regression.")
    singular = Record.create("A Gaussian process prior", "One process for regression.")
    other = Record.create("Regression trees", "Boxes and branches.")
    index = SearchIndex.build([plural, singular, other], arrays=arrays)
    for query in ("processes", "process", "gaussian processes"):
        found = {hit.record.id for hit in index.search(query, limit=None)}
        assert found == {plural.id, singular.id}, query
        assert all(
            hit.matched == ("process",)
            for hit in index.search(query)
            if query != "gaussian processes"
        )
    assert [h.record.id for h in index.search("box branch", limit=None)] == [other.id]


@pytest.mark.parametrize("arrays", [False, True])
def test_a_word_is_corrected_only_to_a_word_a_few_slips_away(arrays: bool) -> None:
    papers = [
        Record.create("Requirements for a prototype", "We list the requirements of users."),
        Record.create("Who will dominate the market", "Firms dominate, and we model it."),
    ]
    index = SearchIndex.build(papers, arrays=arrays)
    # As close by ratio (75) as the typos corrected below, but other words altogether.
    assert index.search("reinforcement", limit=None) == []
    assert index.search("dopamine", limit=None) == []
    assert index.plan(parse_query("requirment")).corrections == {"requirment": "requirement"}
    assert index.plan(parse_query("domniate")).corrections == {"domniate": "dominate"}
