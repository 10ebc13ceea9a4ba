#!/usr/bin/env python3
"""Relevance of `papertriage search` on a judged query set, next to SQLite FTS5 with BM25.

The queries (tests/data/hf-queries.yaml) were judged by reading the papers of the example listing:
each names its kind (topic, typo, acronym, paraphrase, known-item) and its relevant papers with a
grade (2 highly relevant, 1 partially). For every query both systems rank the same records:

* papertriage: SearchIndex over the tagged records (default taxonomy), top 10;
* FTS5: an in-memory SQLite FTS5 table (porter tokenizer), the query's words OR-ed, ranked by
  bm25() with the title weighted 2:1 against the abstract, top 10.

It prints nDCG@10 (gain 2^grade - 1) and MRR (first paper of grade >= 1) per kind and overall.
Targets: nDCG@10 above FTS5 on topic queries; >= 0.75 on typo queries; MRR >= 0.95 on known-item
look-ups. A missed target prints FAIL but still exits 0.

    python bench/relevance.py
    python bench/relevance.py --queries 5      # the first five queries only (a quick check)
"""

from __future__ import annotations

import argparse
import math
import re
import sqlite3
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from papertriage.errors import UsageError
from papertriage.listings.parse import parse_text
from papertriage.models import Record, normalize_title
from papertriage.search.index import SearchIndex
from papertriage.topics.tagger import Tagger
from papertriage.topics.taxonomy import default_taxonomy

ROOT = Path(__file__).resolve().parents[1]
LISTING = ROOT / "examples" / "hf-papers-listing.txt"
QUERIES = ROOT / "tests" / "data" / "hf-queries.yaml"
DEPTH = 10
KINDS = ("topic", "typo", "acronym", "paraphrase", "known-item")

Ranker = Callable[[str], list[str]]  # query -> ids, best first


def ndcg(ranked: Sequence[str], grades: dict[str, int], depth: int = DEPTH) -> float:
    dcg = sum(
        (2 ** grades.get(pid, 0) - 1) / math.log2(i + 2) for i, pid in enumerate(ranked[:depth])
    )
    ideal = sorted(grades.values(), reverse=True)[:depth]
    best = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def reciprocal_rank(ranked: Sequence[str], grades: dict[str, int]) -> float:
    for i, pid in enumerate(ranked):
        if grades.get(pid, 0) >= 1:
            return 1.0 / (i + 1)
    return 0.0


def papertriage_ranker(records: list[Record]) -> Ranker:
    index = SearchIndex.build(records, default_taxonomy())

    def rank(query: str) -> list[str]:
        try:
            return [hit.record.id for hit in index.search(query, limit=DEPTH)]
        except UsageError:  # a query of stop words alone ("other"): refused, so nothing found
            return []

    return rank


def fts5_ranker(records: list[Record]) -> Ranker:
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE papers USING fts5(id UNINDEXED, title, abstract, tokenize='porter')"
    )
    db.executemany(
        "INSERT INTO papers VALUES (?, ?, ?)", [(r.id, r.title, r.abstract) for r in records]
    )

    def rank(query: str) -> list[str]:
        words = re.findall(r"\w+", query)
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        rows = db.execute(
            "SELECT id FROM papers WHERE papers MATCH ? ORDER BY bm25(papers, 0.0, 2.0, 1.0) "
            "LIMIT ?",
            (match, DEPTH),
        ).fetchall()
        return [row[0] for row in rows]

    return rank


def load_queries(limit: int | None, records: list[Record]) -> list[tuple[str, str, dict[str, int]]]:
    by_title = {normalize_title(r.title): r.id for r in records}
    queries = []
    for item in yaml.safe_load(QUERIES.read_text(encoding="utf-8"))[:limit]:
        grades = {}
        for title, grade in item["relevant"].items():
            key = normalize_title(title)
            if key not in by_title:
                raise SystemExit(f"error: judged title not in the listing: {title!r}")
            grades[by_title[key]] = int(grade)
        queries.append((item["kind"], item["query"], grades))
    return queries


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=None, help="use only the first N queries")
    args = parser.parse_args(argv)
    records = Tagger(default_taxonomy()).tag(parse_text(LISTING.read_text(encoding="utf-8")))
    queries = load_queries(args.queries, records)
    systems = {"papertriage": papertriage_ranker(records), "fts5": fts5_ranker(records)}
    scores: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for kind, query, grades in queries:
        for name, rank in systems.items():
            ranked = rank(query)
            for key in (kind, "all"):
                scores[name, key]["ndcg"].append(ndcg(ranked, grades))
                scores[name, key]["mrr"].append(reciprocal_rank(ranked, grades))
    print(f"relevance on {len(records)} papers, {len(queries)} judged queries, depth {DEPTH}")
    print(
        f"{'kind':12s} {'queries':>7s}  {'nDCG@10':>8s} {'(fts5)':>8s}  {'MRR':>6s} {'(fts5)':>7s}"
    )
    for kind in (*KINDS, "all"):
        ours, theirs = scores["papertriage", kind], scores["fts5", kind]
        if not ours["ndcg"]:
            continue
        print(
            f"{kind:12s} {len(ours['ndcg']):7d}  {statistics.mean(ours['ndcg']):8.3f} "
            f"{statistics.mean(theirs['ndcg']):8.3f}  {statistics.mean(ours['mrr']):6.3f} "
            f"{statistics.mean(theirs['mrr']):7.3f}"
        )

    def mean(system: str, kind: str, metric: str) -> float:
        values = scores[system, kind][metric]
        return statistics.mean(values) if values else float("nan")

    checks = [
        (
            "topic nDCG@10 above FTS5",
            mean("papertriage", "topic", "ndcg") > mean("fts5", "topic", "ndcg"),
        ),
        ("typo nDCG@10 >= 0.75", mean("papertriage", "typo", "ndcg") >= 0.75),
        ("known-item MRR >= 0.95", mean("papertriage", "known-item", "mrr") >= 0.95),
    ]
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
