"""Output that cannot be written: one `Error:` line and exit 3, never a traceback, no file left.

stdout is tested for real: /dev/full fails every write with ENOSPC, and a file-size limit fails a
regular file's writes (EFBIG), in a subprocess, so the interpreter's own final flush is part of
the test. Output files are tested by making a step of the atomic write fail.
"""

from __future__ import annotations

import errno
import os
import resource
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from papertriage.errors import ExitCode, OutputError
from papertriage.output import files as outputs
from tests.helpers import EXAMPLE, run

ROOT = Path(__file__).parents[1]
FULL = "Error: stdout: cannot write: No space left on device\n"
needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")


def cli(*args: str, stdout: Any = subprocess.PIPE, **options: Any) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "papertriage", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
        **options,
    )


def to_dev_full(*args: str) -> subprocess.CompletedProcess:
    with open("/dev/full", "w") as full:
        return cli(*args, stdout=full)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A library of the example listing, and the id of one of its papers."""
    db = str(tmp_path_factory.mktemp("library") / "library.sqlite3")
    code, _, err = run("add", "-q", str(EXAMPLE), "--db", db)
    assert (code, err) == (0, "")
    code, out, _ = run("export", "-q", "--db", db, "--format", "csv")
    return db, out.splitlines()[1].split(",")[0]


# -- stdout ----------------------------------------------------------------------------------


@pytest.mark.slow
@needs_dev_full
@pytest.mark.parametrize(
    "args",
    [
        ["parse", "-q", str(EXAMPLE)],  # large: fails while writing
        ["tag", "-q", str(EXAMPLE), "--format", "csv"],
        ["search", "-q", "agent", str(EXAMPLE), "--format", "json"],
        ["search", "-q", "agent", str(EXAMPLE), "--format", "table"],  # rich, not sys.stdout.write
        ["filter", "-q", "--tag", "llm", str(EXAMPLE)],
        ["topics", "-q", "--format", "json"],  # small: fails at the last flush, not at exit
        ["topics", "-q", "check", "src/papertriage/topics/topics.yaml"],  # a bare sys.stdout.write
    ],
    ids=lambda args: "-".join(a for a in args if not a.startswith(("-", "/", "src"))),
)
def test_a_full_stdout_is_one_error_line_and_exit_3(args: list[str]) -> None:
    result = to_dev_full(*args)
    assert (result.returncode, result.stderr) == (ExitCode.OUTPUT, FULL)


@pytest.mark.slow
@needs_dev_full
@pytest.mark.parametrize(
    "args",
    [
        ["export", "-q", "--format", "md"],
        ["show", "-q", "{paper}"],
        ["similar", "-q", "{paper}"],
    ],
    ids=lambda args: "-".join(a for a in args if not a.startswith("-")),
)
def test_a_full_stdout_from_the_library_too(args: list[str], library: tuple[str, str]) -> None:
    db, paper = library
    result = to_dev_full(*[a.format(paper=paper) for a in args], "--db", db)
    assert (result.returncode, result.stderr) == (ExitCode.OUTPUT, FULL)


@pytest.mark.slow
def test_any_write_error_on_stdout_names_its_cause(tmp_path: Path) -> None:
    """A regular file over the size limit: EFBIG, not ENOSPC; what was written stays."""
    with open(tmp_path / "out.jsonl", "w") as out:
        result = cli("parse", "-q", str(EXAMPLE), stdout=out, preexec_fn=_limit_file_size)
    assert (result.returncode, result.stderr) == (
        ExitCode.OUTPUT,
        "Error: stdout: cannot write: File too large\n",
    )


@pytest.mark.slow
def test_a_closed_pipe_is_still_no_error() -> None:
    with subprocess.Popen(
        ["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as reader:
        assert reader.stdin is not None and reader.stdout is not None
        result = cli("parse", "-q", str(EXAMPLE), "--format", "md", stdout=reader.stdin)
        reader.stdin.close()
        assert len(reader.stdout.read()) == 10
    assert (result.returncode, result.stderr) == (0, "")


# -- output files ------------------------------------------------------------------------------


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


@pytest.mark.slow
def test_a_failed_output_file_is_removed_for_real(tmp_path: Path) -> None:
    result = cli(
        "parse", "-q", str(EXAMPLE), "-o", str(tmp_path / "out.jsonl"), preexec_fn=_limit_file_size
    )
    assert (result.returncode, result.stderr) == (
        ExitCode.OUTPUT,
        f"Error: {tmp_path / 'out.jsonl'}: cannot write: File too large\n",
    )
    assert list(tmp_path.iterdir()) == []


class _Failing:
    """A temporary file whose `step` (write, flush, fsync via fileno, close) fails with ENOSPC."""

    def __init__(self, real: Any, step: str) -> None:
        self.real, self.step, self.name = real, step, real.name

    def _check(self, step: str) -> None:
        if step == self.step:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def write(self, text: str) -> int:
        self._check("write")
        return int(self.real.write(text))

    def flush(self) -> None:
        self._check("flush")
        self.real.flush()

    def fileno(self) -> int:
        return int(self.real.fileno())

    def __enter__(self) -> _Failing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.real.close()
        self._check("close")


@pytest.mark.parametrize("step", ["write", "flush", "fsync", "close"])
def test_no_temporary_file_is_left_when_any_step_fails(
    step: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = tempfile.NamedTemporaryFile
    monkeypatch.setattr(
        outputs.tempfile, "NamedTemporaryFile", lambda *a, **k: _Failing(made(*a, **k), step)
    )
    if step == "fsync":

        def fsync(fd: int) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(outputs.os, "fsync", fsync)
    target = tmp_path / "out.md"
    with pytest.raises(OutputError, match=rf"^{target}: cannot write: No space left on device$"):
        outputs.write_atomically(str(target), ["# list\n", "- a paper\n"], force=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["parse", "-q", str(EXAMPLE), "-o", "{out}.jsonl"],
        ["search", "-q", "agent", str(EXAMPLE), "--format", "json", "-o", "{out}.json"],
        ["export", "-q", "--db", "{db}", "--format", "md", "-o", "{out}.md"],
    ],
    ids=["parse", "search-json", "export-md"],
)
def test_a_full_disk_under_an_output_file(
    args: list[str], library: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(outputs.os, "fsync", fsync)
    (tmp_path / "outputs").mkdir()
    out = tmp_path / "outputs" / "out"
    code, stdout, err = run(*[a.format(out=out, db=library[0]) for a in args])
    name = args[-1].format(out=out)
    assert (code, stdout, err) == (3, "", f"Error: {name}: cannot write: No space left on device\n")
    assert list((tmp_path / "outputs").iterdir()) == []


@needs_dev_full
def test_output_to_dev_full_writes_the_device() -> None:
    """A device is written in place: the real error, never an 'already exists'."""
    code, out, err = run("parse", "-q", str(EXAMPLE), "-o", "/dev/full")
    assert (code, out, err) == (3, "", "Error: /dev/full: cannot write: No space left on device\n")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["", "force"])
def test_output_to_a_named_pipe_writes_it_in_place(force: list[str], tmp_path: Path) -> None:
    """With --force too, a FIFO (or, as root, a device node) is not replaced by a regular file.
    (Tested on a FIFO of our own: a regression must not clobber /dev/full for everyone.)"""
    fifo, copy = tmp_path / "fifo", tmp_path / "copy.csv"
    os.mkfifo(fifo)
    with open(copy, "w") as into, subprocess.Popen(["cat", str(fifo)], stdout=into) as reader:
        code, _, err = run("parse", "-q", str(EXAMPLE), "--format", "csv", "-o", str(fifo), *force)
        try:
            reader.wait(timeout=10)
        except subprocess.TimeoutExpired:  # nothing wrote the FIFO: cat waits for a writer
            reader.kill()
    assert (code, err) == (0, "")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert len(copy.read_text().splitlines()) == 260  # the header and the 259 papers


@pytest.mark.slow
@needs_dev_full
@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version_on_a_full_disk_are_one_error_line(option: str) -> None:
    result = to_dev_full(option)
    assert (result.returncode, result.stderr) == (3, FULL)


@pytest.mark.slow
def test_help_to_a_closed_pipe_is_not_an_error() -> None:
    command = f"{sys.executable} -m papertriage --help | head -c 1"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, cwd=ROOT
    )
    assert (result.returncode, result.stderr) == (0, "")


def test_a_cache_file_is_kept_whole_or_not_at_all(tmp_path: Path) -> None:
    from papertriage.output.files import keep_cache_file

    target = tmp_path / "deeper" / "entry.json"
    assert keep_cache_file(target, ["{", '"a": 1', "}"]) and target.read_text() == '{"a": 1}'
    assert keep_cache_file(target, b"new") and target.read_bytes() == b"new"
    blocked = tmp_path / "file"
    blocked.write_text("a file where a directory should be")
    assert not keep_cache_file(blocked / "entry.json", b"x")

    def failing() -> Iterator[str]:
        yield "half"
        raise OSError(28, "No space left on device")

    assert not keep_cache_file(target, failing())
    assert target.read_bytes() == b"new"  # the entry before is untouched
    assert [p.name for p in target.parent.iterdir()] == ["entry.json"]  # no temporary left
