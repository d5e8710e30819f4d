"""The package's layout keeps the flow one-directional (docs/architecture.md).

Each folder is a stage: a module imports only from its own folder or from earlier stages,
whether at the top of the file or inside a function, and nothing imports the package
facade (`resnet_inspect/__init__.py`) back. Read from the source with `ast`, so a lazy
import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "resnet_inspect"

# The stages of the flow, earliest first; a module may import its own stage or earlier ones.
STAGES = ("errors", "version", "process", "private", "spec", "zoo", "counting", "report", "models",
          "trace", "analysis", "usecases", "render", "cli")
FACADE = ("resnet_inspect", "resnet_inspect.__main__")

# Imports against the flow that a protocol forces, each with its reason.
ALLOWED = {
    # The preset registry finds its presets: every module of zoo/ registers a family with
    # spec.registry.register, so the registry imports the folder on first use (a new
    # family is one new file); zoo modules import spec, never the other way at load time.
    ("resnet_inspect.spec.registry", "resnet_inspect.zoo"),
    # Jupyter's display protocol looks `_repr_html_`/`_repr_markdown_` up on the object's
    # class, so Report carries them; they import the renderer only when a notebook asks.
    ("resnet_inspect.report.model", "resnet_inspect.render.html"),
    # print(report) is the CLI's table, as a REPL user expects: __str__ asks the renderer.
    ("resnet_inspect.report.model", "resnet_inspect.render.notebook"),
}

MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every resnet_inspect module `name` imports, anywhere in the file."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # `from pkg import module` names a module
                child = f"{base}.{alias.name}"
                found.add(child if child in MODULES else base)
    return {m for m in found if m == "resnet_inspect" or m.startswith("resnet_inspect.")}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _stage(module: str) -> int:
    if module in FACADE:
        return len(STAGES)
    return STAGES.index(module.split(".")[1])


def test_every_module_belongs_to_a_stage() -> None:
    for name in MODULES:
        if name not in FACADE:
            assert name.split(".")[1] in STAGES, f"{name}: not in a stage folder"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_follow_the_flow(name: str) -> None:
    if name in FACADE:
        return
    for target in GRAPH[name]:
        if (name, target) in ALLOWED:
            continue
        assert target not in FACADE, f"{name} imports the package facade back"
        assert _stage(target) <= _stage(name), (
            f"{name} ({STAGES[_stage(name)]}) imports {target} "
            f"({STAGES[_stage(target)]}), a later stage"
        )


def test_no_import_cycles() -> None:
    """Depth-first search over every import, top-level or lazy."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(GRAPH.get(node, ())):
            if nxt not in MODULES or (node, nxt) in ALLOWED:
                continue
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt):], nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for name in sorted(MODULES):
        if name not in state:
            visit(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name: str) -> None:
    if name.endswith("preset_table"):  # generated data, one line a preset
        return
    lines = MODULES[name].read_text().count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by job (docs/architecture.md)"


def test_reading_a_report_and_the_specs_does_not_import_torch(tmp_path: Path) -> None:
    """A saved report, the presets and the settings are plain data: a notebook or a docs
    script reads them without paying for torch."""
    from resnet_inspect import inspect

    saved = tmp_path / "r18.json"
    saved.write_text(inspect("resnet18").to_json())
    code = (
        "import sys\n"
        "from resnet_inspect.report import Report\n"
        "from resnet_inspect.spec.registry import get_spec, families\n"
        "from resnet_inspect.spec.config import load_config\n"
        "from resnet_inspect.spec.merge import spec_from_settings\n"
        "import resnet_inspect.counting.categories\n"
        "import resnet_inspect.report.format\n"
        "import resnet_inspect.private\n"  # the CLI imports it before it needs torch
        f"r = Report.from_json(open({str(saved)!r}).read())\n"
        "assert r.totals.params == 11689512, r.totals.params\n"
        "assert get_spec('resnet50').depth == 50 and len(families()) >= 7\n"
        "spec = spec_from_settings({'block': get_spec('resnet50').block, 'layers': (1, 1)})\n"
        "assert spec.layer_counts == (1, 1)\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path)
    assert out.stdout.strip() == "[]", out.stdout


def test_vulture_finds_no_dead_code() -> None:
    """`vulture` at the confidence pyproject.toml sets (80%) reports nothing: no unused
    import, variable, argument or unreachable code in the package."""
    pytest.importorskip("vulture")
    out = subprocess.run([sys.executable, "-m", "vulture"], capture_output=True, text=True,
                         cwd=PACKAGE.parent)
    assert out.returncode == 0 and not out.stdout, out.stdout + out.stderr
