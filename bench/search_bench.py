#!/usr/bin/env python3
"""Benchmark `papertriage search` against SQLite FTS5, end to end and at scale.

Every figure is printed next to a baseline measured in the same run:

1. End to end. `python -m papertriage search "mixture of experts" examples/hf-papers-listing.txt
   --format jsonl` with $PAPERTRIAGE_HOME set to a fresh directory: the first (cold cache) run,
   then the median of --repeat warm runs. Baseline: a small script, run the same way, that splits
   the same listing into title/abstract pairs, loads them into an in-memory FTS5 table (porter
   tokenizer), ORs the query's words, ranks by bm25() with the title weighted 2:1 and prints the
   top 10 titles. Target: warm median <= 1.5 x the baseline median.
2. Start-up. `papertriage --help` against the --help of a bare Typer app with one command, median
   of --repeat runs each. Target: at most 30 ms slower.
3. Scale. For each --records size the synthetic listing of bench/parse_bench.py is parsed and
   tagged (seconds reported, not compared); then SearchIndex.build is timed against building an
   in-memory FTS5 table of the same records, and the latency of 24 queries (16 topic queries, 8
   with typos; limit 10; each timed once after one warm-up pass) is reported as median and p95
   for both. Targets at >= 1,000,000 records: median <= 20 ms, p95 <= 50 ms (smaller sizes print
   "-"). The process's peak RSS is printed after each size. An index build that raises
   MemoryError or runs past --max-build-seconds is reported in its row, and the run goes on.

A missed target prints FAIL but still exits 0; only a broken run (a failing subprocess, a wrong
record count) exits non-zero.

    python bench/search_bench.py                          # 100000 records
    python bench/search_bench.py --records 100000 1000000
    python bench/search_bench.py --records 300 --repeat 2 # smoke test
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import re
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papertriage.listings.inputs import ReadOptions, read_listing
from papertriage.models import Record
from papertriage.search.index import SearchIndex
from papertriage.topics.tagger import Tagger
from papertriage.topics.taxonomy import default_taxonomy

# The listing generator and the small helpers live in parse_bench.py, beside this file; the bench
# directory is not a package, so put it on the path (it is already there when run as a script).
sys.path.insert(0, str(Path(__file__).resolve().parent))
import parse_bench
from parse_bench import MB, SEED, BenchError, check_count, positive_int, progress, verdict

REPO_ROOT = parse_bench.REPO_ROOT
EXAMPLE_ARG = "examples/hf-papers-listing.txt"  # as a user types it, relative to the repo root
CLI_QUERY = "mixture of experts"
LIMIT = 10
CLI_RATIO_TARGET = 1.5  # warm CLI median / FTS5 script median, at most
HELP_TARGET_MS = 30.0  # papertriage --help minus bare Typer --help, at most
MEDIAN_TARGET_MS = 20.0  # per-query median at TARGET_RECORDS, at most
P95_TARGET_MS = 50.0  # per-query p95 at TARGET_RECORDS, at most
TARGET_RECORDS = 1_000_000  # the latency targets apply from this size on
CHILD_TIMEOUT = 300  # seconds; a child taking longer is broken, not slow

TOPIC_QUERIES = (
    "mixture of experts",
    "graph neural networks",
    "pipeline parallelism",
    "quantization",
    "scaling laws",
    "knowledge distillation",
    "diffusion models",
    "network pruning",
    "neural architecture search",
    "low-rank adaptation",
    "reinforcement learning",
    "retrieval augmented generation",
    "vision transformers",
    "tensor parallelism",
    "federated learning",
    "speculative decoding",
)
TYPO_QUERIES = (
    "mixure of exprts",
    "grpah neural netwrks",
    "quantizaton",
    "distilation",
    "pipline paralelism",
    "scalling laws",
    "difusion modles",
    "nueral architecure search",
)
QUERIES = TOPIC_QUERIES + TYPO_QUERIES

# The FTS5 side, shared by the in-process scale test and the end-to-end baseline script so both
# rank the same way: porter stemming, bm25() with the title weighted 2:1 against the abstract.
FTS5_CREATE = "CREATE VIRTUAL TABLE t USING fts5(title, abstract, tokenize='porter')"
FTS5_INSERT = "INSERT INTO t (title, abstract) VALUES (?, ?)"
FTS5_SEARCH = "SELECT rowid, title FROM t WHERE t MATCH ? ORDER BY bm25(t, 2.0, 1.0) LIMIT ?"
_WORD = re.compile(r"\w+")


def fts5_match(query: str) -> str:
    """The query's words OR-ed, each quoted so FTS5 reads none of them as an operator."""
    return " OR ".join(f'"{word}"' for word in _WORD.findall(query))


