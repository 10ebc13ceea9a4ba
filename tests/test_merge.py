"""Records of the same paper are merged; different papers never are."""

from __future__ import annotations

import random

from rapidfuzz import fuzz

from papertriage.listings.merge import NEAR_DUPLICATE_SCORE, _may_reach, merge_duplicates
from papertriage.models import Record
from tests.helpers import imported_by


def rec(title: str, abstract: str = "", **fields: object) -> Record:
    return Record.create(title, abstract, **fields)


def test_same_arxiv_id_across_versions_is_one_paper_and_the_richer_record_wins() -> None:
    bare = rec("Expert Routing", arxiv_id="2402.00001v1", source="a.txt", position=3)
    rich = rec(
        "Expert Routing Revisited",
        "A long abstract.",
        arxiv_id="2402.00001v2",
        authors=["Ada"],
        source="b.txt",
        position=1,
    )
    result = merge_duplicates([bare, rich])
    assert result.merged == 1
    [merged] = result.records
    assert (merged.title, merged.abstract, merged.authors) == (
        "Expert Routing Revisited",
        "A long abstract.",
        ("Ada",),
    )
    assert (merged.source, merged.position) == ("a.txt", 3)  # where it was first seen


def test_titles_equal_after_normalisation_merge_and_fill_missing_fields() -> None:
    hf = rec("Pruning Heads: A Study", "Abstract from the HF page, longer than the other one.")
    arxiv = rec("pruning heads -- a study", "Short.", arxiv_id="2401.12345", categories=["cs.LG"])
    [merged] = merge_duplicates([hf, arxiv]).records
    assert merged.id == "2401.12345"  # the arXiv id is known now, so it becomes the id
    assert merged.categories == ("cs.LG",)


def test_near_identical_titles_merge() -> None:
    a = rec("Scaling Laws for Sparsely Connected Foundation Models")
    b = rec("Scaling Laws for Sparsely-Connected Foundation Model")
    assert merge_duplicates([a, b]).merged == 1


def test_similar_titles_of_different_papers_stay_apart() -> None:
    a = rec("Graph Neural Networks for Molecules: Part I", arxiv_id="2301.00001")
    b = rec("Graph Neural Networks for Molecules: Part II", arxiv_id="2301.00002")
    c = rec("Graph Neural Networks for Proteins")
    assert merge_duplicates([a, b, c]).merged == 0
    same_title_two_ids = [
        rec("Introduction", arxiv_id="2301.1"),
        rec("Introduction", arxiv_id="2302.2"),
    ]
    assert merge_duplicates(same_title_two_ids).merged == 0


def test_order_is_kept_and_many_records_merge_quickly() -> None:
    rng = random.Random(7)
    words = [f"w{i}" for i in range(5000)]
    titles = [" ".join(rng.sample(words, 8)) for _ in range(20_000)]
    records = [rec(t) for t in titles] + [rec(t.upper()) for t in titles[:100]]
    result = merge_duplicates(records)
    assert result.merged == 100
    assert [r.title for r in result.records] == titles


def test_the_bound_never_rejects_a_pair_rapidfuzz_accepts() -> None:
    rng = random.Random(5)
    accepted = 0
    for _ in range(20_000):
        title = "".join(rng.choices("abcde ", k=rng.randint(1, 40)))
        edited = list(title)
        for _ in range(rng.randint(0, 3)):  # a few insertions, deletions and substitutions
            place = rng.randrange(len(edited) + 1)
            choice = rng.random()
            if choice < 0.4 and edited:
                edited.pop(min(place, len(edited) - 1))
            elif choice < 0.8:
                edited.insert(place, rng.choice("abcde "))
            elif edited:
                edited[min(place, len(edited) - 1)] = rng.choice("abcde ")
        other = "".join(edited)
        if fuzz.ratio(title, other, score_cutoff=NEAR_DUPLICATE_SCORE):
            accepted += 1
            assert _may_reach(title, other), (title, other)
    assert accepted > 1000  # the pairs did reach the threshold often


def test_merging_a_days_listing_does_not_import_rapidfuzz() -> None:
    program = (
        "from tests.helpers import example_records\n"
        "from papertriage.listings.merge import merge_duplicates\n"
        "merge_duplicates(example_records())\n"
    )
    assert imported_by(program, ("rapidfuzz",)) == []


def test_titles_a_letter_or_a_number_apart_are_different_papers() -> None:
    # As a reference manager exports standards and their parts: alike, but not one paper.
    specs = [rec(f"Specification of the XPB-{part} Benchmark Suite") for part in "CEH"]
    assert merge_duplicates(specs).merged == 0
    parts = [rec(f"Graph Neural Networks for Molecules: Part {n}") for n in ("I", "II")]
    assert merge_duplicates(parts).merged == 0  # without arXiv ids to tell them apart
    years = [rec(f"Annual Review of Sparse Training Methods {year}") for year in (2019, 2020)]
    assert merge_duplicates(years).merged == 0
    for a, b in (("CNNs", "RNNs"), ("BERT", "BART")):  # a letter of an acronym is another name
        pair = [rec(f"Fine-Tuning {name} for Abstractive Summaries of Papers") for name in (a, b)]
        assert merge_duplicates(pair).merged == 0


