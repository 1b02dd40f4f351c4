"""Data packs of structure templates: the pack-format table, the layout per version, writing and installing."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

import mcgen.cli
from mcgen.errors import ExportError
from mcgen.export import datapack, versions
from mcgen.export.readers import read_bytes, read_file
from mcgen.export.writers import encode
from mcgen.grid import save_json
from tests.unit._export_helpers import random_grid

# Data-pack formats of the releases we support (Minecraft wiki, "Pack format"; 1.21.9+ as [major, minor]).
EXPECTED = {
    "1.16": 5, "1.16.1": 5, "1.16.2": 6, "1.16.5": 6, "1.17": 7, "1.17.1": 7, "1.18": 8, "1.18.1": 8, "1.18.2": 9,
    "1.19": 10, "1.19.3": 10, "1.19.4": 12, "1.20": 15, "1.20.1": 15, "1.20.2": 18, "1.20.3": 26, "1.20.4": 26,
    "1.20.5": 41, "1.20.6": 41, "1.21": 48, "1.21.1": 48, "1.21.2": 57, "1.21.3": 57, "1.21.4": 61, "1.21.5": 71,
    "1.21.6": 80, "1.21.7": 81, "1.21.8": 81, "1.21.9": (88, 0), "1.21.10": (88, 0), "1.21.11": (94, 1),
}


@pytest.mark.parametrize("release, fmt", sorted(EXPECTED.items()))
def test_pack_mcmeta_holds_the_pack_format_of_the_release(release, fmt):
    meta = json.loads(datapack.pack_mcmeta(release))["pack"]
    assert meta["description"].startswith(datapack.MARKER)
    if isinstance(fmt, tuple):  # 1.21.9 replaced pack_format by a [major, minor] range
        assert meta["min_format"] == meta["max_format"] == list(fmt) and "pack_format" not in meta
    else:
        assert meta["pack_format"] == fmt and "min_format" not in meta


def test_every_known_release_has_a_pack_format_or_a_clear_refusal():
    for release, dv in versions.DATA_VERSIONS.items():
        if dv <= versions.DATA_VERSIONS["1.21.11"]:
            assert datapack.pack_format(release) >= (5, 0)
        else:
            with pytest.raises(ExportError, match="no data-pack format known"):
                datapack.pack_format(release)
    formats = [datapack.pack_format(r) for r in datapack.PACK_FORMATS]
    assert formats == sorted(formats)  # never decreasing with the release


@pytest.mark.parametrize("release, folder", [("1.16.5", "structures"), ("1.20.6", "structures"),
                                             ("1.21", "structure"), ("1.21.11", "structure")])
def test_templates_go_in_structures_before_1_21_and_structure_after(release, folder):
    files = datapack.pack_files([("My House!", b"x")], release)
    assert set(files) == {"pack.mcmeta", f"data/mcgen/{folder}/my_house.nbt"}


def test_export_datapack_folder_places_every_input_as_a_template(tmp_path, capsys):
    a, b = random_grid(1), random_grid(2, size=(4, 4, 4))
    src = tmp_path / "in"
    save_json(a, src / "a.json")
    save_json(b, src / "b.json")
    assert mcgen.cli.run(["export", str(src), "--format", "datapack", "-o", str(tmp_path / "pack"),
                          "--mc-version", "1.20.4"]) == 0
    err = capsys.readouterr().err
    assert "/place template mcgen:a" in err and "/place template mcgen:b" in err
    root = tmp_path / "pack"
    assert json.loads((root / "pack.mcmeta").read_text())["pack"]["pack_format"] == 26
    got_a = read_file(root / "data" / "mcgen" / "structures" / "a.nbt")
    assert got_a == a and got_a.meta["data_version"] == versions.DATA_VERSIONS["1.20.4"]
    assert read_file(root / "data" / "mcgen" / "structures" / "b.nbt") == b
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_export_datapack_zip(tmp_path):
    grid = random_grid(3)
    save_json(grid, tmp_path / "house.json")
    assert mcgen.cli.run(["export", str(tmp_path / "house.json"), "--format", "datapack",
                          "-o", str(tmp_path / "p.zip"), "--mc-version", "1.21.4"]) == 0
    with zipfile.ZipFile(tmp_path / "p.zip") as zf:
        assert json.loads(zf.read("pack.mcmeta"))["pack"]["pack_format"] == 61
        assert read_bytes(zf.read("data/mcgen/structure/house.nbt")) == grid


def test_datapack_refuses_a_foreign_folder_and_an_unknown_version(tmp_path, capsys):
    grid = random_grid(4)
    save_json(grid, tmp_path / "g.json")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    assert mcgen.cli.run(["export", str(tmp_path / "g.json"), "--format", "datapack", "-o", str(tmp_path / "mine")]) == 3
    assert "not an mcgen structure data pack" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["notes.txt"]
    assert mcgen.cli.run(["export", str(tmp_path / "g.json"), "--format", "datapack", "-o", str(tmp_path / "p"),
                          "--mc-version", "26.1"]) == 3
    assert "no data-pack format known for Minecraft 26.1" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()
    assert mcgen.cli.run(["export", str(tmp_path / "g.json"), "--format", "datapack"]) == 2


def test_installing_adds_templates_to_the_worlds_pack_and_keeps_earlier_ones(tmp_path):
    world = tmp_path / "world"
    world.mkdir()
    a, b = random_grid(5), random_grid(6)
    pack = datapack.install_structures(world, [("building_0", encode(a, "nbt", mc_version="1.21.4"))], "1.21.4")
    assert pack == world / "datapacks" / datapack.INSTALL_NAME
    datapack.install_structures(world, [("building_1", encode(b, "nbt", mc_version="1.21.4"))], "1.21.4")
    folder = pack / "data" / "mcgen" / "structure"
    assert read_file(folder / "building_0.nbt") == a and read_file(folder / "building_1.nbt") == b
    assert json.loads((pack / "pack.mcmeta").read_text())["pack"]["pack_format"] == 61


@pytest.mark.world
def test_build_datapack_helper_uses_the_saves_version(tmp_path, capsys):
    from mcgen.cli.cmd_world import install_datapack
    from mcgen.world import new_world

    world = Path(new_world(tmp_path / "w", mc_version="1.20.1"))
    before = {p: p.read_bytes() for p in world.rglob("*") if p.is_file()}
    grid = random_grid(7)
    pack = install_datapack(world, [grid], ["building_0"])
    assert json.loads((pack / "pack.mcmeta").read_text())["pack"]["pack_format"] == 15
    assert read_file(pack / "data" / "mcgen" / "structures" / "building_0.nbt") == grid
    assert "/place template mcgen:building_0 ~ ~ ~" in capsys.readouterr().out
    assert all(p.read_bytes() == data for p, data in before.items())  # chunks and level.dat untouched
