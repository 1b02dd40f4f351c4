"""CLI command: ``mcgen demo`` — the whole pipeline on an embedded default, in one go.

It composes the other commands exactly as a user would type them (so the demo exercises the
real paths): synthesise a dataset, train, sample, export, create a world and build into it,
then draw the pictures and the 3-D viewer page.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import typer

from mcgen.cli.common import out, say
from mcgen.errors import McgenError, UsageError


@dataclass(frozen=True)
class Recipe:
    """Demo settings for one kind of machine."""

    model_size: str
    dataset_count: int
    max_steps: int
    batch_size: int
    lr: float
    sample_every: int
    num_samples: int
    sample_steps: int
    ema_decay: float
    guidance: float
    objective: str = "gaussian"
    patch_size: int | None = None  # None: the preset's
    sampler: str | None = None  # None: the objective's default
    cleanup: str = "none"  # the samples are the model's raw output; `build` keeps its default clean-up


# CPU: the tiny model at patch 4 under the masked objective, 1750 steps of batch 32 (about 4 minutes
# on a quiet 2-core box), sampled raw with the confidence sampler, 25 steps, no guidance. Chosen by
# benchmarks/quality_study.py (equal training time per variant, 256 raw samples each, BENCHMARKS.md):
# masked patch 4 FID 14.6 / precision 0.15 against Gaussian patch 4 22.3 / 0.004 (25 steps, baseline
# 1.9); patch 2 and a deeper model were worse in that time; guidance 1.5 and 2 were worse than none.
CPU_RECIPE = Recipe("tiny", 200, 1750, 32, 2e-3, 100, 20, 25, 0.99, 1.0, objective="masked", sampler="confidence")
# GPU: the DiT-S preset under the Gaussian objective (5000 steps at batch 32 took about 4 minutes on an
# H200 and gave clearly recognisable buildings); the GPU half of the study has not run yet.
GPU_RECIPE = Recipe("small", 1000, 5000, 32, 1e-4, 250, 40, 50, 0.999, 1.5, objective="gaussian")

_EXAMPLES = """
Examples:
  mcgen demo                      # everything into ./demo and worlds/demo
  mcgen demo --max-steps 300      # a quicker, rougher run
  mcgen demo --out /tmp/demo --world /tmp/demo-world
