"""Smoke test: bench/search_bench.py still runs end to end, at a size that takes seconds."""

from __future__ import annotations

import pytest

from tests.helpers import run_bench

pytestmark = pytest.mark.slow  # a benchmark script in a subprocess


def test_search_bench_runs_at_a_tiny_size() -> None:
    done = run_bench("search_bench.py", "--records", "300", "--repeat", "2")
    assert done.returncode == 0, done.stderr
    assert "FTS5" in done.stdout, done.stdout
    assert "median" in done.stdout, done.stdout
