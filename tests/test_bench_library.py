"""Smoke test: bench/library_bench.py still runs end to end, at a size that takes seconds."""

from __future__ import annotations

import pytest

from tests.helpers import run_bench

pytestmark = pytest.mark.slow  # a benchmark script in a subprocess


def test_library_bench_runs_at_a_tiny_size() -> None:
    done = run_bench("library_bench.py", "--records", "300")
    assert done.returncode == 0, done.stderr
    assert "records/s" in done.stdout, done.stdout
    assert "FTS5" in done.stdout, done.stdout
