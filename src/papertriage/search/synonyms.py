"""What the taxonomy tells a query: the topics it names, and the words an acronym stands for.

A query naming a topic (one of its phrases or acronyms, or most of a phrase's words) boosts the
papers tagged with it, and an acronym typed brings in the phrase it abbreviates, and back: "MoE"
also searches "mixture of experts".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from papertriage.search.query import search_tokens


class TopicTerms(NamedTuple):
    """What the index knows of a taxonomy topic for query understanding."""

    id: str
    phrases: list[tuple[str, ...]]  # stemmed token sequences of its phrases and acronyms
    synonyms: list[tuple[tuple[str, ...], tuple[str, ...]]]  # (acronym, phrase it abbreviates)
    excluded: list[tuple[str, ...]]  # its exclude phrases, as tokens


def named_topics(topics: Sequence[TopicTerms], tokens: Sequence[str]) -> list[TopicTerms]:
    """Topics the query names: one of their phrases or acronyms, or most of its words; not a
    topic whose excluded sense the query has in a row ("vision-language model" names no topic
    of language models, as such papers are not tagged with it)."""
    wanted = set(tokens)
    typed = f" {' '.join(tokens)} "
    named = []
    for topic in topics:
        if any(f" {' '.join(phrase)} " in typed for phrase in topic.excluded):
            continue
        for phrase in topic.phrases:
            overlap = len(wanted.intersection(phrase))
            if overlap == len(phrase) or (
                len(phrase) > 1 and overlap >= 2 and overlap * 3 >= 2 * len(phrase)
            ):
                named.append(topic)
                break
    return named


def expansions(topics: Sequence[TopicTerms], present: set[str]) -> Iterator[str]:
    """Terms to add to a query holding the terms `present`: the phrase an acronym it has
    abbreviates, or the acronym of a phrase it has, for each topic it names."""
    for topic in topics:
        for acronym, phrase in topic.synonyms:
            if present.issuperset(acronym):
                yield from phrase
            elif present.issuperset(phrase):
                yield from acronym


def topic_terms(taxonomy: object) -> list[TopicTerms]:
    """The phrases, acronyms and synonyms of each topic of a Taxonomy, as search tokens."""
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
            for forms in [_spelled_out(acronym)]
            for phrase_tokens, phrase_initials in zip(phrases, initials, strict=True)
            if len(phrase_initials) >= 2 and phrase_initials in forms
        ]
        names = [*phrases, *acronyms, tuple(search_tokens(topic.id.replace("-", " ")))]
        excluded = [tuple(search_tokens(phrase)) for phrase in topic.exclude]
        topics.append(TopicTerms(topic.id, [n for n in names if n], synonyms, excluded))
    return topics


def _initials(phrase: str) -> str:
    return "".join(word[0] for word in phrase.lower().replace("-", " ").split())


def _spelled_out(acronym: str) -> set[str]:
    """The initials of the phrases `acronym` may abbreviate (none if it is no acronym)."""
    if not acronym.isalpha() or _LOWER_RUN.search(acronym):
        return set()
    letters = acronym.lower()
    capitals = "".join(char for char in acronym if char.isupper()).lower()
    # All letters are the initials (GNN, MoE, NAS), or the capitals are (LoRA), a plural s aside.
    return {letters, letters.removesuffix("s"), capitals, capitals.removesuffix("s")}


def _is_abbreviation(acronym: str, initials: str) -> bool:
    return len(initials) >= 2 and initials in _spelled_out(acronym)


_LOWER_RUN = re.compile(r"[a-z]{3}")


def abbreviates(acronym: str, phrase: str) -> bool:
    """Whether `acronym` abbreviates `phrase`: "MoE" and "mixture of experts", "LoRA" and
    "low-rank adaptation", "GNNs" and "graph neural networks"; not "SparseGPT" and "pruning"."""
    return _is_abbreviation(acronym, _initials(phrase))
