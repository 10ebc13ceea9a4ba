"""The README's commands are the ones that work: CI runs its test command, and its examples run."""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def bash_blocks(section: str) -> list[str]:
    body = README.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", body, flags=re.S)


def test_quick_start_gives_an_install_and_run_and_an_install_and_test_command() -> None:
    install_run, install_test = (block.strip() for block in bash_blocks("Quick start"))
    assert "pip install -e ." in install_run
    assert install_run.endswith("papertriage tag examples/hf-papers-listing.txt")
    assert install_test.endswith("pip install -e '.[dev]' && python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    install_test = bash_blocks("Quick start")[1].strip()
    test_command = install_test.split(". .venv/bin/activate && ", 1)[1]
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def usage_commands() -> list[str]:
    lines = bash_blocks("Usage")[0].splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def programs_of(command: str) -> list[list[str]]:
    """The words of each program a command line runs, in order (split at `|` and `&&`)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars="|&")
    lexer.whitespace_split = True
    programs: list[list[str]] = [[]]
    for word in lexer:
        if word in ("|", "&&"):
            programs.append([])
        else:
            programs[-1].append(word)
    return programs


def option(words: list[str], *names: str) -> str | None:
    found = [words[i + 1] for i, word in enumerate(words[:-1]) if word in names]
    return found[-1] if found else None


# The commands whose output is papers: each has an id and a title.
RECORD_COMMANDS = {"parse", "tag", "search", "filter", "rank", "similar"}
# Without jq, what papertriage printed (JSON or JSON Lines) is printed again as JSON Lines.
NO_JQ = (
    'python -c "import sys, json; text = sys.stdin.read(); '
    "docs = json.loads(text) if text.startswith('[') else map(json.loads, text.splitlines()); "
    '[print(json.dumps(doc)) for doc in docs]"'
)


def check_output(command: str, stdout: str, stderr: str, folder: Path) -> None:
    """What each kind of example prints: the file it writes, the papers as JSON with their ids and
    titles, as many as the report on stderr counts, or jq's lines with no field missing."""
    programs = programs_of(command)
    words = [words for words in programs if words[0] == "papertriage"][-1]
    name, after = words[1], programs[programs.index(words) + 1 :]
    lines = stdout.splitlines()
    if (path := option(words, "-o", "--output")) is not None:
        assert stdout == ""
        with (folder / path).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert rows and all(row["id"] and row["title"] for row in rows), rows[:1]
        return
    assert lines, "printed nothing"
    if after and after[0][0] == "jq":  # a missing field is 'null' to jq
        assert all(line.strip() for line in lines), stdout
        assert not [line for line in lines if re.search(r"(^|[\t ])null([\t ]|$)", line)], stdout
        if count := next((option(p, "-n") or p[1][1:] for p in after if p[0] == "head"), None):
            assert len(lines) == int(count), stdout
        return
    if name == "screen":
        assert re.search(r"^screened \d+ of \d+ papers", stderr, flags=re.M), stderr
        return
    if name == "tag" and "--explain" in words:  # papers, numbered, each with its tags and why
        assert lines[0].startswith("1. ") and re.search(r"^\s+#\S+", stdout, flags=re.M), stdout
        return
    json_array = not after and (option(words, "--format", "-f") == "json" or "--json" in words)
    docs = json.loads(stdout) if json_array else [json.loads(line) for line in lines]
    assert docs and all(isinstance(doc, dict) for doc in docs), stdout
    if name in RECORD_COMMANDS:
        assert all(doc["id"] and doc["title"] for doc in docs), stdout
    if words[1:3] == ["topics", "show"]:
        assert [doc["id"] for doc in docs] == [words[3]]
    if (most := option(words, "-n", "--limit")) is not None:
        assert len(docs) <= int(most)
    if counted := re.search(r"^(\d+) of \d+ papers (?:match|kept)$", stderr, flags=re.M):
        assert len(docs) == int(counted[1]), stderr
    reported = re.findall(r": (\d+) records \(", stderr)
    if name == "parse" and len(reported) == 1:
        assert len(docs) == int(reported[0]), stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", usage_commands())
def test_usage_examples_run(command: str, tmp_path: Path) -> None:
    if "jq" in command and shutil.which("jq") is None:
        # No jq here: check what papertriage prints through Python's json instead of jq.
        command = command.split(" | jq", 1)[0] + " | " + NO_JQ
    for name in ("examples", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    check_output(command, result.stdout, result.stderr, tmp_path)


def test_the_readme_taxonomy_example_is_valid() -> None:
    from papertriage.topics.taxonomy import parse_taxonomy

    block = re.findall(r"```yaml\n(.*?)```", README, flags=re.S)[0]
    taxonomy = parse_taxonomy(block, "README")
    assert "retrieval" in taxonomy.ids and "snn" not in taxonomy.ids


def test_every_command_has_a_summary_an_example_and_a_readme_mention() -> None:
    from typer.main import get_command

    from papertriage.cli import app

    group = get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        help_text = command.help or ""
        assert help_text.strip().splitlines()[0], name
        assert f"Example: papertriage {name}" in help_text, name
        assert f"papertriage {name}" in README, name
