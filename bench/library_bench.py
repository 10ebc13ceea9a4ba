#!/usr/bin/env python3
"""Benchmark the library: `papertriage add` at scale, adding again, and search over the library.

For each --records size, a fresh synthetic listing (bench/parse_bench.py's generator, every title
made distinct, see below) is written and then:

1. Add. `python -m papertriage add LISTING --db DB -q` in a child process, into a fresh library:
   wall seconds, records/s, the library's size on disk (with -wal and -shm) and the child's peak
   resident memory (GNU /usr/bin/time -v where available, else the RUSAGE_CHILDREN high-water
   mark). Targets: 100,000 records in < 30 s, 1,000,000 in < 300 s; peak < 2,000 MB at 1,000,000.
   The library must then hold exactly one paper and one source row per listing record.
2. Add again. The same command once more, for information; the library must not change.
3. Search. A cold `python -m papertriage search "mixture of experts" --db DB --format jsonl` (a
   new process and an empty cache); target at 1,000,000 records: < 1 s. Then in this process: open
   the index the library keeps (papertriage.library.index, written by add: nothing is rebuilt) and time
   search_bench.py's 24 queries once each after a warm-up pass (median and p95), next to an
   in-memory FTS5 table of the same records (loaded with Library.records) in the same run.
   Targets at 1,000,000 records: median <= 20 ms, p95 <= 50 ms.

Every child gets a fresh $PAPERTRIAGE_HOME, so no run reads another's cache, and stdin from
/dev/null, so that search reads the library rather than waiting for a piped listing.

Why distinct titles: the library keeps a paper seen twice once (same or near-identical title), and
parse_bench's generator reuses a few hundred real titles, so at 100,000 records about half its
papers fold into others and no record count could be checked. So the listing is written with
number_titles: each title gets its serial number at both ends, which gives it a first and a last
three-word block of its own, so none is a near-duplicate of another; the rest is unchanged.

A missed target prints FAIL but still exits 0; only a broken run (a failing or timed-out child, a
wrong count, a library changed by adding the same listing again) exits non-zero.

    python bench/library_bench.py                          # 100000 records
    python bench/library_bench.py --records 100000 1000000
    python bench/library_bench.py --records 300            # smoke test
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from papertriage.library.index import LibraryPostings
from papertriage.library.store import Library
from papertriage.models import Record
from papertriage.search.index import SearchIndex
from papertriage.topics.taxonomy import default_taxonomy

# The listing generator and the search helpers live beside this file; the bench directory is not
# a package, so put it on the path (it is already there when run as a script).
sys.path.insert(0, str(Path(__file__).resolve().parent))
import parse_bench
import search_bench
from parse_bench import MB, SEED, BenchError, check_count, positive_int, progress, verdict
from search_bench import CLI_QUERY, QUERIES, QUERY_COLUMNS, TARGET_RECORDS, Latency, format_table

ADD_TARGET_SECONDS = {100_000: 30.0, 1_000_000: 300.0}  # records -> add wall time, under
PEAK_TARGET_BYTES = {1_000_000: 2_000 * MB}  # records -> peak memory of the add, under
COLD_SEARCH_TARGET_MS = {1_000_000: 1_000.0}  # records -> cold CLI search, under
# A child running this long is broken, not slow: well past every target, even at 1M records.
CHILD_TIMEOUT = 3_600
GNU_TIME = "/usr/bin/time"
_MAX_RSS = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")


# --- child processes ------------------------------------------------------------------------


def fresh_env(workdir: Path, label: str) -> dict[str, str]:
    """The environment for one child: a new, empty $PAPERTRIAGE_HOME (so an empty cache)."""
    home = tempfile.mkdtemp(prefix=f"home-{label}-", dir=workdir)
    env = {**os.environ, "PAPERTRIAGE_HOME": home}
    # The in-process half measures the default taxonomy; a user's own must not tag the library.
    env.pop("PAPERTRIAGE_TOPICS", None)
    return env


def run_child(
    command: Sequence[str], env: dict[str, str], what: str, allow_empty: bool = True
) -> tuple[float, str]:
    """search_bench.run_timed with stdin from /dev/null and this script's timeout; wall seconds
    and stdout. A non-zero exit is a broken run, and so is no output unless `allow_empty`."""
    ms, out = search_bench.run_timed(
        command,
        env,
        what,
        stdin=subprocess.DEVNULL,
        timeout=CHILD_TIMEOUT,
        allow_empty=allow_empty,
        stderr_chars=2000,
    )
    return ms / 1000, out


def has_gnu_time() -> bool:
    """Whether /usr/bin/time is GNU time (-v, -o): BSD and macOS time lack both."""
    try:
        done = subprocess.run(
            [GNU_TIME, "-v", "-o", os.devnull, "true"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except OSError:
        return False
    return done.returncode == 0


def run_measured(
    command: Sequence[str], env: dict[str, str], what: str, report: Path, gnu_time: bool
) -> tuple[float, int]:
    """Run `command`; wall seconds and peak resident bytes.

    With GNU time the peak is this child's own (wait4 folds in its reaped children, so a tagging
    worker counts when it is the largest process, but processes are never summed). Without it,
    RUSAGE_CHILDREN only keeps the largest child of this process so far, which can be an earlier
    one: then the figure is an upper bound, and its before/after delta would say nothing when
    this child is the smaller.
    """
    if not gnu_time:
        seconds, _ = run_child(command, env, what)
        return seconds, search_bench.peak_rss_bytes(resource.RUSAGE_CHILDREN)
    seconds, _ = run_child([GNU_TIME, "-v", "-o", str(report), *command], env, what)
    found = _MAX_RSS.search(report.read_text(encoding="utf-8", errors="replace"))
    if found is None:
        raise BenchError(f"{what}: {GNU_TIME} -v reported no maximum resident set size")
    return seconds, int(found.group(1)) * 1024


def add_command(listing: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "papertriage", "add", str(listing), "--db", str(db), "-q"]


def search_command(db: Path) -> list[str]:
    command = [sys.executable, "-m", "papertriage", "search", CLI_QUERY, "--db", str(db)]
    return [*command, "--format", "jsonl"]


# --- the library file -----------------------------------------------------------------------


def disk_bytes(db: Path) -> int:
    """The library's size on disk: the file and its -wal and -shm companions, when present."""
    files = (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"))
    return sum(path.stat().st_size for path in files if path.exists())


@dataclass(frozen=True)
class Snapshot:
    """What adding the same listing again must leave alone."""

    papers: int
    sources: int
    digest: str


def snapshot(db: Path) -> Snapshot:
    """Count and hash the papers and sources tables, opened read-only.

    SQL rather than Library.records(): it also sees first_seen, the reading state and every
    source row, and it needs no Record objects (gigabytes at 1M records).
    """
    connection = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        digest = hashlib.sha256()
        counts = []
        for query in (
            "SELECT id, record, first_seen, status, starred FROM papers ORDER BY id",
            "SELECT paper_id, source, position, added FROM sources ORDER BY paper_id, source",
        ):
            rows = 0
            for row in connection.execute(query):
                digest.update(repr(row).encode())
                rows += 1
            counts.append(rows)
    finally:
        connection.close()
    return Snapshot(papers=counts[0], sources=counts[1], digest=digest.hexdigest())


# --- one size -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddResult:
    records: int
    listing_bytes: int
    seconds: float
    peak_bytes: int
    db_bytes: int
    again_seconds: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds


@dataclass(frozen=True)
class SearchResult:
    cold_ms: float
    cold_lines: int
    open_seconds: float  # opening the library's stored index in this process
    load_seconds: float  # Library.records(), for FTS5
    fts5_build_seconds: float
    ours: Latency
    fts5: Latency


def bench_add(
    records: int, corpus: parse_bench.Corpus, workdir: Path, gnu_time: bool
) -> tuple[AddResult, Path]:
    """Parts 1 and 2: add a fresh listing to a fresh library, check it, add it again."""
    listing = workdir / f"listing-{records}.txt"
    db = workdir / f"library-{records}.sqlite3"
    progress(f"[{records}] writing the synthetic listing ...")
    size = parse_bench.write_listing(listing, corpus, records, number_titles=True)
    progress(f"[{records}] {size / MB:.1f} MB; papertriage add ...")
    command = add_command(listing, db)
    report = workdir / f"time-{records}.txt"
    env = fresh_env(workdir, f"{records}-add")
    seconds, peak = run_measured(command, env, "papertriage add", report, gnu_time)
    db_bytes = disk_bytes(db)
    before = snapshot(db)
    check_count("library papers after add", before.papers, records)
    check_count("library source rows after add", before.sources, records, "rows")
    progress(f"[{records}] add {seconds:.2f} s, peak {peak / MB:.0f} MB; adding again ...")
    again, _ = run_child(command, fresh_env(workdir, f"{records}-again"), "papertriage add (again)")
    after = snapshot(db)
    if after != before:
        raise BenchError(
            f"adding the same listing again changed the library: papers {before.papers} -> "
            f"{after.papers}, sources {before.sources} -> {after.sources}, content digest "
            f"{'unchanged' if after.digest == before.digest else 'changed'}"
        )
    listing.unlink()
    return AddResult(records, size, seconds, peak, db_bytes, again), db


def bench_search(records: int, db: Path, workdir: Path) -> SearchResult:
    """Part 3: a cold CLI search, then query latency in this process against FTS5."""
    progress(f"[{records}] cold papertriage search ...")
    env = fresh_env(workdir, f"{records}-search")
    # Exit 0 means something matched, so it must have printed it: no output is a broken run.
    what = "papertriage search (cold)"
    seconds, out = run_child(search_command(db), env, what, allow_empty=False)
    lines = len(out.splitlines())
    progress(f"[{records}] {seconds * 1000:.0f} ms; opening the library's index ...")
    taxonomy = default_taxonomy()  # loaded before the clock starts, as a command has it at hand
    library = Library(db)
    gc.collect()
    start = time.perf_counter()
    index = SearchIndex.with_arrays([], LibraryPostings(library), taxonomy)
    open_seconds = time.perf_counter() - start
    progress(f"[{records}] opened in {open_seconds:.2f} s; {len(QUERIES)} queries ...")
    ours = search_bench.latency(search_bench.papertriage_searcher(index), "papertriage", records)
    library.close()
    del index
    progress(f"[{records}] loading the records for FTS5 ...")
    loaded, load_seconds = load_records(db)
    check_count("Library.records()", len(loaded), records)
    progress(f"[{records}] building FTS5 ...")
    fts5_seconds, fts5_db = search_bench.build_fts5(loaded)
    del loaded
    theirs = search_bench.latency(search_bench.fts5_searcher(fts5_db), "FTS5", records)
    fts5_db.close()
    return SearchResult(
        cold_ms=seconds * 1000,
        cold_lines=lines,
        open_seconds=open_seconds,
        load_seconds=load_seconds,
        fts5_build_seconds=fts5_seconds,
        ours=ours,
        fts5=theirs,
    )


def load_records(db: Path) -> tuple[list[Record], float]:
    """Every record of the library, and the seconds Library.records() took."""
    gc.collect()
    library = Library(db)
    start = time.perf_counter()
    loaded = library.records()
    seconds = time.perf_counter() - start
    library.close()
    return loaded, seconds


# --- the report -----------------------------------------------------------------------------


def target_verdict(ok: bool, targeted: bool) -> str:
    return verdict(ok) if targeted else "-"


ADD_COLUMNS = (
    ("records", 9),
    ("listing MB", 11),
    ("add s", 8),
    ("records/s", 10),
    ("DB MB", 8),
    ("peak MB", 8),
    ("again s", 8),
    ("time", 5),
    ("memory", 7),
)
SEARCH_COLUMNS = (
    ("records", 9),
    ("cold CLI ms", 12),
    ("lines", 6),
    ("target", 7),
    ("open s", 7),
    ("load s", 7),
    ("FTS5 s", 7),
)


def add_row(result: AddResult) -> list[str]:
    time_target = ADD_TARGET_SECONDS.get(result.records)
    peak_target = PEAK_TARGET_BYTES.get(result.records)
    return [
        str(result.records),
        f"{result.listing_bytes / MB:.1f}",
        f"{result.seconds:.2f}",
        f"{result.rate:.0f}",
        f"{result.db_bytes / MB:.1f}",
        f"{result.peak_bytes / MB:.0f}",
        f"{result.again_seconds:.2f}",
        target_verdict(result.seconds < (time_target or 0), time_target is not None),
        target_verdict(result.peak_bytes < (peak_target or 0), peak_target is not None),
    ]


def search_row(records: int, result: SearchResult) -> list[str]:
    target = COLD_SEARCH_TARGET_MS.get(records)
    return [
        str(records),
        f"{result.cold_ms:.0f}",
        str(result.cold_lines),
        target_verdict(result.cold_ms < (target or 0), target is not None),
        f"{result.open_seconds:.2f}",
        f"{result.load_seconds:.2f}",
        f"{result.fts5_build_seconds:.2f}",
    ]


def print_add(results: Sequence[AddResult], gnu_time: bool) -> None:
    print("1. add: python -m papertriage add LISTING --db DB -q, fresh library and cache")
    print(
        "   targets: 100,000 records in < 30 s, 1,000,000 in < 300 s; peak < 2,000 MB at "
        "1,000,000 (other sizes: -)"
    )
    if gnu_time:
        print(
            f"   peak MB: maximum resident set from {GNU_TIME} -v (the largest single process,\n"
            "   the add or one of its tagging workers, not their sum)"
        )
    else:
        print(
            "   peak MB: RUSAGE_CHILDREN ru_maxrss after the add (GNU time not found): the\n"
            "   largest child of this benchmark so far, so an upper bound for this add"
        )
    print("   DB MB: the library file with its -wal and -shm; records/s = listing records / add s")
    print("2. again s: the same add once more (library unchanged: checked), for information")
    print(format_table(ADD_COLUMNS, [add_row(result) for result in results], [""] * len(results)))


def print_search(results: Sequence[tuple[int, SearchResult]]) -> None:
    notes = [""] * len(results)
    print(
        f'3. search: cold python -m papertriage search "{CLI_QUERY}" --db DB --format jsonl\n'
        "   (new process, empty cache); target < 1,000 ms at 1,000,000 records (other sizes: -)\n"
        "   in this process: open s = the library's stored index opened (LibraryPostings);\n"
        "   load s = Library(DB).records(), only to fill FTS5;\n"
        "   FTS5 s = in-memory FTS5 table (porter) of the same records, INSERT all + commit"
    )
    rows = [search_row(records, result) for records, result in results]
    print(format_table(SEARCH_COLUMNS, rows, notes))
    print(
        f"   {len(QUERIES)} queries (search_bench.py's), limit {search_bench.LIMIT}, each timed "
        "once after a warm-up pass;\n   ratio = papertriage / FTS5; p95 is nearest-rank;\n"
        f"   targets at {TARGET_RECORDS:,} records: median <= "
        f"{search_bench.MEDIAN_TARGET_MS:.0f} ms, p95 <= {search_bench.P95_TARGET_MS:.0f} ms "
        "(other sizes: -)"
    )
    # The median and p95 targets are judged at TARGET_RECORDS only (search_bench: from it on).
    rows = [
        search_bench.query_row(records, result.ours, result.fts5, records == TARGET_RECORDS)
        for records, result in results
    ]
    print(format_table(QUERY_COLUMNS, rows, notes))
    for records, result in results:
        slowest = search_bench.slowest_text(result.ours, result.fts5)
        print(f"   slowest query at {records}: {slowest}")


# --- command line ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records",
        type=positive_int,
        nargs="+",
        default=[100_000],
        help="listing sizes, in papers (default: 100000)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    gnu_time = has_gnu_time()
    adds: list[AddResult] = []
    searches: list[tuple[int, SearchResult]] = []
    try:
        corpus = parse_bench.load_corpus(parse_bench.EXAMPLE)
        with tempfile.TemporaryDirectory(prefix="papertriage-library-bench-") as name:
            workdir = Path(name)
            for records in args.records:
                added, db = bench_add(records, corpus, workdir, gnu_time)
                adds.append(added)
                searches.append((records, bench_search(records, db, workdir)))
                gc.collect()  # this size's records and indexes go before the next size's
    except (BenchError, subprocess.TimeoutExpired) as error:
        print(f"library_bench: error: {error}", file=sys.stderr)
        return 2
    print(
        f"papertriage library benchmark: Python {sys.version.split()[0]}, SQLite "
        f"{sqlite3.sqlite_version}, seed {SEED}, MB = 10^6 bytes"
    )
    print(
        "listings: bench/parse_bench.py's generator, each title made distinct (#N ... (N)), "
        "so every record is its own paper"
    )
    print_add(adds, gnu_time)
    print_search(searches)
    print(f"total time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
