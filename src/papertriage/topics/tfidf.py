"""TF-IDF similarity between documents and prototype texts, in plain Python.

Documents arrive as strings of content tokens separated by spaces (the tagger has tokenised and
stemmed them already). Features are hashed rather than kept in a vocabulary, so nothing grows
with the corpus. IDF is fitted on the records together with the prototypes, which keeps it
meaningful on a listing of a handful of papers.

This is the path of every listing a person reads: it costs no import of numpy, scipy or
scikit-learn, which alone take longer than tagging a day's listing. Large batches go through
papertriage.topics.tfidf_arrays, which computes the same numbers with numpy; both hash a token
into the same column (MurmurHash3, as scikit-learn's HashingVectorizer does), weigh it the same
way (sublinear tf, smoothed idf, L2 norm) and add the products up in the same order (by
column), so a paper's similarities do not depend on the size of its batch.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from itertools import compress
from operator import mul

N_FEATURES = 2**20  # hash buckets: collisions are rare at this size for paper vocabularies
# From this many documents the numbers are computed with numpy and scikit-learn, whose import
# (over a second) is then a small part of the work; smaller batches, every daily listing, avoid it.
ARRAYS_MIN_RECORDS = 5_000

# A sparse row: its columns, ascending, and the value in each.
Row = tuple[list[int], list[float]]
Counts = list[tuple[list[int], list[int]]]  # per document: columns ascending, and their counts


def prepare() -> None:
    """Nothing to import (papertriage.topics.tfidf_arrays imports scikit-learn here)."""


def murmurhash3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 (x86, 32 bits) of `data`, as a signed integer."""
    c1, c2, mask = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF
    h = seed
    body = len(data) - len(data) % 4
    for start in range(0, body, 4):
        k = int.from_bytes(data[start : start + 4], "little")
        k = (k * c1) & mask
        k = ((k << 15) | (k >> 17)) & mask
        h ^= (k * c2) & mask
        h = ((h << 13) | (h >> 19)) & mask
        h = (h * 5 + 0xE6546B64) & mask
    if body < len(data):
        k = int.from_bytes(data[body:], "little")
        k = (k * c1) & mask
        k = ((k << 15) | (k >> 17)) & mask
        h ^= (k * c2) & mask
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & mask
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & mask
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


class Columns(dict[str, int]):
    """The hashed column of each token, remembered: a listing repeats most of its words."""

    def __missing__(self, token: str) -> int:
        column = abs(murmurhash3_32(token.encode("utf-8"))) % N_FEATURES
        self[token] = column
        return column


def hashed_counts(documents: Iterable[str], columns: Columns | None = None) -> Counts:
    """Each document's term counts by hashed column (tokens that share a column add up)."""
    columns = Columns() if columns is None else columns
    result = []
    for document in documents:
        counted = Counter(document.split())
        keys = list(map(columns.__getitem__, counted))
        if len(set(keys)) < len(keys):  # two tokens in one column: one count
            merged: Counter[int] = Counter()
            for key, count in zip(keys, counted.values(), strict=True):
                merged[key] += count
            pairs = sorted(merged.items())
        else:
            pairs = sorted(zip(keys, counted.values(), strict=True))
        result.append(([key for key, _ in pairs], [count for _, count in pairs]))
    return result


def document_frequencies(counts: Counts) -> Counter[int]:
    """How many documents have each column."""
    frequencies: Counter[int] = Counter()
    for keys, _ in counts:
        frequencies.update(keys)
    return frequencies


def add_frequencies(parts: Iterable[Counter[int]]) -> Counter[int]:
    """The document frequencies of several slices of documents, as of one."""
    total: Counter[int] = Counter()
    for part in parts:
        total.update(part)
    return total


def idf_weights(frequencies: Mapping[int, int], documents: int) -> dict[int, float]:
    """Smoothed IDF of the columns that occur: ln((1 + n) / (1 + df)) + 1."""
    return {
        column: math.log((1 + documents) / (1 + df)) + 1.0 for column, df in frequencies.items()
    }


def tfidf_rows(counts: Counts, idf: dict[int, float]) -> list[Row]:
    """L2-normalised sublinear TF-IDF rows; every column of `counts` must have an IDF weight."""
    sublinear = _Sublinear()
    rows = []
    for keys, values in counts:
        weighted = list(map(mul, map(sublinear.__getitem__, values), map(idf.__getitem__, keys)))
        squares = 0.0
        for value in weighted:  # summed one by one, by column, as scikit-learn's normalize does
            squares += value * value
        if squares != 0.0:
            norm = math.sqrt(squares)
            weighted = [value / norm for value in weighted]
        rows.append((keys, weighted))
    return rows


class _Sublinear(dict[int, float]):
    """log(tf) + 1, remembered: counts are small numbers, repeated."""

    def __missing__(self, count: int) -> float:
        value = self[count] = math.log(count) + 1.0
        return value


def similarities_to(counts: Counts, prototype_rows: list[Row], idf: dict[int, float]) -> Matrix:
    """Cosine similarity of documents (their counts) to prototypes (their TF-IDF rows)."""
    # Column -> the prototypes having it, and their values: a document meets only those.
    by_column: dict[int, list[tuple[int, float]]] = {}
    for index, (keys, values) in enumerate(prototype_rows):
        for column, value in zip(keys, values, strict=True):
            by_column.setdefault(column, []).append((index, value))
    width = len(prototype_rows)
    matrix = []
    for keys, values in tfidf_rows(counts, idf):
        sums = [0.0] * width
        shared = list(map(by_column.get, keys))
        # Only the columns some prototype has, in column order (so the sums add up as numpy's do).
        for value, prototypes in compress(zip(values, shared, strict=True), shared):
            for index, prototype_value in prototypes or ():
                sums[index] += value * prototype_value
        matrix.append(sums)
    return Matrix(matrix, width)


def no_similarities(rows: int, width: int) -> Matrix:
    """The similarities of documents without content: nothing."""
    return Matrix([[0.0] * width for _ in range(rows)], width)


class Matrix:
    """Documents x prototypes similarities, read as `matrix[row, column]` like a numpy array."""

    def __init__(self, rows: list[list[float]], width: int) -> None:
        self.rows, self.shape = rows, (len(rows), width)

    def __getitem__(self, place: tuple[int, int]) -> float:
        row, column = place
        return self.rows[row][column]

    def __iter__(self) -> Iterator[list[float]]:
        return iter(self.rows)


def prototype_similarities(documents: list[str], prototypes: list[str]) -> Matrix:
    """Cosine similarity (documents x prototypes) of sublinear TF-IDF vectors."""
    columns = Columns()
    counts = hashed_counts(documents, columns)
    prototype_counts = hashed_counts(prototypes, columns)
    frequencies = add_frequencies(
        [document_frequencies(counts), document_frequencies(prototype_counts)]
    )
    idf = idf_weights(frequencies, len(counts) + len(prototype_counts))
    return similarities_to(counts, tfidf_rows(prototype_counts, idf), idf)
