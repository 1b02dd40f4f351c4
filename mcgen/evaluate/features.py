"""Small 3-D CNNs that tell builds apart; the penultimate layer of one is our feature space.

A net reads one-hot block *families* (stone, planks, glass, stairs, ...) plus occupancy (encoding
``families``), optionally plus each block's colour (``families+colour``, which tells an oak build
from a dark-oak one), so it works for any palette. Two ship with the package (tensors and plain
values only, loaded with ``torch.load(..., weights_only=True)``), both trained by
``python -m mcgen.evaluate.train_net`` with an extra "junk" class (noise, shuffled voxels, blobs)
so that failed samples land far from real builds in feature space:

- ``feature_net.pt`` (``synthetic``): the :mod:`mcgen.synth` archetypes, families only;
- ``feature_net_real.pt`` (``real``): the training split of the MineColonies corpus (23 styles),
  families and colour.

:func:`choose_net` picks one for a reference set (``auto``: the synthetic net for a
``mcgen dataset synth`` dataset, the real one otherwise).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mcgen.blocks import base_name
from mcgen.errors import CheckpointError
from mcgen.evaluate.metrics import GridBatch

NET_FORMAT = "mcgen.feature_net"
NET_VERSION = 1
DEFAULT_PATH = Path(__file__).with_name("feature_net.pt")
SHIPPED = {"synthetic": DEFAULT_PATH, "real": Path(__file__).with_name("feature_net_real.pt")}
ENCODINGS = ("families", "families+colour")

# (family, substrings of the block name); the first match wins, so shapes come before materials.
FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("door", ("door", "gate")),
    ("stairs", ("stairs",)),
    ("slab", ("slab",)),
    ("glass", ("glass",)),
    ("fence", ("fence", "pane", "wall", "bars", "chain")),
    ("light", ("torch", "lantern", "glowstone", "lamp", "campfire", "end_rod")),
    ("leaves", ("leaves", "vine", "flower", "sapling", "grass", "fern", "moss_carpet")),
    ("log", ("_log", "_wood", "_stem", "hyphae")),
    ("planks", ("planks", "bookshelf", "crafting", "barrel", "chest")),
    ("stone", ("stone", "cobble", "brick", "deepslate", "andesite", "diorite", "granite", "tuff", "basalt",
               "blackstone", "quartz", "prismarine", "purpur", "obsidian")),
    ("earth", ("dirt", "sand", "gravel", "clay", "mud", "podzol", "mycelium", "snow", "ice")),
    ("soft", ("wool", "carpet", "hay", "terracotta", "concrete", "bed")),
    ("other", ()),
)
FAMILY_NAMES = tuple(f for f, _ in FAMILIES)
IN_CHANNELS = 1 + len(FAMILIES)  # occupancy + one channel per family


@lru_cache(maxsize=4096)
def family_of(state: str) -> int:
    """Index into :data:`FAMILIES` of a block state (``other`` when nothing matches)."""
    name = base_name(state).split(":", 1)[-1]
    for i, (_, keys) in enumerate(FAMILIES):
        if any(k in name for k in keys):
            return i
    return len(FAMILIES) - 1


def family_indices(blocks: np.ndarray, states: list[str]) -> np.ndarray:
    """``(N, X, Y, Z)`` uint8: 0 for air, ``1 + family`` for a block (compact, for whole datasets)."""
    lut = np.array([0] + [1 + family_of(s) for s in states[1:]], dtype=np.uint8)
    return lut[blocks]


def one_hot(chan: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Occupancy + one-hot families of :func:`family_indices` output: float32 ``(N, C, X, Y, Z)``."""
    chan = torch.as_tensor(chan).long().unsqueeze(1)  # (N, 1, X, Y, Z)
    x = torch.zeros((chan.shape[0], IN_CHANNELS, *chan.shape[2:]))  # (N, C, X, Y, Z)
    x.scatter_(1, chan, 1.0)
    x[:, 0] = 1.0 - x[:, 0]  # channel 0: occupancy instead of "air"
    return x


def in_channels(encoding: str) -> int:
    """Input channels of a net with this encoding."""
    return IN_CHANNELS + (3 if encoding == "families+colour" else 0)


