"""papertriage: turn raw paper listings into records you can tag, search, rank and export.

The library is usable without the command line:

    from papertriage import parse_text
    records = parse_text(open("listing.txt").read())
"""

from papertriage.models import SCHEMA_VERSION, Record
from papertriage.parse import FORMATS, detect_format, parse_lines, parse_text

__all__ = ["FORMATS", "SCHEMA_VERSION", "Record", "detect_format", "parse_lines", "parse_text"]
__version__ = "0.1.0"
