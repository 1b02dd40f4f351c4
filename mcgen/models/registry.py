"""The models that ship inside mcgen: one explicit table, and names resolved to verified files.

A shipped model is an EMA-only checkpoint under ``mcgen/models/files/`` (package data, so it
installs with mcgen) plus one :class:`ShippedModel` row in :data:`MODELS` saying what it is, how
it was trained and on what data, under which licence, and how good it measured. A build that
ships none (:data:`MODELS` empty) is a normal state for every caller.

:func:`resolve_checkpoint` is the one rule every command that takes a checkpoint follows:

1. an existing file is used as it is (a path always wins, as before names existed);
2. otherwise a shipped name: its installed file, checked to exist and to match its sha256;
3. otherwise a one-line error that lists the shipped names.

No torch here (hashing is hashlib), so ``mcgen models`` and the studio's listing stay light.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mcgen.errors import CheckpointError, ConfigError

FILES = Path(__file__).resolve().parent / "files"  # where shipped checkpoints install
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ShippedModel:
    """One row of the table.

    Attributes:
        name: what ``--checkpoint NAME`` says (lower case letters, digits, ``-``, ``_``).
        file: the checkpoint, relative to the registry's folder (``mcgen/models/files``).
        sha256: hex digest of that file; a mismatch means a damaged install.
        grid: the model's grid edge (16 or 32).
        labels: its labels (styles, archetypes), in the checkpoint's order.
        parameters: trainable parameter count.
        objective: ``masked`` or ``gaussian``.
        command: the exact ``mcgen train ...`` command that made it.
        commit: the mcgen commit it was trained at.
        data: what it was trained on (dataset, split, where it came from).
        licence: the training data's licence (the weights follow it), e.g. ``GPL-3.0``.
        quality: measured figures (``mcgen evaluate`` names), may be empty.
        note: anything a user should know (credits, a missed target, a licence note's file).
    """

    name: str
    file: str
    sha256: str
    grid: int
    labels: tuple[str, ...]
    parameters: int
    objective: str
    command: str
    commit: str
    data: str
    licence: str
    quality: Mapping[str, float] = field(default_factory=dict)
    note: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ConfigError(f"shipped model name {self.name!r} must be lower case letters, digits, '-' or '_'")
        parts = Path(self.file).parts
        if not parts or Path(self.file).is_absolute() or ".." in parts:
            raise ConfigError(f"shipped model {self.name!r}: file {self.file!r} must lie inside the registry folder")
        if not _SHA256.match(self.sha256):
            raise ConfigError(f"shipped model {self.name!r}: sha256 must be 64 lower-case hex digits")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values of every field."""
        d = asdict(self)
        d.update(labels=list(self.labels), quality=dict(self.quality))
        return d


# The table. A new shipped model: its file in mcgen/models/files/ (with a licence note beside it
# when its data asks for one) and a row here, e.g.
#   "synthetic": ShippedModel(name="synthetic", file="synthetic.pt", sha256="...", grid=16,
#                             labels=("castle", ...), parameters=..., objective="masked",
#                             command="mcgen train --data ... ", commit="...", data="...", licence="MIT"),
MODELS: dict[str, ShippedModel] = {
    "synthetic": ShippedModel(
        name="synthetic",
        file="synthetic.pt",
        sha256="b2f7fd86e3412265aceffcfbad5aebf024830f25cdf7bb1de5d9613365693d63",
        grid=16,
        labels=("bridge", "house", "hut", "lighthouse", "pyramid", "tower", "tree", "wall", "well", "windmill"),
        parameters=2005633,
        objective="masked",
        command=("mcgen train --data syn --model-size tiny --objective masked --mask-schedule cosine --head "
                 "voxel_occupancy --head-width 16 --patch-size 4 --embed-dim 8 --max-steps 8500 --batch-size 32 "
                 "--lr 2e-3 --ema-decay 0.999 --seed 0 --device cpu --threads 2 --ckpt-every 1000 (8,500 steps in "
                 "4,399 s on 2 CPU cores), then mcgen models pack (EMA weights, float16)"),
        commit="cc7aa1d",
        data=("mcgen dataset synth --out syn --count 2000 --size 16 --seed 0: 200 procedural builds of each of the "
              "10 archetypes, made by mcgen itself"),
        licence="MIT",
        quality={"plausible": 0.465, "fid": 2.252, "hist_tv": 0.186, "unsupported": 0.092, "precision": 0.531,
                 "empty": 0.0, "near_copies": 0.0},
        note=("raw samples (--cleanup none), 256 over every archetype, against 500 fresh builds (mcgen dataset "
              "synth --count 500 --seed 1); real-vs-real baseline: plausible 1.0, FID 0.923, hist TV 0.125 "
              "(benchmarks/results/shipped_synthetic.json)"),
    ),
    "minecolonies": ShippedModel(
        name="minecolonies",
        file="minecolonies.pt",
        sha256="e8868ba48bb22be8fa4e4c4c833986f898e2ba89fceac993ca983fb2edfb0856",
        grid=16,
        labels=("acacia", "ancientathens", "birch", "caledonia", "cavern", "colonial", "darkoak", "fortress", "incan",
                "jungle", "lostcity", "medievalbirch", "medievaldarkoak", "medievaloak", "medievalspruce", "nordic",
                "original", "pagoda", "sandstone", "shire", "spacewars", "truedwarven", "warped"),
        parameters=3517459,
        objective="masked",
        command=("a latent model: mcgen tokenizer train --data mc16 --out tok --patch 4 --codes 4k --width 24 "
                 "--max-steps 2500 --batch-size 16 --lr 2e-3 --seed 0 --threads 2 (1401 s), then mcgen train "
                 "--data mc16 --tokenizer tok/tokenizer.pt --model-size tiny --objective masked --mask-schedule cosine "
                 "--batch-size 32 --lr 1e-3 --ema-decay 0.999 --max-steps 6000 --seed 0 --device cpu --threads 2 "
                 "(1109 s; both on 2 CPU cores), then mcgen models pack (EMA weights and tokenizer, float16)"),
        commit="7c9d117",
        data=("the MineColonies blueprints (ldtteam/minecolonies c2aea08, 8,212 files in 23 styles): "
              "mcgen dataset import minecolonies -o mc16 --size 16 --fit skip --label-from style --split-by series "
              "--held-out 0.1 --vocab auto:256; trained on the 3,313 builds of the training split, the 427 of the "
              "held-out series left out"),
        licence="GPL-3.0",
        quality={"plausible": 0.848, "fid": 4.636, "hist_tv": 0.217, "unsupported": 0.003, "precision": 0.816, "empty": 0.0, "near_copies": 0.0},
        note=("raw samples (--cleanup none), 256 over every style, against the held-out series; real-vs-real "
              "baseline: plausible 0.836, FID 0.928, hist TV "
              "0.106 (benchmarks/results/shipped_minecolonies.json). A latent model: the DiT "
              "generates a voxel tokenizer's codes (one per 4^3 patch), the tokenizer draws the blocks "
              "(docs/STUDIES.md). The weights follow their GPL-3.0 training data; the builders of each style are "
              "credited in minecolonies.LICENSE.md beside the file"),
    ),
    "minecolonies-voxel": ShippedModel(
        name="minecolonies-voxel",
        file="minecolonies-voxel.pt",
        sha256="c7da9bff8c0d749460a298d5d6220d1f9c670902b43ea0685644c7305941c167",
        grid=16,
        labels=("acacia", "ancientathens", "birch", "caledonia", "cavern", "colonial", "darkoak", "fortress", "incan",
                "jungle", "lostcity", "medievalbirch", "medievaldarkoak", "medievaloak", "medievalspruce", "nordic",
                "original", "pagoda", "sandstone", "shire", "spacewars", "truedwarven", "warped"),
        parameters=3703371,
        objective="masked",
        command=("mcgen train --data mc16 --model-size tiny --objective masked --mask-schedule cosine --head "
                 "voxel_occupancy --head-width 16 --patch-size 4 --embed-dim 10 --max-steps 2300 --batch-size 32 "
                 "--lr 2e-3 --ema-decay 0.999 --seed 0 --device cpu --threads 2 (2,300 steps in 4,173 s on 2 CPU "
                 "cores), then mcgen models pack (EMA weights, float16)"),
        commit="6351eea",
        data=("the MineColonies blueprints (ldtteam/minecolonies c2aea08, 8,212 files in 23 styles): "
              "mcgen dataset import minecolonies -o mc16 --size 16 --fit skip --label-from style --split-by series "
              "--held-out 0.1 --vocab auto:256; trained on the 3,313 builds of the training split, the 427 of the "
              "held-out series left out"),
        licence="GPL-3.0",
        quality={"plausible": 0.262, "fid": 3.776, "hist_tv": 0.197, "unsupported": 0.089, "precision": 0.746,
                 "empty": 0.0, "near_copies": 0.0},
        note=("raw samples (--cleanup none), 256 over every style, against the held-out series; real-vs-real "
              "baseline: plausible 0.836, FID 0.928, hist TV 0.106 (benchmarks/results/shipped_minecolonies-voxel.json). The voxel-space model that shipped as minecolonies before the latent one; better FID, far fewer one-piece buildings. "
              "The weights follow their GPL-3.0 training data; the builders of each style are credited in "
              "minecolonies.LICENSE.md beside the file"),
    ),
}


@dataclass(frozen=True)
class Registry:
    """A table of shipped models and the folder their files are in.

    Args:
        root: the folder ``ShippedModel.file`` is relative to.
        models: name -> row (each key must be its row's name).
    """

    root: Path
    models: Mapping[str, ShippedModel]

    def __post_init__(self) -> None:
        for key, row in self.models.items():
            if key != row.name:
                raise ConfigError(f"shipped model listed as {key!r} is named {row.name!r}")

    def names(self) -> list[str]:
        """The shipped names, in table order."""
        return list(self.models)

    def get(self, name: str) -> ShippedModel | None:
        """The row of ``name`` (``None`` if it is not shipped)."""
        return self.models.get(name)

    def file(self, name: str) -> Path:
        """Where ``name``'s file should be (not checked)."""
        return Path(self.root) / self.models[name].file

    def status(self, name: str) -> str:
        """``"ok"``, ``"missing"`` or ``"damaged"`` (the file's sha256 is not the table's)."""
        path = self.file(name)
        if not path.is_file():
            return "missing"
        return "ok" if file_sha256(path) == self.models[name].sha256 else "damaged"

    def path(self, name: str) -> Path:
        """The installed, verified file of shipped model ``name``.

        Raises:
            CheckpointError: not shipped (the message lists what is), or its file is missing or
                does not match its sha256.
        """
        if name not in self.models:
            raise CheckpointError(unknown_message(name, self))
        status = self.status(name)
        if status == "missing":
            raise CheckpointError(f"model {name!r} is listed but its file is missing ({self.file(name)}): "
                                  "reinstall mcgen")
        if status == "damaged":
            raise CheckpointError(f"model {name!r} is listed but its file is damaged (sha256 mismatch, "
                                  f"{self.file(name)}): reinstall mcgen")
        return self.file(name)


REGISTRY = Registry(FILES, MODELS)  # the installed table; tests swap in their own


def current() -> Registry:
    """The registry in use (:data:`REGISTRY`, looked up at call time)."""
    return REGISTRY


def unknown_message(value: str, registry: Registry | None = None) -> str:
    """The one line for a checkpoint that is neither a file nor a shipped name."""
    names = (registry or current()).names()
    known = f"the shipped models are: {', '.join(names)}" if names else "no models ship in this build"
    return f"unknown model or checkpoint {value!r}: no such file, and {known}"


def resolve_checkpoint(value: str | os.PathLike, registry: Registry | None = None) -> Path:
    """A ``--checkpoint`` value -> the checkpoint file to load (module docstring: the order).

    A folder of that name is not a checkpoint: a shipped name of the same spelling wins over it,
    and otherwise the folder is returned for the loader to refuse (``not a file``).

    Raises:
        CheckpointError: an unknown value (listing the shipped names), or a shipped model whose
            file is missing or damaged.
    """
    reg = registry or current()
    path = Path(value)
    if path.is_file():
        return path
    name = os.fspath(value)
    if reg.get(name) is not None:
        return reg.path(name)
    if path.exists():
        return path
    raise CheckpointError(unknown_message(name, reg))


def shipped_name(value: str | os.PathLike, registry: Registry | None = None) -> str | None:
    """The shipped name ``value`` resolves through, or ``None`` when it is a file of its own."""
    reg = registry or current()
    name = os.fspath(value)
    return name if not Path(value).is_file() and reg.get(name) is not None else None


_DIGESTS: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> sha256: hash each file once


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, remembered while its size and modification time stay the same.

    Raises:
        CheckpointError: the file cannot be read.
    """
    p = Path(path)
    try:
        st = p.stat()
        key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
        if key not in _DIGESTS:
            h = hashlib.sha256()
            with p.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            _DIGESTS[key] = h.hexdigest()
    except OSError as exc:
        raise CheckpointError(f"cannot read: {exc.strerror or exc}", path=p) from exc
    return _DIGESTS[key]
