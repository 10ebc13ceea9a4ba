"""How a BibTeX or a RIS file is recognised, apart from their readers: every plain-text listing is
checked for these marks, and importing the readers (bibtexparser's helpers, logging, the LaTeX
tables) costs more than reading a day's listing.
"""

from __future__ import annotations

import re

# An entry starting a line, `@article{key,` or `@misc(key,` (biblatex and reference managers
# add types of their own: @online, @inreference, @jurisdiction...), or @string/@comment/@preamble.
_BIBTEX_ENTRY = re.compile(
    r"^[ \t]*@(?:(?:string|comment|preamble)[ \t]*[{(]|[a-z]+[ \t]*[{(][ \t]*[^\s,{}\"=#]*[ \t]*(?:,|$))",
    re.IGNORECASE | re.MULTILINE,
)
# How many non-blank lines may come before the first entry: Mendeley's three-line banner and
# JabRef's `% Encoding: UTF-8` fit; a pasted page with a citation far down does not.
BIBTEX_HEADER_LINES = 6

# RIS has two spaces before a tag's dash, `TY  - JOUR`. Some tools write one (`TY - JOUR`): nearer
# to a line of notes ("TY - thanks for the draft"), so that form counts only with a type in upper
# case after it and another tag written the same way.
_RIS_TYPE = re.compile(r"^TY(?:(?P<two>  -)(?: |$)| - [A-Z]{2,8}[ \t]*$)", re.MULTILINE)
_RIS_TAG = re.compile(r"^[A-Z][A-Z0-9]  -( |$)", re.MULTILINE)
_RIS_TAG_ONE_SPACE = re.compile(r"^[A-Z][A-Z0-9] -( |$)", re.MULTILINE)
RIS_HEADER_LINES = 6  # lines a database may put before the first entry ("Provider: ...")


def looks_like_bibtex(sample: str) -> bool:
    """A BibTeX file: an entry starts a line, after at most a short header (comments or a
    reference manager's banner)."""
    match = _BIBTEX_ENTRY.search(sample)
    return match is not None and _lines_before(sample, match.start()) <= BIBTEX_HEADER_LINES


def looks_like_ris(sample: str) -> bool:
    """A RIS file: a `TY  - ` line (or `TY - JOUR`) after at most a short header, and another tag
    written the same way after it."""
    match = _RIS_TYPE.search(sample)
    if match is None or _lines_before(sample, match.start()) > RIS_HEADER_LINES:
        return False
    tag = _RIS_TAG if match.group("two") else _RIS_TAG_ONE_SPACE
    return tag.search(sample, match.end()) is not None


def _lines_before(sample: str, start: int) -> int:
    """The non-blank lines of `sample` before character `start`."""
    return sum(1 for line in sample[:start].splitlines() if line.strip())
