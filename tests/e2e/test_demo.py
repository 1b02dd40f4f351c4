"""The README's two commands: `./run` is well formed, and `mcgen demo` runs the whole pipeline end to end."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from mcgen.cli import run
from mcgen.grid import load_json

ROOT = Path(__file__).resolve().parents[2]


def test_run_script_parses_and_rejects_unknown_commands() -> None:
    assert subprocess.run(["bash", "-n", str(ROOT / "run")]).returncode == 0
    res = subprocess.run([str(ROOT / "run"), "bogus"], capture_output=True, text=True)
    assert res.returncode == 2 and "usage: ./run demo|test|mcgen" in res.stderr


def test_ci_calls_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./run test" in readme and "./run demo" in readme
    assert "./run test" in ci


def test_demo_runs_the_whole_pipeline(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    out, world = tmp_path / "demo", tmp_path / "worlds" / "demo"
    rc = run(["demo", "--max-steps", "3", "--out", str(out), "--world", str(world), "--count", "2"])
    assert rc == 0
    for name in ("progress.png", "samples.png", "view.html"):
        assert (out / name).stat().st_size > 1000, name
    samples = sorted((out / "generated").glob("sample_*.json"))
    assert len(samples) == 20 and load_json(samples[0]).size == (16, 16, 16)
    assert len(list((out / "schematics").glob("*.schem"))) == 20
    assert (out / "outputs" / "checkpoints" / "latest.pt").is_file()
    build = json.loads((out / "build" / "build.json").read_text())
    assert len(build["buildings"]) == 2 and all(b["tp"].startswith("/tp") for b in build["buildings"])
    assert (world / "level.dat").is_file() and (world / "mcgen_log.json").is_file()


def test_demo_never_builds_over_an_existing_world(tmp_path: Path) -> None:
    from mcgen.cli.cmd_demo import _free_world_name

    base = tmp_path / "demo"
    assert _free_world_name(base) == base
    base.mkdir()
    (tmp_path / "demo-2").mkdir()
    assert _free_world_name(base) == tmp_path / "demo-3"


def test_demo_refuses_a_foreign_output_folder(tmp_path: Path, capsys) -> None:
    (tmp_path / "mine.txt").write_text("precious")
    assert run(["demo", "--out", str(tmp_path), "--world", str(tmp_path / "w")]) == 2
    assert "mcgen: error:" in capsys.readouterr().err
    assert (tmp_path / "mine.txt").read_text() == "precious"
