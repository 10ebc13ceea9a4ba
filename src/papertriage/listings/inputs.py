"""Read listings from files or standard input, turning every way they can be unreadable into an
InputError that names the file and says what to do.

Files are read a block of 4M characters at a time rather than whole, so a large listing never sits
in memory twice.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from papertriage.errors import InputError
from papertriage.listings.parse import LineBlock, ParseReport, parse_blocks, parse_lines
from papertriage.listings.readoptions import ReadOptions
from papertriage.models import Record

BINARY_SNIFF_BYTES = 8192
FALLBACK_ENCODING = "cp1252"  # what non-UTF-8 text files on researchers' machines usually are


@dataclass
class _Decoding:
    encoding: str = "utf-8-sig"  # also drops a byte-order mark
    warnings: list[str] = field(default_factory=list)


def display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def read_listing(
    path: str,
    options: ReadOptions,
    *,
    stdin: bytes | None = None,
    sink: Callable[[list[Record]], None] | None = None,
) -> ParseReport:
    """Parse one listing file ('-' for standard input, or `stdin` if already read) into a
    report (its records handed to `sink` a batch at a time, if given)."""
    name = display_name(path)
    if path == "-":
        data = sys.stdin.buffer.read() if stdin is None else stdin
        _check_bytes(name, data[:BINARY_SNIFF_BYTES], len(data))
        text, warning = _decode(name, data)
        report = parse_lines(
            text.splitlines(),
            options.format,
            source=name,
            include_replaced=options.include_replaced,
            sink=sink,
        )
        if warning:
            report.warnings.insert(0, warning)
        return report
    check_file(path)
    handed_over = 0

    def counting(batch: list[Record]) -> None:
        nonlocal handed_over
        handed_over += len(batch)
        sink(batch)  # type: ignore[misc]

    try:
        return _parse_file(path, name, options, "utf-8-sig", counting if sink else None)
    except UnicodeDecodeError as error:
        if handed_over:
            # Batches already went to the sink: starting again would hand them over twice.
            raise InputError(
                f"{name}: not valid UTF-8 (a byte 0x{error.object[error.start]:02x})",
                hint="convert it to UTF-8 first, e.g. iconv -f cp1252 -t utf-8",
            ) from None
        warning = _decoding_warning(name, error)
    report = _parse_file(path, name, options, FALLBACK_ENCODING, sink)
    report.warnings.insert(0, warning)
    return report


def _parse_file(
    path: str,
    name: str,
    options: ReadOptions,
    encoding: str,
    sink: Callable[[list[Record]], None] | None = None,
) -> ParseReport:
    # newline=None turns CRLF and CR line ends into \n; errors="replace" only for the fallback,
    # whose few undefined bytes become U+FFFD rather than an error.
    errors = "strict" if encoding.startswith("utf-8") else "replace"
    try:
        with open(path, encoding=encoding, errors=errors, newline=None) as handle:
            return parse_blocks(
                _blocks(handle),
                options.format,
                source=name,
                include_replaced=options.include_replaced,
                sink=sink,
            )
    except OSError as error:
        raise InputError(f"{name}: cannot read: {error.strerror or error}") from None


READ_CHARS = 1 << 22  # text read at a time (4M characters)


def _blocks(handle: TextIO) -> Iterator[LineBlock]:
    """The lines of a text file without their line ends, read a large block at a time: one
    split per block in C instead of the file object's work per line (a third of parsing).

    Each block keeps the text it was split from, which still holds the unfinished last line:
    copying the text without it would cost more than a search over it can save."""
    rest = ""
    while read := handle.read(READ_CHARS):
        text = rest + read if rest else read
        lines = text.split("\n")
        rest = lines.pop()
        if lines:
            yield LineBlock(lines, text)
    if rest:
        yield LineBlock([rest], rest)


def check_file(path: str) -> None:
    """Fail with an InputError when `path` is missing, a directory, unreadable, empty or binary."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file", hint="check the path")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory", hint="give a listing file inside it")
    try:
        with open(path, "rb") as handle:
            head = handle.read(BINARY_SNIFF_BYTES)
        size = os.path.getsize(path)
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    _check_bytes(path, head, size)


def _check_bytes(name: str, head: bytes, size: int) -> None:
    if size == 0 or not head.strip():
        raise InputError(f"{name}: the file is empty", hint="give a listing with papers in it")
    if b"\x00" in head:
        raise InputError(
            f"{name}: looks like a binary file, not a text listing",
            hint="save the page or e-mail as plain text",
        )


def _decode(name: str, data: bytes) -> tuple[str, str | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        return data.decode(FALLBACK_ENCODING, errors="replace"), _decoding_warning(name, error)


def _decoding_warning(name: str, error: UnicodeDecodeError) -> str:
    return (
        f"{name}: not valid UTF-8 (a byte 0x{error.object[error.start]:02x});"
        f" read as {FALLBACK_ENCODING}, check accented characters"
    )