"""


def _cuda_available() -> bool:
    try:
        import torch  # noqa: PLC0415 - only to pick the recipe
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def _step(title: str, argv: list[str]) -> float:
    """Run one mcgen command in-process; stop the demo with its error if it fails."""
    from mcgen.cli import run  # noqa: PLC0415 - the app imports this module

    say(f"\n== {title}\n$ mcgen {' '.join(argv)}")
    t0 = time.perf_counter()
    rc = run(argv)
    if rc != 0:
        raise typer.Exit(rc)
    return time.perf_counter() - t0


def _free_world_name(base: Path) -> Path:
    """``base`` if it does not exist yet, else ``base-2``, ``base-3``...: never build over a save."""
    if not base.exists():
        return base
    n = 2
    while (base.parent / f"{base.name}-{n}").exists():
        n += 1
    return base.parent / f"{base.name}-{n}"


def demo_cmd(
    out_dir: Path = typer.Option(Path("demo"), "--out", help="Folder for the dataset, training run, samples and pictures."),
    world: Path = typer.Option(Path("worlds/demo"), "--world", help="World save to create and build into (a new name is picked if it exists)."),
    max_steps: int | None = typer.Option(None, "--max-steps", min=1, help="Training steps (default: the recipe's)."),
    device: str = typer.Option("auto", "--device", help="auto (GPU when there is one), cpu or cuda."),
    count: int = typer.Option(4, "--count", min=1, max=16, help="Buildings to put into the world."),
    seed: int = typer.Option(0, "--seed", help="Seed for data, training and sampling."),
) -> None:
    """Run the whole pipeline: synthesise data, train, sample, export, build into a new world."""
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / "dataset" / "manifest.json").exists():
        raise UsageError(f"{out_dir} exists and is not an earlier demo folder; pick another --out")
    gpu = device.startswith("cuda") or (device == "auto" and _cuda_available())
    r = GPU_RECIPE if gpu else CPU_RECIPE
    steps = max_steps or r.max_steps
    world_path = _free_world_name(world)
    ds, runs, gen = out_dir / "dataset", out_dir / "outputs", out_dir / "generated"
    ckpt = runs / "checkpoints" / "latest.pt"
    say(f"mcgen demo: {'GPU' if gpu else 'CPU'} recipe, model {r.model_size}, {steps} steps, into {out_dir}/ and {world_path}/")
    if runs.exists():
        shutil.rmtree(runs)  # a fresh run each time; --resume would continue an old one instead
    t = {}
    t["dataset"] = _step("1/6 synthesise a dataset", [
        "dataset", "synth", "--out", str(ds), "--count", str(r.dataset_count), "--size", "16", "--seed", str(seed)])
    t["train"] = _step("2/6 train the model", [
        "train", "--data", str(ds), "--out", str(runs), "--model-size", r.model_size, "--max-steps", str(steps),
        "--objective", r.objective, *(["--patch-size", str(r.patch_size)] if r.patch_size else []),
        "--batch-size", str(r.batch_size), "--lr", str(r.lr), "--ema-decay", str(r.ema_decay),
        "--sample-every", str(max(1, steps // 8)),
        "--samples-per-step", "4", "--ckpt-every", str(steps), "--seed", str(seed), "--device", device])
    t["sample"] = _step("3/6 sample new buildings", [
        "sample", "--checkpoint", str(ckpt), "--num-samples", str(r.num_samples), "--num-steps", str(r.sample_steps),
        "--output-dir", str(gen), "--seed", str(seed), "--device", device,
        "--label", "all", "--guidance", str(r.guidance), "--cleanup", r.cleanup, *_sampler(r)])
    t["export"] = _step("4/6 export WorldEdit schematics", [
        "export", str(gen), "--format", "schem", "-o", str(out_dir / "schematics")])
    t["world"] = _step("5/6 create a world and build into it", ["world", "new", str(world_path)])
    t["world"] += _step("    build", [
        "build", "--checkpoint", str(ckpt), "--into", str(world_path), "--count", str(count),
        "--num-steps", str(r.sample_steps), "--seed", str(seed + 1000), "--out", str(out_dir / "build"),
        "--label", "all", "--guidance", str(r.guidance), *_sampler(r)])
    t["pictures"] = _step("6/6 pictures and the 3-D viewer", ["view", str(runs), "-o", str(out_dir / "view.html")])
    _copy_pictures(out_dir, runs, gen)
    _summary(out_dir, world_path, t)


def _sampler(r: Recipe) -> list[str]:
    return ["--sampler", r.sampler] if r.sampler else []


def _copy_pictures(out_dir: Path, runs: Path, gen: Path) -> None:
    for src, dst in ((runs / "progress.png", out_dir / "progress.png"), (gen / "samples.png", out_dir / "samples.png")):
        try:
            shutil.copyfile(src, dst)
        except OSError as exc:
            raise McgenError(f"expected picture missing: {exc}") from exc


def _summary(out_dir: Path, world_path: Path, t: dict[str, float]) -> None:
    total = sum(t.values())
    say("\n== done in " + f"{total:.0f} s (" + ", ".join(f"{k} {v:.0f} s" for k, v in t.items()) + ")")
    out(f"progress picture : {out_dir / 'progress.png'}   (samples during training)")
    out(f"samples          : {out_dir / 'samples.png'}   and {out_dir / 'generated'}/*.json   (raw model output)")
    out(f"3-D viewer       : {out_dir / 'view.html'}   (open it in a browser)")
    out(f"schematics       : {out_dir / 'schematics'}/*.schem   (WorldEdit: //schem load, //paste)")
    out(f"world            : {world_path}   (copy it into your Minecraft saves folder; /tp commands in {out_dir / 'build'}/build.json)")
    out(f"checkpoint       : {out_dir / 'outputs' / 'checkpoints' / 'latest.pt'}   (mcgen sample / mcgen build)")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("demo", epilog=_EXAMPLES)(demo_cmd)
