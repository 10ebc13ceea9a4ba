"""Postings in numpy arrays, for corpora too large for Python dictionaries.

The same BM25 as papertriage.search (title words counted TITLE_WEIGHT times, coordination, topic
boost, filters) computed with array operations: a query touches each posting once in C, and the
top results are picked with a partial sort. Layout (CSR by term): postings of term t are
doc_ids[start[t]:start[t + 1]], in increasing document order, with their weighted term
frequencies turned into BM25 weights (the query-independent part of the score) in weights, and
whether the term is in the title in in_title.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from papertriage.models import Record
from papertriage.search import K1, TITLE_WEIGHT, TOPIC_BOOST, B, Hit, search_tokens

if TYPE_CHECKING:
    from papertriage.search import _Plan


@dataclass
class ArrayPostings:
    records: Sequence[Record]
    vocabulary: dict[str, int]
    start: np.ndarray  # int64, len(vocabulary) + 1
    doc_ids: np.ndarray  # int32
    weights: np.ndarray  # float64: BM25's term-frequency part, tf(K1+1)/(tf+norm), per posting
    in_title: np.ndarray  # bool
    lengths: np.ndarray  # float64, per document
    average_length: float
    tag_masks: dict[str, np.ndarray]  # tag -> bool per document

    @classmethod
    def build(cls, records: Sequence[Record]) -> ArrayPostings:
        vocabulary: dict[str, int] = {}
        terms, docs, tfs, titles = array("i"), array("i"), array("d"), array("b")
        lengths = np.zeros(len(records), dtype=np.float64)
        setdefault = vocabulary.setdefault
        for number, record in enumerate(records):
            title = search_tokens(record.title)
            abstract = search_tokens(record.abstract)
            counts = Counter(abstract)  # counting in C; title words then count TITLE_WEIGHT each
            for term in title:
                counts[term] += TITLE_WEIGHT
            lengths[number] = TITLE_WEIGHT * len(title) + len(abstract)
            terms.extend([setdefault(term, len(vocabulary)) for term in counts])
            docs.extend([number] * len(counts))
            tfs.extend(counts.values())
            in_title = set(title)
            titles.extend([term in in_title for term in counts])
        term_array = np.frombuffer(terms, dtype=np.int32)
        order = np.argsort(term_array, kind="stable")  # stable: documents stay in order
        start = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(np.bincount(term_array, minlength=len(vocabulary)), out=start[1:])
        tag_masks = _tag_masks(records)
        average = (float(lengths.mean()) if len(records) else 1.0) or 1.0
        doc_ids = np.frombuffer(docs, dtype=np.int32)[order]
        tf = np.frombuffer(tfs, dtype=np.float64)[order]
        # Precomputed once here, so a query only multiplies by idf and adds.
        norm = K1 * (1 - B + B * lengths[doc_ids] / average)
        weights = tf * (K1 + 1) / (tf + norm)
        titles_in_order = np.frombuffer(titles, dtype=np.int8)[order].astype(bool)
        return cls(
            records,
            vocabulary,
            start,
            doc_ids,
            weights,
            titles_in_order,
            lengths,
            average,
            tag_masks,
        )

    def save(self, path: str) -> None:
        """Write the postings as a plain .npz (no pickle); the records are stored elsewhere."""
        import json
        import os
        import tempfile

        directory = os.path.dirname(path) or "."
        terms = json.dumps(sorted(self.vocabulary, key=self.vocabulary.__getitem__))
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".npz")
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(
                    out,
                    terms=np.frombuffer(terms.encode("utf-8"), dtype=np.uint8),
                    start=self.start,
                    doc_ids=self.doc_ids,
                    weights=self.weights,
                    in_title=self.in_title,
                    lengths=self.lengths,
                )
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise

    @classmethod
    def load(cls, path: str, records: Sequence[Record]) -> ArrayPostings | None:
        """Postings saved by `save` for these records, or None if missing or unusable."""
        import json

        try:
            with np.load(path, allow_pickle=False) as data:
                terms = json.loads(data["terms"].tobytes().decode("utf-8"))
                arrays = {
                    k: data[k] for k in ("start", "doc_ids", "weights", "in_title", "lengths")
                }
        except (OSError, ValueError, KeyError):
            return None
        if len(arrays["lengths"]) != len(records) or len(arrays["start"]) != len(terms) + 1:
            return None
        lengths = arrays["lengths"]
        return cls(
            records,
            {term: i for i, term in enumerate(terms)},
            arrays["start"],
            arrays["doc_ids"],
            arrays["weights"],
            arrays["in_title"],
            lengths,
            float(lengths.mean()) or 1.0 if len(lengths) else 1.0,
            _tag_masks(records),
        )

    def vocabulary_view(self) -> dict[str, int]:
        """The terms, for typo correction (`in` and iteration)."""
        return self.vocabulary

    # -- what rank_postings needs --------------------------------------------------------------

    @property
    def size(self) -> int:
        return len(self.records)

    count = size
    live = None  # every document number is a document

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        term_id = self.vocabulary.get(term)
        if term_id is None:
            where = slice(0, 0)
        else:
            where = slice(int(self.start[term_id]), int(self.start[term_id + 1]))
        return self.doc_ids[where], self.weights[where], self.in_title[where]

    def tag_mask(self, tag: str) -> np.ndarray:
        mask = self.tag_masks.get(tag)
        return mask if mask is not None else np.zeros(len(self.records), dtype=bool)

    def records_at(self, numbers: list[int]) -> list[Record]:
        return [self.records[number] for number in numbers]

    def rank(self, plan: _Plan) -> list[Hit]:
        return rank_postings(self, plan)


class Postings(Protocol):
    """Postings rank_postings can score: documents are numbers below `size`."""

    size: int  # length of the per-document arrays
    count: int  # how many documents there are (for idf)
    live: np.ndarray | None  # which numbers are documents, when not all are

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(document numbers, BM25 term weights, in the title) of a term; numbers unique."""
        ...

    def tag_mask(self, tag: str) -> np.ndarray: ...

    def records_at(self, numbers: list[int]) -> list[Record]: ...


