"""CSV listings: papertriage's own CSV output read back (so that a saved CSV chains into the other
commands), and the exports of reference managers and databases: Zotero ("Title", "Author",
"Abstract Note", "Url", "DOI"), Scopus ("Authors", "Title", "Abstract", "Link"), Web of Science's
tab-delimited files ("TI", "AU", "AB", "DI") and the plain "title,abstract,authors" of others.

A CSV file is told by its header: the first non-blank line splits (on `,`, tab or `;`) into at
least two short column names, one of them a title's, and the next row has as many cells. Prose
with commas has no cell that is only "title", and sentences are no column names.

Columns are matched by name (case and surrounding blanks ignored); the others (rank, score,
status, a database's own) are left. As for another tool's JSON, a record takes its id from its
arXiv id or title, this file as its source and its row as its position: papertriage's own `id`,
`source` and `position` columns are not kept. A date is a full YYYY-MM-DD or nothing (a year alone
leaves it None, as in every reader).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

from papertriage.errors import InputError
from papertriage.listings.formats.common import Lines, ParseReport, split_authors
from papertriage.listings.formats.jsonfmt import DATE_KEYS, arxiv_id_in
from papertriage.listings.formats.references import (
    arxiv_id_in_doi,
    arxiv_id_in_text,
    arxiv_id_in_url,
    first_last,
    full_date,
)

TITLE_COLUMNS = ("title", "article title", "document title", "ti")
TITLE_NAMES = "title, Article Title, Document Title or TI"  # TITLE_COLUMNS, as exports write them
_ABSTRACT = ("abstract", "abstract note", "ab", "abstracts")
# Full names first: Web of Science's AF and Scopus' "Author full names" beside their initials.
_AUTHORS = ("author full names", "af", "authors", "author", "au")
# Other tools' JSON names for the date, and Scopus' column (names are matched case-folded).
_DATE = (*(key.casefold() for key in DATE_KEYS), "publication date")
_URL = ("url", "link")
_DOI = ("doi", "di")
# Where Zotero and databases write an `arXiv:ID` label: Zotero's Extra and Report Number.
_ARXIV_LABELED = ("extra", "report number", "publication title", "source title", "journal")
DELIMITERS = (",", "\t", ";")
# The csv module refuses a cell over 128 KiB by default; an abstract with a paper's text pasted
# in is more. A cell larger than this is a quote left open, running over the rows after it.
MAX_CELL = 16 * 1024 * 1024
_COLUMN_WORDS = 6  # "Language of Original Document" is a column name; a clause is longer
_FULL_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?!\d)")
_IN_PARENTHESES = re.compile(r"\s*\([^()]*\)")  # Scopus' author ids, "Smith, J. (5719000)"
_INITIALS = re.compile(r"(?:[A-Z]\.?[ -]*)+")  # "T. M.", "J.-P.", "JB"


def column_name(cell: str) -> str:
    """A header cell as it is matched: without a byte-order mark, blanks or case."""
    return " ".join(cell.lstrip("\ufeff").split()).casefold()


def _is_column_name(name: str) -> bool:
    return len(name.split()) <= _COLUMN_WORDS and not name.endswith((".", "!", "?", ":"))


def header_delimiter(line: str) -> str | None:
    """The delimiter that makes `line` a header with a title column (the one giving the most
    cells if several do), or None when it is no such header."""
    best: tuple[int, str] | None = None
    for delimiter in DELIMITERS:
        names = [column_name(cell) for cell in _cells(line, delimiter)]
        if (
            len(names) >= 2
            and any(name in TITLE_COLUMNS for name in names)
            and all(map(_is_column_name, names))
            and (best is None or len(names) > best[0])
        ):
            best = (len(names), delimiter)
    return best[1] if best else None


def _cells(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return []


def _fits(row: list[str], width: int) -> bool:
    """A row of the header's width; empty cells past it (a trailing tab) count as none."""
    return len(row) == width or (len(row) > width and not any(cell.strip() for cell in row[width:]))


def _csv_line(line: str) -> str:
    """A line as the csv module reads it: with its line end, which a quoted cell keeps; a stray
    carriage return, which the module takes for a line end, is a blank."""
    return (line.replace("\r", " ") if "\r" in line else line) + "\n"


def looks_like(head: list[str]) -> bool:
    """A CSV listing: a header with a title column, and a first row as wide as it."""
    csv.field_size_limit(MAX_CELL)  # the module's own setting, for every reader
    start = next((at for at, line in enumerate(head) if line.strip()), None)
    if start is None or (delimiter := header_delimiter(head[start])) is None:
        return False
    rows = csv.reader(map(_csv_line, head[start:]), delimiter=delimiter)
    try:
        header = next(rows)
        row = next((row for row in rows if row), None)
    except csv.Error:
        return False
    return row is not None and _fits(row, len(header))


def untitled_table(head: list[str]) -> list[str] | None:
    """The column names of a CSV table that has no title column (three columns at least, and a
    first row as wide as its header), or None for anything else. Such a table is refused by
    name, not read as text: its quoted cells, wrapped over lines, can look like titles and
    abstracts."""
    start = next((at for at, line in enumerate(head) if line.strip()), None)
    if start is None or header_delimiter(head[start]) is not None:
        return None
    for delimiter in DELIMITERS:
        names = [column_name(cell) for cell in _cells(head[start], delimiter)]
        if len(names) < 3 or not all(name and _is_column_name(name) for name in names):
            continue
        rows = csv.reader(map(_csv_line, head[start + 1 :]), delimiter=delimiter)
        try:
            row = next((row for row in rows if row), None)
        except csv.Error:
            continue
        if row is not None and _fits(row, len(names)):
            return [cell.lstrip("\ufeff").strip() for cell in _cells(head[start], delimiter)]
    return None