# The end-to-end baseline: what a user could write in a few lines with the standard library.
BASELINE_SCRIPT = f"""\
import re, sqlite3, sys
path, query = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as handle:
    lines = [line.strip() for line in handle.read().splitlines() if line.strip()]
body = lines[{len(parse_bench.BANNER)}:]  # the banner lines
body[0] = body[0].removeprefix({parse_bench.GLUED_PREFIX!r})
db = sqlite3.connect(":memory:")
db.execute({FTS5_CREATE!r})
db.executemany({FTS5_INSERT!r}, zip(body[0::2], body[1::2]))
match = " OR ".join(f'"{{word}}"' for word in re.findall(r"\\w+", query))
for _, title in db.execute({FTS5_SEARCH!r}, (match, {LIMIT})):
    print(title)
"""

# A bare Typer app with one command, for the start-up floor any Typer CLI pays.
BARE_TYPER_APP = '''\
import typer

app = typer.Typer()


@app.command()
def hello(name: str = "world", loud: bool = False) -> None:
    """Say hello."""
    typer.echo(f"hello {name}".upper() if loud else f"hello {name}")


if __name__ == "__main__":
    app()
'''


# --- subprocess timing ----------------------------------------------------------------------


def run_timed(
    command: Sequence[str],
    env: dict[str, str],
    what: str,
    *,
    stdin: int | None = None,
    timeout: float = CHILD_TIMEOUT,
    allow_empty: bool = False,
    stderr_chars: int | None = None,
) -> tuple[float, str]:
    """Run `command` from the repo root; its wall time in ms and its stdout. Failing is broken,
    and so is printing nothing unless `allow_empty`. `stdin` as for subprocess.run (None: this
    process's); `stderr_chars` keeps only the end of a failing child's stderr in the error."""
    start = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    elapsed_ms = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        stderr = done.stderr.strip()
        if stderr_chars is not None:
            stderr = stderr[-stderr_chars:]
        raise BenchError(f"{what} failed ({done.returncode}):\n{stderr}")
    if not allow_empty and not done.stdout.strip():
        raise BenchError(f"{what} printed nothing")
    return elapsed_ms, done.stdout


def interleaved_medians(
    commands: dict[str, Sequence[str]], env: dict[str, str], repeat: int
) -> dict[str, float]:
    """The median ms of each command over `repeat` rounds. The commands take turns within a
    round, so a slow spell of the machine burdens them alike; one untimed round first brings the
    interpreter and the libraries into the page cache."""
    for name, command in commands.items():
        run_timed(command, env, name)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            times[name].append(run_timed(command, env, name)[0])
    return {name: statistics.median(values) for name, values in times.items()}


@dataclass(frozen=True)
class EndToEnd:
    """Part 1: the search CLI, cold and warm, against the FTS5 script."""

    cold_ms: float
    warm_ms: float
    baseline_ms: float
    cold_lines: int
    baseline_lines: int
    cache_files: int

    @property
    def ratio(self) -> float:
        return self.warm_ms / self.baseline_ms


def bench_end_to_end(workdir: Path, repeat: int) -> EndToEnd:
    """Time the CLI with a fresh cache (cold), then warm runs and the baseline script in turn."""
    home = workdir / "home"
    home.mkdir()
    env = {**os.environ, "PAPERTRIAGE_HOME": str(home)}
    cli = [sys.executable, "-m", "papertriage", "search", CLI_QUERY, EXAMPLE_ARG]
    cli += ["--format", "jsonl"]
    baseline = [sys.executable, "-c", BASELINE_SCRIPT, EXAMPLE_ARG, CLI_QUERY]
    progress("[e2e] cold run (empty cache: parse, tag, import scikit-learn) ...")
    cold_ms, cold_out = run_timed(cli, env, "papertriage search (cold)")
    # Warm runs are only warm if the cold run left a cache entry behind.
    cache_files = sum(1 for path in (home / "cache").rglob("*") if path.is_file())
    progress(f"[e2e] {cold_ms:.0f} ms; {repeat} warm runs and {repeat} baseline runs ...")
    medians = interleaved_medians(
        {"papertriage search (warm)": cli, "FTS5 script": baseline}, env, repeat
    )
    _, baseline_out = run_timed(baseline, env, "FTS5 script")
    return EndToEnd(
        cold_ms=cold_ms,
        warm_ms=medians["papertriage search (warm)"],
        baseline_ms=medians["FTS5 script"],
        cold_lines=len(cold_out.splitlines()),
        baseline_lines=len(baseline_out.splitlines()),
        cache_files=cache_files,
    )


