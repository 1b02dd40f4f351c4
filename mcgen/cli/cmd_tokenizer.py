"""CLI commands: ``mcgen tokenizer train`` and ``mcgen tokenizer eval`` (the latent model's voxel tokenizer)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from mcgen.cli.common import out, say

tokenizer_app = typer.Typer(help="The voxel tokenizer a latent model generates codes for: train it, measure it.",
                            no_args_is_help=True)


@tokenizer_app.command("train")
def train_cmd(
    data: Path = typer.Option(..., "--data", help="Dataset folder (its training split is used)."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Run folder: tokenizer.pt, metrics.jsonl, training.log."),
    patch: int = typer.Option(4, "--patch", help="Patch edge one code stands for: 4 or 2."),
    codes: str = typer.Option("13k", "--codes", help="FSQ codebook: 1k, 4k or 13k codes (plus one for an empty patch)."),
    width: int = typer.Option(24, "--width", help="Channels of the full-resolution layers."),
    max_steps: int = typer.Option(1000, "--max-steps", help="Optimizer steps."),
    batch_size: int = typer.Option(16, "--batch-size", help="Grids per step."),
    lr: float = typer.Option(2e-3, "--lr", help="Peak learning rate (AdamW, warm-up then cosine)."),
    ckpt_every: int = typer.Option(200, "--ckpt-every", help="Write tokenizer.pt every N steps (and at the end)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out from its tokenizer.pt."),
    no_augment: bool = typer.Option(False, "--no-augment", help="Turn off the 8-symmetry augmentation."),
    seed: int = typer.Option(0, "--seed", help="Seed for weights and data order."),
    threads: int = typer.Option(0, "--threads", help="CPU threads for torch (0 = torch's default)."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda or cuda:N."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
) -> None:
    """Train a voxel tokenizer on a dataset (then `mcgen train --tokenizer OUT/tokenizer.pt`)."""
    from mcgen.cli.cmd_train import tokenizer_run  # noqa: PLC0415 - torch only here

    summary = tokenizer_run(data=str(data), out=str(out_dir), patch=patch, codes=codes, width=width,
                            max_steps=max_steps, batch_size=batch_size, lr=lr, ckpt_every=ckpt_every,
                            augment=not no_augment, seed=seed, threads=threads, device=device, resume=resume,
                            progress=not quiet)
    out(f"trained {summary['steps']} steps in {summary['seconds']:.1f} s; tokenizer {summary['path']}")


@tokenizer_app.command("eval")
def eval_cmd(
    tokenizer: Path = typer.Option(..., "--tokenizer", "-t", help="A tokenizer file, or a latent model's checkpoint."),
    data: Path = typer.Option(..., "--data", help="Dataset folder: its held-out split (all of it when none is held out)."),
    split: str = typer.Option("held_out", "--split", help="held_out, train or all."),
    limit: int = typer.Option(0, "--limit", help="At most this many grids (0 = all)."),
    sheet: Path = typer.Option(None, "--sheet", help="Write a contact sheet: input | reconstruction, side by side."),
    json_path: Path = typer.Option(None, "--json", help="Write the report as JSON here."),
    threads: int = typer.Option(0, "--threads", help="CPU threads for torch (0 = torch's default)."),
) -> None:
    """Reconstruction report: occupancy IoU, solid-block accuracy, same-block neighbour share, per label."""
    import torch  # noqa: PLC0415

    from mcgen.cli.cmd_train import load_split  # noqa: PLC0415
    from mcgen.evaluate.recon import format_report, reconstruct, reconstruction_report  # noqa: PLC0415

    if threads:
        torch.set_num_threads(threads)
    vocab, tok = _load_any(tokenizer)
    ds = load_split(data, split, tok.cfg.grid_size, vocab, tokenizer)
    blocks = ds.blocks[:limit] if limit else ds.blocks
    labels = [ds.label_names[i] for i in ds.labels[:len(blocks)].tolist()] if ds.labels is not None \
        else [None] * len(blocks)
    recon = reconstruct(tok, blocks)
    x, y = blocks.long().numpy(), recon.numpy()
    report = reconstruction_report(x, y, labels)
    report.update(tokenizer=str(tokenizer), data=str(data), split=split, config=tok.cfg.to_dict())
    out(format_report(report))
    if json_path:
        from mcgen.fsutil import atomic_write_text  # noqa: PLC0415

        atomic_write_text(json_path, json.dumps(report, indent=1))
        say(f"report: {json_path}")
    if sheet:
        _write_sheet(sheet, x, y, vocab, labels)
        say(f"contact sheet: {sheet}")


def _load_any(path: Path):
    """(block vocabulary, tokenizer module) from a tokenizer file or a latent model's checkpoint."""
    import torch  # noqa: PLC0415

    from mcgen.errors import CheckpointError  # noqa: PLC0415
    from mcgen.ml.checkpoint import load_checkpoint  # noqa: PLC0415
    from mcgen.ml.tokenizer import load_tokenizer  # noqa: PLC0415

    if not path.is_file():
        raise CheckpointError("no such tokenizer file", path=path)
    try:
        head = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # noqa: BLE001 - load_tokenizer gives the one-line reason
        head = None
    if isinstance(head, dict) and head.get("format") == "mcgen.checkpoint":
        ck = load_checkpoint(path)
        if not ck.latent:
            raise CheckpointError("this model checkpoint has no tokenizer (it generates voxels directly)", path=path)
        return ck.vocabulary, ck.tokenizer_module()
    tf = load_tokenizer(path)
    return tf.vocabulary, tf.build()


def _write_sheet(path: Path, x, y, vocab: list[str], labels: list, count: int = 12) -> None:
    from mcgen.grid import VoxelGrid  # noqa: PLC0415
    from mcgen.render import contact_sheet  # noqa: PLC0415

    step = max(1, len(x) // count)
    items = []
    for i in list(range(0, len(x), step))[:count]:
        name = labels[i] or f"#{i}"
        items += [(f"{name} input", VoxelGrid(x[i], vocab).compact()),
                  (f"{name} recon", VoxelGrid(y[i], vocab).compact())]
    contact_sheet(items, path, cols=6, cell=160)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.add_typer(tokenizer_app, name="tokenizer")
