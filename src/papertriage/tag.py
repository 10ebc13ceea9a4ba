"""Apply a taxonomy's rules to records: every tag carries its score and the evidence for it.

Phrases are matched on word tokens (lower-cased, a plural -s dropped), so "Mixture-of-Experts",
"mixtures of experts" and "mixture of experts" are one phrase; acronyms are matched on tokens with
their case. Each rule kind has one index, so a text is scanned once whatever the number of topics.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from papertriage.models import Record
from papertriage.topics import Taxonomy, Topic

TOKEN = re.compile(r"[^\W_]+")
FIELDS = ("title", "abstract")
PHRASE, EXCLUDE, REQUIRE, RELATED = 0, 1, 2, 3  # kinds of entries in the phrase index
# Cosine similarity over a few words is noise ("Unlike pruning, we keep all weights." is close to
# the pruning prototype): the TF-IDF rule only speaks for papers with at least this many words.
MIN_TFIDF_TOKENS = 40


def stem(token: str) -> str:
    """Drop a plural -s so that "experts" matches "expert" (and "loss" stays "loss")."""
    # "-us" is mostly singular ("corpus", "status"), except short plurals like "gpus".
    plural = len(token) > 3 and token[-1] == "s" and token[-2] not in "si"
    if plural and (token[-2] != "u" or len(token) == 4):
        return token[:-1]
    return token


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    return tuple(stem(token) for token in TOKEN.findall(phrase.lower()))


class _TokenIndex:
    """Token sequences indexed by their first token; finds every occurrence in one pass."""

    def __init__(self) -> None:
        self.by_first: dict[str, list[tuple[tuple[str, ...], int, int, str]]] = defaultdict(list)

    def add(self, tokens: tuple[str, ...], topic: int, kind: int, label: str) -> None:
        if tokens:
            self.by_first[tokens[0]].append((tokens, topic, kind, label))

    def find(self, tokens: Sequence[str]) -> list[tuple[int, int, int, int, str]]:
        """(start, end, topic, kind, label) of every occurrence, in text order."""
        hits = []
        by_first = self.by_first
        for start, token in enumerate(tokens):
            entries = by_first.get(token)
            if entries is None:
                continue
            for sequence, topic, kind, label in entries:
                end = start + len(sequence)
                if len(sequence) == 1 or tuple(tokens[start:end]) == sequence:
                    hits.append((start, end, topic, kind, label))
        return hits


def _longest(hits: list[tuple[int, int, int, int, str]]) -> list[tuple[int, int, int, int]]:
    """Phrase hits with those inside a longer hit of the same topic dropped: "large language
    models" is one mention of the topic, not also a mention of "language models"."""
    phrase_hits = sorted(
        (start, -end, -kind, topic)
        for start, end, topic, kind, _ in hits
        if kind in (PHRASE, RELATED)
    )
    kept: list[tuple[int, int, int, int]] = []
    reach: dict[int, int] = {}  # topic -> end of the last kept hit
    for start, negative_end, negative_kind, topic in phrase_hits:
        end = -negative_end
        if end <= reach.get(topic, -1):
            continue  # inside a longer (or equal) hit that starts no later
        kept.append((start, end, topic, -negative_kind))
        reach[topic] = max(end, reach.get(topic, -1))
    return kept


@dataclass
class _Evidence:
    """What the rules found for one topic in one record."""

    title_hits: int = 0
    abstract_hits: int = 0
    related_hits: int = 0
    required: bool = False
    title_excluded: bool = False  # the title uses the topic's words in an excluded sense
    tfidf: float = 0.0
    matches: dict[tuple[str, str, str], int] | None = None  # (text, field, rule) -> count

    def note(self, text: str, where: str, rule: str) -> None:
        if self.matches is None:
            self.matches = {}
        key = (text, where, rule)
        self.matches[key] = self.matches.get(key, 0) + 1


