"""The local library: papers from every listing added, with reading state, in one SQLite file.

The only module that imports sqlite3. Writes are transactions in WAL mode, so a crash or Ctrl-C in
the middle of `add` leaves the library as it was, and two processes adding at once wait for each
other (busy timeout) instead of failing. The schema has a version and a list of migrations; a file
that is not a papertriage library is never written to.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from papertriage.errors import InputError, UsageError
from papertriage.listings.merge import MergeIndex, combine
from papertriage.models import Record, normalize_title

if TYPE_CHECKING:
    from papertriage.library.index import PostingsPart, Segment, SegmentBuilder

SQLITE_HEADER = b"SQLite format 3\x00"
STATUSES = ("to-read", "reading", "read", "skip")
BUSY_TIMEOUT_MS = 60_000
CACHE_KIB = 65_536


class LibraryError(InputError):
    """The library file cannot be used."""


def _migration_1(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        """
        CREATE TABLE papers (
            id TEXT PRIMARY KEY,
            arxiv_id TEXT,
            norm_title TEXT NOT NULL,
            record TEXT NOT NULL,          -- the record's JSON (schema of the README)
            first_seen TEXT NOT NULL,
            status TEXT,
            starred INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX papers_arxiv ON papers (arxiv_id);
        CREATE INDEX papers_title ON papers (norm_title);
        CREATE TABLE sources (
            paper_id TEXT NOT NULL REFERENCES papers (id),
            source TEXT NOT NULL,
            position INTEGER NOT NULL,
            added TEXT NOT NULL,
            PRIMARY KEY (paper_id, source)
        );
        CREATE TABLE notes (
            paper_id TEXT NOT NULL REFERENCES papers (id),
            created TEXT NOT NULL,
            text TEXT NOT NULL
        );
        """,
    )


def _run_script(db: sqlite3.Connection, script: str) -> None:
    # Statement by statement: executescript() would commit the surrounding transaction.
    for statement in script.split(";"):
        lines = [line.split("--")[0] for line in statement.splitlines()]
        if "".join(lines).strip():
            db.execute("\n".join(lines))


def _migration_2(db: sqlite3.Connection) -> None:
    # Settings of the library as a whole, e.g. the hash of the taxonomy its tags come from.
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def _migration_3(db: sqlite3.Connection) -> None:
    # The search index (papertriage.library.index): papers get numbers of their own, which VACUUM
    # cannot renumber as it may rowids; a segment of postings per add. A library from before
    # has no segments yet: it is indexed on first search ("indexed" in meta lags "version").
    _run_script(
        db,
        """
        ALTER TABLE papers ADD COLUMN doc INTEGER;
        UPDATE papers SET doc = rowid;
        CREATE UNIQUE INDEX papers_doc ON papers (doc);
        CREATE TABLE segments (
            id INTEGER PRIMARY KEY,
            docs BLOB NOT NULL,            -- int32 paper numbers
            lengths BLOB NOT NULL,         -- float32 weighted lengths, one per paper
            tags BLOB NOT NULL,            -- topic bits, `width` bytes per paper
            width INTEGER NOT NULL
        );
        CREATE TABLE postings (
            segment INTEGER NOT NULL REFERENCES segments (id),
            term TEXT NOT NULL,
            docs BLOB NOT NULL,            -- int32 paper numbers
            tf BLOB NOT NULL               -- uint16 term frequency * 2 + in the title
        );
        CREATE INDEX postings_term ON postings (term, segment);
        """,
    )


def _migration_4(db: sqlite3.Connection) -> None:
    # The answers of `screen`: relevant, skip or later, so a screening resumes where it stopped
    # ("later" changes no reading state, so only this table remembers it).
    db.execute(
        "CREATE TABLE screening (paper_id TEXT PRIMARY KEY REFERENCES papers (id), "
        "answer TEXT NOT NULL, answered TEXT NOT NULL)"
    )


# Each migration takes the schema from version i to i + 1; append, never edit.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
]
MAX_SEGMENTS = 12  # more segments than this after an add: all but the largest are merged
INDEX_BATCH = 50_000  # papers indexed at a time when a whole library is (re)indexed
SEGMENT_PAPERS = 100_000  # an add stores a segment each time this many papers wait in it
SCREEN_ANSWERS = ("relevant", "skip", "later")


@dataclass(frozen=True)
class AddResult:
    new: int
    updated: int
    unchanged: int
    stored_ids: dict[str, str] = field(default_factory=dict)  # record id -> id in the library


@dataclass(frozen=True)
class Entry:
    """A paper in the library with its reading state."""

    record: Record
    first_seen: str
    status: str | None
    starred: bool
    sources: list[tuple[str, int, str]] = field(default_factory=list)  # (source, position, added)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (created, text)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Library:
    """A papertriage library at `path` (created on first write)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None

    # -- opening -----------------------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.is_file()

    def _check_file(self) -> None:
        if self.path.is_dir():
            raise LibraryError(
                f"{self.path}: is a directory, not a library", hint="give a file path with --db"
            )
        if self.path.is_file() and self.path.stat().st_size:
            with self.path.open("rb") as handle:
                if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                    raise LibraryError(
                        f"{self.path}: not a papertriage library (not an SQLite file)",
                        hint="it was left untouched; point --db or $PAPERTRIAGE_DB elsewhere",
                    )

    def connect(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        self._check_file()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _use_wal(db)
            # 64 MB of page cache (the default is 2 MB): adding a large listing updates indexes
            # keyed by random ids, which otherwise reread the same pages over and over.
            db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            db.execute("PRAGMA foreign_keys = ON")
            self._migrate(db)
        except sqlite3.DatabaseError as error:
            raise LibraryError(
                f"{self.path}: cannot open the library: {error}",
                hint="it was left untouched; restore it from a backup",
            ) from None
        self._db = db
        # Closed at exit even if the garbage collector never reaches this object (a large add
        # freezes it, see papertriage.topics.parallel): an unclosed connection leaves its write-ahead
        # log behind, and the next process to open the library must replay all of it.
        self._closer = weakref.finalize(self, db.close)
        return db

    def _migrate(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise LibraryError(
                f"{self.path}: the library has schema version {version}, newer than this "
                f"papertriage knows ({len(MIGRATIONS)})",
                hint="upgrade papertriage",
            )
        if version == len(MIGRATIONS):
            return
        with _transaction(db):
            version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may
            for number in range(version, len(MIGRATIONS)):  # have migrated meanwhile
                MIGRATIONS[number](db)
            db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")

    def close(self) -> None:
        if self._db is not None:
            self._closer()
            self._db = None

    # -- adding ------------------------------------------------------------------------------

    def add(
        self,
        records: Sequence[Record],
        *,
        now: str | None = None,
        taxonomy_hash: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> AddResult:
        """Merge records into the library in one transaction: all of them, or none.
        `progress` is called with the number of records done, every thousand and at the end."""
        return self.add_batches([records], now=now, taxonomy_hash=taxonomy_hash, progress=progress)

    def add_batches(
        self,
        batches: Iterable[Sequence[Record]],
        *,
        now: str | None = None,
        taxonomy_hash: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> AddResult:
        """`add` for records that arrive a batch at a time (see `adding`)."""
        with self.adding(now=now, taxonomy_hash=taxonomy_hash, progress=progress) as adding:
            for batch in batches:
                adding.add(batch)
        return adding.result()

    @contextlib.contextmanager
    def adding(
        self,
        *,
        now: str | None = None,
        taxonomy_hash: str | None = None,
        progress: Callable[[int], None] | None = None,
        status: str | None = None,
    ) -> Iterator[_Adding]:
        """One transaction to add batches in (`.add(records)`), for a listing too large to
        hold at once: committed when the block ends, rolled back if it raises. `status`,
        when given, becomes the reading status of every paper added, in that transaction."""
        if status is not None and status not in STATUSES:
            raise UsageError(f"unknown status {status!r}", hint=f"one of {', '.join(STATUSES)}")
        db = self.connect()
        with _transaction(db):  # one writer at a time; others wait (busy timeout)
            adding = _Adding.start(db, now or _now(), progress)
            yield adding
            adding.finish(taxonomy_hash)
            if status is not None:
                db.executemany(
                    "UPDATE papers SET status = ? WHERE id = ?",
                    ((status, paper_id) for paper_id in set(adding.stored_ids.values())),
                )
        # Fold the write-ahead log into the library and empty it: after a large add it holds
        # gigabytes that every new connection would otherwise have to read through once.
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- reading -----------------------------------------------------------------------------

    def records(self) -> list[Record]:
        """Every paper, in the order first seen (then id)."""
        if not self.exists():
            return []
        db = self.connect()
        return [
            Record.from_dict(json.loads(row[0]))
            for row in db.execute("SELECT record FROM papers ORDER BY first_seen, rowid")
        ]

    def states(self) -> dict[str, tuple[str | None, bool, tuple[str, ...]]]:
        """id -> (status, starred, notes) for every paper."""
        if not self.exists():
            return {}
        db = self.connect()
        notes: dict[str, list[str]] = {}
        for paper_id, text in db.execute("SELECT paper_id, text FROM notes ORDER BY rowid"):
            notes.setdefault(paper_id, []).append(text)
        return {
            paper_id: (status, bool(starred), tuple(notes.get(paper_id, ())))
            for paper_id, status, starred in db.execute("SELECT id, status, starred FROM papers")
        }

    def resolve(self, wanted: str) -> str:
        """The id of the paper whose id (or arXiv id) is `wanted`, or starts with it."""
        db = self.connect()
        row = db.execute(
            "SELECT id FROM papers WHERE id = ? OR arxiv_id = ?", (wanted, wanted)
        ).fetchone()
        if row:
            return str(row[0])
        rows = db.execute(
            "SELECT id FROM papers WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 6",
            (_like_prefix(wanted),),
        ).fetchall()
        if len(rows) == 1:
            return str(rows[0][0])
        if not rows:
            raise UsageError(
                f"no paper with id {wanted!r} in the library", hint="`papertriage search` shows ids"
            )
        raise UsageError(
            f"{wanted!r} is the start of several ids",
            hint="give more characters: " + ", ".join(r[0] for r in rows),
        )

    def entry(self, paper_id: str) -> Entry:
        db = self.connect()
        row = db.execute(
            "SELECT record, first_seen, status, starred FROM papers WHERE id = ?", (paper_id,)
        ).fetchone()
        if row is None:
            raise UsageError(f"no paper with id {paper_id!r} in the library")
        sources = [
            tuple(r)
            for r in db.execute(
                "SELECT source, position, added FROM sources WHERE paper_id = ? ORDER BY added, "
                "source",
                (paper_id,),
            )
        ]
        notes = [
            tuple(r)
            for r in db.execute(
                "SELECT created, text FROM notes WHERE paper_id = ? ORDER BY rowid", (paper_id,)
            )
        ]
        return Entry(
            Record.from_dict(json.loads(row[0])), row[1], row[2], bool(row[3]), sources, notes
        )  # type: ignore[arg-type]

    def taxonomy_hash(self) -> str | None:
        """The content hash of the taxonomy the stored tags come from."""
        return _meta(self.connect(), "taxonomy") if self.exists() else None

    def set_tags(self, records: Sequence[Record], taxonomy_hash: str) -> int:
        """Store new tags for papers already in the library (one transaction); the count."""
        db = self.connect()
        with _transaction(db):
            db.executemany(
                "UPDATE papers SET record = ? WHERE id = ?",
                ((_json(record), record.id) for record in records),
            )
            _retag_segments(db, {record.id: record.tags for record in records})
            _set_meta(db, "taxonomy", taxonomy_hash)
        return len(records)

    def unknown(self, records: Sequence[Record]) -> list[Record]:
        """The records the library does not have yet (by the same rules as `add` merges)."""
        if not self.exists():
            return list(records)
        index = MergeIndex()
        for paper_id, arxiv_id, title in self.connect().execute(
            "SELECT id, arxiv_id, norm_title FROM papers"
        ):
            index.add_keys(paper_id, title, arxiv_id)
        return [record for record in records if index.find(record) is None]

    def is_empty(self) -> bool:
        if not self.path.exists():  # (a directory there is an error, which connect reports)
            return True
        return self.connect().execute("SELECT 1 FROM papers LIMIT 1").fetchone() is None

    def count(self) -> int:
        if not self.exists():
            return 0
        return int(self.connect().execute("SELECT count(*) FROM papers").fetchone()[0])

    # -- the search index (rows for papertriage.library.index) ------------------------------------

    def index_is_current(self) -> bool:
        """Whether every paper is indexed (a library made before the index was not, at first)."""
        if not self.exists():
            return True
        db = self.connect()
        return int(_meta(db, "indexed") or 0) == _version(db)

    def reindex(self, progress: Callable[[int], None] | None = None) -> None:
        """Index every paper afresh (one transaction), INDEX_BATCH papers to a segment."""
        from papertriage.library.index import SegmentBuilder

        db = self.connect()
        with _transaction(db):
            db.execute("DELETE FROM postings")
            db.execute("DELETE FROM segments")
            topics: list[str] = []
            builder, done = SegmentBuilder(topics), 0
            rows = db.execute("SELECT doc, record FROM papers ORDER BY doc")
            while batch := rows.fetchmany(INDEX_BATCH):
                records = [Record.from_dict(json.loads(text)) for _, text in batch]
                builder.add(records, [doc for doc, _ in batch])
                if len(builder) >= SEGMENT_PAPERS:
                    _write_segment(db, builder.build())
                    builder = SegmentBuilder(topics)
                done += len(batch)
                if progress is not None:
                    progress(done)
            if len(builder):
                _write_segment(db, builder.build())
            _set_meta(db, "index_topics", json.dumps(topics))
            _set_meta(db, "indexed", str(_version(db)))

    def segment_rows(self) -> list[tuple[int, bytes, bytes, bytes, int]]:
        return (
            self.connect()
            .execute("SELECT id, docs, lengths, tags, width FROM segments ORDER BY id")
            .fetchall()
        )

    def posting_rows(self, term: str) -> list[tuple[int, bytes, bytes]]:
        return (
            self.connect()
            .execute(
                "SELECT segment, docs, tf FROM postings WHERE term = ? ORDER BY segment", (term,)
            )
            .fetchall()
        )

    def index_topics(self) -> list[str]:
        return _index_topics(self.connect())

    def has_term(self, term: str) -> bool:
        found = self.connect().execute("SELECT 1 FROM postings WHERE term = ? LIMIT 1", (term,))
        return found.fetchone() is not None

    def terms_like(self, first: str, shortest: int, longest: int) -> list[str]:
        """Indexed terms that start with `first` and are `shortest` to `longest` long."""
        rows = self.connect().execute(
            "SELECT DISTINCT term FROM postings WHERE term >= ? AND term < ? "
            "AND length(term) BETWEEN ? AND ?",
            (first, first + "\U0010ffff", shortest, longest),
        )
        return [row[0] for row in rows]

    def records_by_doc(self, docs: list[int]) -> list[Record]:
        """The records of papers numbered `docs`, in that order."""
        found = dict(
            _rows_in(self.connect(), "SELECT doc, record FROM papers WHERE doc IN ({})", docs)
        )
        return [Record.from_dict(json.loads(found[doc])) for doc in docs]

    def records_in_order(self, docs: Iterable[int]) -> list[Record]:
        """The records of papers numbered `docs`, in the order `records` lists them."""
        query = "SELECT first_seen, rowid, record FROM papers WHERE doc IN ({})"
        rows = sorted(_rows_in(self.connect(), query, list(docs)))
        return [Record.from_dict(json.loads(text)) for _, _, text in rows]

    def docs_in_state(self, statuses: Sequence[str], starred: bool) -> list[int]:
        """Numbers of the papers with one of `statuses` (any, if none) and starred if asked."""
        where, values = [], list(statuses)
        if statuses:
            where.append(f"status IN ({','.join('?' * len(statuses))})")
        if starred:
            where.append("starred = 1")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return [row[0] for row in self.connect().execute(f"SELECT doc FROM papers{clause}", values)]

    def backup(self, target: str | os.PathLike[str], *, force: bool = False) -> None:
        """A consistent copy of the library (SQLite's online backup), written atomically."""
        from papertriage.errors import OutputError

        destination = Path(target)
        if destination.exists() and not force:
            raise OutputError(f"{destination}: already exists", hint="use --force to replace it")
        if not self.exists():
            raise LibraryError(f"{self.path}: there is no library yet", hint="add a listing first")
        temporary = destination.with_name(f".{destination.name}.tmp")
        try:
            copy = sqlite3.connect(temporary)
            with copy:
                self.connect().backup(copy)
            copy.close()
            os.replace(temporary, destination)
        except (OSError, sqlite3.Error) as error:
            if temporary.exists():
                temporary.unlink()
            raise OutputError(f"{destination}: cannot write the backup: {error}") from None

    # -- triage state ------------------------------------------------------------------------

    def mark(
        self, paper_ids: Iterable[str], *, status: str | None = None, starred: bool | None = None
    ) -> int:
        if status is not None and status not in STATUSES:
            raise UsageError(f"unknown status {status!r}", hint=f"one of {', '.join(STATUSES)}")
        db = self.connect()
        ids = list(paper_ids)
        with _transaction(db):
            for paper_id in ids:
                if status is not None:
                    db.execute("UPDATE papers SET status = ? WHERE id = ?", (status, paper_id))
                if starred is not None:
                    db.execute(
                        "UPDATE papers SET starred = ? WHERE id = ?", (int(starred), paper_id)
                    )
        return len(ids)

    def restore_state(self, states: dict[str, tuple[str | None, bool, list[str]]]) -> None:
        """Status, star and notes for papers (from an export), in one transaction; notes the
        paper already has are not added twice."""
        db = self.connect()
        with _transaction(db):
            for paper_id, (status, starred, notes) in states.items():
                if status in STATUSES:
                    db.execute("UPDATE papers SET status = ? WHERE id = ?", (status, paper_id))
                if starred:
                    db.execute("UPDATE papers SET starred = 1 WHERE id = ?", (paper_id,))
                known = {
                    row[0]
                    for row in db.execute("SELECT text FROM notes WHERE paper_id = ?", (paper_id,))
                }
                for text in notes:
                    if text not in known:
                        db.execute(
                            "INSERT INTO notes (paper_id, created, text) VALUES (?, ?, ?)",
                            (paper_id, _now(), text),
                        )

    def note(self, paper_id: str, text: str, *, now: str | None = None) -> None:
        if not text.strip():
            raise UsageError("the note is empty", hint='e.g. papertriage note ID "read section 3"')
        db = self.connect()
        with _transaction(db):
            db.execute(
                "INSERT INTO notes (paper_id, created, text) VALUES (?, ?, ?)",
                (paper_id, now or _now(), text.strip()),
            )

    # -- screening ---------------------------------------------------------------------------

    def screen_answers(self) -> dict[str, str]:
        """paper id -> the answer `screen` recorded for it (relevant, skip or later)."""
        if not self.exists():
            return {}
        return dict(self.connect().execute("SELECT paper_id, answer FROM screening"))

    def screen(self, paper_id: str, answer: str, *, now: str | None = None) -> ScreenState:
        """Record a screening answer in one transaction: relevant stars the paper (and makes it
        to-read when it has no status), skip sets status skip, later only remembers it.
        Returns the state before, for `unscreen`."""
        if answer not in SCREEN_ANSWERS:
            raise UsageError(f"unknown answer {answer!r}", hint=f"one of {SCREEN_ANSWERS}")
        db = self.connect()
        with _transaction(db):
            before = self._screen_state(db, paper_id)
            if answer == "relevant":
                db.execute(
                    "UPDATE papers SET starred = 1, status = COALESCE(status, 'to-read') "
                    "WHERE id = ?",
                    (paper_id,),
                )
            elif answer == "skip":
                db.execute("UPDATE papers SET status = 'skip' WHERE id = ?", (paper_id,))
            db.execute(
                "INSERT OR REPLACE INTO screening (paper_id, answer, answered) VALUES (?, ?, ?)",
                (paper_id, answer, now or _now()),
            )
        return before

    def unscreen(self, paper_id: str, before: ScreenState) -> None:
        """Put a paper back as it was before a screening answer (one transaction)."""
        db = self.connect()
        with _transaction(db):
            db.execute(
                "UPDATE papers SET status = ?, starred = ? WHERE id = ?",
                (before.status, int(before.starred), paper_id),
            )
            if before.answer is None:
                db.execute("DELETE FROM screening WHERE paper_id = ?", (paper_id,))
            else:
                db.execute(
                    "UPDATE screening SET answer = ?, answered = ? WHERE paper_id = ?",
                    (before.answer, before.answered, paper_id),
                )

    @staticmethod
    def _screen_state(db: sqlite3.Connection, paper_id: str) -> ScreenState:
        row = db.execute("SELECT status, starred FROM papers WHERE id = ?", (paper_id,)).fetchone()
        if row is None:
            raise UsageError(f"no paper with id {paper_id!r} in the library")
        answered = db.execute(
            "SELECT answer, answered FROM screening WHERE paper_id = ?", (paper_id,)
        ).fetchone()
        return ScreenState(row[0], bool(row[1]), *(answered or (None, None)))


@dataclass(frozen=True)
class ScreenState:
    """A paper's reading state and screening answer, as `unscreen` restores them."""

    status: str | None
    starred: bool
    answer: str | None
    answered: str | None


class _Adding:
    """One `add` in progress inside its transaction: what the library knows (titles and ids
    only, never every record), the papers stored so far, and their index segments."""

    def __init__(self, db: sqlite3.Connection, when: str) -> None:
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

    @classmethod
    def start(
        cls, db: sqlite3.Connection, when: str, progress: Callable[[int], None] | None
    ) -> _Adding:
        adding = cls(db, when)
        adding.progress = progress
        for paper_id, arxiv_id, title, doc in db.execute(
            "SELECT id, arxiv_id, norm_title, doc FROM papers"
        ):
            adding.index.add_keys(paper_id, title, arxiv_id)
            adding.ids.add(paper_id)
            adding.next_doc = max(adding.next_doc, doc + 1)
        adding.first_new_doc = adding.next_doc  # papers numbered from here are new in this add
        adding.topics = _index_topics(db)
        return adding

    def finish(self, taxonomy_hash: str | None) -> None:
        db = self.db
        self._store_segment()
        if self.new or self.updated:
            _bump_version(db)
        _set_meta(db, "index_topics", json.dumps(self.topics))
        _set_meta(db, "indexed", str(_version(db)))
        _merge_segments(db)
        if taxonomy_hash is not None:
            _set_meta(db, "taxonomy", taxonomy_hash)
        if self.progress is not None:
            self.progress(self.done)

    def result(self) -> AddResult:
        return AddResult(self.new, self.updated, self.unchanged, self.stored_ids)

    def _store_segment(self) -> None:
        if self.segment is not None and len(self.segment):
            _write_segment(self.db, self.segment.build())
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
            paper_id: (int(doc), Record.from_dict(json.loads(text)))
            for paper_id, doc, text in _rows_in(self.db, query, list(paper_ids))
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
                    _json(record),
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
                if merged != before:
                    merged_title = normalize_title(merged.title)
                    if paper_id in inserts:  # new in this very batch: not in the table yet
                        inserts[paper_id] = (
                            paper_id, merged.arxiv_id, merged_title, _json(merged), self.when, doc
                        )  # fmt: skip
                    else:
                        db.execute(
                            "UPDATE papers SET arxiv_id = ?, norm_title = ?, record = ? "
                            "WHERE id = ?",
                            (merged.arxiv_id, merged_title, _json(merged), paper_id),
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
        return int(row[0]), Record.from_dict(json.loads(row[1]))


def _write_segment(db: sqlite3.Connection, segment: Segment) -> None:
    row = (
        segment.docs.tobytes(),
        segment.lengths.tobytes(),
        segment.tags.tobytes(),
        segment.tags.shape[1],
    )
    _insert_segment(db, row, segment.term_rows())


def _insert_segment(
    db: sqlite3.Connection, row: tuple[bytes, bytes, bytes, int], terms: Iterable[tuple]
) -> None:
    """A segments row (docs, lengths, tags, width) and its postings rows (term, docs, tf)."""
    number = db.execute(
        "INSERT INTO segments (docs, lengths, tags, width) VALUES (?, ?, ?, ?)", row
    ).lastrowid
    db.executemany(
        "INSERT INTO postings (segment, term, docs, tf) VALUES (?, ?, ?, ?)",
        ((number, *term_row) for term_row in terms),
    )


def _merge_segments(db: sqlite3.Connection) -> None:
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
    _insert_segment(db, merged.segment, merged.terms)
    db.execute(f"DELETE FROM postings WHERE segment IN ({marks})", merged_ids)
    db.execute(f"DELETE FROM segments WHERE id IN ({marks})", merged_ids)


def _retag_segments(db: sqlite3.Connection, tags_by_id: dict[str, tuple[str, ...]]) -> None:
    """Rewrite every segment's topic bits from the papers' new tags."""
    from papertriage.library.index import segment_topic_bits

    tags_by_doc = {
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
    _set_meta(db, "index_topics", json.dumps(topics))


def _set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def _meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None


def _version(db: sqlite3.Connection) -> int:
    return int(_meta(db, "version") or 0)


def _index_topics(db: sqlite3.Connection) -> list[str]:
    return list(json.loads(_meta(db, "index_topics") or "[]"))


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch to WAL mode. Switching a new library needs it to itself, and SQLite answers
    "locked" at once rather than waiting (the busy timeout does not apply): two processes
    opening a new library together would fail, so wait here as the timeout would."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (Ctrl-C included)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")


def _bump_version(db: sqlite3.Connection) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('version', '1') ON CONFLICT (key) "
        "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )


IN_CHUNK = 500  # values per "IN (...)" query, well under SQLite's limit on bound variables


def _rows_in(db: sqlite3.Connection, query: str, values: Sequence[object]) -> Iterator[tuple]:
    """The rows of `query`, whose one "IN ({})" is given `values`, a chunk of them at a time."""
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        yield from db.execute(query.format(",".join("?" * len(chunk))), chunk)


def _json(record: Record) -> str:
    return json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True)


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def default_library_path(environ: dict[str, str], data_dir: Path) -> Path:
    """$PAPERTRIAGE_DB, else library.sqlite3 in the user data directory."""
    chosen = environ.get("PAPERTRIAGE_DB")
    return Path(chosen) if chosen else data_dir / "library.sqlite3"
