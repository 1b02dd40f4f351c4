"""Importing at scale: folder labels, upgrade series and the held-out split, worker processes, and a
slice of the MineColonies corpus (skipped without ../shared; nothing is copied into the repo)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import mcgen.cli
from mcgen.errors import ConfigError
from mcgen.files import read_structure
from mcgen.importing import ImportOptions, expand_sources, held_out_series, import_builds, import_dataset, series_key
from mcgen.importing.series import folder_label

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "minecolonies"
SLICE = ("nordic/education", "acacia/education", "colonial/agriculture/fields", "pagoda/fundamentals")


@pytest.fixture(scope="module")
def corpus() -> Path:
    """``../shared/data/minecolonies``; skip when this checkout has no ``shared/``."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/data/minecolonies is not present")
    return CORPUS


@pytest.fixture(scope="module")
def slice_sources(corpus: Path) -> list[Path]:
    return expand_sources([corpus / s for s in SLICE])


# --- series and labels ---------------------------------------------------------------------------

@pytest.mark.parametrize("path, key", [
    ("a/education/library3.blueprint", "a/education/library"),
    ("a/education/library1.blueprint", "a/education/library"),
    ("a/walls/tcorner12.blueprint", "a/walls/tcorner"),
    ("a/mineshafts/minerx3topleft.blueprint", "a/mineshafts/minerx3topleft"),
    ("a/fields/Kelp & Sea field.blueprint", "a/fields/Kelp & Sea field"),
    ("a/x/2.blueprint", "a/x/2"),
])
def test_a_series_is_the_name_without_its_level_digits_in_its_folder(path, key):
    assert series_key(path) == key


def test_the_same_name_in_another_folder_is_another_series():
    assert series_key("a/education/library1.blueprint") != series_key("b/education/library1.blueprint")


def test_folder_labels(tmp_path):
    root = tmp_path / "corpus"
    f = root / "nordic" / "agriculture" / "fields" / "x1.blueprint"
    assert folder_label(f, [root], "style") == "nordic"
    assert folder_label(f, [root], "category") == "agriculture"
    assert folder_label(f, [root], "folder") == "fields"
    assert folder_label(root / "loose.blueprint", [root], "style") is None  # no style folder: caller falls back


def test_held_out_series_take_the_fraction_of_every_label_whatever_the_order():
    labels = {f"{lab}/s{i}": lab for lab in ("a", "b", "c") for i in range(20)}
    held = held_out_series(labels, 0.1)
    assert sorted(k.split("/")[0] for k in held) == ["a", "a", "b", "b", "c", "c"]
    assert held == held_out_series(dict(reversed(list(labels.items()))), 0.1)
    assert held != held_out_series(labels, 0.1, seed=1)
    assert held_out_series({"x/only": "x", "y/one": "y", "y/two": "y"}, 0.1) == {"y/one"} or \
        held_out_series({"x/only": "x", "y/one": "y", "y/two": "y"}, 0.1) == {"y/two"}
    with pytest.raises(ConfigError):
        held_out_series(labels, 1.0)


def test_options_refuse_a_held_out_share_without_a_series_split():
    with pytest.raises(ConfigError, match="--split-by series"):
        ImportOptions(held_out=0.1)
    with pytest.raises(ConfigError, match="--label-from"):
        ImportOptions(label_from="colour")


# --- a slice of the corpus -----------------------------------------------------------------------------

def _digest(g) -> str:
    return hashlib.sha1(np.array(g.palette, dtype=object)[g.blocks].astype(str).tobytes()).hexdigest()


def test_a_series_never_straddles_train_and_held_out(corpus, slice_sources):
    opts = ImportOptions(size=16, label_from="style", split_by="series", held_out=0.3)
    grids, report = import_builds(slice_sources, opts, roots=[corpus])
    assert len(grids) + len(report.near_empty) + len(report.duplicates) == len(slice_sources)
    split_of: dict[str, set[str]] = {}
    for g in grids:
        split_of.setdefault(g.meta["series"], set()).add(g.meta["split"])
        assert g.meta["label"] == Path(g.meta["source"]).relative_to(corpus).parts[0]
    assert all(len(s) == 1 for s in split_of.values())
    held = [i for i, g in enumerate(grids) if g.meta["split"] == "held_out"]
    assert held == report.split["held_out"] and len(held) + len(report.split["train"]) == len(grids)
    assert 0 < report.split["held_out_series"] < report.split["series"]
    assert {"nordic", "acacia", "colonial", "pagoda"} <= set(report.labels)


def test_workers_do_not_change_the_result(corpus, slice_sources):
    base = dict(size=16, vocab="auto:48", label_from="category", split_by="series", held_out=0.2)
    one, r1 = import_builds(slice_sources, ImportOptions(**base, workers=1), roots=[corpus])
    two, r2 = import_builds(slice_sources, ImportOptions(**base, workers=2), roots=[corpus])
    assert r1.vocabulary == r2.vocabulary and len(r1.vocabulary) <= 48
    assert [_digest(g) for g in one] == [_digest(g) for g in two]
    assert [g.meta for g in one] == [g.meta for g in two]
    assert r1.remaps == r2.remaps and r1.source_remaps == r2.source_remaps and r1.split == r2.split


