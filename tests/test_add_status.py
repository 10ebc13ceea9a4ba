"""`add --status`: a reference-manager export becomes the papers you have read, for `rank --learned`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from papertriage.errors import UsageError
from papertriage.library.store import Library
from tests.helpers import DATA, GOLDEN, run

ZOTERO = str(DATA / "formats" / "refs" / "zotero.bib")
RIS = str(DATA / "formats" / "refs" / "three.ris")


def statuses(db: str) -> dict[str, str | None]:
    code, out, _ = run("filter", "--db", db, "-q", "--format", "jsonl")
    assert code == 0
    ids = [json.loads(line)["id"] for line in out.splitlines()]
    found = {}
    for paper in ids:
        code, out, _ = run("show", paper, "--db", db, "--json")
        assert code == 0
        found[paper] = json.loads(out)["status"]
    return found


def test_add_with_status_read_then_rank_learned_likes_them(tmp_path: Path) -> None:
    db = str(tmp_path / "lib.sqlite3")
    code, out, err = run("add", ZOTERO, "--status", "read", "--db", db)
    assert (code, out) == (0, "")
    assert err.splitlines()[-1] == f"{db}: 3 new, 0 updated, 0 unchanged"
    assert statuses(db) == {
        "2303.08867": "read",
        "b5d998ae3b86": "read",
        "2001.00001": "read",
    }
    # Liked, so not ranked again even when the export is ranked along with a listing; the
    # listing's paper on experts comes first, nearest to the liked paper on experts.
    atom = str(GOLDEN / "arxiv-atom.xml")
    code, out, err = run("rank", "--learned", ZOTERO, atom, "--db", db, "--format", "jsonl")
    assert code == 0, err
    assert err.splitlines()[-1] == (
        "no skipped papers to learn from yet: ranking by similarity to the 3 liked one(s)"
        " (mark papers you do not want with --status skip)"
    )
    assert [json.loads(line)["id"] for line in out.splitlines()] == [
        "2402.00001",
        "hep-th/9901001",
    ]


def test_status_applies_to_papers_already_in_the_library(tmp_path: Path) -> None:
    db = str(tmp_path / "lib.sqlite3")
    assert run("add", "-q", ZOTERO, RIS, "--db", db)[0] == 0
    assert set(statuses(db).values()) == {None}
    code, _, err = run("add", RIS, "-s", "skip", "--db", db)
    assert code == 0
    assert err.splitlines()[-1] == f"{db}: 0 new, 0 updated, 3 unchanged"
    found = statuses(db)
    assert [found[i] for i in ("2303.10001", "2210.00003")] == ["skip", "skip"]
    assert [found[i] for i in ("2303.08867", "2001.00001")] == [None, None]  # not in that file


def test_a_status_the_reader_gave_is_kept(tmp_path: Path) -> None:
    """Adding a listing again with --status fills in the papers without one; a skip or a read
    given before stays (rank --learned learns from them), and the report says how many."""
    db = str(tmp_path / "lib.sqlite3")
    assert run("add", "-q", RIS, "--db", db)[0] == 0
    run("mark", "2303.10001", "--status", "skip", "--db", db, "-q")
    run("mark", "2210.00003", "--status", "to-read", "--db", db, "-q")
    code, _, err = run("add", RIS, "-s", "to-read", "--db", db)
    assert code == 0
    assert err.splitlines()[-1] == (
        "1 of them kept the status you gave them before"
        " (`papertriage mark ID --status STATUS` changes one)"
    )
    found = statuses(db)
    assert (found["2303.10001"], found["2210.00003"]) == ("skip", "to-read")
    assert set(found.values()) == {"skip", "to-read"}  # the third paper, without one, got it


def test_a_failed_add_sets_no_status(tmp_path: Path) -> None:
    db = str(tmp_path / "lib.sqlite3")
    assert run("add", "-q", ZOTERO, "--db", db)[0] == 0
    broken = tmp_path / "broken.ris"
    broken.write_text("TY  - JOUR\nAU  - Nobody, Anne\nER  - \n")
    code, out, err = run("add", ZOTERO, str(broken), "--status", "read", "--db", db)
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        f"Error: {broken}: none of its 1 RIS entries has a title (titles are in TI or T1 lines)"
    )
    assert set(statuses(db).values()) == {None}  # one transaction: nothing was marked


def test_an_unknown_status_is_a_usage_error(tmp_path: Path) -> None:
    code, out, err = run("add", ZOTERO, "--status", "done", "--db", str(tmp_path / "l.sqlite3"))
    assert (code, out) == (2, "")
    assert "'done' is not one of 'to-read', 'reading', 'read', 'skip'" in err
    assert not (tmp_path / "l.sqlite3").exists()


def test_the_store_checks_the_status_before_opening_the_library(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib.sqlite3")
    with (
        pytest.raises(
            UsageError, match=r"^unknown status 'done' \(one of to-read, reading, read, skip\)$"
        ),
        library.adding(status="done"),
    ):
        pass
    assert not library.exists()
