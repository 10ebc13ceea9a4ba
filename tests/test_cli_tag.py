"""The tag, topics and eval commands: exact output per stream."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import DATA, EXAMPLE, GOLDEN, run

HF = str(GOLDEN / "hf-page.txt")


def test_tag_adds_tags_strongest_first_and_details() -> None:
    code, out, err = run("tag", HF)
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["tags"] for r in records] == [["moe"], ["pruning"], ["gnn"], []]
    assert records[0]["tag_details"]["moe"]["rules"] == ["title", "abstract", "related", "tfidf"]
    assert err.splitlines()[-1] == "tagged 3 of 4 papers with 20 topics"


def test_tag_chains_after_parse_and_jq_style_selection_works() -> None:
    _, parsed, _ = run("parse", "-q", HF)
    code, out, _ = run("tag", "-q", stdin=parsed)
    assert code == 0
    gnn = [
        json.loads(line)["title"] for line in out.splitlines() if "gnn" in json.loads(line)["tags"]
    ]
    assert gnn == ["Message Passing on Hypergraphs with Learned Edge Weights"]


def test_explain_says_why() -> None:
    code, out, _ = run("tag", "-q", "--explain", HF)
    assert code == 0
    assert "1. Routing Tokens to Fewer Experts: A Study of Sparse Gating\n" in out
    assert "   #moe  score 10: " in out
    assert "'Sparse Gating' in title" in out
    assert "   no topic\n" in out


def test_a_user_taxonomy_from_option_and_environment(tmp_path: Path, monkeypatch) -> None:
    topics = tmp_path / "mine.yaml"
    topics.write_text(
        "extends: none\ntopics:\n  heads:\n    name: Heads\n    phrases: [attention heads]\n"
    )
    _, out, _ = run("tag", "-q", "--topics", str(topics), HF)
    assert [json.loads(line)["tags"] for line in out.splitlines()] == [[], ["heads"], [], []]
    monkeypatch.setenv("PAPERTRIAGE_TOPICS", str(topics))
    _, from_env, _ = run("tag", "-q", HF)
    assert from_env == out


def test_a_taxonomy_in_the_config_directory_is_used(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "pt-home"
    home.mkdir()
    (home / "topics.yaml").write_text("drop: [moe]\n")
    monkeypatch.setenv("PAPERTRIAGE_HOME", str(home))
    _, out, _ = run("tag", "-q", HF)
    assert json.loads(out.splitlines()[0])["tags"] == []


def test_a_broken_taxonomy_is_one_precise_error(tmp_path: Path) -> None:
    topics = tmp_path / "bad.yaml"
    topics.write_text("topics:\n  moe:\n    name: M\n    phrases: mixture of experts\n")
    code, out, err = run("tag", "--topics", str(topics), HF)
    assert (code, out) == (2, "")
    assert err == (
        f"Error: {topics}:4: topic 'moe': phrases must be a list of strings (got a single "
        "string; did you forget the dash?)\n"
    )
    code, out, err = run("topics", "check", str(topics))
    assert code == 2 and err.startswith(f"Error: {topics}:4: ")


def test_topics_check_show_and_counts(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("drop: [snn]\ntopics:\n  x:\n    name: X\n    phrases: [x]\n")
    assert run("topics", "check", str(good))[:2] == (
        0,
        f"{good}: ok, 20 topics (1 new, 1 dropped from the default)\n",
    )
    code, out, _ = run("topics", "show", "moe", "--json")
    assert code == 0 and json.loads(out)["name"] == "Mixture of experts"
    code, _, err = run("topics", "show", "mixture")
    assert code == 2 and err.startswith("Error: unknown topic 'mixture' (did you mean 'moe'?")
    code, out, _ = run("topics", "-q", HF)
    counts = {row["topic"]: row["papers"] for row in map(json.loads, out.splitlines())}
    assert (counts["moe"], counts["pruning"], counts["gnn"], counts["snn"]) == (1, 1, 1, 0)
    code, out, _ = run("topics", "-f", "table")
    assert code == 0 and "distributed-training" in out


def test_topics_show_alone_gives_the_built_in_file_to_start_from(tmp_path: Path) -> None:
    code, out, err = run("topics", "show")
    assert (code, err) == (0, "") and out.startswith("# papertriage's default topic taxonomy.")
    mine = tmp_path / "mine.yaml"
    mine.write_text(out.replace("name: Mixture of experts", "name: Experts, mixed"))
    assert run("topics", "check", str(mine))[:2] == (
        0,
        f"{mine}: ok, 20 topics (0 new, 0 dropped from the default)\n",
    )
    code, out, _ = run("topics", "show", "moe", "--json", "--topics", str(mine))
    assert json.loads(out)["name"] == "Experts, mixed"
    code, _, err = run("topics", "show", "moe", "gnn")
    assert code == 2 and err.startswith("Error: 'topics show' takes one topic id, or none")


def test_eval_prints_figures_that_match_the_library() -> None:
    code, out, err = run("eval", "-q", "--json", str(DATA / "hf-labels.yaml"), str(EXAMPLE))
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["papers"] == 259
    assert set(result["topics"]) >= {"pruning", "moe", "gnn", "distributed-training"}
    moe = result["topics"]["moe"]
    assert moe["true_positives"] + moe["false_negatives"] == moe["support"] == 13
    assert 0.0 <= result["micro_f1"] <= 1.0
    code, out, _ = run("eval", "-q", "-f", "table", str(DATA / "hf-labels.yaml"), str(EXAMPLE))
    assert code == 0 and "micro-F1" in out


def test_eval_rejects_labels_with_unknown_topics(tmp_path: Path) -> None:
    labels = tmp_path / "labels.yaml"
    labels.write_text("'Pruning Attention Heads Without Retraining': [prunning]\n")
    code, _, err = run("eval", str(labels), HF)
    assert code == 2
    assert "Error: labels use topics the taxonomy does not have: prunning" in err
