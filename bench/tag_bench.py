#!/usr/bin/env python3
"""Benchmark tagging with the default taxonomy, next to parsing, and the taxonomy's load time.

The synthetic Hugging Face style listing of bench/parse_bench.py is reused (same real sentences,
same seed). For each size the script times, in this process (best of --repeat):

* parse: papertriage.listings.inputs.read_listing(path, ReadOptions()).records
* tag:   papertriage.topics.tagger.Tagger(default_taxonomy()).tag(records)

Before any timing it loads the default taxonomy (it is cached per process) and imports
scikit-learn's text features (the TF-IDF rule imports them on first use); the import time is
reported on its own line and is not part of the tag seconds.

The taxonomy's load time is measured in fresh child processes: (a) the default_taxonomy(cache)
call alone, after importing papertriage.topics.taxonomy, with the taxonomy compiled in that cache
(what every command pays but the first), and (b) the import plus the call without a cache, where
PyYAML is imported and the file read and checked (what the first run pays). Each is the median of
5 children.

Targets: 100000 records tagged in under 20 s (scaled linearly for other sizes); default taxonomy
load (a) under 30 ms. A missed target prints FAIL but still exits 0; only a broken run (say, a
wrong record count or a failing child) exits non-zero.

    python bench/tag_bench.py                        # 10000 and 100000 records
    python bench/tag_bench.py --records 300
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papertriage.listings.inputs import ReadOptions, read_listing
from papertriage.models import Record
from papertriage.topics.tagger import Tagger
from papertriage.topics.taxonomy import default_taxonomy

# The listing generator and the small helpers live in parse_bench.py, beside this file; the bench
# directory is not a package, so put it on the path (it is already there when run as a script).
sys.path.insert(0, str(Path(__file__).resolve().parent))
import parse_bench
from parse_bench import MB, SEED, BenchError, check_count, positive_int, progress, verdict

REPO_ROOT = parse_bench.REPO_ROOT
TAG_TARGET_SECONDS = 20.0  # for TAG_TARGET_RECORDS records, at most; scaled linearly
TAG_TARGET_RECORDS = 100_000
LOAD_TARGET_MS = 30.0  # default_taxonomy() in a fresh process, at most
LOAD_RUNS = 5  # child processes per load measurement; the median counts

# Child programs for the load time. Each prints milliseconds; perf_counter brackets only the
# part being measured, so interpreter start-up and site imports are never included.
LOAD_CALL_ONLY = """\
import sys, time
from pathlib import Path
import papertriage.topics.taxonomy as topics
start = time.perf_counter()
topics.default_taxonomy(Path(sys.argv[1]))
print((time.perf_counter() - start) * 1000)
"""
LOAD_WITH_IMPORT = """\
import time
start = time.perf_counter()
import papertriage.topics.taxonomy as topics
topics.default_taxonomy()
print((time.perf_counter() - start) * 1000)
"""


@dataclass(frozen=True)
class Result:
    """Everything measured for one listing size."""

    records: int
    file_bytes: int
    parse_seconds: float
    tag_seconds: float
    tagged: int  # records that received at least one tag

    @property
    def parse_rps(self) -> float:
        return self.records / self.parse_seconds

    @property
    def parse_mbps(self) -> float:
        return self.file_bytes / MB / self.parse_seconds

    @property
    def tag_rps(self) -> float:
        return self.records / self.tag_seconds

    @property
    def tag_parse_ratio(self) -> float:
        return self.tag_seconds / self.parse_seconds

    @property
    def target_seconds(self) -> float:
        return target_seconds(self.records)

    @property
    def tag_ok(self) -> bool:
        return self.tag_seconds < self.target_seconds


def target_seconds(records: int) -> float:
    """The tagging budget for `records` records: the 100k target, scaled linearly."""
    return TAG_TARGET_SECONDS * records / TAG_TARGET_RECORDS


# --- in-process timing ----------------------------------------------------------------------


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """The best wall time of `repeat` runs of `work`, and the result of the last run."""
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None  # free the previous result first, so it does not burden this run's GC
        gc.collect()  # start every run without the garbage of the one before
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return max(best, 1e-9), result


def parse_records(path: str) -> list[Record]:
    return read_listing(path, ReadOptions()).records


def tag_records(records: list[Record]) -> list[Record]:
    """The measured tagging call; the taxonomy is already cached, so this is a lookup."""
    return Tagger(default_taxonomy()).tag(records)


def warm_up() -> float:
    """Load the default taxonomy and import scikit-learn's text features, so neither is timed as
    tagging. Returns the import time in seconds (its first import in this process)."""
    default_taxonomy()
    if "sklearn" in sys.modules:
        progress("note: scikit-learn was already imported; its import time reads near zero")
    start = time.perf_counter()
    import sklearn.feature_extraction.text  # noqa: F401  (the TF-IDF rule's import)

    return time.perf_counter() - start


def bench_size(records: int, corpus: parse_bench.Corpus, workdir: Path, repeat: int) -> Result:
    """Generate a listing of `records` papers, parse and tag it, then delete it."""
    path = workdir / f"hf-{records}.txt"
    progress(f"[{records}] writing the synthetic listing ...")
    size = parse_bench.write_listing(path, corpus, records)
    progress(f"[{records}] {size / MB:.1f} MB; timing parse (best of {repeat}) ...")
    parse_seconds, parsed = best_of(repeat, lambda: parse_records(str(path)))
    check_count("read_listing", len(parsed), records)
    path.unlink()
    progress(f"[{records}] timing tag (best of {repeat}) ...")
    tag_seconds, tagged = best_of(repeat, lambda: tag_records(parsed))
    check_count("Tagger.tag", len(tagged), records)
    with_tags = sum(1 for record in tagged if record.tags)
    progress(f"[{records}] parse {parse_seconds:.2f} s, tag {tag_seconds:.2f} s")
    return Result(records, size, parse_seconds, tag_seconds, with_tags)


# --- taxonomy load time, in fresh child processes -------------------------------------------


def child_ms(program: str, *args: str) -> float:
    """Run `program` in a fresh interpreter and return the milliseconds it prints."""
    command = [sys.executable, "-c", program, *args]
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=120, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"load-time child failed ({done.returncode}):\n{done.stderr.strip()}")
    try:
        return float(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError) as error:
        raise BenchError(f"load-time child printed no time: {done.stdout!r}") from error


def median_ms(program: str, *args: str, runs: int = LOAD_RUNS) -> float:
    """The median of `runs` fresh-process measurements (robust to one slow, cold start)."""
    return statistics.median(child_ms(program, *args) for _ in range(runs))


# --- the report -----------------------------------------------------------------------------


COLUMNS = (
    ("records", 9),
    ("file MB", 8),
    ("parse s", 8),
    ("parse records/s", 16),
    ("parse MB/s", 11),
    ("tag s", 8),
    ("tag records/s", 14),
    ("tag/parse", 10),
    ("tagged", 8),
    ("tagged %", 9),
    ("target s", 9),
    ("tag", 5),
)


def table_row(result: Result) -> list[str]:
    return [
        str(result.records),
        f"{result.file_bytes / MB:.1f}",
        f"{result.parse_seconds:.2f}",
        f"{result.parse_rps:,.0f}",
        f"{result.parse_mbps:.1f}",
        f"{result.tag_seconds:.2f}",
        f"{result.tag_rps:,.0f}",
        f"{result.tag_parse_ratio:.1f}",
        str(result.tagged),
        f"{100 * result.tagged / result.records:.1f}",
        f"{result.target_seconds:.1f}",
        verdict(result.tag_ok),
    ]


def format_table(results: Sequence[Result]) -> str:
    """Right-aligned columns; every row starts with the record count."""
    rows = [[name for name, _ in COLUMNS], *(table_row(result) for result in results)]
    return "\n".join(
        " ".join(cell.rjust(width) for cell, (_, width) in zip(row, COLUMNS, strict=True))
        for row in rows
    )


def print_report(
    results: Sequence[Result], repeat: int, import_seconds: float, load_ms: float, full_ms: float
) -> None:
    print(
        f"papertriage tag benchmark: Python {sys.version.split()[0]}, best of {repeat}, "
        f"seed {SEED}, MB = 10^6 bytes"
    )
    print(
        f"target: tag {TAG_TARGET_RECORDS} records in < {TAG_TARGET_SECONDS:.0f} s, scaled "
        f"linearly for other sizes (target s = {TAG_TARGET_SECONDS:.0f} * n / "
        f"{TAG_TARGET_RECORDS}, i.e. >= "
        f"{TAG_TARGET_RECORDS / TAG_TARGET_SECONDS:,.0f} records/s)"
    )
    print(
        "tag s = Tagger(default_taxonomy()).tag(records), taxonomy already loaded and "
        "scikit-learn already imported; tag/parse = tag s / parse s"
    )
    print(format_table(results))
    print(
        f"scikit-learn import (sklearn.feature_extraction.text, first in this process, "
        f"not in tag s): {import_seconds * 1000:.0f} ms"
    )
    print(
        f"default taxonomy load, fresh process, median of {LOAD_RUNS}: "
        f"(a) default_taxonomy(cache) call, compiled {load_ms:.1f} ms "
        f"(target < {LOAD_TARGET_MS:.0f} ms) "
        f"{verdict(load_ms < LOAD_TARGET_MS)}"
    )
    print(
        f"default taxonomy load, fresh process, median of {LOAD_RUNS}: "
        f"(b) import papertriage.topics.taxonomy + call, YAML read and checked {full_ms:.1f} ms "
        "(the first run's; for information)"
    )


# --- command line ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records",
        type=positive_int,
        nargs="+",
        default=[10_000, 100_000],
        help="listing sizes to benchmark, in papers (default: 10000 100000)",
    )
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=1,
        help="timed runs of parse and tag per size; the best counts (default: 1)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        progress("warming up: default taxonomy, scikit-learn import ...")
        import_seconds = warm_up()
        corpus = parse_bench.load_corpus(parse_bench.EXAMPLE)
        progress(f"corpus: {len(corpus.titles)} titles, {len(corpus.sentences)} sentences")
        results = []
        with tempfile.TemporaryDirectory(prefix="papertriage-tag-bench-") as workdir:
            for records in args.records:
                results.append(bench_size(records, corpus, Path(workdir), args.repeat))
            progress(f"timing the default taxonomy load in {2 * LOAD_RUNS} child processes ...")
            compiled_in = str(Path(workdir) / "cache")
            child_ms(LOAD_CALL_ONLY, compiled_in)  # compiles the taxonomy into that cache
            load_ms = median_ms(LOAD_CALL_ONLY, compiled_in)
            full_ms = median_ms(LOAD_WITH_IMPORT)
    except (BenchError, subprocess.TimeoutExpired) as error:
        print(f"tag_bench: error: {error}", file=sys.stderr)
        return 2
    print_report(results, args.repeat, import_seconds, load_ms, full_ms)
    print(f"total time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
