"""Output heads behind one seam: the full-resolution heads start as the linear head, see their
neighbours at voxel resolution, work with guidance, self-conditioning and both objectives, save,
load and sample deterministically, and old checkpoints load as the linear head."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from mcgen.errors import ConfigError
from mcgen.ml.config import HEADS, ModelConfig
from mcgen.ml.denoise import predict
from mcgen.ml.heads import LinearHead, VoxelHead
from mcgen.ml.network import build_model
from mcgen.ml.objectives.gaussian import GaussianObjective
from mcgen.ml.objectives.masked import MaskedObjective

V = 55
FULL_RES = [h for h in HEADS if h != "linear"]


def _model(head: str, mask_token: bool = True, labels: int = 2, seed: int = 0, width: int = 8) -> torch.nn.Module:
    torch.manual_seed(seed)
    cfg = ModelConfig(preset="tiny", depth=1, num_labels=labels, mask_token=mask_token, head=head, head_width=width)
    return build_model(cfg)


def _nudge(model: torch.nn.Module, std: float = 0.05) -> torch.nn.Module:
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * std)
    return model.eval()


@pytest.mark.parametrize("head", FULL_RES)
@pytest.mark.parametrize("mask_token", [True, False])
def test_full_resolution_heads_start_with_uniform_logits(head: str, mask_token: bool) -> None:
    model = _model(head, mask_token)
    x = torch.randint(0, V + 1, (2, 64, 64)) if mask_token else torch.randn(2, 64, 64 * model.cfg.embed_dim)
    with torch.no_grad():
        logits = model.logits(model.features(x, torch.tensor([10.0, 900.0])))
    assert logits.shape == (2, 64, 64 * V) and torch.count_nonzero(logits) == 0


@pytest.mark.parametrize("head", FULL_RES)
def test_full_resolution_path_reads_neighbouring_voxels_across_a_patch_edge(head: str) -> None:
    """Changing one voxel's input state changes the logits of the voxel beside it in the next
    patch through the convolution, even with the transformer's path switched off."""
    model = _nudge(_model(head))
    with torch.no_grad():
        model.head.unpatch.weight.zero_()  # token features no longer reach the voxel path
        model.head.linear.weight.zero_()
    grid = torch.full((1, 16, 16, 16), V, dtype=torch.long)  # all [MASK]
    other = grid.clone()
    other[0, 3, 5, 5] = 7  # x = 3 is the last voxel of patch 0; x = 4 is the first of patch 1
    t = torch.tensor([500.0])
    with torch.no_grad():
        a = model.from_tokens(model.logits(model.features(model.to_tokens(grid), t)))  # (1, X, Y, Z, V)
        b = model.from_tokens(model.logits(model.features(model.to_tokens(other), t)))
    assert not torch.allclose(a[0, 4, 5, 5], b[0, 4, 5, 5])  # the neighbour across the patch edge
    torch.testing.assert_close(a[0, 12, 12, 12], b[0, 12, 12, 12])  # far away: untouched


def test_occupancy_head_changes_only_the_air_logit() -> None:
    model = _nudge(_model("voxel_occupancy"))
    x = torch.randint(0, V + 1, (2, 64, 64))
    with torch.no_grad():
        f = model.features(x, torch.tensor([300.0, 700.0]))
        full = model.logits(f).view(2, 64, 64, V)
        linear = model.head.linear(f.tokens).view(2, 64, 64, V)
    torch.testing.assert_close(full[..., 1:], linear[..., 1:], rtol=0, atol=0)
    assert not torch.allclose(full[..., 0], linear[..., 0])


@pytest.mark.parametrize("head", HEADS)
def test_loss_and_estimate_agree_with_the_logits(head: str) -> None:
    model = _nudge(_model(head, mask_token=False))
    x = torch.randn(2, 64, 64 * model.cfg.embed_dim)
    target = torch.randint(0, V, (2, 64, 64))
    t = torch.tensor([100, 800])
    f = model.features(x, t)
    logits = model.logits(f).view(-1, V)
    plain = F.cross_entropy(logits, target.reshape(-1), reduction="none").view(2, 64, 64)
    torch.testing.assert_close(model.loss(f, target), plain, rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        est = model.expected(model.features(x, t))
    want = (torch.softmax(logits.detach(), -1) @ model.codec.embedding()).view(2, 64, -1)
    torch.testing.assert_close(est, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("head", HEADS)
def test_guidance_mixes_the_logits_for_every_head(head: str) -> None:
    model = _nudge(_model(head, labels=3))
    x = torch.randint(0, V + 1, (2, 64, 64))
    t, labels = torch.tensor([500.0, 500.0]), torch.tensor([1, 2])
    with torch.no_grad():
        cond = model.logits(model.features(x, t, labels))
        null = model.logits(model.features(x, t, torch.tensor([3, 3])))
        mixed = predict(model, x, t, labels, None, guidance=2.5).logits()
    assert not torch.allclose(cond, null)
    torch.testing.assert_close(mixed, null + 2.5 * (cond - null), atol=1e-4, rtol=1e-4)
    assert isinstance(model.head, LinearHead if head == "linear" else VoxelHead)


@pytest.mark.parametrize("head", FULL_RES)
@pytest.mark.parametrize("objective", [MaskedObjective(), GaussianObjective()])
def test_both_objectives_train_and_sample_with_a_full_resolution_head(head: str, objective) -> None:
    torch.set_num_threads(1)
    model = _model(head, mask_token=objective.kind == "masked", labels=2)
    blocks = torch.randint(0, V, (2, 16, 16, 16), generator=torch.Generator().manual_seed(1))
    loss = objective.loss(model.train(), blocks, torch.tensor([0, 1]), generator=torch.Generator().manual_seed(2))
    loss.backward()
    assert torch.isfinite(loss) and model.head.out.weight.grad.abs().sum() > 0
    _nudge(model)
    sampler = objective.default_sampler
    known = torch.full((2, 16, 16, 16), -1, dtype=torch.long)
    known[:, :, 0] = 3
    a = objective.sample(model, 2, sampler=sampler, num_steps=3, seed=4, labels=torch.tensor([0, 1]), guidance=1.5,
                         known=known)
    b = objective.sample(model, 2, sampler=sampler, num_steps=3, seed=4, labels=torch.tensor([0, 1]), guidance=1.5,
                         known=known)
    assert torch.equal(a, b) and bool((a[:, :, 0] == 3).all())


def test_head_settings_are_checked_and_recorded() -> None:
    cfg = ModelConfig(preset="tiny", head="voxel", head_width=24, head_blocks=3)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    old = {k: v for k, v in ModelConfig(preset="tiny").to_dict().items() if not k.startswith("head")}
    assert ModelConfig.from_dict(old).head == "linear"  # written before the field: today's linear head
    with pytest.raises(ConfigError, match="unknown output head"):
        ModelConfig(head="unet")
    with pytest.raises(ConfigError, match="head_width"):
        ModelConfig(head="voxel", head_width=0)
