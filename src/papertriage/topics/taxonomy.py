"""The topic taxonomy: YAML files loaded into validated, typed objects.

The default taxonomy ships inside the package (`topics.yaml`). A user file either extends it (add
topics, replace one by reusing its id, `drop:` others) or, with `extends: none`, replaces it.
Every mistake in a file is a TaxonomyError naming the file, the line and the fix.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from papertriage.errors import PapertriageError

DEFAULT_NAME = "<default taxonomy>"
DEFAULT_FILE = Path(__file__).with_name("topics.yaml")
TOPIC_ID = re.compile(r"[a-z0-9][a-z0-9\-]*")


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
        """A hash of everything that decides tags: changes whenever a rule changes."""
        data = {
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


# ---------------------------------------------------------------------------------------------
# Reading YAML nodes with their line numbers


class YamlReader:
    """Turns YAML nodes into Python values, raising errors that carry file and line."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, node: yaml.Node | None, message: str, hint: str | None = None) -> TaxonomyError:
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        return TaxonomyError(f"{self.name}{line}: {message}", hint=hint)

    def entries(
        self, node: yaml.Node, what: str, allowed: tuple[str, ...] = ()
    ) -> list[tuple[yaml.Node, yaml.Node]]:
        """A mapping's (key, value) nodes in file order; unknown and duplicate keys are errors."""
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping of keys to values (got {_kind(node)})")
        seen: set[str] = set()
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise self.fail(key_node, f"{what}: keys must be plain names")
            if key in seen:
                raise self.fail(
                    key_node, f"{what}: {key!r} is given twice", hint="keep one of them"
                )
            if allowed and key not in allowed:
                raise self.fail(
                    key_node, f"{what}: unknown key {key!r}", hint=suggest(key, list(allowed))
                )
            seen.add(key)
        return list(node.value)

    def mapping(self, node: yaml.Node, what: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        """A mapping's value nodes by key, checked as `entries` checks them."""
        return {key.value: value for key, value in self.entries(node, what, allowed)}

    def scalar(self, node: yaml.Node, what: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{what} must be a single value (got {_kind(node)})")
        return _CONSTRUCTOR.construct_object(node)

    def string(self, node: yaml.Node, what: str) -> str:
        value = self.scalar(node, what)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(node, f"{what} must be a non-empty string (got {value!r})")
        return value.strip()

    def number(self, node: yaml.Node, what: str, low: float, high: float) -> float:
        value = self.scalar(node, what)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(node, f"{what} must be a number (got {value!r})")
        if not low <= value <= high:
            raise self.fail(node, f"{what} must be between {low:g} and {high:g} (got {value:g})")
        return float(value)

    def strings(self, node: yaml.Node, what: str) -> tuple[str, ...]:
        if isinstance(node, yaml.ScalarNode):
            raise self.fail(
                node,
                f"{what} must be a list of strings",
                hint="got a single string; did you forget the dash?",
            )
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list of strings (got {_kind(node)})")
        return tuple(self.string(item, f"{what} item") for item in node.value)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "a single value"


# Builds typed values (int, float, str, bool) from scalar nodes whose tags compose() resolved.
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


# ---------------------------------------------------------------------------------------------
# Files to taxonomies

_TOP_KEYS = ("version", "extends", "scoring", "drop", "topics")
_SCORING_KEYS = tuple(Scoring.__dataclass_fields__)
_TOPIC_KEYS = (
    "name",
    "description",
    "phrases",
    "related",
    "acronyms",
    "regexes",
    "exclude",
    "exclude_regexes",
    "requires",
    "tfidf",
    "threshold",
)
_TFIDF_KEYS = ("prototype", "threshold")


@dataclass
class _File:
    extends: str
    # Scoring's fields given in the file -> their values, each of its field's type (a cap an int,
    # made so on parsing): a dict cannot say which key holds an int, so its values are Any.
    scoring: dict[str, Any]
    drop: list[tuple[str, yaml.Node]]
    topics: list[Topic]


def _parse_file(text: str, name: str) -> _File:
    reader = YamlReader(name)
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise TaxonomyError(
            f"{name}{line}: invalid YAML: {error.problem or error.context}",
            hint="check the indentation and quoting there",
        ) from None
    except yaml.YAMLError as error:
        raise TaxonomyError(f"{name}: invalid YAML: {error}") from None
    if root is None:
        raise TaxonomyError(f"{name}: the file is empty", hint="see `papertriage topics show`")
    top = reader.mapping(root, "the file", _TOP_KEYS)
    if "version" in top and reader.scalar(top["version"], "version") != 1:
        raise reader.fail(top["version"], "version must be 1")
    extends = "default"
    if "extends" in top:
        extends = str(reader.scalar(top["extends"], "extends")).lower()
        if extends not in ("default", "none"):
            raise reader.fail(
                top["extends"], f"extends must be 'default' or 'none' (got {extends!r})"
            )
    scoring: dict[str, Any] = {}
    if "scoring" in top:
        for key, node in reader.mapping(top["scoring"], "scoring", _SCORING_KEYS).items():
            integer = key.endswith("_cap")
            high = 20 if integer else 100
            value = reader.number(node, f"scoring.{key}", 0 if key != "threshold" else 0.01, high)
            scoring[key] = int(value) if integer else value
    drop = []
    if "drop" in top:
        node = top["drop"]
        drop = list(zip(reader.strings(node, "drop"), node.value, strict=False))
    topics = []
    if "topics" in top:
        for key_node, value_node in reader.entries(top["topics"], "topics"):
            topics.append(_parse_topic(reader, key_node, value_node))
    return _File(extends, scoring, drop, topics)


def _parse_topic(reader: YamlReader, key_node: yaml.Node, node: yaml.Node) -> Topic:
    topic_id = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
    if not TOPIC_ID.fullmatch(topic_id):
        raise reader.fail(
            key_node,
            f"topic id {topic_id!r} must be lower-case letters, digits and dashes",
            hint="e.g. 'mixture-of-experts'",
        )
    what = f"topic {topic_id!r}"
    items = reader.mapping(node, what, _TOPIC_KEYS)
    if "name" not in items:
        raise reader.fail(node, f"{what}: 'name' is missing", hint="add a one-line name")
    values: dict[str, Any] = {
        "id": topic_id,
        "name": reader.string(items["name"], f"{what}: name"),
        "description": reader.string(items["description"], f"{what}: description")
        if "description" in items
        else "",
        "origin": f"{reader.name}:{key_node.start_mark.line + 1}",
    }
    for key in ("phrases", "related", "acronyms", "exclude", "requires"):
        if key in items:
            values[key] = reader.strings(items[key], f"{what}: {key}")
            for text, item in zip(values[key], items[key].value, strict=True):
                if not re.search(r"[^\W_]", text):
                    raise reader.fail(item, f"{what}: {key} item {text!r} has no letters or digits")
    for key in ("regexes", "exclude_regexes"):
        if key not in items:
            continue
        values[key] = reader.strings(items[key], f"{what}: {key}")
        for pattern, item in zip(values[key], items[key].value, strict=True):
            try:
                re.compile(pattern)
            except re.error as error:
                raise reader.fail(
                    item,
                    f"{what}: invalid regex {pattern!r}: {error}",
                    hint="quote it in single quotes so backslashes stay",
                ) from None
    if "threshold" in items:
        values["threshold"] = reader.number(items["threshold"], f"{what}: threshold", 0.01, 100)
    if "tfidf" in items:
        rule = reader.mapping(items["tfidf"], f"{what}: tfidf", _TFIDF_KEYS)
        for key in _TFIDF_KEYS:
            if key not in rule:
                raise reader.fail(items["tfidf"], f"{what}: tfidf needs '{key}'")
        values["tfidf"] = TfidfRule(
            prototype=reader.string(rule["prototype"], f"{what}: tfidf.prototype"),
            threshold=reader.number(rule["threshold"], f"{what}: tfidf.threshold", 0.01, 1.0),
        )
    if not any(key in values for key in ("phrases", "acronyms", "regexes", "tfidf")):
        raise reader.fail(
            node, f"{what} has no rules", hint="give phrases, acronyms, regexes or a tfidf rule"
        )
    return Topic(**values)


def _combine(base: Taxonomy, user: _File, name: str) -> Taxonomy:
    topics = list(base.topics) if user.extends == "default" else []
    ids = [topic.id for topic in topics]
    for topic_id, node in user.drop:
        if topic_id not in ids:
            raise YamlReader(name).fail(
                node, f"drop: unknown topic {topic_id!r}", hint=suggest(topic_id, ids)
            )
        topics = [topic for topic in topics if topic.id != topic_id]
        ids.remove(topic_id)
    for topic in user.topics:
        if topic.id in ids:
            topics[ids.index(topic.id)] = topic
        else:
            topics.append(topic)
            ids.append(topic.id)
    scoring = replace(base.scoring if user.extends == "default" else Scoring(), **user.scoring)
    if not topics:
        raise TaxonomyError(f"{name}: the taxonomy has no topics", hint="add topics, or drop fewer")
    origins = (*base.origins, name) if user.extends == "default" else (name,)
    return Taxonomy(tuple(topics), scoring, origins)


def parse_taxonomy(text: str, name: str, *, base: Taxonomy | None = None) -> Taxonomy:
    """A taxonomy from YAML text; `base` is what `extends: default` extends (None: the default)."""
    parsed = _parse_file(text, name)
    if parsed.extends == "none":
        return _combine(Taxonomy((), Scoring()), parsed, name)
    return _combine(base if base is not None else default_taxonomy(), parsed, name)


_default: Taxonomy | None = None


def default_taxonomy() -> Taxonomy:
    """The taxonomy shipped with papertriage (loaded once per process)."""
    global _default
    if _default is None:
        # A path beside this module: importlib.resources alone costs more than the whole parse.
        text = DEFAULT_FILE.read_text(encoding="utf-8")
        parsed = _parse_file(text, DEFAULT_NAME)
        _default = _combine(Taxonomy((), Scoring()), replace(parsed, extends="none"), DEFAULT_NAME)
    return _default


def load_taxonomy(path: str | os.PathLike[str]) -> Taxonomy:
    """A taxonomy from a user's YAML file, extending or replacing the default."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaxonomyError(f"{name}: no such topics file", hint="check the path") from None
    except IsADirectoryError:
        raise TaxonomyError(f"{name}: is a directory", hint="give a YAML file") from None
    except UnicodeDecodeError:
        raise TaxonomyError(f"{name}: not UTF-8 text", hint="save it as UTF-8") from None
    except OSError as error:
        raise TaxonomyError(f"{name}: cannot read: {error.strerror or error}") from None
    return parse_taxonomy(text, name)


def resolve_taxonomy(
    explicit: str | None, environ: Mapping[str, str], config_dir: Path
) -> Taxonomy:
    """The taxonomy in force: --topics, else $PAPERTRIAGE_TOPICS, else the user's config file,
    else the default."""
    chosen = explicit or environ.get("PAPERTRIAGE_TOPICS")
    if chosen:
        return load_taxonomy(chosen)
    user_file = config_dir / "topics.yaml"
    if user_file.is_file():
        return load_taxonomy(user_file)
    return default_taxonomy()
