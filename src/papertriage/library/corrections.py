"""Tags a reader corrected: `mark --tag` / `--untag` say a topic does or does not fit a paper.

A correction is kept in the library apart from the tags, so it outlives every re-tagging: each
time a paper's tags are stored (an add that changes the paper, a retag, the correction itself)
the corrections are laid over what the tagger said. A topic set by the reader comes first in
`tags`, and its `tag_details` say `"set_by": "you"` (with the tagger's own evidence, if it had
any); a topic the reader removed is in neither. The tagger's verdicts stay recoverable by
tagging the paper again, which is how `eval --library` measures the tagger against them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from papertriage.library.segments import retag_papers
from papertriage.library.sql import (
    bump_version,
    now,
    record_json,
    rows_in,
    stored_record,
    transaction,
)
from papertriage.models import Record

if TYPE_CHECKING:
    from papertriage.library.sql import Database

SET_BY_YOU = "you"  # the value of "set_by" in the details of a topic the reader set

Corrections = dict[str, dict[str, bool]]  # paper id -> topic -> fits (True) or not (False)


def corrections(db: Database, paper_ids: Iterable[str] | None = None) -> Corrections:
    """The corrections of these papers (None: of every paper)."""
    rows: Iterable[tuple[Any, ...]]
    if paper_ids is None:
        rows = db.execute("SELECT paper_id, topic, fits FROM corrections ORDER BY rowid")
    else:
        query = "SELECT paper_id, topic, fits FROM corrections WHERE paper_id IN ({})"
        rows = rows_in(db, query, list(paper_ids))
    found: Corrections = {}
    for paper_id, topic, fits in rows:
        found.setdefault(paper_id, {})[topic] = bool(fits)
    return found


def corrected(record: Record, fits: Mapping[str, bool]) -> Record:
    """The record with the reader's corrections laid over its tags."""
    if not fits:
        return record
    details: dict[str, Any] = dict(record.tag_details or {})
    added = [topic for topic, yes in fits.items() if yes]
    for topic in added:
        details[topic] = {**details.get(topic, {}), "set_by": SET_BY_YOU}
    kept = [t for t in record.tags if t not in fits]
    for topic, yes in fits.items():
        if not yes:
            details.pop(topic, None)
    return record.with_changes(tags=(*added, *kept), tag_details=details or None)


def forget(db: Database, paper_ids: Iterable[str], topics: Iterable[str]) -> int:
    """Take back the reader's corrections of `topics` on these papers (whatever the taxonomy
    in force: a topic it dropped too); how many there were. The papers' tags stay as they are
    until they are tagged again, which the caller does."""
    ids, names = list(paper_ids), set(topics)
    with transaction(db):
        query = "SELECT paper_id, topic FROM corrections WHERE paper_id IN ({})"
        found = [(paper, topic) for paper, topic in rows_in(db, query, ids) if topic in names]
        db.executemany("DELETE FROM corrections WHERE paper_id = ? AND topic = ?", found)
    return len(found)


def correct(
    db: Database, paper_ids: Iterable[str], tag: Iterable[str], untag: Iterable[str]
) -> dict[str, Record]:
    """Record corrections of papers and lay them over their stored tags and the search index's
    topic bits, in one transaction; the papers as now stored."""
    ids, fits = list(paper_ids), {**dict.fromkeys(untag, False), **dict.fromkeys(tag, True)}
    with transaction(db):
        when = now()
        db.executemany(
            "INSERT INTO corrections (paper_id, topic, fits, corrected) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (paper_id, topic) DO UPDATE SET fits = excluded.fits, "
            "corrected = excluded.corrected",
            [(paper_id, topic, int(yes), when) for paper_id in ids for topic, yes in fits.items()],
        )
        known = corrections(db, ids)
        query = "SELECT id, doc, record FROM papers WHERE id IN ({})"
        stored, docs = {}, {}
        for paper_id, doc, text in rows_in(db, query, ids):
            stored[paper_id] = corrected(stored_record(text), known.get(paper_id, {}))
            docs[int(doc)] = stored[paper_id].tags
        db.executemany(
            "UPDATE papers SET record = ? WHERE id = ?",
            [(record_json(paper), paper_id) for paper_id, paper in stored.items()],
        )
        if not retag_papers(db, docs):
            bump_version(db)  # a topic the index has no bit for: the next search reindexes
    return stored
