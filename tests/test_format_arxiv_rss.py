"""arXiv's announcement feeds (rss.arxiv.org, RSS 2.0 and Atom): records, skips, detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from papertriage.errors import InputError
from papertriage.listings.formats import arxiv_atom, arxiv_rss
from papertriage.listings.parse import ParseReport, detect_format, parse_lines, parse_text
from papertriage.models import Record
from tests.helpers import DATA, GOLDEN, run

FEEDS = DATA / "formats" / "arxiv_rss"
RSS = FEEDS / "cs-lg-ai.rss.xml"
ATOM = FEEDS / "cs-lg-ai.atom.xml"

FIRST = {
    "id": "2508.14001",
    "title": "Sparse Mixtures of $\\alpha$-Experts: Routing & Load Balancing at $O(\\log n)$ Cost",
    "abstract": "We route each token to $k \\ll n$ experts with a learned hash. Load stays within "
    "$1+\\epsilon$ of uniform for $k < 8$ without an auxiliary loss.",
    "authors": ["Marie Curie", "Pierre Curie", "Irène Joliot-Curie"],
    "arxiv_id": "2508.14001",
    "url": "https://arxiv.org/abs/2508.14001",
    "categories": ["cs.LG", "cs.AI"],
    "date": "2025-08-19",
    "announce_type": "new",
}


def _parse(path: Path, fmt: str = "auto", *, include_replaced: bool = False) -> ParseReport:
    text = path.read_text(encoding="utf-8")
    return parse_lines(text.splitlines(), fmt, source=path.name, include_replaced=include_replaced)


def _fields(record: Record) -> dict[str, object]:
    data = record.to_dict()
    return {name: data[name] for name in FIRST}


def _without_source(report: ParseReport) -> list[dict[str, object]]:
    return [{**r.to_dict(), "source": None} for r in report.records]


class TestRecords:
    def test_rss_new_and_cross_items_kept_replacements_skipped_and_counted(self) -> None:
        report = _parse(RSS)
        assert report.format == "arxiv-rss"
        assert [_fields(r) for r in report.records] == [
            FIRST,
            {
                "id": "2508.13426",
                "title": "Why “Attention” Isn't All You Need for Tabular Data",
                "abstract": "Gradient-boosted trees still beat transformers on most tables. "
                "We say why.",
                "authors": ["Emmy Noether"],
                "arxiv_id": "2508.13426",
                "url": "https://arxiv.org/abs/2508.13426",
                "categories": ["stat.ML", "cs.LG"],
                "date": "2025-08-19",
                "announce_type": "cross",
            },
        ]
        assert report.skipped == {"replaced": 2}
        assert report.warnings == []

    def test_include_replaced_keeps_them_with_their_type_and_versionless_ids(self) -> None:
        report = _parse(RSS, include_replaced=True)
        assert [(r.arxiv_id, r.announce_type, r.abstract) for r in report.records[2:]] == [
            ("2401.00077", "replace", "Warm-up matters less than the peak learning rate."),
            ("hep-th/9901001", "replace-cross", "Strings, revisited."),
        ]
        assert report.skipped == {}

    def test_atom_feed_gives_the_same_records_as_rss(self) -> None:
        for include_replaced in (False, True):
            rss = _parse(RSS, include_replaced=include_replaced)
            atom = _parse(ATOM, include_replaced=include_replaced)
            assert atom.format == "arxiv-rss"
            assert _without_source(atom) == _without_source(rss)
            assert atom.skipped == rss.skipped

    def test_announce_type_comes_from_the_prefix_when_the_element_is_missing(self) -> None:
        text = RSS.read_text().replace("<arxiv:announce_type>replace</arxiv:announce_type>", "")
        report = parse_lines(text.splitlines(), source="f.xml", include_replaced=True)
        assert [r.announce_type for r in report.records] == [
            "new",
            "cross",
            "replace",
            "replace-cross",
        ]
        text = text.replace("<arxiv:announce_type>replace-cross</arxiv:announce_type>", "")
        assert parse_lines(text.splitlines(), source="f.xml").skipped == {"replaced": 2}

    def test_item_date_falls_back_to_the_channel_announcement_date(self) -> None:
        text = RSS.read_text().replace(
            "<pubDate>Tue, 19 Aug 2025 00:00:00 -0400</pubDate>\n      <arxiv", "<arxiv"
        )
        text = text.replace(
            "<pubDate>Tue, 19 Aug 2025 00:00:00 -0400</pubDate>\n    <skipDays>",
            "<pubDate>Mon, 18 Aug 2025 00:00:00 -0400</pubDate>\n    <skipDays>",
        )
        assert [r.date for r in parse_text(text)] == ["2025-08-18", "2025-08-18"]

    def test_an_item_without_a_title_or_with_an_odd_type_is_reported_by_line(self) -> None:
        text = RSS.read_text().replace(
            "<title>Why &#8220;Attention&#8221; Isn't All You Need for Tabular Data</title>", ""
        )
        text = text.replace(">new</arxiv:announce_type>", ">brand-new</arxiv:announce_type>")
        report = parse_lines(text.splitlines(), source="f.xml")
        assert [r.announce_type for r in report.records] == ["brand-new"]
        assert report.warnings == [
            "f.xml:17: unknown announce type 'brand-new'; kept as it is",
            "f.xml:32: an item without a title; skipped",
        ]

    def test_forced_on_other_rss_it_invents_no_arxiv_id(self) -> None:
        report = _parse(FEEDS / "unrelated.rss.xml", "arxiv-rss")
        [record] = report.records
        assert (record.title, record.arxiv_id, record.announce_type, record.authors) == (
            "This week: arXiv:2508.14001",
            None,
            None,
            ("The Organisers",),
        )
        assert record.abstract.startswith("We read https://arxiv.org/abs/2508.14001")


class TestRelayingFeeds:
    """Other sites' RSS feeds of arXiv papers, their descriptions written in HTML."""

    def test_an_html_description_is_read_as_its_abstract_and_author_line(self) -> None:
        report = _parse(FEEDS / "relay-html.rss.xml", "arxiv-rss")
        assert [(r.arxiv_id, r.title, r.abstract, r.authors) for r in report.records] == [
            (
                "2508.15001",
                "Cold Dust at z>6 Seen by Two Telescopes",
                "We find dust below 5% Z⊙ in three galaxies. Their temperature is 20–30 K.",
                ("Ada Lovelace", "Charles Babbage", "Mary Somerville"),
            ),
            (
                "2508.15002",
                "Grains – How Small? The Size of nanoGrains",
                "Erratum to the 2024 note. We measure grain sizes.",
                ("Caroline Herschel",),
            ),
        ]
        assert [r.date for r in report.records] == ["2025-08-20", "2025-08-20"]
        assert report.warnings == []

    def test_arxivs_own_description_relayed_among_translations_is_the_abstract(self) -> None:
        report = _parse(FEEDS / "relay-translated.rss.xml", "arxiv-rss", include_replaced=True)
        assert [(r.arxiv_id, r.announce_type, r.abstract) for r in report.records] == [
            ("2508.16001", "new", "We show that the Huber loss is enough for $p < 0.05$."),
            ("2301.09999", "replace", "We revisit embeddings."),
        ]
        assert _parse(FEEDS / "relay-translated.rss.xml", "arxiv-rss").skipped == {"replaced": 1}

    def test_entities_in_a_plain_description_are_decoded_and_its_tex_kept(self) -> None:
        text = RSS.read_text().replace(
            "Gradient-boosted trees still beat", "Gradient&amp;ndash;boosted trees still beat"
        )
        [_, cross] = parse_text(text)
        assert cross.abstract.startswith("Gradient–boosted trees still beat")
        assert parse_text(RSS.read_text())[0].abstract == FIRST["abstract"]


