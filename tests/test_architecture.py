"""The import rules that keep data flowing one way (STYLE: parse -> records -> tag -> search ->
render -> cli), and the layers of the tree that show it."""

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


# Bottom to top: each layer may import the layers below it and itself, never one above. The
# foundation is the package's own top-level modules; every other layer is a subpackage.
LAYERS = [
    "foundation",
    "output",
    "listings",
    "fetch",
    "topics",
    "search",
    "library",
    "learn",
    "cli",
]
ENTRY_POINTS = {"__init__.py", "__main__.py"}  # lazy exports and `python -m papertriage`


def layer_of(module: str) -> str:
    """'papertriage.search.index' -> 'search'; a top-level module is the foundation."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "foundation"


def dotted(path: str) -> str:
    return "papertriage." + path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def package_imports() -> dict[str, set[str]]:
    """Each module's imports of the package, by dotted name, entry points left out."""
    return {
        dotted(name): {m for m in imported if m.startswith("papertriage.")}
        for name, imported in modules().items()
        if name not in ENTRY_POINTS
    }


def test_every_module_lives_in_a_layer() -> None:
    assert {layer_of(module) for module in package_imports()} <= set(LAYERS)


def test_each_layer_imports_only_the_layers_below_it() -> None:
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in package_imports().items()
        for target in targets
        if LAYERS.index(layer_of(target)) > LAYERS.index(layer_of(module))
    )
    assert upward == []


def test_the_foundation_imports_nothing_of_the_package() -> None:
    found = {
        module: targets
        for module, targets in package_imports().items()
        if layer_of(module) == "foundation" and targets
    }
    assert found == {}


def test_no_module_imports_itself_back_through_others() -> None:
    graph = package_imports()

    def reaches(start: str, goal: str) -> bool:
        seen, stack = set(), [start]
        while stack:
            module = stack.pop()
            for target in graph.get(module, ()):
                # Importing a package's submodule runs the package's __init__ too.
                if target == goal:
                    return True
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        return False

    cycles = sorted(
        f"{module} <-> {target}"
        for module, targets in graph.items()
        for target in targets
        if target != module and reaches(target, module)
    )
    assert cycles == []


def test_no_private_name_is_imported_from_another_module() -> None:
    private = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("papertriage"):
                private += [
                    f"{path.relative_to(PACKAGE)}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    assert private == []


NAMED_TUPLE_API = {"_replace", "_fields", "_make", "_asdict", "_field_defaults"}


def test_no_private_attribute_of_another_object_is_read() -> None:
    """`other._name` outside `self`/`cls` reaches into another module's or object's privates
    (a named tuple's documented `_replace`, `_fields`, ... excepted)."""
    reached = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and node.attr not in NAMED_TUPLE_API
                and not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"})
                and ast.unparse(node) != "os._exit"  # the documented exit without clean-up
            ):
                reached.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: .{node.attr}")
    assert reached == []


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
    from tests.helpers import imported_by

    program = (
        "from typer.testing import CliRunner\n"
        "from papertriage.cli import app\n"
        "CliRunner().invoke(app, ['--help'])\n"
    )
    heavy = ("sklearn", "numpy", "scipy", "papertriage.learn.model", "papertriage.learn.screening")
    assert imported_by(program, (*heavy, "papertriage.learn.simulate")) == []


MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 90


def test_modules_and_functions_stay_small_enough_to_read() -> None:
    too_long = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(PACKAGE))
        if text.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{name}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}: {node.name}() {length} lines")
    assert too_long == []
