"""Turn a raw listing into Records: detect its format, then hand its lines to that format's parser.

Pure: text (or lines) in, records and a report out. Reading files is the caller's job.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator
from importlib import import_module
from itertools import chain, islice, repeat
from typing import Any

from papertriage.errors import InputError, UsageError
from papertriage.listings.formats import refmarks
from papertriage.listings.formats.common import LineBlock, Lines, ParseReport
from papertriage.listings.formats.hf import is_sentence, looks_like_title, noise_kind, parse_hf
from papertriage.models import Record

__all__ = [
    "FORMATS",
    "LineBlock",
    "ParseReport",
    "detect_format",
    "parse_blocks",
    "parse_lines",
    "parse_text",
]

# Each format's parser, as "module:function" in papertriage.listings.formats, imported only when a listing
# of that format is read (a BibTeX parser costs nothing to a user who never reads one). Every
# parser takes (numbered lines, report, include_replaced=...); "hf" reads blocks (see below).
PARSERS = {
    "hf": "hf:parse_hf",
    "hf-html": "hf_html:parse_hf_html",
    "hf-api": "hf_api:parse_hf_api",
    "arxiv-email": "arxiv_email:parse_arxiv_email",
    "arxiv-list": "arxiv_list:parse_arxiv_list",
    "arxiv-html": "arxiv_html:parse_arxiv_html",
    "arxiv-rss": "arxiv_rss:parse_arxiv_rss",
    "arxiv-atom": "arxiv_atom:parse_arxiv_atom",
    "jsonfeed": "jsonfeed:parse_jsonfeed",
    "bibtex": "bibtex:parse_bibtex",
    "ris": "ris:parse_ris",
    "jsonl": "jsonfmt:parse_jsonl",
    "json": "jsonfmt:parse_json",
    "csv": "csvfmt:parse_csv",
}
FORMATS = tuple(PARSERS)
DETECT_LINES = 400  # detection looks at this many lines ...
DETECT_CHARS = 65_536  # ... and at most this many characters of each

_EMAIL_ENTRY = re.compile(r"^\\\\[ \t]*\n[ \t]*arXiv:\S+", re.M)
# The e-mail banner or the header of a daily or trending page (checked after every other format).
_HF_BANNER = re.compile(
    r"^[ \t]*(?:Get trending papers in your email inbox"
    r"|(?:Daily|Trending) Papers[ \t]*$|by ?AK and the research community[ \t]*$)",
    re.M,
)
_LIST_ENTRY = re.compile(r"^\[\d+\]\s+arXiv:\S+", re.M)
_HTML = re.compile(r"<!doctype\s+html|<html[\s>]", re.I)
# A word the header of a CSV listing has among its column names (csvfmt.TITLE_COLUMNS): only a
# text whose first line has it costs the CSV reader's import to look at.
_CSV_TITLE = re.compile(r"\b(?:title|ti)\b", re.I)
_CSV_DELIMITERS = (",", "\t", ";")  # csvfmt.DELIMITERS, without importing the CSV reader
# Markup is told apart by the marks each format module knows (its `looks_like`), in this order:
# the feeds of arXiv's announcement service before the API's Atom, which shares its namespace.
MARKUP_FORMATS = ("arxiv-html", "hf-html", "arxiv-rss", "arxiv-atom")


def detect_format(head: list[str]) -> str | None:
    """The format of a listing judged from its first lines, or None when it is in no known format."""
    sample = "\n".join(line[:DETECT_CHARS] for line in head)
    start = sample.lstrip()[:200]
    if start.startswith("<"):
        return next((name for name in MARKUP_FORMATS if _module(name).looks_like(sample)), None)
    if start.startswith(("{", "[")) and not _LIST_ENTRY.search(start):
        return _module("json").detect_json(head)  # type: ignore[no-any-return]
    if _EMAIL_ENTRY.search(sample):
        return "arxiv-email"
    if _LIST_ENTRY.search(sample):
        return "arxiv-list"
    if refmarks.looks_like_bibtex(sample):
        return "bibtex"
    if refmarks.looks_like_ris(sample):
        return "ris"
    header = next((line for line in head if line.strip()), "")
    if _CSV_TITLE.search(header[:DETECT_CHARS]) and _module("csv").looks_like(head):
        return "csv"
    if _untitled_table(head) is not None:  # a table of something else, or of untitled papers
        return None
    if _HF_BANNER.search(sample) or _looks_like_hf(head):
        return "hf"
    return None


def _untitled_table(head: list[str]) -> list[str] | None:
    header = next((line for line in head if line.strip()), "")
    if not any(delimiter in header for delimiter in _CSV_DELIMITERS):
        return None  # most listings: no CSV reader imported
    return _module("csv").untitled_table(head)  # type: ignore[no-any-return]


def _undetected_hint(head: list[str]) -> str:
    if (columns := _untitled_table(head)) is not None:
        shown = ", ".join(columns[:6]) + (
            f" and {len(columns) - 6} more" if len(columns) > 6 else ""
        )
        names = _module("csv").TITLE_NAMES
        return f"a CSV table whose columns ({shown}) include no title column: name it {names}"
    if _HTML.search("\n".join(line[:DETECT_CHARS] for line in head)):
        return (
            "an HTML page, but not an arXiv listing or a Hugging Face papers page;"
            " save one of those, or name the format with --from"
        )
    return f"expected one of {', '.join(FORMATS)}; name it with --from"


def _looks_like_hf(head: list[str]) -> bool:
    """Short lines each directly followed by a long prose line, titles and their abstracts,
    making at least half of what is not page chrome. One such pair is not enough: a README, a
    CSV file or a system file has a short line before a sentence somewhere too, and reading
    it as papers would fill a library with its lines."""
    content = [text for line in head if (text := line.strip()) and noise_kind(text) is None]
    paired, at = 0, 0
    while at < len(content) - 1:
        title, abstract = content[at], content[at + 1]
        if (
            looks_like_title(title)
            and not title.endswith(".")
            and len(title) >= 8
            and is_sentence(abstract)
            and len(abstract) >= 60
        ):
            paired, at = paired + 2, at + 2
        else:
            at += 1
    return paired >= 2 and 2 * paired >= len(content)


def iter_lines(text: str) -> Iterator[str]:
    """The lines of `text` one at a time, without copying the whole text into a list."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        if end < 0:
            end = size
        line = text[start:end]
        yield line[:-1] if line.endswith("\r") else line
        start = end + 1


