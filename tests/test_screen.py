"""screen: the loop driven by injected keys, resuming, undo, the command, and a real terminal."""

from __future__ import annotations

import io
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from papertriage.cli.terminal import screen_card
from papertriage.learn.model import Features, split_by_state
from papertriage.learn.screening import HELP, Screening, screen_loop
from papertriage.library.store import Library
from papertriage.models import Record
from tests.helpers import GOLDEN, run

HF = str(GOLDEN / "hf-page.txt")

PAPERS = [
    Record.create("Sparse Mixture of Experts", "experts routing tokens gates", source="l", position=1),
    Record.create("Graph Message Passing", "graph nodes edges messages", source="l", position=2),
    Record.create("Expert Choice Routing", "tokens routing to experts", url="https://x.test/3", source="l", position=3),
    Record.create("Graph Sampling at Scale", "graph nodes sampled edges", source="l", position=4),
    Record.create("Routing Experts Fast", "experts routing kernels", url="https://x.test/5", source="l", position=5),
]  # fmt: skip


def _library(tmp_path: Path) -> Library:
    library = Library(tmp_path / "lib.sqlite3")
    library.add(PAPERS)
    return library


def _session(library: Library, strategy: str = "relevant") -> Screening:
    records = library.records()
    liked, skipped = split_by_state(records, library.states())
    return Screening(
        records,
        Features(records),
        {r.id for r in liked},
        {r.id for r in skipped},
        library.screen_answers(),
        library,
        strategy,
    )


class Keys:
    """Keys handed out one by one; records the paper shown before each key."""

    def __init__(self, keys: str, screening: Screening) -> None:
        self.keys: Iterator[str] = iter(keys)
        self.screening = screening
        self.asked: list[str] = []

    def __call__(self) -> str:
        current = self.screening.current()
        self.asked.append(current.title if current else "")
        return next(self.keys, "")


def _drive(library: Library, keys: str, opened: list[str] | None = None) -> tuple[Keys, str]:
    session = _session(library)
    reader = Keys(keys, session)
    out = io.StringIO()
    console = Console(file=out, width=100, color_system=None)
    outcome = screen_loop(
        session, reader, console, (opened if opened is not None else []).append, screen_card
    )
    return reader, out.getvalue() + f"\n{outcome}"


def test_a_link_no_browser_could_open_is_shown_not_said_opened(tmp_path: Path) -> None:
    library = _library(tmp_path)
    library.mark([PAPERS[0].id], starred=True)  # so that a paper with a link comes first
    library.mark([PAPERS[1].id], status="skip")
    session = _session(library)
    out = io.StringIO()
    console = Console(file=out, width=100, color_system=None)
    screen_loop(session, Keys("oq", session), console, lambda url: False, screen_card)
    assert "no browser to open it in: https://x.test/3" in out.getvalue()
    assert "opened" not in out.getvalue()


def _state(library: Library, title: str) -> tuple[str | None, bool]:
    paper = next(r for r in PAPERS if r.title == title)
    status, starred, _ = library.states()[paper.id]
    return status, starred


def test_answers_are_saved_at_once_and_the_rest_re_ranked(tmp_path: Path) -> None:
    library = _library(tmp_path)
    reader, out = _drive(library, "yn")
    # listing order until something is liked; then the expert papers first
    assert reader.asked[:2] == ["Sparse Mixture of Experts", "Expert Choice Routing"]
    assert _state(library, "Sparse Mixture of Experts") == ("to-read", True)
    assert _state(library, "Expert Choice Routing") == ("skip", False)
    assert "screened 0/5 · relevant 0 · in listing order" in out
    assert "screened 1/5 · relevant 1 · ranked by similarity to what you liked" in out
    assert out.endswith("Outcome(progress=Progress(screened=2, total=5, relevant=1, later=0), "
                        "answered=2, finished=False)")  # fmt: skip


def test_quit_in_the_middle_then_resume_asks_only_what_is_left(tmp_path: Path) -> None:
    library = _library(tmp_path)
    first, _ = _drive(library, "ynq")
    assert len(first.asked) == 3  # y, n, then q on the third paper
    second, out = _drive(library, "yyyy")
    answered = set(first.asked[:2])
    assert not answered & set(second.asked)
    assert len(second.asked) == 3 and "finished=True" in out
    assert "screened 2/5" in out.split("\n")[1]  # resumes with the earlier answers counted


