"""The linear output head fused with what consumes its per-voxel block logits (CPU, float32).

The head maps every token's features ``h`` (R, H) to ``p^3 * V`` logits (p^3 voxels, V blocks).
For ``tiny`` that logits tensor is 27 times larger than the features and most of a CPU training
step went on passes over it: unpatchify copies, log-softmax, its backward, the self-conditioning
softmax. The two consumers here work on row chunks and stay in token order, so the logits are
written once and read once:

* :func:`head_cross_entropy` (autograd): per-voxel cross-entropy. The forward keeps
  ``exp(y - max)`` and the per-voxel sums, so the backward is ``softmax - onehot`` in place
  followed by the two matmuls of the linear layer; no logits are recomputed, so nothing is
  counted twice by a FLOP counter.
* :func:`head_expected` (no gradient): ``softmax(logits) @ E``, the clean-sample estimate.

Both equal the plain ``F.linear`` + ``F.cross_entropy`` / ``softmax @ E`` to float rounding
(``tests/unit/test_fused_head.py``). They are used on CPU in float32; CUDA (autocast) keeps the
plain path, where the passes are cheap and cuBLAS handles the whole batch at once.
"""

from __future__ import annotations

import torch

CHUNK_ROWS = 256  # tokens per chunk: tiny's logits chunk is 3.6 MB, within this CPU's L2 + L3


def fused_ok(h: torch.Tensor, weight: torch.Tensor) -> bool:
    """Whether the fused path applies: CPU tensors in float32, no autocast, not being compiled
    (``torch.compile`` fuses the plain path itself)."""
    return (h.device.type == "cpu" and h.dtype == torch.float32 and weight.dtype == torch.float32
            and not torch.is_autocast_enabled("cpu") and not torch.compiler.is_compiling())


def _chunks(rows: int):
    for r0 in range(0, rows, CHUNK_ROWS):
        yield r0, min(rows, r0 + CHUNK_ROWS)


class _HeadCrossEntropy(torch.autograd.Function):
    """``(h, W, b, target) -> per-voxel cross-entropy`` of ``logits = h W^T + b``."""

    @staticmethod
    def forward(ctx, h, weight, bias, target, vocab):  # noqa: D102  (see head_cross_entropy)
        rows, p3 = target.shape
        e = h.new_empty(rows, weight.shape[0])  # (R, p^3 V): exp(logit - max) per voxel
        sums = h.new_empty(rows, p3)  # (R, p^3): sum of e per voxel
        loss = h.new_empty(rows, p3)
        wt = weight.t()
        for r0, r1 in _chunks(rows):
            y = torch.addmm(bias, h[r0:r1], wt, out=e[r0:r1])  # (r, p^3 V)
            yv = y.view(-1, vocab)  # (r p^3, V)
            picked = yv.gather(1, target[r0:r1].reshape(-1, 1)).squeeze(1)  # (r p^3,)
            m = yv.amax(1, keepdim=True)  # (r p^3, 1)
            yv.sub_(m).exp_()
            s = yv.sum(1)  # (r p^3,)
            sums[r0:r1] = s.view(-1, p3)
            loss[r0:r1] = (s.log_().add_(m.squeeze(1)).sub_(picked)).view(-1, p3)  # log-sum-exp - y[target]
        ctx.save_for_backward(h, weight, target, e, sums)
        ctx.vocab, ctx.spent = vocab, False
        return loss

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        if ctx.spent:  # the saved exponentials were turned into gradients in place
            raise RuntimeError("head_cross_entropy cannot run backward twice")
        ctx.spent = True
        h, weight, target, e, sums = ctx.saved_tensors
        vocab = ctx.vocab
        need_h, need_w, need_b = ctx.needs_input_grad[:3]
        dh = torch.empty_like(h) if need_h else None
        dw = torch.zeros_like(weight) if need_w else None
        db = weight.new_zeros(weight.shape[0]) if need_b else None
        grad = grad.contiguous()  # (R, p^3)
        scale = grad / sums  # d loss / d e, per voxel
        for r0, r1 in _chunks(h.shape[0]):
            y = e[r0:r1]  # (r, p^3 V)
            yv = y.view(-1, vocab)
            yv.mul_(scale[r0:r1].reshape(-1, 1))  # softmax * grad
            yv.scatter_add_(1, target[r0:r1].reshape(-1, 1), grad[r0:r1].reshape(-1, 1).neg())  # - onehot * grad
            if dh is not None:
                torch.mm(y, weight, out=dh[r0:r1])
            if dw is not None:
                dw.addmm_(y.t(), h[r0:r1])
            if db is not None:
                db.add_(y.sum(0))
        return dh, dw, db, None, None


def head_cross_entropy(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, target: torch.Tensor,
                       vocab: int) -> torch.Tensor:
    """Per-voxel cross-entropy of the logits ``h @ weight.T + bias`` against ``target``.

    Args:
        h: (R, H) token features, float32 on CPU.
        weight: (p^3 V, H) output layer weight; bias (p^3 V,).
        target: (R, p^3) long block indices, voxel order as the logits' (p^3 groups of V).
        vocab: ``V``.

    Returns:
        (R, p^3) losses (differentiable in ``h``, ``weight`` and ``bias``).
    """
    return _HeadCrossEntropy.apply(h.contiguous(), weight, bias, target.contiguous(), vocab)


@torch.no_grad()
def head_expected(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """``softmax(h @ weight.T + bias) @ table`` per voxel, without keeping the logits.

    Args:
        h: (R, H) token features; weight (p^3 V, H); bias (p^3 V,).
        table: (V, d) block embedding.

    Returns:
        (R, p^3 d) expected embeddings, float32.
    """
    vocab, d = table.shape
    rows, p3 = h.shape[0], weight.shape[0] // vocab
    out = h.new_empty(rows, p3 * d)
    buf = h.new_empty(min(rows, CHUNK_ROWS), weight.shape[0])
    wt, table = weight.t(), table.to(h.dtype)
    for r0, r1 in _chunks(rows):
        y = torch.addmm(bias, h[r0:r1], wt, out=buf[: r1 - r0])  # (r, p^3 V)
        yv = y.view(-1, vocab)  # (r p^3, V)
        yv.sub_(yv.amax(1, keepdim=True)).exp_()
        o = out[r0:r1].view(-1, d)  # (r p^3, d)
        torch.mm(yv, table, out=o)
        o.div_(yv.sum(1, keepdim=True))
    return out
