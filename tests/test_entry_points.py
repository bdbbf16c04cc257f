"""Every name that a file outside lib/ gives to Python resolves: pyproject's scripts, each
`python -m` and `python -c` of the shell scripts, and the imports of scripts/*.py and of the
notebooks with every attribute they read of a module they import (`notebook.runs_view`). A
module or function moved inside lib/ cannot break one of them unseen."""
import ast
import importlib
import importlib.util
import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHELL_FILES = ["run_all.sh", "run_tests.sh", ".ci/run", *sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "scripts").glob("*.sh"))]
MODULE_FLAG = re.compile(r"""python\S*"?\s+(?:-\w\s+)*-m\s+([A-Za-z_]\w*(?:\.\w+)*)""")
CODE_FLAG = re.compile(r"""python\S*"?\s+(?:-\w\s+)*-c\s+('[^']*'|"[^"]*")""")


def imports_of(code: str) -> list[tuple[str, str | None]]:
    """(module, name) for each `from module import name`, (module, None) for `import module`."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found += [(node.module, alias.name) for alias in node.names]
    return found


def is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a name inside a module, not a module
        return False


def module_attributes_of(code: str) -> list[tuple[str, str]]:
    """(module, attribute) for each `name.attribute` the code reads of a project module it
    imported as `name` (`from facerecon.app import notebook` then `notebook.runs_view`)."""
    bound = {}
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 \
                and node.module.split(".")[0] == "facerecon":
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if is_module(full):
                    bound[alias.asname or alias.name] = full
    return [(bound[node.value.id], node.attr) for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in bound]


def shell_targets(path: str) -> list[tuple[str, str, str | None]]:
    text = (ROOT / path).read_text()
    targets = [(path, "-m " + module, None) for module in MODULE_FLAG.findall(text)]
    for quoted in CODE_FLAG.findall(text):
        targets += [(path, f"-c {module}", name) for module, name in imports_of(shlex.split(quoted)[0])]
    return targets


def notebook_code(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def named_entry_points() -> list[tuple[str, str, str | None]]:
    """(where it is named, module, attribute or None)."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    named = [("pyproject.toml", *target.split(":")) for target in scripts.values()]
    for path in SHELL_FILES:
        named += [(where, flag.split()[1], name) for where, flag, name in shell_targets(path)]
    for path in sorted((ROOT / "scripts").glob("*.py")) + sorted((ROOT / "notebooks").glob("*.ipynb")):
        code = path.read_text() if path.suffix == ".py" else notebook_code(path)
        named += [(str(path.relative_to(ROOT)), module, name)
                  for module, name in imports_of(code) + module_attributes_of(code)]
    return sorted(set(named), key=str)


def resolves(module: str, name: str | None) -> bool:
    if name is None:
        return importlib.util.find_spec(module) is not None
    imported = importlib.import_module(module)
    return hasattr(imported, name) or is_module(f"{module}.{name}")


def test_the_files_outside_lib_name_entry_points():
    named = named_entry_points()
    wheres = {where for where, _, _ in named}
    assert {"pyproject.toml", "run_tests.sh", "run_all.sh"} <= wheres
    assert any(where.startswith("notebooks/") for where in wheres)
    assert ("pyproject.toml", "facerecon.app.cli", "main") in named


@pytest.mark.parametrize("where, module, name", named_entry_points(),
                         ids=lambda value: str(value))
def test_every_named_entry_point_resolves(where, module, name):
    label = f"{module}:{name}" if name else module
    try:
        found = resolves(module, name)
    except ImportError as error:
        pytest.fail(f"{where} names {label}, which cannot be imported ({error})")
    assert found, f"{where} names {label}, which does not exist"


def test_a_moved_module_is_caught():
    """The check itself can fail: the two names that once broke (facerecon.cli,
    facerecon.runtime) do not resolve."""
    assert not resolves("facerecon.cli", None)
    assert not resolves("facerecon", "runtime")
    code = "from facerecon.runtime import accelerator_name; print(accelerator_name())"
    assert imports_of(code) == [("facerecon.runtime", "accelerator_name")]
    with pytest.raises(ImportError):
        resolves("facerecon.runtime", "accelerator_name")
    moved = "from facerecon.reporting import latex\nlatex.figure_caption('a')"
    assert module_attributes_of(moved) == [("facerecon.reporting.latex", "figure_caption")]
    assert not resolves("facerecon.reporting.latex", "figure_caption")
