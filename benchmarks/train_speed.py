"""Training throughput: samples/s, achieved FLOP/s and MFU for `tiny` and `small`, per output head.

    python benchmarks/train_speed.py [--device cpu] [--presets tiny small] [--patch 4] [--batch 8]
                                     [--steps 6] [--threads N] [--amp auto] [--sample] [--quick]
                                     [--heads linear voxel voxel_occupancy] [--head-width 16]

Each optimizer step is the trainer's own (``trainer.loop.TrainRun.train_step``: augmentation, label
dropout, self-conditioning, AdamW, clipping, EMA) on a synthetic dataset. FLOPs are counted with
``torch.utils.flop_counter.FlopCounterMode`` over the very steps that are timed (the per-step
draws are seeded by the step index, so the counted pass does the same work): matrix products and
attention, forward and backward, including the self-conditioning forward. MFU is that rate over
the fp32 (or bf16 with ``--amp bf16``) matrix-multiply throughput measured in the same process,
on the same threads, just before (a 3-D convolution counts as its matrix product). ``--sample``
adds 10-step sampling speed. ``head %`` is the output head's share of a step: the head's loss,
forward and backward, on the trunk's (detached) features of one batch, over the whole step's time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import describe_machine, machine_line  # noqa: E402

from mcgen.dataset import synthesize  # noqa: E402
from trainer import dist  # noqa: E402
from trainer.config import TrainConfig  # noqa: E402
from trainer.loop import TrainRun  # noqa: E402


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_peak(device: torch.device, dtype: torch.dtype, seconds: float = 1.0) -> float:
    """Best FLOP/s of square matrix products (a few sizes) on this device and thread count."""
    best = 0.0
    sizes = (1024, 2048) if device.type == "cpu" else (4096, 8192)
    for n in sizes:
        a = torch.randn(n, n, device=device, dtype=dtype)
        b = torch.randn(n, n, device=device, dtype=dtype)
        for _ in range(2):
            a @ b
        _sync(device)
        reps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds / len(sizes) or reps < 3:
            a @ b
            reps += 1
        _sync(device)
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - t0))
    return best


def make_dataset(root: Path, count: int) -> Path:
    """A synthetic dataset (what ``mcgen dataset synth`` writes)."""
    synthesize(root, count=count, preview=False)
    return root


def head_seconds(run: TrainRun, batch: int, device: torch.device, reps: int = 3) -> float:
    """Seconds of the output head's loss, forward and backward, on one batch of trunk features."""
    model = run.model
    blocks = run.data.blocks[:batch].long().to(device)
    x_tok = model.to_tokens(blocks)  # (B, N, p^3) states; for a Gaussian model, their clean embedding
    if not model.cfg.mask_token:
        x_tok = model.codec.encode(x_tok).flatten(2)
    t = torch.full((x_tok.shape[0],), 500, device=device)
    with torch.no_grad():
        f = model.features(x_tok, t)
    f = type(f)(*(v.detach().requires_grad_(v.is_floating_point()) for v in f))
    target = model.to_tokens(blocks)
    model.loss(f, target).mean().backward()  # warm-up
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(reps):
        model.loss(f, target).mean().backward()
    _sync(device)
    model.zero_grad(set_to_none=True)
    return (time.perf_counter() - t0) / reps


def bench_train(preset: str, args: argparse.Namespace, data: Path, device: torch.device, batch: int,
                objective: str = "gaussian", patch: int = 0, head: str = "linear") -> dict:
    """Time ``args.steps`` trainer steps after warm-up; count their FLOPs in a second pass."""
    cfg = TrainConfig(data=str(data), out=tempfile.mkdtemp(prefix="mcgen-speed-"), model_size=preset,
                      patch_size=patch or None, batch_size=batch, max_steps=10**6, sample_every=0, ckpt_every=0,
                      device=str(device), amp=args.amp, compile=args.compile, objective=objective, head=head,
                      head_width=args.head_width)
    run = TrainRun(cfg, dist.DistInfo(), device, False)
    for s in range(args.warmup):
        run.train_step(s)
    first = args.warmup
    _sync(device)
    t0 = time.perf_counter()
    for s in range(first, first + args.steps):
        loss, _ = run.train_step(s)
    float(loss)  # one sync at the end, as the loop does between log points
    _sync(device)
    seconds = time.perf_counter() - t0
    counter = FlopCounterMode(display=False)
    with counter:
        for s in range(first, first + args.steps):
            run.train_step(s)
    flops = counter.get_total_flops()
    head_s = head_seconds(run, batch, device)
    return {"objective": objective, "head": head, "head_share": head_s / (seconds / args.steps),
            "preset": preset, "patch": run.model_cfg.patch_size, "batch": batch, "tokens": run.model_cfg.tokens,
            "params_m": sum(p.numel() for p in run.model.parameters()) / 1e6,
            "step_ms": 1000 * seconds / args.steps, "it_s": args.steps / seconds,
            "samples_s": args.steps * batch / seconds, "flops_step": flops / args.steps,
            "flop_s": flops / seconds, "run": run}


