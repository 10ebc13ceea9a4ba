"""A JSON Feed (https://jsonfeed.org, versions 1 and 1.1): one record per item.

An item's abstract is its `content_text`, else its `content_html` as text, else its `summary`.
Hugging Face paper text starts with a machine-written summary set off by a marker (see
jsonfmt.split_hf_summary): the summary goes into `ai_summary`, the abstract keeps the authors'
text only. The same reading serves objects of this shape that other tools write as JSON Lines.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from papertriage.listings.formats.common import Lines, ParseReport
from papertriage.listings.formats.jsonfmt import (
    arxiv_id_in,
    author_names,
    iso_date,
    read_document,
    split_hf_summary,
)

# Elements whose start or end breaks the text (so that words of two paragraphs stay apart).
_BREAKS = frozenset(
    {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption"}
    | {"figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main"}
    | {"nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"}
)
_HIDDEN = frozenset({"script", "style", "template"})


class _TextOf(HTMLParser):
    """The text a reader sees in an HTML fragment: entities decoded, scripts left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BREAKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The text of an HTML fragment, each block on its own line; TeX and other text as written."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()


def _text(item: dict[str, Any]) -> str:
    """An item's abstract as written: its full text first, a summary only when there is none."""
    for key in ("abstract", "content_text"):
        if isinstance(item.get(key), str) and item[key].strip():
            return str(item[key])
    if isinstance(item.get("content_html"), str) and item["content_html"].strip():
        return html_to_text(item["content_html"])
    summary = item.get("summary")
    return summary if isinstance(summary, str) else ""


def add_item(item: dict[str, Any], report: ParseReport, line: int | None, what: str) -> None:
    """Add the record a JSON Feed item (or another tool's object like one) describes; `what`
    names it in a warning ("item 3"), `line` is its line when it has one of its own."""
    title = item.get("title")
    if not isinstance(title, str) or not title.strip():
        report.warn(line, f"{what} has no title; skipped")
        return
    abstract, ai_summary = split_hf_summary(_text(item))
    if isinstance(item.get("ai_summary"), str) and item["ai_summary"].strip():
        ai_summary = " ".join(item["ai_summary"].split())
    url = item.get("url") if isinstance(item.get("url"), str) else None
    arxiv_id = next(
        (
            found
            for key in ("arxiv_id", "url", "id")
            if isinstance(item.get(key), str) and (found := arxiv_id_in(item[key]))
        ),
        None,
    )
    date = None
    for key in ("date", "date_published", "published"):
        if item.get(key):
            date = iso_date(item[key])
            if date is None:
                report.warn(line, f"{what}: {key} {item[key]!r} is not a date; left out")
            break
    authors = author_names(item["authors"] if item.get("authors") else item.get("author"))
    upvotes = item.get("upvotes")
    report.add(
        title,
        abstract,
        arxiv_id=arxiv_id,
        url=url,
        date=date,
        authors=authors,
        ai_summary=ai_summary,
        upvotes=upvotes if isinstance(upvotes, int) and not isinstance(upvotes, bool) else None,
    )


def read_feed(feed: dict[str, Any], report: ParseReport, line: int | None) -> None:
    """Add a record for each item of a JSON Feed (a warning for a feed without items)."""
    items = feed.get("items")
    name = feed.get("title")
    named = f"the JSON Feed {name.strip()!r}" if isinstance(name, str) and name.strip() else None
    if not isinstance(items, list) or not items:
        report.warn(line, f"{named or 'the JSON Feed'} has no items")
        return
    for position, item in enumerate(items, start=1):
        if isinstance(item, dict):
            add_item(item, report, line, f"item {position}")
        else:
            report.warn(line, f"item {position} is not a JSON object; skipped")


def parse_jsonfeed(lines: Lines, report: ParseReport, *, include_replaced: bool = False) -> None:
    """A JSON Feed document; other JSON documents are read for what they are (jsonfmt)."""
    read_document(lines, report)
