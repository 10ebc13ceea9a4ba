"""An arXiv listing page saved from a browser: /list/<category>/new, /recent or /pastweek.

Each paper is a `<dt>` (its `/abs/ID` link, and "(cross-list from ...)" or "(replaced)" marks)
followed by a `<dd>`: `div.list-title` (after a "Title:" label), `div.list-authors` (one link per
author), `div.list-subjects` ("Machine Learning (cs.LG); Artificial Intelligence (cs.AI)") and,
on /new pages only, the abstract in `p.mathjax`. Sections are told by `<h3>` headings, which
both layouts share in meaning:

    older pages                                  today's pages (each section a <dl id="articles">)
    New submissions for Fri, 10 Mar 23           Showing new listings for Friday, 10 March 2023
    Cross-lists for Fri, 10 Mar 23               New submissions (showing 63 of 63 entries)
    Replacements for Fri, 10 Mar 23              Cross submissions (showing 38 of 38 entries)
    Fri, 10 Mar 2023  (/recent, /pastweek)       Replacement submissions (showing 65 of 65 entries)
                                                 Fri, 10 Mar 2023 (showing 25 of 180 entries )

Replacements are skipped unless the caller asks for them, as in the e-mail digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from papertriage.errors import InputError
from papertriage.listings.formats.common import ARXIV_CATEGORY, Lines, ParseReport, split_authors
from papertriage.listings.formats.htmltree import Element, page_title, parse_html
from papertriage.models import split_arxiv_id

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
# "Fri, 10 Mar 23", "Friday, 10 March 2023", "Fri, 10 Mar 2023 (showing ...)" (heading text).
_DAY = re.compile(r"\b(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{4}|\d{2})\b")
_CATEGORY = re.compile(rf"\(({ARXIV_CATEGORY})\)\s*$")
# The listing's markup as both layouts write it (a page that shows such markup as text escapes it).
_MARKS = (
    "<div class='list-title",
    '<div class="list-title',
    '<span class="list-identifier"',
    "<dl id='articles'>",
    '<dl id="articles">',
)
# A heading that is a day and nothing more, as /recent and /pastweek head each day's entries.
_DAY_HEADING = re.compile(r"^(?:[A-Za-z]+,\s*)?\d{1,2}\s+[A-Za-z]+\.?\s+\d{2,4}\s*(?:\(.*\))?$")


def looks_like(sample: str) -> bool:
    """An arXiv /list page: arxiv.org named, and the listing's own markup in the first lines."""
    return "arxiv.org" in sample and any(mark in sample for mark in _MARKS)


@dataclass
class _Section:
    kind: str = "new"  # "new", "cross" or "replace"
    date: str | None = None


def parse_arxiv_html(lines: Lines, report: ParseReport, *, include_replaced: bool = False) -> None:
    root = parse_html("\n".join(text for _, text in lines))
    section = _Section()
    page_date: str | None = None
    entries = 0
    missing_abstracts: list[tuple[int, str]] = []
    dt: Element | None = None
    for element in _listing_elements(root):
        if element.tag == "h3":
            heading = element.text()
            if heading.lower().startswith("showing new listings for"):
                page_date = _iso_day(heading)
                section = _Section(section.kind, section.date or page_date)
            else:
                section = _section(heading, section, page_date)
        elif element.tag == "dt":
            dt = element
        elif dt is not None:  # a <dd> after its <dt>
            arxiv_id = _abs_id(dt)
            if arxiv_id is None:
                report.warn(dt.line, "a listing entry without an /abs/ link; skipped")
            else:
                entries += 1
                if not _entry_add(arxiv_id, dt, element, section, report, include_replaced):
                    missing_abstracts.append((element.line, arxiv_id))
            dt = None
    if entries == 0:
        title = page_title(root)
        named = f" ({title!r})" if title else ""
        raise InputError(
            f"{report.source}: no arXiv listing entries found on this page{named}",
            hint="an arXiv listing holds <dt>/<dd> pairs with /abs/ links and titles; save"
            " arxiv.org/list/<category>/new, /recent or /pastweek, or name another --from",
        )
    if missing_abstracts and len(missing_abstracts) == report.count:
        # /recent and /pastweek list no abstracts: one word for the page, not one per entry.
        report.warn(None, "this listing page shows no abstracts (only /new pages do): titles only")
    else:
        for line, arxiv_id in missing_abstracts:
            report.warn(line, f"arXiv:{arxiv_id} has no abstract")


