"""An arXiv RSS 2.0 or Atom announcement feed: being written (issue 11); detection never picks it yet."""

from __future__ import annotations

from papertriage.errors import InputError
from papertriage.formats.common import Lines, ParseReport


def looks_like(sample: str) -> bool:
    return False


def parse_arxiv_rss(lines: Lines, report: ParseReport, *, include_replaced: bool = False) -> None:
    raise InputError(f"{report.source}: reading an arXiv RSS 2.0 or Atom announcement feed is not finished yet")
