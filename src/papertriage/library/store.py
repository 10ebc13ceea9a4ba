"""The local library: papers from every listing added, with reading state, in one SQLite file.

The only module that imports sqlite3: it opens the connection, and `Library` is the face of the
library for the rest of papertriage, which hands the connection to the modules that do the work:
migrations (the schema's history), adding (the add pipeline), segments (the stored search
index), reading (status, stars, notes) and answers (screening). Writes are transactions in WAL
mode, so a crash or Ctrl-C in the middle of `add` leaves the library as it was, and two processes
adding at once wait for each other (busy timeout) instead of failing. A file that is not a
papertriage library is never written to.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from papertriage.errors import InputError, UsageError
from papertriage.library import answers, corrections, reading, segments
from papertriage.library.adding import Adding, AddResult
from papertriage.library.answers import ScreenState, check_answer
from papertriage.library.migrations import MIGRATIONS, migrate, schema_version
from papertriage.library.reading import STATUSES, ReadingState, check_note, check_status
from papertriage.library.sql import (
    index_is_current,
    index_topics,
    meta,
    record_json,
    rows_in,
    set_meta,
    stored_record,
    transaction,
)
from papertriage.library.sql import now as current_time
from papertriage.listings.merge import MergeIndex
from papertriage.models import Record, split_arxiv_id

__all__ = [  # what the rest of papertriage imports from here
    "MIGRATIONS",
    "STATUSES",
    "AddResult",
    "Entry",
    "Library",
    "LibraryError",
    "ReadingState",
    "ScreenState",
    "default_library_path",
]

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 60_000
CACHE_KIB = 65_536


class LibraryError(InputError):
    """The library file cannot be used."""


@dataclass(frozen=True)
class Entry:
    """A paper in the library with its reading state."""

    record: Record
    first_seen: str
    status: str | None
    starred: bool
    sources: list[tuple[str, int, str]] = field(default_factory=list)  # (source, position, added)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (created, text)
    corrections: dict[str, bool] = field(default_factory=dict)  # topic -> fits, as the reader said


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
        found = schema_version(db)
        if found > len(MIGRATIONS):
            raise LibraryError(
                f"{self.path}: the library has schema version {found}, newer than this "
                f"papertriage knows ({len(MIGRATIONS)})",
                hint="upgrade papertriage",
            )
        if found < len(MIGRATIONS):
            migrate(db)

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
    ) -> Iterator[Adding]:
        """One transaction to add batches in (`.add(records)`), for a listing too large to
        hold at once: committed when the block ends, rolled back if it raises. `status`,
        when given, becomes the reading status of every paper added that has none, in that
        transaction: a status the reader gave a paper (a skip that `rank --learned` learns
        from) is theirs, and is kept; `adding.status_kept` counts those papers."""
        check_status(status)
        db = self.connect()
        with transaction(db):  # one writer at a time; others wait (busy timeout)
            adding = Adding.start(db, now or current_time(), progress)
            yield adding
            adding.finish(taxonomy_hash)
            if status is not None:
                added = set(adding.stored_ids.values())
                others = db.execute(
                    "SELECT id FROM papers WHERE status IS NOT NULL AND status != ?", (status,)
                )
                adding.status_kept = sum(1 for (paper_id,) in others if paper_id in added)
                db.executemany(
                    "UPDATE papers SET status = ? WHERE id = ? AND status IS NULL",
                    ((status, paper_id) for paper_id in added),
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
            stored_record(row[0])
            for row in db.execute("SELECT record FROM papers ORDER BY first_seen, rowid")
        ]

    def states(self) -> dict[str, ReadingState]:
        """id -> reading state (status, starred, notes) for every paper."""
        return reading.states(self.connect()) if self.exists() else {}

    def resolve(self, wanted: str) -> str:
        """The id of the paper whose id (or arXiv id) is `wanted`, or starts with it. An arXiv id
        may come with its version, an `arXiv:` or as its page's address, as it is copied."""
        db = self.connect()
        found = split_arxiv_id(wanted)
        bare = found[0] if found else wanted
        row = db.execute(
            "SELECT id FROM papers WHERE id IN (?, ?) OR arxiv_id IN (?, ?)",
            (wanted, bare, wanted, bare),
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
        said = corrections.corrections(db, [paper_id]).get(paper_id, {})
        return Entry(stored_record(row[0]), row[1], row[2], bool(row[3]), sources, notes, said)

    def taxonomy_hash(self) -> str | None:
        """The content hash of the taxonomy the stored tags come from."""
        return meta(self.connect(), "taxonomy") if self.exists() else None

    def added_fetch(self, source: str) -> dict[str, object] | None:
        """What `fetch --add` remembered of its last fetch of `source` (for --since last)."""
        if not self.exists():
            return None
        text = meta(self.connect(), f"fetch:{source}")
        try:
            found = json.loads(text) if text else None
        except ValueError:
            return None
        return found if isinstance(found, dict) else None

    def records_since(self, first_seen: str) -> list[Record]:
        """The papers first seen at or after an ISO time, in the order first seen."""
        if not self.exists():
            return []
        rows = self.connect().execute(
            "SELECT record FROM papers WHERE first_seen >= ? ORDER BY first_seen, rowid",
            (first_seen,),
        )
        return [stored_record(row[0]) for row in rows]

    def digest_seen(self) -> set[str]:
        """The keys (bare arXiv ids, else paper ids) of the papers a digest has shown."""
        if not self.exists():
            return set()
        return {row[0] for row in self.connect().execute("SELECT paper FROM digest_seen")}

    def mark_digested(self, keys: Iterable[str], *, now: str | None = None) -> None:
        """Remember papers as shown by a digest (one transaction)."""
        db = self.connect()
        when = now or current_time()
        with transaction(db):
            db.executemany(
                "INSERT OR IGNORE INTO digest_seen (paper, shown) VALUES (?, ?)",
                [(key, when) for key in keys],
            )

    def remember_added_fetch(self, source: str, memory: Mapping[str, object]) -> None:
        db = self.connect()
        with transaction(db):
            set_meta(db, f"fetch:{source}", json.dumps(dict(memory)))

    def set_tags(self, records: Sequence[Record], taxonomy_hash: str) -> int:
        """Store new tags for papers already in the library (one transaction); the count."""
        db = self.connect()
        with transaction(db):
            known = corrections.corrections(db)  # the reader's word outlives every re-tagging
            records = [corrections.corrected(r, known.get(r.id, {})) for r in records]
            db.executemany(
                "UPDATE papers SET record = ? WHERE id = ?",
                ((record_json(record), record.id) for record in records),
            )
            segments.retag_segments(db, {record.id: record.tags for record in records})
            set_meta(db, "taxonomy", taxonomy_hash)
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
        """Whether every paper is indexed, in this papertriage's tokens (a library made before the
        index, or indexed with other tokens, is not)."""
        if not self.exists():
            return True
        return index_is_current(self.connect())

    def reindex(self, progress: Callable[[int], None] | None = None) -> None:
        """Index every paper afresh (one transaction), segments.INDEX_BATCH papers at a time."""
        segments.reindex(self.connect(), progress)

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
        return index_topics(self.connect())

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
            rows_in(self.connect(), "SELECT doc, record FROM papers WHERE doc IN ({})", docs)
        )
        return [stored_record(found[doc]) for doc in docs]

    def records_in_order(self, docs: Iterable[int]) -> list[Record]:
        """The records of papers numbered `docs`, in the order `records` lists them."""
        query = "SELECT first_seen, rowid, record FROM papers WHERE doc IN ({})"
        rows = sorted(rows_in(self.connect(), query, list(docs)))
        return [stored_record(text) for _, _, text in rows]

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
        check_status(status)
        return reading.mark(self.connect(), paper_ids, status, starred)

    def correct(
        self, paper_ids: Iterable[str], *, tag: Iterable[str] = (), untag: Iterable[str] = ()
    ) -> dict[str, Record]:
        """Say that topics do (`tag`) or do not (`untag`) fit papers; kept over every later
        tagging (papertriage.library.corrections). The papers as now stored."""
        return corrections.correct(self.connect(), paper_ids, tag, untag)

    def forget(self, paper_ids: Iterable[str], topics: Iterable[str]) -> int:
        """Take back corrections of `topics` on papers (see corrections.forget); the count."""
        return corrections.forget(self.connect(), list(paper_ids), list(topics))

    def corrections(self, paper_ids: Iterable[str] | None = None) -> dict[str, dict[str, bool]]:
        """paper id -> topic -> whether it fits, as the reader said (of these papers, or of
        all)."""
        return corrections.corrections(self.connect(), paper_ids) if self.exists() else {}

    def restore_state(self, states: Mapping[str, tuple[str | None, bool, Sequence[str]]]) -> None:
        """Status, star and notes for papers (ReadingStates, or such tuples from an export), in
        one transaction; notes the paper already has are not added twice."""
        reading.restore(self.connect(), states)

    def note(self, paper_id: str, text: str, *, now: str | None = None) -> None:
        check_note(text)
        reading.note(self.connect(), paper_id, text, now)

    # -- screening ---------------------------------------------------------------------------

    def screen_answers(self) -> dict[str, str]:
        """paper id -> the answer `screen` recorded for it (relevant, skip or later)."""
        return answers.answers(self.connect()) if self.exists() else {}

    def screen(self, paper_id: str, answer: str, *, now: str | None = None) -> ScreenState:
        """Record a screening answer in one transaction: relevant stars the paper (and makes it
        to-read when it has no status), skip sets status skip, later only remembers it.
        Returns the state before, for `unscreen`."""
        check_answer(answer)
        return answers.screen(self.connect(), paper_id, answer, now)

    def unscreen(self, paper_id: str, before: ScreenState) -> None:
        """Put a paper back as it was before a screening answer (one transaction)."""
        answers.unscreen(self.connect(), paper_id, before)


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


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def default_library_path(environ: dict[str, str], data_dir: Path) -> Path:
    """$PAPERTRIAGE_DB, else library.sqlite3 in the user data directory."""
    chosen = environ.get("PAPERTRIAGE_DB")
    return Path(chosen) if chosen else data_dir / "library.sqlite3"
