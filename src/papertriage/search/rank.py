"""Rankers besides search: by a reading profile, and by similarity to chosen papers.

Every ranker returns Hits ordered by score (descending) then id, like search, so all of them
render and pipe the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from papertriage.errors import InputError, UsageError
from papertriage.models import Record, name_words
from papertriage.search.query import Hit, ordered
from papertriage.tokens import paper_content, phrase_regex


def find_record(records: Sequence[Record], wanted: str) -> Record:
    """The record whose id is `wanted` or starts with it (a unique prefix, as git allows)."""
    exact = [r for r in records if r.id == wanted or r.arxiv_id == wanted]
    if exact:
        return exact[0]
    matches = [r for r in records if r.id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(
            f"no paper with id {wanted!r} in the listings",
            hint="ids are in the 'id' column or field",
        )
    raise UsageError(
        f"{wanted!r} is the start of {len(matches)} ids",
        hint="give more characters: " + ", ".join(r.id for r in matches[:5]),
    )


# -- similarity ----------------------------------------------------------------------------


def rank_like(
    records: Sequence[Record], liked: Sequence[Record], *, limit: int | None = 10
) -> list[Hit]:
    """Records by mean TF-IDF cosine similarity to the liked ones (which are left out)."""
    from papertriage.topics import tfidf, tfidf_arrays
    from papertriage.topics.stopwords import ENGLISH_STOP_WORDS as stop

    liked_ids = {r.id for r in liked}
    others = [r for r in records if r.id not in liked_ids]
    if not others:
        return []
    large = len(others) >= tfidf.ARRAYS_MIN_RECORDS  # a library: numpy pays for its import
    similarity = (tfidf_arrays if large else tfidf).prototype_similarities(
        [paper_content(r.title, r.abstract, stop) for r in others],
        [paper_content(r.title, r.abstract, stop) for r in liked],
    )
    means = [round(float(sum(row)) / len(row), 6) for row in similarity]
    hits = [
        Hit(record, mean, (), {"similarity": mean})
        for record, mean in zip(others, means, strict=True)
    ]
    return ordered([hit for hit in hits if hit.score > 0], limit)


# -- profiles ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """What a reader cares about: topic weights, favourite and unwanted phrases."""

    topics: dict[str, float]
    favourite: tuple[str, ...] = ()
    unwanted: tuple[str, ...] = ()
    authors: dict[str, float] = field(default_factory=dict)  # a watch list: name -> weight


PHRASE_WEIGHT = 1.0  # a favourite (or unwanted) phrase in the abstract; twice that in the title


def load_profile(path: str, topic_ids: Sequence[str]) -> Profile:
    """A profile from YAML, every mistake an error naming the file, the line and the fix."""
    import yaml

    from papertriage.topics.taxonomy import TaxonomyError
    from papertriage.topics.taxonomyfile import YamlReader

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot read the profile: {error.strerror or error}") from None
    reader = YamlReader(path)
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        raise InputError(f"{path}: invalid YAML: {str(error).splitlines()[0]}") from None
    if root is None:
        raise InputError(
            f"{path}: the profile is empty", hint="give topics:, favourite: or unwanted:"
        )
    try:
        items = reader.mapping(root, "the profile", ("topics", "favourite", "unwanted", "authors"))
        topics: dict[str, float] = {}
        if "topics" in items:
            for key, value in reader.entries(items["topics"], "topics"):
                if key.value not in topic_ids:
                    from papertriage.topics.taxonomy import suggest

                    raise reader.fail(
                        key,
                        f"topics: unknown topic {key.value!r}",
                        hint=suggest(key.value, list(topic_ids)),
                    )
                topics[key.value] = reader.number(value, f"topics.{key.value}", -100, 100)
        favourite = reader.strings(items["favourite"], "favourite") if "favourite" in items else ()
        unwanted = reader.strings(items["unwanted"], "unwanted") if "unwanted" in items else ()
        authors = {
            _author_key(str(key.value)): reader.number(value, f"authors.{key.value}", -100, 100)
            for key, value in (
                reader.entries(items["authors"], "authors") if "authors" in items else []
            )
        }
    except TaxonomyError as error:
        raise InputError(str(error)) from None
    return Profile(topics, favourite, unwanted, authors)


def _author_key(name: str) -> str:
    """A name as the watch list compares it: case, accents, hyphens and spacing do not count
    ("Hannes Jonsson" watches Hannes Jónsson)."""
    return " ".join(name_words(name))


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(phrase_regex(phrase, plural=True), re.IGNORECASE)


def rank_by_profile(
    records: Sequence[Record], profile: Profile, *, limit: int | None = 10
) -> list[Hit]:
    """Records scored by the profile: topic weights for their tags, plus favourite phrases,
    minus unwanted ones (a title mention counts double)."""
    favourite = [(p, _phrase_pattern(p)) for p in profile.favourite]
    unwanted = [(p, _phrase_pattern(p)) for p in profile.unwanted]
    hits = []
    for record in records:
        parts = {"topics": sum(profile.topics.get(tag, 0.0) for tag in record.tags)}
        matched = []
        for sign, phrases, name in ((1, favourite, "favourite"), (-1, unwanted, "unwanted")):
            total = 0.0
            for phrase, pattern in phrases:
                weight = 2 * bool(pattern.search(record.title)) + bool(
                    pattern.search(record.abstract)
                )
                if weight:
                    total += sign * PHRASE_WEIGHT * weight
                    matched.append(phrase)
            if total:
                parts[name] = total
        watched = [a for a in record.authors if _author_key(a) in profile.authors]
        if watched:
            parts["authors"] = sum(profile.authors[_author_key(a)] for a in watched)
            matched.extend(watched)
        score = round(sum(parts.values()), 6)
        hits.append(Hit(record, score, tuple(matched), parts))
    return ordered(hits, limit)
