"""Shared test helper: a small checkpoint with random weights (so its samples hold blocks)."""

from __future__ import annotations

from pathlib import Path

import torch

from mcgen.ml.checkpoint import save_checkpoint
from mcgen.ml.config import ModelConfig
from mcgen.ml.network import build_model
from mcgen.ml.objectives import make_objective, objective_config
from mcgen.vocab import DEFAULT_VOCAB


def random_checkpoint(path: Path, label_names: tuple[str, ...] = ("house", "tower"), step: int = 7,
                      air_bias: float = 0.0, objective: str = "gaussian") -> Path:
    """Save a one-block ``tiny`` model, conditional on ``label_names``, with weights nudged off
    adaLN-Zero's start; ``air_bias`` raises the air logit (mostly air, like a trained model)."""
    torch.manual_seed(0)
    obj_cfg = objective_config(objective, {})
    cfg = ModelConfig(preset="tiny", num_labels=len(label_names), depth=1, **make_objective(obj_cfg).model_options())
    model = build_model(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        model.head.linear.bias.view(-1, cfg.vocab_size)[:, 0] += air_bias
    save_checkpoint(path, model_cfg=cfg, diffusion_cfg=obj_cfg, vocabulary=list(DEFAULT_VOCAB.states),
                    label_names=list(label_names), ema_state=model.state_dict(), step=step)
    return path
