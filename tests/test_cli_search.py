"""The search command: exit codes like grep, JSON for pipes, a table for people, the cache."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.helpers import EXAMPLE, GOLDEN, run

HF = str(GOLDEN / "hf-page.txt")


def test_search_json_has_rank_score_and_matched_terms() -> None:
    code, out, err = run("search", "experts routing", HF, "--json")
    assert code == 0
    [first] = json.loads(out)[:1]
    assert first["title"] == "Routing Tokens to Fewer Experts: A Study of Sparse Gating"
    assert (first["rank"], first["tags"]) == (1, ["moe"])
    assert set(first["matched"]) >= {"expert", "routing"}
    assert err.splitlines()[-1].endswith("papers match")


def test_the_count_is_of_every_paper_matching_not_of_those_shown() -> None:
    listing = str(EXAMPLE)
    code, out, err = run("search", "pruning", listing, "--json", "--limit", "3")
    every = json.loads(run("search", "pruning", listing, "--json", "--limit", "1000")[1])
    assert code == 0 and len(json.loads(out)) == 3 and len(every) > 3
    assert err.splitlines()[-1] == (f"{len(every)} of 259 papers match; the best 3 shown (--limit)")
    _, _, err = run("search", "pruning", listing, "--limit", "1000", "-f", "csv")
    assert err.splitlines()[-1] == f"{len(every)} of 259 papers match"


def test_no_match_exits_1_and_bad_queries_exit_2() -> None:
    assert run("search", "zzzyyxx", HF, "-q")[0] == 1
    code, out, err = run("search", "  ", HF)
    assert (code, out) == (2, "")
    assert err == 'Error: the query is empty (search for words, e.g. "mixture of experts")\n'
    code, _, err = run("search", "experts tag:gnnn", HF, "-q")
    assert code == 2 and err.startswith("Error: unknown tag 'gnnn' (did you mean 'gnn'?")


def test_example_queries_put_the_right_papers_on_top() -> None:
    expectations = {
        "mixure of exprts": "moe",
        "MoE": "moe",
        "graph nets": "gnn",
        "tensor parallel": "distributed-training",
    }
    for query, topic in expectations.items():
        code, out, _ = run("search", query, str(EXAMPLE), "-q", "--json", "-n", "3")
        assert code == 0, query
        assert all(topic in hit["tags"] for hit in json.loads(out)), query


def test_table_and_explain() -> None:
    code, out, _ = run("search", "message passing", HF, "-q", "-f", "table", "--explain")
    assert code == 0
    assert "Message Passing on Hypergraphs" in out
    assert "text " in out and "matched: " in out


def test_second_run_is_served_from_the_cache(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("PAPERTRIAGE_HOME", str(home))
    first = run("search", "pruning", HF, "--json")
    second = run("search", "pruning", HF, "--json")
    assert first[1] == second[1]
    assert "(tagged before; cached)" in second[2]
    entries = list((home / "cache" / "tagged").glob("*.jsonl"))
    assert len(entries) == 1
    # A different taxonomy is a different entry, never a stale one.
    topics = tmp_path / "t.yaml"
    topics.write_text("drop: [pruning]\n")
    code, out, _ = run("search", "pruning", HF, "--json", "--topics", str(topics))
    assert code == 0 and all("pruning" not in hit["tags"] for hit in json.loads(out))
    assert len(list((home / "cache" / "tagged").glob("*.jsonl"))) == 2
    # A damaged entry is ignored and rewritten.
    entries[0].write_text("{not json\n")
    assert run("search", "pruning", HF, "--json")[1] == first[1]


def test_an_unwritable_cache_is_only_a_warning(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "cache").write_text("a file where the cache directory should be")
    monkeypatch.setenv("PAPERTRIAGE_HOME", str(home))
    code, out, err = run("search", "pruning", HF, "--json")
    assert code == 0 and json.loads(out)
    assert "could not write the cache" in err


@pytest.mark.slow
def test_search_imports_scikit_learn_neither_on_first_contact_nor_cached(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, "PAPERTRIAGE_HOME": str(tmp_path / "home")}
    command = [
        sys.executable,
        "-c",
        (
            "import sys; from papertriage.cli import main; sys.argv = ['papertriage', 'search', "
            f"'pruning', {HF!r}, '-q', '--json']\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('sklearn' in sys.modules, file=sys.stderr)"
        ),
    ]
    first = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    second = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    # The first run tags (in plain Python, a small listing), the second reads the cache.
    assert first.stderr.strip() == second.stderr.strip() == "False"
    assert first.stdout == second.stdout


@pytest.mark.slow  # 5,439 papers: tagged by worker processes
def test_a_large_listing_keeps_its_index_in_the_cache(tmp_path: Path, monkeypatch) -> None:
    from papertriage.listings.parse import parse_text
    from papertriage.output.render import jsonl_lines

    base = parse_text(EXAMPLE.read_text(encoding="utf-8"))
    # Distinct arXiv ids: near-identical titles of different arXiv papers are never merged.
    copies = [
        r.with_changes(id=f"2401.{n:05d}", arxiv_id=f"2401.{n:05d}", title=f"{r.title} ({n})")
        for n, r in enumerate(base * 21)
    ]
    listing = tmp_path / "large.jsonl"
    listing.write_text("".join(jsonl_lines(copies)))
    home = tmp_path / "home"
    monkeypatch.setenv("PAPERTRIAGE_HOME", str(home))
    first = run("search", "mixture of experts", str(listing), "--json", "-q")
    assert first[0] == 0 and len(json.loads(first[1])) == 10
    [index_file] = (home / "cache" / "tagged").glob("*.index.npz")
    built = index_file.stat().st_mtime_ns
    second = run("search", "mixture of experts", str(listing), "--json", "-q")
    assert second == first
    assert index_file.stat().st_mtime_ns == built  # loaded, not built again


def test_csv_of_ranked_papers_has_the_columns_of_records_then_rank_score_matched() -> None:
    atom = str(GOLDEN / "arxiv-atom.xml")
    code, out, _ = run("search", "expert parallelism", atom, "-f", "csv", "-q", "--explain")
    assert code == 0
    header, row = out.splitlines()
    assert header == (
        "id,title,authors,arxiv_id,url,categories,date,source,position,tags,abstract,"
        "rank,score,matched,score_parts"
    )
    assert row.startswith(
        "2402.00001,Expert Parallelism at Scale,Lise Meitner; Chien-Shiung Wu,2402.00001,"
        "https://arxiv.org/abs/2402.00001,cs.DC cs.LG,2024-02-01,"
    )
    assert re.search(r",1,[0-9.]+,expert parallelism,text=[0-9.]+ phrase=[0-9.]+", row), row
    for command in (
        ["rank", str(EXAMPLE), "--like", "3ffe60e3"],
        ["similar", "3ffe60e3", str(EXAMPLE)],
    ):
        code, out, _ = run(*command, "-n", "1", "-f", "csv", "-q")
        assert out.splitlines()[0].endswith(",tags,abstract,rank,score,matched"), command
