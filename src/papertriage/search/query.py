"""The query language and what a query becomes: `parse_query(text) -> Query`, a Query understood
against a corpus as a Plan (the terms to score and the filters to apply, for any index), and the
Hits every index returns, ordered by score (descending) then id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from papertriage.errors import UsageError
from papertriage.models import Record
from papertriage.search.stopwords import STOP_WORDS
from papertriage.tokens import TOKEN, holds_in_a_row, stem, tokenize

MAX_QUERY_CHARS = 1000

# The tokens search indexes are the tagger's (lower-case, plural -s or -es dropped).
search_tokens = tokenize


class Hit(NamedTuple):
    """One search result: the record, its score, and what matched."""

    record: Record
    score: float
    matched: tuple[str, ...]  # the query words (after correction and expansion) it contains
    parts: dict[str, float]  # the score broken down: "text" (BM25), "topic" (tag boost)


def ordered(hits: list[Hit], limit: int | None) -> list[Hit]:
    """Hits best first, ties by id (the same order on every run), at most `limit` of them."""
    hits.sort(key=lambda hit: (-hit.score, hit.record.id))
    return hits if limit is None else hits[:limit]


class Ranked(NamedTuple):
    """What an index answers: the best hits (at most the limit) and how many papers matched."""

    hits: list[Hit]
    matched: int


class Query(NamedTuple):
    """A parsed query. Words are kept as typed; matching uses their stems."""

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()  # quoted, must appear as written
    title_words: tuple[str, ...] = ()  # title:word, must appear in the title
    excluded: tuple[str, ...] = ()  # -word
    tags: tuple[str, ...] = ()  # tag:id
    not_tags: tuple[str, ...] = ()  # -tag:id
    text: str = ""

    @property
    def has_terms(self) -> bool:
        return bool(self.words or self.phrases or self.title_words)


_QUERY_PART = re.compile(r'(-?)(?:(tag|title):)?(?:"([^"]*)"?|(\S+))')


def parse_query(text: str) -> Query:
    """Parse query syntax: words, "quoted phrases", -word, title:word, tag:id, -tag:id."""
    if len(text) > MAX_QUERY_CHARS:
        raise UsageError(
            f"the query is {len(text):,} characters long", hint=f"keep it under {MAX_QUERY_CHARS:,}"
        )
    for piece in text.split():
        if piece.lstrip("-").lower() == "tag:":
            raise UsageError("tag: needs a topic id", hint="e.g. tag:moe")
        if piece.lstrip("-").lower() == "title:":
            raise UsageError("title: needs a word", hint="e.g. title:pruning")
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    title_words: list[str] = []
    excluded: list[str] = []
    tags: list[str] = []
    not_tags: list[str] = []
    for match in _QUERY_PART.finditer(text):
        negated, prefix, quoted, bare = match.groups()
        value = quoted if quoted is not None else bare
        if prefix == "tag":
            if not value:
                raise UsageError("tag: needs a topic id", hint="e.g. tag:moe")
            (not_tags if negated else tags).append(value.lower())
            continue
        tokens = [t for t in TOKEN.findall(value or "")]
        if prefix == "title":
            if not tokens:
                raise UsageError("title: needs a word", hint="e.g. title:pruning")
            title_words.extend(tokens)
        elif negated:
            excluded.extend(tokens)
        elif quoted is not None and len(tokens) > 1:
            phrases.append(tuple(tokens))
        else:
            words.extend(tokens)
    query = Query(
        tuple(words),
        tuple(phrases),
        tuple(title_words),
        tuple(excluded),
        tuple(tags),
        tuple(not_tags),
        text,
    )
    if not text.strip():
        raise UsageError("the query is empty", hint='search for words, e.g. "mixture of experts"')
    content = [
        w
        for w in (*words, *title_words, *(w for p in phrases for w in p))
        if w.lower() not in STOP_WORDS
    ]
    if not content and not tags and not not_tags:
        raise UsageError(
            f"the query {text.strip()[:60]!r} has no words to search for",
            hint="stop words and punctuation alone match everything",
        )
    return query


class Plan(NamedTuple):
    """A query understood: what to score and how to filter, for either kind of postings."""

    query: Query
    weighted: dict[str, float]  # term -> weight (typed, corrected and expanded terms)
    typed_terms: set[str]  # what the user typed (after correction): for coordination
    required_tags: set[str]
    refused_tags: set[str]
    corrections: dict[str, str]
    topic_ids: set[str]  # topics the query names: their papers get the topic boost
    limit: int | None
    min_score: float

    def _terms(self, words: Iterable[str]) -> list[str]:
        return [self.corrections.get(t, t) for t in (stem(w.lower()) for w in words)]

    @property
    def excluded(self) -> set[str]:
        return set(self._terms(self.query.excluded))

    @property
    def title_terms(self) -> list[str]:
        return self._terms(self.query.title_words)

    @property
    def phrases(self) -> list[tuple[str, ...]]:
        return [tuple(self._terms(phrase)) for phrase in self.query.phrases]

    @property
    def in_a_row(self) -> tuple[str, ...]:
        """The words typed (corrected), in order, that a paper may hold in a row: none unless
        two of them are no stop words; stop words at either end left out."""
        terms = self._terms(self.query.words)
        while terms and terms[0] in STOP_WORDS:
            terms.pop(0)
        while terms and terms[-1] in STOP_WORDS:
            terms.pop()
        content = [term for term in terms if term not in STOP_WORDS]
        return tuple(terms) if len(content) >= 2 else ()


def in_a_row_places(record: Record, words: tuple[str, ...]) -> tuple[bool, bool]:
    """Whether the record's title, and its abstract, hold the tokens `words` in a row."""
    return holds_in_a_row(record.title, words), holds_in_a_row(record.abstract, words)


def contains_phrase(record: Record, phrase: tuple[str, ...]) -> bool:
    """Whether the record's title or abstract has the phrase's tokens in a row."""
    return holds_in_a_row(record.title, phrase) or holds_in_a_row(record.abstract, phrase)
