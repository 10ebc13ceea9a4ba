"""The library: merging across listings, triage state, and nothing lost on a crash or a race."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from papertriage.library.store import Library, LibraryError
from papertriage.models import Record
from papertriage.output.render import jsonl_lines
from tests.helpers import EXAMPLE, GOLDEN, example_records, run

ROOT = Path(__file__).parents[1]


def test_adding_twice_changes_nothing_and_overlaps_merge(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib.sqlite3")
    records = example_records()
    assert library.add(records, now="2026-01-01T00:00:00+00:00").new == 259
    again = library.add(records, now="2026-01-02T00:00:00+00:00")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 259)
    # The same paper, now from an arXiv listing: one paper, richer, both sources kept.
    fox = records[-1]
    arxiv = Record.create(
        fox.title,
        fox.abstract,
        arxiv_id="2411.05281v2",
        authors=["Some Author"],
        source="arxiv.txt",
        position=7,
    )
    result = library.add([arxiv], now="2026-01-03T00:00:00+00:00")
    assert (result.new, result.updated) == (0, 1)
    entry = library.entry(fox.id)
    assert entry.record.arxiv_id == "2411.05281" and entry.record.authors == ("Some Author",)
    assert entry.record.id == fox.id  # ids never change once stored
    assert entry.first_seen == "2026-01-01T00:00:00+00:00"
    assert [s[0] for s in entry.sources] == ["example.txt", "arxiv.txt"]
    assert len(library.records()) == 259


def test_two_arxiv_ids_with_one_title_stay_two_papers_in_the_library(tmp_path: Path) -> None:
    # As merge_duplicates keeps them apart in a listing: "Introduction", or a new day's feed.
    library = Library(tmp_path / "lib.sqlite3")
    library.add([Record.create("Introduction", "First.", arxiv_id="2301.00001")])
    second = library.add([Record.create("Introduction", "Second.", arxiv_id="2302.00002v1")])
    assert (second.new, second.updated) == (1, 0)
    # Without an arXiv id, or with one of them (another version), it is one of those papers.
    same = library.add(
        [
            Record.create("Introduction", "First.", authors=["Ada"]),
            Record.create("Introduction", "Second.", arxiv_id="2302.00002v3"),
        ]
    )
    assert same.new == 0
    assert sorted(r.arxiv_id or "" for r in library.records()) == ["2301.00001", "2302.00002"]
    # A paper first stored without an id, then given one by a merge, keeps others apart too.
    library.add([Record.create("Method", "A.")])
    library.add([Record.create("Method", "A.", arxiv_id="2303.00003")])
    third = library.add([Record.create("Method", "B.", arxiv_id="2304.00004")])
    assert third.new == 1
    assert len(library.records()) == 4


def test_state_notes_and_prefixes(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib.sqlite3")
    records = example_records()
    library.add(records)
    paper = library.resolve(records[0].id[:7])
    library.mark([paper], status="read", starred=True)
    library.note(paper, "good")
    entry = library.entry(paper)
    assert (entry.status, entry.starred, [t for _, t in entry.notes]) == ("read", True, ["good"])
    with pytest.raises(Exception, match="unknown status 'done'"):
        library.mark([paper], status="done")
    with pytest.raises(Exception, match="no paper with id 'zzzz'"):
        library.resolve("zzzz")


def test_an_arxiv_id_is_found_as_it_is_copied(tmp_path: Path) -> None:
    """With a version, an `arXiv:` or as its page's address; also for a paper stored under a
    title hash before a later listing gave its arXiv id."""
    library = Library(tmp_path / "lib.sqlite3")
    library.add([Record.create("Engines", "A.", arxiv_id="2303.10001")])
    library.add([Record.create("Notes on Engines", "B.")])
    library.add([Record.create("Notes on Engines", "B.", arxiv_id="2010.11929")])
    hashed = next(r.id for r in library.records() if r.title == "Notes on Engines")
    for copied in ("2303.10001v2", "arXiv:2303.10001", "https://arxiv.org/pdf/2303.10001v1.pdf"):
        assert library.resolve(copied) == "2303.10001"
    assert library.resolve("2010.11929v3") == hashed
    with pytest.raises(Exception, match=r"no paper with id '2303\.99999v1'"):
        library.resolve("2303.99999v1")


def test_a_foreign_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my precious notes\n")
    with pytest.raises(LibraryError, match="not a papertriage library"):
        Library(path).add(example_records())
    assert path.read_text() == "my precious notes\n"


def test_a_newer_schema_asks_for_an_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite3"
    Library(path).add(example_records()[:1])
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    with pytest.raises(LibraryError, match="schema version 99, newer than this papertriage"):
        Library(path).records()


def _add_process(
    listing: Path, db: Path, env: dict[str, str], output: int = subprocess.PIPE
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "papertriage", "add", str(listing), "--db", str(db), "-q"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=output,
        text=True,
    )


def big_listing(tmp_path: Path, copies: int) -> Path:
    base = example_records()
    records = [
        r.with_changes(id=f"2501.{n:05d}", arxiv_id=f"2501.{n:05d}", title=f"{r.title} ({n})")
        for n, r in enumerate(base * copies)
    ]
    path = tmp_path / f"big{copies}.jsonl"
    path.write_text("".join(jsonl_lines(records)))
    return path


def _write_locked(db: Path) -> bool:
    """Whether another connection is inside a write transaction on `db` (asks without waiting)."""
    if not db.exists():
        return False
    probe = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:  # "database is locked": the add holds the write lock
        return True
    finally:
        probe.close()


@pytest.mark.slow
def test_a_killed_add_leaves_the_library_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "lib.sqlite3"
    library = Library(db)
    library.add(example_records())
    before = sorted(r.id for r in library.records())
    library.close()
    listing = big_listing(tmp_path, 40)  # ~10k papers: long enough to kill mid-add
    env = {**os.environ, "PAPERTRIAGE_HOME": str(tmp_path / "home"), "PAPERTRIAGE_WORKERS": "1"}
    process = _add_process(listing, db, env, subprocess.DEVNULL)
    # Kill it inside its transaction: once it has held the write lock for a while, and right
    # after seeing it still does. (Waiting for the write-ahead log to grow was not enough: with a
    # large page cache the log grows at commit, and under load the kill could come after it.)
    deadline = time.monotonic() + 120
    held_since = None
    while time.monotonic() < deadline and process.poll() is None:
        if not _write_locked(db):
            held_since = None
        elif held_since is None:
            held_since = time.monotonic()
        elif time.monotonic() - held_since > 0.5:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the add finished before it could be killed"
    after = Library(db)
    assert sorted(r.id for r in after.records()) == before
    assert after.connect().execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.slow
def test_two_adds_at_once_both_succeed(tmp_path: Path) -> None:
    db = tmp_path / "lib.sqlite3"
    first, second = big_listing(tmp_path, 3), tmp_path / "other.jsonl"
    second.write_text(
        "".join(
            jsonl_lines(
                r.with_changes(title=f"Another Paper On {r.title}") for r in example_records()
            )
        )
    )
    env = {**os.environ, "PAPERTRIAGE_HOME": str(tmp_path / "home")}
    processes = [_add_process(first, db, env), _add_process(second, db, env)]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    assert len(Library(db).records()) == 259 * 3 + 259


def test_commands_use_the_library_when_no_file_is_given(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "lib.sqlite3"
    monkeypatch.setenv("PAPERTRIAGE_DB", str(db))
    code, out, err = run("search", "experts")
    assert code == 2 and "the library is empty" in err
    assert run("add", str(GOLDEN / "hf-page.txt"), "-q") == (0, "", "")
    code, out, err = run("search", "experts", "--json")
    assert code == 0 and json.loads(out)[0]["tags"] == ["moe"]
    assert f"{db}: 4 papers in the library" in err
    paper = json.loads(out)[0]["id"]
    assert run("mark", paper[:6], "--status", "reading", "--star", "-q")[0] == 0
    assert run("note", paper[:6], "look at the load balancing", "-q")[0] == 0
    code, out, _ = run("show", paper[:6], "--json")
    shown = json.loads(out)
    assert (shown["status"], shown["starred"]) == ("reading", True)
    assert [n["text"] for n in shown["notes"]] == ["look at the load balancing"]
    code, _, err = run("mark", paper[:6])
    assert code == 2 and "nothing to mark" in err
    assert run("filter", "--tag", "gnn", "-q")[1].count("\n") == 1


def test_new_lists_only_what_the_library_lacks_and_backup_copies(
    tmp_path: Path, monkeypatch
) -> None:
    db = tmp_path / "lib.sqlite3"
    monkeypatch.setenv("PAPERTRIAGE_DB", str(db))
    run("add", str(GOLDEN / "arxiv-email.txt"), "-q")
    code, out, err = run("new", str(GOLDEN / "arxiv-email.txt"), str(GOLDEN / "arxiv-list.txt"))
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == [
        "2411.00010",
        "2411.00011",
        "2411.00005",
    ]
    assert "3 of 6 papers are new" in err
    assert run("new", str(GOLDEN / "arxiv-email.txt"), "-q")[0] == 1
    copy = tmp_path / "copy.sqlite3"
    assert run("backup", str(copy), "-q") == (0, "", "")
    assert sorted(r.id for r in Library(copy).records()) == sorted(
        r.id for r in Library(db).records()
    )
    code, _, err = run("backup", str(copy))
    assert code == 3 and "already exists (use --force to replace it)" in err


def test_a_changed_taxonomy_retags_the_library(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PAPERTRIAGE_DB", str(tmp_path / "lib.sqlite3"))
    run("add", str(GOLDEN / "hf-page.txt"), "-q")
    _, out, _ = run("filter", "--tag", "moe", "-q")
    assert out.count("\n") == 1
    topics = tmp_path / "t.yaml"
    topics.write_text(
        "drop: [moe]\ntopics:\n  heads:\n    name: Heads\n    phrases: [attention heads]\n"
    )
    code, out, err = run("filter", "--tag", "heads", "--topics", str(topics))
    assert code == 0 and "re-tagging 4 papers of the library" in err
    assert [json.loads(line)["title"] for line in out.splitlines()] == [
        "Pruning Attention Heads Without Retraining"
    ]
    assert f"re-tagging 4 papers of the library with {topics}: they were tagged with another" in err
    # Stored: the next command with the same taxonomy does not re-tag again.
    _, _, err = run("filter", "--tag", "heads", "--topics", str(topics))
    assert "re-tagging" not in err
    # Forgetting --topics once goes back to the default, and says how to keep one's own.
    _, _, err = run("filter", "--tag", "moe", "-q")
    _, _, err = run("filter", "--tag", "moe")
    assert "re-tagging" not in err
    _, _, err = run("retag", "--topics", str(topics))
    assert err.splitlines()[0] == f"re-tagging 4 papers of the library with {topics}"
    _, _, err = run("filter", "--tag", "moe")
    assert "with the default taxonomy: they were tagged with another (to keep one, give" in err
    assert "$PAPERTRIAGE_TOPICS" in err
    assert run("retag", "-q")[0] == 0  # back to the default taxonomy
    assert run("filter", "--tag", "moe", "-q")[1].count("\n") == 1


def test_an_old_library_is_migrated_in_place(tmp_path: Path) -> None:
    from papertriage.library.store import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](db)  # a library made by the first schema
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO papers (id, norm_title, record, first_seen) VALUES (?, ?, ?, ?)",
        ("abc", "a paper", json.dumps(Record.create("A Paper").to_dict()), "2025-01-01"),
    )
    db.close()
    library = Library(path)
    assert [r.title for r in library.records()] == ["A Paper"]
    assert library.connect().execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert library.taxonomy_hash() is None  # the meta table exists now


def test_status_and_starred_filters(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PAPERTRIAGE_DB", str(tmp_path / "lib.sqlite3"))
    run("add", str(GOLDEN / "hf-page.txt"), "-q")
    _, out, _ = run("search", "pruning", "--json", "-q")
    pruning = json.loads(out)[0]["id"]
    run("mark", pruning, "--status", "reading", "--star", "-q")
    code, out, _ = run("search", "heads OR experts", "--status", "reading", "--json", "-q")
    assert code == 0 and [h["id"] for h in json.loads(out)] == [pruning]
    assert run("filter", "--starred", "-q")[1].count("\n") == 1
    assert run("filter", "--status", "read", "-q")[0] == 1
    code, _, err = run("filter", "--status", "done")
    assert code == 2 and "unknown status 'done'" in err


@pytest.mark.slow  # 5,439 papers: tagged by worker processes
def test_a_large_library_searches_its_stored_index_like_the_listing(
    tmp_path: Path, monkeypatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("PAPERTRIAGE_HOME", str(home))
    monkeypatch.setenv("PAPERTRIAGE_DB", str(tmp_path / "lib.sqlite3"))
    listing = big_listing(tmp_path, 21)  # 5,439 papers: array postings for the listing
    assert run("add", str(listing), "-q")[0] == 0
    queries = ("mixture of experts", '"graph neural" -survey', "tag:pruning sparsity")
    library = [run("search", query, "--json", "-q", "--limit", "20") for query in queries]
    assert not list(home.rglob("*.index.npz"))  # the library's index is in the library
    for query, (code, found, _) in zip(queries, library, strict=True):
        _, listed, _ = run("search", query, str(listing), "--json", "-q", "--limit", "20")
        assert code == 0 and json.loads(found) == json.loads(listed)  # stored keys are sorted
        assert len(json.loads(found)) == 20
    run("add", str(GOLDEN / "hf-page.txt"), "-q")  # new papers are found at once
    _, out, _ = run("search", "title:gating", "--json", "-q")
    assert "Routing Tokens to Fewer Experts: A Study of Sparse Gating" in out


def test_export_then_add_into_an_empty_library_round_trips_the_state(
    tmp_path: Path, monkeypatch
) -> None:
    first = tmp_path / "first.sqlite3"
    monkeypatch.setenv("PAPERTRIAGE_DB", str(first))
    run("add", str(GOLDEN / "arxiv-email.txt"), "-q")
    run("mark", "2303.10001", "--status", "read", "--star", "-q")
    run("note", "2303.10002", "four bits!", "-q")
    exported = tmp_path / "export.jsonl"
    assert run("export", "--format", "jsonl", "-o", str(exported), "-q")[0] == 0
    second = tmp_path / "second.sqlite3"
    assert run("add", str(exported), "--db", str(second), "-q")[0] == 0
    assert run("add", str(exported), "--db", str(second), "-q")[0] == 0  # twice: no new notes
    _, again, _ = run("export", "--format", "jsonl", "--db", str(second), "-q")
    assert [json.loads(line) for line in again.splitlines()] == [
        json.loads(line) for line in exported.read_text().splitlines()
    ]


def test_add_reports_progress_to_a_callback(tmp_path: Path) -> None:
    seen: list[int] = []
    Library(tmp_path / "lib.sqlite3").add(example_records(), progress=seen.append)
    assert seen == [259]
    seen.clear()
    many = [
        r.with_changes(title=f"{r.title} {n}", id=f"x{n}", arxiv_id=f"2502.{n:05d}")
        for n, r in enumerate(example_records() * 5)
    ]
    Library(tmp_path / "big.sqlite3").add(many, progress=seen.append)
    assert seen == [1000, 1295]


def test_add_streams_a_large_listing_in_batches_and_a_bad_line_late_loses_nothing(
    tmp_path: Path, monkeypatch
) -> None:
    import papertriage.listings.formats.common as common

    monkeypatch.setattr(common, "SINK_BATCH", 50)  # so the example arrives in six batches
    monkeypatch.setenv("PAPERTRIAGE_HOME", str(tmp_path / "home"))
    db = tmp_path / "lib.sqlite3"
    code, _, err = run("add", str(EXAMPLE), "--db", str(db))
    assert code == 0 and "259 new, 0 updated, 0 unchanged" in err
    expected = {(r.id, r.title, r.abstract) for r in example_records()}
    assert {(r.id, r.title, r.abstract) for r in Library(db).records()} == expected
    assert len(Library(db).segment_rows()) == 1  # batches gather into one segment

    records = big_listing(tmp_path, 1).read_text().splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([*records[:200], "{not json", *records[200:]]) + "\n")
    code, _, err = run("add", str(broken), "--db", str(db))
    assert code == 2 and "broken.jsonl:201" in err
    assert len(Library(db).records()) == 259  # the 200 papers before the bad line: rolled back


def test_topics_counts_the_library_papers_of_each_topic(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PAPERTRIAGE_HOME", str(tmp_path / "home"))
    db = tmp_path / "lib.sqlite3"
    _, bare, _ = run("topics", "--db", str(db), "--json")  # no library yet: the taxonomy alone
    assert all("papers" not in topic for topic in json.loads(bare))
    run("add", str(EXAMPLE), "--db", str(db), "-q")
    code, out, err = run("topics", "--db", str(db), "--json")
    assert code == 0 and f"{db}: papers per topic among its 259 papers" in err
    stored = Library(db).records()
    assert {t["id"]: t["papers"] for t in json.loads(out)} == {
        t["id"]: sum(1 for r in stored if t["id"] in r.tags) for t in json.loads(bare)
    }
    assert {t["id"]: t["papers"] for t in json.loads(out)}["moe"] > 5


@pytest.mark.slow
def test_add_leaves_no_write_ahead_log_to_replay(tmp_path: Path) -> None:
    db = tmp_path / "lib.sqlite3"
    listing = big_listing(tmp_path, 21)  # tagged by worker processes (the gc is frozen)
    done = subprocess.run(
        [sys.executable, "-m", "papertriage", "add", str(listing), "--db", str(db), "-q"],
        env={**os.environ, "PAPERTRIAGE_HOME": str(tmp_path / "home")},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert Library(db).count() == 5439


def _open_library(path: str, results: object) -> None:
    try:
        Library(path).connect()
        results.put("ok")  # type: ignore[attr-defined]
    except LibraryError as error:
        results.put(str(error))  # type: ignore[attr-defined]


@pytest.mark.slow
def test_two_processes_opening_a_new_library_together_both_succeed(tmp_path: Path) -> None:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    answers = []
    for attempt in range(40):  # the race (switching a new file to WAL) is lost now and then
        results = context.Queue()
        path = str(tmp_path / f"lib{attempt}.sqlite3")
        processes = [context.Process(target=_open_library, args=(path, results)) for _ in "ab"]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        answers += [results.get(), results.get()]
    assert set(answers) == {"ok"}


def test_add_of_a_missing_file_creates_no_library(tmp_path: Path) -> None:
    db = tmp_path / "lib.sqlite3"
    code, _, err = run("add", str(tmp_path / "nosuch.txt"), "--db", str(db))
    assert code == 2 and err == f"Error: {tmp_path / 'nosuch.txt'}: no such file (check the path)\n"
    assert not db.exists()


def test_a_directory_at_the_library_path_is_reported_as_such(tmp_path: Path) -> None:
    code, _, err = run("search", "pruning", "--db", str(tmp_path))
    assert code == 2 and "is a directory, not a library" in err


def test_filter_and_export_on_the_library_read_only_the_papers_they_keep(
    tmp_path: Path, monkeypatch
) -> None:
    """The index's topic bits and the reading state pick the papers; the result is the same as
    filtering every record, in the order the library lists them."""
    monkeypatch.setenv("PAPERTRIAGE_DB", str(tmp_path / "lib.sqlite3"))
    for listing in (EXAMPLE, GOLDEN / "arxiv-email.txt", GOLDEN / "hf-page.txt"):
        assert run("add", str(listing), "-q")[0] == 0
    library = Library(tmp_path / "lib.sqlite3")
    everything = library.records()
    gnn = [r.id for r in everything if "gnn" in r.tags][:3]
    run("mark", *gnn[:2], "--status", "read", "-q")
    run("mark", gnn[2], "--star", "-q")
    read = {*gnn[:2]}

    def expected(tags=(), not_tags=(), status=None, starred=False) -> list[str]:
        return [
            r.id
            for r in everything
            if set(tags) <= set(r.tags)
            and not set(not_tags) & set(r.tags)
            and (status is None or r.id in read)
            and (not starred or r.id == gnn[2])
        ]

    def records_unread(self: Library) -> list[Record]:
        raise AssertionError("read every record")

    monkeypatch.setattr(Library, "records", records_unread)
    cases = [
        (["--tag", "moe"], expected(["moe"])),
        (
            ["--tag", "gnn", "--tag", "distributed-training"],
            expected(["gnn", "distributed-training"]),
        ),
        (["--tag", "llm", "--not-tag", "moe"], expected(["llm"], ["moe"])),
        (["--tag", "gnn", "--status", "read"], expected(["gnn"], status="read")),
        (["--starred"], expected(starred=True)),
    ]
    for options, ids in cases:
        assert len(ids) >= 1, options
        code, out, err = run("filter", *options, "--format", "jsonl")
        assert code == 0, err
        assert [json.loads(line)["id"] for line in out.splitlines()] == ids, options
        code, out, _ = run("export", *options, "--format", "jsonl", "-q")
        assert [json.loads(line)["id"] for line in out.splitlines()] == ids, options
    _, _, err = run("filter", "--tag", "moe")
    assert f"{len(expected(['moe']))} of {len(everything)} papers kept" in err
    assert run("filter", "--tag", "moe", "--not-tag", "moe", "-q")[0] == 1  # none kept: exit 1


def test_adding_a_listing_again_tags_only_what_is_new_or_richer(
    tmp_path: Path, monkeypatch
) -> None:
    import papertriage.listings.formats.common as common
    from papertriage.topics.tagger import Tagger

    tagged: list[str] = []
    real_start = Tagger.start

    def counting_start(self: Tagger, records: list[Record], **options: object) -> object:
        tagged.extend(r.title for r in records)
        return real_start(self, records, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(Tagger, "start", counting_start)
    monkeypatch.setattr(
        common, "SINK_BATCH", 50
    )  # several batches, stored while the next is tagged
    db = tmp_path / "lib.sqlite3"
    assert run("add", str(EXAMPLE), "--db", str(db), "-q")[0] == 0
    assert len(tagged) == 259
    library = Library(db)
    stored, segments = library.records(), library.segment_rows()

    tagged.clear()
    code, _, err = run("add", str(EXAMPLE), "--db", str(db))
    assert code == 0 and "0 new, 0 updated, 259 unchanged" in err
    assert tagged == []  # nothing to tag: every paper is stored as it is
    assert library.records() == stored and library.segment_rows() == segments

    known, richer = stored[3], stored[7]
    mixed = [
        Record.create(known.title, known.abstract),  # as stored: not tagged again
        Record.create(richer.title, richer.abstract, arxiv_id="2411.00007", authors=["A. Author"]),
        Record.create("A Paper Nobody Has Seen", "Its abstract says something new entirely."),
    ]
    mixed = [r.with_changes(source="mixed.jsonl", position=n) for n, r in enumerate(mixed, 1)]
    listing = tmp_path / "mixed.jsonl"
    listing.write_text("".join(jsonl_lines(mixed)))
    code, _, err = run("add", str(listing), "--db", str(db))
    assert code == 0 and "1 new, 1 updated, 1 unchanged" in err
    assert tagged == [richer.title, "A Paper Nobody Has Seen"]
    assert library.entry(richer.id).record.authors == ("A. Author",)
    assert library.entry(richer.id).record.tags == richer.tags  # tagged again, same text
    assert [source for source, *_ in library.entry(known.id).sources] == [
        str(EXAMPLE),
        "mixed.jsonl",
    ]


def test_a_paper_made_richer_then_seen_again_as_before_in_one_add_stays_richer(
    tmp_path: Path, monkeypatch
) -> None:
    """The plain copy in a later batch is judged against the paper as the earlier batch left
    it, even though it was checked while that batch was still being stored."""
    import papertriage.listings.formats.common as common

    monkeypatch.setattr(common, "SINK_BATCH", 50)
    db = tmp_path / "lib.sqlite3"
    run("add", str(EXAMPLE), "--db", str(db), "-q")
    library = Library(db)
    stored = library.records()
    paper = stored[0]
    richer = Record.create(paper.title, paper.abstract, arxiv_id="2411.00001", authors=["B. C."])
    listing = tmp_path / "again.jsonl"
    listing.write_text("".join(jsonl_lines([richer, *stored[1:120], paper])))
    code, _, err = run("add", str(listing), "--db", str(db))
    assert code == 0 and "0 new, 1 updated, 120 unchanged" in err
    assert library.entry(paper.id).record.authors == ("B. C.",)


def test_export_search_on_the_library_uses_its_index_and_answers_as_the_listing(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("PAPERTRIAGE_DB", str(tmp_path / "lib.sqlite3"))
    run("add", str(EXAMPLE), "-q")
    expected = {}
    for query in ("mixture of experts", "graph nets", "pruning -llm"):
        _, out, _ = run("export", str(EXAMPLE), "--search", query, "--format", "jsonl", "-q")
        expected[query] = [json.loads(line)["id"] for line in out.splitlines()]

    def records_unread(self: Library) -> list[Record]:
        raise AssertionError("read every record")

    monkeypatch.setattr(Library, "records", records_unread)
    for query, ids in expected.items():
        code, out, _ = run("export", "--search", query, "--format", "jsonl", "-q")
        assert code == 0 and len(ids) >= 5, query
        assert [json.loads(line)["id"] for line in out.splitlines()] == ids, query
    _, out, _ = run("export", "--search", "graph", "--tag", "distributed-training", "-f", "jsonl")
    [paper] = [json.loads(line) for line in out.splitlines()]
    assert {"gnn", "distributed-training"} <= set(paper["tags"]) and paper["id"] in expected[
        "graph nets"
    ]
