"""The library's search index: BM25 postings kept inside the library's SQLite file.

Why there: an `add` writes papers and their postings in the same transaction, so a crash leaves
both as they were, `backup` copies both, and nothing beside the library can go stale. A search
reads only the postings of the words it asks for (a few megabytes even at a million papers) and
fetches only the records it shows, so a new process answers in well under a second.

Layout. Papers are numbered (`papers.doc`). Each add indexes the papers it inserted or changed as
one segment: a row of per-paper arrays (numbers, weighted lengths, topic bits) and a row per term
with the numbers of the papers holding it and their term frequencies. A paper indexed again later
belongs to its newest segment; its postings in older ones are ignored, and dropped when segments
are merged. Scores are the same BM25 as papertriage.search.index (papertriage.search.scoring),
computed by papertriage.search.arrayindex.rank_postings.

This module turns records into segments and segments into query answers; reading and writing the
rows is papertriage.library.store's job (the only module that speaks SQL).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Protocol

import numpy as np

import papertriage.search.scoring as scoring
from papertriage.models import Record
from papertriage.search.arrayindex import rank_postings
from papertriage.search.query import Ranked
from papertriage.search.stopwords import STOP_WORDS
from papertriage.tokens import tokenize

if TYPE_CHECKING:
    from papertriage.search.query import Plan

TF_LIMIT = 32_767  # term frequencies are stored as uint16 (tf * 2 + in title)
DOC_TYPE, TF_TYPE, LENGTH_TYPE = np.int32, np.uint16, np.float32
_SKIP = -1  # the term id of a word not indexed (a stop word: no query ever scores one)


@dataclass
class Segment:
    """One add's postings, ready to be stored: per-paper arrays and a CSR table by term."""

    docs: np.ndarray  # DOC_TYPE: the papers' numbers
    lengths: np.ndarray  # LENGTH_TYPE: weighted lengths (title words count TITLE_WEIGHT times)
    tags: np.ndarray  # uint8, (papers, width): topic bits, np.packbits over the topic list
    terms: list[str]
    starts: np.ndarray  # int64, len(terms) + 1: postings of terms[i] are [starts[i], starts[i+1])
    postings_docs: np.ndarray  # DOC_TYPE
    postings_tf: np.ndarray  # TF_TYPE: tf * 2 + (1 if the term is in the title)

    def term_rows(self) -> Iterator[tuple[str, bytes, bytes]]:
        """(term, paper numbers, frequencies) for each term, as stored."""
        starts = self.starts.tolist()
        for number, term in enumerate(self.terms):
            lo, hi = starts[number], starts[number + 1]
            yield term, self.postings_docs[lo:hi].tobytes(), self.postings_tf[lo:hi].tobytes()


class _TermIds(dict[str, int]):
    """search token -> term id, numbered as first seen (stop words: _SKIP, never indexed)."""

    indexed = 0

    def __missing__(self, token: str) -> int:
        if token in STOP_WORDS:
            number = _SKIP
        else:
            number, self.indexed = self.indexed, self.indexed + 1
        self[token] = number
        return number


def topic_bits(tag_lists: Iterable[Sequence[str]], topics: list[str]) -> np.ndarray:
    """Packed topic bits per paper (topics not yet in `topics` are appended to it)."""
    position = {topic: i for i, topic in enumerate(topics)}
    rows: list[list[int]] = []
    for tags in tag_lists:
        row = []
        for tag in tags:
            if tag not in position:
                position[tag] = len(topics)
                topics.append(tag)
            row.append(position[tag])
        rows.append(row)
    width = max(1, math.ceil(len(topics) / 8))
    bits = np.zeros((len(rows), width * 8), dtype=bool)
    for number, row in enumerate(rows):
        bits[number, row] = True
    return np.packbits(bits, axis=1)


def segment_topic_bits(
    docs: bytes, tags_by_doc: dict[int, Sequence[str]], topics: list[str]
) -> np.ndarray:
    """A stored segment's topic bits recomputed from its papers' tags (after re-tagging)."""
    numbers = np.frombuffer(docs, DOC_TYPE).tolist()
    return topic_bits([tags_by_doc.get(number, ()) for number in numbers], topics)


