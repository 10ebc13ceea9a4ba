"""Smoke test: bench/screen_bench.py still runs end to end, at a size that takes seconds."""

from __future__ import annotations

import pytest

from tests.helpers import run_bench

pytestmark = pytest.mark.slow  # a benchmark script in a subprocess


def test_screen_bench_runs_at_a_tiny_size() -> None:
    done = run_bench("screen_bench.py", "--records", "300", "--steps", "3", timeout=180)
    assert done.returncode == 0, done.stderr
    assert "papers 300," in done.stdout
    assert "median ms" in done.stdout and "step/random" in done.stdout
    rows = {line.split()[0] for line in done.stdout.splitlines() if line.strip()}
    assert {"step", "random", "score"} <= rows
