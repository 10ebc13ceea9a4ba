"""What every listing parser shares: numbered lines in, a report of what was found and dropped."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from papertriage.models import Record, title_hash

_new_record = tuple.__new__

Lines = Iterator[tuple[int, str]]  # (1-based line number, text without the line end)


@dataclass
class ParseReport:
    """What a parse found: the records, the noise it dropped (by kind) and anything suspicious."""

    source: str
    format: str = ""
    records: list[Record] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def add(self, title: str, abstract: str = "", **fields: object) -> Record:
        record = Record.create(
            title, abstract, source=self.source, position=len(self.records) + 1, **fields
        )
        self.records.append(record)
        return record

    def add_normalized(self, title: str, abstract: str) -> Record:
        """Add a record from title and abstract whose white space is already normalised."""
        # tuple.__new__ skips NamedTuple's Python-level constructor: this runs once per paper.
        record = _new_record(
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
                self.source,
                len(self.records) + 1,
                (),
                None,
            ),
        )
        self.records.append(record)
        return record

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


def split_authors(text: str) -> list[str]:
    """Split 'A, B and C' or 'A and B and C' into names, dropping affiliation markers like (1)."""
    text = re.sub(r"\(\(.*$", "", text)  # '((1) Univ X, (2) Univ Y)' affiliation tail
    text = re.sub(r"\(\d+(?:\s*,\s*\d+)*\)", "", text)
    names: list[str] = []
    for part in re.split(r",\s*|\s+and\s+|;\s*", text):
        name = " ".join(part.split())
        if name and name.lower() != "and":
            names.append(name)
    return names
