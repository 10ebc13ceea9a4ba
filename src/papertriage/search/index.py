"""Relevance search over records: BM25 with the title weighted above the abstract, typo
correction against the corpus vocabulary, acronyms and synonyms from the taxonomy, and a boost for
papers tagged with the topic the query names.

Shape: `parse_query(text) -> Query`, `SearchIndex(records, taxonomy)`, `index.search(query) ->
list[Hit]`, always ordered by score (descending) then id, so output is the same on every run.
Pure Python: a query over a listing of thousands of papers takes milliseconds without numpy.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from papertriage.errors import UsageError
from papertriage.models import Record
from papertriage.tokens import TOKEN, stem, tokenize

MAX_QUERY_CHARS = 1000
TITLE_WEIGHT = 3.0  # a title word counts as much as three abstract words
K1, B = 1.2, 0.75  # the usual BM25 constants
EXPANSION_WEIGHT = 0.6  # synonyms and acronyms count a little less than the words typed
CORRECTION_CUTOFF = 75.0  # rapidfuzz ratio (0-100) needed to correct a word not in the corpus
TOPIC_BOOST = 0.5  # papers tagged with the query's topic gain this share of the best score

# Words too common to search for (function words; a query of only these is an error).
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "using",
        "use",
        "via",
        "towards",
        "toward",
    ]
)


class Hit(NamedTuple):
    """One search result: the record, its score, and what matched."""

    record: Record
    score: float
    matched: tuple[str, ...]  # the query words (after correction and expansion) it contains
    parts: dict[str, float]  # the score broken down: "text" (BM25), "topic" (tag boost)


@dataclass(frozen=True)
class Query:
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


# The tokens search indexes are the tagger's (lower-case, plural -s dropped).
search_tokens = tokenize


@dataclass
class _Doc:
    length: float  # weighted length: title words count TITLE_WEIGHT times
    title_terms: frozenset[str]


@dataclass
class _Topic:
    """What the index knows of a taxonomy topic for query understanding."""

    id: str
    phrases: list[tuple[str, ...]]  # stemmed token sequences of its phrases and acronyms
    synonyms: list[tuple[tuple[str, ...], tuple[str, ...]]]  # (acronym, phrase it abbreviates)


@dataclass(frozen=True)
class _Plan:
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


ARRAY_INDEX_MIN = 5_000  # from this many records the postings live in numpy arrays


@dataclass
class SearchIndex:
    """An inverted index over records. Build once per corpus; query many times."""

    records: Sequence[Record]
    postings: dict[str, dict[int, float]] = field(default_factory=dict)  # term -> doc -> tf
    docs: list[_Doc] = field(default_factory=list)
    average_length: float = 1.0
    topics: list[_Topic] = field(default_factory=list)
    arrays: Any = None  # ArrayPostings for large corpora (numpy), else None
    _by_length: dict[tuple[str, int], list[str]] | None = None

    @classmethod
    def build(
        cls,
        records: Sequence[Record],
        taxonomy: object | None = None,
        *,
        arrays: bool | None = None,
    ) -> SearchIndex:
        """Index records; `arrays` forces (or refuses) numpy postings, chosen by size if None."""
        if arrays is None:
            arrays = len(records) >= ARRAY_INDEX_MIN
        if arrays:
            from papertriage.search.arrayindex import ArrayPostings

            return cls.with_arrays(records, ArrayPostings.build(records), taxonomy)
        index = cls(records)
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        for number, record in enumerate(records):
            title = search_tokens(record.title)
            abstract = search_tokens(record.abstract)
            for term in title:
                entry = postings[term]
                entry[number] = entry.get(number, 0.0) + TITLE_WEIGHT
            for term in abstract:
                entry = postings[term]
                entry[number] = entry.get(number, 0.0) + 1.0
            index.docs.append(_Doc(TITLE_WEIGHT * len(title) + len(abstract), frozenset(title)))
        index.postings = dict(postings)
        total = sum(doc.length for doc in index.docs)
        index.average_length = total / len(index.docs) if index.docs else 1.0
        if taxonomy is not None:
            index.topics = _topics_of(taxonomy)
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
            index.topics = _topics_of(taxonomy)
        return index

    # -- query understanding ---------------------------------------------------------------

    def correct(self, term: str) -> str | None:
        """The corpus word closest to a word the corpus does not have, or None."""
        if term in self.postings or len(term) < 4 or term.isdigit():
            return None
        from rapidfuzz import fuzz, process

        candidates_like = getattr(self.postings, "candidates", None)
        if candidates_like is not None:  # a library's terms, looked up where they are stored
            candidates = candidates_like(term[0], len(term) - 2, len(term) + 2)
        else:
            candidates = self._candidates(term)
        best = process.extractOne(
            term, candidates, scorer=fuzz.ratio, score_cutoff=CORRECTION_CUTOFF
        )
        return best[0] if best else None

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

    def query_topics(self, tokens: Sequence[str]) -> list[_Topic]:
        """Topics the query names: one of their phrases or acronyms, or most of its words."""
        wanted = set(tokens)
        named = []
        for topic in self.topics:
            for phrase in topic.phrases:
                overlap = len(wanted.intersection(phrase))
                if overlap == len(phrase) or (
                    len(phrase) > 1 and overlap >= 2 and overlap * 3 >= 2 * len(phrase)
                ):
                    named.append(topic)
                    break
        return named

    # -- scoring ---------------------------------------------------------------------------

    def _idf(self, term: str) -> float:
        df = len(self.postings.get(term, ()))  # (dictionary postings only)
        n = len(self.docs)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _term_scores(self, term: str, weight: float, scores: dict[int, float]) -> None:
        entry = self.postings.get(term)
        if not entry:
            return
        idf = self._idf(term) * weight
        docs, average = self.docs, self.average_length
        for number, tf in entry.items():
            norm = K1 * (1 - B + B * docs[number].length / average)
            scores[number] = scores.get(number, 0.0) + idf * tf * (K1 + 1) / (tf + norm)

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
        if isinstance(query, str):
            query = parse_query(query)
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
            add(fixed or term, 1.0 if fixed is None else 0.9)
        understood = [corrections.get(t, t) for t in typed]
        topics = self.query_topics(understood) if self.topics else []
        present = set(understood)
        for topic in topics:
            # An acronym in the query brings in the phrase it abbreviates, and back.
            for acronym, phrase in topic.synonyms:
                if present.issuperset(acronym):
                    for term in phrase:
                        add(term, EXPANSION_WEIGHT)
                elif present.issuperset(phrase):
                    for term in acronym:
                        add(term, EXPANSION_WEIGHT)

        typed_terms = {corrections.get(t, t) for t in typed if t not in STOP_WORDS}
        plan = _Plan(
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
        if self.arrays is not None:
            return self.arrays.rank(plan)
        return self._rank(plan)

    def _rank(self, plan: _Plan) -> list[Hit]:
        """Score, filter and order with the dictionary postings (small corpora)."""
        query = plan.query
        scores: dict[int, float] = {}
        for term, weight in plan.weighted.items():
            self._term_scores(term, weight, scores)
        if not query.has_terms:  # only tag filters: every record is a candidate
            scores = dict.fromkeys(range(len(self.records)), 0.0)
        candidates = self._filter(scores, plan)
        # Coordination: a paper with all the words typed beats one with a rare word alone.
        typed_terms = plan.typed_terms
        for number in scores:
            if typed_terms:
                found = sum(1 for t in typed_terms if number in self.postings.get(t, ()))
                scores[number] *= 0.5 + 0.5 * found / len(typed_terms)
        best = max(scores.values(), default=0.0) or 1.0
        hits = []
        for number in candidates:
            record = self.records[number]
            parts = {"text": scores.get(number, 0.0)}
            if plan.topic_ids.intersection(record.tags):
                parts["topic"] = TOPIC_BOOST * best
            score = sum(parts.values())
            if score < plan.min_score or (query.has_terms and score <= 0):
                continue
            matched = tuple(
                sorted(term for term in plan.weighted if number in self.postings.get(term, ()))
            )
            hits.append(
                Hit(record, round(score, 6), matched, {k: round(v, 6) for k, v in parts.items()})
            )
        hits.sort(key=lambda hit: (-hit.score, hit.record.id))
        return hits if plan.limit is None else hits[: plan.limit]

    def _check_tags(self, tags: set[str]) -> None:
        import difflib

        ids = [topic.id for topic in self.topics]
        for tag in sorted(tags - set(ids)):
            close = difflib.get_close_matches(tag, ids, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UsageError(f"unknown tag {tag!r}", hint=f"{hint}valid: {', '.join(ids)}")

    def _filter(self, scores: dict[int, float], plan: _Plan) -> list[int]:
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
            if title_terms and not all(t in self.docs[number].title_terms for t in title_terms):
                continue
            if phrases and not all(_contains_phrase(record, phrase) for phrase in phrases):
                continue
            kept.append(number)
        return kept


def _contains_phrase(record: Record, phrase: tuple[str, ...]) -> bool:
    for text in (record.title, record.abstract):
        tokens = search_tokens(text)
        size = len(phrase)
        if any(tuple(tokens[i : i + size]) == phrase for i in range(len(tokens) - size + 1)):
            return True
    return False


def _topics_of(taxonomy: object) -> list[_Topic]:
    from papertriage.topics.taxonomy import Taxonomy

    assert isinstance(taxonomy, Taxonomy)
    topics = []
    for topic in taxonomy.topics:
        acronyms = [tuple(search_tokens(a)) for a in topic.acronyms]
        phrases = [tuple(search_tokens(p)) for p in topic.phrases]
        initials = [_initials(p) for p in topic.phrases]
        synonyms = [
            (acronym_tokens, phrase_tokens)
            for acronym, acronym_tokens in zip(topic.acronyms, acronyms, strict=True)
            for phrase_tokens, phrase_initials in zip(phrases, initials, strict=True)
            if _is_abbreviation(acronym, phrase_initials)
        ]
        names = [*phrases, *acronyms, tuple(search_tokens(topic.id.replace("-", " ")))]
        topics.append(_Topic(topic.id, [n for n in names if n], synonyms))
    return topics


def _initials(phrase: str) -> str:
    return "".join(word[0] for word in phrase.lower().replace("-", " ").split())


def _is_abbreviation(acronym: str, initials: str) -> bool:
    if len(initials) < 2 or not acronym.isalpha() or _LOWER_RUN.search(acronym):
        return False
    letters = acronym.lower()
    capitals = "".join(char for char in acronym if char.isupper()).lower()
    # All letters are the initials (GNN, MoE, NAS), or the capitals are (LoRA), a plural s aside.
    return initials in {letters, letters.removesuffix("s"), capitals, capitals.removesuffix("s")}


_LOWER_RUN = re.compile(r"[a-z]{3}")


def abbreviates(acronym: str, phrase: str) -> bool:
    """Whether `acronym` abbreviates `phrase`: "MoE" and "mixture of experts", "LoRA" and
    "low-rank adaptation", "GNNs" and "graph neural networks"; not "SparseGPT" and "pruning"."""
    return _is_abbreviation(acronym, _initials(phrase))
