"""A saved Hugging Face papers page (HTML): being written (issue 11); detection never picks it yet."""

from __future__ import annotations

from papertriage.errors import InputError
from papertriage.formats.common import Lines, ParseReport


def looks_like(sample: str) -> bool:
    return False


def parse_hf_html(lines: Lines, report: ParseReport, *, include_replaced: bool = False) -> None:
    raise InputError(f"{report.source}: reading a saved Hugging Face papers page (HTML) is not finished yet")
