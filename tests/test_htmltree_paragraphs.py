"""htmltree's paragraphs: the blocks of an HTML fragment as text, for feeds' HTML descriptions."""

from __future__ import annotations

from papertriage.listings.formats.htmltree import parse_html


def test_each_block_and_each_run_of_inline_text_is_a_paragraph() -> None:
    fragment = (
        "\n<p> A. Author, B. Author </p>\n<p>\nBelow 5&percnt; Z<sub>&odot;</sub>,\nsee "
        '<a href="https://example.org/x">this</a>.\n</p>loose <b>bold</b> text<br>after'
        "<script>hidden()</script><p>   </p><div><p>nested</p> block</div>"
    )
    assert parse_html(fragment).paragraphs() == [
        "A. Author, B. Author",
        "Below 5% Z⊙, see this.",
        "loose bold text",
        "after",
        "nested block",
    ]
