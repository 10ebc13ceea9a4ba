"""Compiled taxonomies: a topics file read once, kept as JSON in the cache, and read back the same
(origins too) until its text or papertriage changes; damage and errors are never served."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from papertriage.topics import taxonomy, taxonomyfile
from papertriage.topics.schema import Taxonomy, TaxonomyError, TfidfRule
from tests.helpers import GOLDEN, run

# Extends the default: a drop, a replaced topic, new scoring and every kind of rule, so that the
# round trip has origins from two files, tuples of each field and a tfidf rule to carry.
USER_FILE = """\
scoring:
  threshold: 2
  abstract_cap: 3
drop: [snn]
topics:
  moe:
    name: My MoE
    phrases: [mixture of experts, expert routing]
  heads:
    name: Attention heads
    description: Which heads matter
    phrases: [attention heads]
    related: [multi-head attention]
    acronyms: [MHA]
    regexes: ['\\bhead(s)? prun\\w*']
    exclude: [headline]
    exclude_regexes: ['head-?to-?head']
    requires: [transformer, attention]
    tfidf: {prototype: attention heads pruned and analysed, threshold: 0.2}
    threshold: 4.5
    related_cap: 3
"""


@pytest.fixture(autouse=True)
def no_default_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process does: the default taxonomy not loaded yet."""
    monkeypatch.setattr(taxonomy, "_default", None)