class TestApiResponse:
    def test_categories_are_arxivs_only_class_codes_left_out(self) -> None:
        categories = "\n".join(
            f'    <category term="{term}" scheme="http://arxiv.org/schemas/atom"/>'
            for term in (
                "cs.LG",
                "03B70, 68Q99",
                "F.4.1; K.2",
                "math.LO",
                "hep-th",
                "astro-ph.GA",
                "physics.atom-ph",
                "q-bio.NC",
            )
        )
        text = (
            (FEEDS / "api-response.atom.xml")
            .read_text()
            .replace(
                '    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>', categories
            )
        )
        [record] = parse_text(text)
        assert record.categories == (
            "cs.LG",
            "math.LO",
            "hep-th",
            "astro-ph.GA",
            "physics.atom-ph",
            "q-bio.NC",
        )


class TestEmptyAndBroken:
    @pytest.mark.parametrize(
        ("name", "warning"),
        [
            ("empty-day.rss.xml", "the feed has no items"),
            ("empty-day.atom.xml", "the feed has no entries"),
        ],
    )
    def test_a_day_without_announcements_is_a_warning(self, name: str, warning: str) -> None:
        report = _parse(FEEDS / name)
        assert report.format == "arxiv-rss"
        assert report.records == []
        assert report.warnings == [
            f"{name}: {warning} (arXiv announces nothing on Saturdays, Sundays and holidays)"
        ]

    def test_a_truncated_feed_is_one_error_with_the_line(self) -> None:
        with pytest.raises(
            InputError, match=r"^truncated\.rss\.xml:30: invalid XML \(no element found\)$"
        ):
            _parse(FEEDS / "truncated.rss.xml")

    def test_a_feed_error_from_arxiv_is_an_error(self) -> None:
        with pytest.raises(InputError) as caught:
            _parse(FEEDS / "feed-error.rss.xml")
        assert caught.value.message == (
            "feed-error.rss.xml: arXiv could not make this feed: Invalid archive or category: cs.XY"
        )
        assert caught.value.hint == (
            "check the categories in the feed's address, e.g. https://rss.arxiv.org/rss/cs.LG+cs.AI"
        )

    def test_a_document_type_declaration_is_refused(self) -> None:
        text = RSS.read_text().replace(
            "<rss ", '<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">]>\n<rss ', 1
        )
        with pytest.raises(
            InputError,
            match=r"^f\.xml: XML with a document type declaration is not accepted "
            r"\(arXiv's feeds never carry one; is this the right file\?\)$",
        ):
            parse_text(text, source="f.xml")

    def test_other_xml_named_as_a_feed_says_what_it_is(self) -> None:
        with pytest.raises(
            InputError,
            match=r"^x\.xml: XML but not an RSS or Atom feed \(root <html>\) "
            r"\(save the feed itself, e\.g\. https://rss\.arxiv\.org/rss/cs\.LG\)$",
        ):
            parse_text("<html><body/></html>", "arxiv-rss", source="x.xml")


