"""Apply a taxonomy's rules to records: every tag carries its score and the evidence for it.

Phrases are matched on word tokens (lower-cased, a plural -s or -es dropped), so "Mixture-of-Experts",
"mixtures of experts" and "mixture of experts" are one phrase; acronyms are matched on tokens with
their case. Each rule kind has one index, so a text is scanned once whatever the number of topics.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from papertriage.models import Record
from papertriage.tokens import TOKEN, StemCache, content_words, stem, tokenize
from papertriage.topics.stopwords import ENGLISH_STOP_WORDS
from papertriage.topics.taxonomy import Taxonomy, Topic
from papertriage.topics.tfidf import ARRAYS_MIN_RECORDS, Columns

if TYPE_CHECKING:
    from types import ModuleType

    from papertriage.topics.parallel import Postings

FIELDS = ("title", "abstract")
PHRASE, EXCLUDE, REQUIRE, RELATED = 0, 1, 2, 3  # kinds of entries in the phrase index
# Cosine similarity over a few words is noise ("Unlike pruning, we keep all weights." is close to
# the pruning prototype): the TF-IDF rule only speaks for papers with at least this many words.
MIN_TFIDF_TOKENS = 40


_PLAIN_PREFIX = re.compile(r"(?:\\b)?([a-z0-9 ]{3,})", re.IGNORECASE)


def literal_prefix(pattern: str) -> str:
    """Lower-case text every match of `pattern` starts with, when the pattern begins with plain
    letters (after an optional \\b); "" otherwise. A text without it cannot match, which lets
    the tagger skip running the expression at all."""
    match = _PLAIN_PREFIX.match(pattern)
    if match is None:
        return ""
    prefix = match.group(1)
    rest = pattern[match.end() :]
    if rest[:1] in ("?", "*", "{") or "|" in prefix:
        prefix = prefix[:-1]  # the last letter is optional or repeated
    if "|" in pattern[: match.end() + 1] or _has_top_level_alternation(pattern):
        return ""
    return prefix.lower() if len(prefix) >= 3 else ""


def _has_top_level_alternation(pattern: str) -> bool:
    depth = 0
    escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    return tuple(stem(token) for token in TOKEN.findall(phrase.lower()))


class _CharToToken:
    """Maps character ranges of a text to the token ranges they overlap."""

    def __init__(self, text: str) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for match in TOKEN.finditer(text):
            self.starts.append(match.start())
            self.ends.append(match.end())

    def range(self, low: int, high: int) -> tuple[int, int]:
        return bisect_right(self.ends, low), bisect_left(self.starts, high)


Hit = tuple[int, int, int, int, str]  # (start token, end token, topic, kind, label)


class _TokenIndex:
    """Token sequences indexed by their first token (and second, for longer ones).

    `find` first intersects the text's tokens with the index's keys, a C-speed set operation, so
    the Python loop only visits the few positions where some phrase can start.
    """

    def __init__(self) -> None:
        self.single: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        self.multi: dict[tuple[str, str], list[tuple[tuple[str, ...], int, int, str]]] = (
            defaultdict(list)
        )
        self.firsts: set[str] = set()

    def add(self, tokens: tuple[str, ...], topic: int, kind: int, label: str) -> None:
        if len(tokens) == 1:
            self.single[tokens[0]].append((topic, kind, label))
        elif tokens:
            self.multi[tokens[0], tokens[1]].append((tokens, topic, kind, label))
        if tokens:
            self.firsts.add(tokens[0])

    def find(self, tokens: Sequence[str]) -> list[Hit]:
        """(start, end, topic, kind, label) of every occurrence, in text order."""
        present = self.firsts.intersection(tokens)
        if not present:
            return []
        hits: list[Hit] = []
        single, multi = self.single, self.multi
        last = len(tokens) - 1
        for start in [i for i, token in enumerate(tokens) if token in present]:
            token = tokens[start]
            for topic, kind, label in single.get(token, ()):
                hits.append((start, start + 1, topic, kind, label))
            if start < last:
                for sequence, topic, kind, label in multi.get((token, tokens[start + 1]), ()):
                    end = start + len(sequence)
                    if len(sequence) == 2 or tuple(tokens[start:end]) == sequence:
                        hits.append((start, end, topic, kind, label))
        return hits


def _longest(hits: list[Hit]) -> list[tuple[int, int, int, int]]:
    """Phrase hits with those inside a longer hit of the same topic dropped: "large language
    models" is one mention of the topic, not also a mention of "language models"."""
    candidates = [
        (start, -end, topic, kind)
        for start, end, topic, kind, _ in hits
        if kind in (PHRASE, RELATED)
    ]
    candidates.sort()  # by start, longest first, then topic: strong phrases before related
    kept: list[tuple[int, int, int, int]] = []
    reach: dict[int, int] = {}  # topic -> end of the last kept hit
    for start, negative_end, topic, kind in candidates:
        end = -negative_end
        if end <= reach.get(topic, -1):
            continue  # inside a longer (or equal) hit that starts no later
        kept.append((start, end, topic, kind))
        reach[topic] = end
    return kept


