"""Records to text: JSON, JSON Lines, CSV, a rich table, and raw listings (for round-trip tests).

Nothing here prints; every function returns text (or a rich renderable) for the CLI to write.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from papertriage.models import Record, normalize_space

if TYPE_CHECKING:
    from rich.table import Table

CSV_COLUMNS = (
    "id",
    "title",
    "authors",
    "arxiv_id",
    "url",
    "categories",
    "date",
    "source",
    "position",
    "tags",
    "abstract",
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def jsonl_lines(records: Iterable[Record]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record.to_dict(), ensure_ascii=False) + "\n"


def json_chunks(records: Iterable[Record]) -> Iterator[str]:
    """A JSON array, one record per line, streamed rather than built as one string."""
    opened = False
    for record in records:
        yield (",\n" if opened else "[\n") + json.dumps(record.to_dict(), ensure_ascii=False)
        opened = True
    yield "\n]\n" if opened else "[]\n"


def csv_lines(records: Iterable[Record]) -> Iterator[str]:
    """CSV with a header row; list fields are joined with '; ' (authors) or ' ' (ids)."""
    return csv_rows(CSV_COLUMNS, (record_cells(record) for record in records))


def csv_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """A header row and then each row as CSV, streamed a row at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(columns)
    yield flush()
    for row in rows:
        writer.writerow(row)
        yield flush()


def record_cells(record: Record) -> list[Any]:
    """A record's cells under CSV_COLUMNS."""
    return [
        record.id,
        record.title,
        "; ".join(record.authors),
        record.arxiv_id or "",
        record.url or "",
        " ".join(record.categories),
        record.date or "",
        record.source,
        record.position,
        " ".join(record.tags),
        record.abstract,
    ]


def hit_csv_lines(
    hits: Sequence[Any],
    *,
    explain: bool = False,
    reasons: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]] | None = None,
) -> Iterator[str]:
    """Search results as CSV: the columns of records, then rank, score and matched (the terms,
    by spaces); with `explain`, score_parts (`part=value` by spaces) and, when a learned ranking
    gives them (`reasons`: paper id -> Reasons.to_dict()), the words that placed it
    (`word=weight`, those for it first)."""
    columns = [*CSV_COLUMNS, "rank", "score", "matched"]
    if explain:
        columns += ["score_parts", "reasons"] if reasons is not None else ["score_parts"]

    def rows() -> Iterator[list[Any]]:
        for rank, hit in enumerate(hits, start=1):
            row = [*record_cells(hit.record), rank, hit.score, " ".join(hit.matched)]
            if explain:
                row.append(" ".join(f"{part}={value}" for part, value in hit.parts.items()))
            if explain and reasons is not None:
                placed = reasons[hit.record.id]
                words = [*placed["for"], *placed["against"]]
                row.append(" ".join(f"{word['word']}={word['weight']}" for word in words))
            yield row

    return csv_rows(columns, rows())


def hit_dicts(hits: Iterable[Any], *, explain: bool = False) -> list[dict[str, Any]]:
    """Search results as records plus rank, score and matched terms (and the score's parts)."""
    rows = []
    for rank, hit in enumerate(hits, start=1):
        row = hit.record.to_dict()
        row["rank"], row["score"], row["matched"] = rank, hit.score, list(hit.matched)
        if explain:
            row["score_parts"] = hit.parts
        rows.append(row)
    return rows


def object_chunks(
    objects: list[dict[str, Any]], fmt: str, *, single: bool = False
) -> Iterator[str]:
    """Plain dictionaries as JSON, JSON Lines or CSV (nested values as JSON in CSV cells)."""
    if fmt == "json":
        yield json.dumps(objects[0] if single else objects, ensure_ascii=False, indent=2) + "\n"
    elif fmt == "jsonl":
        for item in objects:
            yield json.dumps(item, ensure_ascii=False) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        columns = list(objects[0]) if objects else []
        writer.writerow(columns)
        for item in objects:
            writer.writerow(
                [
                    v
                    if isinstance(v, str | int | float) or v is None
                    else json.dumps(v, ensure_ascii=False)
                    for v in (item[c] for c in columns)
                ]
            )
        yield buffer.getvalue()


