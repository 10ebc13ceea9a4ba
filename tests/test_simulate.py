"""eval --simulate: metrics against hand-computed values, the simulation, the command."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from papertriage.errors import UsageError
from papertriage.learn.simulate import (
    load_relevance,
    match_labels,
    metrics,
    recall_curve,
    simulate,
)
from papertriage.models import Record
from tests.helpers import DATA, EXAMPLE, run

T, F = True, False
LABELS = str(DATA / "hf-labels.yaml")


def test_metrics_of_a_fabricated_order_match_the_hand_computed_values() -> None:
    # N = 10 screened, R = 3 relevant, found at positions 1, 3 and 10.
    result = metrics([T, F, T, F, F, F, F, F, F, T])
    assert result.recall == {10: pytest.approx(1 / 3), 25: pytest.approx(2 / 3), 50: 2 / 3}
    # 95% of 3 needs all 3: n95 = 10, WSS = (10 - 10) / 10 - 0.05
    assert result.wss95 == pytest.approx(-0.05)
    assert result.atd == pytest.approx((1 + 3 + 10) / 3 / 10)
    best = metrics([T, T, F, F, F, F, F, F, F, F])
    assert best.wss95 == pytest.approx(0.75)  # (10 - 2) / 10 - 0.05
    assert best.recall == {10: 0.5, 25: 1.0, 50: 1.0}
    assert best.atd == pytest.approx(0.15)
    # R = 20: 95% is 19 papers, so the last one found late does not count against WSS@95.
    late = metrics([T] * 19 + [F] * 80 + [T])
    assert late.wss95 == pytest.approx((100 - 19) / 100 - 0.05)
    assert late.to_dict() == {
        "wss@95": 0.76,
        "recall@10%": 0.5,
        "recall@25%": 0.95,
        "recall@50%": 0.95,
        "atd": round((sum(range(1, 20)) + 100) / 20 / 100, 4),
    }
    assert recall_curve([T, F, F, T])[10] == 0.5  # half screened: 2 papers, 1 of 2 found
    with pytest.raises(UsageError, match="no relevant paper"):
        metrics([F, F])


def _labelled(topic: str) -> object:
    from papertriage.listings.inputs import read_listing
    from papertriage.listings.readoptions import ReadOptions

    records = read_listing(str(EXAMPLE), ReadOptions()).records
    return match_labels(records, load_relevance(LABELS, topic))


def test_the_model_finds_moe_papers_far_sooner_than_random_order() -> None:
    result = simulate(_labelled("moe"), seeds=2)  # type: ignore[arg-type]
    assert (result.papers, result.relevant) == (257, 12)
    assert result.model.wss95 > 0.6 > 0.2 > result.random.wss95
    assert result.model.recall[25] > 0.9 and result.random.recall[25] < 0.5
    assert result.model.atd < 0.1 < 0.3 < result.random.atd
    again = simulate(_labelled("moe"), seeds=2)  # type: ignore[arg-type]
    assert again.to_dict() == result.to_dict()  # seeded: the same numbers every run


def test_labels_as_true_false_and_their_mistakes(tmp_path: Path) -> None:
    a, b = Record.create("Paper A"), Record.create("Paper B")
    path = tmp_path / "l.yaml"
    path.write_text("Paper A: true\nPaper B: false\nPaper C: true\n")
    labelled = match_labels([a, b, Record.create("Unlabelled")], load_relevance(str(path), None))
    assert (labelled.relevant, labelled.unlabelled, labelled.unmatched) == ({a.id}, 1, 1)
    with pytest.raises(UsageError, match="maps papers to true/false, so --relevant does not"):
        load_relevance(str(path), "moe")
    with pytest.raises(UsageError, match=r"no paper is labelled 'mo' \(one of continual"):
        load_relevance(LABELS, "mo")
    with pytest.raises(UsageError, match="only 1 labelled paper"):
        simulate(labelled)


def test_simulate_json_has_the_documented_keys() -> None:
    code, out, err = run(
        "eval", "--simulate", LABELS, str(EXAMPLE), "--relevant", "distributed-training",
        "--seeds", "2", "-q", "--format", "json",
    )  # fmt: skip
    assert (code, err) == (0, "")
    data = json.loads(out)
    keys = {"wss@95", "recall@10%", "recall@25%", "recall@50%", "atd"}
    assert keys < set(data) and set(data["random"]) == keys
    assert data["seeds"] == 2 and len(data["runs"]) == 2
    assert data["curve"]["screened"][0] == 0.0 and data["curve"]["model"][-1] == 1.0


def test_simulate_table_plot_and_errors(tmp_path: Path) -> None:
    plot = tmp_path / "curve.svg"
    args = ["eval", "--simulate", LABELS, str(EXAMPLE), "--relevant", "moe", "--seeds", "1"]
    code, out, err = run(*args, "--format", "table", "--plot", str(plot))
    assert code == 0, err
    assert "wss@95" in out and "recall by papers screened" in out and "█" in out
    assert err.splitlines()[-1] == f"{plot}: recall curve written"
    root = ElementTree.fromstring(plot.read_text(encoding="utf-8"))
    assert root.tag.endswith("svg") and len(root.findall(".//{*}polyline")) > 2
    before = plot.read_text(encoding="utf-8")
    code, out, err = run(*args, "--plot", str(plot))
    assert (code, out) == (3, "")
    assert err == f"Error: {plot}: already exists (use --force to replace it)\n"
    assert plot.read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir()] == ["curve.svg"]  # no temporary file left
    assert run(*args, "-q", "--plot", str(plot), "--force")[0] == 0
    code, _, err = run(*args, "--plot", str(tmp_path / "c.png"))
    assert (
        code == 2
        and err == f"Error: {tmp_path / 'c.png'}: --plot writes SVG (name the file .svg)\n"
    )
    code, _, err = run("eval", "--simulate", LABELS, str(EXAMPLE))
    assert code == 2 and err.startswith(
        f"Error: {LABELS}: maps papers to topics; say which topic counts as relevant "
        "(--relevant TOPIC, one of continual-learning,"
    )
    code, _, err = run("eval", LABELS, str(EXAMPLE), "--relevant", "moe")
    assert (code, err) == (2, "Error: --relevant and --plot go with --simulate (add --simulate)\n")
