"""``mcgen dataset import`` as a user runs it: summary, skipped files, exit codes, world boxes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer

import mcgen.cli
from mcgen.cli.cmd_import import add_commands
from mcgen.files import read_structure


def _has_import(app: typer.Typer) -> bool:
    for group in app.registered_groups:
        if group.name == "dataset" and group.typer_instance is not None:
            return any(c.name == "import" for c in group.typer_instance.registered_commands)
    return False


@pytest.fixture
def mcgen_run(monkeypatch, capsys):
    """``mcgen.cli.run`` (real error handling and exit codes) with ``dataset import`` available."""
    if not _has_import(mcgen.cli.app):  # until cmd_dataset adds it: a stand-in dataset group
        group = typer.Typer(name="dataset", no_args_is_help=True)
        add_commands(group)
        group.command("noop", hidden=True)(lambda: None)
        app = typer.Typer(name="mcgen", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
        app.add_typer(group, name="dataset")
        monkeypatch.setattr(mcgen.cli, "app", app)

    def _run(*argv: str) -> tuple[int, str, str]:
        code = mcgen.cli.run(["dataset", "import", *map(str, argv)])
        cap = capsys.readouterr()
        return code, cap.out, cap.err

    return _run


@pytest.fixture
def some_builds(fixtures_dir: Path, tmp_path: Path) -> Path:
    src = tmp_path / "builds"
    (src / "sub").mkdir(parents=True)
    g = fixtures_dir / "buildings" / "gdmc2022"
    for name in ("houses_basichouse1.nbt", "functionals_basicfarm.nbt", "functionals_mediumwindmill.nbt"):
        shutil.copy(g / name, src / name)
    shutil.copy(fixtures_dir / "buildings" / "villages_overhauled" / "plains_small_house_1.nbt", src / "sub")
    shutil.copy(fixtures_dir / "litematic" / "v5_simple_house.litematic", src / "sub")
    return src


def test_import_writes_a_dataset_and_prints_a_summary(mcgen_run, some_builds: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    code, stdout, stderr = mcgen_run(some_builds, "--out", out, "--size", "32")
    assert code == 0, stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["count"] == 5 and manifest["size"] == 32
    assert manifest["labels"] == {"farm": 1, "house": 3, "windmill": 1}
    assert (out / "preview.png").is_file() and (out / "report.json").is_file()
    assert "imported 5 build(s)" in stdout and "top remappings:" in stdout and "remapped" in stdout
    assert "dropped" in stdout and "block entities" in stdout
    assert stderr.count("ok: ") == 5
    g = read_structure(out / "sample_0000")
    assert g.size == (32, 32, 32) and g.meta["source"].endswith(".nbt")


def test_a_bad_file_is_skipped_and_the_batch_goes_on(mcgen_run, some_builds: Path, fixtures_dir: Path,
                                                      tmp_path: Path) -> None:
    (some_builds / "broken.schem").write_bytes(b"\x1f\x8b\x08\x00garbage")
    shutil.copy(fixtures_dir / "schem" / "v2_no_metadata_hotel.schem", some_builds / "huge.nbt")
    code, stdout, stderr = mcgen_run(some_builds, "--out", tmp_path / "ds", "-q", "--no-preview")
    assert code == 0
    assert "skipped: " in stderr and "broken.schem" in stderr
    assert "larger than --max-size 256; not loaded" in stderr
    assert "skipped 1 unreadable, 1 larger than --max-size 256" in stdout
    assert json.loads((tmp_path / "ds" / "manifest.json").read_text())["count"] == 5
    assert not (tmp_path / "ds" / "preview.png").exists()


def test_nothing_importable_is_an_error_with_exit_3(mcgen_run, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.nbt").write_bytes(b"not nbt at all")
    code, _, stderr = mcgen_run(tmp_path / "in", "--out", tmp_path / "ds")
    assert code == 3 and stderr.strip().splitlines()[-1].startswith("mcgen: error: no build could be imported")
    assert not (tmp_path / "ds" / "manifest.json").exists()


@pytest.mark.parametrize(("args", "code", "needle"), [
    (["--fit", "squash"], 3, "--fit must be one of"),
    (["--vocab", "auto:x"], 3, "--vocab must be"),
    (["--size", "20"], 3, "--size must be one of"),
    (["--box", "0", "0", "0", "1", "1", "1"], 2, "--world and --box go together"),
    (["--world", "w"], 2, "--world and --box go together"),
])
def test_bad_options_give_one_line_errors(mcgen_run, some_builds: Path, tmp_path: Path, args, code, needle) -> None:
    rc, _, stderr = mcgen_run(some_builds, "--out", tmp_path / "ds", *args)
    assert rc == code and needle in stderr and "Traceback" not in stderr


def test_a_missing_source_is_a_usage_error(mcgen_run, tmp_path: Path) -> None:
    rc, _, stderr = mcgen_run(tmp_path / "nope", "--out", tmp_path / "ds")
    assert rc == 2 and "no such file or folder" in stderr


def test_auto_vocabulary_and_pad_fallback(mcgen_run, fixtures_dir: Path, tmp_path: Path) -> None:
    src = fixtures_dir / "structure_nbt" / "structblock_1_21_3_register.nbt"  # 48 long: does not fit 32
    shutil.copy(fixtures_dir / "buildings" / "gdmc2022" / "houses_basichouse1.nbt", tmp_path / "house.nbt")
    rc, stdout, _ = mcgen_run(src, tmp_path / "house.nbt", "--out", tmp_path / "ds", "--fit", "pad",
                              "--vocab", "auto:16", "--no-preview")
    assert rc == 0
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    assert 12 <= len(manifest["vocabulary"]) <= 16 and manifest["vocabulary"][0] == "minecraft:air"
    assert "--fit pad: 1 build(s) did not fit and were scaled instead" in stdout


@pytest.mark.world
def test_import_a_world_box(mcgen_run, world_copy, tmp_path: Path) -> None:
    pytest.importorskip("amulet")
    world = world_copy("mc1_21_3_flat_redstone")
    rc, stdout, stderr = mcgen_run("--world", world, "--box", -40, -64, 20, 0, -40, 60, "--out", tmp_path / "ds",
                                   "--no-preview")
    assert rc == 0, stderr
    assert "imported 1 build(s)" in stdout
    g = read_structure(tmp_path / "ds" / "sample_0000")
    assert g.size == (32, 32, 32) and "box -40 -64 20 0 -40 60" in g.meta["source"]
