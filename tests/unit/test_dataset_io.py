"""Dataset folders: layout, manifest checks, statistics, safe overwriting."""

from __future__ import annotations

import json

import pytest

from mcgen.dataset import (
    check_output, dataset_stats, is_dataset, load_manifest, sample_dir_name, sample_dirs, write_dataset,
)
from mcgen.errors import FileIOError, FormatError, UsageError
from mcgen.files import read_structure
from mcgen.synth import GENERATOR, generate_dataset
from mcgen.vocab import DEFAULT_VOCAB


def test_sample_names_sort_in_order():
    assert sample_dir_name(7, 10) == "sample_0007"
    names = [sample_dir_name(i, 12000) for i in (2, 10, 11999)]
    assert names == sorted(names) and names[-1] == "sample_11999" and names[0] == "sample_00002"


def test_write_then_read_back_and_stats(tmp_path):
    grids = generate_dataset(10, 16, seed=1)
    m = write_dataset(tmp_path / "d", grids, size=16, vocabulary=DEFAULT_VOCAB.states, generator=GENERATOR, seed=1)
    assert load_manifest(tmp_path / "d") == m and is_dataset(tmp_path / "d")
    assert [p.name for p in sample_dirs(tmp_path / "d")] == [f"sample_{i:04d}" for i in range(10)]
    for p, g in zip(sample_dirs(tmp_path / "d"), grids):
        assert read_structure(p) == g and read_structure(p).meta == g.meta
    st = dataset_stats(tmp_path / "d")
    assert st["count"] == 10 and st["labels"] == m["labels"]
    assert sum(st["blocks"].values()) == sum(g.count() for g in grids)
    assert st["mean_fill"] == pytest.approx(sum(g.count() for g in grids) / (10 * 16 ** 3))


@pytest.mark.parametrize("manifest,err,msg", [
    ("{broken", FormatError, "cannot read manifest"),
    (json.dumps({"format": "other"}), FormatError, "not an mcgen dataset"),
    (json.dumps({"format": "mcgen.dataset", "version": 9}), FormatError, "unsupported dataset version"),
])
def test_bad_manifests_are_refused(tmp_path, manifest, err, msg):
    (tmp_path / "manifest.json").write_text(manifest)
    with pytest.raises(err, match=msg):
        load_manifest(tmp_path)
    assert not is_dataset(tmp_path)


def test_output_checks(tmp_path):
    assert check_output(tmp_path / "new") is False
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a folder"):
        check_output(tmp_path / "file")
    with pytest.raises(FileIOError, match="no manifest"):
        load_manifest(tmp_path / "new")
    d = tmp_path / "d"
    write_dataset(d, generate_dataset(2, 16), size=16, vocabulary=DEFAULT_VOCAB.states, generator=GENERATOR, seed=0)
    assert check_output(d) is True
    with pytest.raises(UsageError, match="already holds a dataset"):
        check_output(d, overwrite=False)
