"""Training the voxel tokenizer (``mcgen tokenizer train``): reconstruction of a dataset's grids.

Deterministic and resumable like the DiT's loop: the batch order is :class:`~trainer.data.BatchOrder`
over ``(seed, epoch)``, each step's augmentation coins come from a generator seeded by
``(seed, step)``, and ``tokenizer.pt`` holds the weights, the optimizer and the step, so a run cut
off and resumed ends with the same weights as one that was not.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from mcgen.errors import CheckpointError, ConfigError
from mcgen.ml.config import FSQ_PRESETS, TokenizerConfig
from mcgen.ml.tokenizer import (
    TokenizerFile, VoxelTokenizer, class_weights, load_tokenizer, patch_cells, reconstruction_loss, save_tokenizer,
)
from trainer.augment import Augmenter
from trainer.data import BatchOrder, TrainData, load_dataset, step_seed
from trainer.logs import RunLog
from trainer.optim import adamw_impl
from trainer.state import seed_everything

FILE_NAME = "tokenizer.pt"


@dataclass(frozen=True)
class TokenizerTrainConfig:
    """Settings of one tokenizer training run (``mcgen tokenizer train`` flags)."""

    data: str
    out: str
    patch: int = 4
    codes: str = "13k"
    width: int = 24
    max_steps: int = 1000
    batch_size: int = 16
    lr: float = 2e-3
    warmup_steps: int = 50
    ckpt_every: int = 200
    augment: bool = True
    seed: int = 0
    threads: int = 0
    device: str = "cpu"
    resume: bool = False

    def __post_init__(self) -> None:
        if self.codes not in FSQ_PRESETS:
            raise ConfigError(f"unknown codebook {self.codes!r}; choose one of {', '.join(FSQ_PRESETS)}")
        if self.max_steps < 1 or self.batch_size < 1 or self.ckpt_every < 1:
            raise ConfigError("max_steps, batch_size and ckpt_every must be >= 1")
        if not self.lr > 0:
            raise ConfigError(f"lr must be > 0, got {self.lr}")


def lr_at(step: int, cfg: TokenizerTrainConfig) -> float:
    """Linear warm-up, then cosine down to a tenth."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps))
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def loss_weights(data: TrainData, patch: int) -> tuple[torch.Tensor, float]:
    """Block-loss class weights and the occupancy term's solid up-weighting, from the training grids."""
    counts = torch.bincount(data.blocks.long().flatten(), minlength=len(data.vocabulary))
    occupied = patch_cells(data.blocks > 0, patch).any(-1)  # (B, n, n, n)
    live = int(occupied.sum()) * patch**3
    solid = int(counts[1:].sum())
    return class_weights(counts), math.sqrt(max(live - solid, 1) / max(solid, 1))


