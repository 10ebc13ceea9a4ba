#!/usr/bin/env python3
"""Benchmark the listing parser against plain Python line splitting, for speed and peak memory.

A large Hugging Face style listing is synthesised (deterministically) from the real titles and
abstract sentences of examples/hf-papers-listing.txt. For each size the script times

* baseline: open(path, encoding="utf-8").read().splitlines()
* parse:    papertriage.listings.inputs.read_listing(path, ReadOptions())

in this process (best of --repeat), and measures the peak memory of each in a fresh child process
(`parse_bench.py --child MODE PATH`), so one measurement cannot inflate the other.

Targets: parse throughput >= 0.40 x baseline throughput; parse peak memory <= 3.0 x file size.
A missed target prints FAIL but still exits 0; only a broken run (say, a wrong record count)
exits non-zero.

    python bench/parse_bench.py                      # 100000 and 1000000 records
    python bench/parse_bench.py --records 200 --repeat 1
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papertriage.listings.inputs import ReadOptions, read_listing

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = REPO_ROOT / "examples" / "hf-papers-listing.txt"
BANNER = (
    "Get trending papers in your email inbox once a day!",
    "Get trending papers in your email inbox!",
)
GLUED_PREFIX = "Subscribe"  # the page copy glues this to the first title
SEED = 20240531
MB = 1_000_000
SPEED_TARGET = 0.40  # parse MB/s / baseline MB/s, at least
MEMORY_TARGET = 3.0  # parse peak memory / file size, at most
MODES = ("baseline", "parse")

# A deliberately simple sentence splitter: end punctuation, space, then a capital or digit.
# It mis-splits "e.g. X", which is harmless here; the length filter drops such fragments.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")
MIN_SENTENCE_CHARS = 25
SENTENCES_PER_ABSTRACT = (4, 9)


class BenchError(Exception):
    """Something broke (not merely a missed target): the script exits non-zero."""


@dataclass(frozen=True)
class Corpus:
    """Real titles and abstract sentences to build synthetic records from."""

    titles: list[str]
    sentences: list[str]


@dataclass(frozen=True)
class Result:
    """Everything measured for one listing size."""

    records: int
    file_bytes: int
    baseline_seconds: float
    parse_seconds: float
    baseline_peak_bytes: int
    parse_peak_bytes: int

    @property
    def baseline_mbps(self) -> float:
        return self.file_bytes / MB / self.baseline_seconds

    @property
    def parse_mbps(self) -> float:
        return self.file_bytes / MB / self.parse_seconds

    @property
    def speed_ratio(self) -> float:
        return self.parse_mbps / self.baseline_mbps

    @property
    def peak_ratio(self) -> float:
        return self.parse_peak_bytes / self.file_bytes


# --- the synthetic listing ------------------------------------------------------------------


def load_corpus(path: Path) -> Corpus:
    """Split the example listing into its titles and the sentences of its abstracts."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    if tuple(lines[: len(BANNER)]) != BANNER:
        raise BenchError(f"{path}: does not start with the expected banner lines")
    body = lines[len(BANNER) :]
    body[0] = body[0].removeprefix(GLUED_PREFIX)
    titles, abstracts = body[0::2], body[1::2]
    if len(titles) != len(abstracts):
        raise BenchError(f"{path}: expected alternating title and abstract lines")
    sentences = [
        sentence
        for abstract in abstracts
        for sentence in _SENTENCE_BREAK.split(abstract)
        # Only whole sentences, so every synthetic abstract ends like prose and still reads as
        # an abstract (not a title) to the parser.
        if len(sentence) >= MIN_SENTENCE_CHARS and sentence.endswith((".", "!", "?"))
    ]
    return Corpus(titles=titles, sentences=sentences)


def make_title(rng: random.Random, corpus: Corpus) -> str:
    """A real title, its words sometimes shuffled, usually with a number so titles rarely repeat."""
    words = rng.choice(corpus.titles).split()
    if len(words) > 2 and rng.random() < 0.5:
        rest = words[1:]
        rng.shuffle(rest)
        words = [words[0], *rest]  # keep the first word so it still starts like a title
    if rng.random() < 0.9:
        words.append(str(rng.randrange(2, 100_000)))
    return " ".join(words)


