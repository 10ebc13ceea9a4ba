"""The library's stored search index: the same answers as searching the listing itself, kept
right through later adds, updates, merges, re-tagging and old libraries."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from papertriage.library.index import LibraryPostings, PostingsPart, build_segment
from papertriage.library.segments import MAX_SEGMENTS
from papertriage.library.store import Library
from papertriage.models import Record
from papertriage.search.index import SearchIndex
from papertriage.topics.tagger import Tagger
from papertriage.topics.taxonomy import default_taxonomy
from tests.helpers import EXAMPLE, example_records, run

QUERIES = Path(__file__).parent / "data" / "hf-queries.yaml"
# Beyond the judged queries: every kind of query syntax the index must answer alike.
SYNTAX_QUERIES = [
    '"low-rank adaptation"',
    '"mixture of experts" routing',
    "pruning -llm",
    "title:quantization",
    "tag:moe",
    "tag:gnn -tag:distributed-training training",
    "sparsity tag:pruning",
    "grpah nerual netwroks",
    "GNN",
    "zzzz nothing matches this",
]


@pytest.fixture(scope="module")
def tagged() -> list[Record]:
    return Tagger(default_taxonomy()).tag(example_records())


def answers(index: SearchIndex, query: str) -> list[tuple[str, float, tuple[str, ...]]]:
    return [(hit.record.id, hit.score, hit.matched) for hit in index.search(query, limit=None)]


def library_index(library: Library) -> SearchIndex:
    return SearchIndex.with_arrays([], LibraryPostings(library), default_taxonomy())


def all_queries() -> list[str]:
    judged = [item["query"] for item in yaml.safe_load(QUERIES.read_text(encoding="utf-8"))]
    return judged + SYNTAX_QUERIES


def test_the_library_answers_every_query_as_the_listing_does(
    tmp_path: Path, tagged: list[Record]
) -> None:
    library = Library(tmp_path / "lib.sqlite3")
    library.add(tagged)
    stored = {record.id for record in library.records()}
    listing = SearchIndex.build([r for r in tagged if r.id in stored], default_taxonomy())
    ours = library_index(library)
    compared = 0
    for query in all_queries():
        expected = answers(listing, query)
        assert answers(ours, query) == expected, query
        compared += len(expected)
    assert compared > 500  # the queries do find papers


def test_many_small_adds_merge_segments_and_keep_the_same_answers(
    tmp_path: Path, tagged: list[Record]
) -> None:
    one = Library(tmp_path / "one.sqlite3")
    one.add(tagged)
    many = Library(tmp_path / "many.sqlite3")
    for start in range(0, len(tagged), 16):  # 17 adds: more segments than MAX_SEGMENTS
        many.add(tagged[start : start + 20])
    assert len(many.segment_rows()) <= MAX_SEGMENTS
    for query in all_queries():
        assert answers(library_index(many), query) == answers(library_index(one), query), query


def test_an_updated_paper_is_found_by_its_new_text_only(
    tmp_path: Path, tagged: list[Record]
) -> None:
    library = Library(tmp_path / "lib.sqlite3")
    library.add(tagged)
    target = tagged[5]
    old_word = "dynamiccity"  # only in the first paper's text
    assert [h.record.id for h in library_index(library).search(old_word)] == [tagged[0].id]
    richer = target.with_changes(
        abstract=target.abstract + " It introduces the quokkaformer architecture.",
        arxiv_id="2501.99999",
        id="2501.99999",
        authors=("A. Author",),
    )
    result = library.add([richer])
    assert (result.new, result.updated) == (0, 1)
    hits = library_index(library).search("quokkaformer")
    assert [h.record.id for h in hits] == [target.id]  # the id never changes
    assert hits[0].record.arxiv_id == "2501.99999"
    # The paper's old postings are ignored, not counted twice.
    before = {h.record.id: h.score for h in library_index(library).search("training")}
    assert list(before).count(target.id) <= 1


def test_retagging_rewrites_the_topic_bits(tmp_path: Path, tagged: list[Record]) -> None:
    library = Library(tmp_path / "lib.sqlite3")
    library.add(tagged)
    moe = {h.record.id for h in library_index(library).search("tag:moe", limit=None)}
    assert moe == {r.id for r in tagged if "moe" in r.tags}
    retagged = [r.with_changes(tags=tuple(t for t in r.tags if t != "moe")) for r in tagged]
    library.set_tags(retagged, "another taxonomy")
    assert library_index(library).search("tag:moe", limit=None) == []
    gnn = {h.record.id for h in library_index(library).search("tag:gnn", limit=None)}
    assert gnn == {r.id for r in tagged if "gnn" in r.tags}


def test_a_library_without_an_index_is_indexed_on_first_search(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "lib.sqlite3"
    monkeypatch.setenv("PAPERTRIAGE_HOME", str(tmp_path / "home"))
    assert run("add", str(EXAMPLE), "--db", str(db), "-q")[0] == 0
    code, expected, _ = run("search", "mixture of experts", "--db", str(db), "--json")
    assert code == 0
    with sqlite3.connect(db) as connection:  # as a library from before the index looks
        connection.execute("DELETE FROM postings")
        connection.execute("DELETE FROM segments")
        connection.execute("DELETE FROM meta WHERE key = 'indexed'")
    code, out, err = run("search", "mixture of experts", "--db", str(db), "--json")
    assert (code, out) == (0, expected)
    assert "indexing the library for search (once)" in err
    _, _, err = run("search", "mixture of experts", "--db", str(db), "--json")
    assert "indexing" not in err


@pytest.mark.parametrize("add_before_searching", [False, True])
def test_a_library_indexed_with_other_tokens_is_indexed_again(
    tmp_path: Path, monkeypatch, add_before_searching: bool
) -> None:
    db = tmp_path / "lib.sqlite3"
    monkeypatch.setenv("PAPERTRIAGE_HOME", str(tmp_path / "home"))
    assert run("add", str(EXAMPLE), "--db", str(db), "-q")[0] == 0
    with sqlite3.connect(db) as connection:  # as an older papertriage's tokens leave it
        connection.execute("UPDATE meta SET value = '1' WHERE key = 'index_tokens'")
        connection.execute("UPDATE postings SET term = term || 'x'")  # stale terms
    if add_before_searching:  # a new paper: the other papers' postings stay stale
        listing = tmp_path / "one.jsonl"
        paper = {"title": "Approaches to routing", "abstract": "It studies approaches."}
        listing.write_text(json.dumps(paper) + "\n", encoding="utf-8")
        assert run("add", str(listing), "--db", str(db), "-q")[0] == 0
    code, out, err = run("search", "mixture of experts", "--db", str(db), "--json")
    assert code == 0 and len(json.loads(out)) == 10
    assert "indexing the library for search (once)" in err
    _, again, err = run("search", "mixture of experts", "--db", str(db), "--json")
    assert again == out and "indexing" not in err


def test_a_library_search_reads_only_the_papers_it_shows(
    tmp_path: Path, monkeypatch, tagged: list[Record]
) -> None:
    db = tmp_path / "lib.sqlite3"
    monkeypatch.setenv("PAPERTRIAGE_HOME", str(tmp_path / "home"))
    assert run("add", str(EXAMPLE), "--db", str(db), "-q")[0] == 0
    fetched: list[int] = []
    real = Library.records_by_doc

    def counting(self: Library, docs: list[int]) -> list[Record]:
        fetched.extend(docs)
        return real(self, docs)

    def refuse(self: Library) -> list[Record]:
        raise AssertionError("a library search must not load every record")

    monkeypatch.setattr(Library, "records", refuse)
    monkeypatch.setattr(Library, "records_by_doc", counting)
    code, out, err = run("search", "pruning", "--db", str(db), "--limit", "3", "--json")
    assert code == 0 and len(json.loads(out)) == 3
    assert len(fetched) <= 5  # the three shown, and any tied with the third
    assert f"{db}: 259 papers in the library" in err
    assert "29 of 259 papers match; the best 3 shown (--limit)" in err


def test_state_filters_search_only_those_papers(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "lib.sqlite3"
    monkeypatch.setenv("PAPERTRIAGE_HOME", str(tmp_path / "home"))
    run("add", str(EXAMPLE), "--db", str(db), "-q")
    _, out, _ = run("search", "pruning", "--db", str(db), "--json", "-q")
    first, second = (hit["id"] for hit in json.loads(out)[:2])
    run("mark", first, "--status", "read", "--db", str(db), "-q")
    run("mark", second, "--star", "--db", str(db), "-q")
    _, out, err = run("search", "pruning", "--status", "read", "--db", str(db), "--json")
    assert [hit["id"] for hit in json.loads(out)] == [first]
    assert "1 of 1 papers match" in err
    _, out, _ = run("search", "pruning", "--starred", "--db", str(db), "--json", "-q")
    assert [hit["id"] for hit in json.loads(out)] == [second]
    code, _, err = run("search", "pruning", "--status", "done", "--db", str(db))
    assert code == 2 and "unknown status 'done'" in err


def test_a_segment_holds_weighted_frequencies_and_title_flags() -> None:
    record = Record.create("Sparse experts", "Experts route tokens; the experts are sparse.")
    topics: list[str] = []
    segment = build_segment([record.with_changes(tags=("moe",))], [7], topics)
    rows = {term: (docs, tf) for term, docs, tf in segment.term_rows()}
    assert set(rows) == {"sparse", "expert", "route", "token"}  # "the", "are": stop words
    import numpy as np

    def frequency(term: str) -> tuple[int, bool]:
        docs, tf = rows[term]
        assert np.frombuffer(docs, np.int32).tolist() == [7]
        packed = int(np.frombuffer(tf, np.uint16)[0])
        return packed >> 1, bool(packed & 1)

    assert frequency("expert") == (3 + 2, True)  # once in the title (x3), twice in the abstract
    assert frequency("token") == (1, False)
    assert segment.lengths.tolist() == [3 * 2 + 7]
    assert topics == ["moe"] and segment.tags.tolist() == [[0b1000_0000]]


@pytest.mark.parametrize("workers", [1, 2])
def test_postings_from_the_taggers_tokens_index_as_tokenising_again_does(
    tmp_path: Path, workers: int
) -> None:
    records = example_records()
    # A duplicate with a richer record inside the batch: stored merged, so tokenised afresh.
    twin = records[3].with_changes(
        abstract=records[3].abstract + " Also about wombatnets.", arxiv_id="2502.00001"
    )
    batch = [*records, twin]
    tagger = Tagger(default_taxonomy())
    tagged, part = tagger.tag_and_index(batch, postings=PostingsPart, workers=workers)
    assert tagged == tagger.tag(batch, workers=workers)
    shared = Library(tmp_path / "shared.sqlite3")
    with shared.adding() as adding:
        adding.add(tagged, part)
    again = Library(tmp_path / "again.sqlite3")
    again.add(tagged)
    for query in [*all_queries(), "wombatnets"]:
        assert answers(library_index(shared), query) == answers(library_index(again), query)
    assert [h.record.id for h in library_index(shared).search("wombatnets")] == [records[3].id]
