"""What a run writes besides logs (rank 0 only): checkpoints, samples and pictures.

outputs/checkpoints/step_000050.pt, latest.pt        (every --ckpt-every steps and at the end)
outputs/inference_samples/step_000005_sample_0.json  (EMA weights, the objective's default sampler)
outputs/inference_samples/step_000005.png            (that step's samples)
outputs/progress.png, outputs/loss.png
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol

import torch

from mcgen.grid import VoxelGrid, save_json
from mcgen.ml.checkpoint import save_checkpoint
from trainer import hooks
from trainer.previews import write_loss_plot, write_progress_sheet, write_step_sheet
from trainer.state import pack_train_state, prune, publish_latest, step_path

_SAMPLE_FILE = re.compile(r"^step_(\d{6,})(?:_sample_\d+\.json|\.png)$")
_SAMPLE_SEED_OFFSET = 1_000_003  # preview noise differs from training draws but is fixed across steps


class RunState(Protocol):
    """What :class:`Outputs` reads of a training run (:class:`trainer.loop.TrainRun` has it all);
    the loop hands itself over, and this module never imports the loop."""

    out: Path
    cfg: Any  # trainer.config.TrainConfig
    info: Any  # trainer.dist.DistInfo
    data: Any  # trainer.data.Dataset
    device: torch.device
    objective: Any  # mcgen.ml.objectives.Objective
    model_cfg: Any
    diffusion_cfg: Any
    model: torch.nn.Module
    ema: Any  # trainer.ema.EMA
    opt: torch.optim.Optimizer
    scaler: Any
    log: Any  # trainer.logs.RunLog
    window: dict[str, torch.Tensor]
    samples_seen: int
    elapsed_before: float
    total: int
    init_from: dict | None  # where a fine-tuning run started (trainer.finetune.InitFrom.record), else None
    tokenizer: dict | None  # a latent model's tokenizer section (checkpoint), else None

    def epoch(self) -> int:
        """The epoch of the current step (0-based)."""

    def elapsed(self) -> float:
        """Seconds since this process started its loop."""


class Outputs:
    """Writes a run's files; reads the run's state through ``run``."""

    def __init__(self, run: RunState) -> None:
        self.run = run
        self.out = run.out
        self.ckpt_dir = self.out / "checkpoints"
        self.samples_dir = self.out / "inference_samples"
        self.last_ckpt_step = -1

    def prepare(self, resume_step: int | None) -> None:
        """Create folders; when resuming, drop samples written after the checkpoint's step."""
        self.ckpt_dir.mkdir(parents=True, exist_ok=True)
        self.samples_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.ckpt_dir.glob(".*.tmp"):  # left by a run killed mid-write
            stale.unlink(missing_ok=True)
        if resume_step is None:
            return
        for p in self.samples_dir.iterdir():
            m = _SAMPLE_FILE.match(p.name)
            if m and int(m.group(1)) > resume_step:
                p.unlink()

    # --- samples ------------------------------------------------------------------------------
    def draw_samples(self, n: int, step: int, offset: int = 0) -> list[VoxelGrid]:
        """``n`` samples from the EMA model with fixed noise (same seeds at every step)."""
        run, cfg = self.run, self.run.cfg
        labels = None
        names = run.data.label_names
        if names:
            labels = torch.arange(offset, offset + n, device=run.device) % len(names)
        obj = run.objective
        idx = obj.sample(run.ema.module, n, sampler=obj.default_sampler, num_steps=cfg.sample_steps,
                         seed=cfg.seed + _SAMPLE_SEED_OFFSET + offset, labels=labels,
                         guidance=cfg.sample_guidance, device=run.device)
        idx = idx.cpu().numpy()  # (n, X, Y, Z)
        grids = []
        for i in range(n):
            meta = {"step": step, "sample": offset + i, "objective": obj.kind, "sampler": obj.default_sampler,
                    "steps": cfg.sample_steps,
                    "seed": cfg.seed + _SAMPLE_SEED_OFFSET + offset, "weights": "ema",
                    "label": names[int(labels[i])] if labels is not None else None}
            grids.append(VoxelGrid(idx[i], run.data.vocabulary, meta).compact())
        return grids

    def sample_and_preview(self, step: int) -> None:
        """Write this step's sample JSONs and picture, then refresh progress.png and loss.png."""
        grids = self.draw_samples(self.run.cfg.samples_per_step, step)
        for i, g in enumerate(grids):
            save_json(g, self.samples_dir / f"step_{step:06d}_sample_{i}.json")
        captions = [f"#{i} {g.meta['label']}" if g.meta.get("label") else f"#{i}" for i, g in enumerate(grids)]
        write_step_sheet(grids, captions, self.samples_dir / f"step_{step:06d}.png", step)
        write_progress_sheet(self.samples_dir, self.out / "progress.png")
        self.plot_loss()

    def plot_loss(self) -> None:
        """Redraw loss.png from the metrics logged so far."""
        recs = [r for r in self.run.log.records if "loss" in r]
        write_loss_plot([r["step"] for r in recs], [r["loss"] for r in recs], self.out / "loss.png")

    def evaluate(self, step: int) -> None:
        """The --eval-every hook: sample, score, append an eval record to metrics.jsonl."""
        run = self.run
        n = max(4, run.cfg.samples_per_step)
        samples = self.draw_samples(n, step, offset=10_000)
        k = min(len(run.data), 64)
        blocks = run.data.blocks[:k].cpu().numpy()
        reference = [VoxelGrid(blocks[i], run.data.vocabulary).compact() for i in range(k)]
        ctx = hooks.EvalContext(step, samples, reference, run.ema.module,
                                lambda m: self.draw_samples(m, step, offset=20_000))
        result = hooks.evaluate(ctx)
        run.log.metrics_eval({"step": step, "epoch": run.epoch(), "eval": result})

    # --- checkpoints --------------------------------------------------------------------------
    def checkpoint(self, step: int) -> Path:
        """Write step_XXXXXX.pt with the full train state and point latest.pt at it."""
        if step == self.last_ckpt_step:
            return step_path(self.ckpt_dir, step)
        run = self.run
        state = pack_train_state(
            model=run.model, optimizer=run.opt, scaler=run.scaler, ema_updates=run.ema.updates, step=step,
            epoch=run.epoch(), samples_seen=run.samples_seen, elapsed=run.elapsed_before + run.elapsed(),
            config=run.cfg.to_dict(), world_size=run.info.world_size,
            schedule={"kind": run.cfg.lr_schedule, "lr": run.cfg.lr, "warmup_steps": run.cfg.warmup_steps,
                      "total_steps": run.total},
            window={k: v for k, v in run.window.items()})
        path = step_path(self.ckpt_dir, step)
        save_checkpoint(path, model_cfg=run.model_cfg, diffusion_cfg=run.diffusion_cfg,
                        vocabulary=run.data.vocabulary, label_names=run.data.label_names,
                        ema_state=run.ema.state_dict(), step=step, train_state=state,
                        extra={"trainer": {"epoch": run.epoch(), "samples_seen": run.samples_seen},
                               **({"init_from": run.init_from} if run.init_from else {})},
                        tokenizer=run.tokenizer)
        publish_latest(path)
        prune(self.ckpt_dir, run.cfg.keep_last, protect=path)
        self.last_ckpt_step = step
        return path