def test_later_comes_last_and_is_remembered_across_sessions(tmp_path: Path) -> None:
    library = _library(tmp_path)
    reader, _ = _drive(library, "l")
    assert reader.asked[0] == "Sparse Mixture of Experts"
    assert library.screen_answers() == {PAPERS[0].id: "later"}
    assert _state(library, "Sparse Mixture of Experts") == (None, False)
    reader, _ = _drive(library, "nnnnn")
    assert reader.asked == [
        "Graph Message Passing",
        "Expert Choice Routing",
        "Graph Sampling at Scale",
        "Routing Experts Fast",
        "Sparse Mixture of Experts",  # the one left for later, after every other paper
    ]


def test_undo_restores_the_state_and_asks_the_paper_again(tmp_path: Path) -> None:
    library = _library(tmp_path)
    library.mark([PAPERS[0].id], status="reading")
    reader, out = _drive(library, "yuu" + "n")
    smoe = "Sparse Mixture of Experts"
    assert reader.asked[:4] == [smoe, "Expert Choice Routing", smoe, smoe]  # back after undo
    assert "undone" in out and "nothing to undo" in out
    assert _state(library, "Sparse Mixture of Experts") == ("skip", False)
    assert library.screen_answers() == {PAPERS[0].id: "skip"}
    _drive(library, "u")  # a new session cannot undo the last one's answers
    assert _state(library, "Sparse Mixture of Experts") == ("skip", False)


def test_open_link_help_and_uncertainty(tmp_path: Path) -> None:
    library = _library(tmp_path)
    library.mark([PAPERS[0].id], starred=True)
    library.mark([PAPERS[1].id], status="skip")
    opened: list[str] = []
    reader, out = _drive(library, "o?xoq", opened)
    assert reader.asked[0] == "Expert Choice Routing"  # most like the starred paper
    assert opened == ["https://x.test/3", "https://x.test/3"]
    assert out.count(HELP) >= 3 and "opened https://x.test/3" in out
    session = _session(library, "uncertainty")
    assert session.current() is not None and session.ranker is not None
    assert session.ranker.kind == "model"


def test_screen_command_refuses_without_a_terminal_and_runs_with_keys(tmp_path: Path) -> None:
    db = str(tmp_path / "lib.sqlite3")
    code, out, err = run("screen", HF, "--db", db)
    assert (code, out) == (2, "")
    assert err == (
        "Error: screen is interactive and needs a terminal "
        "(run it in a terminal, or give the answers with --keys)\n"
    )
    code, out, err = run("screen", HF, "--db", db, "--keys", "yn")
    assert code == 0, err
    assert "Routing Tokens to Fewer Experts" in out
    assert err.splitlines()[-1] == ("screened 2 of 4 papers, 1 relevant; run screen again to go on")
    code, out, err = run("screen", "--db", db, "--keys", "nnnn")
    assert code == 0
    assert err.splitlines()[-1] == "screened 4 of 4 papers, 1 relevant"
    code, out, err = run("screen", "--db", str(tmp_path / "empty.sqlite3"), "--keys", "q")
    assert (code, out) == (2, "")
    assert err.startswith("Error: the library is empty: nothing to screen")


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_screen_in_a_pseudo_terminal(tmp_path: Path) -> None:
    import pty

    db = tmp_path / "lib.sqlite3"
    assert run("add", "-q", "--db", str(db), HF)[0] == 0
    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "LINES": "40"}
    process = subprocess.Popen(
        [sys.executable, "-m", "papertriage", "screen", "--db", str(db)],
        stdin=child, stdout=child, stderr=child, env=env, close_fds=True,
    )  # fmt: skip
    os.close(child)
    seen = b""

    def read_until(text: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 60
        while text not in seen:
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            if not select.select([main], [], [], 0.2)[0]:
                continue
            try:
                seen += os.read(main, 4096)
            except OSError:  # the child closed the terminal
                break

    try:
        read_until(b"y relevant")
        os.write(main, b"y")
        read_until(b"screened 1/4")
        os.write(main, b"q")
        read_until(b"run screen again")
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
    os.close(main)
    starred = [i for i, (_, star, _) in Library(db).states().items() if star]
    assert len(starred) == 1
