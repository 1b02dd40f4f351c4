"""Train an evaluation feature net (plus a "junk" class of noise, shuffled voxels and blobs, see
:mod:`mcgen.evaluate.junk`) and write it.

On :mod:`mcgen.synth` archetypes (``feature_net.pt``; CPU is enough, a few minutes)::

    python -m mcgen.evaluate.train_net --count 4000 --heldout 1000 --epochs 8

Training and held-out data come from different dataset seeds, so no held-out build was seen.

On real builds: an imported, labelled dataset with a held-out split (``feature_net_real.pt``)::

    mcgen dataset import ../shared/data/minecolonies -o mc16 --size 16 --fit skip \
        --label-from style --split-by series --held-out 0.1 --vocab auto:256
    python -m mcgen.evaluate.train_net --data mc16 --encoding families+colour \
        --epochs 12 --out mcgen/evaluate/feature_net_real.pt

It learns the labels (styles) on the training split and is scored on the held-out series.
The held-out accuracy is stored in the file and printed.
"""

from __future__ import annotations

import argparse
import datetime
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mcgen.evaluate import features as F
from mcgen.evaluate.junk import JUNK_LABEL, make_junk
from mcgen.evaluate.metrics import stack


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                   if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = f", {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""
    return f"{cpu}, {torch.get_num_threads()} threads{gpu}"


