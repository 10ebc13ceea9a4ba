"""A Hugging Face papers page saved from a browser: huggingface.co/papers (a day, /week/...,
/month/...), /papers/trending, and search results (/papers?q=...).

Hugging Face renders these pages with SvelteKit and puts each component's data in the page as
JSON, in the `data-props` attribute of a `div` whose `data-target` names the component
("DailyPapers"). That JSON is the page's best source: each entry's `paper` holds the arXiv id,
title, abstract (`summary`), authors, upvotes and Hugging Face's `ai_summary`, while the cards
drawn from it show only titles and upvotes. So the JSON is read when the page has it, and the
cards (an `<h3>` whose link goes to /papers/<id>) only when it has not, as a page saved without
its data would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from papertriage.errors import InputError
from papertriage.listings.formats.common import Lines, ParseReport
from papertriage.listings.formats.htmltree import Element, page_title, parse_html
from papertriage.models import ARXIV_ID

# Marks of a papers page itself (not of a page that links to one): its title, its data's
# component, or its own address as the page or the browser that saved it records it.
_MARKS = (
    "Papers - Hugging Face</title>",
    'data-target="DailyPapers"',
    "saved from url=",  # checked together with the address below
    'property="og:url" content="https://huggingface.co/papers',
    'rel="canonical" href="https://huggingface.co/papers',
)
# The first path parts after /papers/ that are pages of the site, not papers.
_NOT_PAPERS = frozenset({"date", "week", "month", "trending", "search", ""})


def looks_like(sample: str) -> bool:
    """A huggingface.co papers page, by marks its own head or data carry."""
    if "huggingface.co" not in sample and 'data-target="DailyPapers"' not in sample:
        return False
    for mark in _MARKS:
        at = sample.find(mark)
        if at < 0:
            continue
        if mark != "saved from url=":
            return True
        if sample[at : at + 60].split(")", 1)[-1].startswith("https://huggingface.co/papers"):
            return True
    return False


def parse_hf_html(lines: Lines, report: ParseReport, *, include_replaced: bool = False) -> None:
    root = parse_html("\n".join(text for _, text in lines))
    entries = list(_json_entries(root))
    if entries:
        seen: set[str] = set()
        for line, entry in entries:
            _add_json_entry(line, entry, report, seen)
    else:
        _add_cards(root, report)
    if report.count == 0:
        title = page_title(root)
        named = f" ({title!r})" if title else ""
        raise InputError(
            f"{report.source}: no papers found on this page{named}",
            hint="a saved huggingface.co/papers page has paper cards whose titles link to"
            " /papers/<arXiv id>, or their data in a data-props attribute; this page has"
            " neither: save a papers page, or name another --from",
        )


def _json_entries(root: Element) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, entry) for each paper in the JSON of the page's components, in page order."""
    for element in root.iter():
        props = element.attrs.get("data-props")
        if not props or "title" not in props:
            continue
        try:
            data = json.loads(props)
        except ValueError:
            continue
        for entry in _paper_entries(data):
            yield element.line, entry


def _paper_entries(data: Any) -> Iterator[dict[str, Any]]:
    """The paper-shaped objects in lists anywhere in `data`: `{"paper": {"id", "title", ...}}`
    as the daily pages have them, or `{"id", "title", "summary" | "upvotes" | "authors"}`."""
    if isinstance(data, dict):
        for value in data.values():
            yield from _paper_entries(value)
    elif isinstance(data, list):
        for item in data:
            if _is_paper_entry(item):
                yield item
            else:
                yield from _paper_entries(item)


def _is_paper_entry(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    paper = item.get("paper")
    if isinstance(paper, dict):
        return isinstance(paper.get("id"), str) and isinstance(
            paper.get("title") or item.get("title"), str
        )
    return (
        isinstance(item.get("id"), str)
        and isinstance(item.get("title"), str)
        and any(key in item for key in ("summary", "upvotes", "authors"))
    )


def _add_json_entry(line: int, entry: dict[str, Any], report: ParseReport, seen: set[str]) -> None:
    paper: dict[str, Any] = entry["paper"] if isinstance(entry.get("paper"), dict) else entry
    paper_id = paper["id"].strip()
    if paper_id in seen:  # a paper shown in two components of the page
        return
    seen.add(paper_id)
    title = _string(entry.get("title")) or _string(paper.get("title"))
    if not title.strip():
        report.warn(line, f"paper {paper_id} has no title; skipped")
        return
    abstract = _string(paper.get("summary")) or _string(entry.get("summary"))
    authors = [
        name
        for author in paper.get("authors") or ()
        if isinstance(author, dict) and (name := _string(author.get("name")).strip())
    ]
    published = _string(paper.get("publishedAt")) or _string(entry.get("publishedAt"))
    report.add(
        title,
        abstract,
        authors=authors,
        date=published[:10] if _is_iso_day(published[:10]) else None,
        ai_summary=_string(paper.get("ai_summary")).strip() or None,
        upvotes=_count(paper.get("upvotes", entry.get("upvotes"))),
        **_ids(paper_id),
    )


def _add_cards(root: Element, report: ParseReport) -> None:
    """The papers drawn as cards: an <h3> linking to /papers/<id>, upvotes in the card."""
    seen: set[str] = set()
    for heading in root.iter("h3"):
        link = next((a for a in heading.iter("a") if _paper_id(a.get("href"))), None)
        if link is None:
            continue
        paper_id = _paper_id(link.get("href"))
        assert paper_id is not None
        title = link.text() or heading.text()
        if not title or paper_id in seen:
            continue
        seen.add(paper_id)
        card = _enclosing(heading, "article")
        report.add(title, "", upvotes=_card_upvotes(card), **_ids(paper_id))


def _paper_id(href: str) -> str | None:
    """'2510.08001' from '/papers/2510.08001' or 'https://huggingface.co/papers/2510.08001#x'."""
    at = href.find("/papers/")
    if at < 0 or (at > 0 and not href[:at].endswith("huggingface.co")):
        return None
    rest = href[at + len("/papers/") :].split("#", 1)[0].split("?", 1)[0]
    if "/" in rest.rstrip("/") or rest.rstrip("/") in _NOT_PAPERS:
        return None
    return rest.rstrip("/")


def _ids(paper_id: str) -> dict[str, str]:
    if ARXIV_ID.fullmatch(paper_id):
        return {"arxiv_id": paper_id}
    return {"url": f"https://huggingface.co/papers/{paper_id}"}


def _enclosing(element: Element, tag: str) -> Element | None:
    parent = element.parent
    while parent is not None and parent.tag != tag:
        parent = parent.parent
    return parent


def _card_upvotes(card: Element | None) -> int | None:
    """The count a card shows beside its upvote button (the first number in a label)."""
    if card is None:
        return None
    for label in card.iter("label"):
        count = _count(label.text())
        if count is not None:
            return count
    return None


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().replace(",", "").isdigit():
        return int(value.strip().replace(",", ""))
    return None


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _is_iso_day(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit()