def make_abstract(rng: random.Random, corpus: Corpus) -> str:
    """Several real sentences, drawn at random, on one line."""
    count = rng.randint(*SENTENCES_PER_ABSTRACT)
    return " ".join(rng.choices(corpus.sentences, k=count))


def listing_lines(
    corpus: Corpus, records: int, seed: int, number_titles: bool = False
) -> Iterator[str]:
    """The lines (with line ends) of a listing as the HF page copy looks: banner, then pairs.

    With `number_titles`, each title is wrapped in its serial number, "#7 Title (7)": a first and
    a last three-word block of its own, so no title is a near-duplicate of another (the library
    folds those into one paper). The random draws, and so everything else, are unchanged.
    """
    rng = random.Random(seed)
    for line in BANNER:
        yield line + "\n"
    for index in range(records):
        title = make_title(rng, corpus)
        if number_titles:
            # No ". " added: a long line with one would read as an abstract to the parser.
            title = f"#{index + 1} {title} ({index + 1})"
        # The page copy glues "Subscribe" to the first title; it stays in front of the serial.
        prefix = GLUED_PREFIX if index == 0 else ""
        yield f"{prefix}{title}\n"
        yield make_abstract(rng, corpus) + "\n"


def write_listing(
    path: Path, corpus: Corpus, records: int, seed: int = SEED, number_titles: bool = False
) -> int:
    """Write a synthetic listing of `records` papers to `path`; returns its size in bytes.
    `number_titles` makes every title distinct, as in listing_lines."""
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.writelines(listing_lines(corpus, records, seed, number_titles))
    return path.stat().st_size


# --- the measured work ----------------------------------------------------------------------


def baseline_work(path: str) -> list[str]:
    """What any Python reader of the file pays at least: decode it and split it into lines."""
    with open(path, encoding="utf-8") as handle:
        return handle.read().splitlines()


def parse_work(path: str) -> Any:
    return read_listing(path, ReadOptions())


def item_count(mode: str, result: Any) -> int:
    """Lines for the baseline, records for the parser."""
    return len(result) if mode == "baseline" else len(result.records)


WORKLOADS: dict[str, Callable[[str], Any]] = {"baseline": baseline_work, "parse": parse_work}


def best_time(mode: str, path: str, repeat: int) -> tuple[float, int]:
    """The best wall time of `repeat` runs and the item count of the last one."""
    best, count = float("inf"), 0
    for _ in range(repeat):
        gc.collect()  # start every run without the garbage of the one before
        start = time.perf_counter()
        result = WORKLOADS[mode](path)
        elapsed = time.perf_counter() - start
        # Counted and freed outside the timed region: tearing down the result is not reading.
        count = item_count(mode, result)
        del result
        best = min(best, elapsed)
    return max(best, 1e-9), count


# --- peak memory, in a fresh child process --------------------------------------------------


def _status_kb(field: str) -> int:
    """A field of /proc/self/status in kB (VmRSS: resident now, VmHWM: peak resident)."""
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise BenchError(f"/proc/self/status has no {field} (peak memory needs Linux)")


def _reset_peak() -> None:
    """Reset VmHWM to the current RSS, so start-up and imports do not count as the work's peak."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        pass  # without it the peak can only be overestimated, by the (small) start-up peak


def run_child(mode: str, path: str) -> int:
    """Child process: do the work once and print its peak memory above the starting RSS as JSON."""
    work = WORKLOADS[mode]  # papertriage is already imported: module imports are not counted
    gc.collect()
    _reset_peak()
    before_kb = _status_kb("VmRSS")
    result = work(path)
    peak_kb = _status_kb("VmHWM")
    report = {
        "mode": mode,
        "count": item_count(mode, result),
        "before_kb": before_kb,
        "peak_kb": peak_kb,
        "delta_bytes": max(peak_kb - before_kb, 0) * 1024,
    }
    print(json.dumps(report))
    return 0


def measure_peak(mode: str, path: Path) -> tuple[int, int]:
    """Peak memory (bytes above the start) and item count of `mode`, from a fresh process."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"{mode} child failed ({done.returncode}):\n{done.stderr.strip()}")
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError) as error:
        raise BenchError(f"{mode} child printed no report: {done.stdout!r}") from error
    return int(report["delta_bytes"]), int(report["count"])


