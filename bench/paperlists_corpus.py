#!/usr/bin/env python3
"""A venue corpus for bench/unseen.py from papercopilot/paperlists files: more judged papers.

The shared corpus holds 2,001 papers with their authors' keywords, and its tune split only 694 of
them: too few to tell a change's gain from the choice of papers. Files of the same source for
other venues carry keywords too (IJCAI 2020-24 as the authors' chosen areas, CoRL 2021-25 and
WWW 2025 as free keywords). This script turns such files (JSON arrays of paper objects, one file
per venue and year, named like `ijcai2023.json`) into the JSON Lines bench/unseen.py reads:
{venue, id, title, abstract, keywords}, the venue being the file's name without `.json` and the id
`venue/id` (ids repeat across a source's files). Papers without a title, an abstract or keywords
are left out. The output is written whole or not at all, and an existing file is kept unless
--force.

    python bench/paperlists_corpus.py ijcai2020.json corl2024.json -o dev.jsonl
    python bench/unseen.py --corpus dev.jsonl --venues ijcai=ijcai2020 --venues corl=corl2024
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any


def judged_items(path: Path) -> Iterator[dict[str, str]]:
    """The papers of one venue file that bench/unseen.py can judge, in its form."""
    items = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(items, list):
        raise ValueError(f"{path}: not a JSON array of papers")
    venue = path.name.removesuffix(".json")
    for number, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        fields = {key: _text(item.get(key)) for key in ("title", "abstract", "keywords")}
        if all(fields.values()):
            # The venue in every id: IJCAI's files number their papers afresh each year.
            yield {"venue": venue, "id": f"{venue}/{_text(item.get('id')) or number}", **fields}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def write_corpus(paths: Sequence[Path], output: Path) -> tuple[Counter[str], int]:
    """Write the judged papers of `paths` to `output` (through a temporary file beside it); the
    papers written per venue, and how many repeats of an id already written were left out (a
    file may list a paper twice)."""
    counts: Counter[str] = Counter()
    seen: set[str] = set()
    repeats = 0
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=output.parent, prefix=f".{output.name}.", delete=False
    )
    try:
        with handle:
            for path in paths:
                for item in judged_items(path):
                    if item["id"] in seen:
                        repeats += 1
                        continue
                    seen.add(item["id"])
                    handle.write(json.dumps(item, ensure_ascii=False) + "\n")
                    counts[item["venue"]] += 1
        os.replace(handle.name, output)
    except BaseException:
        os.unlink(handle.name)
        raise
    return counts, repeats


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="paperlists venue files (JSON)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the JSON Lines to write")
    parser.add_argument("--force", action="store_true", help="replace an existing output")
    args = parser.parse_args(argv)
    if args.output.exists() and not args.force:
        print(
            f"paperlists_corpus: error: {args.output} exists (--force replaces it)", file=sys.stderr
        )
        return 2
    try:
        counts, repeats = write_corpus(args.files, args.output)
    except (OSError, ValueError) as error:  # json.JSONDecodeError is a ValueError
        print(f"paperlists_corpus: error: {error}", file=sys.stderr)
        return 2
    venues = ", ".join(f"{venue} {count}" for venue, count in counts.items())
    skipped = f"; {repeats} repeated id{'s' if repeats > 1 else ''} left out" if repeats else ""
    print(f"{args.output}: {sum(counts.values())} judged papers ({venues or 'none'}){skipped}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
