"""The import direction from STYLE.md: light core, export/world never import torch, mcgen never trainer."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports_after(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("module", ["mcgen", "mcgen.grid", "mcgen.blocks", "mcgen.vocab", "mcgen.files"])
def test_core_modules_stay_light(module: str) -> None:
    mods = _imports_after(module)
    assert "torch" not in mods and "amulet" not in mods and "trainer" not in mods


def _existing(*names: str) -> list[str]:
    return [n for n in names if (ROOT / n.replace(".", "/")).with_suffix(".py").exists()
            or (ROOT / n.replace(".", "/") / "__init__.py").exists()]


@pytest.mark.parametrize("module", _existing("mcgen.export", "mcgen.export.readers", "mcgen.export.writers"))
def test_export_never_imports_torch_or_amulet(module: str) -> None:
    mods = _imports_after(module)
    assert "torch" not in mods and "amulet" not in mods and "mcgen.world" not in mods


@pytest.mark.parametrize("module", _existing("mcgen.world"))
def test_world_never_imports_torch_or_export(module: str) -> None:
    mods = _imports_after(module)
    assert "torch" not in mods and not any(m.startswith("mcgen.export") for m in mods)


def test_cli_import_does_not_pull_torch_or_trainer() -> None:
    mods = _imports_after("mcgen.cli")
    assert "torch" not in mods and "amulet" not in mods and "trainer" not in mods


def test_only_the_train_command_imports_trainer() -> None:
    offenders = []
    for path in (ROOT / "mcgen").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if ("import trainer" in text or "from trainer" in text) and path.name != "cmd_train.py":
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(exe).exists():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    res = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def _import_graph():
    grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter (pip install -e '.[test]')")
    return grimp.build_graph("mcgen", "trainer")


def test_no_import_cycles_in_mcgen_or_trainer() -> None:
    """Every import, lazy ones inside functions and TYPE_CHECKING ones included, runs one way."""
    graph = _import_graph()
    modules = sorted(graph.modules)
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i in graph.modules} for m in modules}
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for m in modules:
        if m not in index:
            visit(m)
    assert cycles == []


def test_no_private_names_imported_across_modules() -> None:
    graph = _import_graph()
    offenders = []
    for m in graph.modules:
        for imported in graph.find_modules_directly_imported_by(m):
            for d in graph.get_import_details(importer=m, imported=imported):
                name = d["line_contents"].split(" import ")[-1] if " import " in d["line_contents"] else ""
                names = [n.strip(" ()").split(" as ")[0] for n in name.split(",")]
                if any(n.startswith("_") and not n.startswith("__") for n in names):
                    offenders.append(f"{m}: {d['line_contents']}")
    assert offenders == []