def synth_data(count: int, seed: int, size: int = 16) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``count`` synthetic builds as family indices ``(N, X, Y, Z)`` uint8, labels ``(N,)`` and label names."""
    from mcgen.synth import LABELS, generate_sample

    grids = [generate_sample(seed, i, size) for i in range(count)]
    states: list[str] = []
    batch = stack(grids, states, (size, size, size))
    labels = np.array([LABELS.index(g.meta["label"]) for g in grids], dtype=np.int64)
    return F.family_indices(batch.blocks, batch.states), labels, list(LABELS)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """One random up-preserving symmetry (mirror x, mirror z, swap x/z) for the whole batch ``(B, X, Y, Z)``."""
    flips = torch.rand(3, generator=gen) < 0.5
    if flips[0]:
        x = x.flip(1)
    if flips[1]:
        x = x.flip(3)
    if flips[2]:
        x = x.transpose(1, 3)  # (B, Z, Y, X)
    return x


def dataset_data(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], list[str]]:
    """A labelled dataset as state indices ``(N, X, Y, Z)``, label ids, held-out flags, label names, states.

    Raises:
        SystemExit: the dataset has no labels or no held-out split.
    """
    from mcgen.evaluate.metrics import common_shape
    from mcgen.files import iter_structures

    grids = [g for _, g in iter_structures(root)]
    names = sorted({str(g.meta.get("label")) for g in grids if g.meta.get("label") is not None})
    held = np.array([g.meta.get("split") == "held_out" for g in grids])
    if not names or any(g.meta.get("label") is None for g in grids):
        raise SystemExit(f"{root}: every sample needs a label (mcgen dataset import --label-from ...)")
    if not held.any() or held.all():
        raise SystemExit(f"{root}: needs a train and a held-out split (mcgen dataset import --split-by series)")
    states: list[str] = []
    batch = stack(grids, states, common_shape(grids))
    labels = np.array([names.index(str(g.meta["label"])) for g in grids], dtype=np.int64)
    return batch.blocks, labels, held, names, batch.states


@torch.no_grad()
def accuracy(net: F.FeatureNet, chan: np.ndarray, labels: np.ndarray, batch_size: int = 128,
             encode=F.one_hot) -> float:
    """Share of ``chan`` (family indices, or what ``encode`` reads) classified as ``labels``."""
    net.eval()
    hits = 0
    for s in range(0, len(chan), batch_size):
        logits = net(encode(chan[s:s + batch_size]))
        hits += int((logits.argmax(1).numpy() == labels[s:s + batch_size]).sum())
    return hits / max(len(chan), 1)


def train(chan: np.ndarray, labels: np.ndarray, num_labels: int, *, epochs: int, batch_size: int, lr: float,
          seed: int, width: int, feat_dim: int, log=print, encoding: str = "families",
          encode=F.one_hot) -> F.FeatureNet:
    """Train a :class:`FeatureNet` with AdamW, cosine decay and random symmetries.

    ``chan`` holds family indices (``encode`` = :func:`features.one_hot`) or state indices with
    an ``encode`` that looks them up (:func:`features.encode_with`).
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    net = F.FeatureNet(num_labels, width=width, feat_dim=feat_dim, encoding=encoding)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * math.ceil(len(chan) / batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s / steps, 1))))
    data, target = torch.from_numpy(chan), torch.from_numpy(labels)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(data), generator=gen)
        total, t0 = 0.0, time.time()
        for s in range(0, len(data), batch_size):
            idx = order[s:s + batch_size]
            x = encode(augment(data[idx], gen))  # (B, C, X, Y, Z)
            loss = loss_fn(net(x), target[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        log(f"epoch {epoch + 1}/{epochs}  loss {total / len(data):.4f}  {time.time() - t0:.1f}s")
    net.eval()
    return net


@torch.no_grad()
def set_feature_stats(net: F.FeatureNet, chan: np.ndarray, batch_size: int = 128, encode=F.one_hot) -> None:
    """Store the mean and standard deviation of the penultimate features over ``chan`` in the net."""
    net.eval()
    feats = torch.cat([net.features(encode(chan[s:s + batch_size])) for s in range(0, len(chan), batch_size)])
    net.feat_mean.copy_(feats.mean(0))
    std = feats.std(0)
    net.feat_std.copy_(torch.where(std < 1e-3, torch.ones_like(std), std))  # dead units keep their raw scale


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: train, report held-out accuracy, save the weights."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=None,
                   help="a labelled dataset with a held-out split (real builds) instead of synthetic archetypes")
    p.add_argument("--encoding", choices=F.ENCODINGS, default="families")
    p.add_argument("--count", type=int, default=4000, help="training builds (synthetic)")
    p.add_argument("--heldout", type=int, default=1000, help="held-out builds (synthetic: another dataset seed)")
    p.add_argument("--seed", type=int, default=1000, help="training dataset seed (held-out uses seed + 1)")
    p.add_argument("--junk", type=float, default=0.2, help="junk grids per build (noise, shuffles, blobs)")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--feat-dim", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, default=F.DEFAULT_PATH)
    p.add_argument("--describe", default=None, help="what the data is, for the report (default: the dataset's name)")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    t0 = time.time()
    if a.data is None:
        if a.encoding != "families":
            raise SystemExit("synthetic data: only the families encoding (the shipped net)")
        chan, labels, names = synth_data(a.count, a.seed)
        hchan, hlabels, _ = synth_data(a.heldout, a.seed + 1)
        values, encode = len(F.FAMILIES), F.one_hot
        trained_on = f"synthetic archetypes (dataset seed {a.seed}; held out: seed {a.seed + 1})"
    else:
        blocks, all_labels, held, names, states = dataset_data(a.data)
        chan, labels, hchan, hlabels = blocks[~held], all_labels[~held], blocks[held], all_labels[held]
        table = F.state_table(states, a.encoding)
        values, encode = len(states) - 1, (lambda x: F.encode_with(table, x))  # noqa: E731
        if a.encoding == "families":  # the compact path: family indices
            chan, hchan = F.family_indices(chan, states), F.family_indices(hchan, states)
            values, encode = len(F.FAMILIES), F.one_hot
        trained_on = f"training split of {a.describe or a.data.name} ({len(names)} labels; scored on its held-out split)"
    names = list(names) + [JUNK_LABEL]
    junk = make_junk(chan, int(len(chan) * a.junk), values, a.seed)
    hjunk = make_junk(hchan, int(len(hchan) * a.junk), values, a.seed + 1)
    print(f"data: {len(chan)} train / {len(hchan)} held-out builds, {len(junk)} / {len(hjunk)} junk,"
          f" in {time.time() - t0:.1f}s", flush=True)
    t1 = time.time()
    all_chan = np.concatenate([chan, junk])
    all_labels = np.concatenate([labels, np.full(len(junk), len(names) - 1)])
    net = train(all_chan, all_labels, len(names), epochs=a.epochs, batch_size=a.batch_size, lr=a.lr,
                seed=a.seed, width=a.width, feat_dim=a.feat_dim, log=lambda m: print(m, flush=True),
                encoding=a.encoding, encode=encode)
    train_s = time.time() - t1
    set_feature_stats(net, chan, encode=encode)  # statistics of real builds only: junk should look far away
    acc, train_acc = accuracy(net, hchan, hlabels, encode=encode), accuracy(net, chan, labels, encode=encode)
    junk_acc = accuracy(net, hjunk, np.full(len(hjunk), len(names) - 1), encode=encode)
    print(f"held-out accuracy {acc:.4f} on builds (train {train_acc:.4f}), {junk_acc:.4f} on junk;"
          f" {train_s:.0f}s training")
    info = {"heldout_accuracy": round(acc, 4), "train_accuracy": round(train_acc, 4), "heldout_count": len(hchan),
            "heldout_junk_accuracy": round(junk_acc, 4), "heldout_junk_count": len(hjunk), "junk_count": len(junk),
            "train_count": len(chan), "trained_on": trained_on, "epochs": a.epochs,
            "chance_accuracy": round(float(np.bincount(hlabels).max() / max(len(hlabels), 1)), 4),
            "train_seconds": round(train_s, 1), "machine": _machine(),
            "torch": str(torch.__version__), "command": " ".join(["python -m mcgen.evaluate.train_net", *sys.argv[1:]]),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    if a.data is None:
        info.update(heldout_seed=a.seed + 1, train_seed=a.seed)
    F.save_net(a.out, net, names, {"width": a.width, "feat_dim": a.feat_dim}, info)
    print(f"wrote {a.out} ({a.out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
