"""What a taxonomy is: topics with their rules, and how rule hits add up (frozen dataclasses).

Read from YAML by papertriage.topics.taxonomyfile; loaded, compiled and cached by
papertriage.topics.taxonomy, which is where the rest of the code gets them.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field

from papertriage.errors import PapertriageError
from papertriage.tokens import TOKENS_VERSION

TOPIC_ID = re.compile(r"[a-z0-9][a-z0-9\-]*")
# Where a Taxonomy keeps its content hash once known: an instance attribute, not a field, so
# dataclasses.replace() (a changed taxonomy) never carries an old hash over.
KNOWN_HASH = "_content_hash"


class TaxonomyError(PapertriageError):
    """A topics file that cannot be used as it is."""


@dataclass(frozen=True)
class Scoring:
    """How rule hits add up to a topic's score (see the comments in the default topics.yaml)."""

    title_weight: float = 3.0
    abstract_weight: float = 1.0
    abstract_cap: int = 4
    threshold: float = 3.0
    tfidf_weight: float = 2.0
    related_weight: float = 0.5
    related_cap: int = 2


@dataclass(frozen=True)
class TfidfRule:
    """Cosine similarity between a paper and the prototype text, applied at `threshold`."""

    prototype: str
    threshold: float


@dataclass(frozen=True)
class Topic:
    id: str
    name: str
    description: str
    phrases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()  # weaker phrases: support a topic but do not establish it
    acronyms: tuple[str, ...] = ()
    regexes: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    exclude_regexes: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # the topic applies only if one of these phrases also appears
    tfidf: TfidfRule | None = None
    threshold: float | None = None  # overrides scoring.threshold for this topic
    related_cap: int | None = None  # overrides scoring.related_cap for this topic
    origin: str = field(default="", compare=False)  # "file:line" where it was defined


@dataclass(frozen=True)
class Taxonomy:
    topics: tuple[Topic, ...]
    scoring: Scoring
    origins: tuple[str, ...] = ()

    @property
    def ids(self) -> list[str]:
        return [topic.id for topic in self.topics]

    def get(self, topic_id: str) -> Topic:
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise TaxonomyError(f"unknown topic {topic_id!r}", hint=self.suggest(topic_id))

    def suggest(self, word: str) -> str:
        """A hint for a mistyped id: the closest id, or the topic whose name contains the word."""
        by_name = [t.id for t in self.topics if word.lower() in t.name.lower()]
        if by_name and not difflib.get_close_matches(word, self.ids, n=1, cutoff=0.5):
            return f"did you mean {by_name[0]!r}? valid: {', '.join(self.ids)}"
        return suggest(word, self.ids)

    def content_hash(self) -> str:
        """A hash of everything that decides tags: changes whenever a rule changes, or the
        tokens the rules are matched on (papertriage.tokens.TOKENS_VERSION).

        Worked out once per taxonomy (a compiled one brings it from the cache): every command
        on a cached listing asks for it, and it costs more than reading the taxonomy."""
        known = self.__dict__.get(KNOWN_HASH)
        if known is None:
            known = self.__dict__[KNOWN_HASH] = self._hash_rules()
        return str(known)

    def _hash_rules(self) -> str:
        data = {
            "tokens": TOKENS_VERSION,  # the same rules match other words when the tokens change
            "scoring": asdict(self.scoring),
            "topics": [
                {k: v for k, v in asdict(topic).items() if k != "origin"} for topic in self.topics
            ],
        }
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:16]


def suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    listed = ", ".join(choices)
    return f"did you mean {close[0]!r}? valid: {listed}" if close else f"valid: {listed}"
