"""CLI command: ``mcgen sample`` (structures from a trained checkpoint)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from mcgen.cli.common import CHECKPOINT_HELP, say
from mcgen.errors import ConfigError, UsageError


def write_sample_sheet(grids: list, out_dir: Path) -> Path | None:
    """``samples.png`` in ``out_dir``: a contact sheet of ``grids`` (``None`` without the renderer)."""
    try:
        from mcgen.render import contact_sheet  # noqa: PLC0415 - optional until the render issue lands
    except ImportError:
        return None
    path = out_dir / "samples.png"
    contact_sheet([(f"sample_{i:04d}", g) for i, g in enumerate(grids)], path)
    return path


CLEANUP_HELP = ("After sampling, each structure is first lowered onto the ground, then: floating (drop blocks "
                "with no path to the ground), largest (keep only the biggest connected piece) or none (the raw "
                "model output, not lowered).")


SAMPLER_HELP = ("Gaussian models: ddim or ddpm [ddim]; masked models: confidence (surest voxels first), "
                "random (any order), remask (confidence, and each step re-masks a few of the least sure "
                "generated blocks) or support (confidence, building up from the ground: no block floats) "
                "[confidence].")
STEPS_HELP = "Sampler steps (network evaluations). [50 for Gaussian models, 25 for masked ones]"
TEMPERATURE_HELP = "Masked models: sharpness of the block choice once a voxel is solid (0 = most likely). [1]"


def check_sampling(ck, sampler: str | None, num_steps: int | None) -> tuple[str, int]:
    """The sampler and step count to use for checkpoint ``ck`` (its objective's defaults where
    ``None``); a usage error names the valid samplers when the one given does not fit."""
    from mcgen.ml.objectives.base import check_sampler  # noqa: PLC0415 - torch is imported on demand

    obj = ck.objective()
    rec = ck.sampling_defaults()
    sampler = sampler or rec.get("sampler") or obj.default_sampler
    num_steps = num_steps or rec.get("num_steps") or obj.default_steps
    check_sampler(sampler, obj.samplers, obj.kind, UsageError, name=f"--sampler {sampler}")
    obj.check(sampler, num_steps)
    return sampler, num_steps


def check_cleanup(clean: str) -> None:
    """Refuse an unknown ``--cleanup`` value as a usage error (sample, build and evaluate share it)."""
    from mcgen.generate.clean import CLEANUPS  # noqa: PLC0415

    if clean not in CLEANUPS:
        raise UsageError(f"--cleanup must be one of {', '.join(CLEANUPS)}, got {clean!r}")


def sample_cmd(
    checkpoint: str = typer.Option(..., "--checkpoint", "-c", help=CHECKPOINT_HELP),
    num_samples: int = typer.Option(16, "--num-samples", "-n", min=1, help="How many structures."),
    sampler: str | None = typer.Option(None, "--sampler", help=SAMPLER_HELP),
    num_steps: int | None = typer.Option(None, "--num-steps", min=1, help=STEPS_HELP),
    output_dir: Path = typer.Option(Path("generated"), "--output-dir", "-o", help="Where sample_NNNN.json go."),
    seed: int = typer.Option(0, "--seed", help="Base seed; same seed, same samples."),
    label: str | None = typer.Option(None, "--label", help="Class label (conditional models), or 'all' for every class in turn. Default: unconditional."),
    guidance: float | None = typer.Option(None, "--guidance", help="Classifier-free guidance scale (with --label)."),
    batch_size: int = typer.Option(16, "--batch-size", min=1, help="Structures per network batch."),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda, cuda:N or mps."),
    model_size: str | None = typer.Option(None, "--model-size", help="Optional check: must match the checkpoint's preset."),
    clean: str = typer.Option("floating", "--cleanup", help=CLEANUP_HELP),
    temperature: float | None = typer.Option(None, "--temperature", min=0.0, help=TEMPERATURE_HELP),
    size: tuple[int, int, int] | None = typer.Option(None, "--size", help="X Y Z: structures larger than the "
                                                     "model's grid, as overlapping windows each completed around "
                                                     "its neighbours (e.g. 48 16 48)."),
    overlap: int | None = typer.Option(None, "--overlap", min=0, help="With --size: voxels shared by "
                                       "neighbouring windows. [half the grid]"),
) -> None:
    """Generate structures with a trained model; writes voxel JSON files and a preview sheet."""
    from mcgen.generate.sample import generate  # noqa: PLC0415 - torch is imported on demand
    from mcgen.generate.setup import SampleSettings, label_index, resolve_device  # noqa: PLC0415
    from mcgen.grid import save_json  # noqa: PLC0415
    from mcgen.ml.checkpoint import load_checkpoint  # noqa: PLC0415
    from mcgen.models import resolve_checkpoint  # noqa: PLC0415

    if guidance is not None and label is None:
        raise UsageError("--guidance needs --label (guidance pushes samples towards a label)")
    if overlap is not None and size is None:
        raise UsageError("--overlap only goes with --size")
    ck = load_checkpoint(resolve_checkpoint(checkpoint))
    if model_size is not None and model_size != ck.model_cfg.preset:
        raise ConfigError(f"--model-size {model_size} does not match the checkpoint, which is "
                          f"{ck.model_cfg.preset!r}; the model is rebuilt from the checkpoint, drop the flag")
    dev = resolve_device(device)
    label_index(ck, label)
    check_cleanup(clean)
    sampler, num_steps = check_sampling(ck, sampler, num_steps)  # before any work
    if temperature is not None and ck.objective().kind != "masked":
        raise UsageError("--temperature applies to masked models; this checkpoint is Gaussian")
    say(f"checkpoint {checkpoint} (step {ck.step}, {ck.model_cfg.preset}), {num_samples} samples "
        f"with {sampler} x {num_steps} on {dev}")
    settings = SampleSettings(seed=seed, label=label, guidance=guidance, sampler=sampler, num_steps=num_steps,
                              temperature=temperature, device=dev)
    g = ck.grid_size
    if size is not None and tuple(size) != (g, g, g):
        grids = sample_large(ck, tuple(size), num_samples, settings, overlap, clean)
    else:
        with typer.progressbar(length=num_samples, label="sampling", file=sys.stderr) as bar:
            grids = generate(ck, num_samples, settings, batch_size=batch_size, clean=clean,
                             progress=lambda done, total: bar.update(done - bar.pos))
    for i, g in enumerate(grids):
        g.meta["checkpoint"] = str(checkpoint)
        save_json(g, output_dir / f"sample_{i:04d}.json")
    sheet = write_sample_sheet(grids, output_dir)
    blocks = [g.count() for g in grids]
    removed = sum(int(g.meta.get("cleanup_removed", 0)) for g in grids)
    tidy = f"; clean-up {clean} removed {removed} block(s) in all" if clean != "none" else ""
    say(f"wrote {len(grids)} structures to {output_dir} (blocks per structure {min(blocks)}..{max(blocks)}{tidy})"
        + (f", preview {sheet}" if sheet else ""))


def sample_large(ck, size, num_samples, settings, overlap, clean) -> list:
    """``mcgen sample --size``: window by window (:func:`mcgen.generate.windows.generate_large`), then the clean-up."""
    from mcgen.generate.clean import cleanup  # noqa: PLC0415
    from mcgen.generate.windows import generate_large  # noqa: PLC0415

    with typer.progressbar(length=1, label="windows", file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        grids = generate_large(ck, size, num_samples=num_samples, settings=settings, overlap=overlap,
                               progress=progress)
    out = []
    for grid in grids:
        tidy, removed = cleanup(grid, clean)
        tidy.meta.update(cleanup=clean, cleanup_removed=removed)
        out.append(tidy.compact())
    return out


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("sample")(sample_cmd)
