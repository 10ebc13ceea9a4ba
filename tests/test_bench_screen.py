"""Smoke test: bench/screen_bench.py still runs end to end, at a size that takes seconds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # a benchmark script in a subprocess


def test_screen_bench_runs_at_a_tiny_size() -> None:
    done = subprocess.run(
        [sys.executable, "bench/screen_bench.py", "--records", "300", "--steps", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "papers 300," in done.stdout
    assert "median ms" in done.stdout and "step/random" in done.stdout
    rows = {line.split()[0] for line in done.stdout.splitlines() if line.strip()}
    assert {"step", "random", "score"} <= rows
