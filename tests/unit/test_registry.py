"""Shipped models by name: the registry's resolution rule, its errors, `mcgen models`, the commands
that take --checkpoint NAME, and the studio's registry source (a temporary table of one small model)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mcgen.cli import run
from mcgen.errors import CheckpointError, ConfigError
from mcgen.generate import SampleSettings, generate
from mcgen.grid import VoxelGrid, load_json, save_json
from mcgen.ml.checkpoint import load_checkpoint
from mcgen.ml.network import count_parameters
from mcgen.models import registry
from mcgen.models.registry import MODELS, Registry, ShippedModel, file_sha256, resolve_checkpoint
from mcgen.studio.errors import NotFound
from mcgen.studio.folders import CombinedModels, FolderModels, RegistryModels, studio_models
from tests.model_helpers import random_checkpoint


pytestmark = pytest.mark.usefixtures("one_thread")


def _row(name: str, path: Path, **kw) -> ShippedModel:
    ck = load_checkpoint(path)
    fields = dict(name=name, file=path.name, sha256=file_sha256(path), grid=ck.model_cfg.grid_size,
                  labels=tuple(ck.label_names), parameters=count_parameters(ck.build_model()),
                  objective=ck.objective().kind, command="tests/model_helpers.py random_checkpoint",
                  commit="0000000", data="none: random weights", licence="MIT", quality={"plausible": 0.5},
                  note="a test entry")
    fields.update(kw)
    return ShippedModel(**fields)


@pytest.fixture(scope="module")
def toy_file(tmp_path_factory) -> Path:
    return random_checkpoint(tmp_path_factory.mktemp("shipped") / "toy.pt", step=11, air_bias=3.0)


@pytest.fixture
def shipped(tmp_path, toy_file, monkeypatch) -> Registry:
    """The installed table replaced by one entry, ``toy``, whose file lies in a temporary folder."""
    files = tmp_path / "files"
    files.mkdir()
    shutil.copy(toy_file, files / "toy.pt")
    reg = Registry(files, {"toy": _row("toy", files / "toy.pt")})
    monkeypatch.setattr(registry, "REGISTRY", reg)
    return reg


@pytest.fixture
def nothing_shipped(monkeypatch) -> Registry:
    reg = Registry(Path("/nonexistent"), {})
    monkeypatch.setattr(registry, "REGISTRY", reg)
    return reg


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("mcgen: error: ") and "\n" not in err, err
    return err


# --- resolution -------------------------------------------------------------------------------
def test_a_shipped_name_resolves_to_its_verified_installed_file(shipped):
    assert resolve_checkpoint("toy") == shipped.root / "toy.pt"
    assert shipped.status("toy") == "ok"


def test_an_existing_file_is_used_as_it_is_even_when_a_shipped_name_is_spelled_the_same(shipped, tmp_path,
                                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "toy").write_bytes(b"mine")
    assert resolve_checkpoint("toy") == Path("toy")
    assert resolve_checkpoint(str(shipped.root / "toy.pt")) == shipped.root / "toy.pt"


def test_a_folder_is_not_a_checkpoint_a_name_wins_over_it_and_otherwise_the_loader_refuses_it(shipped, tmp_path,
                                                                                           monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "toy").mkdir()
    (tmp_path / "runs").mkdir()
    assert resolve_checkpoint("toy") == shipped.root / "toy.pt"
    assert resolve_checkpoint("runs") == Path("runs")
    with pytest.raises(CheckpointError, match="not a file"):
        load_checkpoint(resolve_checkpoint("runs"))


def test_an_unknown_value_is_one_line_listing_the_shipped_names(shipped):
    with pytest.raises(CheckpointError) as exc:
        resolve_checkpoint("minecolonies")
    assert str(exc.value) == "unknown model or checkpoint 'minecolonies': no such file, and the shipped models are: toy"


def test_an_empty_registry_says_no_models_ship(nothing_shipped):
    with pytest.raises(CheckpointError) as exc:
        resolve_checkpoint("synthetic")
    assert str(exc.value) == "unknown model or checkpoint 'synthetic': no such file, and no models ship in this build"


def test_a_missing_file_says_reinstall(shipped):
    (shipped.root / "toy.pt").unlink()
    assert shipped.status("toy") == "missing"
    with pytest.raises(CheckpointError, match=r"model 'toy' is listed but its file is missing .*: reinstall mcgen"):
        resolve_checkpoint("toy")


def test_a_damaged_file_is_a_sha256_mismatch(shipped):
    path = shipped.root / "toy.pt"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert shipped.status("toy") == "damaged"
    with pytest.raises(CheckpointError, match=r"model 'toy' is listed but its file is damaged \(sha256 mismatch"):
        resolve_checkpoint("toy")


@pytest.mark.parametrize("change, message", [
    ({"name": "Toy Model"}, "lower case"),
    ({"file": "/abs/toy.pt"}, "inside the registry folder"),
    ({"file": "../toy.pt"}, "inside the registry folder"),
    ({"sha256": "abc"}, "64 lower-case hex"),
])
def test_a_malformed_row_is_refused(toy_file, change, message):
    with pytest.raises(ConfigError, match=message):
        fields = dict(change)
        _row(fields.pop("name", "toy"), toy_file, **fields)


def test_a_row_listed_under_another_name_is_refused(toy_file):
    with pytest.raises(ConfigError, match="listed as 'other'"):
        Registry(toy_file.parent, {"other": _row("toy", toy_file)})


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_installed_model_matches_its_sha256_and_loads(name):
    """The shipped files themselves (none in this build: then there is nothing to check)."""
    reg = registry.current()
    ck = load_checkpoint(reg.path(name))
    row = reg.get(name)
    assert (ck.grid_size, tuple(ck.label_names), ck.objective().kind) == (row.grid, row.labels, row.objective)


SHIPPED_SAMPLES = Path(__file__).resolve().parents[1] / "data" / "shipped_samples.json"


def shipped_sample_digest(name: str) -> str:
    """sha256 of two raw samples of shipped model ``name`` (seed 0, 2 sampler steps, every label in turn)."""
    import hashlib

    grids = generate(registry.current().path(name), 2, SampleSettings(seed=0, label="all", num_steps=2, device="cpu"),
                     clean="none")
    h = hashlib.sha256()
    for g in grids:
        h.update(np.ascontiguousarray(g.blocks, dtype=np.int64).tobytes())
        h.update("|".join(g.palette).encode())
    return h.hexdigest()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_installed_model_samples_deterministically_for_a_seed(name):
    """Twice the same, and the same as when the file was added (``tests/data/shipped_samples.json``)."""
    first = shipped_sample_digest(name)
    assert shipped_sample_digest(name) == first
    assert json.loads(SHIPPED_SAMPLES.read_text())[name] == first


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_installed_models_figures_are_the_measured_ones(name):
    """The row's quality figures and sha256 are those ``benchmarks/ship_model.py`` wrote, not typed anew."""
    doc = json.loads((Path(__file__).resolve().parents[2] / "benchmarks" / "results" / f"shipped_{name}.json").read_text())
    row = registry.current().get(name)
    assert row.sha256 == doc["file"]["sha256"] and row.parameters == doc["model"]["parameters"]
    for key, value in row.quality.items():
        assert value == pytest.approx(doc["report"][key]["samples"], abs=5e-4), key