def parse_csv(lines: Lines, report: ParseReport, *, include_replaced: bool = False) -> None:
    csv.field_size_limit(MAX_CELL)
    numbered = iter(lines)
    number, text = next(((n, t) for n, t in numbered if t.strip()), (1, ""))
    delimiter = header_delimiter(text)
    if delimiter is None:
        raise InputError(
            f"{report.source}:{number}: no title column in the CSV header",
            hint=f"the column of titles is named {TITLE_NAMES}",
        )
    header = [column_name(cell) for cell in _cells(text, delimiter)]
    columns: dict[str, int] = {}
    for at, name in enumerate(header):
        columns.setdefault(name, at)
    last = [number]  # the line the reader has read up to

    def feed() -> Iterator[str]:
        for last[0], line in numbered:
            yield _csv_line(line)

    read, untitled, start = 0, 0, number + 1
    reader = csv.reader(feed(), delimiter=delimiter)
    try:
        for row in reader:
            line, start = start, last[0] + 1
            if not any(cell.strip() for cell in row):
                continue
            read += 1
            if not _fits(row, len(header)):
                report.warn(
                    line,
                    f"row has {len(row)} cells where the header has {len(header)};"
                    " read by their places",
                )
            if not _add_row(row, columns, report):
                untitled += 1
                report.warn(line, "row has no title; skipped")
    except csv.Error as error:
        raise InputError(
            f"{report.source}:{last[0]}: unreadable CSV ({error})",
            hint="check the quotes of the rows before it",
        ) from None
    if not read:
        report.warn(number, "the CSV file has a header but no rows")
    elif untitled == read:
        raise InputError(
            f"{report.source}: none of its {read} CSV rows has a title",
            hint=f"titles are read from the column {_first(columns, TITLE_COLUMNS)!r}",
        )


def _first(columns: dict[str, int], names: tuple[str, ...]) -> str:
    return next(name for name in names if name in columns)


def _add_row(row: list[str], columns: dict[str, int], report: ParseReport) -> bool:
    """Add the paper of one row; False when it has no title."""

    def cell(*names: str) -> str:
        """The first non-empty cell of the columns `names`."""
        found = (row[columns[name]] for name in names if columns.get(name, len(row)) < len(row))
        return next((text.strip() for text in found if text.strip()), "")

    title = cell(*TITLE_COLUMNS)
    if not title:
        return False
    url, doi = cell(*_URL), cell(*_DOI)
    labeled = (arxiv_id_in_text(cell(name)) for name in _ARXIV_LABELED)
    arxiv_id = (
        arxiv_id_in(cell("arxiv_id", "arxiv id"))
        or arxiv_id_in_url(url)
        or arxiv_id_in(cell("id"))  # another tool's id column holds its papers' arXiv ids
        or arxiv_id_in_doi(doi)
        or next((found for found in labeled if found), None)
    )
    if not url and not arxiv_id and doi:
        url = doi if doi.startswith("http") else f"https://doi.org/{doi}"
    date = _FULL_DATE.match(cell(*_DATE))
    report.add(
        title,
        cell(*_ABSTRACT),
        arxiv_id=arxiv_id,
        authors=_authors(cell(*_AUTHORS)),
        url=url or None,
        date=full_date(*date.groups()) if date else None,
        categories=_listed(cell("categories")),
        tags=_listed(cell("tags")),
    )
    return True


def _listed(text: str) -> list[str]:
    """papertriage's space-separated categories or tags, or another tool's `a; b` list."""
    return (
        [part.strip() for part in text.split(";") if part.strip()] if ";" in text else text.split()
    )


def _authors(text: str) -> list[str]:
    """Names from `Last, First; Last, First` (Zotero, Web of Science, Scopus), papertriage's own
    `First Last; First Last`, `Last, I., Last, I.` (a RIS file turned into CSV), or `A, B and
    C`: each written first name first."""
    if text.startswith("[") and text.endswith("]"):  # a Python or JSON list, as a script wrote it
        return _list_literal(text)
    text = _IN_PARENTHESES.sub("", text)
    parts = [part.strip() for part in text.split(",")]
    if ";" in text:
        names = [first_last(name) for name in text.split(";")]
    elif len(parts) % 2 == 0 and all(_INITIALS.fullmatch(part) for part in parts[1::2]):
        names = [f"{first} {last}" for last, first in zip(parts[::2], parts[1::2], strict=True)]
    elif len(parts) == 2 and any(len(part.split()) == 1 for part in parts):
        names = [first_last(text)]  # one name, `Vaswani, Ashish`
    else:
        names = split_authors(text)
    return [name for name in names if name]  # as written, a name listed twice too


def _list_literal(text: str) -> list[str]:
    """Names from `['A B', 'C D']` or `["A B", "C D"]`; the text as one name if it is neither."""
    import ast

    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return [text]
    if not isinstance(value, list | tuple) or not all(isinstance(name, str) for name in value):
        return [text]
    return [" ".join(name.split()) for name in value if name.strip()]
