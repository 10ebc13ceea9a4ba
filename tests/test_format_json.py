"""JSON inputs: JSON Feeds, Hugging Face API responses, other tools' JSON Lines, and JSON of
shapes papertriage does not read (refused, never read as one record)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertriage.cli import app
from papertriage.errors import InputError
from papertriage.listings.formats.jsonfeed import html_to_text
from papertriage.listings.formats.jsonfmt import (
    arxiv_id_in,
    detect_json,
    iso_date,
    split_hf_summary,
)
from papertriage.listings.parse import detect_format, parse_lines, parse_text
from papertriage.models import Record
from tests.helpers import DATA

JSON_DATA = DATA / "formats" / "json"


def parse(name: str, format: str = "auto"):  # type: ignore[no-untyped-def]
    return parse_lines(
        (JSON_DATA / name).read_text(encoding="utf-8").splitlines(), format, source=name
    )


def record(title: str, abstract: str, source: str, position: int, **fields: object) -> Record:
    return Record.create(title, abstract, source=source, position=position, **fields)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hf-feed-1.1.json", "jsonfeed"),
        ("feed-1.0.json", "jsonfeed"),
        ("empty-feed.json", "jsonfeed"),
        ("hf-daily-papers.json", "hf-api"),
        ("hf-search.json", "hf-api"),
        ("unknown-object.json", "json"),
        ("tool-output.jsonl", "jsonl"),
    ],
)
def test_detection(name: str, expected: str) -> None:
    assert detect_format((JSON_DATA / name).read_text(encoding="utf-8").splitlines()) == expected


class TestDetectJson:
    def test_a_complete_object_on_the_first_line_is_json_lines(self) -> None:
        assert detect_json(['{"title": "a", "abstract": "x"}', '{"title": "b"}']) == "jsonl"
        assert detect_json(['{"title": "only one line"}']) == "jsonl"

    def test_a_feed_on_one_line_is_a_feed_even_with_items_that_look_like_lines(self) -> None:
        line = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": []})
        assert detect_json([line]) == "jsonfeed"

    def test_one_hugging_face_paper_on_one_line_is_hf_api_but_many_are_json_lines(self) -> None:
        paper = json.dumps({"id": "2509.04664", "summary": "s", "authors": [{"name": "A"}]})
        assert detect_json([paper]) == "hf-api"
        assert detect_json([paper, paper]) == "jsonl"

    def test_a_pretty_printed_document_is_told_by_its_version_mark(self) -> None:
        assert detect_json(["{", '  "version": "https://jsonfeed.org/version/1",']) == "jsonfeed"
        assert detect_json(["{", '  "records": [']) == "json"

    def test_an_array_is_hf_api_only_when_its_first_member_is_a_paper(self) -> None:
        assert detect_json(["[", '  {"title": "x", "paper": {"id": "1"}}', "]"]) == "hf-api"
        assert detect_json(['[{"schema_version": 1, "title": "x"}]']) == "json"
        # a record may have a topic named "paper" in its details: that is no API entry
        own = {"title": "x", "tag_details": {"paper": {"score": 1}}}
        assert detect_json([json.dumps([own])]) == "json"

    def test_a_first_line_too_long_to_read_followed_by_another_object_is_json_lines(self) -> None:
        long_line = json.dumps({"title": "x", "abstract": "word " * 20_000})
        assert detect_json([long_line, '{"title": "y"}']) == "jsonl"
        assert detect_json([long_line]) == "json"


class TestJsonFeed:
    def test_each_item_is_a_record_with_the_ai_summary_apart(self) -> None:
        report = parse("hf-feed-1.1.json")
        src = "hf-feed-1.1.json"
        assert report.format == "jsonfeed"
        assert report.records == [
            record(
                "Sparse Mixtures for Long Context",
                "We study sparse mixtures of experts over long inputs. "
                "Routing by position keeps $O(n \\log n)$ cost.",
                src,
                1,
                arxiv_id="2508.12345",
                url="https://huggingface.co/papers/2508.12345",
                date="2025-08-18",
                authors=["Ada Lovelace", "Alan Turing"],
                ai_summary="A routing scheme lets sparse experts read long inputs cheaply.",
            ),
            record(
                "Calibrated Judges",
                "Language-model judges are overconfident. We calibrate them.",
                src,
                2,
                arxiv_id="2508.12346",
                url="https://huggingface.co/papers/2508.12346",
                date="2025-08-19",
                ai_summary="Judges that say how sure they are agree more with people.",
            ),
            record(
                "Markup & Meaning",
                "We bound the error by $\\epsilon < 2^{-k}$ & show it is tight. Code: here.",
                src,
                3,
                arxiv_id="2508.12347",
                url="https://arxiv.org/abs/2508.12347v2",
                date="2025-08-20",
                ai_summary="A one-line summary from a model.",
            ),
            record(
                "A Blog Post About Papers",
                "Only a summary, and no paper id in the URL.",
                src,
                4,
                url="https://example.org/posts/2025/0820123",
            ),
        ]
        assert report.warnings == ["hf-feed-1.1.json: item 5 has no title; skipped"]

    def test_a_version_1_feed_names_one_author_per_item(self) -> None:
        report = parse("feed-1.0.json")
        assert [(r.title, r.authors, r.date, r.arxiv_id) for r in report.records] == [
            ("An Old-Format Feed Item", ("Grace Hopper",), "2024-01-02", "2401.00001"),
            ("A Date That Is Not One", (), None, None),
        ]
        assert report.records[0].url == "https://example.org/reading/1"
        assert report.warnings == [
            "feed-1.0.json: item 2: date_published 'last Tuesday' is not a date; left out"
        ]

    def test_a_feed_without_items_is_a_warning_and_no_records(self) -> None:
        report = parse("empty-feed.json")
        assert report.records == []
        assert report.warnings == ["empty-feed.json: the JSON Feed 'Quiet Day' has no items"]

    def test_a_feed_read_as_json_is_still_read_as_a_feed(self) -> None:
        report = parse("hf-feed-1.1.json", "json")
        assert report.format == "jsonfeed"
        assert [r.title for r in report.records][:2] == [
            "Sparse Mixtures for Long Context",
            "Calibrated Judges",
        ]

    def test_a_feed_on_one_line_with_26_items_gives_26_records_not_one(self) -> None:
        items = [{"id": str(n), "title": f"Paper {n}", "content_text": "x"} for n in range(26)]
        feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Feed", "items": items}
        report = parse_lines([json.dumps(feed)], source="f.json")
        assert (report.format, report.count) == ("jsonfeed", 26)
        assert "Feed" not in {r.title for r in report.records}


class TestHuggingFaceApi:
    def test_daily_papers_give_id_authors_date_upvotes_and_ai_summary(self) -> None:
        report = parse("hf-daily-papers.json")
        src = "hf-daily-papers.json"
        assert report.format == "hf-api"
        assert report.records == [
            record(
                "Symmetry Priors for Equivariant Transformers",
                "We build symmetry into attention. It halves the data needed.",
                src,
                1,
                arxiv_id="2508.20001",
                authors=["Emmy Noether", "Paul Dirac"],
                date="2025-08-21",
                upvotes=42,
                ai_summary="Attention with built-in symmetry needs half the data.",
            ),
            record(
                "Fission of Large Models",
                "We split a large model into two smaller ones.",
                src,
                2,
                arxiv_id="2508.20002",
                authors=["Lise Meitner"],
                date="2025-08-20",
                upvotes=7,
            ),
        ]
        assert report.records[0].url == "https://arxiv.org/abs/2508.20001"
        assert report.warnings == []

    def test_search_results_take_from_the_entry_what_the_paper_lacks(self) -> None:
        report = parse("hf-search.json")
        assert [(r.id, r.title, r.abstract, r.date, r.upvotes) for r in report.records] == [
            (
                "2507.00011",
                "Retrieval Heads in Small Models",
                "Small models have retrieval heads too.",
                "2025-06-30",
                3,
            ),
            (
                "2507.00012",
                "The Entry Holds the Title",
                "When the paper lacks a field, the entry around it gives it.",
                "2025-06-29",
                0,
            ),
        ]
        assert report.warnings == ["hf-search.json: item 3 has no title; skipped"]

    def test_a_bare_paper_object_is_read_and_one_without_an_arxiv_id_links_to_hf(self) -> None:
        paper = {"id": "not-an-arxiv-id", "title": "T", "summary": "S", "authors": [{"name": "A"}]}
        [found] = parse_text(json.dumps(paper, indent=2), source="p.json")
        assert (found.arxiv_id, found.url, found.authors) == (
            None,
            "https://huggingface.co/papers/not-an-arxiv-id",
            ("A",),
        )


@pytest.mark.parametrize(
    ("stamp", "day"),
    [
        ("2026-05-26", "2026-05-26"),
        ("2026-05-26T03:13:39Z", "2026-05-26"),
        ("2026-05-26T03:13:39.123456789+01:00", "2026-05-26"),
        ("2026-05-26 03:13", "2026-05-26"),
        ("2024-02-29T00:00", "2024-02-29"),
        ("2026-02-30", None),  # no such day
        ("2026-13-01", None),
        ("1036-01-09T329:11:00+01:00", None),  # a garbled time: the stamp cannot be trusted
        ("7026-07-09T27:77:00", None),
        ("2026-05-261", None),
        ("last Tuesday", None),
    ],
)
def test_a_date_is_a_day_that_exists_and_a_time_that_can_be(stamp: str, day: str | None) -> None:
    assert iso_date(stamp) == day


class TestWrapped:
    """Another tool's daily file: its papers under a key, beside a date or a count."""

    def test_the_one_array_of_papers_in_an_object_is_read(self) -> None:
        text = json.dumps(
            {
                "date": "2026-03-10",
                "count": 2,
                "papers": [
                    {"title": "First", "abstract": "One.", "authors": ["Ada Lovelace,", " Bo Li,"]},
                    {"title": "Second", "abstract": "Two.", "arxiv_id": "2603.07660"},
                ],
            },
            indent=2,
        )
        report = parse_lines(text.splitlines(), source="day.json")
        assert report.format == "json"
        assert [(r.title, r.authors, r.arxiv_id) for r in report.records] == [
            ("First", ("Ada Lovelace", "Bo Li"), None),
            ("Second", (), "2603.07660"),
        ]