@dataclass(slots=True)
class _Evidence:
    """What the rules found for one topic in one record."""

    matches: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (text, field, rule)
    required: bool = False
    title_excluded: bool = False  # the title uses the topic's words in an excluded sense
    tfidf: float = 0.0

    def hits(self) -> tuple[int, int, int]:
        """Counts of (title, abstract, related) matches."""
        title = abstract = related = 0
        for (_, where, rule), count in self.matches.items():
            if rule == "related":
                related += count
            elif where == "title":
                title += count
            else:
                abstract += count
        return title, abstract, related


class Tagger:
    """Tags records with the topics of a taxonomy. Build once, then call `tag` on batches."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.topics: tuple[Topic, ...] = taxonomy.topics
        self.phrases = _TokenIndex()  # lower-cased, stemmed tokens
        self.acronyms = _TokenIndex()  # tokens as written
        # (topic, pattern, a lower-case string every match contains: "" when none is known)
        self.regexes: list[tuple[int, re.Pattern[str], str]] = []
        self.exclude_regexes: list[tuple[int, re.Pattern[str], str]] = []
        for index, topic in enumerate(self.topics):
            for phrase in topic.phrases:
                self.phrases.add(phrase_tokens(phrase), index, PHRASE, phrase)
            for phrase in topic.related:
                self.phrases.add(phrase_tokens(phrase), index, RELATED, phrase)
            for phrase in topic.exclude:
                self.phrases.add(phrase_tokens(phrase), index, EXCLUDE, phrase)
            for phrase in topic.requires:
                self.phrases.add(phrase_tokens(phrase), index, REQUIRE, phrase)
            for acronym in topic.acronyms:
                tokens = tuple(TOKEN.findall(acronym))
                self.acronyms.add(tokens, index, PHRASE, acronym)
                if not tokens[-1].endswith("s"):
                    self.acronyms.add((*tokens[:-1], tokens[-1] + "s"), index, PHRASE, acronym)
            for pattern in topic.regexes:
                compiled = re.compile(pattern, re.IGNORECASE)
                self.regexes.append((index, compiled, literal_prefix(pattern)))
            for pattern in topic.exclude_regexes:
                compiled = re.compile(pattern, re.IGNORECASE)
                self.exclude_regexes.append((index, compiled, literal_prefix(pattern)))
        self._stems = StemCache()
        self._tfidf_topics = [i for i, topic in enumerate(self.topics) if topic.tfidf]
        self.use_tfidf = bool(self._tfidf_topics)  # whether any topic has a TF-IDF rule
        # Each token's hashed TF-IDF column, worked out once (plain-Python arithmetic only).
        self._columns = Columns()
        # When a list, every record scanned leaves its (title, abstract) tokens here, for the
        # search postings built from them (see `start`), so that nothing is tokenised twice.
        self.token_sink: list[tuple[list[str], list[str]]] | None = None

    # -- one record ---------------------------------------------------------------------------

    def _index_hits(self, text: str) -> tuple[list[str], list[str], list[Hit]]:
        """The words of a field, their stemmed tokens, and the phrase and acronym hits."""
        words = TOKEN.findall(text)
        tokens = list(map(self._stems.__getitem__, words))
        return words, tokens, self.phrases.find(tokens) + self.acronyms.find(words)

    def _scan_record(self, record: Record) -> tuple[dict[int, _Evidence], list[str]]:
        """The evidence for every topic the record mentions, and its tokens (for TF-IDF)."""
        fields = ((record.title, "title"), (record.abstract, "abstract"))
        scanned = [self._index_hits(text) for text, _ in fields]
        evidence: dict[int, _Evidence] = {}
        for (text, where), (words, _, hits) in zip(fields, scanned, strict=True):
            self._collect(text, where, words, hits, evidence)
        if self.token_sink is not None:
            self.token_sink.append((scanned[0][1], scanned[1][1]))
        return evidence, scanned[0][1] + scanned[1][1]

    def _collect(
        self,
        text: str,
        where: str,
        words: list[str],
        hits: list[Hit],
        evidence: dict[int, _Evidence],
    ) -> None:
        """Turn one field's hits into evidence, applying exclusions and regexes.

        Everything happens on token positions; character positions are only worked out when a
        regular expression is involved, since that costs a pass over the text.
        """
        lowered = text.lower() if self.regexes else ""
        regex_hits = [
            (topic, match)
            for topic, pattern, needle in self.regexes
            if needle in lowered
            for match in pattern.finditer(text)
        ]
        if not hits and not regex_hits:
            return
        excluded: dict[int, list[tuple[int, int]]] = defaultdict(list)  # topic -> token ranges
        for start, end, topic, kind, _ in hits:
            if kind == EXCLUDE:
                excluded[topic].append((start, end))
            elif kind == REQUIRE:
                evidence.setdefault(topic, _Evidence()).required = True
        # Exclusion patterns only matter where they could cancel a phrase of their topic.
        phrase_topics = {hit[2] for hit in hits if hit[3] == PHRASE}
        excluding = [
            (topic, match)
            for topic, pattern, _ in self.exclude_regexes
            if topic in phrase_topics
            for match in pattern.finditer(text)
        ]
        if regex_hits or excluding:
            to_token = _CharToToken(text)
            for topic, match in excluding:
                excluded[topic].append(to_token.range(*match.span()))
        if where == "title":
            for topic, spans in excluded.items():
                if spans:
                    evidence.setdefault(topic, _Evidence()).title_excluded = True
        for start, end, topic, kind in _longest(hits):
            # A match inside one of its topic's exclusions ("data pruning") does not count.
            ranges = excluded.get(topic)
            if ranges and any(s < end and start < e for s, e in ranges):
                continue
            found = evidence.get(topic)
            if found is None:
                found = evidence[topic] = _Evidence()
            key = (" ".join(words[start:end]), where, "related" if kind == RELATED else "phrase")
            found.matches[key] = found.matches.get(key, 0) + 1
        for topic, match in regex_hits:
            ranges = excluded.get(topic)
            if ranges:
                start, end = to_token.range(*match.span())
                if any(s < end and start < e for s, e in ranges):
                    continue
            self._count(evidence, topic, match.group(0), where, "regex")

    @staticmethod
    def _count(
        evidence: dict[int, _Evidence], topic: int, text: str, where: str, rule: str
    ) -> None:
        found = evidence.get(topic)
        if found is None:
            found = evidence[topic] = _Evidence()
        key = (text, where, rule)
        found.matches[key] = found.matches.get(key, 0) + 1

    # -- records ----------------------------------------------------------------------------

    def tag(
        self,
        records: Sequence[Record],
        *,
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list[Record]:
        """The records with `tags` (strongest first) and `tag_details` set by the taxonomy.

        Large batches are split over `workers` processes (default: one per core, for batches of
        PARALLEL_MIN_RECORDS or more); the result is the same either way. `progress` is told how
        many records have been scanned (the longest phase), from time to time.
        """
        return self._start(list(records), workers, progress, None).outcome()[0]

    def tag_and_index(
        self,
        records: Sequence[Record],
        *,
        postings: Postings,
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[list[Record], Any]:
        """`tag`, and the records' search postings built by `postings` from the same tokens
        (the library gives papertriage.library.index.PostingsPart)."""
        return self._start(list(records), workers, progress, postings).result()

    def start(
        self, records: Sequence[Record], *, postings: Postings, workers: int | None = None
    ) -> TagJob:
        """Begin `tag_and_index` on a batch; `TagJob.result()` gives what it returns. A large
        batch is meanwhile tagged by worker processes, so the caller can do other work."""
        return self._start(list(records), workers, None, postings)

    def _start(
        self,
        records: list[Record],
        workers: int | None,
        progress: Callable[[int], None] | None,
        postings: Postings | None,
    ) -> TagJob:
        count = _worker_count(len(records), workers)
        running = None
        if count > 1:
            from papertriage.topics.parallel import ParallelTagging, can_fork

            if can_fork():  # elsewhere the batch is tagged here, serially
                running = ParallelTagging(self, records, count, progress, postings=postings)
        return TagJob(self, records, running, progress, postings)

    def tag_in_process(
        self,
        records: list[Record],
        progress: Callable[[int], None] | None,
        postings: Postings | None,
    ) -> tuple[list[Verdict], Any]:
        """Verdicts (and with `postings` the batch's search postings, else None) computed in
        this process."""
        self.token_sink = [] if postings is not None else None
        try:
            verdicts = self._tag_serially(records, progress)
            if postings is None:
                return verdicts, None
            return verdicts, postings.from_tokens(self.token_sink)  # type: ignore[arg-type]
        finally:
            self.token_sink = None

    def _tag_serially(
        self, records: list[Record], progress: Callable[[int], None] | None = None
    ) -> list[Verdict]:
        scanned = []
        for number, record in enumerate(records, start=1):
            scanned.append(self.scan(record))
            if progress is not None and number % 1000 == 0:
                progress(number)
        evidences = [evidence for evidence, _ in scanned]
        similarity = self.similarities([content for _, content in scanned])
        return self.verdicts(evidences, similarity)

    # -- the three phases, shared by the serial and the parallel path ------------------------

    def scan(self, record: Record) -> tuple[dict[int, _Evidence], str]:
        """Phase 1: a record's rule evidence, and its content words for TF-IDF ("" if too few)."""
        evidence, tokens = self._scan_record(record)
        if not self.use_tfidf or len(tokens) < MIN_TFIDF_TOKENS:
            return evidence, ""
        return evidence, content_words(tokens, ENGLISH_STOP_WORDS)

    def similarities(self, contents: list[str]) -> Any:
        """Phase 2 (over the whole batch): documents x TF-IDF rules, or None without rules."""
        counts, frequencies = self.count_terms(contents, len(contents))
        return self.slice_similarities(
            contents, counts, self.weigh_terms([frequencies], len(contents))
        )

    def _prototypes(self) -> list[str]:
        return [
            " ".join(tokenize(self.topics[i].tfidf.prototype))  # type: ignore[union-attr]
            for i in self._tfidf_topics
        ]

    # Phase 2 split for several processes (papertriage.topics.parallel): each counts its own
    # slice, one turns the counts into IDF weights, each scores its slice; `similarities` is the
    # same steps over one slice. (A record without content has an empty row: similar to
    # nothing.) The batch's size chooses the arithmetic: plain Python below ARRAYS_MIN_RECORDS,
    # numpy and scikit-learn from there; both give the same numbers (papertriage.topics.tfidf).

    def arithmetic(self, documents: int) -> ModuleType:
        """The TF-IDF module for a batch of so many documents (imported here, on first use)."""
        if documents >= ARRAYS_MIN_RECORDS:
            from papertriage.topics import tfidf_arrays

            return tfidf_arrays
        from papertriage.topics import tfidf

        return tfidf

    def count_terms(self, contents: list[str], batch: int) -> tuple[Any, Any]:
        """A slice's hashed term counts and their document frequencies (None without rules),
        for a batch of `batch` documents."""
        if not self.use_tfidf or not any(contents):
            return None, None
        arithmetic = self.arithmetic(batch)
        counts = arithmetic.hashed_counts(contents, self._columns)
        return counts, arithmetic.document_frequencies(counts)

    def weigh_terms(self, frequencies: list[Any], documents: int) -> Any:
        """IDF weights and prototype rows from every slice's frequencies (None: no TF-IDF),
        with the batch's size."""
        present = [f for f in frequencies if f is not None]
        if not present:
            return None
        arithmetic = self.arithmetic(documents)
        prototype_counts = arithmetic.hashed_counts(self._prototypes(), self._columns)
        prototypes = arithmetic.document_frequencies(prototype_counts)
        total = arithmetic.add_frequencies([*present, prototypes])
        idf = arithmetic.idf_weights(total, documents + len(self._tfidf_topics))
        return documents, idf, arithmetic.tfidf_rows(prototype_counts, idf)

    def slice_similarities(self, contents: list[str], counts: Any, weights: Any) -> Any:
        """A slice's rows of `similarities`, given its counts and the shared weights."""
        if weights is None:
            return None
        documents, idf, prototype_rows = weights
        arithmetic = self.arithmetic(documents)
        if counts is None:  # no content in this slice: nothing is similar
            return arithmetic.no_similarities(len(contents), len(self._tfidf_topics))
        return arithmetic.similarities_to(counts, prototype_rows, idf)

    def verdicts(self, evidences: list[dict[int, _Evidence]], similarity: Any) -> list[Verdict]:
        """Phase 3: tags and details, given each record's evidence and its similarity row."""
        results = []
        for row, evidence in enumerate(evidences):
            if similarity is not None:
                for column, topic_index in enumerate(self._tfidf_topics):
                    value = float(similarity[row, column])
                    rule = self.topics[topic_index].tfidf
                    if rule is not None and value >= rule.threshold:
                        evidence.setdefault(topic_index, _Evidence()).tfidf = value
            results.append(self._verdict(evidence))
        return results

    def _verdict(self, evidence: dict[int, _Evidence]) -> Verdict:
        scoring = self.taxonomy.scoring
        scored: list[tuple[float, int, _Evidence]] = []
        for index, found in evidence.items():
            topic = self.topics[index]
            if topic.requires and not found.required:
                continue
            title_hits, abstract_hits, related_hits = found.hits()
            if found.title_excluded and not title_hits:
                continue  # the title is about the excluded sense ("Pruning of Datasets")
            score = scoring.title_weight if title_hits else 0.0
            score += scoring.abstract_weight * min(abstract_hits, scoring.abstract_cap)
            cap = topic.related_cap if topic.related_cap is not None else scoring.related_cap
            score += scoring.related_weight * min(related_hits, cap)
            if found.tfidf:
                # Graded: at the rule's threshold it adds tfidf_weight, up to twice that at twice
                # the threshold, where a paper is about as close to the prototype as papers get.
                rule = topic.tfidf
                assert rule is not None
                score += scoring.tfidf_weight * min(found.tfidf / rule.threshold, 2.0)
            threshold = topic.threshold if topic.threshold is not None else scoring.threshold
            if score >= threshold:
                scored.append((score, index, found))
        scored.sort(key=lambda item: (-item[0], item[1]))
        tags = tuple(self.topics[index].id for _, index, _ in scored)
        details = {self.topics[index].id: _details(score, found) for score, index, found in scored}
        return tags, details or None


Verdict = tuple[tuple[str, ...], dict[str, Any] | None]  # (tags, tag_details)
PARALLEL_MIN_RECORDS = 2_000  # below this, starting workers costs more than they save


def _worker_count(records: int, requested: int | None) -> int:
    """Processes to tag with: $PAPERTRIAGE_WORKERS or one per core, never for small batches."""
    import os

    if requested is None:
        if records < PARALLEL_MIN_RECORDS:
            return 1
        configured = os.environ.get("PAPERTRIAGE_WORKERS", "")
        requested = int(configured) if configured.isdigit() else (os.cpu_count() or 1)
    return max(1, min(requested, records // 1000 or 1, 8))


def _details(score: float, found: _Evidence) -> dict[str, Any]:
    title_hits, abstract_hits, related_hits = found.hits()
    rules = [
        name
        for name, present in (
            ("title", title_hits),
            ("abstract", abstract_hits),
            ("related", related_hits),
            ("tfidf", found.tfidf),
        )
        if present
    ]
    matches = [
        {"text": text, "where": where, "rule": rule, "count": count}
        for (text, where, rule), count in found.matches.items()
    ]
    detail: dict[str, Any] = {"score": round(score, 3), "rules": rules, "matches": matches}
    if found.tfidf:
        detail["tfidf"] = round(found.tfidf, 3)
    return detail


def tag_records(records: Iterable[Record], taxonomy: Taxonomy) -> list[Record]:
    """Tag records with a taxonomy (builds a Tagger; keep one yourself to tag many batches)."""
    return Tagger(taxonomy).tag(list(records))


def with_verdicts(records: list[Record], verdicts: list[Verdict]) -> list[Record]:
    """The records with the tags and tag details of their verdicts."""
    return [
        record.with_changes(tags=tags, tag_details=details)
        for record, (tags, details) in zip(records, verdicts, strict=True)
    ]


class TagJob:
    """A batch being tagged, by worker processes or, when `workers` is None, on demand here;
    with `postings`, its search postings are built from the same tokens."""

    def __init__(
        self,
        tagger: Tagger,
        records: list[Record],
        workers: Any,
        progress: Callable[[int], None] | None = None,
        postings: Postings | None = None,
    ) -> None:
        self.tagger, self.records, self.workers = tagger, records, workers
        self.progress, self.postings = progress, postings

    def result(self) -> tuple[list[Record], Any]:
        """The tagged records and their search postings (waits for the workers)."""
        tagged, part = self.outcome()
        assert part is not None
        return tagged, part

    def outcome(self) -> tuple[list[Record], Any]:
        if self.workers is None:
            verdicts, part = self.tagger.tag_in_process(self.records, self.progress, self.postings)
        else:
            try:
                verdicts, parts = self.workers.result()
            finally:
                self.close()
            part = None if self.postings is None else self.postings.concat(parts)
        if self.progress is not None:
            self.progress(len(self.records))
        return with_verdicts(self.records, verdicts), part

    def close(self) -> None:
        """Stop the workers (a job not wanted any more)."""
        if self.workers is not None:
            self.workers.close()
            self.workers = None
