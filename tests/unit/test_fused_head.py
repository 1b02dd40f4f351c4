"""The linear head's fused CPU paths equal the plain linear + cross-entropy / softmax they replace."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from mcgen.ml import fused as fused_module
from mcgen.ml import heads
from mcgen.ml.config import ModelConfig
from mcgen.ml.fused import head_cross_entropy, head_expected
from mcgen.ml.network import build_model


def _case(rows: int, p3: int = 8, vocab: int = 11, hidden: int = 16, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(rows, hidden, generator=g, dtype=torch.float64)
    w = torch.randn(p3 * vocab, hidden, generator=g, dtype=torch.float64) * 3  # large logits: stability
    b = torch.randn(p3 * vocab, generator=g, dtype=torch.float64)
    target = torch.randint(vocab, (rows, p3), generator=g)
    return h, w, b, target, vocab


@pytest.mark.parametrize("rows", [1, 7, 300])  # one chunk, and several with a ragged last one
def test_fused_cross_entropy_and_its_gradients_equal_the_plain_ones(rows: int, monkeypatch) -> None:
    monkeypatch.setattr(fused_module, "CHUNK_ROWS", 128)
    h, w, b, target, vocab = _case(rows)
    weights = torch.rand(rows, target.shape[1], dtype=torch.float64)  # a general upstream gradient
    leaves = [x.clone().requires_grad_() for x in (h, w, b)]
    fused = head_cross_entropy(*leaves, target, vocab)
    (fused * weights).sum().backward()
    ref_leaves = [x.clone().requires_grad_() for x in (h, w, b)]
    logits = F.linear(ref_leaves[0], ref_leaves[1], ref_leaves[2]).view(-1, vocab)
    plain = F.cross_entropy(logits, target.reshape(-1), reduction="none").view(rows, -1)
    (plain * weights).sum().backward()
    torch.testing.assert_close(fused, plain.detach(), rtol=1e-10, atol=1e-10)
    for got, want in zip(leaves, ref_leaves):
        torch.testing.assert_close(got.grad, want.grad, rtol=1e-10, atol=1e-10)


def test_fused_cross_entropy_refuses_a_second_backward() -> None:
    h, w, b, target, vocab = _case(4)
    loss = head_cross_entropy(h.requires_grad_(), w, b, target, vocab).sum()
    loss.backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="twice"):
        loss.backward()


def test_fused_expected_embedding_equals_softmax_times_table(monkeypatch) -> None:
    monkeypatch.setattr(fused_module, "CHUNK_ROWS", 64)
    h, w, b, _, vocab = _case(150)
    table = torch.randn(vocab, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    got = head_expected(h, w, b, table)
    want = torch.softmax(F.linear(h, w, b).view(150, -1, vocab), -1) @ table  # (R, p^3, d)
    torch.testing.assert_close(got, want.view(150, -1), rtol=1e-10, atol=1e-10)


def test_model_loss_and_estimate_match_the_logits_they_come_from() -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(preset="tiny", depth=1, num_labels=2))
    torch.nn.init.normal_(model.head.linear.weight, std=0.1)  # adaLN-Zero starts at zero logits
    torch.nn.init.normal_(model.blocks[0].ada.weight, std=0.1)
    x = model.to_tokens(torch.randn(2, 16, 16, 16, model.cfg.embed_dim))  # (B, N, p^3 d)
    target = model.to_tokens(torch.randint(model.cfg.vocab_size, (2, 16, 16, 16)))  # (B, N, p^3)
    t, labels = torch.tensor([3, 700]), torch.tensor([0, 2])
    h = model.features(x, t, labels)  # (B, N, H)
    loss = model(x, t, labels, None, target)  # forward: the training loss, (B, N, p^3)
    logits = model.logits(h).view(2, model.cfg.tokens, -1, model.cfg.vocab_size)  # (B, N, p^3, V)
    plain = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none")
    torch.testing.assert_close(loss.reshape(-1), plain, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(model.loss(h, target), loss, rtol=0, atol=0)
    with torch.no_grad():
        est = model.expected(h)  # (B, N, p^3 d)
    want = model.codec.expected(logits).flatten(2)
    torch.testing.assert_close(est, want, rtol=1e-5, atol=1e-5)


def test_checkpoints_without_an_activation_field_keep_the_tanh_gelu() -> None:
    d = ModelConfig(preset="tiny").to_dict()
    assert d["activation"] == "gelu"
    del d["activation"]
    assert ModelConfig.from_dict(d).activation == "gelu_tanh"
    model = build_model(ModelConfig.from_dict(d))
    assert model.blocks[0].mlp[1].approximate == "tanh"


def test_training_loss_and_gradients_are_the_same_on_the_plain_path(monkeypatch) -> None:
    """CUDA and autocast use the plain head: same loss and gradients as the fused one."""
    from mcgen.ml.objectives.gaussian import DiffusionConfig, GaussianDiffusion, training_loss  # noqa: PLC0415

    torch.manual_seed(0)
    model = build_model(ModelConfig(preset="tiny", depth=1, num_labels=2))
    torch.nn.init.normal_(model.head.linear.weight, std=0.1)
    diffusion = GaussianDiffusion(DiffusionConfig())
    blocks = torch.randint(model.cfg.vocab_size, (4, 16, 16, 16), generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([0, 1, 2, 0])

    def loss_and_grads():
        model.zero_grad()
        loss = training_loss(model, diffusion, blocks, labels, generator=torch.Generator().manual_seed(5))
        loss.backward()
        return loss.detach(), [p.grad.clone() for p in model.parameters() if p.grad is not None]

    fused_loss, fused_grads = loss_and_grads()
    monkeypatch.setattr(heads, "fused_ok", lambda h, w: False)
    plain_loss, plain_grads = loss_and_grads()
    torch.testing.assert_close(fused_loss, plain_loss, rtol=1e-5, atol=1e-6)
    assert len(fused_grads) == len(plain_grads)
    for a, b in zip(fused_grads, plain_grads):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