def test_a_record_with_an_abstract_is_no_feed_item_whatever_else_it_has() -> None:
    """A `summary` beside an `abstract` (even an empty one) made it a feed item, whose reader
    knows no categories: they were lost without a word. `link` is the url, and an authors
    string is split, as for other records."""
    paper = {
        "title": "A Paper",
        "abstract": "We show it.",
        "summary": "",
        "categories": ["cs.LG"],
        "authors": "Ada Lovelace, Charles Babbage",
        "link": "https://doi.org/10.1000/x",
    }
    [record] = parse_text(json.dumps([paper], indent=2), "json")
    assert record.categories == ("cs.LG",)
    assert record.authors == ("Ada Lovelace", "Charles Babbage")
    assert (record.url, record.abstract) == ("https://doi.org/10.1000/x", "We show it.")


def test_authors_as_name_objects_are_read_as_semantic_scholar_writes_them() -> None:
    paper = {"title": "A", "abstract": "x", "authors": [{"authorId": "1", "name": "Bo Li"}]}
    [record] = parse_text(json.dumps({"data": [paper]}, indent=2), "json")
    assert record.authors == ("Bo Li",)


class TestRefused:
    def test_an_unknown_object_is_refused_naming_its_keys(self) -> None:
        with pytest.raises(
            InputError,
            match=r"^unknown-object\.json: a JSON object with keys name, season, teams, not "
            r"papertriage records, a JSON Feed or Hugging Face API papers \(give papertriage's",
        ):
            parse("unknown-object.json")

    def test_an_unknown_object_with_a_title_is_not_read_as_one_record(self) -> None:
        text = json.dumps({"title": "My Blog", "posts": [1, 2]}, indent=2)
        with pytest.raises(
            InputError, match=r"^b\.json: a JSON object with keys title, posts, not"
        ):
            parse_text(text, source="b.json")

    def test_an_array_of_unknown_objects_names_the_first_one_and_what_it_lacks(self) -> None:
        text = json.dumps([{"title": "ok"}, {"player": "x", "runs": 3}])
        with pytest.raises(
            InputError,
            match=r"^a\.json: a JSON array whose item 2 has no title \(a JSON object with keys "
            r"player, runs\), not papertriage records",
        ):
            parse_text(text, source="a.json")
        with pytest.raises(InputError, match=r"^a\.json: a JSON array whose item 1 has an empty"):
            parse_text(json.dumps([{"title": " ", "abstract": "x"}]), source="a.json")
        with pytest.raises(InputError, match=r"^a\.json: a JSON array whose item 1 is a JSON num"):
            parse_text("[3]", source="a.json")

    def test_a_member_of_an_array_with_a_field_of_the_wrong_type_is_named(self) -> None:
        text = json.dumps([{"title": "ok"}, {"title": "x", "categories": "cs.LG"}], indent=2)
        with pytest.raises(
            InputError,
            match=r"^a\.json: item 2: not a papertriage record: 'categories' must be a list",
        ):
            parse_text(text, source="a.json")

    def test_a_bare_value_is_refused(self) -> None:
        with pytest.raises(InputError, match=r"^s\.json: a JSON string, not papertriage records"):
            parse_text('"just a string"', "json", source="s.json")

    def test_two_arrays_of_papers_in_one_object_are_refused_as_a_guess(self) -> None:
        paper = {"title": "A Paper", "abstract": "x"}
        text = json.dumps({"arxiv": [paper], "hf": [paper]}, indent=2)
        with pytest.raises(InputError, match=r"^w\.json: a JSON object with keys arxiv, hf, not"):
            parse_text(text, source="w.json")

    def test_a_wrapped_paper_without_a_title_is_named_by_its_key(self) -> None:
        text = json.dumps({"date": "2026-03-10", "papers": [{"title": "", "abstract": "x"}]})
        with pytest.raises(InputError, match=r"^w\.json: 'papers' whose item 1 has an empty title"):
            parse_text(text, source="w.json")

    def test_own_records_in_every_accepted_shape_still_read(self) -> None:
        one = {"title": "A Record", "abstract": "x", "authors": ["Ada"]}
        for text in (json.dumps(one), json.dumps({"records": [one]}), json.dumps([one])):
            [found] = parse_text(text, "json")
            assert (found.title, found.authors) == ("A Record", ("Ada",))

    def test_invalid_json_keeps_its_line_and_a_pretty_document_read_as_lines_says_so(self) -> None:
        with pytest.raises(InputError, match=r"^d\.json:4: invalid JSON \(Expecting value"):
            parse_text('{\n  "title": "x",\n  "abstract": \n}', "json", source="d.json")
        with pytest.raises(
            InputError, match=r"^d\.json:1: invalid JSON .*\(this is one JSON document, not JSON"
        ):
            parse_text('{\n  "title": "x"\n}', "jsonl", source="d.json")