def _listing_elements(root: Element) -> list[Element]:
    """The page's <h3> headings, <dt> and <dd> elements in document order (not looking inside
    a <dt> or <dd>, where no listing markup nests)."""
    found: list[Element] = []
    stack = list(reversed(list(root.elements())))
    while stack:
        element = stack.pop()
        if element.tag in ("h3", "dt", "dd"):
            found.append(element)
        elif element.tag not in ("script", "style", "head"):
            stack.extend(reversed(list(element.elements())))
    return found


def _section(heading: str, previous: _Section, page_date: str | None) -> _Section:
    """The section a heading opens; an unknown heading leaves the section as it was."""
    lowered = heading.lower()
    day = _iso_day(heading)
    if lowered.startswith("new submissions"):
        return _Section("new", day or page_date)
    if lowered.startswith(("cross-lists", "cross submissions", "cross-list")):
        return _Section("cross", day or page_date)
    if lowered.startswith(("replacements", "replacement submissions")):
        return _Section("replace", day or page_date)
    if day is not None and _DAY_HEADING.match(heading):
        return _Section("new", day)  # a day of /recent or /pastweek
    return previous


def _iso_day(text: str) -> str | None:
    match = _DAY.search(text)
    if match is None:
        return None
    day, month, year = match.groups()
    number = _MONTHS.get(month.lower())
    if number is None:
        return None
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    try:
        return date(full_year, number, int(day)).isoformat()
    except ValueError:
        return None


def _entry_add(
    arxiv_id: str,
    dt: Element,
    dd: Element,
    section: _Section,
    report: ParseReport,
    include_replaced: bool,
) -> bool:
    """Add the record of one entry; False when it was added without an abstract."""
    title_div = dd.find("div", "list-title")
    title = title_div.text(skip=("descriptor",)) if title_div is not None else ""
    if title.startswith("Title:"):  # a label without its span
        title = title[len("Title:") :].strip()
    if not title:
        report.warn(dd.line, f"arXiv:{arxiv_id} has no title; skipped")
        return True
    marks = dt.text().lower()
    cross = "cross-list" in marks
    replaced = section.kind == "replace" or "(replaced)" in marks
    if replaced and not include_replaced:
        report.skipped["replaced"] += 1
        return True
    if replaced:
        announce = "replace-cross" if cross else "replace"
    else:
        announce = "cross" if cross or section.kind == "cross" else "new"
    abstract_p = next((p for p in dd.iter("p") if p.has_class("mathjax")), None)
    abstract = abstract_p.text() if abstract_p is not None else ""
    report.add(
        title,
        abstract,
        arxiv_id=arxiv_id,
        authors=_authors(dd),
        categories=_categories(dd),
        date=section.date,
        announce_type=announce,
    )
    return bool(abstract)


def _abs_id(dt: Element) -> str | None:
    for link in dt.iter("a"):
        href = link.get("href")
        at = href.find("/abs/")
        if at >= 0:
            parts = split_arxiv_id(href[at + len("/abs/") :])
            if parts is not None:
                return parts[0]
    text = dt.text()
    at = text.find("arXiv:")
    parts = split_arxiv_id(text[at + len("arXiv:") :]) if at >= 0 else None
    return parts[0] if parts else None


def _authors(dd: Element) -> list[str]:
    div = dd.find("div", "list-authors")
    if div is None:
        return []
    names = [name for link in div.iter("a") if (name := link.text())]
    if names:
        return names
    text = div.text(skip=("descriptor",))
    if text.startswith("Authors:"):
        text = text[len("Authors:") :]
    return [] if "unavailable" in text else split_authors(text)


def _categories(dd: Element) -> list[str]:
    """'Machine Learning (cs.LG); Artificial Intelligence (cs.AI)' -> ['cs.LG', 'cs.AI']."""
    div = dd.find("div", "list-subjects")
    if div is None:
        return []
    categories: list[str] = []
    for part in div.text(skip=("descriptor",)).split(";"):
        match = _CATEGORY.search(part.strip())
        if match is not None and match[1] not in categories:
            categories.append(match[1])
    return categories
