"""Relevance search over records: BM25 with the title weighted above the abstract, typo
correction against the corpus vocabulary, acronyms and synonyms from the taxonomy, and a boost for
papers tagged with the topic the query names.

Shape: `parse_query(text) -> Query`, `SearchIndex(records, taxonomy)`, `index.search(query) ->
list[Hit]`, always ordered by score (descending) then id, so output is the same on every run.
Pure Python: a query over a listing of thousands of papers takes milliseconds without numpy.
Large corpora keep their postings in numpy arrays (papertriage.search.arrayindex), the library in
its SQLite file (papertriage.library.index); all of them score with papertriage.search.scoring.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import papertriage.search.scoring as scoring
from papertriage.errors import UsageError
from papertriage.models import Record
from papertriage.search.query import (
    Hit,
    Plan,
    Query,
    Ranked,
    contains_phrase,
    ordered,
    parse_query,
    search_tokens,
)
from papertriage.search.scoring import (
    CORRECTED_WEIGHT,
    EXPANSION_WEIGHT,
    TYPED_WEIGHT,
)
from papertriage.search.stopwords import STOP_WORDS
from papertriage.search.synonyms import (
    TopicTerms,
    expansions,
    named_topics,
    topic_terms,
)
from papertriage.search.termweights import GatheredPostings, token_count
from papertriage.tokens import stem

if TYPE_CHECKING:
    from papertriage.search.arrayindex import ArrayPostings

# The query language and the synonyms live beside this module; they are named here too, as the
# search API (`from papertriage.search.index import SearchIndex, parse_query, Hit`).
__all__ = [
    "ARRAY_INDEX_MIN",
    "CORRECTION_CUTOFF",
    "STOP_WORDS",
    "Hit",
    "Query",
    "SearchIndex",
    "parse_query",
    "search_tokens",
]

CORRECTION_CUTOFF = 75.0  # rapidfuzz ratio (0-100) needed to correct a word not in the corpus
# ... and at most this many slips (a letter typed, missed, changed, or two swapped) between them:
# a ratio alone lets long words pass that share letters but are other words ("reinforcement" is
# 75 to "requirement", five slips away; "dopamine" to "dominate", four).
CORRECTION_MAX_SLIPS = 2


class _Doc(NamedTuple):
    length: float  # weighted length: title words count TITLE_WEIGHT times


ARRAY_INDEX_MIN = 5_000  # from this many records the postings live in numpy arrays


def joined_tokens(record: Record) -> tuple[str, str]:
    """A record's title and abstract tokens, each joined by spaces (the index's text of them)."""
    return " ".join(search_tokens(record.title)), " ".join(search_tokens(record.abstract))


@dataclass
class SearchIndex:
    """An inverted index over records. Build once per corpus; query many times."""

    records: Sequence[Record]
    postings: Mapping[str, dict[int, float]] = field(default_factory=dict)  # term -> doc -> tf
    docs: list[_Doc] = field(default_factory=list)
    average_length: float = 1.0
    norms: list[float] = field(default_factory=list)  # BM25's length normalisation, per doc
    topics: list[TopicTerms] = field(default_factory=list)
    arrays: ArrayPostings | None = None  # numpy postings for large corpora, else None
    words: GatheredPostings | None = None  # the dictionary postings of a small corpus
    _by_length: dict[tuple[str, int], list[str]] | None = None

    @classmethod
    def build(
        cls,
        records: Sequence[Record],
        taxonomy: object | None = None,
        *,
        arrays: bool | None = None,
        tokens: Sequence[tuple[str, str]] | None = None,
    ) -> SearchIndex:
        """Index records; `arrays` forces (or refuses) numpy postings, chosen by size if None.
        `tokens`, each record's title and abstract tokens, each joined by spaces, as the tagger
        scanned them (the same words: papertriage.tokens), spare tokenising the records again."""
        if arrays is None:
            arrays = len(records) >= ARRAY_INDEX_MIN
        if arrays:
            from papertriage.search.arrayindex import ArrayPostings

            return cls.with_arrays(records, ArrayPostings.build(records), taxonomy)
        if tokens is None:
            tokens = [joined_tokens(record) for record in records]
        elif len(tokens) != len(records):
            raise ValueError(f"tokens of {len(tokens)} records for {len(records)} records")
        index = cls(records)
        index.postings = index.words = GatheredPostings(tokens)
        index.docs = [
            _Doc(scoring.weighted_count(token_count(title), token_count(abstract)))
            for title, abstract in tokens
        ]
        total = sum(doc.length for doc in index.docs)
        average = index.average_length = scoring.average_length(total, len(index.docs))
        index.norms = [scoring.length_norm(doc.length, average) for doc in index.docs]
        if taxonomy is not None:
            index.topics = topic_terms(taxonomy)
        return index

    @classmethod
    def with_arrays(
        cls, records: Sequence[Record], arrays: Any, taxonomy: object | None = None
    ) -> SearchIndex:
        """An index over array postings built (or loaded from the cache) beforehand."""
        index = cls(records)
        index.arrays = arrays
        index.postings = arrays.vocabulary_view()
        if taxonomy is not None:
            index.topics = topic_terms(taxonomy)
        return index

    # -- query understanding ---------------------------------------------------------------

    def correct(self, term: str) -> str | None:
        """The corpus word closest to a word the corpus does not have, or None."""
        if term in self.postings or len(term) < 4 or term.isdigit():
            return None
        from rapidfuzz import fuzz, process
        from rapidfuzz.distance import OSA

        candidates_like = getattr(self.postings, "candidates", None)
        if candidates_like is not None:  # a library's terms, looked up where they are stored
            candidates = candidates_like(term[0], len(term) - 2, len(term) + 2)
        else:
            candidates = self._candidates(term)
        slips = 1 if len(term) < 6 else CORRECTION_MAX_SLIPS

        def near(word: str) -> bool:
            return bool(OSA.distance(term, word, score_cutoff=slips) <= slips)

        # The closest by ratio is nearly always a few slips away: extractOne finds it fastest
        # (it raises its cutoff as it goes); only when it is not are the next few looked at.
        best = process.extractOne(
            term, candidates, scorer=fuzz.ratio, score_cutoff=CORRECTION_CUTOFF
        )
        if best is None or near(best[0]):
            return str(best[0]) if best else None
        closest = process.extract(
            term, candidates, scorer=fuzz.ratio, score_cutoff=CORRECTION_CUTOFF, limit=8
        )
        return next((str(word) for word, _, _ in closest if near(word)), None)

    def _candidates(self, term: str) -> list[str]:
        if self._by_length is None:
            # Candidates by (first letter, length): typing slips rarely change the first letter,
            # and a correction is within two letters of the length typed. Numbers never are.
            self._by_length = defaultdict(list)
            for word in sorted(self.postings):
                if not word.isdigit():
                    self._by_length[word[0], len(word)].append(word)
        return [
            word
            for size in range(len(term) - 2, len(term) + 3)
            for word in self._by_length.get((term[0], size), ())
        ]

    def query_topics(self, tokens: Sequence[str]) -> list[TopicTerms]:
        """Topics the query names: one of their phrases or acronyms, or most of its words."""
        return named_topics(self.topics, tokens)

    def plan(
        self,
        query: Query,
        *,
        limit: int | None = 10,
        min_score: float = 0.0,
        tags: Iterable[str] = (),
        not_tags: Iterable[str] = (),
    ) -> Plan:
        """The query understood against this corpus: typos corrected, acronyms expanded, the
        topics it names, and the filters (tags given here add to the query's own)."""
        required_tags = set(query.tags) | set(tags)
        refused_tags = set(query.not_tags) | set(not_tags)
        if self.topics:
            self._check_tags(required_tags | refused_tags)
        weighted: dict[str, float] = {}  # term -> weight in the query

        def add(term: str, weight: float) -> None:
            if term not in STOP_WORDS:
                weighted[term] = max(weighted.get(term, 0.0), weight)

        typed = [stem(w.lower()) for w in (*query.words, *query.title_words)]
        typed += [stem(w.lower()) for phrase in query.phrases for w in phrase]
        corrections: dict[str, str] = {}
        for term in typed:
            if term in STOP_WORDS:
                continue
            fixed = self.correct(term)
            if fixed is not None:
                corrections[term] = fixed
            add(fixed or term, TYPED_WEIGHT if fixed is None else CORRECTED_WEIGHT)
        understood = [corrections.get(t, t) for t in typed]
        topics = self.query_topics(understood) if self.topics else []
        # An acronym in the query brings in the phrase it abbreviates, and back.
        for term in expansions(topics, set(understood)):
            add(term, EXPANSION_WEIGHT)
        typed_terms = {corrections.get(t, t) for t in typed if t not in STOP_WORDS}
        return Plan(
            query,
            weighted,
            typed_terms,
            required_tags,
            refused_tags,
            corrections,
            {topic.id for topic in topics},
            limit,
            min_score,
        )

    def search(
        self,
        query: Query | str,
        *,
        limit: int | None = 10,
        min_score: float = 0.0,
        tags: Iterable[str] = (),
        not_tags: Iterable[str] = (),
    ) -> list[Hit]:
        """Records matching the query, best first (score, then id)."""
        return self.ranked(
            query, limit=limit, min_score=min_score, tags=tags, not_tags=not_tags
        ).hits

    def ranked(
        self,
        query: Query | str,
        *,
        limit: int | None = 10,
        min_score: float = 0.0,
        tags: Iterable[str] = (),
        not_tags: Iterable[str] = (),
    ) -> Ranked:
        """`search`'s hits, and how many papers matched in all (however many the limit shows)."""
        if isinstance(query, str):
            query = parse_query(query)
        plan = self.plan(query, limit=limit, min_score=min_score, tags=tags, not_tags=not_tags)
        if self.arrays is not None:
            return self.arrays.rank(plan)
        return self._rank(plan)

    # -- scoring with the dictionary postings (small corpora) ------------------------------

    def _term_scores(self, term: str, weight: float, scores: dict[int, float]) -> None:
        entry = self.postings.get(term)
        if not entry:
            return
        idf = scoring.idf(len(entry), len(self.docs)) * weight
        norms, term_score = self.norms, scoring.term_score
        for number, tf in entry.items():
            scores[number] = scores.get(number, 0.0) + term_score(idf, tf, norms[number])

    def _rank(self, plan: Plan) -> Ranked:
        """Score, filter and order with the dictionary postings."""
        query = plan.query
        scores: dict[int, float] = {}
        for term, weight in plan.weighted.items():
            self._term_scores(term, weight, scores)
        if not query.has_terms:  # only tag filters: every record is a candidate
            scores = dict.fromkeys(range(len(self.records)), 0.0)
        candidates = self._filter(scores, plan)
        typed_terms = plan.typed_terms
        if typed_terms:
            for number in scores:
                found = sum(1 for t in typed_terms if number in self.postings.get(t, ()))
                scores[number] *= scoring.coordination(found, len(typed_terms))
        boost = scoring.topic_boost(scoring.boost_base(max(scores.values(), default=0.0)))
        scored = []
        for number in candidates:
            record = self.records[number]
            parts = {"text": scores.get(number, 0.0)}
            if plan.topic_ids.intersection(record.tags):
                parts["topic"] = boost
            score = scoring.final_score(parts["text"], parts.get("topic", 0.0))
            if scoring.passes(score, 0.0, query.has_terms):
                scored.append((score, number, parts))
        if plan.in_a_row:
            scored = self._with_in_a_row(scored, plan.in_a_row)
        kept = [item for item in scored if scoring.passes(item[0], plan.min_score, query.has_terms)]
        matching = len(kept)
        if plan.limit is not None and matching > plan.limit:
            # Only the hits shown are made (their matched terms looked up): the best by the
            # order `ordered` gives, the score as shown and then the id.
            kept = heapq.nsmallest(
                plan.limit,
                kept,
                key=lambda item: (-scoring.shown(item[0]), self.records[item[1]].id),
            )
        hits = []
        for score, number, parts in kept:
            matched = tuple(
                sorted(term for term in plan.weighted if number in self.postings.get(term, ()))
            )
            shown = {k: scoring.shown(v) for k, v in parts.items()}
            hits.append(Hit(self.records[number], scoring.shown(score), matched, shown))
        return Ranked(ordered(hits, plan.limit), matching)

    def _with_in_a_row(
        self, scored: list[tuple[float, int, dict[str, float]]], words: tuple[str, ...]
    ) -> list[tuple[float, int, dict[str, float]]]:
        """`scored` (score, paper number, parts) with the gain of the IN_A_ROW_POOL best papers
        that hold `words` in a row added (as the "phrase" part)."""
        assert self.words is not None  # the dictionary postings are always words
        scored.sort(key=lambda item: (-item[0], self.records[item[1]].id))
        for at, (_, number, parts) in enumerate(scored[: scoring.IN_A_ROW_POOL]):
            gain = scoring.in_a_row(parts["text"], *self.words.in_a_row_places(number, words))
            if gain:
                parts = {"text": parts["text"], "phrase": gain, **parts}  # text, phrase, topic
                scored[at] = (
                    scoring.final_score(parts["text"] + gain, parts.get("topic", 0.0)),
                    number,
                    parts,
                )
        return scored

    def _check_tags(self, tags: set[str]) -> None:
        import difflib

        ids = [topic.id for topic in self.topics]
        for tag in sorted(tags - set(ids)):
            close = difflib.get_close_matches(tag, ids, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UsageError(f"unknown tag {tag!r}", hint=f"{hint}valid: {', '.join(ids)}")

    def _filter(self, scores: dict[int, float], plan: Plan) -> list[int]:
        """Candidates that satisfy phrases, title: words, -words and tag filters."""
        excluded, title_terms, phrases = plan.excluded, plan.title_terms, plan.phrases
        required_tags, refused_tags = plan.required_tags, plan.refused_tags
        kept = []
        for number in scores:
            record = self.records[number]
            if required_tags and not required_tags.issubset(record.tags):
                continue
            if refused_tags.intersection(record.tags):
                continue
            if any(number in self.postings.get(term, ()) for term in excluded):
                continue
            if title_terms and not all(self._in_title(number, t) for t in title_terms):
                continue
            if phrases and not all(contains_phrase(record, phrase) for phrase in phrases):
                continue
            kept.append(number)
        return kept

    def _in_title(self, number: int, term: str) -> bool:
        assert self.words is not None  # the dictionary postings are always words
        return self.words.in_title(number, term)
