"""Postings in numpy arrays, for corpora too large for Python dictionaries.

The same BM25 as papertriage.search.index (papertriage.search.scoring's, with the same query plan
and filters) computed with array operations: a query touches each posting once in C, and the
top results are picked with a partial sort. Layout (CSR by term): postings of term t are
doc_ids[start[t]:start[t + 1]], in increasing document order, with their weighted term
frequencies turned into BM25 weights (the query-independent part of the score) in weights, and
whether the term is in the title in in_title.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

import papertriage.search.scoring as scoring
from papertriage.models import Record
from papertriage.search.query import (
    Hit,
    Ranked,
    contains_phrase,
    in_a_row_places,
    ordered,
    search_tokens,
)
from papertriage.search.scoring import TITLE_WEIGHT

if TYPE_CHECKING:
    from papertriage.search.query import Plan


@dataclass
class ArrayPostings:
    records: Sequence[Record]
    vocabulary: dict[str, int]
    start: np.ndarray  # int64, len(vocabulary) + 1
    doc_ids: np.ndarray  # int32
    weights: np.ndarray  # float64: BM25's term-frequency part, scoring.saturation, per posting
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
                counts[term] += TITLE_WEIGHT  # type: ignore[assignment]  # a float count is fine
            lengths[number] = scoring.weighted_count(len(title), len(abstract))
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
        average = scoring.average_length(float(lengths.sum()), len(records))
        doc_ids = np.frombuffer(docs, dtype=np.int32)[order]
        tf = np.frombuffer(tfs, dtype=np.float64)[order]
        # Precomputed once here, so a query only multiplies by idf and adds.
        weights = scoring.saturation(tf, scoring.length_norm(lengths[doc_ids], average))
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
            scoring.average_length(float(lengths.sum()), len(lengths)),
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

    def _where(self, term: str) -> slice:
        term_id = self.vocabulary.get(term)
        if term_id is None:
            return slice(0, 0)
        return slice(int(self.start[term_id]), int(self.start[term_id + 1]))

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        where = self._where(term)
        return self.doc_ids[where], self.weights[where]

    def titled(self, term: str) -> np.ndarray:
        where = self._where(term)
        titled: np.ndarray = self.doc_ids[where][self.in_title[where]]
        return titled

    def tag_mask_at(self, tag: str, numbers: np.ndarray) -> np.ndarray:
        mask = self.tag_masks.get(tag)
        return mask[numbers] if mask is not None else np.zeros(len(numbers), dtype=bool)

    def records_at(self, numbers: list[int]) -> list[Record]:
        return [self.records[number] for number in numbers]

    def rank(self, plan: Plan) -> Ranked:
        return rank_postings(self, plan)


class Postings(Protocol):
    """Postings rank_postings can score: documents are numbers below `size`."""

    @property
    def size(self) -> int:
        """The length of the per-document arrays."""
        ...

    @property
    def count(self) -> int:
        """How many documents there are (for idf)."""
        ...

    @property
    def live(self) -> np.ndarray | None:
        """Which numbers are documents, when not all are."""
        ...

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, BM25 term weights) of a term; numbers unique."""
        ...

    def titled(self, term: str) -> np.ndarray:
        """The documents with the term in their title."""
        ...

    def tag_mask_at(self, tag: str, numbers: np.ndarray) -> np.ndarray:
        """Which of the documents `numbers` have the tag."""
        ...

    def records_at(self, numbers: list[int]) -> list[Record]: ...


PHRASE_BATCH = 256  # candidates whose text is checked for a quoted phrase at a time


