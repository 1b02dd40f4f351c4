"""Sampling speed: time per structure for `tiny` and `small` at batch 1 and 16, and where the time goes.

Three shares of the total, for each objective: the network trunk (which the
samplers ask for token features: ``DiT3D.features``), the output head (``DiT3D.logits`` / ``expected``: the
output layer, and for the Gaussian model ``softmax @ E``), and the sampler overhead (everything
else: the guidance mix, DDIM arithmetic and noise, or the masked sampler's softmax, draws,
occupancy-first candidates and ordering; Python; the final decode).

    python benchmarks/sample_speed.py [--device auto] [--steps 50] [--presets tiny small]
                                      [--objectives gaussian masked] [--patches 4 2]

Random weights (the network's cost does not depend on what it learned), with the air logit raised
so that about 95% of voxels are air, as in a trained model (the masked sampler draws blocks only for
its solid candidates). Times are measured around
those model methods (CUDA is synchronised around each call).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mcgen.generate.setup import resolve_device  # noqa: E402
from mcgen.ml.config import ModelConfig  # noqa: E402
from mcgen.ml.network import build_model, count_parameters
from mcgen.ml.objectives import make_objective, objective_config  # noqa: E402


class NetTimer:
    """Wraps a callable attribute (``obj.name``) and sums the seconds spent inside it."""

    def __init__(self, obj: object, name: str, device: torch.device) -> None:
        self.seconds, self.device, self._fwd = 0.0, device, getattr(obj, name)
        # a plain function: on a class it binds like a method, on an instance it is called as is
        setattr(obj, name, lambda *a, **kw: self._timed(*a, **kw))

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize()

    def _timed(self, *args, **kw):
        self._sync()
        t0 = time.perf_counter()
        out = self._fwd(*args, **kw)
        self._sync()
        self.seconds += time.perf_counter() - t0
        return out


def bench(preset: str, batch: int, steps: int, device: torch.device, repeats: int, objective: str = "gaussian",
          patch: int | None = None) -> str:
    torch.manual_seed(0)
    obj = make_objective(objective_config(objective, {}))
    model = build_model(ModelConfig(preset=preset, patch_size=patch, **obj.model_options())).to(device).eval()
    with torch.no_grad():  # leave the zero init so every layer does real work
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
        # about 95% air, like a trained model on this data (the masked sampler's work depends on it)
        model.head.linear.bias.view(-1, model.cfg.vocab_size)[:, 0] += 7.0
    timer = NetTimer(model, "features", device)
    heads = [NetTimer(model, name, device) for name in ("logits", "expected")]
    obj.sample(model, batch, sampler=obj.default_sampler, num_steps=min(steps, 5), seed=0, device=device)  # warm-up
    timer.seconds = 0.0
    for h in heads:
        h.seconds = 0.0
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for r in range(repeats):
        obj.sample(model, batch, sampler=obj.default_sampler, num_steps=steps, seed=r * batch, device=device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    total = time.perf_counter() - t0
    per = total / (repeats * batch)
    net, head = timer.seconds / total, sum(h.seconds for h in heads) / total
    return (f"{objective:8s} {preset:6s} ({count_parameters(model) / 1e6:5.1f}M, patch {model.cfg.patch_size}) "
            f"batch {batch:2d}: {per * 1000:8.1f} ms/structure ({steps} {obj.default_sampler} steps); network "
            f"{net * 100:4.1f}%, output head {head * 100:4.1f}%, sampler overhead {(1 - net - head) * 100:4.1f}%")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--presets", nargs="*", default=["tiny", "small"])
    ap.add_argument("--batches", nargs="*", type=int, default=[1, 16])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--objectives", nargs="*", default=["gaussian", "masked"])
    ap.add_argument("--patches", nargs="*", type=int, default=[0], help="patch edges (0 = the preset's)")
    args = ap.parse_args()
    device = resolve_device(args.device)
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}", flush=True)
    for objective in args.objectives:
        for preset in args.presets:
            for patch in args.patches:
                for batch in args.batches:
                    print(bench(preset, batch, args.steps, device, args.repeats, objective, patch or None), flush=True)


if __name__ == "__main__":
    main()
