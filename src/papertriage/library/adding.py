"""Adding papers to the library: one `add` merges batches of records into the papers stored
before, inside the transaction papertriage.library.store opens, and indexes what changed.

Only the titles and ids of the stored papers are held (a MergeIndex), never every record; the
stored papers a batch matches are read in one go, and new postings wait in a segment builder
until enough papers fill a segment.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from papertriage.library.corrections import Corrections, corrected, corrections
from papertriage.library.segments import SEGMENT_PAPERS, merge_segments, write_segment
from papertriage.library.sql import (
    bump_version,
    index_is_current,
    index_topics,
    mark_indexed,
    record_json,
    rows_in,
    set_meta,
    stored_record,
)
from papertriage.listings.merge import MergeIndex, combine
from papertriage.models import Record, normalize_title

if TYPE_CHECKING:
    from papertriage.library.index import PostingsPart, SegmentBuilder
    from papertriage.library.sql import Database


@dataclass(frozen=True)
class AddResult:
    new: int
    updated: int
    unchanged: int
    stored_ids: dict[str, str] = field(default_factory=dict)  # record id -> id in the library
    status_kept: int = 0  # papers an add's status was not given to: they had another


class Adding:
    """One `add` in progress inside its transaction: what the library knows (titles and ids
    only, never every record), the papers stored so far, and their index segments."""

    def __init__(self, db: Database, when: str) -> None:
        self.db, self.when = db, when
        self.index = MergeIndex()
        self.ids: set[str] = set()
        self.next_doc = self.first_new_doc = 1
        self.topics: list[str] = []
        self.new = self.updated = self.unchanged = self.done = 0
        self.stored_ids: dict[str, str] = {}  # record id -> id in the library
        self.progress: Callable[[int], None] | None = None
        self.segment: SegmentBuilder | None = None  # postings not stored yet
        self.prefetched: dict[str, tuple[int, Record]] = {}  # stored papers read ahead
        self.index_was_current = True  # whether the search index held every paper before
        self.corrections: Corrections = {}  # the reader's tags, laid over a changed paper's
        self.status_kept = 0  # papers that kept a status of their own over the add's

    @classmethod
    def start(cls, db: Database, when: str, progress: Callable[[int], None] | None) -> Adding:
        adding = cls(db, when)
        adding.progress = progress
        for paper_id, arxiv_id, title, doc in db.execute(
            "SELECT id, arxiv_id, norm_title, doc FROM papers"
        ):
            adding.index.add_keys(paper_id, title, arxiv_id)
            adding.ids.add(paper_id)
            adding.next_doc = max(adding.next_doc, doc + 1)
        adding.first_new_doc = adding.next_doc  # papers numbered from here are new in this add
        adding.index_was_current = not adding.ids or index_is_current(db)
        adding.topics = index_topics(db)
        adding.corrections = corrections(db)
        return adding

    def finish(self, taxonomy_hash: str | None) -> None:
        db = self.db
        self._store_segment()
        if self.new or self.updated:
            bump_version(db)
        set_meta(db, "index_topics", json.dumps(self.topics))
        if self.index_was_current:  # else the next search indexes every paper, these too
            mark_indexed(db)
        merge_segments(db)
        if taxonomy_hash is not None:
            set_meta(db, "taxonomy", taxonomy_hash)
        if self.progress is not None:
            self.progress(self.done)

    def result(self) -> AddResult:
        return AddResult(self.new, self.updated, self.unchanged, self.stored_ids, self.status_kept)

    def _store_segment(self) -> None:
        if self.segment is not None and len(self.segment):
            write_segment(self.db, self.segment.build())
        self.segment = None

    def unchanged_places(self, records: Sequence[Record]) -> list[int]:
        """Places of the records (untagged) that add nothing to a paper stored before this add:
        the same arXiv id or normalised title, nothing richer, no field it lacks. Adding them
        changes nothing whatever their tags would be, so they need no tagging."""
        places = []
        for place, paper_id in self._prefetch(records).items():
            doc, before = self.prefetched[paper_id]
            if doc < self.first_new_doc and (
                combine(before, records[place]).with_changes(id=before.id) == before
            ):
                places.append(place)
        return places

    def _prefetch(self, records: Sequence[Record], titles: Sequence[str] = ()) -> dict[int, str]:
        """Read in one go the stored papers that `records` match exactly (arXiv id or
        normalised title, `titles` if known), so merging them needs no query each; returns
        place -> paper id. Entries are used once (see _stored) and dropped when a paper changes."""
        matched: dict[int, str] = {}
        for place, record in enumerate(records):
            title = titles[place] if titles else normalize_title(record.title)
            paper_id = self.index.find_exact(record, title)
            if paper_id is not None:
                matched[place] = paper_id
        missing = {paper_id for paper_id in matched.values() if paper_id not in self.prefetched}
        self.prefetched.update(self._read(missing))
        return matched

    def _read(self, paper_ids: set[str]) -> dict[str, tuple[int, Record]]:
        query = "SELECT id, doc, record FROM papers WHERE id IN ({})"
        return {
            paper_id: (int(doc), stored_record(text))
            for paper_id, doc, text in rows_in(self.db, query, list(paper_ids))
        }

    def add(self, records: Sequence[Record], postings: PostingsPart | None = None) -> None:
        """Merge one batch: insert, update, and index what changed. `postings`, when given,
        are the batch's (papertriage.library.index.PostingsPart): new papers are not tokenised again."""
        db = self.db
        changed: dict[str, tuple[int, Record]] = {}  # paper id -> (number, record as stored)
        fresh: dict[str, int] = {}  # new papers stored as they came -> their place in the batch
        inserts: dict[str, tuple[str, str | None, str, str, str, int]] = {}  # one batch write
        sources: list[tuple[str, str, int, str]] = []
        titles = [normalize_title(record.title) for record in records]
        self._prefetch(records, titles)
        for place, (record, title) in enumerate(zip(records, titles, strict=True)):
            original_id = record.id
            match = self.index.find(record, title)
            if match is None:
                paper_id = record.id
                if paper_id in self.ids:  # the same id for a different title: keep both
                    paper_id = f"{record.id}-{len(self.ids)}"
                    record = record.with_changes(id=paper_id)
                doc, self.next_doc = self.next_doc, self.next_doc + 1
                inserts[paper_id] = (
                    paper_id,
                    record.arxiv_id,
                    title,
                    record_json(record),
                    self.when,
                    doc,
                )
                changed[paper_id] = (doc, record)
                fresh[paper_id] = place
                self.ids.add(paper_id)
                self.index.add_keys(paper_id, title, record.arxiv_id)
                self.new += 1
            else:
                paper_id = match
                doc, before = changed.get(paper_id) or self._stored(paper_id)
                merged = combine(before, record).with_changes(id=before.id)  # ids never change
                merged = corrected(merged, self.corrections.get(paper_id, {}))
                if merged != before:
                    merged_title = normalize_title(merged.title)
                    if paper_id in inserts:  # new in this very batch: not in the table yet
                        row = (merged.arxiv_id, merged_title, record_json(merged), self.when)
                        inserts[paper_id] = (paper_id, *row, doc)
                    else:
                        db.execute(
                            "UPDATE papers SET arxiv_id = ?, norm_title = ?, record = ? "
                            "WHERE id = ?",
                            (merged.arxiv_id, merged_title, record_json(merged), paper_id),
                        )
                        if doc < self.first_new_doc:  # not new in this add
                            self.updated += 1
                    changed[paper_id] = (doc, merged)
                    self.prefetched.pop(paper_id, None)  # no longer what is stored
                    fresh.pop(paper_id, None)  # its text changed: tokenised afresh
                    self.index.add_keys(paper_id, merged_title, merged.arxiv_id)
                else:
                    self.unchanged += 1
            sources.append((paper_id, record.source, record.position, self.when))
            self.stored_ids[original_id] = paper_id
            self.done += 1
            if self.progress is not None and self.done % 1000 == 0:
                self.progress(self.done)
        db.executemany(
            "INSERT INTO papers (id, arxiv_id, norm_title, record, first_seen, doc) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            inserts.values(),
        )
        db.executemany(
            "INSERT OR IGNORE INTO sources (paper_id, source, position, added) VALUES (?, ?, ?, ?)",
            sources,
        )
        if changed:
            self._index(records, changed, fresh if postings is not None else {}, postings)

    def _index(
        self,
        records: Sequence[Record],
        changed: dict[str, tuple[int, Record]],
        fresh: dict[str, int],
        postings: PostingsPart | None,
    ) -> None:
        from papertriage.library.index import SegmentBuilder

        docs = [doc for doc, _ in changed.values()]
        if self.segment is not None and not self.segment.numbers.isdisjoint(docs):
            self._store_segment()  # a paper changed twice: its newer postings in a newer segment
        if self.segment is None:
            self.segment = SegmentBuilder(self.topics)
        if postings is not None and fresh:
            # The stored record may carry a new id, never a new text: the batch's postings hold.
            places = list(fresh.values())
            stored = [changed[paper_id][1] for paper_id in fresh]
            by_place = dict(zip(places, stored, strict=True))
            self.segment.add_part(
                postings,
                [by_place.get(place, record) for place, record in enumerate(records)],
                places,
                [changed[paper_id][0] for paper_id in fresh],
            )
        rest = [entry for paper_id, entry in changed.items() if paper_id not in fresh]
        if rest:
            self.segment.add([record for _, record in rest], [doc for doc, _ in rest])
        if len(self.segment) >= SEGMENT_PAPERS:
            self._store_segment()

    def _stored(self, paper_id: str) -> tuple[int, Record]:
        if paper_id in self.prefetched:
            return self.prefetched.pop(paper_id)
        row = self.db.execute("SELECT doc, record FROM papers WHERE id = ?", (paper_id,)).fetchone()
        return int(row[0]), stored_record(row[1])