@dataclass
class PostingsPart:
    """Postings of a batch of records, numbered by their place in the batch: what a tagging
    worker sends back, having tokenised the records already, so they are not tokenised twice."""

    vocabulary: list[str]  # term id -> term
    terms: np.ndarray  # int32 term ids, one per (term, record) pair
    places: np.ndarray  # int32 places of the records in the batch
    tf: np.ndarray  # TF_TYPE: tf * 2 + (1 if the term is in the title)
    lengths: np.ndarray  # LENGTH_TYPE, per record

    @classmethod
    def from_tokens(cls, fields: Sequence[tuple[list[str], list[str]]]) -> PostingsPart:
        """From each record's (title tokens, abstract tokens), as papertriage.tokens makes them."""
        ids = _TermIds()
        lookup = ids.__getitem__
        terms, places, in_title = array("i"), array("i"), array("b")
        lengths = np.zeros(len(fields), dtype=LENGTH_TYPE)
        for place, (title_tokens, abstract_tokens) in enumerate(fields):
            title = list(map(lookup, title_tokens))
            abstract = list(map(lookup, abstract_tokens))
            lengths[place] = scoring.weighted_count(len(title), len(abstract))
            terms.extend(title)
            terms.extend(abstract)
            places.extend(repeat(place, len(title) + len(abstract)))
            in_title.extend(repeat(1, len(title)))
            in_title.extend(repeat(0, len(abstract)))
        width = max(len(fields), 1)
        term_array = np.frombuffer(terms, dtype=np.int32)
        indexed = term_array != _SKIP
        # One key per (term, record) occurrence; np.unique sorts them term-major.
        keys = term_array[indexed].astype(np.int64) * width
        keys += np.frombuffer(places, dtype=np.int32)[indexed]
        unique, inverse = np.unique(keys, return_inverse=True)
        del keys, term_array
        title_flags = np.frombuffer(in_title, dtype=np.int8)[indexed]
        title_count = np.bincount(inverse, weights=title_flags, minlength=len(unique))
        abstract_count = np.bincount(inverse, minlength=len(unique)) - title_count
        del inverse
        tf = np.minimum(scoring.weighted_count(title_count, abstract_count), TF_LIMIT).astype(
            np.int64
        )
        term_ids, local = np.divmod(unique, width)
        return cls(
            vocabulary=[token for token, number in ids.items() if number != _SKIP],
            terms=term_ids.astype(np.int32),
            places=local.astype(np.int32),
            tf=(tf * 2 + (title_count > 0)).astype(TF_TYPE),
            lengths=lengths,
        )

    @classmethod
    def from_records(cls, records: Sequence[Record]) -> PostingsPart:
        return cls.from_tokens([(tokenize(r.title), tokenize(r.abstract)) for r in records])

    @classmethod
    def concat(cls, parts: Sequence[PostingsPart]) -> PostingsPart:
        """Parts of consecutive slices of a batch as one part of the whole batch."""
        vocabulary: dict[str, int] = {}
        terms, places, offset = [], [], 0
        for part in parts:
            terms.append(_term_ids(vocabulary, part.vocabulary)[part.terms])
            places.append(part.places + offset)
            offset += len(part.lengths)
        return cls(
            list(vocabulary),
            np.concatenate(terms),
            np.concatenate(places).astype(np.int32),
            np.concatenate([part.tf for part in parts]),
            np.concatenate([part.lengths for part in parts]),
        )


def _term_ids(vocabulary: dict[str, int], terms: list[str]) -> np.ndarray:
    """The ids of `terms` in `vocabulary` (new terms added to it), as an array to index with a
    part's term numbers."""
    return np.array([vocabulary.setdefault(term, len(vocabulary)) for term in terms], np.int32)