PHRASE_BATCH = 256  # candidates whose text is checked for a quoted phrase at a time


def rank_postings(source: Postings, plan: _Plan) -> list[Hit]:
    """Score, filter and order documents for a query plan (the same BM25, coordination, topic
    boost and filters as SearchIndex's dictionary postings)."""
    cache: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def postings(term: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if term not in cache:
            cache[term] = source.postings(term)
        return cache[term]

    n, count = source.size, source.count
    scores = np.zeros(n, dtype=np.float64)
    for term, weight in plan.weighted.items():
        docs, weights, _ = postings(term)
        if not len(docs):
            continue
        df = len(docs)
        idf = math.log(1 + (count - df + 0.5) / (df + 0.5)) * weight
        scores[docs] += idf * weights
    query = plan.query
    if query.has_terms:
        mask = scores > 0
    else:
        mask = np.ones(n, dtype=bool) if source.live is None else source.live.copy()
    if plan.typed_terms:
        found = np.zeros(n, dtype=np.float64)
        for term in plan.typed_terms:
            found[postings(term)[0]] += 1
        scores *= 0.5 + 0.5 * found / len(plan.typed_terms)
    for tag in plan.required_tags:
        mask &= source.tag_mask(tag)
    for tag in plan.refused_tags:
        mask &= ~source.tag_mask(tag)
    for term in plan.excluded:
        mask[postings(term)[0]] = False
    for term in plan.title_terms:
        docs, _, in_title = postings(term)
        titled = np.zeros(n, dtype=bool)
        titled[docs[in_title]] = True
        mask &= titled
    best = float(scores.max()) if n and scores.max() > 0 else 1.0
    boost = np.zeros(n, dtype=bool)
    for topic in plan.topic_ids:
        boost |= source.tag_mask(topic)
    final = scores + boost * (TOPIC_BOOST * best)
    mask &= final >= plan.min_score
    if query.has_terms:
        mask &= final > 0
    candidates = np.nonzero(mask)[0]
    fetched: dict[int, Record] = {}
    if plan.phrases:
        candidates = _with_phrases(source, candidates, final, plan, fetched)
    if plan.limit is not None and len(candidates) > plan.limit:
        # Everything scoring at least the limit-th best score, ties included, then the exact
        # order (score, then id) is settled in Python on those few.
        kth = np.partition(final[candidates], -plan.limit)[-plan.limit]
        candidates = candidates[final[candidates] >= kth]
    numbers = candidates.tolist()
    missing = [number for number in numbers if number not in fetched]
    fetched.update(zip(missing, source.records_at(missing), strict=True))
    present = {term: np.isin(candidates, postings(term)[0]) for term in plan.weighted}
    hits = []
    for position, number in enumerate(numbers):
        parts = {"text": round(float(scores[number]), 6)}
        if boost[number]:
            parts["topic"] = round(TOPIC_BOOST * best, 6)
        matched = tuple(sorted(term for term in plan.weighted if present[term][position]))
        hits.append(Hit(fetched[number], round(float(final[number]), 6), matched, parts))
    hits.sort(key=lambda hit: (-hit.score, hit.record.id))
    return hits if plan.limit is None else hits[: plan.limit]


def _with_phrases(
    source: Postings,
    candidates: np.ndarray,
    final: np.ndarray,
    plan: _Plan,
    fetched: dict[int, Record],
) -> np.ndarray:
    """The candidates whose text has every quoted phrase, checked best first and only until the
    limit is reached (a common phrase in a large library need not fetch every paper's text)."""
    from papertriage.search import _contains_phrase

    phrases, limit = plan.phrases, plan.limit
    order = candidates[np.argsort(-final[candidates], kind="stable")].tolist()
    kept: list[int] = []
    for start in range(0, len(order), PHRASE_BATCH):
        batch = order[start : start + PHRASE_BATCH]
        if limit is not None and len(kept) >= limit and final[batch[0]] < final[kept[limit - 1]]:
            break  # everything further scores below the limit-th paper found
        for number, record in zip(batch, source.records_at(batch), strict=True):
            if all(_contains_phrase(record, phrase) for phrase in phrases):
                kept.append(number)
                fetched[number] = record
    return np.array(sorted(kept), dtype=np.int64)


def _tag_masks(records: Sequence[Record]) -> dict[str, np.ndarray]:
    masks: dict[str, np.ndarray] = {}
    for number, record in enumerate(records):
        for tag in record.tags:
            mask = masks.get(tag)
            if mask is None:
                mask = masks[tag] = np.zeros(len(records), dtype=bool)
            mask[number] = True
    return masks
