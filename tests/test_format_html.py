"""Saved web pages: arXiv listing pages (both layouts) and Hugging Face papers pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from papertriage.cli import app
from papertriage.errors import InputError
from papertriage.listings.formats import arxiv_html, hf_html
from papertriage.listings.formats.htmltree import parse_html
from papertriage.listings.parse import detect_format, iter_lines, parse_lines
from tests.helpers import DATA

HTML = DATA / "formats" / "html"


def parse(name: str, format: str = "auto", **options: Any) -> Any:
    path = HTML / name
    return parse_lines(iter_lines(path.read_text()), format, source=name, **options)


def fields(record: Any, *names: str) -> tuple[Any, ...]:
    return tuple(getattr(record, name) for name in names)


ARXIV_FIELDS = ("id", "announce_type", "date", "title", "authors", "categories", "abstract")


def test_older_arxiv_layout_new_and_cross_lists_with_replacements_skipped() -> None:
    report = parse("arxiv-new-2023.html")
    assert report.format == "arxiv-html"
    assert [fields(r, *ARXIV_FIELDS) for r in report.records] == [
        (
            "2303.05511",
            "new",
            "2023-03-10",
            "Scaling Laws for $\\ell_1$-Regularised Mixtures & Their Limits",
            ("Emmy Noether", "Kurt Gödel"),
            ("cs.LG", "cs.AI"),
            "We bound the error by $O(n^{-1/2})$ when $k < n$, and show the bound is tight."
            " Code is at https://example.org/code.",
        ),
        (
            "2303.05512",
            "new",
            "2023-03-10",
            "A “Quoted” Title",
            ("Ada Lovelace",),
            ("cs.LG",),
            "Second abstract.",
        ),
        (
            "2303.04999",
            "cross",
            "2023-03-10",
            "Kernel Methods, Again",
            ("R. A. Fisher",),
            ("stat.ML", "cs.LG"),
            "A cross-listed abstract.",
        ),
    ]
    assert report.records[0].url == "https://arxiv.org/abs/2303.05511"
    assert report.skipped == {"replaced": 2}
    assert report.warnings == []


def test_replacements_are_kept_on_request_and_cross_listed_ones_told_apart() -> None:
    report = parse("arxiv-new-2023.html", include_replaced=True)
    assert [
        fields(r, "id", "announce_type", "title", "categories") for r in report.records[3:]
    ] == [
        ("2201.00001", "replace", "An Older Paper, Revised", ("cs.LG",)),
        ("math/0309136", "replace-cross", "Knots Learned", ("math.GT", "cs.LG")),
    ]
    assert report.skipped == {}


def test_todays_layout_with_a_section_per_list_and_mathjax_rendered_maths() -> None:
    report = parse("arxiv-new-2025.html", include_replaced=True)
    assert [fields(r, *ARXIV_FIELDS) for r in report.records] == [
        (
            "2510.08001",
            "new",
            "2025-10-10",
            "Attention at $O(n)$ Cost",
            ("Grace Hopper", "Barbara Liskov"),
            ("cs.CL", "cs.LG"),
            "Linear attention reaches $96\\%$ of full attention's score; see the appendix for proofs.",
        ),
        (
            "2510.07002",
            "cross",
            "2025-10-10",
            "Agents That Read <tags>",
            ("Herbert Simon",),
            ("cs.AI", "cs.CL"),
            "An agent abstract.",
        ),
        (
            "2409.01003",
            "replace",
            "2025-10-10",
            "A Revised Corpus",
            ("Karen Spärck Jones",),
            ("cs.CL",),
            "Revised corpus abstract.",
        ),
        (
            "2408.02004",
            "replace",
            "2025-10-10",
            "Speech, Revised",
            ("James Flanagan",),
            ("eess.AS", "cs.CL"),
            "Revised speech abstract.",
        ),
    ]
    assert parse("arxiv-new-2025.html").skipped == {"replaced": 2}


def test_a_recent_page_gives_titles_dated_by_day_and_one_warning() -> None:
    report = parse("arxiv-recent-2025.html")
    assert [
        fields(r, "id", "announce_type", "date", "title", "abstract") for r in report.records
    ] == [
        ("2510.08001", "new", "2025-10-10", "Attention at $O(n)$ Cost", ""),
        ("2510.07002", "cross", "2025-10-10", "Agents That Read", ""),
        ("2510.06003", "new", "2025-10-09", "Thursday's Paper", ""),
    ]
    assert report.warnings == [
        "arxiv-recent-2025.html: this listing page shows no abstracts (only /new pages do):"
        " titles only"
    ]


def test_an_entry_missing_its_abstract_on_a_new_page_is_named() -> None:
    text = (HTML / "arxiv-new-2023.html").read_text()
    text = text.replace('<p class="mathjax">Second abstract.\n</p>', "")
    report = parse_lines(iter_lines(text), source="page.html")
    assert [r.abstract for r in report.records][1] == ""
    assert report.warnings == ["page.html:45: arXiv:2303.05512 has no abstract"]


HF_FIELDS = ("id", "title", "abstract", "authors", "upvotes", "ai_summary", "date", "url")


def test_hugging_face_daily_page_is_read_from_its_embedded_data() -> None:
    report = parse("hf-daily.html")
    assert report.format == "hf-html"
    assert [fields(r, *HF_FIELDS) for r in report.records] == [
        (
            "2510.09001",
            "Sparse Experts at $10^{12}$ Parameters",
            'We train a mixture of experts with $10^{12}$ parameters & route tokens by "load".'
            " It beats dense models when k < n.",
            ("Grace Hopper", "Alan Kay"),
            87,
            "A trillion-parameter mixture of experts trained at the cost of a dense model.",
            "2025-10-09",
            "https://arxiv.org/abs/2510.09001",
        ),
        (
            "2510.09002",
            "Long Memory, Short Cost",
            "An abstract about memory.",
            ("Jürgen Schmidhuber",),
            12,
            None,
            "2025-10-08",
            "https://arxiv.org/abs/2510.09002",
        ),
    ]
    assert report.warnings == []


def test_hugging_face_cards_are_read_when_the_page_has_no_data() -> None:
    report = parse("hf-trending.html")
    assert [fields(r, "id", "title", "abstract", "upvotes") for r in report.records] == [
        ("2509.00011", "Diffusion Language Models & Their Critics", "", 1234),
        ("2510.00022", "Reasoning with $k$-NN Memories", "", 7),
    ]


def test_search_results_data_of_plain_paper_objects() -> None:
    props = json.dumps(
        {"searchResults": [{"id": "2401.00001", "title": "Found", "summary": "S.", "upvotes": 3}]}
    ).replace('"', "&quot;")
    page = (
        "<html><head><title>Daily Papers - Hugging Face</title></head><body>"
        f'<div data-target="DailyPapers" data-props="{props}"></div></body></html>'
    )
    (record,) = parse_lines([page], "hf-html").records
    assert fields(record, "id", "title", "abstract", "upvotes") == ("2401.00001", "Found", "S.", 3)


@pytest.mark.parametrize(
    ("name", "format"),
    [
        ("arxiv-new-2023.html", "arxiv-html"),
        ("arxiv-new-2025.html", "arxiv-html"),
        ("arxiv-recent-2025.html", "arxiv-html"),
        ("hf-daily.html", "hf-html"),
        ("hf-trending.html", "hf-html"),
        ("other-site.html", None),
    ],
)
def test_detection_tells_the_pages_apart(name: str, format: str | None) -> None:
    head = (HTML / name).read_text().splitlines()[:400]
    assert detect_format(head) == format


def test_pages_that_only_link_to_arxiv_or_hugging_face_are_not_theirs() -> None:
    sample = (HTML / "other-site.html").read_text()
    assert not arxiv_html.looks_like(sample)
    assert not hf_html.looks_like(sample)
    # Escaped markup, as a tutorial about the listing would show it, is not the listing.
    assert not arxiv_html.looks_like("<p>arxiv.org uses &lt;div class='list-title'&gt;</p>")


def test_another_sites_page_is_refused_with_the_reason() -> None:
    with pytest.raises(
        InputError,
        match=r"^other-site.html: no arXiv listing entries found on this page \('Example Domain'\)"
        r" \(an arXiv listing holds <dt>/<dd> pairs with /abs/ links",
    ):
        parse("other-site.html", "arxiv-html")
    with pytest.raises(
        InputError,
        match=r"^other-site.html: no papers found on this page \('Example Domain'\)"
        r" \(a saved huggingface.co/papers page has paper cards",
    ):
        parse("other-site.html", "hf-html")


def test_an_arxiv_page_whose_entries_are_all_replacements_is_no_error() -> None:
    text = (HTML / "arxiv-new-2025.html").read_text()
    start, end = text.index("<dl id='articles'>"), text.index("<dl id='articles'>\n    <h3>Rep")
    report = parse_lines(iter_lines(text[:start] + text[end:]), "arxiv-html")
    assert (report.count, report.skipped) == (0, {"replaced": 2})


def test_tree_decodes_entities_closes_implied_tags_and_keeps_tex() -> None:
    root = parse_html(
        "<dl><dt>A &amp; B<dd><p>one<p>two &lt;3</dl>"
        '<div class="x">a<b>b</b><br>c <span class="MathJax">x²</span>'
        '<script type="math/tex; mode=display">x^2</script><script>var s = "<b>";</script></div>'
    )
    dl = root.find("dl")
    assert dl is not None
    assert [child.tag for child in dl.elements()] == ["dt", "dd"]
    assert [p.text() for p in root.iter("p")] == ["one", "two <3"]
    div = root.find(class_="x")
    assert div is not None and div.text() == "ab c $$x^2$$"


def test_cli_reads_a_saved_page(tmp_path: Path) -> None:
    page = tmp_path / "cs.LG-new.html"
    page.write_text((HTML / "arxiv-new-2023.html").read_text())
    result = CliRunner().invoke(app, ["parse", str(page)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 0
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [
        "2303.05511",
        "2303.05512",
        "2303.04999",
    ]
    assert result.stderr == (
        f"{page}: 3 records (arxiv-html); skipped 2 replaced entries "
        "(--include-replaced keeps them)\n"
    )


def test_cli_refuses_another_site_forced_as_a_hugging_face_page() -> None:
    page = HTML / "other-site.html"
    result = CliRunner().invoke(app, ["parse", "--from", "hf-html", str(page)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"Error: {page}: no papers found on this page ('Example Domain') (a saved"
        " huggingface.co/papers page has paper cards whose titles link to /papers/<arXiv id>,"
        " or their data in a data-props attribute; this page has neither: save a papers page,"
        " or name another --from)\n"
    )
