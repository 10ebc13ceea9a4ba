"""Markdown output is valid CommonMark that shows titles exactly as they are."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from papertriage.models import Record
from papertriage.output.render import markdown_lines

TRICKY = [
    "A *Bold* [Claim] <b>html</b> & more | a_b `code` ~x~",
    "1. Not a list item",
    "# Not a heading",
    "- Not a bullet",
    "Plain Title: Mixture-of-Experts (MoE) at 1.5B!",
    "Back\\slash and [link](http://x)",
]


def inline_text(markdown: str) -> list[str]:
    """The visible text of each list item's first line, as a renderer shows it."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    texts = []
    for token in tokens:
        if token.type == "inline" and token.children is not None:
            texts.append(
                "".join(
                    "\n" if child.type == "softbreak" else child.content
                    for child in token.children
                    if child.type in ("text", "code_inline", "softbreak")
                )
            )
    return texts


@pytest.mark.parametrize("title", TRICKY)
def test_titles_survive_markdown_rendering(title: str) -> None:
    record = Record.create(title, "First sentence here. Second one.")
    rendered = "".join(markdown_lines([record]))
    html = MarkdownIt("commonmark").render(rendered)
    assert "<b>" not in html and "<h1>" not in html and "<ol" not in html
    assert html.count("<li>") == 1
    first_line = inline_text(rendered)[0]
    assert first_line.split("\n")[0] == title


def test_linked_titles_and_tags() -> None:
    record = Record.create("Routing [Experts]", "We route.", arxiv_id="2402.00001", tags=["moe"])
    rendered = "".join(markdown_lines([record]))
    html = MarkdownIt("commonmark").render(rendered)
    assert '<a href="https://arxiv.org/abs/2402.00001">Routing [Experts]</a>' in html
    assert "<code>moe</code>" in html
