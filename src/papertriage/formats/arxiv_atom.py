"""arXiv API responses: an Atom feed with one <entry> per paper.

The XML parser (expat, driven directly) refuses document type declarations, so entity expansion (billion laughs, external
entities) can never happen, whatever the input.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.parsers import expat

from papertriage.errors import InputError
from papertriage.formats.common import Lines, ParseReport
from papertriage.models import split_arxiv_id

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"


def _parse_xml(lines: Lines, source: str) -> ET.Element:
    """Build an ElementTree with expat, refusing any DOCTYPE or entity declaration."""
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")

    def refuse(*_: object) -> None:
        raise InputError(
            f"{source}: XML with a document type declaration is not accepted",
            hint="arXiv API responses never carry one; is this the right file?",
        )

    def start(tag: str, attributes: dict[str, str]) -> None:
        builder.start("{" + tag if "}" in tag else tag, attributes)

    def end(tag: str) -> None:
        builder.end("{" + tag if "}" in tag else tag)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    try:
        for _, line in lines:
            parser.Parse(line + "\n", False)
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise InputError(
            f"{source}:{error.lineno}: invalid XML ({expat.errors.messages[error.code]})"
        ) from None
    return builder.close()


def _text(element: ET.Element | None) -> str:
    return "".join(element.itertext()) if element is not None else ""


def looks_like(sample: str) -> bool:
    """An Atom feed (what the arXiv API answers), judged from the start of the text."""
    return "<feed" in sample and "2005/Atom" in sample


def parse_arxiv_atom(lines: Lines, report: ParseReport, *, include_replaced: bool = False) -> None:
    root = _parse_xml(lines, report.source)
    if root.tag != f"{ATOM}feed":
        raise InputError(f"{report.source}: XML but not an Atom feed (root <{root.tag}>)")
    for entry in root.iter(f"{ATOM}entry"):
        entry_id = _text(entry.find(f"{ATOM}id"))
        title = _text(entry.find(f"{ATOM}title"))
        if "/api/errors" in entry_id or title.strip() == "Error":
            message = " ".join(_text(entry.find(f"{ATOM}summary")).split()) or entry_id
            raise InputError(
                f"{report.source}: the arXiv API answered with an error: {message}",
                hint="fix the query that produced this feed",
            )
        parts = split_arxiv_id(entry_id)
        published = _text(entry.find(f"{ATOM}published"))
        report.add(
            title,
            _text(entry.find(f"{ATOM}summary")),
            arxiv_id=parts[0] if parts else None,
            # The URL is derived from the versionless id, so it is the same in every listing.
            authors=[
                " ".join(_text(author.find(f"{ATOM}name")).split())
                for author in entry.findall(f"{ATOM}author")
            ],
            categories=[
                term
                for category in entry.findall(f"{ATOM}category")
                if (term := category.get("term"))
            ],
            date=published[:10] or None,
        )
    if not report.count:
        report.warn(None, "the feed has no entries")