@dataclass(frozen=True)
class Startup:
    """Part 2: papertriage --help against a bare Typer app's --help."""

    command: str
    papertriage_ms: float
    typer_ms: float

    @property
    def difference_ms(self) -> float:
        return self.papertriage_ms - self.typer_ms


def papertriage_command() -> list[str]:
    """The installed console script when there is one (what a user runs), else `python -m`."""
    script = Path(sys.executable).parent / "papertriage"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "papertriage"]


def bench_startup(workdir: Path, repeat: int) -> Startup:
    """Median --help time of papertriage and of a bare Typer app, taking turns."""
    app = workdir / "bare_typer_app.py"
    app.write_text(BARE_TYPER_APP, encoding="utf-8")
    home = workdir / "home-help"  # never touched by --help; set so no user files are read
    env = {**os.environ, "PAPERTRIAGE_HOME": str(home)}
    ours = [*papertriage_command(), "--help"]
    progress(f"[help] {repeat} runs each of papertriage --help and a bare Typer app ...")
    medians = interleaved_medians(
        {"papertriage --help": ours, "bare Typer --help": [sys.executable, str(app), "--help"]},
        env,
        repeat,
    )
    return Startup(
        command="papertriage" if len(ours) == 2 else "python -m papertriage",
        papertriage_ms=medians["papertriage --help"],
        typer_ms=medians["bare Typer --help"],
    )


# --- scale: index build and query latency, in this process ----------------------------------


class BuildTimeout(Exception):
    """The index build ran past --max-build-seconds."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise BuildTimeout in the main thread after `seconds` (Unix; elsewhere the build runs to
    the end and is judged by its time afterwards)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise BuildTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def build_papertriage(
    records: list[Record], taxonomy: Any, max_seconds: float
) -> tuple[float, SearchIndex | None, str | None]:
    """Seconds, index, and why there is no index (None when it was built in time)."""
    gc.collect()
    start = time.perf_counter()
    try:
        with deadline(max_seconds):
            index = SearchIndex.build(records, taxonomy)
    except MemoryError:
        gc.collect()  # give back what the partial index held before going on
        return time.perf_counter() - start, None, "index build failed: MemoryError"
    except BuildTimeout:
        gc.collect()
        return max_seconds, None, f"index build stopped after {max_seconds:g} s"
    seconds = time.perf_counter() - start
    if seconds > max_seconds:  # only reachable without SIGALRM
        return seconds, None, f"index build took {seconds:.0f} s > {max_seconds:g} s"
    return seconds, index, None


def build_fts5(records: list[Record]) -> tuple[float, sqlite3.Connection]:
    """Seconds to create an in-memory FTS5 table, insert every record and commit; the table."""
    gc.collect()
    start = time.perf_counter()
    db = sqlite3.connect(":memory:")
    db.execute(FTS5_CREATE)
    db.executemany(FTS5_INSERT, ((record.title, record.abstract) for record in records))
    db.commit()
    seconds = time.perf_counter() - start
    (rows,) = db.execute("SELECT count(*) FROM t").fetchone()
    check_count("FTS5 table", rows, len(records))
    return seconds, db


def fts5_searcher(db: sqlite3.Connection) -> Callable[[str], int]:
    """A search function over the FTS5 table that returns the number of hits."""

    def search(query: str) -> int:
        return len(db.execute(FTS5_SEARCH, (fts5_match(query), LIMIT)).fetchall())

    return search


def papertriage_searcher(index: SearchIndex) -> Callable[[str], int]:
    def search(query: str) -> int:
        return len(index.search(query, limit=LIMIT))

    return search


def query_latencies(search: Callable[[str], int]) -> tuple[list[float], int]:
    """Per-query ms, each query timed once after one untimed pass over all of them (first-use
    work such as a lazily built typo vocabulary belongs to no single query); and total hits."""
    for query in QUERIES:
        search(query)
    gc.collect()
    latencies, hits = [], 0
    for query in QUERIES:
        start = time.perf_counter()
        hits += search(query)
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies, hits


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile: of 24 values, the second largest."""
    ordered = sorted(values)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def peak_rss_bytes(who: int = resource.RUSAGE_SELF) -> int:
    """This process's peak resident set so far (children, like tagging workers, not counted);
    with resource.RUSAGE_CHILDREN, that of the largest child reaped so far."""
    peak = resource.getrusage(who).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, kB on Linux


