"""What the library's modules share to speak SQL: the connection they are given, transactions,
the `meta` table, chunked `IN (...)` queries, and a record as stored.

papertriage.library.store opens the connection (an sqlite3.Connection, in autocommit mode so
that transactions are explicit) and is the only module that imports sqlite3; the other modules
take it as a `Database`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from papertriage.models import Record
from papertriage.tokens import TOKENS_VERSION


class Cursor(Protocol):
    """The rows of a statement (an sqlite3.Cursor)."""

    @property
    def lastrowid(self) -> int | None: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchmany(self, size: int = ...) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Database(Protocol):
    """The library's connection, as papertriage.library.store opens it (an sqlite3.Connection)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...
    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor: ...


class transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (Ctrl-C included)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")


def set_meta(db: Database, key: str, value: str) -> None:
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def meta(db: Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None


def version(db: Database) -> int:
    """The library's content version: bumped by every add that changes a paper."""
    return int(meta(db, "version") or 0)


def index_is_current(db: Database) -> bool:
    """Whether the search index holds every paper as this papertriage tokenises it (a library
    indexed with other tokens, or made before it had an index, is indexed again)."""
    current = int(meta(db, "indexed") or 0) == version(db)
    return current and meta(db, "index_tokens") == str(TOKENS_VERSION)


def mark_indexed(db: Database) -> None:
    """Record that the search index holds every paper of this version, in these tokens."""
    set_meta(db, "indexed", str(version(db)))
    set_meta(db, "index_tokens", str(TOKENS_VERSION))


def bump_version(db: Database) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('version', '1') ON CONFLICT (key) "
        "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )


def index_topics(db: Database) -> list[str]:
    """The topics of the search index's topic bits, in bit order."""
    return list(json.loads(meta(db, "index_topics") or "[]"))


IN_CHUNK = 500  # values per "IN (...)" query, well under SQLite's limit on bound variables


def rows_in(db: Database, query: str, values: Sequence[object]) -> Iterator[tuple[Any, ...]]:
    """The rows of `query`, whose one "IN ({})" is given `values`, a chunk of them at a time."""
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        yield from db.execute(query.format(",".join("?" * len(chunk))), chunk)


def record_json(record: Record) -> str:
    """A record as the `papers` table stores it."""
    return json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True)


def stored_record(text: str) -> Record:
    """A record as the `papers` table stores it, read back (record_json's inverse)."""
    return Record.from_dict(json.loads(text))


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
