"""Properties: the parser never crashes, and rendering a listing then parsing it is lossless."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papertriage.errors import PapertriageError
from papertriage.listings.formats.hf import noise_kind
from papertriage.listings.parse import FORMATS, parse_text
from papertriage.models import Record
from papertriage.output.render import arxiv_email_listing, hf_listing, jsonl_lines

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

word = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=12)
# Titles as papers have them: a few words, capitalised, no full stop at the end.
title = st.lists(word, min_size=2, max_size=14).map(lambda ws: " ".join(w.capitalize() for w in ws))
sentence = st.lists(word, min_size=6, max_size=25).map(lambda ws: " ".join(ws).capitalize() + ".")
abstract = st.lists(sentence, min_size=3, max_size=8).map(" ".join)
arxiv_id = st.builds(lambda a, b: f"{a:04d}.{b:05d}", st.integers(1, 2999), st.integers(0, 99999))
# A name is never a separator of author lists: "A, and B" is two names, as is "A, et al.".
name = st.builds(lambda a, b: f"{a} {b}", word, word).filter(
    lambda n: not n.startswith("and ") and n.casefold() != "et al"
)


@SETTINGS
@given(st.text(), st.sampled_from(("auto", *FORMATS)))
def test_the_parser_never_crashes_on_arbitrary_text(text: str, fmt: str) -> None:
    try:
        records = parse_text(text, format=fmt)
    except PapertriageError:
        return
    assert all(isinstance(record, Record) for record in records)


# A "title" that is a line of page chrome (a date such as 'Aug 0') is dropped as such, by design.
hf_title = title.filter(lambda text: noise_kind(text) is None)


@SETTINGS
@given(st.lists(st.tuples(hf_title, abstract), min_size=1, max_size=8, unique_by=lambda p: p[0]))
def test_hf_listing_round_trips(papers: list[tuple[str, str]]) -> None:
    records = [Record.create(t, a, source="l", position=i) for i, (t, a) in enumerate(papers, 1)]
    assert parse_text(hf_listing(records), source="l") == records


@SETTINGS
@given(
    st.lists(
        st.tuples(arxiv_id, title, abstract, st.lists(name, min_size=1, max_size=4)),
        min_size=1,
        max_size=6,
        unique_by=lambda p: p[0],
    )
)
def test_arxiv_email_listing_round_trips(papers: list[tuple[str, str, str, list[str]]]) -> None:
    records = [
        Record.create(
            t,
            a,
            arxiv_id=i,
            authors=names,
            categories=["cs.LG"],
            date="2024-05-06",
            source="e",
            position=n,
            announce_type="new",  # the digest lists them as new submissions
        )
        for n, (i, t, a, names) in enumerate(papers, 1)
    ]
    assert parse_text(arxiv_email_listing(records), source="e") == records


@SETTINGS
@given(
    st.lists(st.tuples(st.text(min_size=1).filter(str.strip), st.text()), min_size=1, max_size=5)
)
def test_jsonl_round_trips_any_text(papers: list[tuple[str, str]]) -> None:
    records = [Record.create(t, a, source="s", position=i) for i, (t, a) in enumerate(papers, 1)]
    text = "".join(jsonl_lines(records))
    assert parse_text(text) == records
    assert [json.loads(line)["title"] for line in text.splitlines()] == [r.title for r in records]


# ASCII text with its punctuation and spacing: the fast paths' domain (st.text() alone is mostly
# other text, where title_hash calls normalize_title's general path: equal by construction).
ascii_text = st.text(alphabet=st.characters(codec="ascii"), max_size=200)


@SETTINGS
@given(st.one_of(ascii_text, st.text(max_size=200)))
def test_title_hash_fast_path_agrees_with_normalize_title(text: str) -> None:
    """Both ASCII fast paths (normalize_title's translate, title_hash's bytes) give the key of
    the general definition: NFKC, case folded, every run of non-word characters one space."""
    import hashlib
    import re
    import unicodedata

    from papertriage.models import normalize_title, title_hash

    folded = unicodedata.normalize("NFKC", text).casefold()
    key = " ".join(re.sub(r"[\W_]+", " ", folded).split())
    assert normalize_title(text) == key
    expected = hashlib.sha1(normalize_title(text).encode("utf-8")).hexdigest()[:12]
    assert title_hash(text) == expected == hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


spacing = st.sampled_from([" ", "  ", "\t", " \u00a0", "   "])
spaced_words = st.lists(word, min_size=2, max_size=14).flatmap(
    lambda ws: st.lists(spacing, min_size=len(ws) - 1, max_size=len(ws) - 1).map(
        lambda gaps: ws[0] + "".join(gap + w for gap, w in zip(gaps, ws[1:], strict=True))
    )
)


@SETTINGS
@given(
    st.lists(st.tuples(spaced_words, abstract), min_size=1, max_size=6),
    st.integers(min_value=2, max_value=300),
)
def test_reading_a_file_in_blocks_parses_as_the_whole_text(
    papers: list[tuple[str, str]], read_chars: int
) -> None:
    """Files are read a block at a time and each block's text is searched once for spacing to
    normalise: any read size gives the records of parsing the text whole."""
    import os
    import tempfile

    import papertriage.listings.inputs as inputs
    from papertriage.listings.readoptions import ReadOptions

    text = "".join(f"{t}\n{a}\n" for t, a in papers)
    whole = parse_text(text, format="hf", source="f")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "f")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        saved, inputs.READ_CHARS = inputs.READ_CHARS, read_chars
        try:
            read = inputs.read_listing(path, ReadOptions(format="hf")).records
        finally:
            inputs.READ_CHARS = saved
    assert [r.with_changes(source="f") for r in read] == whole
    assert all("  " not in r.title and "\t" not in r.title for r in whole)