@dataclass(frozen=True)
class Latency:
    median_ms: float
    p95_ms: float
    slowest: tuple[str, float]  # the query with the longest time, and that time in ms


@dataclass(frozen=True)
class ScaleResult:
    """Everything measured for one listing size."""

    records: int
    file_bytes: int
    parse_seconds: float
    tag_seconds: float
    build_seconds: float
    fts5_build_seconds: float
    ours: Latency | None  # None when the index was not built
    fts5: Latency
    peak_rss: int
    failure: str | None

    @property
    def targeted(self) -> bool:
        return self.records >= TARGET_RECORDS


def latency_verdicts(ours: Latency | None, targeted: bool) -> tuple[str, str]:
    """PASS/FAIL for median and p95 when `targeted`, else "-"; no index misses both targets."""
    if not targeted:
        return "-", "-"
    if ours is None:
        return "FAIL", "FAIL"
    return verdict(ours.median_ms <= MEDIAN_TARGET_MS), verdict(ours.p95_ms <= P95_TARGET_MS)


def latency(search: Callable[[str], int], who: str, records: int) -> Latency:
    latencies, hits = query_latencies(search)
    if hits == 0:  # every query matched nothing: the index lost the records
        raise BenchError(f"{who}: none of {len(QUERIES)} queries found anything in {records}")
    slowest = max(zip(QUERIES, latencies, strict=True), key=lambda pair: pair[1])
    return Latency(statistics.median(latencies), p95(latencies), slowest)


def parse_and_tag(
    records: int, corpus: parse_bench.Corpus, workdir: Path
) -> tuple[int, float, float, list[Record]]:
    """File size, parse and tag seconds, and the tagged records of a fresh synthetic listing."""
    path = workdir / f"hf-{records}.txt"
    progress(f"[{records}] writing the synthetic listing ...")
    size = parse_bench.write_listing(path, corpus, records)
    progress(f"[{records}] {size / MB:.1f} MB; parsing ...")
    gc.collect()
    start = time.perf_counter()
    parsed = read_listing(str(path), ReadOptions()).records
    parse_seconds = time.perf_counter() - start
    check_count("read_listing", len(parsed), records)
    path.unlink()
    progress(f"[{records}] tagging ...")
    gc.collect()
    start = time.perf_counter()
    tagged = Tagger(default_taxonomy()).tag(parsed)
    tag_seconds = time.perf_counter() - start
    check_count("Tagger.tag", len(tagged), records)
    return size, parse_seconds, tag_seconds, tagged


def bench_size(
    records: int, corpus: parse_bench.Corpus, workdir: Path, max_build_seconds: float
) -> ScaleResult:
    """Parse and tag a listing of `records` papers, then build and query both indexes in turn;
    each index is dropped before the next is built, so the peak RSS is not the two together."""
    size, parse_seconds, tag_seconds, tagged = parse_and_tag(records, corpus, workdir)
    progress(
        f"[{records}] parse {parse_seconds:.2f} s, tag {tag_seconds:.2f} s; building index ..."
    )
    build_seconds, index, failure = build_papertriage(tagged, default_taxonomy(), max_build_seconds)
    ours = None
    if index is not None:
        progress(f"[{records}] index {build_seconds:.2f} s; {len(QUERIES)} queries ...")
        ours = latency(papertriage_searcher(index), "papertriage", records)
    else:
        progress(f"[{records}] {failure}")
    del index
    gc.collect()
    progress(f"[{records}] peak RSS {peak_rss_bytes() / MB:.0f} MB; building FTS5 ...")
    fts5_seconds, db = build_fts5(tagged)
    progress(f"[{records}] FTS5 {fts5_seconds:.2f} s; {len(QUERIES)} queries ...")
    theirs = latency(fts5_searcher(db), "FTS5", records)
    db.close()
    return ScaleResult(
        records=records,
        file_bytes=size,
        parse_seconds=parse_seconds,
        tag_seconds=tag_seconds,
        build_seconds=build_seconds,
        fts5_build_seconds=fts5_seconds,
        ours=ours,
        fts5=theirs,
        peak_rss=peak_rss_bytes(),
        failure=failure,
    )


