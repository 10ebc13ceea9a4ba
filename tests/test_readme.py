"""The README's commands are the ones that work: CI runs its test command, and its examples run."""

from __future__ import annotations

import os
import re
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


@pytest.mark.parametrize("command", usage_commands())
def test_usage_examples_run(command: str, tmp_path: Path) -> None:
    if "jq" in command and shutil.which("jq") is None:
        # No jq here: run what papertriage prints through Python's json instead of jq.
        command = (
            command.split(" | jq", 1)[0]
            + ' | python -c "import sys, json; [json.loads(l) for l in sys.stdin]"'
        )
    for name in ("examples", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert result.stdout.strip() or any(tmp_path.glob("*.csv"))


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
