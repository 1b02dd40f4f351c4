"""The ``support`` sampler: every generated block is joined to the ground (or to a given block)."""

from __future__ import annotations

import numpy as np
import torch

from mcgen.evaluate.metrics import GridBatch, flood, plausibility
from mcgen.ml.config import ModelConfig
from mcgen.ml.network import build_model
from mcgen.ml.objectives.masked import MaskedConfig, MaskedObjective


def _model(seed: int = 0):
    torch.manual_seed(seed)
    model = build_model(ModelConfig(preset="tiny", hidden_size=32, depth=1, num_heads=2, mask_token=True)).eval()
    with torch.no_grad():  # a random output layer: candidates everywhere, most of them floating
        for p in model.head.parameters():
            p.normal_(0, 0.5)
        v = model.cfg.vocab_size
        model.head.linear.bias.view(-1, v)[:, 0] += 9.0  # mostly air, so pieces can float
    return model


def test_random_model_samples_float_with_confidence_but_never_with_support() -> None:
    torch.set_num_threads(1)
    obj, model = MaskedObjective(MaskedConfig()), _model()
    conf = obj.sample(model, 4, sampler="confidence", num_steps=8, seed=0).numpy()
    sup = obj.sample(model, 4, sampler="support", num_steps=8, seed=0).numpy()
    un_conf = plausibility(GridBatch(conf.astype(np.int32), ["air"] * int(conf.max() + 1)))["unsupported"]
    un_sup = plausibility(GridBatch(sup.astype(np.int32), ["air"] * int(sup.max() + 1)))["unsupported"]
    assert un_conf.mean() > 0.05  # the test would prove nothing if nothing floated
    assert (sup > 0).sum() > 0 and float(un_sup.max()) == 0.0


def test_support_counts_given_blocks_as_ground_and_keeps_them() -> None:
    torch.set_num_threads(1)
    obj, model = MaskedObjective(MaskedConfig()), _model(1)
    known = torch.full((2, 16, 16, 16), -1, dtype=torch.long)
    known[:, 8, 10, 8] = 3  # one given block in the air
    out = obj.sample(model, 2, sampler="support", num_steps=6, seed=2, known=known)
    assert (out[:, 8, 10, 8] == 3).all()
    solid = out.numpy() > 0
    seeds = np.zeros_like(solid)
    seeds[:, :, 0, :] = True
    seeds[:, 8, 10, 8] = True
    reached = flood(solid, seeds & solid)  # every solid voxel reaches y = 0 or the given block
    assert solid.sum() > 1 and (reached == solid).all()
