"""What the reference-manager formats (bibtex, ris) share: an arXiv id in a URL, a DOI or a
citation's text, 'Last, First' names, and dates that are full days or nothing.

Kept apart from formats.common, which every listing imports: these patterns cost a few
milliseconds to compile, paid only when a reference file is read.
"""

from __future__ import annotations

import re
from datetime import date

from papertriage.models import ARXIV_ID

_ID = ARXIV_ID.pattern
_ARXIV_URL = re.compile(rf"arxiv\.org/(?:abs|pdf)/{_ID}", re.IGNORECASE)
_ARXIV_DOI = re.compile(rf"^(?:https?://(?:dx\.)?doi\.org/)?10\.48550/arXiv\.{_ID}$", re.I)
_ARXIV_LABEL = re.compile(rf"\barXiv:\s*{_ID}", re.IGNORECASE)


def arxiv_id_in_url(url: str) -> str | None:
    """The id of an arXiv page's address, or of arXiv's DOI as an address
    (`https://doi.org/10.48550/arXiv.2502.01229`, as Zotero and RIS exports write `url`)."""
    match = _ARXIV_URL.search(url) or _ARXIV_DOI.match(url.strip())
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
