"""digest: what arrived since the last digest, once, as a Markdown reading list by topic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import GOLDEN, run


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "lib.sqlite3"
    monkeypatch.setenv("PAPERTRIAGE_DB", str(path))
    return path


def test_two_digests_in_a_row_show_the_new_papers_once(library: Path) -> None:
    assert run("add", str(GOLDEN / "hf-page.txt"), "-q")[0] == 0
    code, out, err = run("digest")
    assert code == 0, err
    assert out.startswith("# Digest: new papers") and "4 papers" in out
    assert "## moe (1)" in out and "Routing Tokens to Fewer Experts" in out
    code, out, err = run("digest")
    assert code == 1 and not out and "nothing new" in err
    assert run("add", str(GOLDEN / "arxiv-atom.xml"), "-q")[0] == 0
    code, out, _ = run("digest")
    assert code == 0 and "2 papers" in out and "Expert Parallelism" in out


def test_a_new_version_of_a_paper_shown_is_not_news(library: Path, tmp_path: Path) -> None:
    assert run("add", str(GOLDEN / "arxiv-atom.xml"), "-q")[0] == 0
    assert run("digest", "-q")[0] == 0
    # The same paper as v3, with a new title: the library keeps one paper, digest stays quiet.
    _, out, _ = run("export", "--format", "jsonl", "-q")
    paper = json.loads(out.splitlines()[0])
    version = tmp_path / "v3.jsonl"
    version.write_text(
        json.dumps(paper | {"arxiv_id": paper["arxiv_id"] + "v3", "title": "Renamed"}) + "\n"
    )
    assert run("add", str(version), "-q")[0] == 0
    assert run("digest")[0] == 1


def test_papers_count_as_shown_only_once_the_digest_is_written(
    library: Path, tmp_path: Path
) -> None:
    assert run("add", str(GOLDEN / "hf-page.txt"), "-q")[0] == 0
    target = tmp_path / "digest.md"
    target.write_text("an older digest\n")
    code, _, err = run("digest", "-o", str(target))  # exists, no --force: not written
    assert code == 3 and "exists" in err and target.read_text() == "an older digest\n"
    code, _, _ = run("digest", "-o", str(target), "--force")
    assert code == 0 and "Routing Tokens" in target.read_text()
    assert run("digest")[0] == 1


def test_a_profile_ranks_when_nothing_is_judged_and_watches_authors(
    library: Path, tmp_path: Path
) -> None:
    assert run("add", str(GOLDEN / "arxiv-atom.xml"), "-q")[0] == 0
    profile = tmp_path / "me.yaml"
    profile.write_text("authors:\n  paul dirac: 5\n")
    code, out, err = run("digest", "--profile", str(profile), "-n", "1")
    assert code == 0 and "ranked by the profile" in err
    assert "An Old-Style Identifier" in out and "Expert Parallelism" not in out
    assert "1 new papers in the digest (1 left)" in err


def test_a_bad_profile_is_an_error_even_with_nothing_new(library: Path, tmp_path: Path) -> None:
    code, out, err = run("digest", "--profile", str(tmp_path / "missing.yaml"))
    assert code == 2 and not out and "cannot read the profile" in err


def test_papers_already_decided_are_neither_shown_nor_left_waiting(library: Path) -> None:
    """Starred, read or skipped before any digest: the learned ranking leaves them out, so the
    digest neither counts them as left nor ends with an empty list and status 0."""
    assert run("add", str(GOLDEN / "hf-page.txt"), "-q")[0] == 0
    _, out, _ = run("export", "--format", "jsonl", "-q")
    ids = [json.loads(line)["id"] for line in out.splitlines()]
    assert len(ids) == 4
    run("mark", ids[0], "--star", "-q")
    run("mark", ids[1], "--status", "skip", "-q")
    code, out, err = run("digest", "-n", "1")
    assert code == 0 and "· 1 paper\n" in out and "1 new papers in the digest (1 left)" in err
    code, out, err = run("digest")
    assert code == 0 and "1 new papers in the digest (0 left)" in err
    code, out, err = run("digest")
    assert (code, out) == (1, "")
    assert "nothing new" in err and "(2 new ones already starred, read or skipped)" in err
