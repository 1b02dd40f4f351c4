"""CLI command: ``mcgen demo`` — the whole pipeline on an embedded default, in one go.

Each step calls the library function the matching command calls (so the demo exercises the real
paths) and prints that command, so a user can repeat any step by hand: synthesise a dataset,
train, sample, export, create a world and build into it, then draw the pictures and the 3-D
viewer page.
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
    head: str = "linear"  # the output head (ModelConfig.head)
    cleanup: str = "none"  # the samples are the model's raw output; `build` keeps its default clean-up


# CPU: the tiny model at patch 4 under the masked objective with the full-resolution occupancy head
# (voxel_occupancy, 16 channels), 850 steps of batch 32 (about 5 minutes on a quiet 2-core box), sampled
# raw with the remask sampler, 25 steps, no guidance. Chosen by benchmarks/quality_study.py (equal
# training time per variant, 256 raw samples each, BENCHMARKS.md): masked patch 4 beat Gaussian (FID
# 14.6 against 22.3, baseline 1.9); at equal compute the occupancy head's samples are one grounded piece
# 3.7-4.6x as often as the linear head's (plausible 0.39 / 0.41 against 0.105 / 0.090 over two seeds;
# FID 23.7 / 33.5 against 22.9 / 17.9), and the remask sampler raised it further (0.496, FID 22.0).
CPU_RECIPE = Recipe("tiny", 200, 850, 32, 2e-3, 100, 20, 25, 0.99, 1.0, objective="masked", sampler="remask",
                    head="voxel_occupancy")
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


def _step(title: str, argv: list[str], fn, *args, **kw):
    """Run one step (``fn(*args, **kw)``), announced with the command that does the same; returns
    ``(result, seconds)``. Library errors stop the demo with the usual one-line message."""
    say(f"\n== {title}\n$ mcgen {' '.join(argv)}")
    t0 = time.perf_counter()
    result = fn(*args, **kw)
    return result, time.perf_counter() - t0


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
    t["dataset"] = _dataset(ds, r, seed)
    t["train"] = _train(ds, runs, r, steps, seed, device)
    grids, t["sample"] = _sample(ckpt, gen, r, seed, device)
    t["export"] = _export(grids, out_dir / "schematics")
    t["world"] = _build(ckpt, world_path, out_dir / "build", r, seed, count)
    t["shipped"] = _build_shipped(world_path, out_dir / "build_minecolonies", seed)
    t["pictures"] = _step("6/6 pictures and the 3-D viewer", ["view", str(runs), "-o", str(out_dir / "view.html")],
                          _view, runs, out_dir / "view.html")[1]
    _copy_pictures(out_dir, runs, gen)
    _summary(out_dir, world_path, t)


def _sampler(r: Recipe) -> list[str]:
    return ["--sampler", r.sampler] if r.sampler else []


def _dataset(ds: Path, r: Recipe, seed: int) -> float:
    from mcgen.dataset import synthesize  # noqa: PLC0415

    argv = ["dataset", "synth", "--out", str(ds), "--count", str(r.dataset_count), "--size", "16", "--seed", str(seed)]
    manifest, seconds = _step("1/6 synthesise a dataset", argv, synthesize, ds, count=r.dataset_count, size=16,
                              seed=seed)
    say(f"{manifest['count']} samples: " + " ".join(f"{k}={v}" for k, v in manifest["labels"].items()))
    return seconds


def _train(ds: Path, runs: Path, r: Recipe, steps: int, seed: int, device: str) -> float:
    from mcgen.cli.cmd_train import train_run  # noqa: PLC0415 - the one door to the trainer

    settings = {"data": str(ds), "out": str(runs), "model_size": r.model_size, "max_steps": steps,
                "objective": r.objective, "patch_size": r.patch_size, "head": r.head, "batch_size": r.batch_size, "lr": r.lr,
                "ema_decay": r.ema_decay, "sample_every": max(1, steps // 8), "samples_per_step": 4,
                "ckpt_every": steps, "seed": seed, "device": device}
    argv = ["train", "--data", str(ds), "--out", str(runs), "--model-size", r.model_size, "--max-steps", str(steps),
            "--objective", r.objective, *(["--patch-size", str(r.patch_size)] if r.patch_size else []),
            *(["--head", r.head] if r.head != "linear" else []),
            "--batch-size", str(r.batch_size), "--lr", str(r.lr), "--ema-decay", str(r.ema_decay),
            "--sample-every", str(settings["sample_every"]), "--samples-per-step", "4", "--ckpt-every", str(steps),
            "--seed", str(seed), "--device", device]
    summary, seconds = _step("2/6 train the model", argv, train_run, **settings)
    out(f"trained {summary['steps']} steps in {summary['seconds']:.1f} s; checkpoint {summary['latest_checkpoint']}")
    return seconds


def _settings(r: Recipe, seed: int, device: str):
    from mcgen.generate import SampleSettings  # noqa: PLC0415

    return SampleSettings(seed=seed, label="all", guidance=r.guidance, sampler=r.sampler, num_steps=r.sample_steps,
                          device=device)


def _sample(ckpt: Path, gen: Path, r: Recipe, seed: int, device: str) -> tuple[list, float]:
    from mcgen.cli.cmd_model import write_sample_sheet  # noqa: PLC0415
    from mcgen.generate import generate  # noqa: PLC0415
    from mcgen.grid import save_json  # noqa: PLC0415

    argv = ["sample", "--checkpoint", str(ckpt), "--num-samples", str(r.num_samples), "--num-steps",
            str(r.sample_steps), "--output-dir", str(gen), "--seed", str(seed), "--device", device, "--label", "all",
            "--guidance", str(r.guidance), "--cleanup", r.cleanup, *_sampler(r)]
    grids, seconds = _step("3/6 sample new buildings", argv, generate, ckpt, r.num_samples,
                           _settings(r, seed, device), clean=r.cleanup)
    for i, g in enumerate(grids):
        save_json(g, gen / f"sample_{i:04d}.json")
    write_sample_sheet(grids, gen)
    say(f"wrote {len(grids)} structures to {gen}, preview {gen / 'samples.png'}")
    return grids, seconds


def _export(grids: list, folder: Path) -> float:
    from mcgen.export.writers import encode  # noqa: PLC0415
    from mcgen.fsutil import atomic_write_bytes  # noqa: PLC0415

    def write() -> None:
        for i, g in enumerate(grids):
            atomic_write_bytes(folder / f"sample_{i:04d}.schem", encode(g, "schem", name=f"sample_{i:04d}"))

    seconds = _step("4/6 export WorldEdit schematics", ["export", str(folder.parent / "generated"), "--format",
                    "schem", "-o", str(folder)], write)[1]
    say(f"wrote {len(grids)} schem file(s) to {folder}")
    return seconds


def _build(ckpt: Path, world: Path, folder: Path, r: Recipe, seed: int, count: int) -> float:
    from mcgen.cli.cmd_world import print_report, write_build_files  # noqa: PLC0415
    from mcgen.generate import generate  # noqa: PLC0415
    from mcgen.world import new_world, place_buildings  # noqa: PLC0415

    seconds = _step("5/6 create a world and build into it", ["world", "new", str(world)], new_world, world)[1]
    argv = ["build", "--checkpoint", str(ckpt), "--into", str(world), "--count", str(count), "--num-steps",
            str(r.sample_steps), "--seed", str(seed + 1000), "--out", str(folder), "--label", "all", "--guidance",
            str(r.guidance), *_sampler(r)]
    settings = _settings(r, seed + 1000, "auto")

    def build():
        grids = generate(ckpt, count, settings)  # `build`'s default clean-up
        names = [f"building_{i}" for i in range(len(grids))]
        return grids, place_buildings(world, grids, names=names, reason=f"build {len(grids)} from {ckpt.name}")

    (grids, report), more = _step("    build", argv, build)
    print_report(report, verb="built")
    write_build_files(folder, grids, report, {"checkpoint": str(ckpt), "seed": settings.seed, "label": "all",
                                              "guidance": r.guidance, "sampler": grids[0].meta.get("sampler"),
                                              "num_steps": r.sample_steps, "cleanup": "floating"})
    return seconds + more


# The shipped MineColonies model builds one building per style of this list beside the demo's own.
SHIPPED_MODEL = "minecolonies"
SHIPPED_STYLES = ("nordic", "medievaloak", "sandstone", "pagoda", "caledonia", "fortress")


def _build_shipped(world: Path, folder: Path, seed: int) -> float:
    """A row of buildings from the shipped ``minecolonies`` model, one per style, next to the demo's."""
    from mcgen.cli.cmd_world import print_report, write_build_files  # noqa: PLC0415
    from mcgen.generate import generate  # noqa: PLC0415
    from mcgen.models import current  # noqa: PLC0415
    from mcgen.world import place_buildings  # noqa: PLC0415

    reg = current()
    if reg.get(SHIPPED_MODEL) is None or reg.status(SHIPPED_MODEL) != "ok":
        say(f"(the shipped model {SHIPPED_MODEL!r} is not installed: its row of buildings is left out)")
        return 0.0
    styles = [s for s in SHIPPED_STYLES if s in reg.get(SHIPPED_MODEL).labels]
    argv = ["build", "--checkpoint", SHIPPED_MODEL, "--into", str(world), "--label", styles[0], "--count", "1",
            "--seed", str(seed), "--out", str(folder)]
    say(f"    and a row from the shipped model, one building per style ({', '.join(styles)}): the command "
        f"below for each")

    def build():
        from mcgen.generate import SampleSettings  # noqa: PLC0415
        from mcgen.ml.checkpoint import load_checkpoint  # noqa: PLC0415

        ck = load_checkpoint(reg.path(SHIPPED_MODEL))
        grids = [g for style in styles for g in generate(ck, 1, SampleSettings(seed=seed, label=style, device="auto"))]
        return grids, place_buildings(world, grids, names=[f"{SHIPPED_MODEL}_{s}" for s in styles],
                                      reason=f"build {len(grids)} from the shipped {SHIPPED_MODEL} model")

    (grids, report), seconds = _step("    build (shipped model)", argv, build)
    print_report(report, verb="built")
    write_build_files(folder, grids, report, {"checkpoint": SHIPPED_MODEL, "seed": seed, "labels": styles,
                                              "sampler": grids[0].meta.get("sampler"), "cleanup": "floating"})
    return seconds


def _view(runs: Path, page: Path) -> None:
    from mcgen.view import write_view  # noqa: PLC0415

    summary = write_view(runs, page)
    say(f"view: {summary.kind}, {summary.structures} structure(s), {summary.bytes / 1024:.0f} KiB")


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
    if t.get("shipped"):
        out(f"shipped model    : a row of {SHIPPED_MODEL} buildings beside the demo's own in {world_path}   "
            f"(mcgen build --checkpoint {SHIPPED_MODEL} --label nordic --into WORLD)")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("demo", epilog=_EXAMPLES)(demo_cmd)