BLOCK_LINES = 4096  # lines per block when a listing arrives as loose lines


def line_blocks(lines: Iterable[str]) -> Iterator[LineBlock]:
    """Loose lines grouped into blocks, for parse_blocks."""
    iterator = iter(lines)
    while batch := list(islice(iterator, BLOCK_LINES)):
        yield LineBlock(batch)


def parse_lines(
    lines: Iterable[str],
    format: str = "auto",
    *,
    source: str = "<text>",
    include_replaced: bool = False,
    sink: Callable[[list[Record]], None] | None = None,
) -> ParseReport:
    """Parse a listing given as lines (without line ends) into a report holding the records
    (or handing them to `sink` a batch at a time, see ParseReport).

    Raises InputError when the format cannot be detected or the input is malformed beyond repair.
    """
    return parse_blocks(
        line_blocks(lines), format, source=source, include_replaced=include_replaced, sink=sink
    )


def parse_blocks(
    blocks: Iterable[LineBlock],
    format: str = "auto",
    *,
    source: str = "<text>",
    include_replaced: bool = False,
    sink: Callable[[list[Record]], None] | None = None,
) -> ParseReport:
    """parse_lines for lines that come in blocks, as a file reader reads them."""
    if sink is not None or not gc.isenabled():
        return _parse_blocks(blocks, format, source, include_replaced, sink)
    # Without a sink the report holds every record until the end, and each full pass of the
    # cyclic garbage collector walks them all again: a fifth of the parse time at 100,000
    # records, a third at a million (measured with bench/parse_bench.py's listings). Parsing
    # makes no reference cycles, so the collector can wait until it is done.
    gc.disable()
    try:
        return _parse_blocks(blocks, format, source, include_replaced, sink)
    finally:
        gc.enable()


def _parse_blocks(
    blocks: Iterable[LineBlock],
    format: str,
    source: str,
    include_replaced: bool,
    sink: Callable[[list[Record]], None] | None,
) -> ParseReport:
    if format != "auto" and format not in FORMATS:
        raise UsageError(f"unknown format {format!r}", hint=f"choose one of {', '.join(FORMATS)}")
    first, blocks = _first_blocks(iter(blocks))
    head = [
        line.rstrip("\r\n")
        for line in islice(chain.from_iterable(block.lines for block in first), DETECT_LINES)
    ]
    if not any(line.strip() for line in head):
        raise InputError(f"{source}: the input is empty", hint="give a listing with papers in it")
    if format == "auto":
        detected = detect_format(head)
        if detected is None:
            raise InputError(
                f"{source}: not a listing papertriage knows", hint=_undetected_hint(head)
            )
        format = detected
    report = ParseReport(source=source, format=format, sink=sink)
    if format == "hf":  # strips its lines itself, a block at a time
        parse_hf(blocks, report)
        report.finish()
        return report
    lines = chain.from_iterable(block.lines for block in blocks)
    numbered: Lines = enumerate(map(str.rstrip, lines, repeat("\r\n")), start=1)
    parser_for(format)(numbered, report, include_replaced=include_replaced)
    report.finish()
    return report


def parser_for(format: str) -> Callable[..., None]:
    """The parse function of a format named in PARSERS (its module imported now)."""
    return getattr(_module(format), PARSERS[format].split(":")[1])  # type: ignore[no-any-return]


def _module(format: str) -> Any:
    return import_module(f"papertriage.listings.formats.{PARSERS[format].split(':')[0]}")


def _first_blocks(blocks: Iterator[LineBlock]) -> tuple[list[LineBlock], Iterator[LineBlock]]:
    """The blocks holding the first DETECT_LINES lines (a byte-order mark taken off the first
    line), and all the blocks again from the start."""
    first: list[LineBlock] = []
    count = 0
    for block in blocks:
        if not first and block.lines and block.lines[0].startswith("\ufeff"):
            block = block._replace(lines=[block.lines[0][1:], *block.lines[1:]])
        first.append(block)
        count += len(block.lines)
        if count >= DETECT_LINES:
            break
    return first, chain(first, blocks)


def parse_text(
    text: str, format: str = "auto", *, source: str = "<text>", include_replaced: bool = False
) -> list[Record]:
    """Parse a listing held in a string into records (see parse_lines for the report)."""
    return parse_lines(
        iter_lines(text), format, source=source, include_replaced=include_replaced
    ).records
