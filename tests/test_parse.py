"""Format detection and the quirks of each listing format."""

from __future__ import annotations

import json

import pytest

from papertriage.errors import InputError, UsageError
from papertriage.listings.parse import detect_format, parse_lines, parse_text
from papertriage.models import Record, title_hash
from tests.helpers import EXAMPLE, GOLDEN

ABSTRACT = (
    "We propose a method that does something useful. It works on three benchmarks and is "
    "faster than the baselines we compare against."
)


def test_example_listing_has_259_records_first_and_last_as_on_the_page() -> None:
    report = parse_lines(EXAMPLE.read_text(encoding="utf-8").splitlines(), source=EXAMPLE.name)
    assert report.format == "hf"
    assert len(report.records) == 259
    assert (
        report.records[0].title == "DynamicCity: Large-Scale LiDAR Generation from Dynamic Scenes"
    )
    assert report.records[-1].title == "Fox-1 Technical Report"
    assert [r.position for r in report.records] == list(range(1, 260))
    assert all(r.abstract for r in report.records)
    assert report.dropped == {"banner": 2, "navigation": 1}
    assert report.warnings == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hf-page.txt", "hf"),
        ("arxiv-email.txt", "arxiv-email"),
        ("arxiv-list.txt", "arxiv-list"),
        ("arxiv-atom.xml", "arxiv-atom"),
        ("hf-page.expected.jsonl", "jsonl"),
    ],
)
def test_detection(name: str, expected: str) -> None:
    head = (GOLDEN / name).read_text(encoding="utf-8").splitlines()
    assert detect_format(head) == expected


def test_detects_json_array_and_not_a_list_page() -> None:
    assert detect_format(['[{"title": "x"}]']) == "json"
    assert detect_format(["[1] arXiv:2411.00010 [pdf]", "Title: x"]) == "arxiv-list"


@pytest.mark.parametrize(
    "text",
    [
        "just one short line",
        "x" * 20_000_000,  # a single huge line: no pairs, no known markers
        "<html><body>not a feed</body></html>",
        "a\nb\nc\n",
    ],
)
def test_unknown_text_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError, match="not a listing papertriage knows"):
        parse_text(text, source="x.txt")


NOTES = f"""# My project

Some notes on the project.
Install it
{ABSTRACT}

## Usage

    papertriage parse listing.txt
    papertriage search "mixture of experts" listing.txt

Options are listed by --help, and the exit codes are those of grep.
- one item
- another item
"""
CSV = "id,title,authors,abstract\n" + "".join(
    f"{n},Paper {n},Ada Lovelace; Charles Babbage,{ABSTRACT}\n" for n in range(20)
)
SERVICES = "# Network services, Internet style\n#\n" + "".join(
    f"service{n}\t{n}/tcp\t\t# a port for the {n}th service, used by nobody we know of.\n"
    for n in range(30)
)


@pytest.mark.parametrize("text", [NOTES, SERVICES], ids=["notes", "services"])
def test_a_text_with_one_title_and_abstract_among_much_else_is_no_listing(text: str) -> None:
    """One short line before a sentence is not a listing: papers are most of a listing."""
    with pytest.raises(InputError, match="not a listing papertriage knows"):
        parse_text(text, source="x.txt")
    assert detect_format(f"A Title of a Paper\n{ABSTRACT}".splitlines()) == "hf"


def test_a_csv_file_of_papers_is_read_as_csv_not_as_hf() -> None:
    records = parse_text(CSV, source="x.csv")
    assert [record.title for record in records] == [f"Paper {n}" for n in range(20)]
    assert records[0].authors == ("Ada Lovelace", "Charles Babbage")


def test_empty_input_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"x\.txt: the input is empty"):
        parse_text("\n  \n", source="x.txt")


def test_unknown_format_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown format 'pdf'"):
        parse_text("Title\n" + ABSTRACT, format="pdf")


