"""The postings of a small corpus, gathered from each document's term weights when a term is first
asked for.

A query reads the postings of a handful of terms, so inverting a whole listing up front (a few
hundred thousand insertions for 2,000 abstracts) costs far more than the search. Each document
keeps its own weights (term -> weighted frequency, counted in C by collections.Counter); a term's
postings are collected from them once, in document order, and remembered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence

from papertriage.search.scoring import TITLE_WEIGHT

Weights = dict[str, float]  # a document's terms and their weighted frequencies


def term_weights(title: Sequence[str], abstract: Sequence[str]) -> Weights:
    """A document's weighted term frequencies: each title word counts TITLE_WEIGHT times."""
    weights: Weights = dict(Counter(abstract))
    for term in title:
        weights[term] = weights.get(term, 0) + TITLE_WEIGHT
    return weights


class GatheredPostings(Mapping[str, dict[int, float]]):
    """term -> {document number: weighted frequency}, as the inverted index reads it."""

    def __init__(self, documents: list[Weights]) -> None:
        self.documents = documents
        self._gathered: dict[str, dict[int, float]] = {}
        self._vocabulary: set[str] | None = None

    @property
    def vocabulary(self) -> set[str]:
        if self._vocabulary is None:
            self._vocabulary = set().union(*self.documents)
        return self._vocabulary

    def __getitem__(self, term: str) -> dict[int, float]:
        entry = self._gathered.get(term)
        if entry is None:  # gathered once, found or not: scoring asks again for every document
            entry = self._gathered[term] = {
                number: float(weights[term])
                for number, weights in enumerate(self.documents)
                if term in weights
            }
        if not entry:
            raise KeyError(term)
        return entry

    def __contains__(self, term: object) -> bool:
        return term in self.vocabulary

    def __iter__(self) -> Iterator[str]:
        return iter(self.vocabulary)

    def __len__(self) -> int:
        return len(self.vocabulary)
