"""CLI command: ``mcgen evaluate`` - score generated structures against the training set."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from mcgen.cli.common import CHECKPOINT_HELP, is_tty, out, say
from mcgen.errors import UsageError

EPILOG = """Examples:

  mcgen evaluate --samples generated/ --reference dataset/

  mcgen evaluate --checkpoint outputs/checkpoints/latest.pt --num-samples 256 --reference dataset/ --json report.json

  mcgen evaluate --checkpoint mc16.pt --reference mc16/ --cleanup none     # a dataset with a held-out split

Every metric comes with its real-vs-real baseline (one half of the reference set scored against
the other half) and a bootstrap 95% interval. A dataset imported with --split-by series is scored
on its held-out series (--split), with near copies counted against its training split. The
feature net is picked for the reference (--feature-net auto: the synthetic-archetype net for
`mcgen dataset synth` data, the real-build net, trained on MineColonies styles, otherwise); the
report says which. The JSON report has n_samples, n_reference and, per
metric, {"samples", "baseline", "ci"}.
"""


def _read_all(path: Path, what: str) -> list:
    from mcgen.evaluate.report import EvaluationError
    from mcgen.files import iter_structures

    grids = [g for _, g in iter_structures(path)]
    if not grids:
        raise EvaluationError(f"{what} holds no structures", path=path)
    return grids


SPLITS = ("auto", "held_out", "train", "all")


def split_reference(grids: list, split: str) -> tuple[list, list, str]:
    """``(reference, training builds for novelty, what was used)`` for ``--split``.

    Raises:
        UsageError: an unknown split, or held_out/train asked of a reference without a split.
    """
    if split not in SPLITS:
        raise UsageError(f"--split must be one of {', '.join(SPLITS)}, got {split!r}")
    parts = [g.meta.get("split") for g in grids]
    has_split = "held_out" in parts and "train" in parts
    if not has_split:
        if split in ("held_out", "train"):
            raise UsageError(f"--split {split}: the reference has no held-out split "
                             "(mcgen dataset import --split-by series makes one)")
        return grids, [], "all"
    if split == "all":
        return grids, [], "all"
    held = [g for g, p in zip(grids, parts) if p == "held_out"]
    train = [g for g, p in zip(grids, parts) if p != "held_out"]
    if split == "train":
        return train, [], "train"
    return held, train, "held_out"


def _generate(checkpoint: str, path: Path, num_samples: int, seed: int, device: str, steps: int | None,
              label: str | None, guidance: float | None, clean: str, sampler: str | None,
              temperature: float | None) -> list:
    """Samples from the checkpoint at ``path`` (``checkpoint``: what the user named it)."""
    from mcgen.cli.cmd_model import check_sampling
    from mcgen.generate.sample import generate
    from mcgen.generate.setup import SampleSettings, evaluation_label, label_index
    from mcgen.ml.checkpoint import load_checkpoint  # torch: imported only when we sample

    ck = load_checkpoint(path)
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

    settings = SampleSettings(seed=seed, label=label, guidance=guidance, sampler=sampler, num_steps=steps,
                              temperature=temperature, device=device)
    return generate(ck, num_samples, settings, progress=progress, clean=clean)


def _save(grids: list, folder: Path) -> None:
    from mcgen.grid import save_json

    for i, g in enumerate(grids):
        save_json(g, folder / f"sample_{i:04d}.json")
    say(f"wrote {len(grids)} samples to {folder}")


def evaluate_command(
    samples: Path | None = typer.Option(None, "--samples", "-s", help="Folder (or file) of generated structures."),
    reference: Path = typer.Option(..., "--reference", "-r", help="The training dataset (folder of samples or structure files)."),
    checkpoint: str | None = typer.Option(None, "--checkpoint", "-c", help="Generate the samples from this checkpoint "
                                          "instead of reading --samples. " + CHECKPOINT_HELP),
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
    split: str = typer.Option("auto", "--split", help="A reference dataset with a held-out split: held_out (what auto picks), train or all."),
    feature_net: str = typer.Option("auto", "--feature-net", help="auto, synthetic, real or a feature-net file (see below)."),
) -> None:
    """Compare generated structures with the reference set: plausibility, distribution distances,
    learned-feature distances, novelty and diversity, each with its real-vs-real baseline."""
    from mcgen.evaluate.report import evaluate, format_table
    from mcgen.fsutil import atomic_write_text

    from mcgen.evaluate.features import choose_net

    if (samples is None) == (checkpoint is None):
        raise UsageError("give exactly one of --samples DIR or --checkpoint FILE")
    from mcgen.models import resolve_checkpoint

    ck_path = resolve_checkpoint(checkpoint) if checkpoint is not None else None  # before the slow reading
    net_path, net_reason = choose_net(feature_net, reference)
    if features and not net_path.is_file():
        raise UsageError(f"--feature-net: no feature net at {net_path}")
    ref, train, used = split_reference(_read_all(reference, "--reference"), split)
    if save_samples is not None and checkpoint is None:
        raise UsageError("--save-samples only goes with --checkpoint")
    if checkpoint is None and (label is not None or guidance is not None):
        raise UsageError("--label and --guidance only go with --checkpoint")
    if checkpoint is not None:
        from mcgen.cli.cmd_model import check_cleanup

        check_cleanup(clean)
        smp = _generate(checkpoint, ck_path, num_samples, seed, device, steps, label, guidance, clean, sampler,
                        temperature)
    else:
        smp = _read_all(samples, "--samples")
    if save_samples is not None:
        _save(smp, save_samples)
    say(f"evaluating {len(smp)} samples against {len(ref)} reference structures"
        + (f" (the held-out split; near copies against {len(train)} training builds)" if train else "") + " ...")
    report = evaluate(smp, ref, seed=seed, n_boot=bootstrap, features=features, feature_net=str(net_path), train=train)
    report["samples_source"] = str(checkpoint or samples)
    report["reference_source"] = str(reference)
    report["reference_split"] = used
    if report.get("feature_net"):
        report["feature_net"]["chosen"] = net_reason
    out(format_table(report))
    if json_path is not None:
        atomic_write_text(json_path, json.dumps(report, indent=1) + "\n")
        say(f"wrote {json_path}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("evaluate", epilog=EPILOG, help=evaluate_command.__doc__)(evaluate_command)
