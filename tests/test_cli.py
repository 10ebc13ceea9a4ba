"""The command line: exact stdout, stderr and exit code per case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from papertriage.library.store import Library
from tests.helpers import EXAMPLE, GOLDEN, run

ROOT = Path(__file__).parents[1]
ABSTRACT = "We propose a method. It works on three benchmarks and is faster than the baselines."


def test_parse_jsonl_to_a_pipe_with_the_report_on_stderr() -> None:
    code, out, err = run("parse", str(GOLDEN / "arxiv-email.txt"))
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == [
        "2303.10001",
        "2303.10002",
        "2303.09999",
    ]
    assert err == (
        f"{GOLDEN / 'arxiv-email.txt'}: 3 records (arxiv-email); dropped 6 noise lines "
        "(mail-header 6); skipped 1 replaced entries "
        "(--include-replaced keeps them)\n"
    )


def test_quiet_silences_the_report_and_warnings() -> None:
    code, out, err = run("parse", "-q", str(GOLDEN / "hf-page.txt"))
    assert (code, err) == (0, "")
    assert len(out.splitlines()) == 4


def test_warnings_name_file_and_line() -> None:
    code, _, err = run("parse", str(GOLDEN / "hf-page.txt"))
    assert code == 0
    assert err.splitlines()[1] == (
        f"warning: {GOLDEN / 'hf-page.txt'}:19: title without an abstract: "
        "'A Title Whose Abstract Was Not Copied'"
    )


def test_json_is_one_array_and_csv_has_a_header() -> None:
    _, out, _ = run("parse", "-q", "--json", str(GOLDEN / "arxiv-atom.xml"))
    assert [r["title"] for r in json.loads(out)] == [
        "Expert Parallelism at Scale",
        "An Old-Style Identifier",
    ]
    _, out, _ = run("parse", "-q", "-f", "csv", str(GOLDEN / "arxiv-atom.xml"))
    assert out.splitlines()[0] == (
        "id,title,authors,arxiv_id,url,categories,date,source,position,tags,abstract"
    )
    assert out.splitlines()[1].startswith(
        "2402.00001,Expert Parallelism at Scale,Lise Meitner; Chien-Shiung Wu,2402.00001,"
    )


def test_stdin_and_chaining_parse_output_back_in() -> None:
    _, first, _ = run("parse", "-q", str(GOLDEN / "arxiv-list.txt"))
    code, again, err = run("parse", "-q", stdin=first)
    assert (code, again, err) == (0, first, "")
    code, out, _ = run("parse", "-q", "-", stdin=(GOLDEN / "hf-page.txt").read_text())
    assert code == 0 and len(out.splitlines()) == 4


def test_the_same_paper_in_two_inputs_is_kept_once(tmp_path: Path) -> None:
    copy = tmp_path / "copy.txt"
    copy.write_text((GOLDEN / "hf-page.txt").read_text())
    code, out, err = run("parse", str(GOLDEN / "hf-page.txt"), str(copy))
    assert code == 0
    assert len(out.splitlines()) == 4
    assert err.splitlines()[-1] == "merged 4 duplicate record(s) of the same paper"


def test_input_format_can_be_forced() -> None:
    code, _, err = run("parse", "--from", "arxiv-atom", str(GOLDEN / "hf-page.txt"))
    assert code == 2
    assert err == f"Error: {GOLDEN / 'hf-page.txt'}:1: invalid XML (syntax error)\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file (check the path)"),
        (b"", "the file is empty (give a listing with papers in it)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks like a binary file, not a text listing"),
        (b"x" * 20_000_000, "not a listing papertriage knows"),
        (b"hello\nworld\n", "not a listing papertriage knows"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_2(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "listing.txt"
    if content is not None:
        path.write_bytes(content)
    code, out, err = run("parse", str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"Error: {path}: {message}")
    assert err.count("\n") == 1


def test_a_directory_is_an_error(tmp_path: Path) -> None:
    code, _, err = run("parse", str(tmp_path))
    assert (code, err) == (
        2,
        f"Error: {tmp_path}: is a directory (give a listing file inside it)\n",
    )


def test_non_utf8_text_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes(f"Caf\xe9 Models for Graphs\n{ABSTRACT}\n".encode("cp1252"))
    code, out, err = run("parse", str(path))
    assert code == 0
    assert json.loads(out)["title"] == "Café Models for Graphs"
    assert err.splitlines()[1] == (
        f"warning: {path}: not valid UTF-8 (a byte 0xe9); read as cp1252, check accented characters"
    )


def test_crlf_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "windows.txt"
    path.write_bytes(("\ufeffA Windows Title\r\n" + ABSTRACT + "\r\n").encode("utf-8"))
    _, out, _ = run("parse", "-q", str(path))
    assert (json.loads(out)["title"], json.loads(out)["abstract"]) == ("A Windows Title", ABSTRACT)


def test_output_file_is_written_and_never_overwritten_without_force(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    assert run("parse", "-q", str(GOLDEN / "hf-page.txt"), "-o", str(target)) == (0, "", "")
    first = target.read_text()
    assert len(first.splitlines()) == 4
    code, out, err = run("parse", "-q", str(GOLDEN / "arxiv-list.txt"), "-o", str(target))
    assert (code, out) == (3, "")
    assert err == f"Error: {target}: already exists (use --force to replace it)\n"
    assert target.read_text() == first
    assert run("parse", "-q", str(GOLDEN / "arxiv-list.txt"), "-o", str(target), "--force")[0] == 0
    assert target.read_text() != first
    assert sorted(os.listdir(tmp_path)) == ["out.jsonl"]  # no temporary files left behind


def test_output_suffix_chooses_the_format(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    run("parse", "-q", str(GOLDEN / "hf-page.txt"), "-o", str(target))
    assert target.read_text().startswith("id,title,")


def test_a_failed_parse_leaves_no_output_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("nothing to see\n")
    target = tmp_path / "out.jsonl"
    code, _, _ = run("parse", str(GOLDEN / "hf-page.txt"), str(bad), "-o", str(target))
    assert code == 2
    assert sorted(os.listdir(tmp_path)) == ["bad.txt"]


def test_table_on_request_shows_titles() -> None:
    code, out, _ = run("parse", "-q", "-f", "table", str(GOLDEN / "hf-page.txt"))
    assert code == 0
    assert "Routing Tokens to Fewer Experts" in out
    assert "\x1b[" not in out  # NO_COLOR is set by the test fixture


def test_usage_errors_exit_2() -> None:
    code, _, err = run("parse", "--format", "xml", str(GOLDEN / "hf-page.txt"))
    assert code == 2 and "Invalid value for '--format'" in err
    code, _, err = run("parse", "--json", "-f", "csv", str(GOLDEN / "hf-page.txt"))
    assert (code, err) == (2, "Error: --json and --format disagree (give only one of them)\n")


def _cli(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "papertriage", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        **kwargs,  # type: ignore[call-overload]
    )


@pytest.mark.slow
def test_module_entry_point_and_version() -> None:
    result = _cli("--version")
    assert (result.returncode, result.stdout, result.stderr) == (0, "papertriage 0.1.0\n", "")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("mark", "x", "--status", "skipped"),
            "Error: Invalid value for '--status' / '-s': 'skipped' is not one of 'to-read', "
            "'reading', 'read', 'skip' (see 'papertriage mark --help')",
        ),
        (("show",), "Error: Missing argument 'paper' (see 'papertriage show --help')"),
        (("parse", "--bogus"), "Error: No such option: --bogus (see 'papertriage parse --help')"),
        (
            ("serch", "x"),
            "Error: No such command 'serch'. Did you mean 'search', 'fetch'? "
            "(see 'papertriage --help')",
        ),
    ],
)
def test_a_mistake_on_the_command_line_is_one_line(args: tuple[str, ...], line: str) -> None:
    result = _cli(*args)
    said = result.stderr.replace("python -m papertriage", "papertriage")  # as `-m` names it
    assert (result.returncode, result.stdout, said) == (2, "", line + "\n")


@pytest.mark.slow
def test_help_and_exit_statuses_stay_as_they_were() -> None:
    result = _cli()
    assert result.returncode == 2 and "[OPTIONS] COMMAND [ARGS]" in result.stderr  # its help
    result = _cli("--help")
    assert (result.returncode, result.stderr) == (0, "") and "Commands" in result.stdout
    assert _cli("search", "zzzzqqq", str(EXAMPLE), "-q").returncode == 1  # nothing matched


@pytest.mark.slow
def test_a_closed_pipe_is_not_an_error() -> None:
    command = (
        f"{sys.executable} -m papertriage parse -q {EXAMPLE} --format jsonl | head -1 >/dev/null;"
        " echo ${PIPESTATUS[0]}"
    )
    result = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert (result.stdout, result.stderr) == ("0\n", "")


@pytest.mark.slow
def test_a_stream_closed_at_start_is_an_error_only_where_it_is_needed(tmp_path: Path) -> None:
    """Started with stdout closed (`>&-`), a command with data for it fails with one line and
    status 3, and one without (`add -q`) does its work; with stdin closed, `-` reads as empty."""

    def closed(fd: int, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PAPERTRIAGE_DB": str(tmp_path / "lib.sqlite3")}
        streams = {"stdout": None} if fd == 1 else {"stdin": None} if fd == 0 else {}
        return subprocess.run(
            [sys.executable, "-m", "papertriage", *args],
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
            check=False,
            preexec_fn=lambda: os.close(fd),
            **streams,  # type: ignore[call-overload]
        )

    result = closed(1, "parse", "-q", str(EXAMPLE))
    assert (result.returncode, result.stderr) == (
        3,
        "Error: stdout: cannot write: stdout is closed\n",
    )
    assert closed(1, "add", "-q", str(EXAMPLE)).returncode == 0
    assert Library(tmp_path / "lib.sqlite3").count() == 259
    result = closed(0, "parse", "-q", "-")
    assert result.returncode == 2 and result.stderr.startswith("Error: <stdin>: the file is empty")
    assert closed(2, "parse", "-q", str(EXAMPLE), "-o", str(tmp_path / "x.jsonl")).returncode == 0


@pytest.mark.slow
def test_parse_does_not_import_scikit_learn() -> None:
    code = (
        "import sys; from papertriage.cli import main; sys.argv = ['papertriage', 'parse', '-q', "
        f"{str(EXAMPLE)!r}];\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('sklearn' in sys.modules, 'numpy' in sys.modules, file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stderr == "False False\n"


def test_output_files_get_the_permissions_of_a_new_file_or_of_the_one_replaced(
    tmp_path: Path,
) -> None:
    umask = os.umask(0o022)
    try:
        target = tmp_path / "out.jsonl"
        run("parse", "-q", str(GOLDEN / "hf-page.txt"), "-o", str(target))
        assert target.stat().st_mode & 0o777 == 0o644  # not the temporary file's private 0600
        target.chmod(0o640)
        run("parse", "-q", str(GOLDEN / "hf-page.txt"), "-o", str(target), "--force")
        assert target.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(umask)