def rank_postings(source: Postings, plan: Plan) -> Ranked:
    """Score, filter and order documents for a query plan (the same BM25, coordination, topic
    boost and filters as SearchIndex's dictionary postings).

    After the scores are summed, everything works on the documents scored (arrays aligned with
    `numbers`) rather than on every document: a query touches each of its postings a few times
    and the whole corpus only once or twice.
    """
    cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def postings(term: str) -> tuple[np.ndarray, np.ndarray]:
        if term not in cache:
            cache[term] = source.postings(term)
        return cache[term]

    n, count = source.size, source.count
    scored_docs, contributions = [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
    scored_terms = set()
    for term, weight in plan.weighted.items():
        docs, weights = postings(term)
        if not len(docs):
            continue
        idf = scoring.idf(len(docs), count) * weight
        scored_docs.append(docs)
        contributions.append(idf * weights)
        scored_terms.add(term)
    # One pass summing every term's contributions per document, in term order (as adding term
    # by term would): far faster than repeated scattered additions.
    all_docs = np.concatenate(scored_docs)
    scores = np.bincount(all_docs, weights=np.concatenate(contributions), minlength=n)
    scores = scores.astype(np.float64, copy=False)  # (an empty count is integers)
    query = plan.query
    if query.has_terms:
        numbers = np.flatnonzero(scores)
    else:  # only filters: every document is a candidate
        numbers = np.arange(n) if source.live is None else np.flatnonzero(source.live)
    text = scores[numbers]
    if plan.typed_terms:
        # Coordination: a paper with all the words typed beats one with a rare word alone.
        if scored_terms <= plan.typed_terms:  # no synonym scored: count the same postings
            found = np.bincount(all_docs, minlength=n)
        else:
            typed = [postings(term)[0] for term in plan.typed_terms]
            found = np.bincount(np.concatenate([np.zeros(0, np.int64), *typed]), minlength=n)
        text *= scoring.coordination(found[numbers], len(plan.typed_terms))
    keep = np.ones(len(numbers), dtype=bool)
    for tag in plan.required_tags:
        keep &= source.tag_mask_at(tag, numbers)
    for tag in plan.refused_tags:
        keep &= ~source.tag_mask_at(tag, numbers)
    for term in plan.excluded:
        keep &= ~_holds(n, postings(term)[0], numbers)
    for term in plan.title_terms:
        keep &= _holds(n, source.titled(term), numbers)
    topic = scoring.topic_boost(scoring.boost_base(float(text.max()) if len(text) else 0.0))
    boost = np.zeros(len(numbers), dtype=bool)
    for tag in plan.topic_ids:
        boost |= source.tag_mask_at(tag, numbers)
    final = scoring.final_score(text, boost * topic)
    # With words to find in a row, scores still rise below: min_score is applied after.
    keep &= scoring.passes(final, 0.0 if plan.in_a_row else plan.min_score, query.has_terms)
    chosen = np.flatnonzero(keep)  # positions in `numbers`
    fetched: dict[int, Record] = {}
    chosen, final, gains = _read_texts(
        source, numbers, (text, boost * topic, final), chosen, plan, fetched
    )
    matched = len(chosen)
    if plan.limit is not None and len(chosen) > plan.limit:
        chosen = _best(chosen, final, plan.limit)
    docs_chosen = numbers[chosen]
    wanted = docs_chosen.tolist()
    missing = [number for number in wanted if number not in fetched]
    fetched.update(zip(missing, source.records_at(missing), strict=True))
    hits = []
    for at, number in zip(chosen.tolist(), wanted, strict=True):
        parts = {"text": scoring.shown(float(text[at]))}
        if at in gains:
            parts["phrase"] = scoring.shown(gains[at])
        if boost[at]:
            parts["topic"] = scoring.shown(topic)
        record = fetched[number]
        # The postings hold exactly these tokens: reading the few papers shown is cheaper than
        # looking each of them up in postings that may be a million long.
        words = {*search_tokens(record.title), *search_tokens(record.abstract)}
        terms = tuple(sorted(term for term in plan.weighted if term in words))
        hits.append(Hit(record, scoring.shown(float(final[at])), terms, parts))
    return Ranked(ordered(hits, plan.limit), matched)


SAMPLE = 8_192  # candidates whose scores bound the top ones' from below, before a full sort


def _best(chosen: np.ndarray, final: np.ndarray, limit: int) -> np.ndarray:
    """The positions scoring at least the limit-th best score, ties included (the exact order,
    score then id, is settled in Python on those few).

    The limit-th best score of any subset is at most that of all, so the scores of the first
    SAMPLE candidates give a bar that keeps every top one while dropping most of the rest: the
    partition then runs over a few candidates instead of possibly a million.
    """
    values = final[chosen]
    if len(values) > 4 * SAMPLE:
        sample = values[:SAMPLE]
        bar = np.partition(sample, -limit)[-limit] if len(sample) >= limit else 0.0
        above = np.flatnonzero(values >= bar)
        chosen, values = chosen[above], values[above]
    kth = np.partition(values, -limit)[-limit]
    best: np.ndarray = chosen[values >= kth]
    return best


def _holds(size: int, docs: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Which candidates are among `docs` (a scatter: cheaper than np.isin on long postings)."""
    mask = np.zeros(size, dtype=bool)
    mask[docs] = True
    held: np.ndarray = mask[candidates]
    return held


def _read_texts(
    source: Postings,
    numbers: np.ndarray,
    scores: tuple[np.ndarray, np.ndarray, np.ndarray],
    chosen: np.ndarray,
    plan: Plan,
    fetched: dict[int, Record],
) -> tuple[np.ndarray, np.ndarray, dict[int, float]]:
    """What the postings cannot tell, read in the papers' text (`fetched` keeps what was read):
    the positions of `chosen` left by the quoted phrases and min_score, the final scores with
    the gain for the words in a row, and those gains by position. `scores` is (text, topic,
    final)."""
    final = scores[2]
    if plan.phrases:
        wanted = plan.limit
        if plan.in_a_row and wanted is not None:
            wanted = max(wanted, scoring.IN_A_ROW_POOL)
        chosen = _with_phrases(source, numbers, final, chosen, plan.phrases, wanted, fetched)
    gains: dict[int, float] = {}  # position -> what holding the words in a row added
    if plan.in_a_row:
        final, gains = _with_in_a_row(source, numbers, scores, chosen, plan.in_a_row, fetched)
        chosen = chosen[scoring.passes(final[chosen], plan.min_score, plan.query.has_terms)]
    return chosen, final, gains


def _with_in_a_row(
    source: Postings,
    numbers: np.ndarray,
    scores: tuple[np.ndarray, np.ndarray, np.ndarray],
    chosen: np.ndarray,
    words: tuple[str, ...],
    fetched: dict[int, Record],
) -> tuple[np.ndarray, dict[int, float]]:
    """The final scores with the gain of the IN_A_ROW_POOL best papers of `chosen` that hold
    `words` in a row added, and those gains by position; `scores` is (text, topic, final)."""
    text, topic, final = scores
    pool = chosen
    if len(pool) > scoring.IN_A_ROW_POOL:
        pool = _best(pool, final, scoring.IN_A_ROW_POOL)  # ties included: settled by id below
    docs = numbers[pool].tolist()
    missing = [number for number in docs if number not in fetched]
    fetched.update(zip(missing, source.records_at(missing), strict=True))
    ranked = sorted(
        zip(pool.tolist(), docs, strict=True),
        key=lambda item: (-final[item[0]], fetched[item[1]].id),
    )
    final = final.copy()
    gains = {}
    for at, number in ranked[: scoring.IN_A_ROW_POOL]:
        gain = scoring.in_a_row(float(text[at]), *in_a_row_places(fetched[number], words))
        if gain:
            gains[at] = gain
            final[at] = scoring.final_score(float(text[at]) + gain, float(topic[at]))
    return final, gains


def _with_phrases(
    source: Postings,
    numbers: np.ndarray,
    final: np.ndarray,
    chosen: np.ndarray,
    phrases: list[tuple[str, ...]],
    limit: int | None,
    fetched: dict[int, Record],
) -> np.ndarray:
    """The positions in `chosen` whose paper has every quoted phrase, checked best first and
    only until `limit` are found (a common phrase need not fetch every paper's text)."""
    order = chosen[np.argsort(-final[chosen], kind="stable")].tolist()
    kept: list[int] = []
    for start in range(0, len(order), PHRASE_BATCH):
        batch = order[start : start + PHRASE_BATCH]
        if limit is not None and len(kept) >= limit and final[batch[0]] < final[kept[limit - 1]]:
            break  # everything further scores below the limit-th paper found
        docs = numbers[batch].tolist()
        for at, number, record in zip(batch, docs, source.records_at(docs), strict=True):
            if all(contains_phrase(record, phrase) for phrase in phrases):
                kept.append(at)
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
