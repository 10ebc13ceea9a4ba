"""Tagged listings kept in the user's cache directory, so a repeated command skips parsing and
tagging (and never imports scikit-learn).

An entry is plain JSON Lines (the documented record schema), named by a hash of everything that
decides its content: the listing's bytes and path, the taxonomy, the read options, and the code
of papertriage itself. Anything that changes makes a new name, so an entry is never stale; old
entries are simply never read again. A damaged entry is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path

from papertriage.models import Record
from papertriage.output.files import keep_cache_file

FORMAT = 1


@cache
def code_fingerprint() -> str:
    """A fingerprint of papertriage's own source: a new version or an edit of any rule
    invalidates every entry."""
    return sources_fingerprint(Path(__file__).parents[1])


def sources_fingerprint(package: Path) -> str:
    """A hash of the .py and .yaml files under `package` by name, size and modification time,
    Python's own test for a stale bytecode file (.py files first, each kind by path). Reading
    the sources instead cost more than all the rest of a cached command's reading; walking them
    with os.scandir costs a third of pathlib's rglob (0.8 ms against 2.6 for 84 files)."""
    found: list[tuple[bool, str, int, int]] = []  # (a .yaml file, path, size, mtime)
    pending = [str(package)]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        pending.append(entry.path)
                elif entry.name.endswith((".py", ".yaml")):
                    stat = entry.stat()
                    relative = os.path.relpath(entry.path, package)
                    found.append(
                        (entry.name.endswith(".yaml"), relative, stat.st_size, stat.st_mtime_ns)
                    )
    digest = hashlib.sha256()
    for _, relative, size, mtime in sorted(found):
        digest.update(f"{relative}\0{size}\0{mtime}\n".encode())
    return digest.hexdigest()


def file_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def entry_path(cache_dir: Path, path: str, taxonomy_hash: str, options: str) -> Path:
    key = json.dumps(
        [
            FORMAT,
            file_digest(path),
            os.path.abspath(path),
            path,
            taxonomy_hash,
            options,
            code_fingerprint(),
        ]
    )
    return cache_dir / "tagged" / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".jsonl")


def load(entry: Path) -> list[Record] | None:
    """The cached records, or None when there is no usable entry."""
    try:
        with entry.open(encoding="utf-8") as handle:
            return [Record.from_dict(json.loads(line)) for line in handle]
    except (OSError, ValueError, TypeError):
        return None


def store(entry: Path, records: list[Record]) -> bool:
    """Write an entry; False (and nothing written) when the cache directory is not writable."""
    from papertriage.output.render import jsonl_lines

    return keep_cache_file(entry, jsonl_lines(records))
