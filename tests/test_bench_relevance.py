"""bench/relevance.py runs, and the judged queries all name papers of the example listing."""

from __future__ import annotations

import pytest

from tests.helpers import run_bench

pytestmark = pytest.mark.slow  # a benchmark script in a subprocess


def test_relevance_bench_runs_on_a_few_queries() -> None:
    done = run_bench("relevance.py", "--queries", "4")
    assert done.returncode == 0, done.stderr
    assert "nDCG@10" in done.stdout and "topic" in done.stdout


def test_a_query_papertriage_refuses_finds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # "other" (an IJCAI area) is a stop word alone: papertriage refuses it, so it finds nothing
    # and scores 0, where a bench of author keywords would otherwise stop with a traceback.
    from papertriage.models import Record
    from tests.helpers import ROOT

    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import relevance

    records = [Record.create("Other Ways to Prune", "We prune networks in other ways.")]
    rank = relevance.papertriage_ranker(records)
    assert rank("other") == []
    assert rank("prune") == [records[0].id]
