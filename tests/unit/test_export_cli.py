"""`mcgen export` and `mcgen convert` as a user runs them."""

from __future__ import annotations

from mcgen.cli import run
from mcgen.export.readers import read_file
from mcgen.grid import VoxelGrid, save_json
from tests.unit._export_helpers import random_grid


def _samples(tmp_path, n=2):
    folder = tmp_path / "generated"
    for i in range(n):
        (folder / f"sample_{i:04d}").mkdir(parents=True)
        save_json(random_grid(i, size=(3, 4, 3)), folder / f"sample_{i:04d}" / "data.json")
    return folder


def test_export_one_file_per_sample_and_read_back(tmp_path):
    folder = _samples(tmp_path)
    assert run(["export", str(folder), "--format", "litematic", "-o", str(tmp_path / "out")]) == 0
    files = sorted((tmp_path / "out").glob("*.litematic"))
    assert [f.name for f in files] == ["sample_0000.litematic", "sample_0001.litematic"]
    assert read_file(files[1]) == random_grid(1, size=(3, 4, 3))


def test_export_into_worldedit_folder_uses_a_safe_name(tmp_path, capsys):
    folder = _samples(tmp_path, 1)
    we = tmp_path / "plugins" / "WorldEdit" / "schematics"
    assert run(["export", str(folder / "sample_0000"), "--worldedit-dir", str(we), "-o", "My House (v2)!.schem"]) == 0
    assert [p.name for p in we.iterdir()] == ["My_House_v2.schem"]
    assert "//schem load My_House_v2" in capsys.readouterr().err


def test_block_missing_in_target_version_is_reported_before_writing(tmp_path, capsys):
    grid = VoxelGrid.from_states([[["minecraft:stone", "minecraft:cherry_planks"]]])
    save_json(grid, tmp_path / "a.json")
    save_json(random_grid(3, size=(2, 2, 2)), tmp_path / "b.json")
    rc = run(["export", str(tmp_path), "--format", "schem", "--mc-version", "1.19.4", "-o", str(tmp_path / "out")])
    assert rc == 3
    assert "cherry_planks" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_unmappable_bedrock_states_are_all_listed(tmp_path, capsys):
    grid = VoxelGrid.from_states([[["minecraft:stone", "minecraft:copper_ore", "minecraft:furnace[facing=north,lit=false]"]]])
    save_json(grid, tmp_path / "a.json")
    assert run(["export", str(tmp_path / "a.json"), "--format", "mcstructure", "-o", str(tmp_path / "a.mcstructure")]) == 3
    err = capsys.readouterr().err
    assert "2 block state(s)" in err and "copper_ore" in err and "furnace" in err
    assert not (tmp_path / "a.mcstructure").exists()


def test_convert_between_formats_keeps_the_blocks(tmp_path, fixtures_dir):
    src = fixtures_dir / "litematic" / "v6_tree.litematic"
    for name in ("tree.schem", "tree.nbt", "tree.litematic", "tree.json"):
        assert run(["convert", str(src), str(tmp_path / name)]) == 0
    from mcgen.files import read_structure

    want = read_file(src)
    for name in ("tree.schem", "tree.nbt", "tree.litematic", "tree.json"):
        assert read_structure(tmp_path / name) == want


def test_convert_rejects_unwritable_suffix(tmp_path, capsys):
    save_json(random_grid(4, size=(2, 2, 2)), tmp_path / "a.json")
    assert run(["convert", str(tmp_path / "a.json"), str(tmp_path / "a.schematic")]) == 3
    assert "legacy .schematic" in capsys.readouterr().err


def test_export_folder_with_clashing_names_keeps_every_file(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    save_json(random_grid(5, size=(2, 2, 2)), src / "a.json")
    (src / "a.nbt").write_bytes(__import__("mcgen.export.writers", fromlist=["encode"]).encode(
        random_grid(6, size=(2, 2, 2)), "nbt"))
    assert run(["export", str(src), "--format", "schem", "-o", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.schem", "a_2.schem"]


def test_export_no_air_writes_structure_void(tmp_path):
    save_json(random_grid(7, size=(3, 3, 3)), tmp_path / "a.json")
    out = tmp_path / "a.nbt"
    assert run(["export", str(tmp_path / "a.json"), "--format", "nbt", "--no-air", "-o", str(out)]) == 0
    from mcgen.export import nbtio

    assert len(nbtio.load_bytes(out.read_bytes()).root["blocks"]) == random_grid(7, size=(3, 3, 3)).count()
