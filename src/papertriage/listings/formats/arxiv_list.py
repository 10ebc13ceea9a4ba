"""Text copied from an arXiv listing page (/list/cs.LG/new or /recent).

Each entry starts with `[N] arXiv:ID [pdf, html, other]`, then the title, the authors, optional
`Comments:`/`Journal-ref:`/`Subjects:` lines and, on pages that show them, the abstract. Titles and
authors appear with or without `Title:`/`Authors:` labels depending on the page version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from papertriage.listings.formats.common import Lines, ParseReport, announce_type, split_authors
from papertriage.listings.formats.texaccents import tex_accents

ENTRY_START = re.compile(r"\[(?P<n>\d+)\]\s+arXiv:(?P<id>\S+)(?P<rest>.*)$")
FIELD = re.compile(
    r"(?P<name>Title|Authors|Comments|Journal-ref|Subjects|MSC-class|ACM-class|DOI|Report-no)"
    r":\s*(?P<value>.*)$"
)
# "Fri, 10 Oct 2025 (showing first 50 of 218 entries )" starts the entries of one day.
DAY_HEADER = re.compile(r"(?:\w{3}, )?(?P<date>\d{1,2} \w{3} \d{2,4})\s*\(showing .*\)$")
CHROME = re.compile(
    r"(?:new submissions|cross submissions|cross-lists|replacement submissions|replacements)"
    r"(?: for .*)?(?:\s*\(showing .*\))?|total of \d+ entries.*|showing up to \d+ entries.*|"
    r"see today's .*|disable mathjax.*|\(what is mathjax\?\)|which authors of this paper.*",
    re.I,
)
CATEGORY = re.compile(r"\(([a-z\-]+(?:\.[A-Za-z\-]+)?)\)")


@dataclass
class _Entry:
    line: int
    arxiv_id: str
    replaced: bool
    date: str | None
    cross_listed: bool = False
    title: str = ""
    authors: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    abstract: list[str] = field(default_factory=list)


def _day_to_iso(text: str) -> str | None:
    for fmt in ("%d %b %Y", "%d %b %y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def parse_arxiv_list(lines: Lines, report: ParseReport, *, include_replaced: bool) -> None:
    entry: _Entry | None = None
    day: str | None = None
    for number, raw in lines:
        line = raw.strip()
        if not line:
            continue
        if (start := ENTRY_START.match(line)) is not None:
            if entry is not None:
                _finish(entry, report, include_replaced)
            rest = start["rest"].lower()
            entry = _Entry(number, start["id"], "replaced" in rest, day, "cross-list" in rest)
            continue
        if (header := DAY_HEADER.match(line)) is not None:
            day = _day_to_iso(header["date"]) or day
            report.dropped["page-header"] += 1
            continue
        if entry is None or CHROME.fullmatch(line):
            report.dropped["page-header"] += 1
            continue
        match = FIELD.match(line)
        if match is not None and not entry.abstract:
            name, value = match["name"].lower(), match["value"].strip()
            if name == "title":
                entry.title = value
            elif name == "authors":
                entry.authors = value
            else:
                entry.fields[name] = value
        elif not entry.title:
            entry.title = line
        elif not entry.authors and not entry.fields:
            entry.authors = line
        else:
            entry.abstract.append(line)
    if entry is not None:
        _finish(entry, report, include_replaced)


def _finish(entry: _Entry, report: ParseReport, include_replaced: bool) -> None:
    if not entry.title:
        report.warn(entry.line, f"arXiv:{entry.arxiv_id} has no title; skipped")
        return
    if entry.replaced and not include_replaced:
        report.skipped["replaced"] += 1
        return
    report.add(
        tex_accents(entry.title),
        tex_accents(" ".join(entry.abstract)),
        arxiv_id=entry.arxiv_id,
        authors=split_authors(entry.authors),
        categories=CATEGORY.findall(entry.fields.get("subjects", "")),
        date=entry.date,
        announce_type=announce_type(entry.replaced, entry.cross_listed),
    )