def warm_up() -> None:
    """Load the default taxonomy and import scikit-learn's text features once, so the first
    size's tag seconds are not its import time (tag_bench.py reports that on its own)."""
    default_taxonomy()
    import sklearn.feature_extraction.text  # noqa: F401  (the TF-IDF rule's import)


# --- the report -----------------------------------------------------------------------------


BUILD_COLUMNS = (
    ("records", 9),
    ("file MB", 8),
    ("parse s", 8),
    ("tag s", 7),
    ("index s", 8),
    ("FTS5 s", 8),
    ("index/FTS5", 11),
    ("peak RSS MB", 12),
)
QUERY_COLUMNS = (
    ("records", 9),
    ("queries", 8),
    ("median ms", 10),
    ("FTS5 median", 12),
    ("ratio", 7),
    ("p95 ms", 8),
    ("FTS5 p95", 9),
    ("ratio", 7),
    ("median", 7),
    ("p95", 5),
)


def format_table(
    columns: Sequence[tuple[str, int]], rows: Sequence[list[str]], notes: Sequence[str]
) -> str:
    """Right-aligned columns, every row starting with the record count; a row's note (why its
    index is missing) follows the last column."""
    header = [name for name, _ in columns]
    lines = [" ".join(cell.rjust(width) for cell, (_, width) in zip(header, columns, strict=True))]
    for row, note in zip(rows, notes, strict=True):
        cells = " ".join(cell.rjust(width) for cell, (_, width) in zip(row, columns, strict=True))
        lines.append(f"{cells}  {note}".rstrip())
    return "\n".join(lines)


def build_row(result: ScaleResult) -> list[str]:
    built = result.ours is not None
    return [
        str(result.records),
        f"{result.file_bytes / MB:.1f}",
        f"{result.parse_seconds:.2f}",
        f"{result.tag_seconds:.2f}",
        f"{result.build_seconds:.2f}" if built else "failed",
        f"{result.fts5_build_seconds:.2f}",
        f"{result.build_seconds / result.fts5_build_seconds:.2f}" if built else "-",
        f"{result.peak_rss / MB:.0f}",
    ]


def query_row(records: int, ours: Latency | None, theirs: Latency, targeted: bool) -> list[str]:
    """A QUERY_COLUMNS row: ours (None: no index), FTS5 and their ratio, for median and p95."""
    if ours is None:
        figures = ["-"] * 6
        figures[1], figures[4] = f"{theirs.median_ms:.2f}", f"{theirs.p95_ms:.2f}"
    else:
        figures = [
            f"{ours.median_ms:.2f}",
            f"{theirs.median_ms:.2f}",
            f"{ours.median_ms / theirs.median_ms:.2f}",
            f"{ours.p95_ms:.2f}",
            f"{theirs.p95_ms:.2f}",
            f"{ours.p95_ms / theirs.p95_ms:.2f}",
        ]
    return [str(records), str(len(QUERIES)), *figures, *latency_verdicts(ours, targeted)]


def slowest_text(ours: Latency | None, theirs: Latency) -> str:
    """Which query set the p95, for each system: where to look first when it is high."""
    parts = [] if ours is None else [("papertriage", ours)]
    parts.append(("FTS5", theirs))
    return "; ".join(f"{who} {lat.slowest[0]!r} {lat.slowest[1]:.1f} ms" for who, lat in parts)