class TestRss1:
    """arXiv's feeds until 2024: RSS 1.0, the id, category and announce type in the title."""

    FEED = FEEDS / "cs-lg-2019.rss1.rdf"

    def test_titles_lose_arxivs_tail_and_its_marks_give_the_announce_type(self) -> None:
        report = parse_lines(self.FEED.read_text().splitlines(), source="f", include_replaced=True)
        assert detect_format(self.FEED.read_text().splitlines()) == "arxiv-rss"
        assert [(r.id, r.title, r.announce_type, r.categories) for r in report.records] == [
            ("1903.05001", "Pruning Sparse Experts in Mixture Models", "new", ("cs.LG",)),
            ("1903.05002", "Is Attention Quantizable?", "cross", ("stat.ML",)),
            ("1812.09003", "Graph Networks, Revisited", "replace", ("cs.LG",)),
        ]
        assert {r.date for r in report.records} == {"2019-03-14"}

    def test_html_abstracts_and_author_links_are_text_and_replacements_skipped(self) -> None:
        report = parse_lines(self.FEED.read_text().splitlines(), source="f")
        first = report.records[0]
        assert first.abstract == (
            "We prune the experts of a mixture model with an error of at most "
            "$\\epsilon < 0.1$ and keep its accuracy."
        )
        assert first.authors == ("Ada Lovelace", "Hannes Jónsson")
        assert first.url == "https://arxiv.org/abs/1903.05001"
        assert [r.id for r in report.records] == ["1903.05001", "1903.05002"]
        assert report.skipped == {"replaced": 1}

    def test_rdf_that_is_no_rss_feed_is_not_taken_for_one(self) -> None:
        rdf = [
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
            '<rdf:Description rdf:about="http://arxiv.org/abs/1903.05001"/></rdf:RDF>',
        ]
        assert detect_format(rdf) is None