def state_table(states: list[str], encoding: str) -> torch.Tensor:
    """Per-state input vector ``(V, C)``: air all zeros; a block 1 (occupancy), its one-hot family
    and, for ``families+colour``, its preview colour in [0, 1]."""
    from mcgen.vocab import color_of

    table = torch.zeros((len(states), in_channels(encoding)))
    for i, s in enumerate(states[1:], start=1):
        table[i, 0] = 1.0
        table[i, 1 + family_of(s)] = 1.0
        if encoding == "families+colour":
            table[i, IN_CHANNELS:] = torch.tensor(color_of(s), dtype=torch.float32) / 255.0
    return table


def encode_with(table: torch.Tensor, blocks: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Look ``(N, X, Y, Z)`` state indices up in a :func:`state_table`: ``(N, C, X, Y, Z)``."""
    return table[torch.as_tensor(blocks).long()].permute(0, 4, 1, 2, 3).contiguous()


def encode(blocks: np.ndarray, states: list[str], encoding: str = "families") -> torch.Tensor:
    """The net input of ``(N, X, Y, Z)`` indices into ``states``: ``(N, C, X, Y, Z)``."""
    if encoding == "families":
        return one_hot(family_indices(blocks, states))
    return encode_with(state_table(states, encoding), blocks)


class FeatureNet(nn.Module):
    """Three conv stages (16^3 -> 8^3 -> 4^3), global average+max pooling, a feature layer, a classifier.

    Args:
        num_labels: classes (archetypes, styles) to tell apart.
        width: channels of the first stage (doubling each stage).
        feat_dim: size of the penultimate feature vector.
        encoding: the input, one of :data:`ENCODINGS`.
    """

    def __init__(self, num_labels: int, width: int = 16, feat_dim: int = 64, encoding: str = "families") -> None:
        super().__init__()
        self.encoding = encoding

        def stage(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv3d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.ReLU()]

        self.body = nn.Sequential(*stage(in_channels(encoding), width), nn.MaxPool3d(2), *stage(width, 2 * width),
                                  nn.MaxPool3d(2), *stage(2 * width, 4 * width))
        self.proj = nn.Sequential(nn.Linear(8 * width, feat_dim), nn.ReLU())
        self.head = nn.Linear(feat_dim, num_labels)
        # Training-set statistics of the features: embed() standardises with them, so FID/KID/k-NN
        # work in one fixed, unit-scale space whatever reference set they are given.
        self.register_buffer("feat_mean", torch.zeros(feat_dim))
        self.register_buffer("feat_std", torch.ones(feat_dim))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features ``(N, feat_dim)`` of encoded grids ``(N, C, X, Y, Z)``."""
        h = self.body(x)  # (N, 4w, X/4, Y/4, Z/4)
        pooled = torch.cat([h.mean(dim=(2, 3, 4)), h.amax(dim=(2, 3, 4))], dim=1)  # (N, 8w)
        return self.proj(pooled)

    def embed(self, feats: torch.Tensor) -> torch.Tensor:
        """Standardise penultimate features ``(N, feat_dim)`` with the stored training statistics."""
        return (feats - self.feat_mean) / self.feat_std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``(N, num_labels)``."""
        return self.head(self.features(x))


def save_net(path: str | Path, net: FeatureNet, labels: list[str], config: dict, info: dict) -> None:
    """Write the net as a dict of tensors and plain values (atomic; loadable with ``weights_only``)."""
    import io
    import json

    from mcgen.fsutil import atomic_write_bytes

    info = json.loads(json.dumps(info, default=str))  # plain values only, so weights_only can load it

    config = {**config, "encoding": net.encoding}
    payload = {"format": NET_FORMAT, "version": NET_VERSION, "config": dict(config), "labels": list(labels),
               "families": list(FAMILY_NAMES),
               "state_dict": {k: v.detach().cpu().clone() for k, v in net.state_dict().items()},
               "info": dict(info)}
    buf = io.BytesIO()
    torch.save(payload, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_net(path: str | Path | None = None) -> tuple[FeatureNet, dict]:
    """Load a feature net (default: the shipped one) in eval mode.

    Returns:
        ``(net, meta)`` where meta holds ``labels``, ``config``, ``info`` (held-out accuracy, ...).

    Raises:
        CheckpointError: missing, unreadable, or not a feature net of this version.
    """
    path = Path(path) if path is not None else DEFAULT_PATH
    try:
        d = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError as exc:
        raise CheckpointError("feature net weights not found (run python -m mcgen.evaluate.train_net)", path=path) from exc
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a bad file
        raise CheckpointError(f"cannot load feature net: {exc}", path=path) from exc
    if not isinstance(d, dict) or d.get("format") != NET_FORMAT or d.get("version") != NET_VERSION:
        raise CheckpointError("not an mcgen feature net (or a different version)", path=path)
    if tuple(d["families"]) != FAMILY_NAMES:
        raise CheckpointError("feature net was trained with different block families", path=path)
    cfg = d["config"]
    encoding = cfg.get("encoding", "families")  # nets written before the colour encoding
    if encoding not in ENCODINGS:
        raise CheckpointError(f"feature net has an unknown encoding {encoding!r}", path=path)
    net = FeatureNet(len(d["labels"]), width=cfg["width"], feat_dim=cfg["feat_dim"], encoding=encoding)
    net.load_state_dict(d["state_dict"])
    net.eval()
    return net, {"labels": list(d["labels"]), "config": cfg, "info": dict(d.get("info", {})), "path": str(path)}


@lru_cache(maxsize=2)
def _cached(path: str) -> tuple[FeatureNet, dict]:
    return load_net(path)


def net_info(path: str | Path | None = None) -> dict:
    """What the report records about the feature net: labels, held-out accuracy, file name."""
    _, meta = _cached(str(path or DEFAULT_PATH))
    info = meta["info"]
    return {"file": Path(meta["path"]).name, "trained_on": info.get("trained_on", "synthetic archetypes"),
            "encoding": meta["config"].get("encoding", "families"), "labels": meta["labels"],
            "heldout_accuracy": info.get("heldout_accuracy"), "heldout_count": info.get("heldout_count"),
            "heldout_junk_accuracy": info.get("heldout_junk_accuracy")}


@torch.no_grad()
def run_net(net: FeatureNet, blocks: np.ndarray, states: list[str], batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Features ``(N, D)`` and class probabilities ``(N, L)`` of ``(N, X, Y, Z)`` grids."""
    feats, probs = [], []
    table = state_table(states, net.encoding)  # (V, C)
    for start in range(0, len(blocks), batch_size):
        x = encode_with(table, blocks[start:start + batch_size])  # (B, C, X, Y, Z)
        f = net.features(x)  # (B, D)
        feats.append(net.embed(f).double().numpy())
        probs.append(torch.softmax(net.head(f), dim=1).double().numpy())
    if not feats:
        return np.zeros((0, net.head.in_features)), np.zeros((0, net.head.out_features))
    return np.concatenate(feats), np.concatenate(probs)


def choose_net(choice: str, reference: Path | None = None) -> tuple[Path, str]:
    """The feature net for ``choice`` and a reference set, and why it was picked.

    Args:
        choice: ``auto``, ``synthetic``, ``real`` or a path to a net file.
        reference: the reference folder (a dataset's ``manifest.json`` says how it was made).

    Returns:
        ``(path, reason)``; ``auto`` picks the synthetic net for a ``mcgen dataset synth``
        dataset and the real-build net for anything else (imported datasets, structure files).
    """
    if choice in SHIPPED:
        return SHIPPED[choice], f"--feature-net {choice}"
    if choice != "auto":
        return Path(choice), "--feature-net file"
    generator = ""
    if reference is not None and (reference / "manifest.json").is_file():
        try:
            generator = str(json.loads((reference / "manifest.json").read_text(encoding="utf-8")).get("generator", ""))
        except (OSError, ValueError, AttributeError):
            generator = ""
    if generator.startswith("mcgen.synth"):
        return SHIPPED["synthetic"], "auto: the reference is a synthetic dataset"
    return SHIPPED["real"], "auto: the reference holds real builds"


def extract(batch: GridBatch, path: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Learned features and class probabilities of a :class:`GridBatch` with a net (default: the synthetic one).

    Returns:
        ``(features (N, D) float64, probabilities (N, L) float64)``.
    """
    net, _ = _cached(str(path or DEFAULT_PATH))
    return run_net(net, batch.blocks, batch.states)
