"""bench/unseen.py runs on a tiny venue corpus, and judges papers by their authors' keywords."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_bench

pytestmark = pytest.mark.slow  # a benchmark script in a subprocess

# Two papers a venue, in each split's venues: their keywords decide what they are about.
PAPERS = [
    ("Pruning Filters for Efficient ConvNets", "We prune filters of a network.", "pruning"),
    ("Graph Convolutional Networks at Scale", "Message passing over graphs.", "graph neural"),
]


def corpus(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for venue in ("iclr2017", "colm2024", "iclr2018", "colm2025"):
            for number, (title, abstract, keywords) in enumerate(PAPERS):
                item = {"venue": venue, "id": f"{venue}-{number}", "title": title}
                item |= {"abstract": abstract, "keywords": f"{keywords}; deep learning"}
                out.write(json.dumps(item) + "\n")
            unjudged = {"venue": venue, "id": f"{venue}-x", "title": "No Keywords", "abstract": "."}
            out.write(json.dumps(unjudged) + "\n")
    return path


def test_unseen_bench_reports_both_splits_beside_its_baselines(tmp_path: Path) -> None:
    done = run_bench(
        "unseen.py", "--corpus", str(corpus(tmp_path / "c.jsonl")), "--min-papers", "2"
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "8 judged papers" in out  # the papers without keywords are left out
    assert "## tune split: 4 papers" in out and "## report split: 4 papers" in out
    assert "naive recall" in out and "FTS5" in out and "nDCG@10" in out
    assert "search, 3 keyword queries" in out  # pruning, graph neural, deep learning
    assert "judged with plurals and hyphens folded (a diagnostic, no target)" in out


def test_one_split_with_each_query_beside_fts5(tmp_path: Path) -> None:
    path = str(corpus(tmp_path / "c.jsonl"))
    done = run_bench(
        "unseen.py", "--corpus", path, "--min-papers", "2", "--split", "tune", "--per-query"
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "## tune split" in out and "report split" not in out
    for query, relevant in (("pruning", 2), ("graph neural", 2), ("deep learning", 4)):
        row = re.search(
            rf"^ +([+-]\d\.\d{{3}}) +(\d\.\d{{3}}) +(\d\.\d{{3}}) +{relevant}  {query}$", out, re.M
        )
        assert row, f"no row for {query!r}:\n{out}"
        difference, ours, fts5 = (float(value) for value in row.groups())
        assert abs(difference - (ours - fts5)) < 0.002


def test_keywords_decide_the_positives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import unseen

    papers = unseen.load_papers(corpus(tmp_path / "c.jsonl"))
    by_topic = {f.topic: f for f in unseen.tag_figures(papers)}
    assert by_topic["pruning"].positives == 4 and by_topic["gnn"].positives == 4
    assert by_topic["pruning"].naive_recall == 1.0  # "prune" is in the text too
    queries = dict(unseen.queries_of(papers, 2, 10))
    assert queries["deep learning"] == {p.record.id for p in papers}
    assert len(queries["pruning"]) == 4


def test_a_missing_corpus_is_a_clear_error(tmp_path: Path) -> None:
    done = run_bench("unseen.py", "--corpus", str(tmp_path / "none.jsonl"))
    assert done.returncode == 2 and "no corpus at" in done.stderr and not done.stdout


def test_the_margin_interval_holds_the_margin_and_widens_with_spread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import unseen

    same = [(0.6, 0.5)] * 20  # every query the same margin: nothing to resample
    assert unseen.margin_interval(same) == pytest.approx((0.1, 0.1))
    spread = [(1.0, 0.0), (0.0, 1.0)] * 10  # margins +1 and -1: mean 0, wide
    low, high = unseen.margin_interval(spread)
    assert -0.5 < low < 0.0 < high < 0.5
    assert unseen.margin_interval(spread) == (low, high)  # seeded: the same every run


def test_the_recall_interval_holds_the_recall(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import unseen

    def topic(found: tuple[bool, ...]) -> unseen.TopicFigures:
        recall = sum(found) / len(found)
        return unseen.TopicFigures("t", len(found), recall, 1.0, recall, 1.0, found)

    assert unseen.recall_interval([topic((True,) * 20)]) == (1.0, 1.0)
    low, high = unseen.recall_interval([topic((True, False) * 10), topic((True,) * 20)])
    assert 0.6 < low < 0.75 < high < 0.9  # the mean of 0.5 and 1.0, give or take


def test_other_venues_from_paperlists_files_make_named_splits(tmp_path: Path) -> None:
    # Two venue files as papercopilot/paperlists writes them: a JSON array of paper objects.
    for venue in ("corl2024", "ijcai2023"):
        items = [
            {"id": f"{venue}-{n}", "title": title, "abstract": abstract, "keywords": keywords}
            for n, (title, abstract, keywords) in enumerate(PAPERS)
        ]
        items.append({"id": "x", "title": "No Keywords", "abstract": "Text.", "keywords": ""})
        items.append(items[0])  # a paper listed twice
        (tmp_path / f"{venue}.json").write_text(json.dumps(items), encoding="utf-8")
    files = [str(tmp_path / "corl2024.json"), str(tmp_path / "ijcai2023.json")]
    output = tmp_path / "dev.jsonl"
    made = run_bench("paperlists_corpus.py", *files, "-o", str(output))
    assert made.returncode == 0, made.stderr
    assert "4 judged papers (corl2024 2, ijcai2023 2); 2 repeated ids left out" in made.stdout
    ids = [json.loads(line)["id"] for line in output.read_text(encoding="utf-8").splitlines()]
    assert ids == [f"{venue}/{venue}-{n}" for venue in ("corl2024", "ijcai2023") for n in (0, 1)]
    again = run_bench("paperlists_corpus.py", *files, "-o", str(output))
    assert again.returncode == 2 and "exists" in again.stderr  # kept, not overwritten

    done = run_bench(
        "unseen.py", "--corpus", str(output), "--min-papers", "1",
        "--venues", "robots=corl2024", "--venues", "ai=ijcai2023", "--split", "robots",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "## robots split: 2 papers (corl2024)" in done.stdout
    assert "## ai split" not in done.stdout and "## tune split" not in done.stdout
    unknown = run_bench("unseen.py", "--corpus", str(output), "--split", "robots")
    assert unknown.returncode == 2 and "no split 'robots' (splits: tune, report)" in unknown.stderr


def test_the_folded_judge_forgives_word_form_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import unseen
    from papertriage.models import Record

    def paper(number: int, *keywords: str) -> unseen.Paper:
        return unseen.Paper(Record.create(f"Paper {number}", "Text."), "corl2024", keywords)

    papers = [
        paper(1, "legged robot", "locomotion"),
        paper(2, "retrieval augmented generation"),
        paper(3, "robotics"),
        paper(4, "legged robots"),
    ]
    ids = [p.record.id for p in papers]
    queries = [("legged robots", {ids[3]}), ("retrieval-augmented generation", set())]
    queries.append(("robots", {ids[3]}))
    judged = dict(unseen.folded_queries(papers, queries))
    assert judged["legged robots"] == {ids[0], ids[3]}
    assert judged["retrieval-augmented generation"] == {ids[1]}
    assert judged["robots"] == {ids[0], ids[3]}  # "robotics" is another word
    assert unseen.folded("Mixture-of-Experts models") == "mixture of expert model"
    assert unseen.folded("process analysis bias") == "process analysis bias"


def test_a_corpus_whose_ids_repeat_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    lines = [
        {"venue": f"ijcai{year}", "id": "paper1", "title": f"T{year}", "abstract": "A."}
        | {"keywords": "pruning"}
        for year in (2023, 2024)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    done = run_bench("unseen.py", "--corpus", str(path), "--venues", "all=ijcai2023,ijcai2024")
    assert done.returncode == 2 and not done.stdout
    assert "1 ids repeat, the first 'paper1'" in done.stderr and "Traceback" not in done.stderr