def test_the_report_says_what_fits_and_lists_every_remapping(corpus, slice_sources, tmp_path):
    report = import_dataset(slice_sources, tmp_path / "ds",
                            ImportOptions(size=16, label_from="style", split_by="series", held_out=0.2, workers=2),
                            roots=[corpus])
    saved = json.loads((tmp_path / "ds" / "report.json").read_text())
    fit = saved["fit"]
    assert fit["read"] == len(slice_sources) and 0 < fit["fit_16"] <= fit["fit_32"] <= fit["read"]
    assert sum(fit["modes"].values()) == saved["written"] and fit["modes"].get("scale", 0) > 0
    assert len(saved["remaps"]) == len(report.remaps)  # all of them, not a top-N
    pairs = {(r["from"], r["to"]) for r in saved["source_remaps"]}
    assert ("structurize:blocksolidsubstitution", "minecraft:dirt") in pairs
    assert any(a.startswith("domum_ornamentum:") for a, _ in pairs)
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    assert manifest["split"]["held_out"] == report.split["held_out"] and manifest["count"] == saved["written"]
    dirs = sorted((tmp_path / "ds").glob("sample_*"))
    assert len(dirs) == manifest["count"]
    for i in manifest["split"]["held_out"][:5]:
        assert read_structure(dirs[i]).meta["split"] == "held_out"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # the staging folder is gone


def test_fit_skip_keeps_only_the_builds_that_fit(corpus, slice_sources):
    kept, report = import_builds(slice_sources, ImportOptions(size=16, fit="skip", workers=2), roots=[corpus])
    assert report.did_not_fit and len(kept) + len(report.did_not_fit) + len(report.near_empty) \
        + len(report.duplicates) == report.builds_read
    assert all(max(t) > 16 for _, t in report.did_not_fit)
    assert all(max(g.meta["trimmed_size"]) <= 16 and g.meta["fit"] == "pad" for g in kept)
    assert report.to_dict()["did_not_fit"][0]["trimmed_size"] == list(report.did_not_fit[0][1])


def test_solid_placeholders_can_be_dropped(corpus):
    src = expand_sources([corpus / "colonial" / "agriculture" / "fields"])[:6]
    _, ground = import_builds(src, ImportOptions(size=32, keep_ground=True), roots=[corpus])
    _, air = import_builds(src, ImportOptions(size=32, keep_ground=True, solid_fill="air"), roots=[corpus])
    assert ground.source_remaps["structurize:blocksolidsubstitution -> minecraft:dirt"] > 0
    assert air.source_remaps["structurize:blocksolidsubstitution -> minecraft:air"] > 0
    assert air.blocks_total < ground.blocks_total


def test_cli_import_of_a_slice_with_a_series_split(corpus, tmp_path, capsys):
    # folders count from the SOURCE folder: under nordic/ the first folder is the category
    code = mcgen.cli.run(["dataset", "import", str(corpus / "nordic"), "--out", str(tmp_path / "ds"), "--size", "16",
                          "--label-from", "style", "--split-by", "series", "--held-out", "0.1",
                          "--vocab", "auto:64", "--no-preview", "-q", "-j", "2"])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert "split by series:" in cap.out and "fit 16^3" in cap.out and "reader remappings" in cap.out
    assert "pack.json" not in cap.err  # the style descriptor is not a structure
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    assert "agriculture" in manifest["labels"] and len(manifest["vocabulary"]) <= 64
    assert mcgen.cli.run(["dataset", "import", str(corpus / "nordic"), "--out", str(tmp_path / "x"),
                          "--split-by", "series"]) == 2
    assert "--held-out" in capsys.readouterr().err


def test_progress_ticks_once_per_job(corpus):
    src = expand_sources([corpus / "nordic" / "education"])
    ticks: list[tuple[int, int]] = []
    import_builds(src, ImportOptions(size=16), tick=lambda d, t: ticks.append((d, t)))
    assert ticks == [(i + 1, len(src)) for i in range(len(src))]
    ticks.clear()
    broken = src + [corpus / "nordic" / "pack.json"]  # not a structure: no second pass, still counted
    import_builds(broken, ImportOptions(size=16, vocab="auto:16"), tick=lambda d, t: ticks.append((d, t)))
    assert ticks[-1] == (2 * len(broken), 2 * len(broken))  # a counting pass, then the convert pass


def test_a_failed_import_leaves_the_old_dataset_untouched(tmp_path):
    from mcgen.errors import FormatError
    from mcgen.grid import VoxelGrid, save_json

    good = tmp_path / "good"
    save_json(VoxelGrid(np.ones((4, 4, 4), dtype=np.uint16), ["minecraft:air", "minecraft:stone"]), good / "a.json")
    out = tmp_path / "ds"
    import_dataset(expand_sources([good]), out, ImportOptions(size=16))
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.blueprint").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(FormatError, match="no build could be imported"):
        import_dataset(expand_sources([bad]), out, ImportOptions(size=16, workers=2))
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "ds", "good"]  # no staging left behind
