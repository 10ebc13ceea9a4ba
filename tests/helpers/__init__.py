"""What more than one test module uses: the test data's paths and the command line run in-process.

Fixtures live in tests/conftest.py; plain helpers live here, so that no test module imports
another one (a test module is for pytest to collect, not a library).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from papertriage.cli import app
from papertriage.listings.parse import parse_text
from papertriage.models import Record

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data"
GOLDEN = DATA / "golden"
EXAMPLE = ROOT / "examples" / "hf-papers-listing.txt"


def run(*args: str, stdin: str | bytes | None = None) -> tuple[int, str, str]:
    """`papertriage ARGS` in this process: (exit code, stdout, stderr); a crash is raised, not
    reported as exit 1 as CliRunner does."""
    result = CliRunner().invoke(app, list(args), input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def example_records() -> list[Record]:
    """The records of the example listing (259 papers), parsed as from example.txt."""
    return parse_text(EXAMPLE.read_text(encoding="utf-8"), source="example.txt")


def imported_by(program: str, modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` a fresh interpreter has imported after running `program`."""
    check = f"\nimport sys\nprint(sorted(m for m in {modules!r} if m in sys.modules))\n"
    done = subprocess.run(
        [sys.executable, "-c", program + check], capture_output=True, text=True, check=True
    )
    found: list[str] = ast.literal_eval(done.stdout)
    return found


def run_bench(script: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run bench/SCRIPT with `args` from the repository root, as a user would, output captured."""
    return subprocess.run(
        [sys.executable, f"bench/{script}", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
