"""The answers of `screen`, kept so a screening resumes where it stopped, and undone on request.

An answer also changes the paper's reading state: relevant stars it (and makes it to-read when
it has no status), skip sets status skip, later changes nothing (only the `screening` table
remembers it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from papertriage.errors import UsageError
from papertriage.library.sql import now, transaction

if TYPE_CHECKING:
    from papertriage.library.sql import Database

SCREEN_ANSWERS = ("relevant", "skip", "later")


@dataclass(frozen=True)
class ScreenState:
    """A paper's reading state and screening answer, as `unscreen` restores them."""

    status: str | None
    starred: bool
    answer: str | None
    answered: str | None


def check_answer(answer: str) -> None:
    """(Made before the library is opened, and so perhaps created.)"""
    if answer not in SCREEN_ANSWERS:
        raise UsageError(f"unknown answer {answer!r}", hint=f"one of {SCREEN_ANSWERS}")


def answers(db: Database) -> dict[str, str]:
    """paper id -> the answer `screen` recorded for it."""
    return dict(db.execute("SELECT paper_id, answer FROM screening"))


def screen(db: Database, paper_id: str, answer: str, when: str | None = None) -> ScreenState:
    """Record a (checked) answer in one transaction; the state before, for `unscreen`."""
    with transaction(db):
        before = screen_state(db, paper_id)
        if answer == "relevant":
            db.execute(
                "UPDATE papers SET starred = 1, status = COALESCE(status, 'to-read') WHERE id = ?",
                (paper_id,),
            )
        elif answer == "skip":
            db.execute("UPDATE papers SET status = 'skip' WHERE id = ?", (paper_id,))
        db.execute(
            "INSERT OR REPLACE INTO screening (paper_id, answer, answered) VALUES (?, ?, ?)",
            (paper_id, answer, when or now()),
        )
    return before


def unscreen(db: Database, paper_id: str, before: ScreenState) -> None:
    """Put a paper back as it was before a screening answer (one transaction)."""
    with transaction(db):
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


def screen_state(db: Database, paper_id: str) -> ScreenState:
    row = db.execute("SELECT status, starred FROM papers WHERE id = ?", (paper_id,)).fetchone()
    if row is None:
        raise UsageError(f"no paper with id {paper_id!r} in the library")
    answered = db.execute(
        "SELECT answer, answered FROM screening WHERE paper_id = ?", (paper_id,)
    ).fetchone()
    return ScreenState(row[0], bool(row[1]), *(answered or (None, None)))
