"""CLI command: ``mcgen evaluate`` - score generated structures against the training set."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from mcgen.cli.common import is_tty, out, say
from mcgen.errors import UsageError

EPILOG = """Examples:

  mcgen evaluate --samples generated/ --reference dataset/

  mcgen evaluate --checkpoint outputs/checkpoints/latest.pt --num-samples 256 --reference dataset/ --json report.json

Every metric comes with its real-vs-real baseline (one half of the reference set scored against
the other half) and a bootstrap 95% interval. The JSON report has n_samples, n_reference and, per
metric, {"samples", "baseline", "ci"}.
"""


def _read_all(path: Path, what: str) -> list:
    from mcgen.evaluate.report import EvaluationError
    from mcgen.files import iter_structures

    grids = [g for _, g in iter_structures(path)]
    if not grids:
        raise EvaluationError(f"{what} holds no structures", path=path)
    return grids


def _generate(checkpoint: Path, num_samples: int, seed: int, device: str, steps: int | None, label: str | None,
              guidance: float | None, clean: str, sampler: str | None, temperature: float | None) -> list:
    from mcgen.checkpoint import load_checkpoint  # torch: imported only when we sample
    from mcgen.cli.cmd_model import check_sampling
    from mcgen.generate import evaluation_label, generate, label_index

    ck = load_checkpoint(checkpoint)
    sampler, steps = check_sampling(ck, sampler, steps)
    label = evaluation_label(ck, label)
    label_index(ck, label)
    say(f"generating {num_samples} samples from {checkpoint} (label {label or 'none'}, guidance "
        f"{guidance or 1.0:g}, clean-up {clean}) ...")
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if is_tty() and time.monotonic() - last[0] > 1.0:
            last[0] = time.monotonic()
            say(f"  {done}/{total}")

    return generate(ck, num_samples, sampler=sampler, num_steps=steps, seed=seed, device=device, progress=progress,
                    label=label, guidance=guidance, clean=clean, temperature=temperature)


def _save(grids: list, folder: Path) -> None:
    from mcgen.grid import save_json

    for i, g in enumerate(grids):
        save_json(g, folder / f"sample_{i:04d}.json")
    say(f"wrote {len(grids)} samples to {folder}")


def evaluate_command(
    samples: Path | None = typer.Option(None, "--samples", "-s", help="Folder (or file) of generated structures."),
    reference: Path = typer.Option(..., "--reference", "-r", help="The training dataset (folder of samples or structure files)."),
    checkpoint: Path | None = typer.Option(None, "--checkpoint", "-c", help="Generate the samples from this checkpoint instead of reading --samples."),
    num_samples: int = typer.Option(256, "--num-samples", "-n", min=1, help="Samples to generate with --checkpoint."),
    json_path: Path | None = typer.Option(None, "--json", help="Also write the report as JSON here."),
    seed: int = typer.Option(0, "--seed", help="Seeds generation, the baseline split and the bootstrap."),
    bootstrap: int = typer.Option(200, "--bootstrap", min=0, help="Bootstrap resamples for the intervals (0: none)."),
    features: bool = typer.Option(True, "--features/--no-features", help="Learned-feature metrics (FID, KID, precision/recall)."),
    steps: int | None = typer.Option(None, "--steps", min=1, help="Sampler steps for --checkpoint sampling "
                                     "(default: 50 for Gaussian models, 25 for masked ones)."),
    sampler: str | None = typer.Option(None, "--sampler", help="With --checkpoint: the sampler (default: the objective's)."),
    temperature: float | None = typer.Option(None, "--temperature", min=0.0, help="With --checkpoint, masked models: block-choice temperature."),
    device: str = typer.Option("auto", "--device", help="Device for --checkpoint sampling: auto, cpu, cuda."),
    save_samples: Path | None = typer.Option(None, "--save-samples", help="With --checkpoint: also write the samples (voxel JSON) here."),
    label: str | None = typer.Option(None, "--label", help="With --checkpoint: class label, or 'all' (the default for conditional models: every class in turn)."),
    guidance: float | None = typer.Option(None, "--guidance", help="With --checkpoint: classifier-free guidance scale."),
    clean: str = typer.Option("floating", "--cleanup", help="With --checkpoint: post-sampling clean-up, as in `mcgen sample` (floating, largest or none = the raw model output)."),
) -> None:
    """Compare generated structures with the reference set: plausibility, distribution distances,
    learned-feature distances, novelty and diversity, each with its real-vs-real baseline."""
    from mcgen.evaluate.report import evaluate, format_table
    from mcgen.fsutil import atomic_write_text

    if (samples is None) == (checkpoint is None):
        raise UsageError("give exactly one of --samples DIR or --checkpoint FILE")
    ref = _read_all(reference, "--reference")
    if save_samples is not None and checkpoint is None:
        raise UsageError("--save-samples only goes with --checkpoint")
    if checkpoint is None and (label is not None or guidance is not None):
        raise UsageError("--label and --guidance only go with --checkpoint")
    if checkpoint is not None:
        from mcgen.cli.cmd_model import check_cleanup

        check_cleanup(clean)
        smp = _generate(checkpoint, num_samples, seed, device, steps, label, guidance, clean, sampler, temperature)
    else:
        smp = _read_all(samples, "--samples")
    if save_samples is not None:
        _save(smp, save_samples)
    say(f"evaluating {len(smp)} samples against {len(ref)} reference structures ...")
    report = evaluate(smp, ref, seed=seed, n_boot=bootstrap, features=features)
    report["samples_source"] = str(checkpoint or samples)
    report["reference_source"] = str(reference)
    out(format_table(report))
    if json_path is not None:
        atomic_write_text(json_path, json.dumps(report, indent=1) + "\n")
        say(f"wrote {json_path}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("evaluate", epilog=EPILOG, help=evaluate_command.__doc__)(evaluate_command)