def test_the_registry_imports_no_torch():
    code = "import sys, mcgen.models, mcgen.studio.folders; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


# --- mcgen models -----------------------------------------------------------------------------
def test_models_with_none_shipped_says_so_and_json_is_an_empty_list(nothing_shipped, capsys):
    assert run(["models"]) == 0
    assert "no models ship with this build of mcgen yet" in capsys.readouterr().out
    assert run(["models", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_models_prints_the_table_and_its_json(shipped, capsys):
    assert run(["models"]) == 0
    text = capsys.readouterr().out
    row = shipped.get("toy")
    header, line = text.splitlines()[:2]
    assert header.split() == ["name", "grid", "labels", "parameters", "file", "licence", "objective"]
    assert line.startswith("toy") and "16^3" in line and "2: house, tower" in line and "MIT" in line
    assert f"{row.parameters / 1e6:.2f}M" in line and " MB" in line
    assert f"trained with: {row.command} (commit 0000000)" in text and "quality: plausible 0.5" in text
    assert run(["models", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["name"] == "toy" and entry["status"] == "ok" and entry["labels"] == ["house", "tower"]
    assert entry["file_bytes"] == (shipped.root / "toy.pt").stat().st_size
    assert entry["sha256"] == row.sha256 and entry["quality"] == {"plausible": 0.5} and entry["licence"] == "MIT"


def test_models_shows_a_damaged_file(shipped, capsys):
    (shipped.root / "toy.pt").write_bytes(b"not it")
    assert run(["models"]) == 0
    assert "damaged" in capsys.readouterr().out.splitlines()[1]


# --- commands that take --checkpoint NAME -----------------------------------------------------
def test_sample_by_name_is_sampling_from_the_shipped_file(shipped, tmp_path):
    out = tmp_path / "gen"
    assert run(["sample", "-c", "toy", "-n", "2", "--num-steps", "3", "--seed", "4", "--label", "tower",
                "--output-dir", str(out), "--device", "cpu"]) == 0
    grids = [load_json(out / f"sample_000{i}.json") for i in range(2)]
    assert all(g.meta["checkpoint"] == "toy" and g.meta["step"] == 11 for g in grids)
    direct = generate(shipped.root / "toy.pt", 2, SampleSettings(num_steps=3, seed=4, label="tower", device="cpu"))
    assert [g.blocks.tolist() for g in grids] == [g.blocks.tolist() for g in direct]


def test_complete_by_name(shipped, tmp_path):
    blocks = np.zeros((16, 16, 16), dtype=np.int64)
    blocks[4:10, 0:3, 4:10] = 1
    save_json(VoxelGrid(blocks, ["minecraft:air", "minecraft:stone_bricks"]), tmp_path / "half.json")
    out = tmp_path / "done.json"
    assert run(["complete", str(tmp_path / "half.json"), "-c", "toy", "--above", "3", "-o", str(out),
                "--num-steps", "2", "--device", "cpu"]) == 0
    assert load_json(out).size == (16, 16, 16)


def test_view_of_a_model_by_name_or_file_samples_every_label(shipped, tmp_path, capsys):
    page = tmp_path / "v.html"
    assert run(["view", "toy", "-o", str(page), "--per-label", "2"]) == 0
    cap = capsys.readouterr()
    assert "sampled 4 structure(s) from toy" in cap.err and "4 structure(s)" in cap.err.splitlines()[-1]
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "tower" in text and "house" in text
    assert run(["view", str(shipped.root / "toy.pt"), "-o", str(page), "--per-label", "1"]) == 0
    assert "sampled 2 structure(s)" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["sample", "-c", "nope", "-n", "1"],
    ["complete", "x.json", "-c", "nope", "--above", "3", "-o", "y.json"],
    ["evaluate", "-c", "nope", "--reference", "nowhere"],
    ["build", "-c", "nope", "--into", "nowhere"],
])
def test_every_command_names_the_shipped_models_for_an_unknown_checkpoint(shipped, tmp_path, monkeypatch, capsys,
                                                                           argv):
    monkeypatch.chdir(tmp_path)
    assert run(argv) == 3
    assert _error(capsys).endswith("unknown model or checkpoint 'nope': no such file, and the shipped models are: toy")


# --- the studio -------------------------------------------------------------------------------
def test_the_studio_offers_shipped_models_beside_the_models_folder(shipped, tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    shutil.copy(shipped.root / "toy.pt", folder / "mine.pt")
    source = CombinedModels((FolderModels(folder), RegistryModels()))
    assert source.names() == ["mine", "toy"]
    assert source.path("toy") == shipped.root / "toy.pt" and source.path("mine") == (folder / "mine.pt").resolve()
    with pytest.raises(NotFound, match="models: mine, toy"):
        source.path("other")
    shutil.copy(shipped.root / "toy.pt", folder / "toy.pt")  # a file of the folder shadows the shipped name
    assert source.names() == ["mine", "toy"] and source.path("toy") == (folder / "toy.pt").resolve()


def test_the_studio_registry_source_refuses_damaged_files_and_unknown_names(shipped):
    source = RegistryModels()
    assert source.names() == ["toy"]
    with pytest.raises(NotFound, match="shipped: toy"):
        source.path("other")
    (shipped.root / "toy.pt").write_bytes(b"x")
    with pytest.raises(CheckpointError, match="sha256 mismatch"):
        source.path("toy")


def test_mcgen_studio_without_a_models_folder_or_shipped_models_has_none(nothing_shipped):
    assert studio_models(None).names() == []
    with pytest.raises(NotFound, match="this server has no models"):
        studio_models(None).path("toy")


def test_mcgen_studio_without_a_models_folder_serves_a_shipped_name(shipped):
    assert studio_models(None).names() == ["toy"] and studio_models(None).path("toy") == shipped.root / "toy.pt"
