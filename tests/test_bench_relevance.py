"""bench/relevance.py runs, and the judged queries all name papers of the example listing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # a benchmark script in a subprocess


def test_relevance_bench_runs_on_a_few_queries() -> None:
    done = subprocess.run(
        [sys.executable, "bench/relevance.py", "--queries", "4"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "nDCG@10" in done.stdout and "topic" in done.stdout
