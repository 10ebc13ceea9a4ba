"""Detection never guesses wrong: every fixture of every format is taken for its own format, and
what is no listing is refused. A new fixture must be named here, so nothing goes untested."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertriage.listings.parse import DETECT_LINES, FORMATS, detect_format
from tests.helpers import DATA

EXPECTED = {
    "golden/arxiv-atom.xml": "arxiv-atom",
    "golden/arxiv-email.txt": "arxiv-email",
    "golden/arxiv-list.txt": "arxiv-list",
    "golden/hf-page.txt": "hf",
    "formats/arxiv_rss/api-response.atom.xml": "arxiv-atom",
    "formats/arxiv_rss/cs-lg-ai.atom.xml": "arxiv-rss",
    "formats/arxiv_rss/cs-lg-ai.rss.xml": "arxiv-rss",
    "formats/arxiv_rss/cs-lg-2019.rss1.rdf": "arxiv-rss",  # arXiv's RSS 1.0, until 2024
    "formats/arxiv_rss/empty-day.atom.xml": "arxiv-rss",
    "formats/arxiv_rss/empty-day.rss.xml": "arxiv-rss",
    "formats/arxiv_rss/feed-error.rss.xml": "arxiv-rss",
    "formats/arxiv_rss/relay-html.rss.xml": "arxiv-rss",  # another site's feed of arXiv papers
    "formats/arxiv_rss/relay-translated.rss.xml": "arxiv-rss",
    "formats/arxiv_rss/truncated.rss.xml": "arxiv-rss",
    "formats/arxiv_rss/unrelated.rss.xml": None,  # a blog's RSS: no listing
    "formats/csv/wos.txt": "csv",  # Web of Science, tab-delimited
    "formats/csv/zotero.csv": "csv",
    "formats/hf/daily-page.txt": "hf",
    "formats/hf/monthly-page.txt": "hf",
    "formats/hf/search-page.txt": "hf",
    "formats/hf/trending-page.txt": "hf",
    "formats/hf/weekly-page.txt": "hf",
    "formats/html/arxiv-new-2023.html": "arxiv-html",
    "formats/html/arxiv-new-2025.html": "arxiv-html",
    "formats/html/arxiv-recent-2025.html": "arxiv-html",
    "formats/html/hf-daily.html": "hf-html",
    "formats/html/hf-trending.html": "hf-html",
    "formats/html/other-site.html": None,  # another site's page
    "formats/json/empty-feed.json": "jsonfeed",
    "formats/json/feed-1.0.json": "jsonfeed",
    "formats/json/hf-daily-papers.json": "hf-api",
    "formats/json/hf-feed-1.1.json": "jsonfeed",
    "formats/json/hf-search.json": "hf-api",
    "formats/json/tool-output.jsonl": "jsonl",
    "formats/json/unknown-object.json": "json",  # a JSON document, refused by its reader
    "formats/refs/mendeley.bib": "bibtex",
    "formats/refs/one-space.ris": "ris",
    "formats/refs/repeated-fields.bib": "bibtex",  # `TY - JOUR`, one space before the dash
    "formats/refs/three.ris": "ris",
    "formats/refs/zotero.bib": "bibtex",
}


def detected(path: Path) -> str | None:
    lines = path.read_text(encoding="utf-8").splitlines()
    return detect_format(lines[:DETECT_LINES])


def test_every_fixture_is_named_here() -> None:
    listings = {
        str(path.relative_to(DATA))
        for folder in ("golden", "formats")
        for path in (DATA / folder).rglob("*")
        if path.is_file() and ".expected." not in path.name
    }
    assert listings == set(EXPECTED)


def test_every_format_has_a_fixture_detected_as_it() -> None:
    assert set(FORMATS) - {"json"} <= set(EXPECTED.values())


@pytest.mark.parametrize(("name", "fmt"), EXPECTED.items())
def test_each_fixture_is_detected_as_its_format(name: str, fmt: str | None) -> None:
    assert detected(DATA / name) == fmt
