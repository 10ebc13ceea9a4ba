"""Reading state: each paper's status, star and notes, read and written in the library."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from papertriage.errors import UsageError
from papertriage.library.sql import now, transaction

if TYPE_CHECKING:
    from papertriage.library.sql import Database

STATUSES = ("to-read", "reading", "read", "skip")


class ReadingState(NamedTuple):
    """A paper's reading state; unpacks as `status, starred, notes`."""

    status: str | None
    starred: bool
    notes: tuple[str, ...]


UNREAD = ReadingState(None, False, ())  # the state of a paper nobody marked


# The checks come before the library is opened (and so perhaps created): the callers make them.


def check_status(status: str | None) -> None:
    if status is not None and status not in STATUSES:
        raise UsageError(f"unknown status {status!r}", hint=f"one of {', '.join(STATUSES)}")


def check_note(text: str) -> None:
    if not text.strip():
        raise UsageError("the note is empty", hint='e.g. papertriage note ID "read section 3"')


def states(db: Database) -> dict[str, ReadingState]:
    """id -> reading state, for every paper."""
    notes: dict[str, list[str]] = {}
    for paper_id, text in db.execute("SELECT paper_id, text FROM notes ORDER BY rowid"):
        notes.setdefault(paper_id, []).append(text)
    return {
        paper_id: ReadingState(status, bool(starred), tuple(notes.get(paper_id, ())))
        for paper_id, status, starred in db.execute("SELECT id, status, starred FROM papers")
    }


def mark(db: Database, paper_ids: Iterable[str], status: str | None, starred: bool | None) -> int:
    """Set the status (checked) and/or star of papers in one transaction; how many papers."""
    ids = list(paper_ids)
    with transaction(db):
        for paper_id in ids:
            if status is not None:
                db.execute("UPDATE papers SET status = ? WHERE id = ?", (status, paper_id))
            if starred is not None:
                db.execute("UPDATE papers SET starred = ? WHERE id = ?", (int(starred), paper_id))
    return len(ids)


def restore(db: Database, wanted: Mapping[str, tuple[str | None, bool, Sequence[str]]]) -> None:
    """Status, star and notes for papers (a ReadingState or such a tuple, from an export), in
    one transaction; notes the paper already has are not added twice."""
    with transaction(db):
        for paper_id, (status, starred, notes) in wanted.items():
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
                        (paper_id, now(), text),
                    )


def note(db: Database, paper_id: str, text: str, when: str | None = None) -> None:
    """Add a note (checked) to a paper, in one transaction."""
    with transaction(db):
        db.execute(
            "INSERT INTO notes (paper_id, created, text) VALUES (?, ?, ?)",
            (paper_id, when or now(), text.strip()),
        )