class TestJsonLines:
    def test_other_tools_objects_keep_the_ai_summary_apart(self) -> None:
        report = parse("tool-output.jsonl")
        src = "tool-output.jsonl"
        assert report.format == "jsonl"
        assert report.records == [
            record(
                "Triangles for Simulation",
                "Splatting networks predict Gaussians. We predict triangles instead.",
                src,
                1,
                arxiv_id="2605.26115",
                url="https://huggingface.co/papers/2605.26115",
                date="2026-05-26",
                ai_summary="Triangle primitives give meshes ready for physics.",
            ),
            # No marker: the text is the abstract, without the page's "Abstract" label.
            record(
                "Tokens per Channel",
                "There is no machine summary on this page; the abstract starts here.",
                src,
                2,
                arxiv_id="2605.26089",
                url="https://huggingface.co/papers/2605.26089",
                date="2026-05-26",
            ),
            record(
                "From Another Tool",
                "A tool's own summary field.",
                src,
                3,
                arxiv_id="2605.00007",
                authors=["Rosalind Franklin", "Maurice Wilkins"],
                ai_summary="The tool's machine summary.",
            ),
            Record(
                id="2605.00008",
                title="One of papertriage's own records",
                abstract="Read back unchanged.",
                arxiv_id="2605.00008",
                position=9,
            ),
        ]