# --- one size, and the table ----------------------------------------------------------------


def check_count(what: str, got: int, expected: int, unit: str = "records") -> None:
    if got != expected:
        raise BenchError(f"{what}: expected {expected} {unit}, got {got}")


def bench_size(records: int, corpus: Corpus, workdir: Path, repeat: int) -> Result:
    """Generate a listing of `records` papers, measure both readers on it, then delete it."""
    path = workdir / f"hf-{records}.txt"
    progress(f"[{records}] writing the synthetic listing ...")
    size = write_listing(path, corpus, records)
    progress(f"[{records}] {size / MB:.1f} MB; timing baseline (best of {repeat}) ...")
    lines = len(BANNER) + 2 * records
    baseline_seconds, line_count = best_time("baseline", str(path), repeat)
    check_count("baseline", line_count, lines, "lines")
    progress(f"[{records}] timing parse (best of {repeat}) ...")
    parse_seconds, parsed = best_time("parse", str(path), repeat)
    check_count("read_listing", parsed, records)
    progress(f"[{records}] measuring peak memory in child processes ...")
    baseline_peak, _ = measure_peak("baseline", path)
    parse_peak, child_parsed = measure_peak("parse", path)
    check_count("read_listing (child)", child_parsed, records)
    path.unlink()
    return Result(records, size, baseline_seconds, parse_seconds, baseline_peak, parse_peak)


COLUMNS = (
    ("records", 9),
    ("file MB", 9),
    ("base MB/s", 10),
    ("parse MB/s", 11),
    ("ratio", 7),
    ("base peak MB", 13),
    ("parse peak MB", 14),
    ("peak/file", 10),
    ("speed", 6),
    ("memory", 7),
)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def table_row(result: Result) -> list[str]:
    return [
        str(result.records),
        f"{result.file_bytes / MB:.1f}",
        f"{result.baseline_mbps:.1f}",
        f"{result.parse_mbps:.1f}",
        f"{result.speed_ratio:.3f}",
        f"{result.baseline_peak_bytes / MB:.1f}",
        f"{result.parse_peak_bytes / MB:.1f}",
        f"{result.peak_ratio:.2f}",
        verdict(result.speed_ratio >= SPEED_TARGET),
        verdict(result.peak_ratio <= MEMORY_TARGET),
    ]


def format_table(results: Sequence[Result]) -> str:
    """Right-aligned columns; every row starts with the record count."""
    rows = [[name for name, _ in COLUMNS], *(table_row(result) for result in results)]
    return "\n".join(
        " ".join(cell.rjust(width) for cell, (_, width) in zip(row, COLUMNS, strict=True))
        for row in rows
    )


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- command line ---------------------------------------------------------------------------


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records",
        type=positive_int,
        nargs="+",
        default=[100_000, 1_000_000],
        help="listing sizes to benchmark, in papers (default: 100000 1000000)",
    )
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=3,
        help="timed runs per reader and size; the best counts (default: 3)",
    )
    parser.add_argument(
        "--child",
        nargs=2,
        metavar=("MODE", "PATH"),
        help=f"internal: measure the peak memory of MODE ({', '.join(MODES)})",
    )
    args = parser.parse_args(argv)
    if args.child and args.child[0] not in MODES:
        parser.error(f"--child MODE must be one of {', '.join(MODES)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return run_child(*args.child)
    started = time.perf_counter()
    try:
        corpus = load_corpus(EXAMPLE)
        progress(f"corpus: {len(corpus.titles)} titles, {len(corpus.sentences)} sentences")
        results = []
        with tempfile.TemporaryDirectory(prefix="papertriage-bench-") as workdir:
            for records in args.records:
                results.append(bench_size(records, corpus, Path(workdir), args.repeat))
    except BenchError as error:
        print(f"parse_bench: error: {error}", file=sys.stderr)
        return 2
    print(
        f"papertriage parse benchmark: Python {sys.version.split()[0]}, "
        f"best of {args.repeat}, seed {SEED}, MB = 10^6 bytes"
    )
    print(
        f"targets: ratio (parse/baseline MB/s) >= {SPEED_TARGET:.2f}; "
        f"parse peak/file <= {MEMORY_TARGET:.1f}"
    )
    print(format_table(results))
    print(f"total time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