def test_a_title_with_one_more_word_is_another_paper() -> None:
    paper = rec(
        "Lake Effect Snowfall and Regional Growth in Utah: a structural equation approach",
        date="2011-05-01",
    )
    reply = rec(
        "Lake Effect Snowfall and Regional Growth in Utah: a structural equation approach: Reply",
        date="2014-02-01",
    )
    assert merge_duplicates([paper, reply]).merged == 0
    search_tree = rec(
        "Balanced Digital Search Trees for Longest Prefix Matching in High Speed Internet Routers"
    )
    trees = rec("Balanced Digital Trees for Longest Prefix Matching in High Speed Internet Routers")
    assert merge_duplicates([search_tree, trees]).merged == 0


def test_one_title_by_authors_without_a_surname_in_common_is_two_papers() -> None:
    first = rec("Sports Analytics Methods for Match Outcome Prediction", authors=["J. Papadakis"])
    first = first.with_changes(authors=("Ioannis Papadakis", "Eleni Markou"))
    second = rec("Sports analytics methods for match-outcome prediction", authors=["Nora Veli"])
    result = merge_duplicates([first, second])
    assert result.merged == 0
    assert [r.authors for r in result.records] == [
        ("Ioannis Papadakis", "Eleni Markou"),
        ("Nora Veli",),
    ]
    # Nor can a record without authors join the two through itself, in either order.
    bare = rec("Sports Analytics Methods for Match Outcome Prediction")
    assert merge_duplicates([bare, first, second]).merged == 1
    assert merge_duplicates([first, bare, second]).merged == 1
    # A third copy of the second paper still finds it, past the first.
    again = rec("Sports Analytics Methods for Match Outcome Prediction", authors=["N. Veli"])
    assert [len(r.authors) for r in merge_duplicates([first, second, again]).records] == [2, 1]


def test_surnames_are_compared_without_case_accents_or_first_names() -> None:
    a = rec("Routing Tokens to Experts", authors=["Zoë Müller", "Kai Oshiro"])
    b = rec("Routing tokens to experts", authors=["Z. MULLER"])
    c = rec("Routing Tokens to Experts", authors=["Oshiro, Kai"])
    assert merge_duplicates([a, b, c]).merged == 2


def test_an_arxiv_id_decides_before_the_authors() -> None:
    a = rec("Expert Routing", arxiv_id="2402.00001", authors=["Ada Lovelace"])
    b = rec("Expert Routing", arxiv_id="2402.00001v2", authors=["Lovelace, A.", "Alan Turing"])
    c = rec("Expert Routing", arxiv_id="2402.00001", authors=["Someone Else"])  # a bad export
    assert merge_duplicates([a, b, c]).merged == 2
    d = rec("Expert Routing", arxiv_id="2402.00002", authors=["Ada Lovelace"])
    e = rec("Expert Routing")  # no id: it may join one of them, never both
    assert merge_duplicates([a, e, d]).merged == 1
    assert merge_duplicates([a, d, e]).merged == 1


def test_spelling_variants_of_one_title_still_merge() -> None:
    base = "Adaptive Sparse Attention for Efficient Long Context Transformers"
    variants = [
        "Adaptive Sparse Attention for Efficent Long Context Transformers",  # a typo
        "Adaptive Sparse Atention for Efficient Long Context Transformers",  # a dropped letter
        "Adaptive Sparse Attention for Efficient Long Context Transformer",  # a plural
        "Adaptive Sparse Attention for Efficient Long-Context Transformers",  # a hyphen
        "Adaptive Sparse Attention for Efficient Longcontext Transformers",  # joined up
        "Adaptive sparse attention: for efficient long context transformers.",  # punctuation
        "Adaptive Sparse Attention for Efficient Long Context Transformers - Optimisation"[:-15],
    ]
    for variant in variants:
        assert merge_duplicates([rec(base), rec(variant)]).merged == 1, variant
    strategy = "Learning Rate Strategies for Training Very Large Mixture of Experts Models"
    assert merge_duplicates([rec(strategy), rec(strategy.replace("ies", "y"))]).merged == 1


def test_overlapping_or_missing_authors_still_merge() -> None:
    title = "Adaptive Sparse Attention for Efficient Long Context Transformers"
    a = rec(title, authors=["Ada Lovelace", "Alan Turing"])
    b = rec(title.lower() + "!", authors=["Alan Turing", "Grace Hopper"])
    c = rec(title.replace("Efficient", "Efficent"))  # no authors
    result = merge_duplicates([a, b, c])
    assert result.merged == 2
    assert result.records[0].authors == ("Ada Lovelace", "Alan Turing")
