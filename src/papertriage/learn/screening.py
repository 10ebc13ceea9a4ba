"""Screening: one paper at a time, one key per answer, the rest re-ranked after every answer.

`Screening` holds the state of a session (which papers are left, what has been answered, the
model) and saves each answer through a store (the Library) the moment it is given, so quitting or
a crash loses nothing and the next session resumes. `screen_loop` is the interactive part with
its input and output injected (a key reader, a rich console, a link opener), so tests drive it
with keys in a list, exactly as a terminal would.

Answers: relevant stars the paper (and makes it to-read when it has no status); skip sets its
status to skip; later leaves it for the end of this session and is remembered (the library's
`screening` table), so a resumed session asks it after every paper not yet seen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from papertriage.learn.model import (
    LIKED,
    RELEVANT,
    SKIPPED,
    Features,
    NothingToLearn,
    Ranker,
    judgement,
    pick,
)
from papertriage.models import Record

if TYPE_CHECKING:
    from rich.console import Console

    from papertriage.library.store import ScreenState

KEYS = {
    "y": "relevant",
    "n": "skip",
    "l": "later",
    "o": "open",
    "u": "undo",
    "q": "quit",
    "?": "help",
}
HELP = "y relevant · n skip · l later · o open link · u undo · q quit"
FAVOURED_WORDS = 25  # the words highlighted in an abstract


class Store(Protocol):
    def screen(self, paper_id: str, answer: str) -> ScreenState: ...

    def unscreen(self, paper_id: str, before: ScreenState) -> None: ...


@dataclass(frozen=True)
class Progress:
    screened: int
    total: int
    relevant: int
    later: int


class Screening:
    """A screening session over `scope` (the papers to screen, with those already decided).

    `liked` and `skipped` are ids the model learns from (the library's stars, reads and skips,
    inside the scope or not); `answers` the answers recorded earlier; `features` must cover the
    scope and every liked and skipped paper."""

    def __init__(
        self,
        scope: Sequence[Record],
        features: Features,
        liked: set[str],
        skipped: set[str],
        answers: dict[str, str],
        store: Store,
        strategy: str = RELEVANT,
    ) -> None:
        self.scope = list(scope)
        self.features = features
        self.liked, self.skipped = set(liked), set(skipped)
        self.answers = dict(answers)
        self.store = store
        self.strategy = strategy
        self.history: list[tuple[str, ScreenState, str | None]] = []  # id, state, answer before
        self.ranker: Ranker | None = None
        self.pinned: str | None = None  # a paper brought back by undo is asked again first
        self._retrain()

    # -- state -----------------------------------------------------------------------------

    def decided(self, paper_id: str) -> bool:
        return paper_id in self.liked or paper_id in self.skipped

    def progress(self) -> Progress:
        ids = [r.id for r in self.scope]
        return Progress(
            screened=sum(self.decided(i) for i in ids),
            total=len(ids),
            relevant=sum(i in self.liked for i in ids),
            later=sum(self.answers.get(i) == "later" and not self.decided(i) for i in ids),
        )

    def current(self) -> Record | None:
        """The paper to ask next: the model's pick among the papers neither decided nor left
        for later; the ones left for later when nothing else is left; None when all are done."""
        import numpy as np

        open_ = [r for r in self.scope if not self.decided(r.id)]
        if self.pinned is not None:
            for record in open_:
                if record.id == self.pinned:
                    return record
        fresh = [r for r in open_ if self.answers.get(r.id) != "later"]
        candidates = fresh or open_
        if not candidates:
            return None
        if self.ranker is None:
            return candidates[0]  # nothing liked yet: listing order
        done = np.ones(len(self.features.records), dtype=bool)
        done[self.features.rows([r.id for r in candidates])] = False
        return self.features.records[pick(self.ranker, done, self.strategy)]

    def favoured_words(self) -> list[str]:
        if self.ranker is None:
            return []
        favoured, _ = self.ranker.top_words(FAVOURED_WORDS)
        return [word for word, _ in favoured]

    # -- answers ---------------------------------------------------------------------------

    def answer(self, paper_id: str, answer: str) -> None:
        """Save an answer (relevant, skip or later) at once, then re-rank."""
        before = self.store.screen(paper_id, answer)
        self.pinned = None
        self.history.append((paper_id, before, self.answers.get(paper_id)))
        self.answers[paper_id] = answer
        if answer == "relevant":
            self.liked.add(paper_id)
            self.skipped.discard(paper_id)
        elif answer == "skip":
            self.skipped.add(paper_id)
        self._retrain()

    def undo(self) -> str | None:
        """Take back the last answer of this session; the id of its paper, or None."""
        if not self.history:
            return None
        paper_id, before, previous = self.history.pop()
        self.store.unscreen(paper_id, before)
        if previous is None:
            self.answers.pop(paper_id, None)
        else:
            self.answers[paper_id] = previous
        self.liked.discard(paper_id)
        self.skipped.discard(paper_id)
        side = judgement(before.status, before.starred)
        if side == LIKED:
            self.liked.add(paper_id)
        elif side == SKIPPED:
            self.skipped.add(paper_id)
        self.pinned = paper_id
        self._retrain()
        return paper_id

    def _retrain(self) -> None:
        try:
            self.ranker = self.features.train(sorted(self.liked), sorted(self.skipped))
        except NothingToLearn:
            self.ranker = None


@dataclass(frozen=True)
class Outcome:
    progress: Progress
    answered: int  # answers given in this session (undone ones not counted)
    finished: bool  # every paper answered


def screen_loop(
    screening: Screening,
    read_key: Callable[[], str],
    console: Console,
    open_link: Callable[[str], object],
    view: Callable[[Record, list[str], Progress, Ranker | None], Any],
) -> Outcome:
    """Ask paper after paper until all are answered, `q`, or the keys run out ('' or Ctrl-D)."""
    while (paper := screening.current()) is not None:
        console.print(
            view(paper, screening.favoured_words(), screening.progress(), screening.ranker)
        )
        while True:
            key = read_key()
            action = KEYS.get(key.lower()) if key not in ("", "\x04") else "quit"
            if action in ("relevant", "skip", "later"):
                screening.answer(paper.id, action)
                break
            if action == "undo":
                undone = screening.undo()
                console.print("undone" if undone else "nothing to undo", style="dim")
                break
            if action == "open":
                if paper.url:
                    # False when no browser could be started (a server, a container): the
                    # link is then shown to be copied, not said to be open.
                    shown = open_link(paper.url) is False
                    said = (
                        f"no browser to open it in: {paper.url}" if shown else f"opened {paper.url}"
                    )
                    console.print(said, style="dim", markup=False)
                else:
                    console.print("this paper has no link", style="dim")
                continue
            if action == "quit":
                return _outcome(screening, finished=False)
            console.print(HELP, style="dim")
    return _outcome(screening, finished=True)


def _outcome(screening: Screening, *, finished: bool) -> Outcome:
    return Outcome(screening.progress(), len(screening.history), finished)
