"""The 3-D DiT and the block codec: shapes, presets, adaLN-Zero init, config validation."""

from __future__ import annotations

import pytest
import torch

from mcgen.errors import ConfigError
from mcgen.ml.codec import BlockCodec, analog_bits_table
from mcgen.ml.config import PRESETS, ModelConfig, bits_dim
from mcgen.ml.network import build_model, count_parameters


def _logits(model, x, t, labels=None, self_cond=None) -> torch.Tensor:
    """Grid layout in, grid layout out: (B, X, Y, Z, d) or states (B, X, Y, Z) -> (B, X, Y, Z, V)."""
    sc = None if self_cond is None else model.to_tokens(self_cond)
    return model.from_tokens(model.logits(model.features(model.to_tokens(x), t, labels, sc)))


def _perturbed(cfg: ModelConfig) -> torch.nn.Module:
    torch.manual_seed(0)
    model = build_model(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model.eval()


def test_presets_table_and_small_is_dit_s_sized() -> None:
    assert PRESETS["small"] == (384, 12, 6) and PRESETS["base"] == (768, 12, 12)
    with torch.device("meta"):
        n = {name: count_parameters(build_model(ModelConfig(preset=name))) for name in ("tiny", "small")}
    assert 30e6 < n["small"] < 36e6
    assert n["tiny"] < 3e6


@pytest.mark.parametrize("grid, patch", [(16, 4), (16, 2), (32, 8)])
def test_forward_gives_logits_per_voxel(grid: int, patch: int) -> None:
    cfg = ModelConfig(preset="tiny", grid_size=grid, patch_size=patch, num_labels=3, depth=1)
    model = build_model(cfg)
    x = torch.randn(2, grid, grid, grid, cfg.embed_dim)
    out = _logits(model, x, torch.tensor([0, 999]), torch.tensor([1, 3]), torch.randn_like(x))
    assert out.shape == (2, grid, grid, grid, cfg.vocab_size)


@pytest.mark.parametrize("mask_token", [False, True])
def test_adaln_zero_init_gives_uniform_logits(mask_token: bool) -> None:
    model = build_model(ModelConfig(preset="tiny", depth=2, mask_token=mask_token))
    v = model.cfg.vocab_size
    x = torch.randint(0, v + 1, (1, 16, 16, 16)) if mask_token else torch.randn(1, 16, 16, 16, model.cfg.embed_dim)
    assert torch.count_nonzero(_logits(model, x, torch.tensor([10]))) == 0


def test_patchify_round_trip_keeps_voxel_positions() -> None:
    model = build_model(ModelConfig(preset="tiny", patch_size=4, depth=1))
    v = model.cfg.vocab_size
    x = torch.randn(2, 16, 16, 16, v)
    tokens = model.to_tokens(x)
    assert tokens.shape == (2, 64, 64 * v)
    # token 0 is the corner patch x, y, z in 0..3; its first entries are voxel (0, 0, 0)'s channels
    torch.testing.assert_close(tokens[0, 0, :v], x[0, 0, 0, 0])
    torch.testing.assert_close(tokens[0, 1].view(64, v), x[0, 0:4, 0:4, 4:8].reshape(64, v))
    torch.testing.assert_close(model.from_tokens(tokens), x, rtol=0, atol=0)


def test_removed_voxel_bias_loads_when_off_and_is_refused_when_on() -> None:
    old = {**ModelConfig(preset="tiny").to_dict(), "voxel_bias": False}  # a format 1-2 model config
    assert ModelConfig.from_dict(old) == ModelConfig(preset="tiny")
    with pytest.raises(ConfigError, match="trained with voxel_bias"):
        ModelConfig.from_dict({**old, "voxel_bias": True})


def test_output_depends_on_time_label_and_self_condition() -> None:
    model = _perturbed(ModelConfig(preset="tiny", num_labels=2, depth=1))
    x = torch.randn(1, 16, 16, 16, model.cfg.embed_dim)
    with torch.no_grad():
        base = _logits(model, x, torch.tensor([100]), torch.tensor([0]))
        assert not torch.allclose(base, _logits(model, x, torch.tensor([900]), torch.tensor([0])))
        assert not torch.allclose(base, _logits(model, x, torch.tensor([100]), torch.tensor([2])))
        assert not torch.allclose(base, _logits(model, x, torch.tensor([100]), torch.tensor([0]), torch.ones_like(x)))


def test_config_round_trip_and_validation() -> None:
    cfg = ModelConfig(preset="small", grid_size=32, num_labels=5, encoding="learned")
    d = cfg.to_dict()
    assert d["hidden_size"] == 384 and d["patch_size"] == 2 and d["embed_dim"] == 16
    assert ModelConfig.from_dict(d) == cfg
    for bad in ({"preset": "huge"}, {"grid_size": 24}, {"patch_size": 3}, {"grid_size": 16, "patch_size": 32},
                {"encoding": "onehot"}, {"num_labels": -1}, {"hidden_size": 100, "num_heads": 3},
                {"encoding": "bits", "embed_dim": 3}):
        with pytest.raises(ConfigError):
            ModelConfig(**bad)
    with pytest.raises(ConfigError):
        ModelConfig.from_dict({"preset": "tiny", "wings": 2})


def test_analog_bits_are_distinct_signed_codes() -> None:
    assert bits_dim(55) == 6 and bits_dim(2) == 1
    table = analog_bits_table(55, 6)
    assert set(table.unique().tolist()) == {-1.0, 1.0}
    assert len({tuple(r) for r in table.tolist()}) == 55
    with pytest.raises(ValueError):
        analog_bits_table(65, 6)


@pytest.mark.parametrize("kind", ["bits", "learned"])
def test_codec_encode_decode_round_trip(kind: str) -> None:
    codec = BlockCodec(55, 6 if kind == "bits" else 16, kind)
    blocks = torch.randint(0, 55, (2, 4, 4, 4), generator=torch.Generator().manual_seed(0))
    x = codec.encode(blocks)
    assert x.shape == (2, 4, 4, 4, codec.dim)
    assert torch.equal(codec.nearest(x), blocks)
    # confident logits -> expected embedding is that block's row
    logits = torch.nn.functional.one_hot(blocks, 55).float() * 50  # (B, X, Y, Z, V)
    torch.testing.assert_close(codec.expected(logits), x, atol=1e-4, rtol=0)
    norms = codec.embedding().norm(dim=1)
    torch.testing.assert_close(norms, torch.full_like(norms, codec.dim**0.5))


def test_learned_embedding_norm_cannot_shrink() -> None:
    codec = BlockCodec(10, 8, "learned")
    with torch.no_grad():
        codec.weight.mul_(1e-3)
    norms = codec.embedding().norm(dim=1)
    torch.testing.assert_close(norms, torch.full_like(norms, 8**0.5))
