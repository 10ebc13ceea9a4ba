"""Replaying screening on a labelled listing, as ASReview's simulation mode does, and scoring it.

A simulation starts from a few papers whose labels are known (the prior: `prior` relevant ones and
`prior_irrelevant` irrelevant ones, drawn at random per seed), then repeats: train on every label
revealed so far, screen the paper the model ranks first (or, with the "uncertainty" strategy, the
one it is least sure about), reveal its label. Random order, from the same prior, runs beside it.

Metrics are computed over the papers screened after the prior (the prior is given, not found):
N of them, R relevant. With found(k) the relevant papers among the first k screened,

* recall@x%: found(ceil(x/100 * N)) / R
* WSS@95: (N - n95) / N - 0.05, where n95 is the smallest k with found(k) >= 0.95 R; that is
  (TN + FN) / N - (1 - 0.95) at the point 95% of the relevant papers were found, the work saved
  over reading in random order (which needs 95% of the papers for 95% recall, on average)
* ATD (average time to discovery): the mean, over the R relevant papers, of the fraction of the N
  papers screened up to and including it (ASReview's time to discovery, as a fraction of N)
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from papertriage.errors import UsageError
from papertriage.models import Record
from papertriage.topics.evaluate import match_keys, parse_mapping, read_labels_text, topic_labels

if TYPE_CHECKING:
    from papertriage.learn.model import Features

RECALL_POINTS = (10, 25, 50)  # recall@x% reported
CURVE_STEPS = 20  # the recall curve is sampled at every 5% screened


@dataclass(frozen=True)
class Metrics:
    wss95: float
    recall: dict[int, float]  # percent screened -> recall
    atd: float

    def to_dict(self) -> dict[str, float]:
        data = {"wss@95": round(self.wss95, 4)}
        for percent, value in self.recall.items():
            data[f"recall@{percent}%"] = round(value, 4)
        data["atd"] = round(self.atd, 4)
        return data


def found_after(labels: Sequence[bool], screened: int) -> int:
    return sum(labels[:screened])


def metrics(labels: Sequence[bool]) -> Metrics:
    """The metrics of a screening order: labels (True = relevant) in the order screened."""
    n, r = len(labels), sum(labels)
    if not r:
        raise UsageError("no relevant paper to find besides the prior ones")
    positions = [k for k, relevant in enumerate(labels, start=1) if relevant]
    needed = math.ceil(0.95 * r - 1e-9)
    n95 = positions[needed - 1]
    recall = {p: found_after(labels, math.ceil(p / 100 * n - 1e-9)) / r for p in RECALL_POINTS}
    return Metrics((n - n95) / n - 0.05, recall, sum(positions) / r / n)


def recall_curve(labels: Sequence[bool]) -> list[float]:
    """Recall after 0%, 5%, ..., 100% of the papers screened."""
    n, r = len(labels), sum(labels)
    return [
        found_after(labels, math.ceil(step / CURVE_STEPS * n - 1e-9)) / r
        for step in range(CURVE_STEPS + 1)
    ]


def mean_metrics(runs: Sequence[Metrics]) -> Metrics:
    count = len(runs)
    return Metrics(
        sum(m.wss95 for m in runs) / count,
        {p: sum(m.recall[p] for m in runs) / count for p in RECALL_POINTS},
        sum(m.atd for m in runs) / count,
    )


# -- labels ---------------------------------------------------------------------------------


def load_relevance(path: str, topic: str | None) -> dict[str, bool]:
    """Title or id -> relevant, from a YAML/JSON mapping to true/false, or from topic labels
    (title or id -> topic ids, as `eval` reads them) with `topic` naming the relevant one."""
    data = parse_mapping(read_labels_text(path), path, "true/false, or to lists of topic ids")
    if all(isinstance(value, bool) for value in data.values()):
        if topic is not None:
            raise UsageError(
                f"{path}: maps papers to true/false, so --relevant does not apply",
                hint="leave --relevant out",
            )
        return {str(key): value for key, value in data.items()}
    labels = topic_labels(data, path)
    known = sorted({t for topics in labels.values() for t in topics})
    if topic is None:
        raise UsageError(
            f"{path}: maps papers to topics; say which topic counts as relevant",
            hint=f"--relevant TOPIC, one of {', '.join(known)}",
        )
    if topic not in known:
        raise UsageError(
            f"{path}: no paper is labelled {topic!r}", hint=f"one of {', '.join(known)}"
        )
    return {key: topic in topics for key, topics in labels.items()}


@dataclass(frozen=True)
class Labelled:
    records: list[Record]  # the labelled papers of the listing, in listing order
    relevant: set[str]  # their ids
    unlabelled: int  # papers of the listing without a label (left out)
    unmatched: int  # labels whose paper is not in the listing


def match_labels(records: Sequence[Record], labels: Mapping[str, bool]) -> Labelled:
    matched, unmatched = match_keys(records, labels)
    verdict = {record.id: labels[key] for key, record in matched.items()}
    kept = [r for r in records if r.id in verdict]
    relevant_ids = {i for i, relevant in verdict.items() if relevant}
    return Labelled(kept, relevant_ids, len(records) - len(kept), len(unmatched))


# -- the simulation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Simulation:
    papers: int  # N: screened after the prior
    relevant: int  # R: relevant among them
    seeds: int
    model: Metrics  # mean over seeds
    random: Metrics
    model_curve: list[float]  # mean recall at 0%, 5%, ... 100% screened
    random_curve: list[float]
    runs: list[tuple[int, Metrics, Metrics]]  # per seed: (seed, model, random)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"papers": self.papers, "relevant": self.relevant}
        data.update(self.model.to_dict())
        data["random"] = self.random.to_dict()
        data["seeds"] = self.seeds
        data["curve"] = {
            "screened": [round(step / CURVE_STEPS, 4) for step in range(CURVE_STEPS + 1)],
            "model": [round(v, 4) for v in self.model_curve],
            "random": [round(v, 4) for v in self.random_curve],
        }
        data["runs"] = [
            {"seed": seed, **model.to_dict(), "random": rand.to_dict()}
            for seed, model, rand in self.runs
        ]
        return data


def _prior(
    labelled: Labelled, rng: random.Random, prior: int, prior_irrelevant: int
) -> tuple[list[str], list[str]]:
    ids = [r.id for r in labelled.records]
    relevant = [i for i in ids if i in labelled.relevant]
    irrelevant = [i for i in ids if i not in labelled.relevant]
    return rng.sample(relevant, prior), rng.sample(irrelevant, prior_irrelevant)


def screen_order(
    features: Features,
    relevant: set[str],
    positive: list[str],
    negative: list[str],
    strategy: str = "relevant",
) -> list[bool]:
    """Labels in the order the model has the rest screened, retraining after every paper."""
    import numpy as np

    from papertriage.learn.model import pick

    positive, negative = list(positive), list(negative)
    done = np.zeros(len(features.records), dtype=bool)
    done[features.rows(positive + negative)] = True
    left_relevant = len(relevant) - len(positive)
    order: list[bool] = []
    while left_relevant:
        ranker = features.train(positive, negative)
        row = pick(ranker, done, strategy)
        done[row] = True
        paper_id = features.records[row].id
        is_relevant = paper_id in relevant
        (positive if is_relevant else negative).append(paper_id)
        order.append(is_relevant)
        left_relevant -= is_relevant
    # Every relevant paper is found: the order of the rest changes no metric.
    return order + [False] * int((~done).sum())


def simulate(
    labelled: Labelled,
    *,
    prior: int = 1,
    prior_irrelevant: int = 1,
    seeds: int = 5,
    strategy: str = "relevant",
) -> Simulation:
    """Model order against random order, from the same random prior, for seeds 1..`seeds`."""
    from papertriage.learn.model import Features

    irrelevant = len(labelled.records) - len(labelled.relevant)
    if prior < 1 or prior_irrelevant < 0:
        raise UsageError("--prior must be at least 1 and --prior-irrelevant at least 0")
    if len(labelled.relevant) <= prior:
        raise UsageError(
            f"only {len(labelled.relevant)} labelled paper(s) are relevant: nothing is left to "
            f"find after a prior of {prior}",
            hint="label more papers relevant, or lower --prior",
        )
    if irrelevant < prior_irrelevant:
        raise UsageError(f"only {irrelevant} labelled paper(s) are irrelevant; lower the prior")
    features = Features(labelled.records)
    runs = []
    model_curves, random_curves = [], []
    for seed in range(1, seeds + 1):
        rng = random.Random(seed)
        positive, negative = _prior(labelled, rng, prior, prior_irrelevant)
        modelled = screen_order(features, labelled.relevant, positive, negative, strategy)
        prior_ids = set(positive) | set(negative)
        rest = [r.id in labelled.relevant for r in labelled.records if r.id not in prior_ids]
        rng.shuffle(rest)
        runs.append((seed, metrics(modelled), metrics(rest)))
        model_curves.append(recall_curve(modelled))
        random_curves.append(recall_curve(rest))
    return Simulation(
        papers=len(labelled.records) - prior - prior_irrelevant,
        relevant=len(labelled.relevant) - prior,
        seeds=seeds,
        model=mean_metrics([m for _, m, _ in runs]),
        random=mean_metrics([r for _, _, r in runs]),
        model_curve=_mean_curve(model_curves),
        random_curve=_mean_curve(random_curves),
        runs=runs,
    )


def _mean_curve(curves: list[list[float]]) -> list[float]:
    return [sum(values) / len(values) for values in zip(*curves, strict=True)]


# -- the recall curve as SVG -----------------------------------------------------------------

_WIDTH, _HEIGHT, _MARGIN = 480, 320, 48


def curve_svg(simulation: Simulation, title: str) -> str:
    """The mean recall curves of the model and of random order, as a standalone SVG image."""
    from xml.sax.saxutils import escape

    inner_w, inner_h = _WIDTH - 2 * _MARGIN, _HEIGHT - 2 * _MARGIN

    def point(x: float, y: float) -> str:
        return f"{_MARGIN + x * inner_w:.1f},{_HEIGHT - _MARGIN - y * inner_h:.1f}"

    def line(values: Sequence[float]) -> str:
        return " ".join(point(step / CURVE_STEPS, v) for step, v in enumerate(values))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{_WIDTH}" height="{_HEIGHT}" fill="white"/>',
        f'<text x="{_WIDTH / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>',
    ]
    for tick in range(0, 11, 2):
        fraction = tick / 10
        x, y = point(fraction, 0).split(",")
        parts.append(f'<text x="{x}" y="{float(y) + 16}" text-anchor="middle">{tick * 10}%</text>')
        x, y = point(0, fraction).split(",")
        parts.append(
            f'<text x="{float(x) - 6}" y="{float(y) + 4}" text-anchor="end">{fraction:.1f}</text>'
        )
        parts.append(
            f'<polyline points="{point(0, fraction)} {point(1, fraction)}" stroke="#ddd" fill="none"/>'
        )
    parts += [
        f'<polyline points="{point(0, 0)} {point(1, 0)}" stroke="black" fill="none"/>',
        f'<polyline points="{point(0, 0)} {point(0, 1)}" stroke="black" fill="none"/>',
        f'<polyline points="{line(simulation.random_curve)}" stroke="#999" '
        'stroke-dasharray="4 3" stroke-width="2" fill="none"/>',
        f'<polyline points="{line(simulation.model_curve)}" stroke="#1f6fb4" '
        'stroke-width="2" fill="none"/>',
        f'<text x="{_WIDTH / 2}" y="{_HEIGHT - 8}" text-anchor="middle">papers screened</text>',
        f'<text x="14" y="{_HEIGHT / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {_HEIGHT / 2})">recall</text>',
        f'<text x="{_MARGIN + 10}" y="{_MARGIN}" fill="#1f6fb4">model (WSS@95 '
        f"{simulation.model.wss95:.2f})</text>",
        f'<text x="{_MARGIN + 10}" y="{_MARGIN + 16}" fill="#777">random (WSS@95 '
        f"{simulation.random.wss95:.2f})</text>",
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
