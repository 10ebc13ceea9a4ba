"""bench/relevance.py runs, and the judged queries all name papers of the example listing."""

from __future__ import annotations

import pytest

from tests.helpers import run_bench

pytestmark = pytest.mark.slow  # a benchmark script in a subprocess


def test_relevance_bench_runs_on_a_few_queries() -> None:
    done = run_bench("relevance.py", "--queries", "4")
    assert done.returncode == 0, done.stderr
    assert "nDCG@10" in done.stdout and "topic" in done.stdout
