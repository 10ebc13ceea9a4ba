"""The taxonomy loader: the default loads, user files extend or replace it, mistakes are pinned."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from papertriage.topics.taxonomy import (
    TaxonomyError,
    default_taxonomy,
    load_taxonomy,
    parse_taxonomy,
)

REQUIRED_TOPICS = {
    "pruning",
    "moe",
    "gnn",
    "distributed-training",
    "quantization",
    "low-rank",
    "peft",
    "sparsity",
    "llm",
    "diffusion",
    "snn",
    "scaling-laws",
    "optimization",
    "continual-learning",
    "nas",
    "distillation",
    "data-efficiency",
    "reinforcement-learning",
    "state-space-models",
    "federated-learning",
}


def test_the_default_taxonomy_has_every_required_topic_with_rules() -> None:
    taxonomy = default_taxonomy()
    assert set(taxonomy.ids) >= REQUIRED_TOPICS
    for topic in taxonomy.topics:
        assert topic.name and topic.description and topic.phrases and topic.tfidf
    moe = taxonomy.get("moe")
    assert "mixture of experts" in moe.phrases and "MoE" in moe.acronyms


def test_a_user_file_extends_overrides_and_drops() -> None:
    taxonomy = parse_taxonomy(
        """
drop: [snn]
topics:
  moe:
    name: My MoE
    phrases: [experts]
  retrieval:
    name: Retrieval
    description: Retrieval-augmented models
    phrases: [retrieval-augmented, retriever]
""",
        "mine.yaml",
    )
    assert "snn" not in taxonomy.ids
    assert taxonomy.get("moe").name == "My MoE"
    assert taxonomy.ids.index("moe") == default_taxonomy().ids.index("moe")  # kept its place
    assert taxonomy.ids[-1] == "retrieval"
    assert taxonomy.get("retrieval").origin == "mine.yaml:7"
    assert taxonomy.content_hash() != default_taxonomy().content_hash()


def test_extends_none_replaces_the_default() -> None:
    taxonomy = parse_taxonomy("extends: none\ntopics:\n  x:\n    name: X\n    phrases: [x]\n", "f")
    assert taxonomy.ids == ["x"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "topics:\n  moe:\n    name: M\n    phrases: mixture of experts\n",
            "f.yaml:4: topic 'moe': phrases must be a list of strings (got a single string; did you "
            "forget the dash?)",
        ),
        (
            "topics:\n  moe:\n    name: M\n    phrasse: [x]\n",
            "f.yaml:4: topic 'moe': unknown key 'phrasse' (did you mean 'phrases'? valid: ",
        ),
        (
            "topics:\n  a:\n    name: A\n    phrases: [x]\n  a:\n    name: B\n    phrases: [y]\n",
            "f.yaml:5: topics: 'a' is given twice (keep one of them)",
        ),
        (
            "topics:\n  a:\n    name: A\n    regexes: ['(unclosed']\n",
            "f.yaml:4: topic 'a': invalid regex '(unclosed': missing ), unterminated subpattern",
        ),
        (
            "topics:\n  a:\n    name: A\n    tfidf: {prototype: text, threshold: 1.5}\n",
            "f.yaml:4: topic 'a': tfidf.threshold must be between 0.01 and 1 (got 1.5)",
        ),
        (
            "topics:\n  a:\n    name: A\n    phrases: [x]\n    related_cap: 30\n",
            "f.yaml:5: topic 'a': related_cap must be between 0 and 20 (got 30)",
        ),
        ("topics:\n  a:\n    name: A\n   phrases: [x]\n", "f.yaml:4: invalid YAML: "),
        (
            "topics:\n\ta:\n    name: A\n",
            "f.yaml:2: invalid YAML: found character that cannot start any token (indent with "
            "spaces, not tabs)",
        ),
        (
            "topics:\n  a:\x00\n",
            "f.yaml: invalid YAML: unacceptable character #x0000: control characters are not "
            "allowed (is it a text file of topics?)",
        ),
        ("topics:\n  a:\n    name: A\n", "f.yaml:3: topic 'a' has no rules"),
        ("drop: [gnns]\n", "f.yaml:1: drop: unknown topic 'gnns' (did you mean 'gnn'?"),
        (
            "topics:\n  Bad_Id:\n    name: A\n    phrases: [x]\n",
            "f.yaml:2: topic id 'Bad_Id' must be lower-case letters, digits and dashes",
        ),
        ("scoring:\n  threshold: -1\n", "f.yaml:2: scoring.threshold must be between 0.01 and 100"),
        ("extends: everything\n", "f.yaml:1: extends must be 'default' or 'none'"),
        ("", "f.yaml: the file is empty"),
        ("- just\n- a list\n", "f.yaml:1: the file must be a mapping of keys to values"),
    ],
)
def test_mistakes_name_the_file_the_line_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(TaxonomyError, match="^" + re.escape(message)):
        parse_taxonomy(text, "f.yaml")


def test_load_taxonomy_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="no such topics file"):
        load_taxonomy(tmp_path / "missing.yaml")
