"""The package's layers (facerecon.LAYERS, bottom up): each is a subpackage whose docstring says
what it owns and what it may import; no module imports a layer above its own, and there is no
import cycle between modules."""
import ast
import shutil
import subprocess
import sys
from pathlib import Path

import facerecon

PACKAGE = Path(facerecon.__file__).parent


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, package_root: Path = PACKAGE) -> set[str]:
    """The project's modules a file imports, anywhere in its code, by full name."""
    here = module_name(path, package_root).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            if stem.split(".")[0] != "facerecon":
                continue
            for alias in node.names:  # `from . import io` names modules, `from .io import x` not
                candidate = f"{stem}.{alias.name}"
                found.add(candidate if (package_root.parent / candidate.replace(".", "/")).with_suffix(
                    ".py").exists() else stem)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "facerecon"}
    return found


def graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    return {module_name(p, package): imported_modules(p, package) for p in package.rglob("*.py")}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in facerecon.LAYERS else None


def test_every_module_is_in_a_layer_and_every_layer_says_what_it_may_import():
    top = {module_name(p) for p in PACKAGE.glob("*.py")}
    assert top == {"facerecon", "facerecon.__main__"}, "modules outside the layers"
    for layer in facerecon.LAYERS:
        init = PACKAGE / layer / "__init__.py"
        assert init.exists(), layer
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert doc.startswith(f"{layer}:") and "May import:" in doc, layer
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(
        facerecon.LAYERS)


def upward_imports(package: Path) -> list[str]:
    rank = {layer: i for i, layer in enumerate(facerecon.LAYERS)}
    return [f"{module} imports {target}"
            for module, targets in graph(package).items() if layer_of(module)
            for target in targets if layer_of(target)
            and rank[layer_of(target)] > rank[layer_of(module)]]


def test_no_layer_imports_one_above_it():
    upward = upward_imports(PACKAGE)
    assert not upward, "; ".join(upward)


def test_the_layer_test_sees_an_upward_import(tmp_path):
    """It can fail: in a copy of the package (tests run side by side with the checkout's), a
    module of core that imports reporting is found."""
    copy = shutil.copytree(PACKAGE, tmp_path / "facerecon",
                           ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "core" / "_upward_probe.py").write_text("from ..reporting import plots\n")
    assert upward_imports(copy) == [
        "facerecon.core._upward_probe imports facerecon.reporting.plots"]


def reached(module: str, edges: dict[str, set[str]]) -> set[str]:
    """Every project module `module` imports, directly or through others."""
    seen, todo = set(), [module]
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def computing_imports(package: Path = PACKAGE) -> list[str]:
    """Reporting modules that reach training or recognition's scoring: a report only reads the
    records those write (the run store is experiment's, the recorded ranks protocol's)."""
    edges = graph(package)
    return [f"{module} reaches {target}" for module in edges if layer_of(module) == "reporting"
            for target in sorted(reached(module, edges))
            if layer_of(target) == "training" or target == "facerecon.recognition.recognise"]


def test_reporting_reads_records_and_never_reaches_training():
    found = computing_imports()
    assert not found, "; ".join(found)


def test_the_reading_test_sees_a_report_that_trains(tmp_path):
    copy = shutil.copytree(PACKAGE, tmp_path / "facerecon",
                           ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "reporting" / "_training_probe.py").write_text("from ..experiment import runs\n"
                                                           "from ..recognition import recognise\n")
    assert computing_imports(copy)[:1] == [
        "facerecon.reporting._training_probe reaches facerecon.recognition.recognise"]


def test_the_package_has_no_import_cycle():
    edges = graph()
    done = set()

    def visit(module, path):
        assert module not in path, " -> ".join([*path, module])
        if module not in done:
            for imported in edges.get(module, ()):
                visit(imported, [*path, module])
            done.add(module)

    for module in edges:
        visit(module, [])


def test_the_registries_and_the_configuration_import_no_keras():
    """Labels, colours and markers are read without Keras: only networks, loss functions and
    metrics import it."""
    code = ("import sys; import facerecon.experiment.config, facerecon.experiment.runs, "
            "facerecon.axes.architectures, facerecon.axes.losses, facerecon.axes.obfuscation, "
            "facerecon.reporting.formatting, facerecon.reporting.plots; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('keras', 'tensorflow', 'jax', 'torch')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_each_layer_docstring_names_its_modules_and_the_cli_its_commands():
    for layer in facerecon.LAYERS:
        doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text()))
        modules = [p.stem for p in (PACKAGE / layer).glob("*.py") if p.stem != "__init__"]
        assert not [m for m in modules if m not in doc], layer
    from facerecon.app import cli

    commands = cli.parser()._subparsers._group_actions[0].choices
    assert not [c for c in commands if f"\n  {c} " not in cli.__doc__]
