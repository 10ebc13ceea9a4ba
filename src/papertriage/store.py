"""The local library: papers from every listing added, with reading state, in one SQLite file.

The only module that imports sqlite3. Writes are transactions in WAL mode, so a crash or Ctrl-C in
the middle of `add` leaves the library as it was, and two processes adding at once wait for each
other (busy timeout) instead of failing. The schema has a version and a list of migrations; a file
that is not a papertriage library is never written to.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from papertriage.errors import InputError, UsageError
from papertriage.merge import MergeIndex, combine
from papertriage.models import Record, normalize_title

SQLITE_HEADER = b"SQLite format 3\x00"
STATUSES = ("to-read", "reading", "read", "skip")
BUSY_TIMEOUT_MS = 60_000


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
    # The answers of `screen`: relevant, skip or later, so a screening resumes where it stopped
    # ("later" changes no reading state, so only this table remembers it).
    db.execute(
        "CREATE TABLE screening (paper_id TEXT PRIMARY KEY REFERENCES papers (id), "
        "answer TEXT NOT NULL, answered TEXT NOT NULL)"
    )


# Each migration takes the schema from version i to i + 1; append, never edit.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migration_1, _migration_2, _migration_3]

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
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA foreign_keys = ON")
            self._migrate(db)
        except sqlite3.DatabaseError as error:
            raise LibraryError(
                f"{self.path}: cannot open the library: {error}",
                hint="it was left untouched; restore it from a backup",
            ) from None
        self._db = db
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
            self._db.close()
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
        db = self.connect()
        when = now or _now()
        with _transaction(db):  # one writer at a time; others wait (busy timeout)
            result = self._add(db, records, when, progress)
            if result.new or result.updated:
                _bump_version(db)
            if taxonomy_hash is not None:
                db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('taxonomy', ?)",
                    (taxonomy_hash,),
                )
        return result

    def _add(
        self,
        db: sqlite3.Connection,
        records: Sequence[Record],
        when: str,
        progress: Callable[[int], None] | None = None,
    ) -> AddResult:
        existing = {
            row[0]: Record.from_dict(json.loads(row[1]))
            for row in db.execute("SELECT id, record FROM papers")
        }
        index = MergeIndex()
        for paper_id, record in existing.items():
            index.add(paper_id, record)
        new = updated = unchanged = 0
        stored_ids: dict[str, str] = {}
        inserts: dict[str, tuple[str, str | None, str, str, str]] = {}  # written in one batch
        sources: list[tuple[str, str, int, str]] = []
        for record in records:
            original_id = record.id
            match = index.find(record)
            if match is None:
                paper_id = record.id
                if paper_id in existing:  # the same id for a different title: keep both
                    paper_id = f"{record.id}-{len(existing)}"
                    record = record.with_changes(id=paper_id)
                inserts[paper_id] = (
                    paper_id,
                    record.arxiv_id,
                    normalize_title(record.title),
                    _json(record),
                    when,
                )
                existing[paper_id] = record
                index.add(paper_id, record)
                new += 1
            else:
                paper_id = match
                before = existing[paper_id]
                merged = combine(before, record).with_changes(id=before.id)  # ids never change
                if merged != before:
                    row = (merged.arxiv_id, normalize_title(merged.title), _json(merged))
                    if paper_id in inserts:  # new in this very batch: not in the table yet
                        inserts[paper_id] = (paper_id, row[0], row[1], row[2], when)
                    else:
                        db.execute(
                            "UPDATE papers SET arxiv_id = ?, norm_title = ?, record = ? "
                            "WHERE id = ?",
                            (*row, paper_id),
                        )
                        updated += 1
                    existing[paper_id] = merged
                    index.add(paper_id, merged)
                else:
                    unchanged += 1
            sources.append((paper_id, record.source, record.position, when))
            stored_ids[original_id] = paper_id
            if progress is not None and len(stored_ids) % 1000 == 0:
                progress(len(stored_ids))
        db.executemany(
            "INSERT INTO papers (id, arxiv_id, norm_title, record, first_seen) "
            "VALUES (?, ?, ?, ?, ?)",
            inserts.values(),
        )
        db.executemany(
            "INSERT OR IGNORE INTO sources (paper_id, source, position, added) VALUES (?, ?, ?, ?)",
            sources,
        )
        if progress is not None:
            progress(len(records))
        return AddResult(new, updated, unchanged, stored_ids)

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
        if not self.exists():
            return None
        row = self.connect().execute("SELECT value FROM meta WHERE key = 'taxonomy'").fetchone()
        return str(row[0]) if row else None

    def version(self) -> int:
        """A number that changes whenever the papers change (not their reading state)."""
        if not self.exists():
            return 0
        row = self.connect().execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        return int(row[0]) if row else 0

    def set_tags(self, records: Sequence[Record], taxonomy_hash: str) -> int:
        """Store new tags for papers already in the library (one transaction); the count."""
        db = self.connect()
        with _transaction(db):
            for record in records:
                db.execute("UPDATE papers SET record = ? WHERE id = ?", (_json(record), record.id))
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('taxonomy', ?)", (taxonomy_hash,)
            )
        return len(records)

    def unknown(self, records: Sequence[Record]) -> list[Record]:
        """The records the library does not have yet (by the same rules as `add` merges)."""
        index = MergeIndex()
        for record in self.records():
            index.add(record.id, record)
        return [record for record in records if index.find(record) is None]

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


def _json(record: Record) -> str:
    return json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True)


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def default_library_path(environ: dict[str, str], data_dir: Path) -> Path:
    """$PAPERTRIAGE_DB, else library.sqlite3 in the user data directory."""
    chosen = environ.get("PAPERTRIAGE_DB")
    return Path(chosen) if chosen else data_dir / "library.sqlite3"