class SegmentBuilder:
    """Postings of papers added a batch at a time, until they are stored as one segment.

    Each batch is reduced at once to unique (term, paper) pairs with their frequencies, so what
    waits here is compact: about ten bytes per pair (int32 term and paper, uint16 frequency).
    """

    def __init__(self, topics: list[str]) -> None:
        self.topics = topics  # grows with the tags seen (shared with the caller)
        self.vocabulary: dict[str, int] = {}
        self._terms: list[np.ndarray] = []
        self._docs: list[np.ndarray] = []
        self._tf: list[np.ndarray] = []
        self._papers: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []
        self._tags: list[np.ndarray] = []
        self.numbers: set[int] = set()  # the papers waiting here

    def __len__(self) -> int:
        return len(self.numbers)

    def add(self, records: Sequence[Record], docs: Sequence[int]) -> None:
        """Index records numbered `docs` (a paper must not be added twice to one segment)."""
        self.add_part(PostingsPart.from_records(records), records, range(len(records)), docs)

    def add_part(
        self,
        part: PostingsPart,
        records: Sequence[Record],
        places: Sequence[int],
        docs: Sequence[int],
    ) -> None:
        """Index the records at `places` of a batch (`part` its postings) as papers `docs`."""
        numbers = np.asarray(docs, dtype=DOC_TYPE)
        where = np.asarray(places, dtype=np.int64)
        paper_of = np.full(len(part.lengths), -1, dtype=np.int64)
        paper_of[where] = numbers
        papers = paper_of[part.places]
        kept = papers >= 0
        self._terms.append(_term_ids(self.vocabulary, part.vocabulary)[part.terms[kept]])
        self._docs.append(papers[kept].astype(DOC_TYPE))
        self._tf.append(part.tf[kept])
        self._papers.append(numbers)
        self._lengths.append(part.lengths[where])
        self._tags.append(topic_bits((records[place].tags for place in places), self.topics))
        self.numbers.update(numbers.tolist())

    def build(self) -> Segment:
        """The segment of every paper added so far (the builder is spent: its parts are freed
        as they are gathered, which keeps the peak of a large add down)."""
        terms = np.concatenate([np.zeros(0, np.int32), *self._terms])
        self._terms.clear()
        order = np.argsort(terms, kind="stable")  # by term; papers stay in the order added
        vocabulary = list(self.vocabulary)
        counts = np.bincount(terms, minlength=len(vocabulary))
        del terms
        present = np.nonzero(counts)[0]
        starts = np.zeros(len(present) + 1, dtype=np.int64)
        np.cumsum(counts[present], out=starts[1:])
        postings_docs = np.concatenate([np.zeros(0, DOC_TYPE), *self._docs])[order]
        self._docs.clear()
        postings_tf = np.concatenate([np.zeros(0, TF_TYPE), *self._tf])[order]
        self._tf.clear()
        del order
        width = max((tags.shape[1] for tags in self._tags), default=1)
        tags = [np.pad(t, ((0, 0), (0, width - t.shape[1]))) for t in self._tags]
        return Segment(
            docs=np.concatenate([np.zeros(0, DOC_TYPE), *self._papers]),
            lengths=np.concatenate([np.zeros(0, LENGTH_TYPE), *self._lengths]),
            tags=np.concatenate(tags) if tags else np.zeros((0, 1), np.uint8),
            terms=[vocabulary[i] for i in present.tolist()],
            starts=starts,
            postings_docs=postings_docs,
            postings_tf=postings_tf,
        )


def build_segment(records: Sequence[Record], docs: Sequence[int], topics: list[str]) -> Segment:
    """Index records numbered `docs`; new topics among their tags are appended to `topics`."""
    builder = SegmentBuilder(topics)
    builder.add(records, docs)
    return builder.build()


class IndexRows(Protocol):
    """What the library's index needs from the store (papertriage.library.store.Library has these)."""

    def segment_rows(self) -> list[tuple[int, bytes, bytes, bytes, int]]:
        """(segment id, docs, lengths, tags, tag width) of every segment, oldest first."""
        ...

    def posting_rows(self, term: str) -> list[tuple[int, bytes, bytes]]:
        """(segment id, docs, frequencies) of a term in every segment that has it."""
        ...

    def index_topics(self) -> list[str]: ...

    def has_term(self, term: str) -> bool: ...

    def terms_like(self, first: str, shortest: int, longest: int) -> list[str]: ...

    def records_by_doc(self, docs: list[int]) -> list[Record]: ...