def train_tokenizer(cfg: TokenizerTrainConfig, progress: bool = True) -> dict[str, Any]:
    """Train (or resume) a tokenizer on ``cfg.data``; writes ``OUT/tokenizer.pt`` and logs.

    Returns:
        Summary: path, steps, final losses, seconds.

    Raises:
        ConfigError, FormatError: bad settings or dataset.
        CheckpointError: ``--resume`` without a resumable file, or one of another dataset or shape.
    """
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = torch.device(cfg.device)
    out = Path(cfg.out)
    path = out / FILE_NAME
    data = load_dataset(cfg.data)
    tcfg = TokenizerConfig(grid_size=data.grid_size, patch=cfg.patch, vocab_size=len(data.vocabulary),
                           levels=FSQ_PRESETS[cfg.codes], width=cfg.width)
    seed_everything(cfg.seed)
    tok = VoxelTokenizer(tcfg).to(device)
    opt = torch.optim.AdamW(tok.parameters(), lr=cfg.lr, weight_decay=0.0, **adamw_impl())
    start, elapsed_before = 0, 0.0
    if cfg.resume:
        start, elapsed_before = _restore(path, tcfg, data, cfg, tok, opt)
    elif path.exists():
        raise ConfigError(f"{path} exists; pass --resume to continue it or choose another --out")
    weights, pos_weight = loss_weights(data, cfg.patch)
    blocks = data.blocks.to(device)
    order = BatchOrder(len(data), cfg.batch_size, cfg.seed)
    aug = Augmenter(data.vocabulary, device) if cfg.augment else None
    gen = torch.Generator(device=device)
    display = ("bar" if sys.stderr.isatty() else "lines") if progress else "none"
    log = RunLog(out, cfg.max_steps, display, resume_step=start if cfg.resume else None)
    log.info(f"tokenizer: {sum(p.numel() for p in tok.parameters()) / 1e6:.2f}M parameters, patch {cfg.patch}, "
             f"{tcfg.num_codes:,} codes, {len(data)} grids, {cfg.max_steps} steps")
    t0, loss, parts = time.monotonic(), torch.zeros(()), {}
    tok.train()
    for step in range(start, cfg.max_steps):
        epoch, rows = order.global_batch_at(step)
        gen.manual_seed(step_seed(cfg.seed, step, 0))
        x = blocks[rows.to(device)]
        x = aug(x, torch.randint(8, (x.shape[0],), generator=gen, device=device)) if aug else x.long()
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        loss, parts = reconstruction_loss(tok(x), x, weights, pos_weight)
        if not torch.isfinite(loss):
            raise ConfigError(f"tokenizer loss became {loss.item()} at step {step}; lower --lr")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tok.parameters(), 1.0)
        opt.step()
        done = step + 1
        seconds = elapsed_before + time.monotonic() - t0
        if done % 25 == 0 or done == cfg.max_steps:
            log.metrics({"step": done, "epoch": epoch, "loss": loss.item(), "occ": parts["occ"].item(),
                         "block": parts["block"].item(), "lr": lr_at(step, cfg), "grad_norm": 0.0,
                         "samples_per_s": (done - start) * cfg.batch_size / max(time.monotonic() - t0, 1e-9),
                         "eta_s": (cfg.max_steps - done) * (time.monotonic() - t0) / max(done - start, 1)})
        log.tick(done, epoch, 0.0)
        if done % cfg.ckpt_every == 0 or done == cfg.max_steps:
            _save(path, tcfg, data, tok, opt, done, seconds, cfg)
    log.close()
    seconds = elapsed_before + time.monotonic() - t0
    return {"path": str(path), "steps": cfg.max_steps, "loss": float(loss.detach()), "seconds": round(seconds, 2),
            "config": tcfg.to_dict()}


def _save(path: Path, tcfg: TokenizerConfig, data: TrainData, tok: VoxelTokenizer, opt: torch.optim.Optimizer,
          step: int, seconds: float, cfg: TokenizerTrainConfig) -> None:
    state = {"optimizer": opt.state_dict(), "config": asdict(cfg), "seconds": seconds,
             "cpu_rng": torch.get_rng_state()}
    tf = TokenizerFile(tcfg, data.vocabulary, {k: v.detach().cpu() for k, v in tok.state_dict().items()}, step,
                       state, {"data": str(data.root), "seconds": round(seconds, 2)})
    save_tokenizer(path, tf)


def _restore(path: Path, tcfg: TokenizerConfig, data: TrainData, cfg: TokenizerTrainConfig, tok: VoxelTokenizer,
             opt: torch.optim.Optimizer) -> tuple[int, float]:
    tf = load_tokenizer(path)
    if tf.train_state is None:
        raise CheckpointError("this tokenizer file has no training state to resume", path=path)
    if tf.cfg != tcfg or tf.vocabulary != data.vocabulary:
        raise CheckpointError("the tokenizer to resume was made with other settings or another dataset", path=path)
    if tf.step > cfg.max_steps:
        raise ConfigError(f"the tokenizer is at step {tf.step}, past --max-steps {cfg.max_steps}")
    tok.load_state_dict(tf.weights)
    opt.load_state_dict(tf.train_state["optimizer"])
    torch.set_rng_state(tf.train_state["cpu_rng"])
    return tf.step, float(tf.train_state.get("seconds", 0.0))
