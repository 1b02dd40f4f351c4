"""Optimizer-side choices: the LR schedule, the AMP mode, and implementation picks per torch version."""

from __future__ import annotations

import inspect
import math

import torch
from torch.nn.parallel import DistributedDataParallel

from mcgen.errors import ConfigError
from trainer.config import TrainConfig


def lr_at(step: int, cfg: TrainConfig, total: int) -> float:
    """Learning rate of 0-based step ``step``: linear warmup, then constant or cosine to ``min_lr_ratio``."""
    warm = min(cfg.warmup_steps, max(1, total // 5)) if cfg.warmup_steps else 0
    if step < warm:
        return cfg.lr * (step + 1) / warm
    if cfg.lr_schedule == "constant":
        return cfg.lr
    progress = min(1.0, (step - warm) / max(1, total - warm))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def resolve_amp(amp: str, device: torch.device) -> str:
    """``auto`` -> ``bf16`` on CUDA, ``fp32`` elsewhere (bf16 matmuls are far slower on most CPUs)."""
    if amp == "auto":
        return "bf16" if device.type == "cuda" else "fp32"
    if amp == "fp16" and device.type != "cuda":
        raise ConfigError("--amp fp16 needs a CUDA device (use fp32 or bf16 on CPU)")
    return amp


def no_buffer_sync() -> dict[str, bool]:
    """DDP must not broadcast buffers in forward: the self-conditioning pass runs on some ranks only."""
    params = inspect.signature(DistributedDataParallel.__init__).parameters
    return {"forward_sync_buffers": False} if "forward_sync_buffers" in params else {"broadcast_buffers": False}


def adamw_impl() -> dict[str, bool]:
    """The fused AdamW kernel (one pass per tensor, CPU and CUDA) where this torch has it.

    On CPU the ``foreach`` path falls back to a dozen separate ops per parameter tensor, which
    dominated a ``tiny`` step.
    """
    params = inspect.signature(torch.optim.AdamW.__init__).parameters
    return {"fused": True} if "fused" in params else {"foreach": True}