def bench_sample(run: TrainRun, n: int, steps: int, device: torch.device) -> float:
    """Samples/s of the objective's default sampler with ``steps`` steps from the EMA model, ``n`` at a time."""
    obj = run.objective

    def once(seed: int) -> None:
        obj.sample(run.ema.module, n, sampler=obj.default_sampler, num_steps=steps, seed=seed, device=device)

    once(0)  # warm-up
    _sync(device)
    t0 = time.perf_counter()
    reps = 0
    while reps < 2 or time.perf_counter() - t0 < 2.0:
        once(reps)
        reps += 1
    _sync(device)
    return reps * n / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--presets", nargs="+", default=["tiny", "small"])
    p.add_argument("--patch", type=int, nargs="+", default=[4], help="patch edges; 0 = the preset's default (MFU targets: 4)")
    p.add_argument("--objectives", nargs="+", default=["gaussian", "masked"])
    p.add_argument("--heads", nargs="+", default=["linear"], help="output heads (linear, voxel, voxel_occupancy)")
    p.add_argument("--head-width", type=int, default=16, help="channels per voxel of the voxel heads")
    p.add_argument("--batch", type=int, nargs="+", default=[8])
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = leave as is)")
    p.add_argument("--amp", default="auto")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--sample", action="store_true", help="also time 10-step sampling (the objective's default sampler)")
    p.add_argument("--sample-n", type=int, default=8)
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("--quick", action="store_true", help="fewer steps (CI / aggregator)")
    args = p.parse_args(argv)
    if args.quick or os.environ.get("MCGEN_BENCH_QUICK"):
        args.steps, args.warmup = min(args.steps, 3), 1
    if args.threads:
        torch.set_num_threads(args.threads)
    device = dist.resolve_device(args.device, dist.DistInfo())
    amp = "bf16" if (args.amp == "bf16" or (args.amp == "auto" and device.type == "cuda")) else "fp32"
    peak_dtype = torch.bfloat16 if amp == "bf16" else torch.float32
    print(f"machine: {machine_line(describe_machine())}; torch threads {torch.get_num_threads()}")
    peak = matmul_peak(device, peak_dtype)
    print(f"{'bf16' if amp == 'bf16' else 'fp32'} matmul peak measured here: {peak / 1e9:.1f} GFLOP/s")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = make_dataset(Path(tmp) / "ds", 32)
        print(f"{'objective':9} {'head':15} {'preset':6} {'patch':>5} {'batch':>5} {'params':>7} {'ms/step':>8} "
              f"{'it/s':>6} {'samples/s':>9} {'GFLOP/step':>10} {'GFLOP/s':>8} {'MFU':>6} {'head %':>6}"
              + ("  10-step samples/s" if args.sample else ""))
        combos = [(o, h, pr, pa, b) for o in args.objectives for h in args.heads for pr in args.presets
                  for pa in args.patch for b in args.batch]
        for objective, head, preset, patch, batch in combos:
            r = bench_train(preset, args, data, device, batch, objective, patch, head)
            r["mfu"] = r["flop_s"] / peak
            if args.sample:
                r["sample10_samples_s"] = bench_sample(r["run"], args.sample_n, 10, device)
            del r["run"]
            rows.append(r)
            extra = f"  {r['sample10_samples_s']:.1f}" if args.sample else ""
            print(f"{objective:9} {head:15} {preset:6} {r['patch']:>5} {batch:>5} {r['params_m']:>6.1f}M "
                  f"{r['step_ms']:>8.1f} {r['it_s']:>6.2f} {r['samples_s']:>9.1f} {r['flops_step'] / 1e9:>10.2f} "
                  f"{r['flop_s'] / 1e9:>8.1f} {100 * r['mfu']:>5.1f}% {100 * r['head_share']:>5.0f}%{extra}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"peak_flop_s": peak, "amp": amp, "device": str(device), "rows": rows,
                                         "machine": describe_machine()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
