"""Smoke test: bench/parse_bench.py still runs end to end, at a size that takes seconds."""

from __future__ import annotations

import pytest

from tests.helpers import run_bench

pytestmark = pytest.mark.slow  # a benchmark script in a subprocess


def test_parse_bench_runs_at_a_tiny_size() -> None:
    done = run_bench("parse_bench.py", "--records", "200", "--repeat", "1", timeout=120)
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines()]
    # The table row for the size asked for: it starts with the record count.
    assert any(row and row[0] == "200" for row in rows), done.stdout
    assert "MB/s" in done.stdout