class TestHuggingFace:
    def test_hf_records_take_a_title_hash_as_id(self) -> None:
        [record] = parse_text(f"A Paper Title\n{ABSTRACT}\n", format="hf")
        assert record.id == title_hash("A Paper Title") == title_hash("a paper  TITLE!")
        assert record.arxiv_id is None

    def test_a_title_without_abstract_in_the_middle_is_kept_with_a_warning(self) -> None:
        text = f"First Title\nSecond Title Without Abstract\nThird Title\n{ABSTRACT}\n"
        text = f"Zeroth Title\n{ABSTRACT}\n" + text
        report = parse_lines(text.splitlines(), format="hf", source="l.txt")
        assert [(r.title, bool(r.abstract)) for r in report.records] == [
            ("Zeroth Title", True),
            ("First Title", False),
            ("Second Title Without Abstract", False),
            ("Third Title", True),
        ]
        assert report.warnings[0] == "l.txt:3: title without an abstract: 'First Title'"

    def test_a_short_abstract_still_pairs_with_its_title(self) -> None:
        text = f"Tiny Paper\nWe show it.\nNext Paper\n{ABSTRACT}\n"
        records = parse_text(text, format="hf")
        assert [(r.title, r.abstract) for r in records] == [
            ("Tiny Paper", "We show it."),
            ("Next Paper", ABSTRACT),
        ]

    def test_subscribe_is_only_cut_when_glued(self) -> None:
        records = parse_text(f"SubscribeiNet\n{ABSTRACT}\nSubscribeX\n{ABSTRACT}")
        assert [r.title for r in records] == ["iNet", "SubscribeX"]
        records = parse_text(f"Subscribers Churn\n{ABSTRACT}\n")
        assert [r.title for r in records] == ["Subscribers Churn"]

    def test_white_space_is_normalised_but_text_kept(self) -> None:
        [record] = parse_text(f"  A   Title\twith  Tabs \n  {ABSTRACT}   ")
        assert record.title == "A Title with Tabs"
        assert record.abstract == ABSTRACT


class TestArxivEmail:
    def test_replaced_entries_are_skipped_by_default_and_kept_on_request(self) -> None:
        path = GOLDEN / "arxiv-email.txt"
        skipped = parse_lines(path.read_text().splitlines(), source="e")
        kept = parse_lines(path.read_text().splitlines(), source="e", include_replaced=True)
        assert skipped.skipped == {"replaced": 1}
        assert len(kept.records) == len(skipped.records) + 1
        replaced = kept.records[-1]
        assert (replaced.id, replaced.abstract, replaced.date) == ("2201.00001", "", "2023-03-15")

    def test_wrapped_title_and_authors_are_joined(self) -> None:
        first = parse_lines((GOLDEN / "arxiv-email.txt").read_text().splitlines()).records[0]
        assert first.title == (
            "Pipeline Parallel Training of Very Deep Transformers on Commodity Clusters"
        )
        assert first.authors == ("Ada Lovelace", "Charles Babbage", "Mary Somerville")
        assert first.url == "https://arxiv.org/abs/2303.10001"

    def test_a_truncated_digest_keeps_the_last_entry_and_warns(self) -> None:
        text = (GOLDEN / "arxiv-email.txt").read_text()
        cut = text[: text.index("\\\\ ( https://arxiv.org/abs/2303.10002")]
        report = parse_lines(cut.splitlines(), source="e")
        assert [r.id for r in report.records] == ["2303.10001", "2303.10002"]
        assert report.warnings == ["e:29: arXiv:2303.10002: listing ends inside this entry"]


