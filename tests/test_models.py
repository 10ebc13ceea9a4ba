from __future__ import annotations

import pytest

from papertriage.models import SCHEMA_VERSION, Record, normalize_title, split_arxiv_id


def test_arxiv_id_without_version_is_the_id_and_the_url() -> None:
    record = Record.create("T", arxiv_id="arXiv:2303.08867v2")
    assert (record.id, record.arxiv_id, record.url) == (
        "2303.08867",
        "2303.08867",
        "https://arxiv.org/abs/2303.08867",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://arxiv.org/abs/2303.08867v3", ("2303.08867", "v3")),
        ("http://arxiv.org/abs/hep-th/9901001v1", ("hep-th/9901001", "v1")),
        ("0704.0001", ("0704.0001", "")),
        ("no id here", None),
    ],
)
def test_split_arxiv_id(text: str, expected: tuple[str, str] | None) -> None:
    assert split_arxiv_id(text) == expected


def test_normalised_titles_ignore_case_punctuation_and_unicode_forms() -> None:
    assert normalize_title("ＭｏＥ:  Sparse—Experts!") == normalize_title("moe sparse experts")


def test_to_dict_from_dict_round_trip_and_schema_version() -> None:
    record = Record.create(
        "T",
        "A.",
        arxiv_id="2303.08867",
        authors=["A", "B"],
        tags=["moe"],
        tag_details={"moe": {"score": 1.0}},
        source="s",
        position=2,
    )
    data = record.to_dict()
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["authors"] == ["A", "B"]
    assert Record.from_dict(data) == record


def test_from_dict_derives_a_missing_id() -> None:
    assert Record.from_dict({"title": "Some Title"}).id == Record.create("Some Title").id


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "no 'title'"),
        ({"title": "x", "position": "3"}, "'position' must be an integer"),
        ({"title": "x", "categories": "cs.LG"}, "'categories' must be a list of strings"),
        ({"title": "x", "url": 3}, "'url' must be a string"),
    ],
)
def test_from_dict_rejects_wrong_types(data: dict[str, object], message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        Record.from_dict(data)
