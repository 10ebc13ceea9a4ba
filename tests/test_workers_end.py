"""A stopped `add` or `tag` leaves no tagging worker behind, however it is stopped.

Each test starts the real command on a listing large enough to be tagged by two worker processes,
waits until they exist, signals the parent and checks that no worker is left a few seconds later
(before the fix, a worker blocked on sending to a dead parent waited forever). Ctrl-C and
SIGTERM exit with their documented codes and leave the library as it was. Linux only: workers
are found through /proc.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertriage.cli import app
from papertriage.errors import ExitCode
from papertriage.topics.tagger import PARALLEL_MIN_RECORDS

pytestmark = [
    pytest.mark.skipif(
        not sys.platform.startswith("linux") or not os.path.isdir("/proc/self"),
        reason="finds worker processes through /proc",
    ),
    pytest.mark.slow,  # each test runs the real command for seconds and signals it
]

ROOT = Path(__file__).parents[1]
PAPERS = PARALLEL_MIN_RECORDS + 3_000  # one batch, tagged by workers for a second or two
# fmt: off
WORDS = (
    "sparse", "attention", "transformer", "diffusion", "agent", "robot", "graph", "retrieval",
    "benchmark", "reasoning", "alignment", "quantization", "mixture", "experts", "speech",
    "protein", "molecule", "policy", "reward", "memory", "compression", "kernel", "latency",
    "vision", "language", "tokens", "decoding", "scaling", "federated", "privacy",
)
# fmt: on


def write_listing(path: Path, papers: int, first: int = 0) -> None:
    """JSON Lines of distinct papers (each title and arXiv id its own)."""
    with open(path, "w", encoding="utf-8") as out:
        for n in range(first, first + papers):
            words = [WORDS[(n * 7 + k * k) % len(WORDS)] for k in range(60)]
            record = {
                "title": f"Paper {n}: {' '.join(words[:6])} number {n}",
                "abstract": " ".join(words) + ".",
                "arxiv_id": f"2401.{n:05d}",
            }
            out.write(json.dumps(record) + "\n")


@pytest.fixture(scope="module")
def listing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("listing") / "big.jsonl"
    write_listing(path, PAPERS, first=100)
    return path


@pytest.fixture
def library(tmp_path: Path) -> str:
    """A library holding three papers already."""
    small = tmp_path / "small.jsonl"
    write_listing(small, 3)
    db = str(tmp_path / "library.sqlite3")
    result = CliRunner().invoke(app, ["add", "-q", str(small), "--db", db])
    assert (result.exit_code, result.exception) == (0, None)
    assert papers_in(db) == 3
    return db


def papers_in(db: str) -> int:
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        count: int = connection.execute("SELECT count(*) FROM papers").fetchone()[0]
    connection.close()
    return count


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (from /proc/*/stat, which every kernel has)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.add(int(entry))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (a dead worker may wait to be reaped by init)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Command:
    """`papertriage ARGS` running, its stderr in a file (workers inherit it: a pipe would stay
    open as long as any of them lives)."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.errors = tmp_path / "stderr.txt"
        with open(self.errors, "w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "papertriage", *args],
                stdout=subprocess.DEVNULL,
                stderr=err,
                cwd=ROOT,
                env={**os.environ, "PAPERTRIAGE_WORKERS": "2"},
                # Ctrl-C as in a terminal, even where the test runner started with it ignored.
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            )
        self.workers: set[int] = set()

    def wait_for_workers(self, count: int = 2, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while len(self.workers) < count:
            if self.process.poll() is not None:
                pytest.fail(f"ended before its workers started: {self.errors.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail("no workers started")
            time.sleep(0.01)
            self.workers = children(self.process.pid)

    def stop(self, signum: int) -> tuple[int, str]:
        """Signal the parent; its exit code and stderr once it and its workers are gone."""
        os.kill(self.process.pid, signum)
        code = self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(running(pid) for pid in self.workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert {pid for pid in self.workers if running(pid)} == set(), "workers outlived it"
        return code, self.errors.read_text()

    def clean_up(self) -> None:
        for pid in [self.process.pid, *self.workers]:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def command(tmp_path: Path) -> Iterator[Callable[..., Command]]:
    started: list[Command] = []

    def start(*args: str) -> Command:
        started.append(Command(tmp_path, *args))
        return started[-1]

    yield start
    for each in started:  # whatever the test found, nothing it started stays running
        each.clean_up()


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [
        (signal.SIGINT, ExitCode.INTERRUPTED, "Interrupted.\n"),
        (signal.SIGTERM, ExitCode.TERMINATED, "Terminated.\n"),
    ],
    ids=["SIGINT", "SIGTERM"],
)
def test_a_stopped_add_ends_its_workers_and_changes_nothing(
    signum: int, code: int, said: str, listing: Path, library: str, command: Callable[..., Command]
) -> None:
    adding = command("add", "-q", str(listing), "--db", library)
    adding.wait_for_workers()
    assert adding.stop(signum) == (code, said)
    assert papers_in(library) == 3


def test_a_killed_add_leaves_no_worker_and_a_sound_library(
    listing: Path, library: str, command: Callable[..., Command]
) -> None:
    adding = command("add", "-q", str(listing), "--db", library)
    adding.wait_for_workers()
    assert adding.stop(signal.SIGKILL) == (-signal.SIGKILL, "")
    assert papers_in(library) == 3  # the transaction never committed


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_stopped_tag_leaves_no_worker(
    signum: int, listing: Path, command: Callable[..., Command]
) -> None:
    tagging = command("tag", "-q", str(listing))
    tagging.wait_for_workers()
    expected = (ExitCode.TERMINATED, "Terminated.\n") if signum == signal.SIGTERM else (-signum, "")
    assert tagging.stop(signum) == expected
