"""Golden pairs: each listing in tests/data/golden parses to exactly the records beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from papertriage.listings.parse import parse_lines
from tests.helpers import GOLDEN

CASES = [
    ("hf-page.txt", "hf"),
    ("arxiv-email.txt", "arxiv-email"),
    ("arxiv-list.txt", "arxiv-list"),
    ("arxiv-atom.xml", "arxiv-atom"),
]


def _expected(listing: Path) -> list[dict[str, object]]:
    expected = listing.with_name(listing.name.rsplit(".", 1)[0] + ".expected.jsonl")
    return [json.loads(line) for line in expected.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(("name", "fmt"), CASES)
def test_listing_parses_to_its_golden_records(name: str, fmt: str) -> None:
    listing = GOLDEN / name
    with listing.open(encoding="utf-8") as handle:
        report = parse_lines(handle, source=name)
    assert report.format == fmt
    assert [record.to_dict() for record in report.records] == _expected(listing)


@pytest.mark.parametrize(("name", "fmt"), CASES)
def test_crlf_and_byte_order_mark_change_nothing(name: str, fmt: str) -> None:
    text = (GOLDEN / name).read_text(encoding="utf-8")
    mangled = "\ufeff" + text.replace("\n", "\r\n")
    report = parse_lines(mangled.splitlines(keepends=True), source=name)
    assert report.format == fmt
    assert [record.to_dict() for record in report.records] == _expected(GOLDEN / name)
