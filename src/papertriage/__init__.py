"""papertriage: turn raw paper listings into records you can tag, search, rank and export.

The library is usable without the command line:

    from papertriage import parse_text, tag_records, default_taxonomy
    records = tag_records(parse_text(open("listing.txt").read()), default_taxonomy())

Names are imported on first use, so `import papertriage` stays cheap for the command line.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "FORMATS": "papertriage.listings.parse",
    "detect_format": "papertriage.listings.parse",
    "parse_lines": "papertriage.listings.parse",
    "parse_text": "papertriage.listings.parse",
    "SCHEMA_VERSION": "papertriage.models",
    "Record": "papertriage.models",
    "Taxonomy": "papertriage.topics.taxonomy",
    "default_taxonomy": "papertriage.topics.taxonomy",
    "load_taxonomy": "papertriage.topics.taxonomy",
    "Tagger": "papertriage.topics.tagger",
    "tag_records": "papertriage.topics.tagger",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'papertriage' has no attribute {name!r}")
