"""Compare tags with hand labels: per-topic precision, recall and F1, with the papers behind them.

A labels file (YAML or JSON) maps a paper's title or id to its list of topic ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from papertriage.errors import InputError
from papertriage.models import Record, normalize_title


@dataclass(frozen=True)
class TopicScore:
    topic: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        relevant = self.true_positives + self.false_negatives
        return self.true_positives / relevant if relevant else 1.0

    @property
    def f1(self) -> float:
        return _f1(self.true_positives, self.false_positives, self.false_negatives)

    @property
    def support(self) -> int:
        return self.true_positives + self.false_negatives

    def shown(self) -> dict[str, float | None]:
        """Precision, recall and F1 as reported (unrounded): None where there is nothing to
        divide by (no paper tagged, no paper labelled), which the figures' 1.0 would hide (a
        topic the labels never name is not a perfect one)."""
        tagged = self.true_positives + self.false_positives
        return {
            "precision": self.precision if tagged else None,
            "recall": self.recall if self.support else None,
            "f1": self.f1 if tagged or self.support else None,
        }


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


@dataclass(frozen=True)
class Evaluation:
    topics: list[TopicScore]
    papers: int  # labelled papers found in the listing
    unmatched_labels: list[str]  # labels whose paper is not in the listing
    false_positives: dict[str, list[str]] = field(default_factory=dict)  # topic -> titles
    misses: dict[str, list[str]] = field(default_factory=dict)

    @property
    def micro_f1(self) -> float:
        return _f1(
            sum(t.true_positives for t in self.topics),
            sum(t.false_positives for t in self.topics),
            sum(t.false_negatives for t in self.topics),
        )

    @property
    def macro_f1(self) -> float:
        scored = [t.f1 for t in self.topics if t.support]
        return sum(scored) / len(scored) if scored else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "papers": self.papers,
            "micro_f1": round(self.micro_f1, 4),
            "macro_f1": round(self.macro_f1, 4),
            "topics": {
                t.topic: {
                    **{k: None if v is None else round(v, 4) for k, v in t.shown().items()},
                    "support": t.support,
                    "true_positives": t.true_positives,
                    "false_positives": t.false_positives,
                    "false_negatives": t.false_negatives,
                }
                for t in self.topics
            },
            "false_positives": self.false_positives,
            "misses": self.misses,
            "unmatched_labels": self.unmatched_labels,
        }


def read_labels_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot read labels: {error.strerror or error}") from None


def parse_mapping(text: str, name: str, values: str = "lists of topic ids") -> dict[Any, Any]:
    """The non-empty mapping in YAML or JSON text (JSON when `name` ends in .json); `values`
    names what a labels file maps titles or ids to, for the error message."""
    import yaml

    try:
        data = yaml.safe_load(text) if not name.endswith(".json") else json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        raise InputError(f"{name}: cannot read labels: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict) or not data:
        raise InputError(f"{name}: labels must map titles or ids to {values}")
    return data


def topic_labels(data: Mapping[Any, Any], name: str) -> dict[str, list[str]]:
    """Title or id -> topic ids, from a parsed labels mapping (a lone topic id or null allowed)."""
    labels: dict[str, list[str]] = {}
    for key, value in data.items():
        if value is None:
            value = []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(f"{name}: labels of {str(key)[:60]!r} must be a list of topic ids")
        labels[str(key)] = value
    return labels


def parse_labels(text: str, name: str) -> dict[str, list[str]]:
    """A labels mapping from YAML or JSON text: title or id -> topic ids."""
    return topic_labels(parse_mapping(text, name), name)


def load_labels(path: str) -> dict[str, list[str]]:
    return parse_labels(read_labels_text(path), path)


def match_keys(
    records: Sequence[Record], keys: Iterable[str]
) -> tuple[dict[str, Record], list[str]]:
    """The record each key (a paper's id or title) names, in key order, and the keys naming none.
    The first record with an id or normalized title wins."""
    by_key: dict[str, Record] = {}
    for record in records:
        by_key.setdefault(record.id, record)
        by_key.setdefault(normalize_title(record.title), record)
    matched: dict[str, Record] = {}
    unmatched: list[str] = []
    for key in keys:
        found = by_key.get(key) or by_key.get(normalize_title(key))
        if found is None:
            unmatched.append(key)
        else:
            matched[key] = found
    return matched, unmatched


def evaluate(
    records: Sequence[Record], labels: Mapping[str, list[str]], topic_ids: Sequence[str]
) -> Evaluation:
    """Score records' tags against labels, for every topic in `topic_ids`."""
    unknown = sorted({t for tags in labels.values() for t in tags} - set(topic_ids))
    if unknown:
        raise InputError(
            f"labels use topics the taxonomy does not have: {', '.join(unknown)}",
            hint="fix the labels or use --topics with a taxonomy that has them",
        )
    matched, unmatched = match_keys(records, labels)
    pairs = [(record, set(labels[key])) for key, record in matched.items()]
    scores = []
    false_positives: dict[str, list[str]] = {}
    misses: dict[str, list[str]] = {}
    for topic in topic_ids:
        tp = fp = fn = 0
        for record, truth in pairs:
            predicted = topic in record.tags
            if predicted and topic in truth:
                tp += 1
            elif predicted:
                fp += 1
                false_positives.setdefault(topic, []).append(record.title)
            elif topic in truth:
                fn += 1
                misses.setdefault(topic, []).append(record.title)
        scores.append(TopicScore(topic, tp, fp, fn))
    return Evaluation(scores, len(pairs), unmatched, false_positives, misses)


def evaluate_corrections(
    records: Sequence[Record], said: Mapping[str, Mapping[str, bool]], topic_ids: Sequence[str]
) -> Evaluation:
    """Score the tagger's tags (`records` as it tagged them) against a reader's corrections:
    paper id -> topic -> whether it fits. Only what the reader said counts: a topic they set
    that the tagger missed is a miss, one they removed that the tagger gave is a false
    positive; topics they said nothing about are not judged, nor listed."""
    by_id = {record.id: record for record in records}
    unmatched = sorted(paper_id for paper_id in said if paper_id not in by_id)
    scores = []
    false_positives: dict[str, list[str]] = {}
    misses: dict[str, list[str]] = {}
    judged = {topic for fits in said.values() for topic in fits}
    for topic in [t for t in topic_ids if t in judged]:
        tp = fp = fn = 0
        for paper_id, fits in said.items():
            if topic not in fits or paper_id not in by_id:
                continue
            record = by_id[paper_id]
            predicted = topic in record.tags
            if predicted and fits[topic]:
                tp += 1
            elif predicted:
                fp += 1
                false_positives.setdefault(topic, []).append(record.title)
            elif fits[topic]:
                fn += 1
                misses.setdefault(topic, []).append(record.title)
        scores.append(TopicScore(topic, tp, fp, fn))
    papers = sum(1 for paper_id in said if paper_id in by_id)
    return Evaluation(scores, papers, unmatched, false_positives, misses)


@dataclass(frozen=True)
class Contradiction:
    """A rule of a topic that fired on papers the reader untagged from it (or, with rule
    "missed", the papers they tagged with it that no rule reached)."""

    topic: str
    rule: str  # "phrase", "related", "regex", "tfidf" or "missed"
    text: str  # the words matched ("" for tfidf and missed)
    papers: int

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "rule": self.rule, "text": self.text, "papers": self.papers}


def contradicted_rules(
    records: Sequence[Record], said: Mapping[str, Mapping[str, bool]]
) -> list[Contradiction]:
    """The rules the reader's corrections contradict, most contradicted first: what to fix in
    the taxonomy. `records` as the tagger tagged them."""
    fired: dict[tuple[str, str, str], set[str]] = {}
    for record in records:
        for topic, fits in said.get(record.id, {}).items():
            tagged = topic in record.tags
            if fits and not tagged:
                fired.setdefault((topic, "missed", ""), set()).add(record.id)
            elif tagged and not fits:
                detail = (record.tag_details or {}).get(topic, {})
                for match in detail.get("matches", []):
                    key = (topic, match["rule"], match["text"].lower())
                    fired.setdefault(key, set()).add(record.id)
                if "tfidf" in detail:
                    fired.setdefault((topic, "tfidf", ""), set()).add(record.id)
    rows = [Contradiction(t, rule, text, len(ids)) for (t, rule, text), ids in fired.items()]
    return sorted(rows, key=lambda row: (-row.papers, row.topic, row.rule, row.text))
