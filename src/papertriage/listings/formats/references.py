"""What the reference-manager formats (bibtex, ris) share: an arXiv id in a URL, a DOI or a
citation's text, 'Last, First' names, dates that are full days or nothing, and HTML entities
(`&amp;`) that databases and Mendeley leave in titles and abstracts.

Kept apart from formats.common, which every listing imports: these patterns cost a few
milliseconds to compile, paid only when a reference file is read.
"""

from __future__ import annotations

import html
import re
from datetime import date
from html.entities import html5

from papertriage.models import ARXIV_ID

_ID = ARXIV_ID.pattern
_ARXIV_URL = re.compile(rf"arxiv\.org/(?:abs|pdf)/{_ID}", re.IGNORECASE)
_ARXIV_DOI = re.compile(rf"^(?:https?://(?:dx\.)?doi\.org/)?10\.48550/arXiv\.{_ID}$", re.I)
_ARXIV_LABEL = re.compile(rf"\barXiv:\s*{_ID}", re.IGNORECASE)
# A whole entity, its `;` included: `AT&T` or `R&D;` is text, and so is an unknown `&name;`.
_HTML_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def arxiv_id_in_url(url: str) -> str | None:
    match = _ARXIV_URL.search(url)
    return match.group("id") if match else None


def arxiv_id_in_doi(doi: str) -> str | None:
    match = _ARXIV_DOI.match(doi.strip())
    return match.group("id") if match else None


def arxiv_id_in_text(text: str) -> str | None:
    """The id of an `arXiv:2303.08867` label, as in `arXiv preprint arXiv:2303.08867`."""
    match = _ARXIV_LABEL.search(text)
    return match.group("id") if match else None


def first_last(name: str) -> str:
    """'Last, First' -> 'First Last'; 'Last, Jr, First' -> 'First Last Jr'; others unchanged."""
    parts = [" ".join(part.split()) for part in name.split(",")]
    if len(parts) == 2 and all(parts):
        return f"{parts[1]} {parts[0]}"
    if len(parts) == 3 and parts[0] and parts[2]:
        return " ".join(part for part in (parts[2], parts[0], parts[1]) if part)
    return " ".join(name.split())


def full_date(year: object, month: object, day: object) -> str | None:
    """YYYY-MM-DD when all three make a real date, else None."""
    try:
        return date(int(str(year)), int(str(month)), int(str(day))).isoformat()
    except (TypeError, ValueError):
        return None


def decode_entities(text: str) -> str:
    """`&ldquo;p &lt; .001&rdquo;` -> `“p < .001”`: the HTML entities of a web page that a
    database or a reference manager copied into a field, as the characters they stand for."""
    if "&" not in text:
        return text
    return _HTML_ENTITY.sub(_character, text)


def _character(entity: re.Match[str]) -> str:
    """An entity's character; an unknown name stays as written (html.unescape alone would
    read `&notation;` as `¬ation;`)."""
    written = entity.group()
    if written[1] == "#" or written[1:] in html5:
        return html.unescape(written)
    return written
