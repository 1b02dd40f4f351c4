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
