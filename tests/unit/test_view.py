"""Tests of the viewer's data side: kind detection, gathering, block encoding, the page, the CLI."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from mcgen.blocks import format_state
from mcgen.cli import run
from mcgen.errors import FormatError
from mcgen.given import GIVEN_KEY, encode_given
from mcgen.grid import VoxelGrid, save_json, save_npz
from mcgen.view import detect_kind, gather, render_page, write_view
from mcgen.view.encode import decode_blocks, encode_grid, varints
from mcgen.vocab import DEFAULT_VOCAB

STONE, PLANKS, LOG, GLASS = "minecraft:stone_bricks", "minecraft:oak_planks", "minecraft:spruce_log[axis=y]", "minecraft:glass"


def house(n: int = 16, seed: int = 0, wall: str = PLANKS) -> VoxelGrid:
    """A small gabled house on an ``n``-cube: foundation, framed walls, windows, door, stair roof."""
    rng = np.random.default_rng(seed)
    a = np.full((n, n, n), "minecraft:air", dtype=object)
    w, d = n - 4 - int(rng.integers(0, 3)), n - 6 - int(rng.integers(0, 3))
    x0, z0, h = 2, 3, max(3, n // 4)
    a[x0:x0 + w, 0, z0:z0 + d] = "minecraft:cobblestone"
    a[x0:x0 + w, 1:h + 1, z0] = a[x0:x0 + w, 1:h + 1, z0 + d - 1] = wall
    a[x0, 1:h + 1, z0:z0 + d] = a[x0 + w - 1, 1:h + 1, z0:z0 + d] = wall
    for x in (x0, x0 + w - 1):
        for z in (z0, z0 + d - 1):
            a[x, 1:h + 1, z] = LOG
    a[x0 + 2:x0 + w - 2:2, 2, z0] = GLASS
    a[x0 + 2:x0 + w - 2:2, 2, z0 + d - 1] = GLASS
    door = x0 + w // 2
    a[door, 1, z0 + d - 1] = format_state("minecraft:oak_door", {"facing": "south", "half": "lower", "hinge": "left", "open": "false", "powered": "false"})
    a[door, 2, z0 + d - 1] = format_state("minecraft:oak_door", {"facing": "south", "half": "upper", "hinge": "left", "open": "false", "powered": "false"})
    for k in range((d + 1) // 2):
        y = h + 1 + k
        if y >= n:
            break
        for z, facing in ((z0 + k, "south"), (z0 + d - 1 - k, "north")):
            a[x0 - 1:x0 + w + 1, y, z] = format_state("minecraft:stone_brick_stairs", {"facing": facing, "half": "bottom", "shape": "straight", "waterlogged": "false"})
        a[x0, y, z0 + k + 1:z0 + d - 1 - k] = a[x0 + w - 1, y, z0 + k + 1:z0 + d - 1 - k] = wall
    a[x0 + w - 3, h + 1:min(n, h + 5), z0 + 1] = "minecraft:bricks"
    return VoxelGrid.from_states(a, meta={"label": "house", "seed": seed})


def noisy(grid: VoxelGrid, amount: float, seed: int) -> VoxelGrid:
    """``grid`` with a fraction ``amount`` of its cells replaced by random vocabulary states."""
    rng = np.random.default_rng(seed)
    states = np.array(grid.palette, dtype=object)[grid.blocks]
    mask = rng.random(grid.size) < amount
    vocab = np.array(DEFAULT_VOCAB.states, dtype=object)
    picks = np.where(rng.random(grid.size) < 0.6, "minecraft:air", vocab[rng.integers(0, len(vocab), grid.size)])
    states[mask] = picks[mask]
    return VoxelGrid.from_states(states, meta=dict(grid.meta))


def make_outputs(root: Path, steps=(5, 10, 20, 40), samples: int = 3, n: int = 16) -> Path:
    """A fake training output folder: noise turning into houses, and a falling loss curve."""
    inf = root / "inference_samples"
    inf.mkdir(parents=True)
    last = max(steps)
    for s in steps:
        for k in range(samples):
            g = noisy(house(n, seed=k), 0.9 * (1 - s / last) ** 1.5, seed=s * 10 + k)
            g.meta = {"step": s, "label": "house", "sample": k}
            save_json(g, inf / f"step_{s:06d}_sample_{k}.json")
    rng = np.random.default_rng(0)
    with open(root / "metrics.jsonl", "w", encoding="utf-8") as fh:
        for s in range(1, last + 1):
            loss = 1.1 * np.exp(-5 * s / last) + 0.1 + 0.05 * rng.random() * np.exp(-2 * s / last)
            fh.write(json.dumps({"step": s, "epoch": s // 10, "loss": loss, "lr": 1e-4}) + "\n")
        fh.write(json.dumps({"step": last, "eval": {"loss": 0.11, "accuracy": 0.9}}) + "\n")
        fh.write('{"step": 41, "loss": 0.')  # half-written line of a running trainer
    (root / "config.json").write_text(json.dumps({"model": {"preset": "tiny", "grid_size": n}, "steps": last}))
    return root


# --- encoding ----------------------------------------------------------------------------------

@pytest.mark.parametrize("maker", [lambda: house(16), lambda: noisy(house(16), 0.9, 1), lambda: VoxelGrid.empty((3, 5, 2))])
def test_encoding_round_trips_blocks_exactly(maker) -> None:
    g = maker().compact()
    rec = encode_grid(g, "x")
    assert np.array_equal(decode_blocks(rec), g.blocks)
    assert rec["size"] == list(g.size) and rec["count"] == g.count()
    assert len(rec["colors"]) == len(rec["palette"]) and all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in rec["colors"])


def test_encoding_picks_the_shorter_form() -> None:
    assert encode_grid(house(32), "h")["enc"] == "rle"           # mostly air: long runs
    assert encode_grid(noisy(house(16), 1.0, 3), "n")["enc"] == "raw8"  # noise: no runs


def test_wide_palettes_round_trip_as_raw16_or_rle() -> None:
    n = 300
    states = np.array([f"minecraft:b{i}" for i in range(n)], dtype=object).reshape(n, 1, 1)
    g = VoxelGrid.from_states(states)
    rec = encode_grid(g, "wide")
    assert rec["enc"] in {"raw16", "rle"}
    assert np.array_equal(decode_blocks(rec), g.blocks)


def test_varints_match_leb128() -> None:
    assert varints(np.array([0, 1, 127, 128, 300, 16384])) == bytes([0, 1, 127, 0x80, 1, 0xAC, 2, 0x80, 0x80, 1])


# --- gathering ----------------------------------------------------------------------------------

def test_detect_kind_for_each_layout(tmp_path: Path) -> None:
    out = make_outputs(tmp_path / "outputs", steps=(5,), samples=1)
    (tmp_path / "gen").mkdir()
    save_json(house(), tmp_path / "gen" / "a.json")
    ds = tmp_path / "ds"
    (ds / "sample_0000").mkdir(parents=True)
    save_npz(house(), ds / "sample_0000" / "voxels.npz")
    (ds / "manifest.json").write_text(json.dumps({"format": "mcgen.dataset", "count": 1, "labels": {"house": 1}}))
    assert detect_kind(out) == "training"
    assert detect_kind(out / "inference_samples") == "training"
    assert detect_kind(tmp_path / "gen") == "samples"
    assert detect_kind(tmp_path / "gen" / "a.json") == "structure"
    assert detect_kind(ds) == "dataset"
    assert detect_kind(ds / "sample_0000") == "structure"


def test_gather_training_groups_samples_by_step_and_reads_the_loss(tmp_path: Path) -> None:
    data = gather(make_outputs(tmp_path / "outputs"))
    t = data["training"]
    assert data["kind"] == "training" and t["steps"] == [5, 10, 20, 40]
    assert [len(r) for r in t["samples"]] == [3, 3, 3, 3]
    for step, row in zip(t["steps"], t["samples"]):
        assert [data["structures"][i]["step"] for i in row] == [step] * 3
        assert [data["structures"][i]["sample"] for i in row] == [0, 1, 2]
    m = t["metrics"]
    assert m["step"] == list(range(1, 41)) and len(m["loss"]) == 40  # the half-written line is skipped
    assert m["eval"] == [{"step": 40, "loss": 0.11, "accuracy": 0.9}]
    assert t["config"]["model.preset"] == "tiny"


def test_gather_from_inference_samples_folder_finds_the_run(tmp_path: Path) -> None:
    data = gather(make_outputs(tmp_path / "outputs", steps=(5, 10), samples=1) / "inference_samples")
    assert data["training"]["steps"] == [5, 10] and data["title"] == "outputs"
    assert len(data["training"]["metrics"]["step"]) == 10


def test_limit_keeps_first_and_last_step(tmp_path: Path) -> None:
    data = gather(make_outputs(tmp_path / "o", steps=(1, 2, 3, 4, 5, 6, 7), samples=2), limit=6)
    assert data["training"]["steps"] == [1, 4, 7]
    assert len(data["structures"]) == 6 and data["notes"]


def test_gather_folder_and_limit(tmp_path: Path) -> None:
    for i in range(5):
        save_json(house(seed=i), tmp_path / f"s{i}.json")
    (tmp_path / "manifest.json").write_text("{}")  # bookkeeping: skipped (and makes it a dataset)
    data = gather(tmp_path, limit=3)
    assert [s["name"] for s in data["structures"]] == ["s0", "s1", "s2"]
    assert data["kind"] == "dataset" and "first 3 of 5" in data["notes"][0]


def test_gather_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such file"):
        gather(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FormatError, match="nothing to show"):
        gather(tmp_path / "empty")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(FormatError, match="invalid JSON"):
        gather(tmp_path / "bad.json")


def test_metrics_only_run_still_makes_a_page(tmp_path: Path) -> None:
    root = tmp_path / "o"
    root.mkdir()
    (root / "metrics.jsonl").write_text('{"step": 1, "loss": 2.0}\n{"step": 2, "loss": 1.0}\n')
    data = gather(root)
    assert data["structures"] == [] and data["training"]["metrics"]["loss"] == [2.0, 1.0]


# --- page and CLI -------------------------------------------------------------------------------

def test_page_is_self_contained_and_embeds_the_data(tmp_path: Path) -> None:
    g = house()
    g.meta["note"] = "</script><script>alert(1)</script>"
    save_json(g, tmp_path / "h.json")
    page = render_page(gather(tmp_path / "h.json"))
    assert page.count("</script>") == 2  # the data block and the code block; the meta cannot close them
    assert "@MCGEN" not in page and "/*@" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing fetched from the network
    blob = re.search(r'<script id="mcgen-data" type="application/json">(.*?)</script>', page, re.S).group(1)
    data = json.loads(blob)
    assert data["structures"][0]["meta"]["note"].startswith("</script>")
    assert np.array_equal(decode_blocks(data["structures"][0]), g.compact().blocks)


def test_cli_view_writes_page_and_reports(tmp_path: Path, capsys) -> None:
    out = make_outputs(tmp_path / "outputs", steps=(5, 10), samples=2)
    html = tmp_path / "v.html"
    assert run(["view", str(out), "-o", str(html)]) == 0
    cap = capsys.readouterr()
    assert cap.out.strip() == str(html) and "training, 4 structure(s) over 2 step(s)" in cap.err
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_view_bad_path_exits_3_with_one_line(tmp_path: Path, capsys) -> None:
    assert run(["view", str(tmp_path / "nope"), "-o", str(tmp_path / "v.html")]) == 3
    err = capsys.readouterr().err.strip()
    assert err.startswith("mcgen: error:") and "no such file" in err and "\n" not in err
    assert not (tmp_path / "v.html").exists()


def test_write_view_summary(tmp_path: Path) -> None:
    save_json(house(32), tmp_path / "big.json")
    s = write_view(tmp_path / "big.json", tmp_path / "o" / "v.html")
    assert s.kind == "structure" and s.structures == 1 and s.steps == 0
    assert s.out.is_file() and s.bytes == s.out.stat().st_size


def test_folder_skips_unreadable_files_with_a_note(tmp_path: Path) -> None:
    save_json(house(), tmp_path / "good.json")
    (tmp_path / "broken.json").write_text("{not json")
    data = gather(tmp_path)
    assert [s["name"] for s in data["structures"]] == ["good"]
    assert "skipped 1 unreadable file" in data["notes"][0] and "broken.json" in data["notes"][0]


def test_foreign_formats_are_viewable(fixtures_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("mcgen.export.readers")
    src = fixtures_dir / "schem" / "fawe_v3_small_house.schem"
    data = gather(src)
    rec = data["structures"][0]
    assert data["kind"] == "structure" and rec["count"] > 50
    assert len(rec.get("shapes", rec["palette"])) == len(rec["palette"])
    assert np.count_nonzero(decode_blocks(rec)) == rec["count"]


def test_partial_blocks_carry_their_boxes() -> None:
    g = house()
    rec = encode_grid(g, "h")
    shapes = dict(zip(rec["palette"], rec["shapes"]))
    stairs = next(s for s in shapes if "stairs" in s)
    door = next(s for s in shapes if "oak_door" in s)
    assert shapes[PLANKS] is None and len(shapes[stairs]) == 2
    assert shapes[door] == [[0, 0, 0, 16, 16, 3]]  # facing south: the thin slab on the north side
    for boxes in filter(None, shapes.values()):
        assert all(0 <= b[i] < b[i + 3] <= 16 for b in boxes for i in range(3))


def test_training_skips_a_sample_being_written(tmp_path: Path) -> None:
    out = make_outputs(tmp_path / "o", steps=(5, 10), samples=2)
    (out / "inference_samples" / "step_000015_sample_0.json").write_text('{"format": "mcgen.vox')
    data = gather(out)
    assert data["training"]["steps"] == [5, 10] and len(data["structures"]) == 4
    assert "skipped 1 unreadable sample" in data["notes"][0]


def test_see_through_blocks_carry_their_opacity() -> None:
    rec = encode_grid(house(), "h")
    alpha = dict(zip(rec["palette"], rec["alpha"]))
    assert alpha[GLASS] < 1 and alpha[PLANKS] == 1 and alpha["minecraft:air"] == 1
    assert "alpha" not in encode_grid(VoxelGrid.from_states(np.full((2, 2, 2), PLANKS, dtype=object)), "p")


def test_meta_is_made_json_safe(tmp_path: Path) -> None:
    g = house()
    g.meta.update({"nan": float("nan"), "path": tmp_path, "long": "x" * 5000, "nested": {"a": [1, 2]}})
    rec = encode_grid(g, "h")
    meta = rec["meta"]
    assert meta["nan"] is None and meta["path"] == str(tmp_path) and len(meta["long"]) < 500
    assert json.loads(meta["nested"]) == {"a": [1, 2]}
    page = render_page({"kind": "structure", "title": "t", "source": "s", "notes": [], "structures": [rec]})
    assert "NaN" not in page


# --- given / generated blocks (completed structures) ---------------------------------------------

def completed(n: int = 16) -> tuple[VoxelGrid, np.ndarray]:
    """A house whose lower half was given and whose upper half was generated."""
    g = house(n)
    mask = np.zeros(g.size, dtype=bool)
    mask[:, : n // 2, :] = True
    g.meta[GIVEN_KEY] = encode_given(mask)
    return g, mask


def test_given_mask_reaches_the_page_in_the_blocks_order() -> None:
    g, mask = completed()
    rec = encode_grid(g, "c")
    x, y, z = g.size
    flat = np.repeat(np.arange(len(rec["given"])) % 2 == 1, rec["given"])
    assert np.array_equal(flat.reshape(y, z, x).transpose(2, 0, 1), mask)  # (y, z, x) like decode_blocks
    assert rec["given_count"] == np.count_nonzero(mask & g.solid) > 0
    assert rec["given_count"] + rec["generated_count"] == rec["count"] and rec["generated_count"] > 0
    assert GIVEN_KEY not in rec["meta"] and rec["meta"]["label"] == "house"


def test_structures_without_a_mask_encode_as_before() -> None:
    rec = encode_grid(house(), "h")
    assert not {"given", "given_count", "generated_count"} & set(rec)


def test_a_malformed_mask_is_named_in_the_details_not_fatal(tmp_path: Path) -> None:
    g = house()
    g.meta[GIVEN_KEY] = [1, 2, 3]
    rec = encode_grid(g, "h")
    assert "given" not in rec and rec["meta"][GIVEN_KEY].startswith("ignored:") and "covers 6 cells" in rec["meta"][GIVEN_KEY]
    save_json(g, tmp_path / "bad.json")
    assert write_view(tmp_path / "bad.json", tmp_path / "v.html").structures == 1


def test_page_has_the_toggle_hidden_unless_a_structure_has_a_mask(tmp_path: Path) -> None:
    g, _ = completed()
    save_json(g, tmp_path / "c.json")
    page = render_page(gather(tmp_path / "c.json"))
    assert re.search(r'<label[^>]*id="given-toggle"[^>]*hidden', page)  # shown by the script per structure
    assert re.search(r'<input type="checkbox" id="given-on" checked>\s*mark generated blocks', page)
    blob = re.search(r'<script id="mcgen-data" type="application/json">(.*?)</script>', page, re.S).group(1)
    assert json.loads(blob)["structures"][0]["given"] == encode_grid(g, "c")["given"]


def test_page_script_dims_exactly_the_given_blocks() -> None:
    """Runs the page's own mesher (gl.js) in node: marking changes colours only, of given blocks only."""
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed")
    g, mask = completed()
    rec = encode_grid(g, "c")
    gl = (resources.files("mcgen.view") / "assets" / "gl.js").read_text(encoding="utf-8")
    script = gl + """
const rec = JSON.parse(process.argv[1]);
const vox = MC.decode(rec), given = MC.decodeGiven(rec);
const plain = MC.buildMesh(rec, vox, 1 << 20, true), marked = MC.buildMesh(rec, vox, 1 << 20, true, given);
const a = new Uint8Array(plain.buffer, 0, plain.vertices * 20), b = new Uint8Array(marked.buffer, 0, marked.vertices * 20);
let geometry = true, changed = 0;
for (let v = 0; v < plain.vertices; v++) {
  const o = v * 20;
  for (let k = 0; k < 20; k++) if ((k < 12 || k > 14) && a[o + k] !== b[o + k]) geometry = false;
  if (a[o + 12] !== b[o + 12] || a[o + 13] !== b[o + 13] || a[o + 14] !== b[o + 14]) changed++;
}
let cells = 0;
for (let i = 0; i < given.length; i++) cells += given[i];
console.log(JSON.stringify({cells, dimmed: marked.dimmed, plainDimmed: plain.dimmed, same: plain.vertices === marked.vertices,
  geometry, changed, none: MC.decodeGiven({size: rec.size, name: "x"}) === null}));
"""
    done = subprocess.run([node, "-e", script, json.dumps(rec)], capture_output=True, text=True, timeout=120, check=True)
    res = json.loads(done.stdout)
    assert res["cells"] == int(mask.sum()) and res["none"]
    assert res["dimmed"] == rec["given_count"] and res["plainDimmed"] == 0
    assert res["same"] and res["geometry"] and res["changed"] > 0
