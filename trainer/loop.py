"""The training loop: AdamW + warmup/cosine, clipping, EMA, AMP, DDP, sampling and checkpoints.

Determinism: the batch rows of step ``s`` come from :class:`trainer.data.BatchOrder` and every
random draw of a micro-batch (symmetry, label dropout, ``t``, ``eps``, self-conditioning) from a
generator seeded by ``(seed, s, part)``, where ``part`` numbers the micro-batches of the global
batch across ranks and accumulation steps. So a resumed run repeats the uninterrupted one bit for
bit, and K processes see exactly the micro-batches one process with ``--grad-accum K`` sees.

The host only waits for the device at sync points (log, sample, checkpoint, eval steps and the
end); non-finite losses are caught there, before any checkpoint is written.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import torch
from torch.nn.parallel import DistributedDataParallel

from mcgen.errors import CheckpointError, ConfigError, McgenError
from mcgen.ml.checkpoint import load_checkpoint
from mcgen.ml.config import ModelConfig
from mcgen.ml.network import build_model, count_parameters
from mcgen.ml.objectives import make_objective, objective_config
from trainer import dist, finetune, latent
from trainer.augment import Augmenter
from trainer.config import TrainConfig, write_effective_config
from trainer.data import BatchOrder, load_dataset, shard, step_seed
from trainer.ema import EMA
from trainer.logs import RunLog
from trainer.outputs import Outputs
from trainer.optim import adamw_impl, lr_at, no_buffer_sync, resolve_amp
from trainer.state import check_compatible, resolve_resume, restore_rng, seed_everything


class TrainingDiverged(McgenError):
    """The loss became NaN or infinite; the run stopped without overwriting good checkpoints."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C: a checkpoint was written (``checkpoint``) at ``step``."""

    def __init__(self, step: int, checkpoint: Path | None) -> None:
        super().__init__(f"interrupted at step {step}")
        self.step, self.checkpoint = step, checkpoint


def train(cfg: TrainConfig, progress: bool = True) -> dict[str, Any]:
    """Train a model as ``cfg`` says; under ``torchrun`` every process calls this.

    Args:
        cfg: the run's settings.
        progress: show a progress bar (terminal) or log lines (otherwise) on stderr.

    Returns:
        Summary: out_dir, steps, final_loss, seconds, latest_checkpoint, samples_per_s, ...

    Raises:
        ConfigError, CheckpointError, FormatError: bad settings, dataset or checkpoint.
        TrainingDiverged: the loss became NaN/inf.
        TrainingInterrupted: Ctrl-C (a checkpoint was written first).
    """
    info = dist.env_info()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = dist.resolve_device(cfg.device, info)
    dist.init(info, device)
    try:
        return TrainRun(cfg, info, device, progress).run()
    finally:
        dist.shutdown()


