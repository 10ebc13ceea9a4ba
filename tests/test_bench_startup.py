"""Smoke test: bench/startup_bench.py runs every case and prints a number for each."""

from __future__ import annotations

import re

import pytest

from tests.helpers import run_bench

pytestmark = pytest.mark.slow  # a benchmark script that starts a few dozen children

CASES = (
    "bare Typer app",
    "papertriage --help",
    "warm search",
    "first-contact search",
    "first-contact tag",
    "first-contact search, 20 abstracts",
)


def test_startup_bench_runs_at_a_tiny_size() -> None:
    # --generated-corpus: the test must not depend on ../shared being there.
    done = run_bench(
        "startup_bench.py", "--runs", "1", "--corpus-records", "20", "--generated-corpus"
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    for case in CASES:
        row = re.compile(rf"^{re.escape(case)}\s+\d+\s+[+-]\d+\s", re.MULTILINE)
        assert row.search(done.stdout), f"no row for {case!r}:\n{done.stdout}"
    # Targets over the bare app are also judged as a share of it (set where it took 160 ms).
    for case, allowed in [("warm search", "1.38"), ("first-contact tag", "2.56")]:
        row = re.compile(
            rf"^{re.escape(case)}\s.*\s\d+\.\d\d\s+<= {allowed}\s+(PASS|FAIL)$", re.MULTILINE
        )
        assert row.search(done.stdout), f"no ratio verdict for {case!r}:\n{done.stdout}"