_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>|~&!])")
_MARKDOWN_LINE_START = re.compile(r"^(\d+)([.)])|^([#+\->=])")


def markdown_escape(text: str) -> str:
    """Text that CommonMark shows literally, on one line: inline markup and HTML escaped, and a
    start that would begin a heading or a list; other punctuation left readable. White space is
    collapsed (a note, or a record read back from JSON, may hold a line break: a new block)."""
    escaped = _MARKDOWN_INLINE.sub(r"\\\1", normalize_space(text))
    return _MARKDOWN_LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", escaped)


def markdown_lines(records: Iterable[Record], hits: Iterable[Any] | None = None) -> Iterator[str]:
    """A Markdown list: linked title (when the paper has a URL), tags, score, first sentence."""
    scores = [hit.score for hit in hits] if hits is not None else None
    for number, record in enumerate(records):
        title = markdown_escape(record.title)
        line = f"- [{title}]({record.url})" if record.url else f"- {title}"
        if record.tags:
            line += " " + " ".join(f"`{tag}`" for tag in record.tags)
        if scores is not None:
            line += f" (score {scores[number]:.2f})"
        yield line + "\n"
        gist = first_sentence(record.abstract)
        if gist:
            yield f"  {markdown_escape(gist)}\n"


def first_sentence(text: str, limit: int = 200) -> str:
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0] if text else ""
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def short_authors(authors: tuple[str, ...]) -> str:
    if not authors:
        return ""
    return authors[0] if len(authors) == 1 else f"{authors[0]} et al."


def records_table(records: list[Record]) -> Table:
    """A terminal table: position, id, title, first author, tags and the abstract's first sentence."""
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False, expand=True, header_style="bold")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("id", no_wrap=True, style="cyan")
    table.add_column("title", ratio=3)
    with_authors = any(record.authors for record in records)
    if with_authors:
        table.add_column("authors", ratio=1)
    table.add_column("gist", ratio=4, style="dim")
    for record in records:
        title = Text(record.title, style="bold")
        if record.tags:
            title.append("  " + " ".join(f"#{tag}" for tag in record.tags), style="magenta")
        authors = [Text(short_authors(record.authors))] if with_authors else []
        table.add_row(
            str(record.position),
            Text(record.id),
            title,
            *authors,
            Text(first_sentence(record.abstract)),
        )
    return table


def hf_listing(records: Iterable[Record]) -> str:
    """A listing in the shape of a copied Hugging Face papers page (banner, then title/abstract)."""
    parts = ["Get trending papers in your email inbox!\n"]
    for index, record in enumerate(records):
        parts.append(("Subscribe" if index == 0 else "") + record.title + "\n")
        parts.append(record.abstract + "\n")
    return "".join(parts)


def arxiv_email_listing(records: Iterable[Record]) -> str:
    """A listing in the shape of arXiv's daily e-mail (records need an arXiv id)."""
    rule = "-" * 78 + "\n"
    parts = [rule]
    for record in records:
        parts.append("\\\\\n")
        parts.append(f"arXiv:{record.arxiv_id}\n")
        if record.date:
            parts.append(f"Date: {_email_date(record.date)}   (100kb)\n")
        parts.append("\n")
        parts.append(_wrap_field("Title", record.title))
        parts.append(_wrap_field("Authors", ", ".join(record.authors)))
        if record.categories:
            parts.append(f"Categories: {' '.join(record.categories)}\n")
        parts.append("\\\\\n")
        parts.append(_wrap(record.abstract, indent_first="  "))
        parts.append(f"\\\\ ( https://arxiv.org/abs/{record.arxiv_id} ,  100kb)\n")
        parts.append(rule)
    return "".join(parts)


def _email_date(iso: str) -> str:
    from datetime import date

    day = date.fromisoformat(iso)
    return day.strftime("%a, %d %b %Y 00:00:00 GMT")


def _wrap_field(name: str, value: str) -> str:
    return _wrap(f"{name}: {value}", indent_rest="  ")


def _wrap(text: str, width: int = 78, indent_first: str = "", indent_rest: str = "") -> str:
    import textwrap

    if not text:
        return ""
    return (
        "\n".join(
            textwrap.wrap(
                text,
                width,
                initial_indent=indent_first,
                subsequent_indent=indent_rest,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
        + "\n"
    )
