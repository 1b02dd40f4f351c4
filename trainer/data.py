"""Dataset loading and the deterministic batch order shared by every process.

The whole dataset is small (a 16^3 sample is 8 KiB as int16), so it is read once into one tensor
that lives on the training device; a step then only indexes it, with no loader workers or
host-to-device copies in the loop. The order of samples is a pure function of
``(seed, epoch)``: resuming needs only the step counter, and every DDP rank computes the same
global batch and takes its own slice of it.
"""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mcgen.errors import ConfigError, FormatError
from mcgen.files import is_sample_dir, read_structure


@dataclass
class TrainData:
    """A dataset in memory.

    Attributes:
        blocks: ``(N, X, Y, Z)`` int16 vocabulary indices.
        labels: ``(N,)`` int64 label ids, or ``None`` when the dataset has no labels.
        vocabulary: block states, index 0 is air.
        label_names: sorted label names (empty when unlabelled).
        root: the dataset folder.
        held_out: samples left out because the dataset's split holds them out (see
            ``mcgen dataset import --split-by series``).
    """

    blocks: torch.Tensor
    labels: torch.Tensor | None
    vocabulary: list[str]
    label_names: list[str]
    root: Path
    held_out: int = 0

    def __len__(self) -> int:
        return int(self.blocks.shape[0])

    @property
    def grid_size(self) -> int:
        """Edge length of the (cubic) grids."""
        return int(self.blocks.shape[1])

    def to(self, device: torch.device) -> TrainData:
        """The same data with its tensors on ``device``."""
        labels = None if self.labels is None else self.labels.to(device)
        return TrainData(self.blocks.to(device), labels, self.vocabulary, self.label_names, self.root, self.held_out)


def read_manifest(root: Path) -> dict:
    """Load and sanity-check ``manifest.json``.

    Raises:
        ConfigError: the folder or manifest is missing or not an mcgen dataset.
    """
    path = root / "manifest.json"
    if not root.is_dir():
        raise ConfigError("dataset folder not found (create one with `mcgen dataset synth`)", path=root)
    if not path.is_file():
        raise ConfigError("no manifest.json: not an mcgen dataset (create one with `mcgen dataset synth`)", path=root)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"unreadable manifest: {exc}", path=path) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != "mcgen.dataset":
        raise ConfigError("not an mcgen dataset manifest (format must be 'mcgen.dataset')", path=path)
    vocab = manifest.get("vocabulary")
    if not isinstance(vocab, list) or not vocab or vocab[0] != "minecraft:air":
        raise ConfigError("manifest vocabulary must be a list of block states starting with minecraft:air", path=path)
    return manifest


def _load_one(path: Path, vocab: list[str], size: tuple[int, int, int]) -> tuple[np.ndarray, str | None, bool]:
    grid = read_structure(path)
    if grid.size != size:
        raise FormatError(f"size {grid.size} differs from the dataset's {size}", path=path)
    try:
        idx = grid.remap(vocab)
    except FormatError as exc:
        raise FormatError(str(exc), path=path) from exc
    label = grid.meta.get("label")
    return idx.astype(np.int16), (str(label) if label is not None else None), grid.meta.get("split") == "held_out"


SPLITS = ("train", "held_out", "all")


def load_dataset(root: str | Path, workers: int = 0, split: str = "train") -> TrainData:
    """Read every ``sample_*`` folder of a dataset into memory, in name order.

    Samples the dataset holds out (``"split": "held_out"`` in their meta, written by
    ``mcgen dataset import --split-by series``) are left out: they are for evaluation. The label
    names still come from the whole dataset, so a held-out-only label keeps its id.

    Args:
        root: dataset folder holding ``manifest.json``.
        workers: reader threads (0 = one per CPU up to 8).
        split: ``train`` (the default: what training reads), ``held_out`` (only the held-out
            samples; all of them when the dataset holds none out) or ``all``.

    Raises:
        ConfigError: not a dataset, empty, or grids that are not cubes.
        FormatError: a sample cannot be read or uses a state outside the vocabulary.
    """
    root = Path(root)
    manifest = read_manifest(root)
    vocab = [str(s) for s in manifest["vocabulary"]]
    if len(vocab) > 32767:
        raise ConfigError(f"vocabulary of {len(vocab)} states is too large (max 32767)", path=root)
    paths = sorted(p for p in root.iterdir() if p.name.startswith("sample_") and is_sample_dir(p))
    if not paths:
        raise ConfigError("dataset has no sample_* folders", path=root)
    edge = int(manifest.get("size", 0)) or read_structure(paths[0]).size[0]
    size = (edge, edge, edge)
    threads = workers or min(8, len(paths))
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        items = list(pool.map(lambda p: _load_one(p, vocab, size), paths))
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    held_out = sum(h for _, _, h in items)
    if held_out == len(items) and split == "train":
        raise ConfigError("every sample of this dataset is held out; nothing to train on", path=root)
    keep = {"train": lambda h: not h, "held_out": lambda h: h or not held_out, "all": lambda h: True}[split]
    blocks = torch.from_numpy(np.stack([b for b, _, h in items if keep(h)]))  # (N, X, Y, Z)
    raw_labels = [lab for _, lab, h in items if keep(h)]
    manifest_labels = manifest.get("labels") or {}
    names = sorted(set(manifest_labels) | {lab for lab in raw_labels if lab is not None})
    labels = None
    if names:
        if any(lab is None for lab in raw_labels):
            raise ConfigError("some samples have a label and others none; label all or none", path=root)
        index = {n: i for i, n in enumerate(names)}
        labels = torch.tensor([index[lab] for lab in raw_labels], dtype=torch.long)
    return TrainData(blocks, labels, vocab, names, root, held_out)