class TestArxivAtom:
    def test_the_api_error_feed_is_an_input_error(self) -> None:
        feed = (
            '<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
            "<id>https://arxiv.org/api/errors#incorrect_id_format_for_abc</id>"
            "<title>Error</title><summary>incorrect id format for abc</summary></entry></feed>"
        )
        with pytest.raises(InputError, match="answered with an error: incorrect id format for abc"):
            parse_text(feed, source="q.xml")

    def test_an_empty_feed_gives_no_records_and_a_warning(self) -> None:
        report = parse_lines(['<feed xmlns="http://www.w3.org/2005/Atom">', "</feed>"], source="q")
        assert report.records == []
        assert report.warnings == ["q: the feed has no entries"]

    def test_entity_declarations_are_refused(self) -> None:
        bomb = (
            '<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>&b;</title></feed>'
        )
        with pytest.raises(InputError, match="document type declaration is not accepted"):
            parse_text(bomb, format="arxiv-atom", source="bomb.xml")

    def test_broken_xml_names_the_line(self) -> None:
        text = '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n<entry>\n'
        with pytest.raises(InputError, match=r"^broken\.xml:4: invalid XML"):
            parse_text(text, source="broken.xml")


class TestJson:
    def test_own_output_reads_back_unchanged(self) -> None:
        records = parse_lines(
            (GOLDEN / "arxiv-email.txt").read_text().splitlines(), source="e"
        ).records
        jsonl = "\n".join(json.dumps(r.to_dict()) for r in records)
        as_array = json.dumps([r.to_dict() for r in records], indent=2)
        assert parse_text(jsonl) == records
        assert parse_text(as_array) == records

    def test_a_bad_line_names_its_number(self) -> None:
        text = '{"title": "ok"}\n{"title": oops}\n'
        with pytest.raises(InputError, match=r"^in\.jsonl:2: invalid JSON"):
            parse_text(text, source="in.jsonl")

    def test_a_record_of_the_wrong_shape_says_what_is_wrong(self) -> None:
        with pytest.raises(InputError, match=r"in\.jsonl:1: not a papertriage record: 'authors'"):
            parse_text('{"title": "x", "authors": 3}', source="in.jsonl")

    def test_a_newer_schema_asks_for_an_upgrade(self) -> None:
        with pytest.raises(InputError, match="upgrade papertriage"):
            parse_text('{"schema_version": 99, "title": "x"}')

    def test_the_hugging_face_feed_keeps_its_summary_apart_from_the_abstract(self) -> None:
        line = json.dumps(
            {
                "id": "https://huggingface.co/papers/2605.26115",
                "url": "https://huggingface.co/papers/2605.26115",
                "title": "A Feed Paper",
                "content_text": "Abstract A one-line machine summary.  AI-generated summary "
                "The real abstract.",
                "date_published": "2026-05-26T00:00:00Z",
            }
        )
        [record] = parse_text(line)
        assert record == Record.create(
            "A Feed Paper",
            "The real abstract.",
            arxiv_id="2605.26115",
            url="https://huggingface.co/papers/2605.26115",
            date="2026-05-26",
            source="<text>",
            position=1,
            ai_summary="A one-line machine summary.",
        )


def test_the_white_space_list_is_what_str_split_splits_on() -> None:
    from papertriage.listings.formats.hf import _OTHER_SPACE

    every = {chr(c) for c in range(0x110000) if chr(c).isspace()}
    assert set(_OTHER_SPACE) == every - {" ", "\n"}


def test_the_hf_feed_summary_ending_generated_by_a_model_is_dropped() -> None:
    line = json.dumps(
        {
            "title": "T",
            "content_text": "Abstract A summary.  Generated by Org/Model-7B The abstract.",
        }
    )
    assert parse_text(line)[0].abstract == "The abstract."


@pytest.mark.parametrize("name", ["hf-page.txt", "arxiv-email.txt", "arxiv-list.txt"])
def test_a_sink_gets_the_same_records_a_batch_at_a_time(name: str, monkeypatch) -> None:
    import papertriage.listings.formats.common as common

    path = GOLDEN / name if name != "hf-page.txt" else EXAMPLE
    text = path.read_text(encoding="utf-8")
    whole = parse_text(text, source="x")
    monkeypatch.setattr(common, "SINK_BATCH", 2)
    batches: list[list[Record]] = []
    report = parse_lines(text.splitlines(), source="x", sink=batches.append)
    assert report.records == [] and report.count == len(whole)
    assert [r for batch in batches for r in batch] == whole  # positions run on across batches
    assert len(batches) > 1 and all(len(batch) <= 3 for batch in batches)