@dataclass
class Owners:
    """Which segment each paper number belongs to (-1: none), with its length and topic bits."""

    owner: np.ndarray
    lengths: np.ndarray
    tags: np.ndarray

    @classmethod
    def load(cls, rows: Sequence[tuple[int, bytes, bytes, bytes, int]]) -> Owners:
        arrays = [
            (sid, np.frombuffer(docs, DOC_TYPE), length_bytes, tag_bytes, width)
            for sid, docs, length_bytes, tag_bytes, width in rows
        ]
        size = max((int(docs.max()) + 1 for _, docs, _, _, _ in arrays if len(docs)), default=0)
        width = max((width for _, _, _, _, width in arrays), default=1)
        owner = np.full(size, -1, dtype=np.int64)
        lengths = np.zeros(size, dtype=np.float64)
        tags = np.zeros((size, width), dtype=np.uint8)
        for sid, docs, length_bytes, tag_bytes, segment_width in arrays:  # oldest first
            owner[docs] = sid
            lengths[docs] = np.frombuffer(length_bytes, LENGTH_TYPE)
            tags[docs, :segment_width] = np.frombuffer(tag_bytes, np.uint8).reshape(
                len(docs), segment_width
            )
        return cls(owner, lengths, tags)

    def owned(self, segment: int, docs: np.ndarray) -> np.ndarray:
        """Which of a segment's paper numbers it still owns."""
        owned: np.ndarray = self.owner[docs] == segment
        return owned


