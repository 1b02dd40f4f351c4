"""Sampling speed: time per structure for `tiny` and `small` at batch 1 and 16, and where the time goes.

Three shares of the total: the network trunk (``DiT3D.forward``, which the sampler asks for token
features), the output head (the guidance mix, the output layer and ``softmax @ E``, i.e. the rest
of the denoiser call), and the sampler overhead (everything outside the denoiser: DDIM arithmetic,
noise, Python, the final logits and argmax).

    python benchmarks/sample_speed.py [--device auto] [--steps 50] [--presets tiny small]

Random weights (the network's cost does not depend on what it learned). Times are measured around
``DiT3D.forward`` and ``ModelDenoiser.__call__`` (CUDA is synchronised around each call).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mcgen.diffusion import DiffusionConfig, GaussianDiffusion  # noqa: E402
from mcgen.generate import resolve_device  # noqa: E402
from mcgen.model import ModelConfig, build_model, count_parameters  # noqa: E402
from mcgen import sampling  # noqa: E402
from mcgen.sampling import sample  # noqa: E402


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


def bench(preset: str, batch: int, steps: int, device: torch.device, repeats: int) -> str:
    torch.manual_seed(0)
    model = build_model(ModelConfig(preset=preset)).to(device).eval()
    with torch.no_grad():  # leave the zero init so every layer does real work
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    diffusion = GaussianDiffusion(DiffusionConfig())
    timer = NetTimer(model, "forward", device)
    den_timer = NetTimer(sampling.ModelDenoiser, "__call__", device)
    sample(model, diffusion, batch, num_steps=min(steps, 5), generator=torch.Generator().manual_seed(0))  # warm-up
    timer.seconds = den_timer.seconds = 0.0
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for r in range(repeats):
        sample(model, diffusion, batch, num_steps=steps, generator=torch.Generator().manual_seed(r))
    if device.type == "cuda":
        torch.cuda.synchronize()
    total = time.perf_counter() - t0
    setattr(sampling.ModelDenoiser, "__call__", den_timer._fwd)
    per = total / (repeats * batch)
    net, head = timer.seconds / total, (den_timer.seconds - timer.seconds) / total
    return (f"{preset:6s} ({count_parameters(model) / 1e6:5.1f}M, patch {model.cfg.patch_size}) batch {batch:2d}: "
            f"{per * 1000:8.1f} ms/structure ({steps} DDIM steps); network {net * 100:4.1f}%, "
            f"output head {head * 100:4.1f}%, sampler overhead {(1 - net - head) * 100:4.1f}%")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--presets", nargs="*", default=["tiny", "small"])
    ap.add_argument("--batches", nargs="*", type=int, default=[1, 16])
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    device = resolve_device(args.device)
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}", flush=True)
    for preset in args.presets:
        for batch in args.batches:
            print(bench(preset, batch, args.steps, device, args.repeats), flush=True)


if __name__ == "__main__":
    main()
