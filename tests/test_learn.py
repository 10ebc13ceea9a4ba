"""Learned ranking: the model, the similarity fallback, explanations, and `rank --learned`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from papertriage.learn.model import (
    MODEL,
    SIMILARITY,
    Features,
    NothingToLearn,
    placing_words,
    rank_learned,
    split_by_state,
)
from papertriage.models import Record
from tests.helpers import GOLDEN, run


def rec(title: str, abstract: str) -> Record:
    return Record.create(title, abstract)


EXPERTS = [
    rec("Sparse Mixture of Experts Routing", "experts routing gates tokens load balancing"),
    rec("Expert Choice Routing", "tokens choose experts; routing with capacity and load"),
    rec("Scaling Mixture of Experts", "many experts and sparse routing of tokens at scale"),
]
GRAPHS = [
    rec("Graph Neural Networks for Molecules", "message passing over graph nodes and edges"),
    rec("Scalable Graph Learning", "graph nodes sampled; edges partitioned for message passing"),
]
CANDIDATES = [
    rec("Routing Tokens to Experts Efficiently", "experts and routing of tokens with gates"),
    rec("Message Passing on Large Graphs", "graph nodes and edges with message passing"),
    rec("A Study of Optimisers", "learning rates and momentum for training"),
]


def test_the_model_ranks_like_the_liked_papers_first_and_like_the_skipped_last() -> None:
    ranked = rank_learned(CANDIDATES, EXPERTS, GRAPHS, limit=None)
    assert ranked.ranker.kind == MODEL
    assert [h.record.title for h in ranked.hits] == [
        "Routing Tokens to Experts Efficiently",
        "A Study of Optimisers",
        "Message Passing on Large Graphs",
    ]
    scores = [h.score for h in ranked.hits]
    assert 0 < scores[2] < 0.5 < scores[0] < 1  # probabilities
    favoured, against = ranked.ranker.top_words(3)
    assert {w for w, _ in favoured} & {"expert", "routing", "token"}
    assert {w for w, _ in against} & {"graph", "message", "node", "edge"}
    top = ranked.hits[0]
    assert top.matched == placing_words(ranked.reasons[top.record.id])
    assert {w for w, _ in ranked.reasons[top.record.id].for_} & {"expert", "routing"}
    last = ranked.reasons[ranked.hits[2].record.id]
    assert not last.for_ or last.against  # a graph paper is placed by words against


def test_liked_papers_only_fall_back_to_similarity() -> None:
    ranked = rank_learned(CANDIDATES, EXPERTS[:1], [], limit=None)
    assert ranked.ranker.kind == SIMILARITY
    assert ranked.hits[0].record.title == "Routing Tokens to Experts Efficiently"
    assert ranked.hits[0].score > 0 == ranked.hits[1].score == ranked.hits[2].score
    assert ranked.hits[0].parts.keys() == {SIMILARITY}
    assert ranked.ranker.top_words(5)[1] == []  # nothing weighs against


def test_nothing_liked_is_an_error_saying_what_to_do() -> None:
    with pytest.raises(NothingToLearn, match=r"no paper is starred or marked read \(star papers"):
        rank_learned(CANDIDATES, [], GRAPHS)


def test_labelled_papers_are_not_ranked_and_ties_break_by_id() -> None:
    twins = [rec("Same Words", "alpha beta"), rec("Same Words Too", "alpha beta")]
    ranked = rank_learned([*twins, EXPERTS[0]], EXPERTS[:1], [], limit=None)
    assert EXPERTS[0].id not in {h.record.id for h in ranked.hits}
    assert [h.record.id for h in ranked.hits] == sorted(h.record.id for h in ranked.hits)


def test_states_split_into_liked_and_skipped() -> None:
    a, b, c, d = (rec(t, "") for t in "abcd")
    states = {a.id: ("read", False, ()), b.id: ("skip", True, ()), c.id: ("skip", False, ())}
    assert split_by_state([a, b, c, d], states) == ([a, b], [c])


def test_features_drop_words_of_one_paper_only_on_larger_corpora() -> None:
    few = Features(EXPERTS)
    assert "balancing" in set(few.words)
    many = Features([rec(f"Paper {i}", f"common words here unique{i}") for i in range(60)])
    assert "common" in set(many.words) and "unique7" not in set(many.words)


# -- the command ---------------------------------------------------------------------------

HF = str(GOLDEN / "hf-page.txt")


def _library(tmp_path: Path) -> str:
    db = str(tmp_path / "lib.sqlite3")
    assert run("add", "-q", "--db", db, HF)[0] == 0
    return db


def _ids(db: str) -> dict[str, str]:
    _, out, _ = run("filter", "--db", db, "-q", "--format", "jsonl")
    return {json.loads(line)["title"]: json.loads(line)["id"] for line in out.splitlines()}


def test_rank_learned_without_liked_papers_is_an_error(tmp_path: Path) -> None:
    db = _library(tmp_path)
    code, out, err = run("rank", "--learned", "--db", db)
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        "Error: nothing to learn from: no paper is starred or marked read (star papers you "
        "like with `papertriage mark ID --star`, or mark those you read with --status read)"
    )


def test_rank_learned_on_the_library_and_on_a_listing(tmp_path: Path) -> None:
    db = _library(tmp_path)
    ids = _ids(db)
    graph = next(i for t, i in ids.items() if "Hypergraphs" in t)
    assert run("mark", "--db", db, "-q", graph, "--star")[0] == 0
    code, out, err = run("rank", "--learned", "--db", db, "--format", "json", "--explain")
    assert code == 0, err
    assert "ranking by similarity to the 1 liked one(s)" in err
    assert "words for: " in err
    rows = json.loads(out)
    assert graph not in {row["id"] for row in rows}  # what you liked is not ranked again
    assert set(rows[0]["reasons"]) == {"for", "against"}
    assert rows[0]["matched"] and rows[0]["score_parts"].keys() == {"similarity"}
    code, out, _ = run("rank", "--learned", "--db", db, "-q", "-f", "csv", "--explain", "-n", "1")
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert list(row)[-5:] == ["rank", "score", "matched", "score_parts", "reasons"]
    assert row["id"] == rows[0]["id"] and row["matched"] == " ".join(rows[0]["matched"])
    assert row["score_parts"] == f"similarity={rows[0]['score_parts']['similarity']}"
    placed = [*rows[0]["reasons"]["for"], *rows[0]["reasons"]["against"]]
    assert row["reasons"] == " ".join(f"{w['word']}={w['weight']}" for w in placed)
    code, out, _ = run("rank", "--learned", "--db", db, "-q", "-f", "csv", "-n", "1")
    assert code == 0 and out.splitlines()[0].endswith(",abstract,rank,score,matched")
    skipped = [i for i in ids.values() if i != graph][:1]
    assert run("mark", "--db", db, "-q", *skipped, "--status", "skip")[0] == 0
    code, out, err = run("rank", "--learned", HF, "--db", db, "-q", "--format", "jsonl")
    assert code == 0 and err == ""
    ranked = [json.loads(line)["id"] for line in out.splitlines()]
    assert graph not in ranked and skipped[0] not in ranked
    assert len(ranked) == len(ids) - 2


def test_rank_needs_exactly_one_way_to_rank(tmp_path: Path) -> None:
    code, out, err = run("rank", HF, "--learned", "--like", "x")
    assert (code, out) == (2, "")
    assert err == (
        "Error: rank needs --profile FILE, --like ID or --learned (one of them) "
        "(e.g. rank listing.txt --like 2303.08867)\n"
    )


def test_a_judged_paper_is_not_ranked_under_another_id() -> None:
    """A listing can know a library paper by its title only (a Hugging Face page has no arXiv
    ids) or by its arXiv id under a reworded title: either way it was judged already."""
    liked = Record.create(EXPERTS[0].title, EXPERTS[0].abstract, arxiv_id="2401.00001")
    skipped = GRAPHS[0]
    by_title = rec(liked.title.upper() + "!", liked.abstract)  # a title-hash id
    by_arxiv = Record.create("Graph Networks for Molecules, revised", "", arxiv_id="2401.00002")
    skipped = Record.create(skipped.title, skipped.abstract, arxiv_id="2401.00002")
    assert by_title.id != liked.id and by_arxiv.title != skipped.title
    ranked = rank_learned([by_title, by_arxiv, *CANDIDATES], [liked], [skipped], limit=None)
    assert {h.record.title for h in ranked.hits} == {r.title for r in CANDIDATES}