# Papers as another tool writes them, with keys papertriage has no field for.
OTHER_TOOL = [
    {
        "arxiv_id": "2602.00001",
        "title": "Terminal Agents From Synthetic Tasks",
        "abstract": "We generate tasks. Agents trained on them improve.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "upvotes": 3,
        "published_at": "2026-02-24T18:51:04.000Z",
    },
    {
        "id": 17,
        "title": "Hypergraphs for Two Sensors",
        "url": "https://arxiv.org/abs/2601.14776",
        "publishedAt": "2026-01-24",
        "authors_text": "Grace Hopper, Edsger Dijkstra and Barbara Liskov",
        "is_highlight": True,
    },
    {
        "title": "No Date Here",
        "abstract": "x",
        "published_at": "last week",
        "author": "Emmy Noether",
    },
]


class TestOtherToolsObjects:
    def test_an_array_reads_exactly_as_the_same_objects_as_json_lines(self) -> None:
        as_lines = parse_text("\n".join(map(json.dumps, OTHER_TOOL)), source="p")
        as_array = parse_text(json.dumps(OTHER_TOOL, indent=2), source="p")
        assert len(as_array) == 3
        assert as_array == as_lines

    def test_their_date_authors_file_and_place_are_read_as_in_every_format(self) -> None:
        report = parse_lines(json.dumps(OTHER_TOOL, indent=2).splitlines(), source="p.json")
        assert report.records == [
            record(
                "Terminal Agents From Synthetic Tasks",
                "We generate tasks. Agents trained on them improve.",
                "p.json",
                1,
                arxiv_id="2602.00001",
                authors=["Ada Lovelace", "Alan Turing"],
                date="2026-02-24",
                upvotes=3,
            ),
            # the tool's own row number is no paper's id: the arXiv id comes from the URL
            record(
                "Hypergraphs for Two Sensors",
                "",
                "p.json",
                2,
                arxiv_id="2601.14776",
                url="https://arxiv.org/abs/2601.14776",
                authors=["Grace Hopper", "Edsger Dijkstra", "Barbara Liskov"],
                date="2026-01-24",
            ),
            record("No Date Here", "x", "p.json", 3, authors=["Emmy Noether"]),
        ]
        assert report.warnings == [
            "p.json: item 3: published_at 'last week' is not a date; left out"
        ]

    def test_objects_shaped_like_feed_items_take_the_same_names(self) -> None:
        item = {"title": "T", "summary": "S.", "authors_text": "A, B", "published_at": "2026-01-02"}
        [found] = parse_text(json.dumps(item), source="i.jsonl")
        assert (found.authors, found.date, found.source) == (("A", "B"), "2026-01-02", "i.jsonl")

    def test_papertriage_search_output_as_an_array_reads_back(self) -> None:
        own = Record.create("A Found Paper", "x", source="first.txt", position=4).to_dict()
        hit = {**own, "rank": 1, "score": 2.5, "matched": ["paper"]}
        [found] = parse_text(json.dumps([hit], indent=2), source="hits.json")
        assert found == Record.from_dict(own)  # still from first.txt, at its place there


