"""Reading lists and bibliographies from records and their triage state. Nothing here prints.

Markdown is CommonMark: a heading and a date line, a section per group with its count, each paper
a task-list item (checked once read) with its title linked when a URL is known, its tags, the
abstract's first sentence, and the whole abstract folded in a <details> block.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from papertriage.models import Record
from papertriage.output.render import (
    CSV_COLUMNS,
    csv_rows,
    first_sentence,
    markdown_escape,
    record_cells,
)

UNTAGGED = "untagged"
NO_STATUS = "no status"


@dataclass(frozen=True)
class Item:
    """A record with its triage state (empty for papers not in the library)."""

    record: Record
    status: str | None = None
    starred: bool = False
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        data = self.record.to_dict()
        data.update(status=self.status, starred=self.starred, notes=list(self.notes))
        return data


# The columns of records, then the reading state: starred is true or false, notes one a line.
ITEM_CSV_COLUMNS = (*CSV_COLUMNS, "status", "starred", "notes")


def item_csv_lines(items: Iterable[Item]) -> Iterator[str]:
    """CSV of records as `parse` writes it, plus each paper's status, star and notes."""
    return csv_rows(
        ITEM_CSV_COLUMNS,
        (
            [*record_cells(i.record), i.status or "", str(i.starred).lower(), "\n".join(i.notes)]
            for i in items
        ),
    )


def groups(items: Sequence[Item], group_by: str) -> list[tuple[str, list[Item]]]:
    """(group name, items) in a stable order: by tag (a paper under each of its tags, the
    largest groups first), by status (in triage order), or one group."""
    if group_by == "none":
        return [("Papers", list(items))]
    buckets: dict[str, list[Item]] = {}
    for item in items:
        if group_by == "tag":
            keys = list(item.record.tags) or [UNTAGGED]
        else:
            keys = [item.status or NO_STATUS]
        for key in keys:
            buckets.setdefault(key, []).append(item)
    if group_by == "status":
        order = ["to-read", "reading", "read", "skip", NO_STATUS]
        return [(key, buckets[key]) for key in order if key in buckets]
    named = sorted((k for k in buckets if k != UNTAGGED), key=lambda k: (-len(buckets[k]), k))
    return [(key, buckets[key]) for key in [*named, UNTAGGED] if key in buckets]


def markdown_reading_list(
    items: Sequence[Item],
    *,
    group_by: str = "tag",
    title: str = "Reading list",
    date: str = "",
) -> Iterator[str]:
    yield f"# {markdown_escape(title)}\n\n"
    count = f"{len(items)} paper{'s' if len(items) != 1 else ''}"
    yield (f"{markdown_escape(date)} · {count}\n" if date else f"{count}\n")
    for name, members in groups(items, group_by):
        yield f"\n## {markdown_escape(name)} ({len(members)})\n\n"
        for item in members:
            yield from markdown_entry(item)


def markdown_entry(item: Item) -> Iterator[str]:
    """One paper as a reading list shows it (the list item alone, no heading): `show -f md`."""
    record = item.record
    box = "[x]" if item.status == "read" else "[ ]"
    title = markdown_escape(record.title)
    linked = f"[{title}](<{record.url}>)" if record.url else title
    star = " ★" if item.starred else ""
    tags = " " + " ".join(f"`{tag}`" for tag in record.tags) if record.tags else ""
    yield f"- {box} {linked}{star}{tags}\n"
    gist = first_sentence(record.abstract)
    if gist:
        yield f"  {markdown_escape(gist)}\n"
    for note in item.notes:
        yield f"  *Note:* {markdown_escape(note)}\n"
    if record.abstract:
        # The blank line after <summary> ends the HTML block, so CommonMark reads the abstract
        # as a Markdown paragraph: it is escaped as Markdown, like the title and the first
        # sentence. HTML escaping alone let TeX's ``quotes'' become code spans, $x_t^*$ ... $y^*$
        # and |x|_{a} emphasis, and showed R\'enyi as R\&#x27;enyi. Keeping it raw HTML instead
        # (no blank line in the block, HTML escaping only) holds in CommonMark but not in pandoc's
        # Markdown and other renderers that read Markdown inside HTML blocks.
        yield "\n  <details><summary>Abstract</summary>\n\n"
        yield f"  {markdown_escape(record.abstract)}\n\n  </details>\n"
    yield "\n"


