"""Authors as a reader names them: `filter --author` and a profile's watch list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papertriage.models import Record, name_words
from papertriage.search.authors import by_any_of, names_match
from papertriage.search.rank import load_profile, rank_by_profile
from papertriage.topics.taxonomy import default_taxonomy
from tests.helpers import run


@pytest.mark.parametrize(
    ("typed", "author", "same"),
    [
        ("Jonsson", "Hannes Jónsson", True),
        ("hannes jónsson", "Hannes Jónsson", True),
        ("Jonsson, Hannes", "Hannes Jónsson", True),
        ("H. Jonsson", "Hannes Jónsson", True),
        ("Hannes Jonsson", "H. Jónsson", True),
        ("bonnet guerrini", "Raphaël Bonnet-Guerrini", True),
        ("Soren Lodz", "Søren Łódź", True),
        ("Li", "Bo Li", True),
        ("Jonsson", "J. Smith", False),  # an initial alone is no match
        ("Jane Smith", "John Smith", False),
        ("Li", "Lina Wang", False),  # whole words, not their starts
        ("Hannes Jonsson", "Hannes", False),
    ],
)
def test_names_match_as_a_reader_means_them(typed: str, author: str, same: bool) -> None:
    assert names_match(name_words(typed), name_words(author)) is same


@given(st.lists(st.text(alphabet="abcdéxyzøł", min_size=2, max_size=8), min_size=1, max_size=4))
def test_a_name_matches_itself_whatever_its_case(words: list[str]) -> None:
    name = " ".join(words)
    assert names_match(name_words(name.upper()), name_words(name))


def test_any_of_several_names_keeps_a_paper() -> None:
    papers = [
        Record.create("A", "x", authors=("Ada Lovelace", "Charles Babbage")),
        Record.create("B", "y", authors=("Hannes Jónsson",)),
        Record.create("C", "z"),
    ]
    wanted = by_any_of(["babbage", "H. Jonsson"])
    assert [p.title for p in papers if wanted(p)] == ["A", "B"]
    assert [p.title for p in papers if by_any_of(["Babbage et al."])(p)] == ["A"]


def test_filter_by_author_on_a_listing_and_in_the_library(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PAPERTRIAGE_DB", str(tmp_path / "lib.sqlite3"))
    listing = tmp_path / "papers.jsonl"
    papers = [
        {"title": "Saddle Points", "abstract": "We find them.", "authors": ["Hannes Jónsson"]},
        {"title": "Engines", "abstract": "We build one.", "authors": ["Charles Babbage"]},
    ]
    listing.write_text("".join(json.dumps(p) + "\n" for p in papers))
    code, out, _ = run("filter", str(listing), "--author", "jonsson", "-q")
    assert code == 0 and [json.loads(line)["title"] for line in out.splitlines()] == [
        "Saddle Points"
    ]
    assert run("filter", str(listing), "-a", "Ada Lovelace", "-q")[0] == 1  # nothing kept
    code, _, err = run("filter", str(listing), "-a", "...")
    assert code == 2 and err.startswith("Error: --author: give a name with letters in it")
    assert run("add", str(listing), "-q")[0] == 0
    code, out, _ = run("filter", "-a", "Babbage", "-a", "H. Jonsson", "-q")
    assert code == 0 and len(out.splitlines()) == 2


def test_a_watch_list_names_authors_without_their_accents(tmp_path: Path) -> None:
    path = tmp_path / "me.yaml"
    path.write_text("authors:\n  Hannes Jonsson: 2\n")
    profile = load_profile(str(path), default_taxonomy().ids)
    papers = [Record.create("Saddle Points", "x", authors=("Hannes Jónsson",))]
    assert rank_by_profile(papers, profile)[0].score == 2.0
