"""arXiv API responses: an Atom feed with one <entry> per paper.

The XML is read with formats.xmltree (expat, no document type declarations, so no entity
expansion). An announcement feed from rss.arxiv.org is Atom too: named with --from arxiv-atom,
it is read as arxiv-rss reads it (announce prefix cut, replacements skipped), never as junk.
A record's categories are the entry's arXiv categories only (the API lists MSC and ACM class
codes among them).
"""

from __future__ import annotations

import re

from papertriage.errors import InputError
from papertriage.listings.formats import arxiv_rss
from papertriage.listings.formats.common import ARXIV_CATEGORY, Lines, ParseReport
from papertriage.listings.formats.texaccents import tex_accents
from papertriage.listings.formats.xmltree import parse_xml, root_name, text_of
from papertriage.models import split_arxiv_id

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
# The API lists MSC and ACM class codes ("03B70, 68Q99", "F.4.1; K.2") as categories too: those
# are not arXiv's and are left out.
_ARXIV_CATEGORY = re.compile(ARXIV_CATEGORY)
_HINT = "arXiv API responses never carry one; is this the right file?"


def looks_like(sample: str) -> bool:
    """An Atom feed (what the arXiv API answers) and not one of arXiv's announcement feeds,
    judged from the start of the text."""
    return (
        root_name(sample) == "feed" and "2005/Atom" in sample and not arxiv_rss.looks_like(sample)
    )


def parse_arxiv_atom(lines: Lines, report: ParseReport, *, include_replaced: bool = False) -> None:
    tree = parse_xml(lines, report.source, hint=_HINT)
    root = tree.root
    if root.tag != f"{ATOM}feed":
        raise InputError(f"{report.source}: XML but not an Atom feed (root <{root.tag}>)")
    if arxiv_rss.is_announcement_feed(root):
        arxiv_rss.read_atom(tree, report, include_replaced=include_replaced)
        return
    for entry in root.iter(f"{ATOM}entry"):
        entry_id = text_of(entry.find(f"{ATOM}id"))
        title = text_of(entry.find(f"{ATOM}title"))
        if "/api/errors" in entry_id or title.strip() == "Error":
            message = " ".join(text_of(entry.find(f"{ATOM}summary")).split()) or entry_id
            raise InputError(
                f"{report.source}: the arXiv API answered with an error: {message}",
                hint="fix the query that produced this feed",
            )
        parts = split_arxiv_id(entry_id)
        published = text_of(entry.find(f"{ATOM}published"))
        report.add(
            tex_accents(title),
            tex_accents(text_of(entry.find(f"{ATOM}summary"))),
            arxiv_id=parts[0] if parts else None,
            # The URL is derived from the versionless id, so it is the same in every listing.
            authors=[
                tex_accents(" ".join(text_of(author.find(f"{ATOM}name")).split()))
                for author in entry.findall(f"{ATOM}author")
            ],
            categories=[
                term
                for category in entry.findall(f"{ATOM}category")
                if _ARXIV_CATEGORY.fullmatch(term := category.get("term", "").strip())
            ],
            date=published[:10] or None,
        )
    if not report.count:
        report.warn(None, "the feed has no entries")
