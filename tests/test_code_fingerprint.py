"""The fingerprint of papertriage's code that every cache entry's name includes: any edit,
addition or rename of a rule or source file gives a new one, so no stale entry is ever read."""

from __future__ import annotations

import os
from pathlib import Path

from papertriage.listings.cache import code_fingerprint, sources_fingerprint


def tree(root: Path) -> Path:
    (root / "topics").mkdir(parents=True)
    (root / "a.py").write_text("A = 1\n")
    (root / "topics" / "topics.yaml").write_text("topics: []\n")
    (root / "notes.txt").write_text("not code\n")
    return root


def test_an_edit_an_addition_or_a_rename_changes_the_fingerprint(tmp_path: Path) -> None:
    root = tree(tmp_path / "pkg")
    first = sources_fingerprint(root)
    assert sources_fingerprint(root) == first  # stable while nothing changes
    (root / "notes.txt").write_text("other text, not code\n")
    assert sources_fingerprint(root) == first

    yaml = root / "topics" / "topics.yaml"
    stat = yaml.stat()
    yaml.write_text("topics: [x]\n")  # a rule edited (the size changes)
    edited = sources_fingerprint(root)
    assert edited != first
    yaml.write_text("topics: [y]\n")  # the same size: the modification time tells
    os.utime(yaml, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert sources_fingerprint(root) not in (first, edited)

    (root / "b.py").write_text("")
    added = sources_fingerprint(root)
    (root / "b.py").rename(root / "c.py")
    assert len({first, edited, added, sources_fingerprint(root)}) == 4


def test_the_installed_package_has_one_fingerprint_per_process() -> None:
    import papertriage

    assert code_fingerprint() == sources_fingerprint(Path(papertriage.__file__).parent)
