"""Tags a reader corrects (`mark --tag/--untag`) are kept over every re-tagging, shown as set by
them, and judge the tagger (`eval --library`, `topics check`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from papertriage.library.corrections import corrected
from papertriage.models import Record
from tests.helpers import GOLDEN, run

LISTING = GOLDEN / "hf-page.txt"  # four papers: moe, pruning, gnn, and one untagged
ROUTING, PRUNING = "d61c0d8b887a", "1badebb37639"


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "lib.sqlite3"
    monkeypatch.setenv("PAPERTRIAGE_DB", str(path))
    assert run("add", str(LISTING), "-q")[0] == 0
    return path


def exported(*topics: str) -> dict[str, dict]:
    code, out, _ = run("export", "--format", "jsonl", "-q", *topics)
    assert code == 0
    return {item["id"]: item for item in map(json.loads, out.splitlines())}


def ids_tagged(topic: str) -> set[str]:
    code, out, _ = run("filter", "--tag", topic, "-q")
    assert code in (0, 1)
    return {json.loads(line)["id"] for line in out.splitlines()}


def test_a_correction_is_stored_shown_and_exported(library: Path) -> None:
    assert exported()[ROUTING]["tags"] == ["moe"]
    code, _, err = run("mark", ROUTING, "--tag", "sparsity", "--untag", "moe")
    assert code == 0 and "marked 1 paper" in err
    paper = exported()[ROUTING]
    assert paper["tags"] == ["sparsity"]  # the reader's topic first, the removed one gone
    assert paper["tag_details"]["sparsity"]["set_by"] == "you"
    assert "moe" not in paper["tag_details"]
    shown = json.loads(run("show", ROUTING, "--format", "json")[1])
    assert shown["corrections"] == {"moe": False, "sparsity": True}
    # The search index's topic bits follow at once.
    assert ROUTING in ids_tagged("sparsity") and ROUTING not in ids_tagged("moe")


def test_corrections_outlive_retagging_a_new_taxonomy_and_adding_again(
    library: Path, tmp_path: Path
) -> None:
    run("mark", ROUTING, "--tag", "sparsity", "--untag", "moe")
    run("mark", PRUNING, "--tag", "gnn")
    expected = {ROUTING: ["sparsity"], PRUNING: ["gnn", "pruning"]}
    assert run("retag", "-q")[0] == 0
    assert {pid: exported()[pid]["tags"] for pid in expected} == expected
    # A taxonomy that drops pruning and gnn re-tags the library: the reader's gnn stays.
    topics = tmp_path / "t.yaml"
    topics.write_text("drop: [pruning, gnn]\n")
    code, _, err = run("filter", "--tag", "moe", "--topics", str(topics))
    assert "re-tagging 4 papers" in err
    assert exported("--topics", str(topics))[PRUNING]["tags"] == ["gnn"]
    assert run("retag", "-q")[0] == 0  # back to the default taxonomy
    # The same listing added again, and a richer record of the paper: still corrected.
    assert run("add", str(LISTING), "-q")[0] == 0
    richer = tmp_path / "richer.jsonl"
    paper = exported()[ROUTING] | {"url": "https://example.org/routing", "tags": []}
    richer.write_text(json.dumps(paper) + "\n")
    code, _, err = run("add", str(richer))
    assert code == 0 and "1 updated" in err
    assert exported()[ROUTING]["url"] == "https://example.org/routing"
    assert {pid: exported()[pid]["tags"] for pid in expected} == expected


def test_a_topic_the_index_had_no_bit_for_is_found_after_a_reindex(library: Path) -> None:
    assert ids_tagged("snn") == set()
    run("mark", PRUNING, "--tag", "snn")
    assert ids_tagged("snn") == {PRUNING}
    code, out, _ = run("search", "tag:snn", "-q", "--format", "jsonl")
    assert code == 0 and [json.loads(line)["id"] for line in out.splitlines()] == [PRUNING]


def test_eval_library_judges_the_tagger_by_the_corrections(library: Path) -> None:
    run("mark", ROUTING, "--tag", "sparsity", "--untag", "moe")
    run("mark", PRUNING, "--tag", "pruning")  # the tagger agrees
    code, out, err = run("eval", "--library", "--format", "json")
    assert code == 0 and "2 corrected" in err
    result = json.loads(out)
    assert result["papers"] == 2
    assert result["topics"]["moe"]["false_positives"] == 1  # the tagger says moe; you said not
    assert result["topics"]["sparsity"]["false_negatives"] == 1
    assert result["topics"]["pruning"]["true_positives"] == 1
    assert set(result["topics"]) == {"moe", "sparsity", "pruning"}  # gnn: nothing said, not judged


def test_topics_check_lists_the_rules_the_corrections_contradict(library: Path) -> None:
    run("mark", ROUTING, "--untag", "moe", "--tag", "sparsity")
    code, out, err = run("topics", "check", "--format", "jsonl")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert {row["topic"] for row in rows} == {"moe", "sparsity"}
    assert {"topic": "sparsity", "rule": "missed", "text": "", "papers": 1} in rows
    fired = [row for row in rows if row["topic"] == "moe"]
    assert fired and all(row["papers"] == 1 for row in fired)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tag", "moee"], "unknown topic 'moee'"),
        (["--tag", "moe", "--untag", "moe"], "'moe' is given to --tag and to --untag"),
        ([], "nothing to mark"),
    ],
)
def test_bad_corrections_are_usage_errors_that_change_nothing(
    library: Path, args: list[str], message: str
) -> None:
    before = exported()
    code, out, err = run("mark", ROUTING, *args)
    assert code == 2 and message in err and not out
    assert exported() == before


def test_without_corrections_eval_library_and_topics_check_say_what_to_do(library: Path) -> None:
    code, _, err = run("eval", "--library")
    assert code == 2 and "no corrected tags" in err and "mark ID --tag" in err
    code, _, err = run("topics", "check")
    assert code == 2 and "no corrected tags" in err


def test_a_correction_taken_back_leaves_the_paper_to_the_tagger(
    library: Path, tmp_path: Path
) -> None:
    """`--forget` undoes --tag and --untag, also of a topic the taxonomy in force has dropped
    (which --untag refuses as unknown), and the paper is tagged again."""
    assert run("mark", ROUTING, "--untag", "moe", "--tag", "gnn", "-q")[0] == 0
    assert exported()[ROUTING]["tags"] == ["gnn"]
    topics = tmp_path / "no-gnn.yaml"
    topics.write_text("drop: [gnn]\n")
    code, _, err = run("mark", ROUTING, "--untag", "gnn", "--topics", str(topics))
    assert code == 2 and "unknown topic 'gnn'" in err
    code, _, err = run(
        "mark", ROUTING, "--forget", "gnn", "--forget", "moe", "--topics", str(topics)
    )
    assert code == 0 and "took back 2 correction(s)" in err
    code, out, _ = run("export", "--format", "jsonl", "-q", "--topics", str(topics))
    routing = next(p for p in map(json.loads, out.splitlines()) if p["id"] == ROUTING)
    assert routing["tags"] == ["moe"]  # the tagger's own verdict, no correction left
    assert "set_by" not in json.dumps(routing["tag_details"])
    assert run("mark", ROUTING, "--forget", "moe", "--tag", "moe")[0] == 2
    code, _, err = run("mark", ROUTING, "--forget", "mo")  # a typo must not pass for done
    assert code == 2 and "no correction of 'mo' on this paper" in err


def test_show_writes_a_paper_as_markdown_or_the_documented_csv(library: Path) -> None:
    run("mark", ROUTING, "--star", "-q")
    code, out, _ = run("show", ROUTING, "-f", "md")
    assert code == 0 and out.startswith("- [ ] Routing Tokens to Fewer Experts") and "★" in out
    code, out, _ = run("show", ROUTING, "-f", "csv")
    header, row = out.splitlines()[:2]
    assert header.startswith("id,title,authors,") and header.endswith(",status,starred,notes")
    assert row.startswith(f"{ROUTING},Routing Tokens") and ",moe," in row and ",true," in row


def test_corrected_lays_the_readers_word_over_the_taggers() -> None:
    record = Record.create("T", "A").with_changes(
        tags=("moe", "llm"), tag_details={"moe": {"score": 5.0}, "llm": {"score": 4.0}}
    )
    changed = corrected(record, {"llm": True, "moe": False, "gnn": True})
    assert changed.tags == ("llm", "gnn")
    assert changed.tag_details == {
        "llm": {"score": 4.0, "set_by": "you"},
        "gnn": {"set_by": "you"},
    }
    assert corrected(record, {}) is record


def test_undefined_figures_are_none_not_a_perfect_score() -> None:
    """A topic no paper was tagged with has no precision, one no label names no recall."""
    from papertriage.topics.evaluate import Evaluation, TopicScore

    missed, unnamed, right = (
        TopicScore("a", 0, 0, 1),
        TopicScore("b", 0, 0, 0),
        TopicScore("c", 2, 0, 0),
    )
    assert missed.shown() == {"precision": None, "recall": 0.0, "f1": 0.0}
    assert unnamed.shown() == {"precision": None, "recall": None, "f1": None}
    assert right.shown() == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    figures = Evaluation([missed, unnamed, right], papers=3, unmatched_labels=[]).to_dict()
    assert figures["topics"]["b"]["precision"] is None and figures["macro_f1"] == 0.5
