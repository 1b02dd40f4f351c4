"""CLI command: ``mcgen train`` (the only place ``mcgen`` imports the ``trainer`` package).

Every flag defaults to ``None`` here so that precedence is defaults < ``--config FILE`` <
flags given on the command line; the real defaults live in :class:`trainer.config.TrainConfig`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from mcgen.cli.common import out, say

_H = "Defaults in brackets; --config FILE (TOML) may set any of them."


def train_cmd(
    data: Path = typer.Option(None, "--data", help="Dataset folder (from `mcgen dataset synth`). [dataset/]"),
    out_dir: Path = typer.Option(None, "--out", help="Output folder for checkpoints, samples, logs. [outputs/]"),
    model_size: str = typer.Option(None, "--model-size", help="tiny, small, base or large. [small]"),
    patch_size: int = typer.Option(None, "--patch-size", help="Patch edge 2, 4 or 8. [preset's]"),
    hidden_size: int = typer.Option(None, "--hidden", help="Transformer width (a multiple of --heads). [preset's]"),
    depth: int = typer.Option(None, "--depth", help="Transformer blocks. [preset's]"),
    num_heads: int = typer.Option(None, "--heads", help="Attention heads. [preset's]"),
    head: str = typer.Option(None, "--head", help="Output head: linear (one layer per patch), voxel (plus a "
                             "full-resolution path: 3x3x3 stem, residual voxel blocks, per-voxel logits) or "
                             "voxel_occupancy (the full-resolution path decides only air or not). [voxel_occupancy]"),
    head_width: int = typer.Option(None, "--head-width", help="Channels per voxel of a voxel head. [16]"),
    head_blocks: int = typer.Option(None, "--head-blocks", help="Residual blocks of a voxel head. [2]"),
    embed_dim: int = typer.Option(None, "--embed-dim", help="Channels per voxel of the block encoding (analog bits): "
                                  "more than the vocabulary needs leaves room for the new blocks of a later "
                                  "fine-tuning (10 bits hold 1,024 states). [the fewest that hold the vocabulary]"),
    objective: str = typer.Option(None, "--objective", help="masked (absorbing-state diffusion over block tokens) or gaussian (continuous diffusion over block embeddings); a resumed run keeps its checkpoint's. [masked]"),
    mask_schedule: str = typer.Option(None, "--mask-schedule", help="Masked objective: masking rate cosine or linear. [cosine]"),
    mask_weighting: str = typer.Option(None, "--mask-weighting", help="Masked objective: loss weight flat (mean over masked voxels), bounded or elbo. [flat]"),
    mask_structured: float = typer.Option(None, "--structured-masks", help="Masked objective: share of samples masked only inside a box, above a height or in one half, as `mcgen complete` asks (0 = plain random masking). [0]"),
    epochs: int = typer.Option(None, "--epochs", help="Passes over the dataset. [50]"),
    max_steps: int = typer.Option(None, "--max-steps", help="Stop after this many optimizer steps (overrides --epochs)."),
    batch_size: int = typer.Option(None, "--batch-size", help="Global batch per optimizer step, split over processes. [8]"),
    grad_accum: int = typer.Option(None, "--grad-accum", help="Micro-steps per optimizer step. [1]"),
    lr: float = typer.Option(None, "--lr", help="Peak learning rate (AdamW). [1e-4]"),
    lr_schedule: str = typer.Option(None, "--lr-schedule", help="After warmup: constant or cosine. [cosine]"),
    warmup_steps: int = typer.Option(None, "--warmup-steps", help="Linear LR warmup (at most a fifth of the run). [100]"),
    ema_decay: float = typer.Option(None, "--ema-decay", help="Largest EMA decay, reached after warmup. [0.999]"),
    label_dropout: float = typer.Option(None, "--label-dropout", help="Share of labels replaced by the null label. [0.1]"),
    sample_every: int = typer.Option(None, "--sample-every", help="Sample from the EMA model every N steps (0 = never). [5]"),
    samples_per_step: int = typer.Option(None, "--samples-per-step", help="Samples drawn each time. [2]"),
    sample_steps: int = typer.Option(None, "--sample-steps", help="Sampler steps for those samples (the objective's default sampler). [10]"),
    ckpt_every: int = typer.Option(None, "--ckpt-every", help="Checkpoint every N steps (and at the end). [50]"),
    keep_last: int = typer.Option(None, "--keep-last", help="Keep only the newest K step_*.pt (0 = all). [0]"),
    eval_every: int = typer.Option(None, "--eval-every", help="Evaluate samples every N steps (0 = never). [0]"),
    log_every: int = typer.Option(None, "--log-every", help="Log loss etc. every N steps. [10]"),
    resume: str = typer.Option(None, "--resume", help="Checkpoint to continue from, or 'auto' (latest.pt if any)."),
    init_from: str = typer.Option(None, "--init-from", help="Fine-tune: start a new run from this checkpoint's EMA "
                                  "weights (a file, or a shipped model's name: `mcgen models`); its architecture and "
                                  "objective are kept, the dataset's new block states and labels are added."),
    tokenizer: str = typer.Option(None, "--tokenizer", help="A latent model: the DiT generates the codes of this "
                                  "voxel tokenizer (`mcgen tokenizer train`), which the checkpoint then carries; "
                                  "masked objective, one code per position (--head is ignored)."),
    seed: int = typer.Option(None, "--seed", help="Seed for weights, data order and noise. [0]"),
    device: str = typer.Option(None, "--device", help="auto, cpu, cuda or cuda:N. [auto]"),
    amp: str = typer.Option(None, "--amp", help="auto (bf16 on CUDA, fp32 on CPU), bf16, fp16 or fp32. [auto]"),
    workers: int = typer.Option(None, "--workers", help="Threads reading the dataset (0 = auto). [0]"),
    threads: int = typer.Option(None, "--threads", help="CPU threads for torch (0 = torch's default; 1 is far faster on a busy shared machine). [0]"),
    no_augment: bool = typer.Option(False, "--no-augment", help="Turn off the 8-symmetry augmentation."),
    compile_: bool = typer.Option(False, "--compile", help="torch.compile the model (GPU)."),
    config: Path = typer.Option(None, "--config", help="TOML file with any of these settings."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display (files are still written)."),
) -> None:
    """Train the diffusion model on a dataset; writes checkpoints, samples, progress.png, loss.png.

    Fine-tuning: `mcgen train --init-from NAME_OR_CKPT --data my_builds/` starts from a trained model.
    """
    from trainer.loop import TrainingInterrupted  # noqa: PLC0415 - torch only when training

    settings = dict(
        data=_s(data), out=_s(out_dir), model_size=model_size, patch_size=patch_size, hidden_size=hidden_size,
        depth=depth, num_heads=num_heads, head=head, head_width=head_width, head_blocks=head_blocks, embed_dim=embed_dim,
        objective=objective,
        mask_schedule=mask_schedule, mask_weighting=mask_weighting, mask_structured=mask_structured, epochs=epochs,
        max_steps=max_steps, batch_size=batch_size, grad_accum=grad_accum, lr=lr, lr_schedule=lr_schedule,
        warmup_steps=warmup_steps, ema_decay=ema_decay, label_dropout=label_dropout, sample_every=sample_every,
        samples_per_step=samples_per_step, sample_steps=sample_steps, ckpt_every=ckpt_every, keep_last=keep_last,
        eval_every=eval_every, log_every=log_every, resume=resume, init_from=init_from, tokenizer=tokenizer, seed=seed, device=device,
        amp=amp, workers=workers, threads=threads, augment=False if no_augment else None, compile=True if compile_ else None)
    try:
        summary = train_run(config, progress=not quiet, **settings)
    except TrainingInterrupted as exc:
        say(f"mcgen: interrupted at step {exc.step}; checkpoint {exc.checkpoint}; continue with --resume auto")
        raise typer.Exit(130) from None
    loss = summary.get("final_loss")
    out(f"trained {summary['steps']} steps in {summary['seconds']:.1f} s"
        + (f", final loss {loss:.4f}" if loss is not None else "") + f"; checkpoint {summary['latest_checkpoint']}")


def train_run(config_file: Path | None = None, *, progress: bool = True, **settings) -> dict:
    """Train as ``settings`` say (:class:`trainer.config.TrainConfig` fields; ``None`` = not set, so
    ``config_file`` or the default applies) and return the trainer's summary.

    The library call behind ``mcgen train`` and ``mcgen demo``. This module is the one place
    ``mcgen`` reaches the ``trainer`` package (also for ``mcgen tokenizer``: :func:`tokenizer_run`,
    :func:`load_split`).

    Raises:
        ConfigError, CheckpointError, FormatError: bad settings, dataset or checkpoint.
        trainer.loop.TrainingInterrupted: Ctrl-C (a checkpoint was written first).
    """
    from trainer import build_config, train  # noqa: PLC0415 - torch only when training

    return train(build_config(config_file, **settings), progress=progress)


def tokenizer_run(*, progress: bool = True, **settings) -> dict:
    """Train a voxel tokenizer as ``settings`` say (:class:`trainer.tokenizer.TokenizerTrainConfig`
    fields) and return the summary: the library call behind ``mcgen tokenizer train``."""
    from trainer.tokenizer import TokenizerTrainConfig, train_tokenizer  # noqa: PLC0415 - torch only when training

    return train_tokenizer(TokenizerTrainConfig(**settings), progress=progress)


def load_split(root: Path, split: str, grid: int, vocabulary: list[str], where: Path):
    """A dataset's grids of one split (``train``, ``held_out`` or ``all``) in memory, as training reads
    them (:func:`trainer.data.load_dataset`), renumbered into a tokenizer's ``vocabulary`` as a latent
    run's are (:func:`trainer.latent.fit_to_tokenizer`; ``where`` names the tokenizer in errors)."""
    from trainer.data import load_dataset  # noqa: PLC0415
    from trainer.latent import fit_to_tokenizer  # noqa: PLC0415

    return fit_to_tokenizer(load_dataset(root, split=split), grid, vocabulary, str(where))


def _s(p: Path | None) -> str | None:
    return None if p is None else str(p)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("train", epilog=_H)(train_cmd)