class LibraryPostings:
    """The library's postings for rank_postings (and SearchIndex's typo correction)."""

    def __init__(self, rows: IndexRows) -> None:
        self.rows = rows
        segments = rows.segment_rows()
        self.owners = Owners.load(segments)
        # Segments whose every paper is searched (none indexed again since, none restricted
        # away): their postings need no check.
        self.whole = {
            segment
            for segment, docs, *_ in segments
            if self.owners.owned(segment, np.frombuffer(docs, DOC_TYPE)).all()
        }
        self.topics = rows.index_topics()
        self.size = len(self.owners.owner)
        self.live = self.owners.owner >= 0
        self._settle()

    def _settle(self) -> None:
        self.count = int(self.live.sum())
        live_lengths = self.owners.lengths[self.live]
        average = scoring.average_length(float(live_lengths.sum()), len(live_lengths))
        # BM25's length normalisation per paper, computed once rather than per posting.
        self.norm = scoring.length_norm(self.owners.lengths, average)
        self._tag_columns: dict[str, np.ndarray] = {}

    def restrict(self, docs: Iterable[int]) -> None:
        """Search only these papers (as if the library held no others)."""
        allowed = np.zeros(self.size, dtype=bool)
        wanted = np.fromiter(docs, dtype=np.int64)
        allowed[wanted[wanted < self.size]] = True
        self.live &= allowed
        self.whole.clear()  # every segment may now hold papers left out
        self._settle()

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        docs, packed = self._packed(term)
        tf = (packed >> 1).astype(np.float64)
        return docs, scoring.saturation(tf, self.norm[docs])

    def titled(self, term: str) -> np.ndarray:
        docs, packed = self._packed(term)
        titled: np.ndarray = docs[(packed & 1).astype(bool)]
        return titled

    def _packed(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The papers holding a term and their packed frequencies, from every segment."""
        docs_parts, tf_parts = [], []
        for segment, docs_bytes, tf_bytes in self.rows.posting_rows(term):
            docs = np.frombuffer(docs_bytes, DOC_TYPE)
            tf = np.frombuffer(tf_bytes, TF_TYPE)
            if segment not in self.whole:
                keep = self.owners.owned(segment, docs) & self.live[docs]
                docs, tf = docs[keep], tf[keep]
            docs_parts.append(docs)
            tf_parts.append(tf)
        if not docs_parts:
            return np.zeros(0, DOC_TYPE), np.zeros(0, TF_TYPE)
        docs = np.concatenate(docs_parts) if len(docs_parts) > 1 else docs_parts[0]
        packed = np.concatenate(tf_parts) if len(tf_parts) > 1 else tf_parts[0]
        return docs, packed

    def tag_mask(self, tag: str) -> np.ndarray:
        if tag not in self.topics:
            return np.zeros(self.size, dtype=bool)
        column = self.topics.index(tag)
        byte, bit = divmod(column, 8)
        if byte >= self.owners.tags.shape[1]:
            return np.zeros(self.size, dtype=bool)
        return (self.owners.tags[:, byte] & (0x80 >> bit)).astype(bool) & self.live

    def select(self, tags: Sequence[str], not_tags: Sequence[str]) -> list[int]:
        """Numbers of the papers searched that have every tag of `tags` and none of `not_tags`,
        read from the topic bits alone."""
        mask = self.live.copy()
        for tag in tags:
            mask &= self.tag_mask(tag)
        for tag in not_tags:
            mask &= ~self.tag_mask(tag)
        return np.flatnonzero(mask).tolist()

    def tag_mask_at(self, tag: str, numbers: np.ndarray) -> np.ndarray:
        column = self._tag_columns.get(tag)
        if column is None:  # unpacked once per topic, then reused by every query
            column = self._tag_columns[tag] = self.tag_mask(tag)
        found: np.ndarray = column[numbers]
        return found

    def records_at(self, numbers: list[int]) -> list[Record]:
        return self.rows.records_by_doc(numbers)

    def rank(self, plan: Plan) -> Ranked:
        return rank_postings(self, plan)

    def vocabulary_view(self) -> LibraryVocabulary:
        return LibraryVocabulary(self.rows)


class LibraryVocabulary:
    """The index's terms as SearchIndex.correct asks for them, answered from the store."""

    def __init__(self, rows: IndexRows) -> None:
        self.rows = rows

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.rows.has_term(term)

    def candidates(self, first: str, shortest: int, longest: int) -> list[str]:
        """Terms starting with `first` whose length is within [shortest, longest]."""
        terms = [t for t in self.rows.terms_like(first, shortest, longest) if not t.isdigit()]
        return sorted(terms, key=lambda term: (len(term), term))  # as SearchIndex orders them


@dataclass
class MergedSegment:
    """Several segments folded into one: its segments row, and its postings rows by term."""

    segment: tuple[bytes, bytes, bytes, int]  # docs, lengths, tags, width
    terms: Iterator[tuple[str, bytes, bytes]]  # (term, docs, tf), consumed once


def merge_segment_rows(
    rows: Sequence[tuple[int, bytes, bytes, bytes, int]],
    merged_ids: Sequence[int],
    postings: Iterable[tuple[str, int, bytes, bytes]],
) -> MergedSegment:
    """Fold the segments `merged_ids` (of all segments `rows`) into one, keeping only the papers
    each still owns. `postings` are their (term, segment, docs, tf) rows ordered by term."""
    from itertools import groupby
    from operator import itemgetter

    owners = Owners.load(rows)
    merged = set(merged_ids)
    # The papers the merged segments still own; their lengths and topic bits are the owners'.
    kept = [np.zeros(0, DOC_TYPE)]
    for segment, docs_bytes, *_ in rows:
        if segment in merged:
            numbers = np.frombuffer(docs_bytes, DOC_TYPE)
            kept.append(numbers[owners.owned(segment, numbers)])
    docs = np.concatenate(kept)

    def terms() -> Iterator[tuple[str, bytes, bytes]]:
        for term, group in groupby(postings, key=itemgetter(0)):
            kept_docs, kept_tf = [], []
            for _, segment, docs_bytes, tf_bytes in group:
                holding = np.frombuffer(docs_bytes, DOC_TYPE)
                keep = owners.owned(segment, holding)
                kept_docs.append(holding[keep])
                kept_tf.append(np.frombuffer(tf_bytes, TF_TYPE)[keep])
            held = np.concatenate(kept_docs)
            if len(held):
                yield term, held.tobytes(), np.concatenate(kept_tf).tobytes()

    tags = owners.tags[docs]
    return MergedSegment(
        (
            docs.tobytes(),
            owners.lengths[docs].astype(LENGTH_TYPE).tobytes(),
            tags.tobytes(),
            tags.shape[1],
        ),
        terms(),
    )