class TrainRun:
    """One training run's state (kept on an object so the loop body stays small)."""

    def __init__(self, cfg: TrainConfig, info: dist.DistInfo, device: torch.device, progress: bool) -> None:
        self.cfg, self.info, self.device = cfg, info, device
        self.out = Path(cfg.out)
        self.parts = info.world_size * cfg.grad_accum
        if cfg.batch_size % self.parts:
            raise ConfigError(f"batch_size {cfg.batch_size} must be a multiple of processes x grad_accum "
                              f"= {info.world_size} x {cfg.grad_accum}")
        self.amp = resolve_amp(cfg.amp, device)
        self.stop_requested = False
        self.step, self.samples_seen, self.elapsed_before = 0, 0, 0.0
        now = time.monotonic()
        self.clock = {"start": now, "mark": now, "mark_step": 0, "aux": 0.0}
        resume_path = resolve_resume(cfg.resume, self.out)
        data = load_dataset(cfg.data, cfg.workers)
        self.ckpt = load_checkpoint(resume_path) if resume_path else None
        # --init-from starts a new run; a resumed one continues from its own checkpoint instead
        self.init = finetune.load_init(cfg) if cfg.init_from and self.ckpt is None else None
        self.data = finetune.fit_data(data, self.init, self.ckpt).to(device)
        self.init_from = self.init.record(self.data) if self.init else finetune.recorded(self.ckpt)
        self.tokenizer, self.data = latent.tokenizer_section(cfg, self.ckpt, self.init.checkpoint if self.init else None,
                                                             self.data)
        self.order = BatchOrder(len(self.data), cfg.batch_size, cfg.seed)
        self.total = cfg.max_steps or cfg.epochs * self.order.steps_per_epoch
        self._build_model()
        self._restore()
        self.outputs = Outputs(self) if info.is_main else None
        display = ("bar" if sys.stderr.isatty() else "lines") if progress else "none"
        self.log = RunLog(self.out, self.total, display if info.is_main else "none",
                          resume_step=self.step if self.ckpt else None) if info.is_main else None

    # --- set-up ---------------------------------------------------------------------------
    def _model_config(self) -> ModelConfig:
        if self.ckpt is not None:
            if self.ckpt.vocabulary != self.data.vocabulary or self.ckpt.label_names != self.data.label_names:
                raise CheckpointError("checkpoint was trained on a different vocabulary or label set "
                                      "than this dataset", path=self.ckpt.path)
            return self.ckpt.model_cfg
        if self.init is not None:
            return finetune.model_config(self.init, self.data)
        c = self.cfg
        if self.tokenizer is not None:
            return latent.model_config(c, self.tokenizer, len(self.data.label_names), self.objective)
        return ModelConfig(preset=c.model_size, grid_size=self.data.grid_size, patch_size=c.patch_size,
                           hidden_size=c.hidden_size, depth=c.depth, num_heads=c.num_heads, head=c.head,
                           head_width=c.head_width, head_blocks=c.head_blocks, embed_dim=c.embed_dim,
                           vocab_size=len(self.data.vocabulary), num_labels=len(self.data.label_names),
                           **self.objective.model_options())

    def _objective_config(self):
        """The checkpoint's objective when resuming or fine-tuning, else the one ``--objective`` names."""
        if self.ckpt is not None or self.init is not None:
            return (self.ckpt or self.init.checkpoint).diffusion_cfg
        if self.tokenizer is not None and self.cfg.objective != "masked":
            raise ConfigError(f"a latent model (--tokenizer) generates discrete codes: use --objective masked, "
                              f"not {self.cfg.objective}")
        if self.cfg.objective == "masked":
            return objective_config("masked", {"schedule": self.cfg.mask_schedule,
                                               "weighting": self.cfg.mask_weighting,
                                               "structured_prob": self.cfg.mask_structured})
        return objective_config("gaussian", {})

    def _build_model(self) -> None:
        cfg = self.cfg
        self.diffusion_cfg = self._objective_config()
        self.objective = make_objective(self.diffusion_cfg)
        if self.tokenizer is not None:
            self.objective = latent.wrap(self.objective, self.tokenizer, self.device)
        self.model_cfg = self._model_config()
        seed_everything(cfg.seed)  # same initial weights on every rank
        self.model = build_model(self.model_cfg).to(self.device)
        if self.init is not None:
            finetune.load_weights(self.model, self.init, self.data)
        self.ema = EMA(self.model, cfg.ema_decay)
        decay = [p for p in self.model.parameters() if p.ndim >= 2]
        no_decay = [p for p in self.model.parameters() if p.ndim < 2]
        self.opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                                      {"params": no_decay, "weight_decay": 0.0}],
                                     lr=cfg.lr, betas=(0.9, 0.999), **adamw_impl())
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp == "fp16")
        self.augmenter = Augmenter(self.data.vocabulary, self.device) if cfg.augment else None
        self.gen = torch.Generator(device=self.device)
        self.train_model: torch.nn.Module = self.model
        if self.info.enabled:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.train_model = DistributedDataParallel(self.model, device_ids=ids, **no_buffer_sync())
        if cfg.compile:
            self.train_model = torch.compile(self.train_model)
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.window = {"loss": torch.zeros((), device=self.device), "grad_norm": torch.zeros((), device=self.device),
                       "count": torch.zeros((), device=self.device), "bad_step": torch.full((), -1.0, device=self.device)}

    def _restore(self) -> None:
        if self.ckpt is None:
            return
        ts = self.ckpt.train_state
        check_compatible(ts, self.cfg.to_dict())
        self.model.load_state_dict(ts["model"])
        self.ema.load_state_dict(self.ckpt.ema_state, ts["counters"]["ema_updates"])
        self.opt.load_state_dict(ts["optimizer"])
        if ts.get("scaler") and self.scaler.is_enabled():
            self.scaler.load_state_dict(ts["scaler"])
        restore_rng(ts["rng"])
        counters = ts["counters"]
        self.step, self.samples_seen = int(counters["step"]), int(counters["samples_seen"])
        self.elapsed_before = float(counters["elapsed"])
        for k, v in ts.get("log_window", {}).items():
            if k in self.window:
                self.window[k].copy_(v.to(self.device))

    # --- one optimizer step -----------------------------------------------------------------
    def _micro_batch(self, rows: torch.Tensor, step: int, part: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        self.gen.manual_seed(step_seed(self.cfg.seed, step, part))
        idx = shard(rows, part, self.parts).to(self.device, non_blocking=True)
        x0 = self.data.blocks[idx]  # (b, X, Y, Z) int16
        b = x0.shape[0]
        if self.augmenter is not None:
            x0 = self.augmenter(x0, torch.randint(8, (b,), generator=self.gen, device=self.device))
        else:
            x0 = x0.long()
        if self.data.labels is None:
            return x0, None
        labels = self.data.labels[idx]
        if self.cfg.label_dropout > 0:
            drop = torch.rand(b, generator=self.gen, device=self.device) < self.cfg.label_dropout
            labels = torch.where(drop, torch.full_like(labels, self.model_cfg.num_labels), labels)
        return x0, labels

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.amp == "fp32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.amp == "bf16" else torch.float16
        return torch.autocast(self.device.type, dtype=dtype)

    def train_step(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Run optimizer step ``step`` (0-based); returns (mean loss, grad norm) as device tensors."""
        cfg, accum = self.cfg, self.cfg.grad_accum
        _, rows = self.order.global_batch_at(step)
        lr = lr_at(step, cfg, self.total)
        for group in self.opt.param_groups:
            group["lr"] = lr
        total = torch.zeros((), device=self.device)
        for m in range(accum):
            part = self.info.rank * accum + m
            x0, labels = self._micro_batch(rows, step, part)
            sync_ctx = (self.train_model.no_sync() if self.info.enabled and m < accum - 1
                        and hasattr(self.train_model, "no_sync") else contextlib.nullcontext())
            with sync_ctx:
                with self._autocast():
                    loss = self.objective.loss(self.train_model, x0, labels, generator=self.gen)
                self.scaler.scale(loss / accum).backward()
            total += loss.detach()
        self.scaler.unscale_(self.opt)
        clip = cfg.grad_clip if cfg.grad_clip > 0 else float("inf")
        grad_norm = torch.nn.utils.clip_grad_norm_(self.params, clip, foreach=True)
        self.scaler.step(self.opt)
        self.scaler.update()
        self.opt.zero_grad(set_to_none=True)
        self.ema.update()
        return total / accum, grad_norm

    def _accumulate(self, step: int, loss: torch.Tensor, grad_norm: torch.Tensor) -> None:
        w = self.window
        w["loss"] += loss
        w["grad_norm"] += grad_norm.float()
        w["count"] += 1
        bad = ~torch.isfinite(loss)
        if not self.scaler.is_enabled():  # fp16 skips inf-gradient steps by design
            bad = bad | ~torch.isfinite(grad_norm)
        w["bad_step"] = torch.where(bad & (w["bad_step"] < 0), torch.full_like(w["bad_step"], step), w["bad_step"])

    # --- the loop ---------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        """Train until ``total`` steps (or Ctrl-C / divergence); returns the summary."""
        prev_handler = self._install_sigint()
        t0 = time.monotonic()
        try:
            if self.info.is_main:
                self._announce()
            dist.barrier(self.info)
            self.clock = {"start": t0, "mark": t0, "mark_step": self.step, "aux": 0.0}
            while self.step < self.total:
                loss, grad_norm = self.train_step(self.step)
                self.step += 1
                self.samples_seen += self.cfg.batch_size
                self._accumulate(self.step, loss, grad_norm)
                if self._is_sync_point():
                    self._sync_point()
                elif self.log is not None:
                    self.log.tick(self.step, self.epoch(), self._eta())
            return self._finish(time.monotonic() - t0)
        finally:
            if prev_handler is not None:
                signal.signal(signal.SIGINT, prev_handler)
            if self.log is not None:
                self.log.close()

    def elapsed(self) -> float:
        """Seconds since this process started its loop."""
        return time.monotonic() - self.clock["start"]

    def epoch(self) -> int:
        """The epoch of the current step (0-based)."""
        return (max(self.step, 1) - 1) // self.order.steps_per_epoch

    def _every(self, n: int) -> bool:
        return n > 0 and self.step % n == 0

    def _is_sync_point(self) -> bool:
        c = self.cfg
        return (self.step == self.total or self._every(c.log_every) or self._every(c.sample_every)
                or self._every(c.ckpt_every) or self._every(c.eval_every)
                or (self.stop_requested and not self.info.enabled))

    def _eta(self) -> float:
        done = self.step - self.clock["mark_step"]
        spent = time.monotonic() - self.clock["start"]
        return spent / done * (self.total - self.step) if done > 0 else float("nan")

    def _sync_point(self) -> None:
        w = self.window
        stats = torch.stack([w["loss"], w["grad_norm"], w["count"], (w["bad_step"] >= 0).float(),
                             torch.tensor(float(self.stop_requested), device=self.device)])
        dist.all_reduce_sum(stats, self.info)
        loss_sum, gn_sum, count, bad, stop = stats.tolist()
        if bad > 0:
            self._diverged(int(w["bad_step"].item()))
        if self._every(self.cfg.log_every) or self.step == self.total:
            self._log_metrics(loss_sum / max(count, 1), gn_sum / max(count, 1))
            for k in ("loss", "grad_norm", "count"):
                w[k].zero_()
        t_aux = time.monotonic()
        if self._every(self.cfg.sample_every) or self.step == self.total:
            self._main_only(lambda: self.outputs.sample_and_preview(self.step))
        if self._every(self.cfg.eval_every):
            self._main_only(lambda: self.outputs.evaluate(self.step))
        if self._every(self.cfg.ckpt_every) or self.step == self.total or stop > 0:
            self._main_only(lambda: self.outputs.checkpoint(self.step))
        self.clock["aux"] += time.monotonic() - t_aux
        if stop > 0:
            latest = self.out / "checkpoints" / "latest.pt"
            if self.log is not None:
                self.log.info(f"interrupted at step {self.step}; checkpoint written: {latest}")
            raise TrainingInterrupted(self.step, latest)

    def _main_only(self, fn) -> None:
        """Run ``fn`` on rank 0 while the others wait at a barrier (every rank joins it)."""
        if self.info.is_main:
            fn()
        dist.barrier(self.info)

    def _log_metrics(self, loss: float, grad_norm: float) -> None:
        now = time.monotonic()
        steps = self.step - self.clock["mark_step"]
        busy = max(now - self.clock["mark"] - self.clock["aux"], 1e-9)
        sps = steps * self.cfg.batch_size / busy
        self.clock.update(mark=now, mark_step=self.step, aux=0.0)
        self.last_loss, self.last_sps = loss, sps
        if self.log is None:
            return
        remaining = (self.total - self.step) * self.cfg.batch_size / max(sps, 1e-9)
        self.log.metrics({
            "step": self.step, "epoch": self.epoch(), "loss": loss, "lr": lr_at(self.step - 1, self.cfg, self.total),
            "grad_norm": grad_norm, "samples_per_s": sps, "samples_seen": self.samples_seen,
            "time": self.elapsed_before + now - self.clock["start"], "eta_s": remaining,
        })

    def _diverged(self, bad_step: int) -> None:
        where = f"at step {bad_step}" if bad_step > 0 else f"by step {self.step}"
        latest = self.out / "checkpoints" / "latest.pt"
        keep = (f"the last good checkpoint is kept: {latest}" if latest.is_file()
                else "no checkpoint had been written yet")
        msg = (f"training diverged: the loss became NaN or infinite {where}; stopped, {keep}. "
               f"Try a lower --lr (now {self.cfg.lr:g}) or --amp fp32")
        if self.log is not None:
            self.log.info(msg)
        raise TrainingDiverged(msg)

    def _announce(self) -> None:
        n_params = count_parameters(self.model)
        resolved = {
            "device": str(self.device), "amp": self.amp, "world_size": self.info.world_size,
            "micro_batch": self.cfg.batch_size // self.parts, "total_steps": self.total,
            "steps_per_epoch": self.order.steps_per_epoch, "dataset_size": len(self.data), "held_out": self.data.held_out,
            "label_names": self.data.label_names, "parameters": n_params,
            "model_config": self.model_cfg.to_dict(), "objective": self.objective.kind,
            "diffusion_config": self.diffusion_cfg.to_dict(),
            "resumed_from": self.ckpt.path if self.ckpt else None, "resumed_step": self.step if self.ckpt else None,
            "init_from": self.init_from,
        }
        write_effective_config(self.cfg, self.out / "config.json", resolved)
        self.outputs.prepare(resume_step=self.step if self.ckpt else None)
        what = f"resuming at step {self.step} from {self.ckpt.path}" if self.ckpt else "starting"
        held = f" ({self.data.held_out} held out by the dataset's split)" if self.data.held_out else ""
        self.log.info(f"mcgen train: {what}; {len(self.data)} samples{held}, labels {self.data.label_names or 'none'}, "
                      f"{self.objective.kind} model {self.model_cfg.preset} ({n_params / 1e6:.2f}M parameters, patch "
                      f"{self.model_cfg.patch_size}), {self.total} steps of batch {self.cfg.batch_size} "
                      f"({self.order.steps_per_epoch} per epoch), device {self.device}, {self.amp}, "
                      f"{self.info.world_size} process(es)")
        if self.init is not None:
            self.log.info(finetune.describe(self.init, self.data))

    def _finish(self, seconds: float) -> dict[str, Any]:
        latest = self.out / "checkpoints" / "latest.pt"
        if self.log is not None:
            self.log.info(f"done: {self.step} steps in {seconds:.1f} s, final loss {getattr(self, 'last_loss', float('nan')):.4f}; "
                          f"checkpoint {latest}")
        return {"out_dir": str(self.out), "steps": self.step, "final_loss": getattr(self, "last_loss", None),
                "seconds": seconds, "latest_checkpoint": str(latest), "samples_per_s": getattr(self, "last_sps", None),
                "epochs": self.epoch() + 1, "device": str(self.device), "amp": self.amp,
                "world_size": self.info.world_size}

    def _install_sigint(self):
        """First Ctrl-C: stop at the next step boundary with a checkpoint; second: stop now."""
        if threading.current_thread() is not threading.main_thread():
            return None

        def handler(signum, frame):  # noqa: ARG001
            if self.stop_requested:
                raise KeyboardInterrupt
            self.stop_requested = True

        return signal.signal(signal.SIGINT, handler)