@pytest.fixture
def yaml_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the topics files read from YAML from now on (read as before)."""
    names: list[str] = []
    real = taxonomyfile.read_topics_file

    def reading(text: str, name: str) -> taxonomyfile.TopicsFile:
        names.append(name)
        return real(text, name)

    monkeypatch.setattr(taxonomyfile, "read_topics_file", reading)
    return names


def user_file(tmp_path: Path, text: str = USER_FILE) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def assert_same(got: Taxonomy, expected: Taxonomy) -> None:
    # repr shows what == leaves out (origins) and tells a tuple from a list, a TfidfRule from a dict.
    assert got == expected
    assert repr(got) == repr(expected)


def compiled_files(cache: Path) -> list[Path]:
    return sorted((cache / "topics").glob("*"))


@pytest.mark.parametrize("source", ["default", "user file"])
def test_taxonomy_data_round_trips_through_json(source: str, tmp_path: Path) -> None:
    original = (
        taxonomy.default_taxonomy()
        if source == "default"
        else taxonomy.load_taxonomy(user_file(tmp_path))
    )
    back = taxonomy.taxonomy_from_data(json.loads(json.dumps(taxonomy.taxonomy_data(original))))
    assert_same(back, original)
    assert [t.origin for t in back.topics] == [t.origin for t in original.topics]
    assert all(t.origin for t in back.topics) and back.origins
    assert all(isinstance(t.tfidf, TfidfRule) for t in back.topics if t.tfidf is not None)


def test_the_user_file_round_trip_covers_every_field(tmp_path: Path) -> None:
    # Guards the test above: a field the file leaves empty would not be checked by it.
    heads = taxonomy.load_taxonomy(user_file(tmp_path)).get("heads")
    assert all(value not in ("", (), None) for value in vars(heads).values())


def test_a_second_load_reads_no_yaml_and_an_edited_file_is_read_again(
    tmp_path: Path, yaml_reads: list[str]
) -> None:
    cache, path = tmp_path / "cache", user_file(tmp_path)
    first = taxonomy.load_taxonomy(path, cache)
    assert str(path) in yaml_reads
    yaml_reads.clear()
    assert_same(taxonomy.load_taxonomy(path, cache), first)
    assert yaml_reads == []
    path.write_text(USER_FILE.replace("My MoE", "Our MoE"), encoding="utf-8")
    edited = taxonomy.load_taxonomy(path, cache)
    assert yaml_reads == [str(path)]
    assert edited.get("moe").name == "Our MoE"
    assert len(compiled_files(cache)) == 2  # one entry per text: the old one is never served


def test_the_default_is_compiled_once_too(tmp_path: Path, yaml_reads: list[str]) -> None:
    cache = tmp_path / "cache"
    first = taxonomy.default_taxonomy(cache)
    assert yaml_reads == [taxonomy.DEFAULT_NAME]
    taxonomy._default = None  # a new process; monkeypatch restores it after the test
    assert_same(taxonomy.default_taxonomy(cache), first)
    assert yaml_reads == [taxonomy.DEFAULT_NAME]


def test_resolve_taxonomy_compiles_the_config_file(tmp_path: Path, yaml_reads: list[str]) -> None:
    config, cache = tmp_path / "config", tmp_path / "cache"
    config.mkdir()
    (config / "topics.yaml").write_text(USER_FILE, encoding="utf-8")
    first = taxonomy.resolve_taxonomy(None, {}, config, cache)
    yaml_reads.clear()
    assert_same(taxonomy.resolve_taxonomy(None, {}, config, cache), first)
    assert yaml_reads == [] and first.get("moe").name == "My MoE"


@pytest.mark.parametrize(
    "damage",
    [b"", b"{not json", b"\xff\xfe", b"null", b"{}", b'{"topics": [{"id": 1}]}', "half"],
)
def test_a_damaged_entry_is_compiled_again_and_rewritten(
    damage: bytes | str, tmp_path: Path
) -> None:
    cache, path = tmp_path / "cache", user_file(tmp_path)
    original = taxonomy.load_taxonomy(path, cache)
    [entry] = compiled_files(cache)
    good = entry.read_bytes()
    entry.write_bytes(good[: len(good) // 2] if damage == "half" else damage)
    assert_same(taxonomy.load_taxonomy(path, cache), original)
    assert entry.read_bytes() == good


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("topics:\n  a:\n    name: A\n   phrases: [x]\n", ":4: invalid YAML: "),
        ("drop: [gnns]\n", ":1: drop: unknown topic 'gnns' (did you mean 'gnn'?"),
    ],
)
def test_a_file_with_an_error_is_never_compiled(text: str, message: str, tmp_path: Path) -> None:
    cache, path = tmp_path / "cache", user_file(tmp_path, text)
    errors = []
    for _ in range(2):
        with pytest.raises(TaxonomyError) as caught:
            taxonomy.load_taxonomy(path, cache)
        errors.append(str(caught.value))
    assert errors[0].startswith(f"{path}{message}")
    assert errors[1] == errors[0]
    assert compiled_files(cache) == []


def test_an_unwritable_cache_still_gives_the_taxonomy(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("where the cache's parent directory should be")
    cache, path = blocker / "cache", user_file(tmp_path)
    expected = taxonomy.load_taxonomy(path)
    for _ in range(2):
        assert_same(taxonomy.load_taxonomy(path, cache), expected)
    assert_same(taxonomy.default_taxonomy(cache), taxonomy.default_taxonomy())


@pytest.mark.parametrize(
    "args", [("tag", "-q", str(GOLDEN / "hf-page.txt")), ("topics", "show", "moe")]
)
def test_a_second_run_gives_the_same_output_from_the_compiled_taxonomy(
    args: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "pt-home"
    monkeypatch.setenv("PAPERTRIAGE_HOME", str(home))
    first = run(*args)
    assert first[0] == 0 and first[1]
    [entry] = compiled_files(home / "cache")
    assert_same(taxonomy.taxonomy_from_data(json.loads(entry.read_text())), taxonomy._default)

    def no_yaml(text: str, name: str) -> None:
        raise AssertionError(f"{name} read from YAML again")

    monkeypatch.setattr(taxonomy, "_default", None)  # as in a new process
    monkeypatch.setattr(taxonomyfile, "read_topics_file", no_yaml)
    assert run(*args)[:2] == first[:2]


def test_a_compiled_taxonomy_brings_its_content_hash_and_a_changed_one_hashes_afresh(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    fresh = taxonomy.load_taxonomy(user_file(tmp_path))
    taxonomy.load_taxonomy(user_file(tmp_path), cache)  # compiles
    loaded = taxonomy.load_taxonomy(user_file(tmp_path), cache)
    assert loaded.__dict__.get("_content_hash") == fresh.content_hash()  # read, not worked out
    assert loaded.content_hash() == fresh.content_hash()
    changed = replace(loaded, scoring=replace(loaded.scoring, threshold=9.0))
    assert "_content_hash" not in changed.__dict__
    assert changed.content_hash() != loaded.content_hash()
    # A compiled file without a usable hash: worked out again.
    data = taxonomy.taxonomy_data(fresh)
    data["content_hash"] = None
    assert taxonomy.taxonomy_from_data(data).content_hash() == fresh.content_hash()


def test_the_content_hash_changes_with_the_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same rules match other words when the tokens change: cached tags, and a library's,
    # must then be made again, which a changed hash brings about.
    import papertriage.topics.schema as schema

    text = taxonomy.DEFAULT_FILE.read_text(encoding="utf-8")
    before = taxonomy.parse_taxonomy(text, "t").content_hash()
    monkeypatch.setattr(schema, "TOKENS_VERSION", schema.TOKENS_VERSION + 1)
    assert taxonomy.parse_taxonomy(text, "t").content_hash() != before
