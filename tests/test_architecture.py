"""The import rules that keep data flowing one way (STYLE: parse -> records -> tag -> search ->
render -> cli)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "papertriage"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def modules() -> dict[str, set[str]]:
    return {str(path.relative_to(PACKAGE)): imports_of(path) for path in PACKAGE.rglob("*.py")}


def test_models_import_nothing_from_the_package() -> None:
    assert not {m for m in imports_of(PACKAGE / "models.py") if m.startswith("papertriage")}


def test_nothing_outside_the_cli_imports_it() -> None:
    for name, imported in modules().items():
        if not name.startswith("cli") and name != "__main__.py":  # `python -m papertriage`
            assert not {m for m in imported if m.startswith("papertriage.cli")}, name


def test_only_the_store_imports_sqlite3() -> None:
    users = {name for name, imported in modules().items() if "sqlite3" in imported}
    assert users == {"library/store.py"}


def test_only_the_cli_writes_to_stdout() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name != "cli":
            assert "sys.stdout" not in path.read_text(encoding="utf-8"), path


def test_every_command_is_listed_in_help_order() -> None:
    from papertriage.cli import COMMAND_ORDER, app

    names = [info.name or info.callback.__name__ for info in app.registered_commands]
    assert names == COMMAND_ORDER


def test_the_learned_triage_code_stays_off_the_startup_path() -> None:
    import subprocess
    import sys

    program = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from papertriage.cli import app\n"
        "CliRunner().invoke(app, ['--help'])\n"
        "heavy = ('sklearn', 'numpy', 'scipy', 'papertriage.learn.model', 'papertriage.learn.screening',"
        " 'papertriage.learn.simulate')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
