"""The topic taxonomy: YAML files loaded into validated, typed objects (papertriage.topics.schema).

The default taxonomy ships inside the package (`topics.yaml`). A user file either extends it (add
topics, replace one by reusing its id, `drop:` others) or, with `extends: none`, replaces it.
Every mistake in a file is a TaxonomyError naming the file, the line and the fix (the reading
is papertriage.topics.taxonomyfile's). Given a cache directory, a file is read once: what it
compiles to is kept there as JSON and read back while the file and papertriage stay the same.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from papertriage.topics.schema import (
    KNOWN_HASH,
    TOPIC_ID,
    Scoring,
    Taxonomy,
    TaxonomyError,
    TfidfRule,
    Topic,
    suggest,
)

__all__ = [
    "TOPIC_ID",
    "Scoring",
    "Taxonomy",
    "TaxonomyError",
    "TfidfRule",
    "Topic",
    "default_taxonomy",
    "load_taxonomy",
    "parse_taxonomy",
    "resolve_taxonomy",
    "suggest",
]

DEFAULT_NAME = "<default taxonomy>"
DEFAULT_FILE = Path(__file__).with_name("topics.yaml")


def parse_taxonomy(text: str, name: str, *, base: Taxonomy | None = None) -> Taxonomy:
    """A taxonomy from YAML text; `base` is what `extends: default` extends (None: the default)."""
    from papertriage.topics.taxonomyfile import combine, read_topics_file

    parsed = read_topics_file(text, name)
    if parsed.extends == "none":
        return combine(Taxonomy((), Scoring()), parsed, name)
    return combine(base if base is not None else default_taxonomy(), parsed, name)


def _parse_default(text: str) -> Taxonomy:
    from papertriage.topics.taxonomyfile import combine, read_topics_file

    parsed = read_topics_file(text, DEFAULT_NAME)
    return combine(Taxonomy((), Scoring()), replace(parsed, extends="none"), DEFAULT_NAME)


_default: Taxonomy | None = None


def default_taxonomy(cache_dir: Path | None = None) -> Taxonomy:
    """The taxonomy shipped with papertriage (loaded once per process; compiled once in
    `cache_dir` when given)."""
    global _default
    if _default is None:
        # A path beside this module: importlib.resources alone costs more than the whole parse.
        text = DEFAULT_FILE.read_text(encoding="utf-8")
        _default = compiled(text, DEFAULT_NAME, cache_dir, lambda: _parse_default(text))
    return _default


def load_taxonomy(path: str | os.PathLike[str], cache_dir: Path | None = None) -> Taxonomy:
    """A taxonomy from a user's YAML file, extending or replacing the default (compiled once in
    `cache_dir` when given)."""
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
    return compiled(text, name, cache_dir, lambda: parse_taxonomy(text, name))


def resolve_taxonomy(
    explicit: str | None,
    environ: Mapping[str, str],
    config_dir: Path,
    cache_dir: Path | None = None,
) -> Taxonomy:
    """The taxonomy in force: --topics, else $PAPERTRIAGE_TOPICS, else the user's config file,
    else the default; compiled once in `cache_dir` when given."""
    chosen = explicit or environ.get("PAPERTRIAGE_TOPICS")
    if chosen:
        return load_taxonomy(chosen, cache_dir)
    user_file = config_dir / "topics.yaml"
    if user_file.is_file():
        return load_taxonomy(user_file, cache_dir)
    return default_taxonomy(cache_dir)


# ---------------------------------------------------------------------------------------------
# Compiled taxonomies: a topics file read once, kept as JSON (not pickle: a cache file is data,
# never code), so a command on a known file skips PyYAML, its import and the validation.

COMPILED_FORMAT = 2  # 2: the content hash kept beside the rules


def compiled(
    text: str, name: str, cache_dir: Path | None, parse: Callable[[], Taxonomy]
) -> Taxonomy:
    """The taxonomy of the topics file `name` holding `text`: from the cache when it has it,
    else `parse()`d (errors and all) and kept there. Without a cache directory, parsed."""
    if cache_dir is None:
        return parse()
    from papertriage.listings.cache import code_fingerprint

    key = json.dumps([COMPILED_FORMAT, code_fingerprint(), name, text], ensure_ascii=False)
    path = cache_dir / "topics" / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")
    try:
        return taxonomy_from_data(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        pass  # not compiled yet, or damaged: compile it again
    taxonomy = parse()
    from papertriage.output.files import keep_cache_file

    keep_cache_file(path, [json.dumps(taxonomy_data(taxonomy), ensure_ascii=False)])
    return taxonomy


def taxonomy_data(taxonomy: Taxonomy) -> dict[str, Any]:
    """A taxonomy as JSON-ready data, every field (origins too); `taxonomy_from_data` inverts."""
    return {
        "topics": [asdict(topic) for topic in taxonomy.topics],
        "scoring": asdict(taxonomy.scoring),
        "origins": list(taxonomy.origins),
        "content_hash": taxonomy.content_hash(),
    }


def taxonomy_from_data(data: dict[str, Any]) -> Taxonomy:
    topics = []
    for fields in data["topics"]:
        values: dict[str, Any] = {
            key: tuple(v) if isinstance(v, list) else v for key, v in fields.items()
        }
        if values.get("tfidf") is not None:
            values["tfidf"] = TfidfRule(**values["tfidf"])
        topics.append(Topic(**values))
    if not topics:  # a taxonomy always has topics: this is no file `compiled` wrote
        raise ValueError("a taxonomy without topics")
    taxonomy = Taxonomy(tuple(topics), Scoring(**data["scoring"]), tuple(data["origins"]))
    if isinstance(data.get("content_hash"), str):  # kept when compiled: no need to hash again
        taxonomy.__dict__[KNOWN_HASH] = data["content_hash"]
    return taxonomy