def print_end_to_end(e2e: EndToEnd, repeat: int) -> None:
    print(f'1. end to end: python -m papertriage search "{CLI_QUERY}" {EXAMPLE_ARG} --format jsonl')
    print(
        "   fresh $PAPERTRIAGE_HOME; baseline: a python -c script on the same listing,\n"
        "   in-memory FTS5 (porter), words OR-ed, bm25 title 2:1, top 10 titles printed"
    )
    print(f"   {'run':<38} {'ms':>8} {'vs baseline':>12}")
    rows = (
        ("papertriage, first run (cold cache)", e2e.cold_ms),
        (f"papertriage, warm, median of {repeat}", e2e.warm_ms),
        (f"FTS5 script (baseline), median of {repeat}", e2e.baseline_ms),
    )
    for name, ms in rows:
        print(f"   {name:<38} {ms:8.1f} {ms / e2e.baseline_ms:11.2f}x")
    print(
        f"   output lines: papertriage {e2e.cold_lines}, FTS5 script {e2e.baseline_lines}; "
        f"cache files after the cold run: {e2e.cache_files}"
    )
    print(
        f"   target: warm / baseline <= {CLI_RATIO_TARGET:.1f}: {e2e.ratio:.2f} "
        f"{verdict(e2e.ratio <= CLI_RATIO_TARGET)}"
    )


def print_startup(startup: Startup, repeat: int) -> None:
    print(f"2. start-up: --help, median of {repeat} runs each")
    print(f"   {startup.command + ' --help':<38} {startup.papertriage_ms:8.1f} ms")
    print(f"   {'bare Typer app (one command) --help':<38} {startup.typer_ms:8.1f} ms")
    print(
        f"   target: difference <= {HELP_TARGET_MS:.0f} ms: {startup.difference_ms:+.1f} ms "
        f"(ratio {startup.papertriage_ms / startup.typer_ms:.2f}) "
        f"{verdict(startup.difference_ms <= HELP_TARGET_MS)}"
    )


def print_scale(results: Sequence[ScaleResult], max_build_seconds: float) -> None:
    print(
        "3. scale: synthetic listings (bench/parse_bench.py, seed "
        f"{SEED}); parse s and tag s for information"
    )
    print(
        "   index s = SearchIndex.build(records, default_taxonomy()); build limit "
        f"{max_build_seconds:g} s\n"
        "   FTS5 s = in-memory FTS5 table (porter), INSERT all + commit"
    )
    notes = [result.failure or "" for result in results]
    print(format_table(BUILD_COLUMNS, [build_row(result) for result in results], notes))
    print(
        f"   queries: {len(TOPIC_QUERIES)} topic + {len(TYPO_QUERIES)} with typos, limit "
        f"{LIMIT}, each timed once after a warm-up pass;\n"
        "   ratio = papertriage / FTS5; p95 is nearest-rank"
    )
    print(
        f"   targets at >= {TARGET_RECORDS:,} records: median <= {MEDIAN_TARGET_MS:.0f} ms, "
        f"p95 <= {P95_TARGET_MS:.0f} ms (smaller sizes: -)"
    )
    rows = [
        query_row(result.records, result.ours, result.fts5, result.targeted) for result in results
    ]
    print(format_table(QUERY_COLUMNS, rows, notes))
    for result in results:
        print(f"   slowest query at {result.records}: {slowest_text(result.ours, result.fts5)}")
    print("   peak RSS MB: this process's high-water mark after the size (tag workers excluded)")


# --- command line ---------------------------------------------------------------------------


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records",
        type=positive_int,
        nargs="+",
        default=[100_000],
        help="listing sizes for the scale test, in papers (default: 100000)",
    )
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=10,
        help="timed runs of each command in parts 1 and 2; the median counts (default: 10)",
    )
    parser.add_argument(
        "--max-build-seconds",
        type=positive_float,
        default=600.0,
        help="stop a papertriage index build after this long and go on (default: 600)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="papertriage-search-bench-") as workdir:
            e2e = bench_end_to_end(Path(workdir), args.repeat)
            startup = bench_startup(Path(workdir), args.repeat)
            progress("warming up: default taxonomy, scikit-learn import ...")
            warm_up()
            corpus = parse_bench.load_corpus(parse_bench.EXAMPLE)
            results = [
                bench_size(records, corpus, Path(workdir), args.max_build_seconds)
                for records in args.records
            ]
    except (BenchError, subprocess.TimeoutExpired) as error:
        print(f"search_bench: error: {error}", file=sys.stderr)
        return 2
    print(
        f"papertriage search benchmark: Python {sys.version.split()[0]}, SQLite "
        f"{sqlite3.sqlite_version}, repeat {args.repeat}, MB = 10^6 bytes"
    )
    print_end_to_end(e2e, args.repeat)
    print_startup(startup, args.repeat)
    print_scale(results, args.max_build_seconds)
    print(f"total time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
