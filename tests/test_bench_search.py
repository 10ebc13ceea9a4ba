"""Smoke test: bench/search_bench.py still runs end to end, at a size that takes seconds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # a benchmark script in a subprocess


def test_search_bench_runs_at_a_tiny_size() -> None:
    done = subprocess.run(
        [sys.executable, "bench/search_bench.py", "--records", "300", "--repeat", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "FTS5" in done.stdout, done.stdout
    assert "median" in done.stdout, done.stdout
