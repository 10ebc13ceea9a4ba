"""A saved arXiv listing page (HTML): being written (issue 11); detection never picks it yet."""

from __future__ import annotations

from papertriage.errors import InputError
from papertriage.formats.common import Lines, ParseReport


def looks_like(sample: str) -> bool:
    return False


def parse_arxiv_html(lines: Lines, report: ParseReport, *, include_replaced: bool = False) -> None:
    raise InputError(f"{report.source}: reading a saved arXiv listing page (HTML) is not finished yet")