_BIBTEX_SPECIAL = re.compile(r"[{}\\&%$#_^~]")
_BIBTEX_REPLACEMENT = {
    "\\": r"\textbackslash{}",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
# TeX's ligatures: `` and '' are curly quotes, -- and --- dashes. Braces between the characters
# keep them as typed, so the reader gives back the text (an abstract's ``x'' stays ``x'').
_BIBTEX_LIGATURE = re.compile(r"(?<=`)(?=`)|(?<=')(?=')|(?<=-)(?=-)")
_AND = re.compile(r"\band\b", re.IGNORECASE)  # as BibTeX splits a list of names
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _bibtex_text(text: str) -> str:
    """Text safe inside a BibTeX {...} value, read back by a LaTeX decoder as the same text:
    braces and TeX specials escaped, ligatures broken."""
    escaped = _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_REPLACEMENT.get(m[0], "\\" + m[0]), text)
    return _BIBTEX_LIGATURE.sub("{}", escaped)


def _bibtex_name(name: str) -> str:
    """One author for BibTeX's `A and B` list; a name holding the word `and` or a comma (an
    institution, 'Smith, Jr.') is braced, so that it stays one name in the order written."""
    text = _bibtex_text(name)
    return _braced(text) if "," in name or _AND.search(name) else text


def bibtex_entries(items: Iterable[Item]) -> Iterator[str]:
    """@misc entries, with the arXiv eprint fields when the id is known; keys are unique.

    The date is biblatex's `date` (the day, which BibTeX has no field for) beside BibTeX's
    `year` and `month`, so that both styles show it and a reader gets the whole day back."""
    seen: dict[str, int] = {}
    for item in items:
        record = item.record
        key = re.sub(
            r"[^A-Za-z0-9:.\-]",
            "",
            f"arXiv:{record.arxiv_id}" if record.arxiv_id else f"pt:{record.id}",
        )
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key}-{seen[key]}"
        fields = [("title", "{{" + _bibtex_text(record.title) + "}}")]
        if record.authors:
            fields.append(("author", _braced(" and ".join(map(_bibtex_name, record.authors)))))
        if record.abstract:
            fields.append(("abstract", _braced(_bibtex_text(record.abstract))))
        fields += _date_fields(record.date or "")
        if record.arxiv_id:
            fields += [("eprint", _braced(record.arxiv_id)), ("archivePrefix", "{arXiv}")]
            if record.categories:
                fields.append(("primaryClass", _braced(record.categories[0])))
        if record.url:
            fields.append(("url", _braced(record.url)))
        if record.tags:
            fields.append(("keywords", _braced(", ".join(record.tags))))
        body = ",\n".join(f"  {name} = {value}" for name, value in fields)
        yield f"@misc{{{key},\n{body}\n}}\n\n"


# A record's date as papertriage writes it, YYYY-MM-DD; its own JSON read back may hold less.
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-\d{2})?)?$")


def _date_fields(date: str) -> list[tuple[str, str]]:
    """`date` (the whole day), `year` and `month`, as much of them as the date says; nothing
    for a date that is none."""
    match = _DATE.match(date)
    if match is None:
        return []
    year, month = match.groups()
    fields = [("date", _braced(date))] if len(date) == 10 else []
    fields.append(("year", _braced(year)))
    if month and 1 <= int(month) <= 12:
        fields.append(("month", _MONTHS[int(month) - 1]))  # BibTeX's macro, unbraced
    return fields


def _braced(value: str) -> str:
    return "{" + value + "}"
