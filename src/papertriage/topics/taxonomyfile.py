"""Topics files read: YAML nodes, with their line numbers, validated into a Taxonomy.

Only a file not compiled in the cache yet is read here (see papertriage.topics.taxonomy), so
PyYAML is imported only then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import yaml

from papertriage.topics.schema import (
    TOPIC_ID,
    Scoring,
    Taxonomy,
    TaxonomyError,
    TfidfRule,
    Topic,
    suggest,
)


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
    "related_cap",
)
_TFIDF_KEYS = ("prototype", "threshold")


@dataclass
class TopicsFile:
    """One topics file as written: what it extends, and the changes it makes."""

    extends: str
    # Scoring's fields given in the file -> their values, each of its field's type (a cap an int,
    # made so on parsing): a dict cannot say which key holds an int, so its values are Any.
    scoring: dict[str, Any]
    drop: list[tuple[str, yaml.Node]]
    topics: list[Topic]


def read_topics_file(text: str, name: str) -> TopicsFile:
    reader = YamlReader(name)
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        # A tab where YAML wants spaces is the usual cause of this one: say so.
        tab = mark is not None and "\t" in (text.splitlines()[mark.line : mark.line + 1] or [""])[0]
        raise TaxonomyError(
            f"{name}{line}: invalid YAML: {error.problem or error.context}",
            hint="indent with spaces, not tabs"
            if tab
            else "check the indentation and quoting there",
        ) from None
    except yaml.YAMLError as error:  # an unreadable character: its first line says which
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise TaxonomyError(
            f"{name}: invalid YAML: {reason}", hint="is it a text file of topics?"
        ) from None
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
    return TopicsFile(extends, scoring, drop, topics)


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
    if "related_cap" in items:
        values["related_cap"] = int(
            reader.number(items["related_cap"], f"{what}: related_cap", 0, 20)
        )
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


def combine(base: Taxonomy, user: TopicsFile, name: str) -> Taxonomy:
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