@pytest.mark.parametrize("name", ["hf-page.txt", "arxiv-email.txt", "arxiv-atom.xml"])
def test_reading_a_file_in_small_blocks_changes_nothing(name: str, tmp_path, monkeypatch) -> None:
    import papertriage.listings.inputs as inputs
    from papertriage.listings.readoptions import ReadOptions

    whole = inputs.read_listing(str(GOLDEN / name), ReadOptions()).records
    crlf = tmp_path / name  # CRLF line ends and no final line end, read 7 characters at a time
    crlf.write_bytes((GOLDEN / name).read_bytes().rstrip(b"\n").replace(b"\n", b"\r\n"))
    monkeypatch.setattr(inputs, "READ_CHARS", 7)
    blocks = inputs.read_listing(str(crlf), ReadOptions()).records
    assert [r.with_changes(source="") for r in blocks] == [r.with_changes(source="") for r in whole]
    assert len(whole) >= 2


SECOND_PARAGRAPH = "A second paragraph of the same abstract, long enough to be no title. " * 5


@pytest.mark.parametrize("cut", [None, 2, 4])
def test_a_second_abstract_paragraph_joins_the_paper_before_it(cut: int | None) -> None:
    """Also when the paragraph starts a new block, after the paper became a record."""
    from papertriage.listings.parse import LineBlock, parse_blocks

    lines = ["First Paper", ABSTRACT, SECOND_PARAGRAPH, "Second Paper", ABSTRACT]
    blocks = [LineBlock(lines)] if cut is None else [LineBlock(lines[:cut]), LineBlock(lines[cut:])]
    report = parse_blocks(blocks, format="hf", source="p.txt")
    first, second = report.records
    assert first.abstract == f"{ABSTRACT} {SECOND_PARAGRAPH.strip()}"
    assert (first.title, first.position, first.id) == ("First Paper", 1, title_hash("First Paper"))
    assert (second.title, second.position) == ("Second Paper", 2)
    assert report.warnings == ["p.txt:3: joined a second abstract paragraph to the paper before it"]


def test_irregular_spacing_is_normalised_in_whichever_block_it_is(tmp_path, monkeypatch) -> None:
    """A file is read in blocks, each searched once for spacing that needs work: one run of
    spaces or one tab anywhere, even split between two reads, still comes out normalised."""
    import papertriage.listings.inputs as inputs
    from papertriage.listings.readoptions import ReadOptions

    papers = [(f"Paper {n} on things", f"{ABSTRACT} Number {n}.") for n in range(1, 6)]
    papers[2] = ("Paper 3  on\tthings", f"{ABSTRACT}   Number 3.")
    path = tmp_path / "spaced.txt"
    path.write_text("".join(f"{title}\n{abstract}\n" for title, abstract in papers))
    expected = [(" ".join(t.split()), " ".join(a.split())) for t, a in papers]
    for chars in [*range(2, 60), 1 << 22]:
        monkeypatch.setattr(inputs, "READ_CHARS", chars)
        records = inputs.read_listing(str(path), ReadOptions()).records
        assert [(r.title, r.abstract) for r in records] == expected, chars


def test_parsing_leaves_the_garbage_collector_as_it_found_it() -> None:
    import gc

    assert gc.isenabled()
    parse_text(f"A Paper Title\n{ABSTRACT}\n")
    assert gc.isenabled()
    with pytest.raises(
        InputError, match=r"^<text>: not a listing papertriage knows \(expected one of"
    ):
        parse_text("just one short line")
    assert gc.isenabled()
    gc.disable()
    try:
        parse_text(f"A Paper Title\n{ABSTRACT}\n")
        assert not gc.isenabled()
    finally:
        gc.enable()