def remap(data: TrainData, vocabulary: list[str], label_names: list[str]) -> TrainData:
    """``data`` renumbered into ``vocabulary`` and ``label_names`` (lists that hold all of its own,
    e.g. a fine-tuned checkpoint's followed by the dataset's new entries).

    An unlabelled dataset stays unlabelled (every sample trains with the null label).

    Raises:
        ConfigError: a state or label of ``data`` is not in the new lists.
    """
    for what, mine, theirs in (("block state", data.vocabulary, vocabulary), ("label", data.label_names, label_names)):
        missing = sorted(set(mine) - set(theirs))
        if missing:
            raise ConfigError(f"cannot renumber the dataset: {len(missing)} {what}(s) missing from the model's "
                              f"list, e.g. {missing[0]!r}", path=data.root)
    index = {s: i for i, s in enumerate(vocabulary)}
    lut = torch.tensor([index[s] for s in data.vocabulary], dtype=torch.int16, device=data.blocks.device)
    blocks = lut[data.blocks.long()]  # (N, X, Y, Z) int16 indices into ``vocabulary``
    labels = None
    if data.labels is not None:
        names = {n: i for i, n in enumerate(label_names)}
        label_lut = torch.tensor([names[n] for n in data.label_names], dtype=torch.long, device=data.labels.device)
        labels = label_lut[data.labels]
    return TrainData(blocks, labels, list(vocabulary), list(label_names), data.root, data.held_out)


class BatchOrder:
    """Which dataset rows make up global batch ``k`` of epoch ``e``.

    Each epoch is a seeded permutation of ``0..N-1``, wrapped around to fill the last batch (so
    every step has exactly ``global_batch`` samples even when ``N`` is small).
    """

    def __init__(self, num_samples: int, global_batch: int, seed: int) -> None:
        self.num_samples, self.global_batch, self.seed = num_samples, global_batch, seed
        self.steps_per_epoch = max(1, math.ceil(num_samples / global_batch))
        self._cache: tuple[int, torch.Tensor] | None = None

    def permutation(self, epoch: int) -> torch.Tensor:
        """The padded ``(steps_per_epoch * global_batch,)`` order of epoch ``epoch``."""
        if self._cache is not None and self._cache[0] == epoch:
            return self._cache[1]
        gen = torch.Generator().manual_seed(_mix(self.seed, epoch, 0x5EED))
        perm = torch.randperm(self.num_samples, generator=gen)
        need = self.steps_per_epoch * self.global_batch
        reps = math.ceil(need / self.num_samples)
        order = perm.repeat(reps)[:need]
        self._cache = (epoch, order)
        return order

    def global_batch_at(self, step: int) -> tuple[int, torch.Tensor]:
        """``(epoch, rows)`` for 0-based optimizer step ``step``."""
        epoch, k = divmod(step, self.steps_per_epoch)
        start = k * self.global_batch
        return epoch, self.permutation(epoch)[start:start + self.global_batch]


def shard(rows: torch.Tensor, part: int, parts: int) -> torch.Tensor:
    """Slice ``part`` of ``parts`` equal contiguous pieces of a global batch."""
    per = rows.shape[0] // parts
    return rows[part * per:(part + 1) * per]


def _mix(*values: int) -> int:
    """A 63-bit seed from several integers (SplitMix64 steps), stable across runs and platforms."""
    h = 0x9E3779B97F4A7C15
    for v in values:
        h = (h ^ (int(v) & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        h = (h ^ (h >> 31)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
    return h & 0x7FFFFFFFFFFFFFFF


def step_seed(seed: int, step: int, part: int) -> int:
    """Seed of the random draws (symmetry, label dropout, noise, t) of one micro-batch."""
    return _mix(seed, step, part, 0xD1FF)
