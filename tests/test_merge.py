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
