"""Compare block encodings / schedules on one task: overfit `tiny` on the 4 toy houses.

Same data, same steps, same seed, same metric for every variant: share of voxels of each DDIM
sample equal to its nearest training house (mean, and how many samples reach 95%), plus how
many different houses the samples cover.

    python benchmarks/encoding_compare.py --steps 2000 --device auto   (a GPU takes ~30 s per variant)
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mcgen.ml.objectives.gaussian import DiffusionConfig, GaussianDiffusion, training_loss  # noqa: E402
from mcgen.generate.setup import resolve_device  # noqa: E402
from mcgen.ml.config import ModelConfig  # noqa: E402
from mcgen.ml.network import build_model
from mcgen.ml.objectives.gaussian_steps import sample  # noqa: E402
from tests.unit.test_overfit import nearest_match, toy_houses  # noqa: E402

VARIANTS = {
    "bits/linear (default)": ({"encoding": "bits"}, {"schedule": "linear"}),
    "learned/linear": ({"encoding": "learned"}, {"schedule": "linear"}),
    "bits/cosine": ({"encoding": "bits"}, {"schedule": "cosine"}),
    "bits/cosine-shift(b=.3)": ({"encoding": "bits"}, {"schedule": "cosine", "logsnr_shift": 2 * math.log(0.3)}),
    "bits/linear, no self-cond": ({"encoding": "bits", "self_condition": False}, {"schedule": "linear"}),
}


def run(name: str, steps: int, lr: float, device: torch.device, sample_steps: int) -> str:
    mkw, dkw = VARIANTS[name]
    torch.manual_seed(0)
    data = torch.from_numpy(toy_houses()).to(device)
    model = build_model(ModelConfig(preset="tiny", **mkw)).to(device)
    diffusion = GaussianDiffusion(DiffusionConfig(**dkw))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    gen = torch.Generator(device=device).manual_seed(0)
    t0 = time.time()
    for _ in range(steps):
        loss = training_loss(model, diffusion, data.repeat(2, 1, 1, 1), generator=gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    train_s = time.time() - t0
    model.eval()
    out = sample(model, diffusion, 16, num_steps=sample_steps, generator=torch.Generator().manual_seed(1))
    acc, idx = nearest_match(out, data)
    return (f"{name:28s} loss {loss.item():.4f}  acc mean {acc.mean():.4f} min {acc.min():.4f}  "
            f">=95%: {int((acc >= 0.95).sum()):2d}/16  houses hit {len(set(idx.tolist()))}/4  train {train_s:.0f}s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--sample-steps", type=int, default=20)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--only", nargs="*", default=list(VARIANTS))
    args = ap.parse_args()
    device = resolve_device(args.device)
    print(f"device {device}, {args.steps} steps, batch 8, lr {args.lr}, DDIM {args.sample_steps} steps", flush=True)
    for name in args.only:
        print(run(name, args.steps, args.lr, device, args.sample_steps), flush=True)


if __name__ == "__main__":
    main()
