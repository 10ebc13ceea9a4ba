"""Start-up: a run registers only the command it names and, on a small listing, imports nothing
heavy, on first contact and warm; what needs every command (help, a mistyped one) still has them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from papertriage.cli import COMMAND_MODULES, COMMAND_ORDER, named_command
from papertriage.listings.parse import parse_text
from tests.helpers import EXAMPLE, ROOT, run

HEAVY = ("sklearn", "scipy", "numpy")
LIBRARY, LEARNING = "papertriage.cli.library", "papertriage.cli.learning"


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["search", "x"], "search"),
        (["filter", "--tag", "moe", "listing.txt"], "filter"),
        (["--version"], None),
        (["-h"], None),
        (["--help"], None),
        ([], None),
        (["serch", "x"], None),  # Typer's suggestion needs every command
        (["listing.txt", "search"], None),  # the first word decides, as for Typer
        (["--help", "search"], None),  # the app's help lists every command
        (["-h", "tag"], None),
    ],
)
def test_named_command_is_the_first_word_when_it_is_a_command(
    argv: list[str], named: str | None
) -> None:
    assert named_command(argv) == named


def test_every_command_is_named_and_none_while_completing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert [named_command([name, "x"]) for name in COMMAND_ORDER] == COMMAND_ORDER
    # Completing a shell word lists every command, so all of them must be registered.
    monkeypatch.setenv("_PAPERTRIAGE_COMPLETE", "complete_bash")
    assert [named_command([name, "x"]) for name in COMMAND_ORDER] == [None] * len(COMMAND_ORDER)


def python(
    *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter running ARGS: registering mutates the one app of a process."""
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=ROOT, check=check
    )


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`papertriage ARGS` as a user runs it."""
    return python("-m", "papertriage", *args, check=False)


# Registers the commands given one at a time; prints what each added, then every command's module.
REGISTER = """
import json, sys
from papertriage.cli import command_name, register
from papertriage.cli.shell import app
def names():
    return {command_name(info) for info in app.registered_commands}
added = []
for name in sys.argv[1:]:
    before = names()
    register([name])
    added.append(sorted(names() - before))
print(json.dumps([added, [[command_name(i), i.callback.__module__] for i in app.registered_commands]]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("module", sorted(set(COMMAND_MODULES.values())))
def test_a_command_is_registered_alone_from_the_module_it_names(module: str) -> None:
    names = [name for name, its in COMMAND_MODULES.items() if its == module]
    added, registered = json.loads(python("-c", REGISTER, *names).stdout)
    assert added == [[name] for name in names]  # Typer builds no other command's parameters
    assert registered == [[name, f"papertriage.cli.{module}"] for name in names]


@pytest.mark.slow
def test_the_app_attribute_has_every_command_in_help_order() -> None:
    # After a run registered some commands, out of order: the rest join them in their places.
    program = (
        "from papertriage.cli import command_name, register\n"
        "register(['search', 'parse'])\n"
        "from papertriage.cli import app\n"
        "print(*map(command_name, app.registered_commands))\n"
    )
    assert python("-c", program).stdout.split() == COMMAND_ORDER


# A run as `papertriage ARGS`, reporting its exit code and which packages it imported on stderr.
MAIN = """
import json, sys
from papertriage.cli import main
sys.argv = ["papertriage", *json.loads(sys.argv[1])]
code = 0
try:
    main()
except SystemExit as end:
    code = end.code
modules = [m for m in sys.modules if m.split(".")[0] in {"sklearn", "scipy", "numpy", "yaml"}]
modules += [m for m in sys.modules if m.startswith("papertriage.cli.")]
print(json.dumps([code, sorted(modules)]), file=sys.stderr)
"""


def small_listing(tmp_path: Path) -> Path:
    """The example's banner and first 11 papers, one of them on mixture of experts."""
    listing = tmp_path / "small.txt"
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    listing.write_text("".join(lines[:24]), encoding="utf-8")
    return listing


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "not_imported"),
    [
        (
            ["search", "mixture of experts", "{listing}", "--format", "jsonl"],
            (*HEAVY, LIBRARY, LEARNING),
        ),
        (["filter", "{listing}", "--tag", "moe", "--format", "jsonl"], (*HEAVY, LIBRARY, LEARNING)),
        # The listing commands' module imports the learning one (eval --simulate's options).
        (["tag", "{listing}", "--format", "jsonl"], (*HEAVY, LIBRARY)),
        (["parse", "{listing}", "--format", "jsonl"], (*HEAVY, LIBRARY)),
    ],
)
def test_a_command_on_a_small_listing_imports_nothing_heavy(
    args: list[str], not_imported: tuple[str, ...], tmp_path: Path
) -> None:
    listing = small_listing(tmp_path)
    argv = json.dumps([str(listing) if arg == "{listing}" else arg for arg in args])
    home = tmp_path / "home"  # empty: the first run is a first contact, the second warm
    env = {**os.environ, "PAPERTRIAGE_HOME": str(home), "XDG_CACHE_HOME": str(home / "xdg")}
    runs = [python("-c", MAIN, argv, env=env) for _ in ("first contact", "warm")]
    titles = {record.title for record in parse_text(listing.read_text(encoding="utf-8"))}
    for done in runs:
        code, modules = json.loads(done.stderr.splitlines()[-1])
        assert code == 0
        assert [m for m in modules if m.split(".")[0] in not_imported or m in not_imported] == []
        found = [json.loads(line)["title"] for line in done.stdout.splitlines()]
        assert found and set(found) <= titles
    assert runs[1].stdout == runs[0].stdout
    assert "yaml" not in runs[1].stderr.splitlines()[-1]  # the taxonomy was compiled


def options(help_text: str) -> set[str]:
    """The options a help text lists (its usage line, which names the program, left out)."""
    return set(re.findall(r"(?<![\w-])--?[a-z][\w-]*", help_text.split("\n", 1)[1]))


@pytest.mark.slow
def test_a_mistyped_command_still_gets_a_suggestion_and_exit_2() -> None:
    result = cli("serch", "mixture of experts")
    assert (result.returncode, result.stdout) == (2, "")
    assert "No such command 'serch'. Did you mean 'search'" in result.stderr


@pytest.mark.slow
def test_help_in_a_real_run_is_the_help_of_the_whole_app() -> None:
    # The help of `search` alone registered has the same options as the whole app's.
    result = cli("search", "--help")
    assert (result.returncode, result.stderr) == (0, "")
    assert (
        options(result.stdout) == options(run("search", "--help")[1]) >= {"--explain", "--topics"}
    )
    listed = re.findall(r"^  ([a-z]+) ", cli("--help").stdout, flags=re.MULTILINE)
    assert listed == COMMAND_ORDER
