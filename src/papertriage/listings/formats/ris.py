"""A RIS file (`TY  - JOUR` ... `ER  - `), as reference managers and databases export (issue 11).

Some tools write one space before a tag's dash (`TY - JOUR`, `AU - Zou, Yuanqiang`): an entry
whose TY line has that form has its tag lines given to rispy in the standard form. Only that
entry's: a two-space entry's wrapped abstract may well start `US - based ...`.

Read with rispy, imported only when a RIS file is read. rispy drops silently a last entry
without its `ER  - ` line and runs an entry missing it into the next one; the lines are
therefore handed to it entry by entry, an `ER` supplied (with a warning) where one is missing,
which also gives each entry its line number.

HTML entities that databases copy from their pages (`p &lt; .001`) are decoded in titles,
abstracts and names.

A record's date is a full YYYY-MM-DD (from DA, Y1 or PY, e.g. `2023/03/15/`) or nothing: a
year alone leaves it None rather than inventing a day.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from papertriage.errors import InputError
from papertriage.listings.formats.common import Lines, ParseReport, decode_entities
from papertriage.listings.formats.references import (
    arxiv_id_in_doi,
    arxiv_id_in_text,
    arxiv_id_in_url,
    first_last,
    full_date,
)

_RIS_DATE = re.compile(r"^(\d{4})(?:[/-](\d{1,2})(?:[/-](\d{1,2}))?)?")
_ONE_SPACE_TAG = re.compile(r"^([A-Z][A-Z0-9]) -(?= |$)")  # `AU - Zou, Y`, as some tools write


def _is_tag(text: str, tag: str) -> bool:
    """A `TY  - ` line (as the format has it) or a `TY - ` one (as some tools write it)."""
    if text[:2] != tag:
        return False
    dash = 3 if text[2:4] == " -" else 4 if text[2:5] == "  -" else 0
    return dash > 0 and text[dash + 1 : dash + 2] in ("", " ")


def parse_ris(lines: Lines, report: ParseReport, *, include_replaced: bool = False) -> None:
    import rispy

    starts: list[int] = []  # the line of each entry's TY, in the order rispy returns them
    entries = rispy.RisParser().parse_lines(_entry_lines(lines, report, starts))
    untitled = 0
    for line, entry in zip(starts, entries, strict=True):
        if not _add_entry(entry, report):
            untitled += 1
            report.warn(line, "entry has no title (TI or T1); skipped")
    if not report.count:
        if not starts:
            raise InputError(
                f"{report.source}: no RIS entries found (no 'TY  - ' line)",
                hint="a RIS entry starts with 'TY  - JOUR' and ends with 'ER  - '",
            )
        raise InputError(
            f"{report.source}: none of its {untitled} RIS entries has a title",
            hint="titles are in TI or T1 lines",
        )


def _entry_lines(lines: Lines, report: ParseReport, starts: list[int]) -> Iterator[str]:
    """The lines of each entry, from its TY to its ER (one supplied where it is missing);
    lines between entries are left out, so rispy starts an entry at each TY only. The tags of
    an entry written `TY - ` are given in the standard form, `TY  - `."""
    open_at: int | None = None
    one_space = False  # whether the open entry writes its tags `TY - `
    for number, text in lines:
        if _is_tag(text, "TY"):
            if open_at is not None:
                report.warn(
                    open_at,
                    f"entry has no 'ER  - ' line before the next entry (line {number}); read anyway",
                )
                yield "ER  - "
            open_at = number
            starts.append(number)
            one_space = text[2:4] == " -"
        elif open_at is None:
            continue
        if one_space:
            text = _ONE_SPACE_TAG.sub(r"\1  -", text)
        yield text
        if _is_tag(text, "ER"):
            open_at = None
    if open_at is not None:
        report.warn(open_at, "the last entry has no 'ER  - ' line; read anyway")
        yield "ER  - "


def _add_entry(entry: dict[str, object], report: ParseReport) -> bool:
    title = _text(entry.get("title")) or _text(entry.get("primary_title"))
    if not title:
        return False
    urls = _many(entry.get("urls"))
    doi = _one(entry.get("doi"))
    arxiv_id = (
        next((found for url in urls if (found := arxiv_id_in_url(url))), None)
        or arxiv_id_in_doi(doi)
        or next(
            (
                found
                for text in (
                    _one(entry.get("type_of_work")),
                    *_many(entry.get("notes")),
                    _one(entry.get("note")),
                    _one(entry.get("secondary_title")),
                    _one(entry.get("journal_name")),
                )
                if (found := arxiv_id_in_text(text))
            ),
            None,
        )
    )
    url = urls[0] if urls else None
    if not url and not arxiv_id and doi:
        url = doi if doi.startswith("http") else f"https://doi.org/{doi}"
    authors: list[str] = []
    for line in (*_many(entry.get("authors")), *_many(entry.get("first_authors"))):
        # Some tools put several names on a line, `Elliot, T; Almenar, JB`. Entities are
        # decoded first: `M&uuml;ller` holds a `;` that separates nothing.
        for name in decode_entities(line).split(";"):
            name = first_last(name)
            if name and name not in authors:
                authors.append(name)
    report.add(
        title,
        _text(entry.get("abstract")) or _text(entry.get("notes_abstract")),
        arxiv_id=arxiv_id,
        authors=authors,
        date=next(
            (
                found
                for key in ("date", "publication_year", "year")
                if (found := _date(_one(entry.get(key))))
            ),
            None,
        ),
        url=url,
    )
    return True


def _date(text: str) -> str | None:
    match = _RIS_DATE.match(text.strip())
    return full_date(*match.groups()) if match else None


def _one(value: object) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return " ".join(str(value).split()) if value else ""


def _text(value: object) -> str:
    """A text field (title, abstract): its first value, HTML entities decoded."""
    return " ".join(decode_entities(_one(value)).split())


def _many(value: object) -> list[str]:
    values = value if isinstance(value, list) else [value] if value else []
    return [text for item in values if (text := " ".join(str(item).split()))]
