"""Training configuration: one frozen dataclass, TOML loading, and the effective-config file.

Precedence is defaults < ``--config FILE`` (TOML) < command-line flags. Every value is checked in
``TrainConfig.__post_init__`` so a bad flag or TOML entry fails before any work starts.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from mcgen.errors import ConfigError
from mcgen.fsutil import atomic_write_text
from mcgen.ml.config import HEADS, PRESETS

MODEL_SIZES = tuple(PRESETS)
OBJECTIVES = ("gaussian", "masked")  # mcgen.ml.objectives.OBJECTIVES (kept torch-free here; a test checks)
MASK_SCHEDULES = ("cosine", "linear")
MASK_WEIGHTINGS = ("flat", "bounded", "elbo")
AMP_MODES = ("auto", "bf16", "fp16", "fp32")
LR_SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs, validated on construction.

    ``batch_size`` is the global batch of one optimizer step: it is split across DDP processes
    and ``grad_accum`` micro-steps, so the learning dynamics do not change with the process count.

    Raises:
        ConfigError: a value is out of range or of the wrong kind.
    """

    data: str = "dataset/"
    out: str = "outputs/"
    model_size: str = "small"
    patch_size: int | None = None
    hidden_size: int | None = None  # None: the preset's (likewise depth and num_heads)
    depth: int | None = None
    num_heads: int | None = None
    head: str = "voxel_occupancy"  # BENCHMARKS.md: one grounded piece ~4x as often as "linear" at equal compute
    head_width: int = 16  # full-resolution heads only
    head_blocks: int = 2
    embed_dim: int | None = None  # channels per voxel of the block encoding; None: the fewest analog bits that hold the vocabulary
    objective: str = "masked"  # benchmarks/quality_study.py: best raw quality at the CPU demo budget
    mask_schedule: str = "cosine"
    mask_weighting: str = "flat"
    mask_structured: float = 0.0
    epochs: int = 50
    max_steps: int | None = None
    batch_size: int = 8
    grad_accum: int = 1
    lr: float = 1e-4
    lr_schedule: str = "cosine"
    warmup_steps: int = 100
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    label_dropout: float = 0.1
    augment: bool = True
    sample_every: int = 5
    samples_per_step: int = 2
    sample_steps: int = 10
    sample_guidance: float = 1.0
    ckpt_every: int = 50
    keep_last: int = 0
    eval_every: int = 0
    log_every: int = 10
    resume: str | None = None
    init_from: str | None = None  # fine-tune: a checkpoint file or shipped model name (trainer/finetune.py)
    tokenizer: str | None = None  # a latent model: the DiT generates this voxel tokenizer's codes (mcgen/ml/latent.py)
    seed: int = 0
    device: str = "auto"
    amp: str = "auto"
    workers: int = 0
    threads: int = 0
    compile: bool = False

    def __post_init__(self) -> None:
        _check_types(self)
        _check_ranges(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of every field."""
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)


_POSITIVE_INTS = ("epochs", "batch_size", "grad_accum", "samples_per_step", "sample_steps", "log_every")
_NON_NEGATIVE_INTS = ("warmup_steps", "sample_every", "ckpt_every", "keep_last", "eval_every", "workers", "threads")


def _type_ok(value: Any, annotation: str) -> bool:
    if value is None:
        return "None" in annotation
    if "bool" in annotation:
        return isinstance(value, bool)
    if "int" in annotation:
        return isinstance(value, int) and not isinstance(value, bool)
    if "float" in annotation:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if "str" in annotation:
        return isinstance(value, str)
    return True


def _check_types(cfg: TrainConfig) -> None:
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if not _type_ok(value, str(f.type)):
            raise ConfigError(f"{f.name} must be {f.type}, got {type(value).__name__} {value!r}")


def _check_ranges(cfg: TrainConfig) -> None:
    for name in _POSITIVE_INTS:
        if getattr(cfg, name) < 1:
            raise ConfigError(f"{name} must be at least 1, got {getattr(cfg, name)}")
    for name in _NON_NEGATIVE_INTS:
        if getattr(cfg, name) < 0:
            raise ConfigError(f"{name} must not be negative, got {getattr(cfg, name)}")
    if cfg.max_steps is not None and cfg.max_steps < 1:
        raise ConfigError(f"max_steps must be at least 1, got {cfg.max_steps}")
    if cfg.model_size not in MODEL_SIZES:
        raise ConfigError(f"model_size must be one of {', '.join(MODEL_SIZES)}, got {cfg.model_size!r}")
    for name, allowed in (("objective", OBJECTIVES), ("mask_schedule", MASK_SCHEDULES),
                          ("mask_weighting", MASK_WEIGHTINGS)):
        if getattr(cfg, name) not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {getattr(cfg, name)!r}")
    if not 0.0 <= cfg.mask_structured <= 1.0:
        raise ConfigError(f"mask_structured must be in [0, 1], got {cfg.mask_structured}")
    if cfg.patch_size is not None and cfg.patch_size not in (2, 4, 8):
        raise ConfigError(f"patch_size must be 2, 4 or 8, got {cfg.patch_size}")
    for name in ("hidden_size", "depth", "num_heads", "embed_dim"):
        if getattr(cfg, name) is not None and getattr(cfg, name) < 1:
            raise ConfigError(f"{name} must be at least 1, got {getattr(cfg, name)}")
    if cfg.head_width < 1 or cfg.head_blocks < 0:
        raise ConfigError(f"head_width must be >= 1 and head_blocks >= 0, got {cfg.head_width}, {cfg.head_blocks}")
    if cfg.head not in HEADS:
        raise ConfigError(f"head must be one of {', '.join(HEADS)}, got {cfg.head!r}")
    if cfg.amp not in AMP_MODES:
        raise ConfigError(f"amp must be one of {', '.join(AMP_MODES)}, got {cfg.amp!r}")
    if cfg.lr_schedule not in LR_SCHEDULES:
        raise ConfigError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {cfg.lr_schedule!r}")
    if not (0.0 < cfg.lr <= 1.0):
        raise ConfigError(f"lr must be in (0, 1], got {cfg.lr}")
    if not (0.0 <= cfg.min_lr_ratio <= 1.0):
        raise ConfigError(f"min_lr_ratio must be in [0, 1], got {cfg.min_lr_ratio}")
    if not (0.0 <= cfg.ema_decay < 1.0):
        raise ConfigError(f"ema_decay must be in [0, 1), got {cfg.ema_decay}")
    if not (0.0 <= cfg.label_dropout < 1.0):
        raise ConfigError(f"label_dropout must be in [0, 1), got {cfg.label_dropout}")
    if cfg.weight_decay < 0 or cfg.grad_clip < 0:
        raise ConfigError("weight_decay and grad_clip must not be negative")
    if cfg.sample_guidance < 0:
        raise ConfigError(f"sample_guidance must not be negative, got {cfg.sample_guidance}")
    if cfg.batch_size % cfg.grad_accum:
        raise ConfigError(f"batch_size {cfg.batch_size} is not a multiple of grad_accum {cfg.grad_accum}")
    if not cfg.data or not cfg.out:
        raise ConfigError("data and out must be non-empty paths")
    if cfg.init_from is not None and not cfg.init_from.strip():
        raise ConfigError("init_from must name a checkpoint file or a shipped model")


FIELD_NAMES = tuple(f.name for f in fields(TrainConfig))


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML config file into a dict of ``TrainConfig`` field values.

    Keys may use ``-`` or ``_``; a ``[train]`` table is accepted as well as top-level keys.

    Raises:
        ConfigError: unreadable file, TOML syntax error, or an unknown key.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror or exc}", path=path) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=path) from exc
    if isinstance(raw.get("train"), dict):
        raw = {**{k: v for k, v in raw.items() if k != "train"}, **raw["train"]}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in FIELD_NAMES:
            raise ConfigError(f"unknown setting {key!r} (known: {', '.join(FIELD_NAMES)})", path=path)
        out[name] = value
    return out


def build_config(config_file: str | Path | None = None, **overrides: Any) -> TrainConfig:
    """Defaults, then ``config_file`` (TOML), then non-``None`` ``overrides``.

    Raises:
        ConfigError: see :func:`load_toml` and :class:`TrainConfig`.
    """
    values: dict[str, Any] = load_toml(config_file) if config_file else {}
    for key, value in overrides.items():
        if key not in FIELD_NAMES:
            raise ConfigError(f"unknown setting {key!r}")
        if value is not None:
            values[key] = value
    if isinstance(values.get("lr"), int):
        values["lr"] = float(values["lr"])
    return TrainConfig(**values)


def write_effective_config(cfg: TrainConfig, path: str | Path, resolved: dict[str, Any]) -> None:
    """Write ``config.json``: every setting plus what was resolved at run time (device, steps...)."""
    doc = {"format": "mcgen.train_config", "version": 1, "config": cfg.to_dict(), "resolved": resolved}
    atomic_write_text(path, json.dumps(doc, indent=2, sort_keys=False) + "\n")
