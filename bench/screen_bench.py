#!/usr/bin/env python3
"""Benchmark one step of `papertriage screen`: save the answer, retrain, re-rank, pick the next.

A library of synthetic papers is built (deterministically) from the real titles and abstract
sentences of examples/hf-papers-listing.txt, with the generator of bench/parse_bench.py. A paper
counts as relevant when it mentions experts (about one in ten). The session starts as a user's
would after some triage: 5 relevant and 20 irrelevant papers already answered. Then, for --steps
steps, the script times in this process

* step:     Screening.answer(paper, its label) + Screening.current(): the answer written to the
            SQLite library (one transaction), the logistic regression retrained on every answer
            so far, every paper re-scored (one sparse matrix-vector product) and the next picked
* random:   the same answer written to the library, then a random unanswered paper picked (the
            cost of screening without a model: the baseline, measured in the same run)
* score:    the sparse matrix-vector product alone (the floor of any re-ranking)

and prints the median and 95th percentile of each in milliseconds, the step/random ratio, and the
one-off cost of a session (loading the library and fitting the TF-IDF).

Target: median step < 200 ms at 10000 papers. A missed target prints FAIL but still exits 0; only
a broken run exits non-zero.

    python bench/screen_bench.py                     # 10000 papers, 50 steps
    python bench/screen_bench.py --records 300 --steps 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# The listing generator and the small helpers live in parse_bench.py, beside this file; the bench
# directory is not a package, so put it on the path (it is already there when run as a script).
sys.path.insert(0, str(Path(__file__).resolve().parent))
import parse_bench
from papertriage.learn.model import Features, split_by_state
from papertriage.learn.screening import Screening
from papertriage.library.store import Library
from papertriage.models import Record
from parse_bench import SEED, BenchError, positive_int, progress, verdict

STEP_TARGET_MS = 200.0  # median step at 10000 papers, at most
PRIOR_RELEVANT, PRIOR_IRRELEVANT = 5, 20


def make_records(count: int, seed: int = SEED) -> list[Record]:
    corpus = parse_bench.load_corpus(parse_bench.EXAMPLE)
    rng = random.Random(seed)
    return [
        Record.create(
            parse_bench.make_title(rng, corpus),
            parse_bench.make_abstract(rng, corpus),
            source="synthetic",
            position=index + 1,
        )
        for index in range(count)
    ]


def is_relevant(record: Record) -> bool:
    return "expert" in f"{record.title} {record.abstract}".lower()


def percentile_ms(seconds: Sequence[float], fraction: float) -> float:
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] * 1000


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def run(records: int, steps: int) -> dict[str, object]:
    papers = make_records(records)
    relevant = [p for p in papers if is_relevant(p)]
    irrelevant = [p for p in papers if not is_relevant(p)]
    if len(relevant) <= PRIOR_RELEVANT or len(irrelevant) < PRIOR_IRRELEVANT + 2 * steps:
        raise BenchError(f"{records} papers are too few for {steps} steps")
    with tempfile.TemporaryDirectory(prefix="papertriage-screen-bench-") as workdir:
        library = Library(Path(workdir) / "library.sqlite3")
        progress(f"[{records}] adding {records} synthetic papers to a library ...")
        library.add(papers)
        library.mark([p.id for p in relevant[:PRIOR_RELEVANT]], starred=True)
        library.mark([p.id for p in irrelevant[:PRIOR_IRRELEVANT]], status="skip")
        progress(f"[{records}] starting a session ...")
        Features(papers[:5]).train([papers[0].id], [papers[1].id])  # imports, not timed
        start = time.perf_counter()
        stored = library.records()
        load_seconds = time.perf_counter() - start
        start = time.perf_counter()
        features = Features(stored)
        fit_seconds = time.perf_counter() - start
        liked, skipped = split_by_state(stored, library.states())
        session = Screening(
            stored, features, {r.id for r in liked}, {r.id for r in skipped}, {}, library
        )
        truth = {p.id for p in relevant}
        step_times = []
        paper = session.current()
        progress(f"[{records}] timing {steps} screening steps ...")
        for _ in range(steps):
            assert paper is not None
            answered = paper

            def step(answered: Record = answered) -> None:
                nonlocal paper
                session.answer(answered.id, "relevant" if answered.id in truth else "skip")
                paper = session.current()

            step_times.append(timed(step))
        rng = random.Random(SEED)
        untouched = [r.id for r in stored if not session.decided(r.id)]
        random_times = []
        for _ in range(steps):
            paper_id = untouched.pop(rng.randrange(len(untouched)))

            def random_step(paper_id: str = paper_id) -> None:
                library.screen(paper_id, "skip")
                rng.choice(untouched)

            random_times.append(timed(random_step))
        assert session.ranker is not None
        weights = session.ranker.weights
        score_times = [timed(lambda: features.matrix @ weights) for _ in range(steps)]
        found = session.progress().relevant - PRIOR_RELEVANT
        library.close()
    return {
        "records": records,
        "features": features.matrix.shape[1],
        "load_s": load_seconds,
        "fit_s": fit_seconds,
        "step": step_times,
        "random": random_times,
        "score": score_times,
        "found": found,
        "model": session.ranker.kind,
    }


def print_report(result: dict[str, object], steps: int) -> None:
    step, rand, score = result["step"], result["random"], result["score"]
    assert isinstance(step, list) and isinstance(rand, list) and isinstance(score, list)
    median = percentile_ms(step, 0.5)
    print(
        f"papertriage screen step benchmark: Python {sys.version.split()[0]}, {steps} steps, "
        f"seed {SEED}, after {PRIOR_RELEVANT} relevant + {PRIOR_IRRELEVANT} skipped answers"
    )
    print(
        f"papers {result['records']}, TF-IDF features {result['features']}; "
        f"session start (once): load library {result['load_s']:.2f} s, fit TF-IDF "
        f"{result['fit_s']:.2f} s (scikit-learn imported before)"
    )
    print(f"{'':>8} {'median ms':>10} {'p95 ms':>8}")
    for name, times in (("step", step), ("random", rand), ("score", score)):
        print(f"{name:>8} {percentile_ms(times, 0.5):>10.1f} {percentile_ms(times, 0.95):>8.1f}")
    ratio = statistics.median(step) / max(statistics.median(rand), 1e-9)
    print(
        f"step/random (median) {ratio:.1f}x; relevant found in {steps} model steps: "
        f"{result['found']} ({result['model']})"
    )
    print(
        f"target: median step < {STEP_TARGET_MS:.0f} ms at 10000 papers: {median:.1f} ms "
        f"{verdict(median < STEP_TARGET_MS)}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records", type=positive_int, default=10_000, help="papers (default: 10000)"
    )
    parser.add_argument("--steps", type=positive_int, default=50, help="steps timed (default: 50)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        result = run(args.records, args.steps)
    except BenchError as error:
        print(f"screen_bench: error: {error}", file=sys.stderr)
        return 2
    print_report(result, args.steps)
    print(f"total time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