class TestPieces:
    def test_split_hf_summary_only_near_the_start(self) -> None:
        assert split_hf_summary("Abstract Short.  AI-generated summary Long text.") == (
            "Long text.",
            "Short.",
        )
        late = "word " * 300 + " Generated by humans, the data is noisy."
        assert split_hf_summary(late) == (late, None)

    def test_a_lone_abstract_label_goes_but_a_first_word_abstract_stays(self) -> None:
        # As a quarter of a real 2,000-paper Hugging Face collection has it: no summary.
        assert split_hf_summary("Abstract  We study routing.") == ("We study routing.", None)
        assert split_hf_summary("Abstract\nWe study routing.") == ("We study routing.", None)
        kept = "Abstract reasoning is hard for language models."
        assert split_hf_summary(kept) == (kept, None)
        assert split_hf_summary("Abstract Reasoning Corpus tasks.") == (
            "Abstract Reasoning Corpus tasks.",
            None,
        )

    def test_html_to_text_decodes_entities_drops_scripts_and_keeps_tex(self) -> None:
        html = (
            "<p>Let $a &lt; b$&nbsp;hold.</p><script>x()</script><ul><li>one</li><li>two</li></ul>"
        )
        assert html_to_text(html) == "Let $a < b$\xa0hold.\n\n\none\n\ntwo"

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("https://huggingface.co/papers/2508.12345", "2508.12345"),
            ("https://arxiv.org/pdf/2508.12345v3", "2508.12345"),
            ("arXiv:hep-th/9901001v2", "hep-th/9901001"),
            ("https://doi.org/10.48550/arXiv.2401.12345", "2401.12345"),
            ("https://example.org/posts/2025/0820123", None),
            ("https://example.org/2508.12345", None),
            ("tag:example.org,2025:3", None),
        ],
    )
    def test_arxiv_ids_come_only_from_paper_ids_and_urls(
        self, text: str, expected: str | None
    ) -> None:
        assert arxiv_id_in(text) == expected


def test_cli_parses_a_feed_to_json_lines_with_the_report_and_warning_on_stderr() -> None:
    path = JSON_DATA / "hf-feed-1.1.json"
    result = CliRunner().invoke(app, ["parse", str(path), "--format", "jsonl"])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["ai_summary"]) for r in lines] == [
        ("2508.12345", "A routing scheme lets sparse experts read long inputs cheaply."),
        ("2508.12346", "Judges that say how sure they are agree more with people."),
        ("2508.12347", "A one-line summary from a model."),
        ("9a3b1c018bc2", None),
    ]
    assert result.stderr == (
        f"{path}: 4 records (jsonfeed)\nwarning: {path}: item 5 has no title; skipped\n"
    )


def test_cli_refuses_an_unknown_object_with_exit_2() -> None:
    path: Path = JSON_DATA / "unknown-object.json"
    result = CliRunner().invoke(app, ["parse", str(path), "--format", "jsonl"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(
        f"Error: {path}: a JSON object with keys name, season, teams, not papertriage records"
    )
