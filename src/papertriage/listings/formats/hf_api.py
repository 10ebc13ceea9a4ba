"""Hugging Face API JSON: the papers of `/api/daily_papers` and `/api/papers/search` (a list of
{"paper": {...}, ...} entries) and of `/api/papers/ID` (the bare paper, or a list of them).

A record takes from the paper its arXiv id (`id`), title, abstract (`summary`), authors (every
{"name": ...}, hidden or not: they are the paper's authors), date (`publishedAt`, the paper's
publication; the entry's own `publishedAt`, when it was listed, only stands in), `upvotes` and
`ai_summary`, reading the entry around it for what the paper lacks. The URL is the arXiv
abstract page, as for every record with an arXiv id: the Hugging Face page is one step away.
"""

from __future__ import annotations

from typing import Any

from papertriage.listings.formats.common import Lines, ParseReport
from papertriage.listings.formats.jsonfmt import arxiv_id_in, author_names, iso_date, read_document


def add_paper(entry: dict[str, Any], report: ParseReport, line: int | None, what: str) -> None:
    """Add the record of one API entry (or bare paper); `what` names it in a warning."""
    paper = entry["paper"] if isinstance(entry.get("paper"), dict) else entry

    def field(name: str) -> Any:
        value = paper.get(name)
        return value if value not in (None, "", []) else entry.get(name)

    title = field("title")
    if not isinstance(title, str) or not title.strip():
        report.warn(line, f"{what} has no title; skipped")
        return
    paper_id = paper.get("id") if isinstance(paper.get("id"), str) else ""
    arxiv_id = arxiv_id_in(paper_id) if paper_id else None
    abstract = field("summary")
    ai_summary = field("ai_summary")
    upvotes = field("upvotes")
    published = field("publishedAt")
    date = iso_date(published)
    if published and date is None:
        report.warn(line, f"{what}: publishedAt {published!r} is not a date; left out")
    report.add(
        title,
        abstract if isinstance(abstract, str) else "",
        arxiv_id=arxiv_id,
        url=None if arxiv_id or not paper_id else f"https://huggingface.co/papers/{paper_id}",
        authors=author_names(field("authors")),
        date=date,
        upvotes=upvotes if isinstance(upvotes, int) and not isinstance(upvotes, bool) else None,
        ai_summary=" ".join(ai_summary.split()) or None if isinstance(ai_summary, str) else None,
    )


def parse_hf_api(lines: Lines, report: ParseReport, *, include_replaced: bool = False) -> None:
    """A Hugging Face API response; other JSON documents are read for what they are (jsonfmt)."""
    read_document(lines, report)
