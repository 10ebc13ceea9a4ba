"""filter, rank (profiles and --like) and similar."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from papertriage.errors import InputError, UsageError
from papertriage.models import Record
from papertriage.search.rank import Profile, find_record, load_profile, rank_by_profile, rank_like
from papertriage.topics.taxonomy import default_taxonomy
from tests.helpers import EXAMPLE, GOLDEN, run

HF = str(GOLDEN / "hf-page.txt")


def rec(title: str, abstract: str = "", tags: tuple[str, ...] = ()) -> Record:
    return Record.create(title, abstract, tags=tags)


def test_profile_scores_topics_and_phrases_title_counting_double() -> None:
    records = [
        rec("A Sparse Expert Model", "about routing", ("moe",)),
        rec("A Survey of Everything", "sparse things", ("llm",)),
        rec("Plain Paper", "nothing relevant"),
    ]
    profile = Profile({"moe": 2.0, "llm": -1.0}, favourite=("sparse",), unwanted=("survey",))
    hits = rank_by_profile(records, profile)
    assert [(h.record.title, h.score) for h in hits] == [
        ("A Sparse Expert Model", 4.0),  # moe 2 + "sparse" in title 2
        ("Plain Paper", 0.0),
        ("A Survey of Everything", -2.0),  # llm -1 + "sparse" in abstract 1 - "survey" title 2
    ]
    assert hits[0].parts == {"topics": 2.0, "favourite": 2.0}


def test_profile_mistakes_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "me.yaml"
    path.write_text("topics:\n  moe: 2\n  pruing: 1\n")
    with pytest.raises(
        InputError,
        match=r"me\.yaml:3: topics: unknown topic 'pruing' "
        r"\(did you mean 'pruning'\?",
    ):
        load_profile(str(path), default_taxonomy().ids)
    path.write_text("favourite: sparse\n")
    with pytest.raises(InputError, match="did you forget the dash"):
        load_profile(str(path), default_taxonomy().ids)
    path.write_text("topic: {moe: 1}\n")
    with pytest.raises(InputError, match="unknown key 'topic'"):
        load_profile(str(path), default_taxonomy().ids)


def test_like_ranks_by_similarity_and_leaves_the_liked_paper_out() -> None:
    records = [
        rec("Mixture of Experts Routing", "experts routing gates tokens load balance " * 8),
        rec("Sparse Expert Layers", "experts gates tokens routing sparse layers " * 8),
        rec("Graph Learning", "graphs nodes edges message passing molecules " * 8),
    ]
    hits = rank_like(records, [records[0]])
    assert [h.record.title for h in hits] == ["Sparse Expert Layers"]  # the graph paper scores 0


def test_ids_accept_unique_prefixes() -> None:
    records = [rec("Alpha Paper"), rec("Beta Paper")]
    assert find_record(records, records[0].id[:6]) == records[0]
    with pytest.raises(UsageError, match="no paper with id 'zzz'"):
        find_record(records, "zzz")
    clash = [Record.create("x").with_changes(id="abc1"), Record.create("y").with_changes(id="abc2")]
    with pytest.raises(UsageError, match="'abc' is the start of 2 ids"):
        find_record(clash, "abc")


def test_filter_command() -> None:
    code, out, err = run("filter", HF, "--tag", "gnn")
    assert code == 0
    assert [json.loads(line)["title"] for line in out.splitlines()] == [
        "Message Passing on Hypergraphs with Learned Edge Weights"
    ]
    assert err.splitlines()[-1] == "1 of 4 papers kept"
    assert run("filter", HF, "--match", "hypergraph|attention heads", "-q")[1].count("\n") == 2
    assert run("filter", HF, "--tag", "snn", "-q")[0] == 1
    code, _, err = run("filter", HF, "--tag", "gnnn")
    assert code == 2 and "unknown topic 'gnnn'" in err
    code, _, err = run("filter", HF, "--match", "(")
    assert code == 2 and err.startswith("Error: --match: invalid regex '('")


def test_rank_and_similar_commands(tmp_path: Path) -> None:
    profile = tmp_path / "me.yaml"
    profile.write_text("topics: {gnn: 3}\n")
    code, out, _ = run("rank", HF, "--profile", str(profile), "--json", "-q")
    assert code == 0 and json.loads(out)[0]["tags"] == ["gnn"]
    code, _, err = run("rank", HF)
    assert code == 2 and "rank needs --profile FILE, --like ID or --learned" in err
    _, listing, _ = run("parse", "-q", str(EXAMPLE))
    first_id = json.loads(listing.splitlines()[0])["id"]
    code, out, err = run("similar", first_id[:8], str(EXAMPLE), "--json", "-n", "3")
    assert code == 0 and len(json.loads(out)) == 3
    assert "papers like: DynamicCity" in err
    code, out, _ = run("rank", str(EXAMPLE), "--like", first_id, "--json", "-q", "-n", "3")
    assert code == 0 and [h["id"] for h in json.loads(out)] == [
        h["id"]
        for h in json.loads(run("similar", first_id, str(EXAMPLE), "--json", "-q", "-n", "3")[1])
    ]


def test_a_profile_watches_authors_whatever_their_case(tmp_path: Path) -> None:
    path = tmp_path / "me.yaml"
    path.write_text("authors:\n  Ada  Lovelace: 4\n  charles babbage: -1\n")
    profile = load_profile(str(path), default_taxonomy().ids)
    assert profile.authors == {"ada lovelace": 4.0, "charles babbage": -1.0}
    papers = [
        Record.create("Engines", "x", authors=("Charles Babbage",)),
        Record.create("Notes", "y", authors=("ADA LOVELACE", "Someone Else")),
        Record.create("Other", "z"),
    ]
    hits = rank_by_profile(papers, profile, limit=None)
    assert [(h.record.title, h.score) for h in hits] == [
        ("Notes", 4.0),
        ("Other", 0.0),
        ("Engines", -1.0),
    ]
    assert hits[0].matched == ("ADA LOVELACE",) and hits[0].parts["authors"] == 4.0
    path.write_text("authors:\n  Ada Lovelace: many\n")
    with pytest.raises(InputError, match=r"authors\.Ada Lovelace must be a number"):
        load_profile(str(path), default_taxonomy().ids)
