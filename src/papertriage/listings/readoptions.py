"""How to read a listing: kept apart from the parser so that cached reads do not import it."""

from __future__ import annotations

from typing import NamedTuple


class ReadOptions(NamedTuple):
    format: str = "auto"  # a name from papertriage.listings.parse.FORMATS, or "auto" to detect
    include_replaced: bool = False  # keep arXiv "replaced" entries, which have no abstract