class TestDetection:
    @pytest.mark.parametrize(
        ("path", "expected"),
        [
            (RSS, "arxiv-rss"),
            (ATOM, "arxiv-rss"),
            (FEEDS / "empty-day.rss.xml", "arxiv-rss"),
            (FEEDS / "empty-day.atom.xml", "arxiv-rss"),
            (FEEDS / "feed-error.rss.xml", "arxiv-rss"),
            (FEEDS / "api-response.atom.xml", "arxiv-atom"),
            (GOLDEN / "arxiv-atom.xml", "arxiv-atom"),
            (FEEDS / "unrelated.rss.xml", None),
            (FEEDS / "relay-html.rss.xml", "arxiv-rss"),
            (FEEDS / "relay-translated.rss.xml", "arxiv-rss"),
        ],
    )
    def test_detected_format(self, path: Path, expected: str | None) -> None:
        assert detect_format(path.read_text().splitlines()) == expected

    def test_neither_module_claims_the_others_feeds(self) -> None:
        api = (FEEDS / "api-response.atom.xml").read_text()
        rss = RSS.read_text()
        assert not arxiv_rss.looks_like(api)
        assert not arxiv_atom.looks_like(rss)
        assert not arxiv_atom.looks_like(ATOM.read_text())
        assert not arxiv_atom.looks_like((FEEDS / "unrelated.rss.xml").read_text())

    def test_a_link_to_rss_arxiv_org_inside_an_item_does_not_make_an_arxiv_feed(self) -> None:
        text = (
            (FEEDS / "unrelated.rss.xml")
            .read_text()
            .replace(
                "<link>https://reading-group.example.org/2025/08/19/</link>",
                "<link>https://rss.arxiv.org/rss/cs.LG</link>",
            )
        )
        assert detect_format(text.splitlines()) is None

    def test_another_sites_feed_is_arxiv_rss_only_when_every_item_is_a_paper(self) -> None:
        relay = (FEEDS / "relay-html.rss.xml").read_text()
        post = "<item><title>Our retreat</title><link>https://example.org/retreat</link></item>"
        assert detect_format(relay.replace("</channel>", f"{post}</channel>").splitlines()) is None
        # The guid alone (an abs page) names the paper; without it nothing does.
        elsewhere = relay.replace("<link>https://arxiv.org/abs/", "<link>https://example.org/")
        assert detect_format(elsewhere.splitlines()) == "arxiv-rss"
        translated = (FEEDS / "relay-translated.rss.xml").read_text()
        elsewhere = translated.replace("<link>https://arxiv.org/abs/", "<link>https://example.org/")
        assert detect_format(elsewhere.splitlines()) is None
        assert detect_format(relay.replace("<item>", "<entry>").splitlines()) is None

    def test_an_rss_document_mentioning_feed_elements_is_not_atom(self) -> None:
        text = (
            (FEEDS / "unrelated.rss.xml")
            .read_text()
            .replace("<channel>", '<channel>\n<feedburner:info uri="x" xmlns:feedburner="urn:fb"/>')
        )
        assert not arxiv_atom.looks_like(text)

    def test_forced_arxiv_atom_reads_an_announcement_feed_as_arxiv_rss_does(self) -> None:
        forced = _parse(ATOM, "arxiv-atom")
        assert forced.format == "arxiv-atom"
        assert _without_source(forced) == _without_source(_parse(ATOM))
        assert forced.skipped == {"replaced": 2}
        assert "Announce Type" not in forced.records[0].abstract


class TestCli:
    def test_parse_a_feed_to_jsonl(self) -> None:
        code, out, err = run("parse", str(RSS), "--format", "jsonl")
        assert code == 0
        records = [json.loads(line) for line in out.splitlines()]
        assert [_fields_of(r) for r in records] == [
            ("2508.14001", "new"),
            ("2508.13426", "cross"),
        ]
        assert {k: records[0][k] for k in FIRST} == FIRST
        assert err == (
            f"{RSS}: 2 records (arxiv-rss); skipped 2 replaced entries "
            "(--include-replaced keeps them)\n"
        )

    def test_include_replaced_keeps_the_replacements(self) -> None:
        code, out, err = run("parse", str(ATOM), "--format", "jsonl", "--include-replaced")
        assert code == 0
        assert [_fields_of(json.loads(line)) for line in out.splitlines()] == [
            ("2508.14001", "new"),
            ("2508.13426", "cross"),
            ("2401.00077", "replace"),
            ("hep-th/9901001", "replace-cross"),
        ]
        assert err == f"{ATOM}: 4 records (arxiv-rss)\n"

    def test_another_sites_feed_of_arxiv_papers_is_read_without_naming_it(self) -> None:
        path = FEEDS / "relay-html.rss.xml"
        code, out, err = run("parse", str(path), "--format", "jsonl")
        assert code == 0
        assert [json.loads(line)["id"] for line in out.splitlines()] == [
            "2508.15001",
            "2508.15002",
        ]
        assert err == f"{path}: 2 records (arxiv-rss)\n"

    def test_an_empty_day_exits_cleanly_with_the_warning(self) -> None:
        path = FEEDS / "empty-day.rss.xml"
        code, out, err = run("parse", str(path), "--format", "jsonl")
        assert (code, out) == (0, "")
        assert err.splitlines()[-1] == (
            f"warning: {path}: the feed has no items "
            "(arXiv announces nothing on Saturdays, Sundays and holidays)"
        )

    def test_a_truncated_feed_exits_2(self) -> None:
        path = FEEDS / "truncated.rss.xml"
        code, out, err = run("parse", str(path), "--format", "jsonl")
        assert (code, out) == (2, "")
        assert err == f"Error: {path}:30: invalid XML (no element found)\n"


def _fields_of(record: dict[str, object]) -> tuple[object, object]:
    return record["id"], record["announce_type"]
