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
from typing import TYPE_CHECKING

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

    def _slice(self, term: str) -> slice:
        term_id = self.vocabulary.get(term)
        if term_id is None:
            return slice(0, 0)
        return slice(int(self.start[term_id]), int(self.start[term_id + 1]))

    def docs_with(self, term: str) -> np.ndarray:
        return self.doc_ids[self._slice(term)]

    def _tag_mask(self, tag: str) -> np.ndarray:
        mask = self.tag_masks.get(tag)
        return mask if mask is not None else np.zeros(len(self.records), dtype=bool)

    def rank(self, plan: _Plan) -> list[Hit]:
        from papertriage.search import _contains_phrase

        n = len(self.records)
        scores = np.zeros(n, dtype=np.float64)
        for term, weight in plan.weighted.items():
            where = self._slice(term)
            docs = self.doc_ids[where]
            if not len(docs):
                continue
            df = len(docs)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5)) * weight
            scores[docs] += idf * self.weights[where]
        query = plan.query
        mask = scores > 0 if query.has_terms else np.ones(n, dtype=bool)
        if plan.typed_terms:
            found = np.zeros(n, dtype=np.float64)
            for term in plan.typed_terms:
                found[self.docs_with(term)] += 1
            scores *= 0.5 + 0.5 * found / len(plan.typed_terms)
        for tag in plan.required_tags:
            mask &= self._tag_mask(tag)
        for tag in plan.refused_tags:
            mask &= ~self._tag_mask(tag)
        for term in plan.excluded:
            mask[self.docs_with(term)] = False
        for term in plan.title_terms:
            where = self._slice(term)
            in_title = np.zeros(n, dtype=bool)
            in_title[self.doc_ids[where][self.in_title[where]]] = True
            mask &= in_title
        best = float(scores.max()) if n and scores.max() > 0 else 1.0
        boost = np.zeros(n, dtype=bool)
        for topic in plan.topic_ids:
            boost |= self._tag_mask(topic)
        final = scores + boost * (TOPIC_BOOST * best)
        mask &= final >= plan.min_score
        if query.has_terms:
            mask &= final > 0
        candidates = np.nonzero(mask)[0]
        phrases = plan.phrases
        if phrases:
            candidates = np.array(
                [
                    c
                    for c in candidates
                    if all(_contains_phrase(self.records[c], p) for p in phrases)
                ],
                dtype=np.int64,
            )
        if plan.limit is not None and len(candidates) > plan.limit:
            # Everything scoring at least the limit-th best score, ties included, then the exact
            # order (score, then id) is settled in Python on those few.
            kth = np.partition(final[candidates], -plan.limit)[-plan.limit]
            candidates = candidates[final[candidates] >= kth]
        hits = []
        for number in candidates.tolist():
            parts = {"text": round(float(scores[number]), 6)}
            if boost[number]:
                parts["topic"] = round(TOPIC_BOOST * best, 6)
            matched = tuple(sorted(term for term in plan.weighted if self._contains(term, number)))
            record = self.records[number]
            hits.append(Hit(record, round(float(final[number]), 6), matched, parts))
        hits.sort(key=lambda hit: (-hit.score, hit.record.id))
        return hits if plan.limit is None else hits[: plan.limit]

    def _contains(self, term: str, number: int) -> bool:
        docs = self.docs_with(term)
        position = int(np.searchsorted(docs, number))
        return position < len(docs) and int(docs[position]) == number


def _tag_masks(records: Sequence[Record]) -> dict[str, np.ndarray]:
    masks: dict[str, np.ndarray] = {}
    for number, record in enumerate(records):
        for tag in record.tags:
            mask = masks.get(tag)
            if mask is None:
                mask = masks[tag] = np.zeros(len(records), dtype=bool)
            mask[number] = True
    return masks
