"""What every listing parser shares: numbered lines in, a report of what was found and dropped."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import NamedTuple

from papertriage.listings.formats.texaccents import tex_accents
from papertriage.models import Record, title_hash

_new_record = tuple.__new__

SINK_BATCH = 20_000  # records handed to a ParseReport's sink at a time
# An arXiv category: an archive ("hep-th", "cs") and maybe a subject class ("cs.AI", "math.LO",
# "astro-ph.GA", "physics.atom-ph"); not the MSC or ACM class codes ("03B70", "F.4.1") beside
# them in some sources. A pattern to embed (each format anchors it its own way).
ARXIV_CATEGORY = r"[a-z]+(?:-[a-z]+)?(?:\.(?:[A-Z]{2}|[a-z]+(?:-[a-z]+)?))?"
# A whole HTML entity, its `;` included: `AT&T` or `R&D;` is text, and so is an unknown `&name;`.
_HTML_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
Lines = Iterator[tuple[int, str]]  # (1-based line number, text without the line end)


class LineBlock(NamedTuple):
    """Consecutive lines of a listing (without line ends), as a reader hands them over.

    `text` is the text they were split from, when the reader has it: one search over it answers
    questions about all the lines at once (it may run on past the last line, so such a search can
    only err towards "maybe"). None means the lines are all there is.
    """

    lines: list[str]
    text: str | None = None


@dataclass
class ParseReport:
    """What a parse found: the records, the noise it dropped (by kind) and anything suspicious."""

    source: str
    format: str = ""
    records: list[Record] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    # Set `sink` to receive the records a batch at a time while parsing goes on (a listing too
    # large to hold): `records` then keeps only those not handed over yet.
    sink: Callable[[list[Record]], None] | None = None
    handed_over: int = 0

    @property
    def count(self) -> int:
        """How many records were found (handed over or not)."""
        return self.handed_over + len(self.records)

    def add(
        self, title: str, abstract: str = "", *, arxiv_id: str | None = None, **fields: object
    ) -> Record:
        record = Record.create(
            title,
            abstract,
            arxiv_id=arxiv_id,
            source=self.source,
            position=self.count + 1,
            **fields,
        )
        self.append(record)
        return record

    def append(self, record: Record) -> None:
        self.records.append(record)
        self._hand_over()

    def _hand_over(self) -> None:
        """Give the sink (if any) SINK_BATCH records at a time, keeping the newest: a parser may
        still amend the record it added last."""
        if self.sink is None:
            return
        while len(self.records) > SINK_BATCH:
            batch, self.records = self.records[:SINK_BATCH], self.records[SINK_BATCH:]
            self.handed_over += len(batch)
            self.sink(batch)

    def finish(self) -> None:
        """Hand the last records to the sink (parsers are done with them)."""
        if self.sink is not None and self.records:
            batch, self.records = self.records, []
            self.handed_over += len(batch)
            self.sink(batch)

    def add_papers(self, titles: list[str], abstracts: list[str]) -> None:
        """Add records from titles and abstracts whose white space is already normalised."""
        source = self.source
        # tuple.__new__ skips NamedTuple's Python-level constructor: this runs once per paper.
        self.records.extend(
            [
                _new_record(
                    Record,
                    (
                        title_hash(title),
                        title,
                        abstract,
                        (),
                        None,
                        None,
                        (),
                        None,
                        source,
                        at,
                        (),
                        None,
                        None,
                        None,
                        None,
                    ),
                )
                for at, title, abstract in zip(count(self.count + 1), titles, abstracts)
            ]
        )
        self._hand_over()

    def warn(self, line: int | None, message: str) -> None:
        where = f"{self.source}:{line}" if line else self.source
        self.warnings.append(f"{where}: {message}")


def email_date_to_iso(text: str) -> str | None:
    """'Wed, 15 Mar 2023 18:34:08 GMT' -> '2023-03-15'; None when it is not a date."""
    from email.utils import parsedate_to_datetime  # only e-mail digests need it

    try:
        return parsedate_to_datetime(text.strip()).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def announce_type(replaced: bool, cross_listed: bool) -> str:
    """arXiv's announce type from an entry's marks: "new", "cross", "replace" or "replace-cross"."""
    if replaced:
        return "replace-cross" if cross_listed else "replace"
    return "cross" if cross_listed else "new"


def split_authors(text: str) -> list[str]:
    """Names from 'A, B and C', 'A, B, and C' or 'A and B and C': what is in parentheses is
    dropped (affiliations, as arXiv writes them: '(MIT, CSAIL)', '(1, 3)', '((1) Univ X, (2)
    Univ Y)', and '(25 additional authors not shown)'), 'et al.' too, and TeX accents are read
    ('J\\'onsson' is 'Jónsson')."""
    names: list[str] = []
    for part in _NAME_SEPARATOR.split(tex_accents(_outside_parentheses(text))):
        name = " ".join(part.split())
        if names and _NAME_SUFFIX.match(name):  # "Sammy Davis, Jr." is one name
            names[-1] = f"{names[-1]} {name}"
        elif name and not _NOT_A_NAME.match(name):
            names.append(name)
    return names


# A comma or semicolon (an Oxford comma's "and" with it), or "and" or "&" between spaces.
_NAME_SEPARATOR = re.compile(r"\s*[,;]\s*(?:(?:and|&)\s+)?|\s+(?:and|&)\s+")
_NOT_A_NAME = re.compile(r"^(?:and|&|et\.?\s*al\.?|others)$", re.IGNORECASE)
_NAME_SUFFIX = re.compile(r"^(?:Jr|Sr)\.?$|^(?:II|III|IV)$")


def _outside_parentheses(text: str) -> str:
    """`text` without its parenthesised parts, nested ones too; one left open runs to the end
    (a digest's affiliation cut short), a stray closing one is dropped."""
    if "(" not in text and ")" not in text:
        return text
    kept, depth = [], 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif not depth:
            kept.append(char)
    return "".join(kept)


def decode_entities(text: str) -> str:
    """`&ldquo;p &lt; .001&rdquo;` -> `“p < .001”`: the HTML entities a feed, a database or a
    reference manager left in a text field, as the characters they stand for."""
    if "&" not in text:
        return text
    return _HTML_ENTITY.sub(_character, text)


def _character(entity: re.Match[str]) -> str:
    """An entity's character; an unknown name stays as written (html.unescape alone would
    read `&notation;` as `¬ation;`)."""
    import html  # only for text that has an entity
    from html.entities import html5

    written = entity.group()
    if written[1] == "#" or written[1:] in html5:
        return html.unescape(written)
    return written