class Tagger:
    """Tags records with the topics of a taxonomy. Build once, then call `tag` on batches."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.topics: tuple[Topic, ...] = taxonomy.topics
        self.phrases = _TokenIndex()  # lower-cased, stemmed tokens
        self.acronyms = _TokenIndex()  # tokens as written
        self.regexes: list[tuple[int, re.Pattern[str]]] = []
        self.exclude_regexes: list[tuple[int, re.Pattern[str]]] = []
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
                self.regexes.append((index, re.compile(pattern, re.IGNORECASE)))
            for pattern in topic.exclude_regexes:
                self.exclude_regexes.append((index, re.compile(pattern, re.IGNORECASE)))
        self._stems: dict[str, str] = {}
        self._use_tfidf = any(topic.tfidf for topic in self.topics)

    # -- one field of one record ------------------------------------------------------------

    def _scan(self, text: str, where: str, evidence: dict[int, _Evidence]) -> list[str]:
        """Record the rule hits of one field in `evidence`; return its stemmed tokens."""
        words = TOKEN.findall(text)
        stems = self._stems
        tokens = []
        for word in words:
            token = stems.get(word)
            if token is None:
                token = stems[word] = stem(word.lower())
            tokens.append(token)
        hits = self.phrases.find(tokens)
        hits += self.acronyms.find(words)
        regex_hits = [
            (topic, match.span())
            for topic, pattern in self.regexes
            for match in pattern.finditer(text)
        ]
        if not hits and not regex_hits:
            return tokens
        # Character spans of the tokens, computed only for fields where something matched.
        spans = [match.span() for match in TOKEN.finditer(text)]
        excluded: dict[int, list[tuple[int, int]]] = defaultdict(list)  # topic -> char ranges
        for start, end, topic, kind, _ in hits:
            if kind == EXCLUDE:
                excluded[topic].append((spans[start][0], spans[end - 1][1]))
            elif kind == REQUIRE:
                evidence.setdefault(topic, _Evidence()).required = True
        for topic, pattern in self.exclude_regexes:
            excluded[topic].extend(match.span() for match in pattern.finditer(text))
        found = [
            (topic, spans[start][0], spans[end - 1][1], "related" if kind == RELATED else "phrase")
            for start, end, topic, kind in _longest(hits)
        ]
        found += [(topic, low, high, "regex") for topic, (low, high) in regex_hits]
        if where == "title":
            for topic, ranges in excluded.items():
                if ranges:
                    evidence.setdefault(topic, _Evidence()).title_excluded = True
        for topic, low, high, rule in found:
            # A match inside one of its topic's exclusions ("data pruning") does not count.
            if any(s < high and low < e for s, e in excluded.get(topic, ())):
                continue
            self._count(evidence, topic, text[low:high], where, rule)
        return tokens

    @staticmethod
    def _count(
        evidence: dict[int, _Evidence], topic: int, text: str, where: str, rule: str
    ) -> None:
        found = evidence.setdefault(topic, _Evidence())
        if rule == "related":
            found.related_hits += 1
        elif where == "title":
            found.title_hits += 1
        else:
            found.abstract_hits += 1
        found.note(text, where, rule)

    # -- records ----------------------------------------------------------------------------

    def tag(self, records: Sequence[Record]) -> list[Record]:
        """The records with `tags` (strongest first) and `tag_details` set by the taxonomy."""
        evidences: list[dict[int, _Evidence]] = []
        token_lists: list[list[str]] = []
        for record in records:
            evidence: dict[int, _Evidence] = {}
            title_tokens = self._scan(record.title, "title", evidence)
            abstract_tokens = self._scan(record.abstract, "abstract", evidence)
            evidences.append(evidence)
            token_lists.append(title_tokens + abstract_tokens)
        if self._use_tfidf and records:
            self._add_tfidf(token_lists, evidences)
        return [
            self._decide(record, evidence)
            for record, evidence in zip(records, evidences, strict=True)
        ]

    def _add_tfidf(
        self, token_lists: list[list[str]], evidences: list[dict[int, _Evidence]]
    ) -> None:
        from papertriage.similarity import prototype_similarities

        with_rule = [i for i, topic in enumerate(self.topics) if topic.tfidf]
        prototypes = [
            self._scan_plain(self.topics[i].tfidf.prototype)  # type: ignore[union-attr]
            for i in with_rule
        ]
        similarity = prototype_similarities(token_lists, prototypes)
        for row, tokens in enumerate(token_lists):
            if len(tokens) < MIN_TFIDF_TOKENS:
                similarity[row, :] = 0.0
        for column, topic_index in enumerate(with_rule):
            rule = self.topics[topic_index].tfidf
            assert rule is not None
            for row in similarity[:, column].nonzero()[0]:
                value = float(similarity[row, column])
                if value >= rule.threshold:
                    evidences[row].setdefault(topic_index, _Evidence()).tfidf = value

    def _scan_plain(self, text: str) -> list[str]:
        return [stem(word.lower()) for word in TOKEN.findall(text)]

    def _decide(self, record: Record, evidence: dict[int, _Evidence]) -> Record:
        scoring = self.taxonomy.scoring
        scored: list[tuple[float, int, _Evidence]] = []
        for index, found in evidence.items():
            topic = self.topics[index]
            if topic.requires and not found.required:
                continue
            if found.title_excluded and not found.title_hits:
                continue  # the title is about the excluded sense ("Pruning of Datasets")
            score = scoring.title_weight if found.title_hits else 0.0
            score += scoring.abstract_weight * min(found.abstract_hits, scoring.abstract_cap)
            score += scoring.related_weight * min(found.related_hits, scoring.related_cap)
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
        return record.with_changes(tags=tags, tag_details=details or None)


def _details(score: float, found: _Evidence) -> dict[str, Any]:
    rules = []
    if found.title_hits:
        rules.append("title")
    if found.abstract_hits:
        rules.append("abstract")
    if found.related_hits:
        rules.append("related")
    if found.tfidf:
        rules.append("tfidf")
    matches = [
        {"text": text, "where": where, "rule": rule, "count": count}
        for (text, where, rule), count in (found.matches or {}).items()
    ]
    detail: dict[str, Any] = {"score": round(score, 3), "rules": rules, "matches": matches}
    if found.tfidf:
        detail["tfidf"] = round(found.tfidf, 3)
    return detail


def tag_records(records: Iterable[Record], taxonomy: Taxonomy) -> list[Record]:
    """Tag records with a taxonomy (builds a Tagger; keep one yourself to tag many batches)."""
    return Tagger(taxonomy).tag(list(records))
