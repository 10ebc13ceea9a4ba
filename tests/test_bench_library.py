"""Smoke test: bench/library_bench.py still runs end to end, at a size that takes seconds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # a benchmark script in a subprocess


def test_library_bench_runs_at_a_tiny_size() -> None:
    done = subprocess.run(
        [sys.executable, "bench/library_bench.py", "--records", "300"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "records/s" in done.stdout, done.stdout
    assert "FTS5" in done.stdout, done.stdout
