"""The library's schema history: a list of named steps, applied in order.

The n-th step takes a library from schema version n - 1 to n (`PRAGMA user_version`). Append a
step with `@migration` at the end of this file; never edit or reorder one that has shipped, since
libraries on disk were made by it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from papertriage.library.sql import transaction

if TYPE_CHECKING:
    from papertriage.library.sql import Database

Migration = Callable[["Database"], None]
MIGRATIONS: list[Migration] = []


def migration(step: Migration) -> Migration:
    """Append `step` to MIGRATIONS: the next schema version."""
    MIGRATIONS.append(step)
    return step


def schema_version(db: Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: Database) -> None:
    """Apply the steps the library lacks, in one transaction."""
    with transaction(db):
        version = schema_version(db)  # another process may have migrated meanwhile
        for step in MIGRATIONS[version:]:
            step(db)
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")


def run_script(db: Database, script: str) -> None:
    # Statement by statement: executescript() would commit the surrounding transaction.
    for statement in script.split(";"):
        lines = [line.split("--")[0] for line in statement.splitlines()]
        if "".join(lines).strip():
            db.execute("\n".join(lines))


@migration
def m001_papers_sources_notes(db: Database) -> None:
    run_script(
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


@migration
def m002_meta(db: Database) -> None:
    # Settings of the library as a whole, e.g. the hash of the taxonomy its tags come from.
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migration
def m003_search_index(db: Database) -> None:
    # The search index (papertriage.library.index): papers get numbers of their own, which VACUUM
    # cannot renumber as it may rowids; a segment of postings per add. A library from before
    # has no segments yet: it is indexed on first search ("indexed" in meta lags "version").
    run_script(
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


@migration
def m004_screening(db: Database) -> None:
    # The answers of `screen`: relevant, skip or later, so a screening resumes where it stopped
    # ("later" changes no reading state, so only this table remembers it).
    db.execute(
        "CREATE TABLE screening (paper_id TEXT PRIMARY KEY REFERENCES papers (id), "
        "answer TEXT NOT NULL, answered TEXT NOT NULL)"
    )


@migration
def m005_corrections(db: Database) -> None:
    # Tags the reader corrected (`mark --tag/--untag`): a topic that does (fits 1) or does not
    # (fits 0) apply to a paper, laid over the tagger's tags whenever they are stored.
    db.execute(
        "CREATE TABLE corrections (paper_id TEXT NOT NULL REFERENCES papers (id), "
        "topic TEXT NOT NULL, fits INTEGER NOT NULL, corrected TEXT NOT NULL, "
        "PRIMARY KEY (paper_id, topic))"
    )


@migration
def m006_digest_seen(db: Database) -> None:
    # The papers `digest` has shown, by bare arXiv id (else paper id), so that a new version or
    # a cross-listing of a paper is not news twice.
    db.execute("CREATE TABLE digest_seen (paper TEXT PRIMARY KEY, shown TEXT NOT NULL)")
