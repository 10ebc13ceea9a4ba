"""The stored search index's rows: segments of postings written, merged, re-tagged and rebuilt.

What a segment holds is papertriage.library.index's (imported on use: it needs numpy); this
module only moves its rows in and out of the `segments` and `postings` tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from papertriage.library.sql import (
    index_topics,
    mark_indexed,
    set_meta,
    stored_record,
    transaction,
)

if TYPE_CHECKING:
    from papertriage.library.index import Segment
    from papertriage.library.sql import Database

MAX_SEGMENTS = 12  # more segments than this after an add: all but the largest are merged
INDEX_BATCH = 50_000  # papers indexed at a time when a whole library is (re)indexed
SEGMENT_PAPERS = 100_000  # an add stores a segment each time this many papers wait in it


def write_segment(db: Database, segment: Segment) -> None:
    row = (
        segment.docs.tobytes(),
        segment.lengths.tobytes(),
        segment.tags.tobytes(),
        segment.tags.shape[1],
    )
    insert_segment(db, row, segment.term_rows())


def insert_segment(
    db: Database, row: tuple[bytes, bytes, bytes, int], terms: Iterable[tuple[Any, ...]]
) -> None:
    """A segments row (docs, lengths, tags, width) and its postings rows (term, docs, tf)."""
    number = db.execute(
        "INSERT INTO segments (docs, lengths, tags, width) VALUES (?, ?, ?, ?)", row
    ).lastrowid
    db.executemany(
        "INSERT INTO postings (segment, term, docs, tf) VALUES (?, ?, ?, ?)",
        ((number, *term_row) for term_row in terms),
    )


def merge_segments(db: Database) -> None:
    """Keep searches to a few segments: past MAX_SEGMENTS, fold all but the largest into one,
    dropping the postings of papers indexed again since."""
    from papertriage.library.index import merge_segment_rows

    if db.execute("SELECT count(*) FROM segments").fetchone()[0] <= MAX_SEGMENTS:
        return  # the usual case: nothing to merge, so no segment is read
    rows = db.execute("SELECT id, docs, lengths, tags, width FROM segments ORDER BY id").fetchall()
    largest = max(rows, key=lambda row: len(row[1]))[0]
    merged_ids = [row[0] for row in rows if row[0] != largest]
    marks = ",".join("?" * len(merged_ids))
    postings = db.execute(
        f"SELECT term, segment, docs, tf FROM postings WHERE segment IN ({marks}) "
        "ORDER BY term, segment",
        merged_ids,
    )
    merged = merge_segment_rows(rows, merged_ids, postings)
    insert_segment(db, merged.segment, merged.terms)
    db.execute(f"DELETE FROM postings WHERE segment IN ({marks})", merged_ids)
    db.execute(f"DELETE FROM segments WHERE id IN ({marks})", merged_ids)


def retag_segments(db: Database, tags_by_id: dict[str, tuple[str, ...]]) -> None:
    """Rewrite every segment's topic bits from the papers' new tags."""
    from papertriage.library.index import segment_topic_bits

    tags_by_doc: dict[int, Sequence[str]] = {
        doc: tags_by_id.get(paper_id, ())
        for paper_id, doc in db.execute("SELECT id, doc FROM papers")
    }
    topics: list[str] = []
    for segment, docs_bytes in db.execute("SELECT id, docs FROM segments").fetchall():
        bits = segment_topic_bits(docs_bytes, tags_by_doc, topics)
        db.execute(
            "UPDATE segments SET tags = ?, width = ? WHERE id = ?",
            (bits.tobytes(), bits.shape[1], segment),
        )
    set_meta(db, "index_topics", json.dumps(topics))


def retag_papers(db: Database, tags_by_doc: dict[int, tuple[str, ...]]) -> bool:
    """Rewrite the topic bits of a few papers (by number) in the segments holding them; False,
    and nothing rewritten, when a tag has no bit yet (then the index must be rebuilt)."""
    import numpy as np

    from papertriage.library.index import DOC_TYPE

    position = {topic: i for i, topic in enumerate(index_topics(db))}
    if any(tag not in position for tags in tags_by_doc.values() for tag in tags):
        return False
    wanted = np.array(sorted(tags_by_doc), dtype=DOC_TYPE)
    rows = db.execute("SELECT id, docs, tags, width FROM segments").fetchall()
    for segment, docs_bytes, tags_bytes, width in rows:
        docs = np.frombuffer(docs_bytes, DOC_TYPE)
        places = np.nonzero(np.isin(docs, wanted))[0]
        if not len(places):
            continue
        packed = np.frombuffer(tags_bytes, np.uint8).reshape(len(docs), width)
        bits = np.unpackbits(packed, axis=1)
        for place in places:
            bits[place] = 0
            bits[place, [position[tag] for tag in tags_by_doc[int(docs[place])]]] = 1
        db.execute(
            "UPDATE segments SET tags = ? WHERE id = ?",
            (np.packbits(bits, axis=1).tobytes(), segment),
        )
    return True


def reindex(db: Database, progress: Callable[[int], None] | None = None) -> None:
    """Index every paper afresh (one transaction), INDEX_BATCH papers to a segment."""
    from papertriage.library.index import SegmentBuilder

    with transaction(db):
        db.execute("DELETE FROM postings")
        db.execute("DELETE FROM segments")
        topics: list[str] = []
        builder, done = SegmentBuilder(topics), 0
        rows = db.execute("SELECT doc, record FROM papers ORDER BY doc")
        while batch := rows.fetchmany(INDEX_BATCH):
            records = [stored_record(text) for _, text in batch]
            builder.add(records, [doc for doc, _ in batch])
            if len(builder) >= SEGMENT_PAPERS:
                write_segment(db, builder.build())
                builder = SegmentBuilder(topics)
            done += len(batch)
            if progress is not None:
                progress(done)
        if len(builder):
            write_segment(db, builder.build())
        set_meta(db, "index_topics", json.dumps(topics))
        mark_indexed(db)
