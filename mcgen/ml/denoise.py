"""Denoising wrappers shared by both objectives: classifier-free guidance, self-conditioning, and
the small helpers that reach through ``torch.compile`` / DDP wrappers and draw on a generator.

* :func:`predict` runs the network once (or on a doubled batch, for guidance) and hands back a
  :class:`Prediction`, from which the samplers take logits or the clean-sample estimate;
* :class:`ModelDenoiser` is the Gaussian samplers' ``(x_t, t) -> x0_hat`` with self-conditioning
  (the masked sampler feeds its own estimate, :mod:`mcgen.ml.objectives.masked_steps`);
* holding known voxels is each objective's own business (re-noising for Gaussian, never masking
  for masked): see their ``known`` arguments.
"""

from __future__ import annotations

import contextlib
import math

import torch

from mcgen.ml.heads import Features, expected_from_logits


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The raw module under ``torch.compile`` (``_orig_mod``) / DDP (``module``) wrappers."""
    raw = getattr(model, "_orig_mod", model)
    return getattr(raw, "module", raw)


def rand_on(generator: torch.Generator | None, device: torch.device, fn, *args, **kw) -> torch.Tensor:
    """Draw with ``generator`` on its own device, then move (so a CPU generator works for CUDA)."""
    gdev = generator.device if generator is not None else device
    return fn(*args, generator=generator, device=gdev, **kw).to(device)


def self_cond_rows(batch: int, prob: float, generator: torch.Generator | None, device: torch.device) -> int:
    """How many rows of a batch (the first ``k``; rows are already in random order) get a
    self-conditioning estimate: ``batch * prob``, rounded up or down at random when fractional.

    A count instead of a per-row coin keeps the extra no-gradient forward to those ``k`` rows and
    needs no device-to-host sync to decide whether to run it (except for an odd count on CUDA).
    """
    k = batch * prob
    frac = k - math.floor(k)
    if frac > 1e-9:
        k += float(rand_on(generator, device, torch.rand, ()))  # exact rounding in expectation
    return min(batch, int(math.floor(k)))


class Prediction:
    """The network's answer at one sampler step, for either kind of head.

    A head that mixes linearly keeps the (guided) token features and computes logits or the
    estimate from them on demand (on CPU the estimate without storing the logits); any other head
    keeps the guided logits themselves.
    """

    def __init__(self, raw: torch.nn.Module, features: Features | None = None,
                 logits: torch.Tensor | None = None) -> None:
        self.raw, self.features, self._logits = raw, features, logits

    def logits(self) -> torch.Tensor:
        """(B, N, p^3 V) float32."""
        if self._logits is None:
            return self.raw.logits(self.features).float()
        return self._logits

    def expected(self) -> torch.Tensor:
        """(B, N, p^3 d) clean-sample estimate ``softmax(logits) @ E``."""
        if self._logits is None:
            return self.raw.expected(self.features)
        return expected_from_logits(self._logits, self.raw.codec.embedding(), self.raw.cfg.vocab_size)


def _float(f: Features) -> Features:
    return Features(f.tokens.float(), f.cond.float(), f.voxels.float())


def predict(model: torch.nn.Module, x_tok: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None,
            self_cond: torch.Tensor | None, guidance: float = 1.0, autocast: bool = False) -> Prediction:
    """One network evaluation with classifier-free guidance, as a :class:`Prediction`.

    With labels and ``guidance != 1`` the conditional and null-label halves run as one doubled
    batch and are mixed ``uncond + guidance * (cond - uncond)``: for a head that mixes linearly
    on the token features (H channels per token instead of p^3 V), otherwise on the logits. Both
    objectives' samplers call this; ``x_tok`` is in token layout (continuous, or block states for
    a masked model). The head runs in float32 (outside autocast).
    """
    raw = unwrap(model)
    ctx = torch.autocast(x_tok.device.type, dtype=torch.bfloat16) if autocast else contextlib.nullcontext()
    guided = labels is not None and guidance != 1.0 and raw.cfg.num_labels > 0
    with ctx:
        if not guided:
            f = raw.features(x_tok, t, labels, self_cond)
        else:
            null = torch.full_like(labels, raw.cfg.num_labels)
            f = raw.features(torch.cat([x_tok, x_tok]), torch.cat([t, t]), torch.cat([labels, null]),
                             None if self_cond is None else torch.cat([self_cond, self_cond]))
    f = _float(f)
    if not guided:
        return Prediction(raw, features=f)
    if raw.head.mixes_linearly:
        cond, uncond = f.tokens.chunk(2)  # (B, N, H) each
        b = cond.shape[0]
        return Prediction(raw, features=Features(torch.lerp(uncond, cond, guidance), f.cond[:b], f.voxels[:b]))
    cond, uncond = raw.logits(f).float().chunk(2)  # (B, N, p^3 V) each
    return Prediction(raw, logits=torch.lerp(uncond, cond, guidance))


class ModelDenoiser:
    """Wraps the DiT as a ``(x_t, t) -> x0_hat`` denoiser with self-conditioning and CFG.

    Guidance (:func:`predict`) mixes the logits, ``uncond + guidance * (cond - uncond)`` (for the
    linear head on its input features, and on CPU the estimate ``softmax @ E`` is then computed
    without storing the logits). ``last_logits`` gives the final step's logits (argmax).

    Args:
        model: a :class:`mcgen.ml.network.DiT3D` (eval mode is the caller's choice).
        labels: (B,) label indices or ``None`` (null label / unconditional).
        guidance: classifier-free guidance scale; 1 = plain conditional.
        autocast: run the network under bf16 autocast (CUDA); the output layer runs in float32.
        tokens: ``x_t`` and everything returned are in the model's token layout (B, N, p^3 d)
            (:meth:`mcgen.ml.network.DiT3D.to_tokens`), which saves reordering copies every step.
    """

    def __init__(self, model: torch.nn.Module, labels: torch.Tensor | None = None,
                 guidance: float = 1.0, autocast: bool = False, tokens: bool = False) -> None:
        self.model, self.labels = model, labels
        self.guidance, self.autocast, self.tokens = float(guidance), autocast, tokens
        self.raw = unwrap(model)
        self.codec, self.cfg = self.raw.codec, self.raw.cfg
        self.prev: torch.Tensor | None = None
        self._last: Prediction | None = None  # the last step's
        self._guided = labels is not None and self.guidance != 1.0 and self.cfg.num_labels > 0

    def __call__(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        x_tok = x_t if self.tokens else self.raw.to_tokens(x_t)
        sc = self.prev if self.cfg.self_condition else None
        if sc is not None and not self.tokens:
            sc = self.raw.to_tokens(sc)
        self._last = predict(self.model, x_tok, t, self.labels, sc, self.guidance if self._guided else 1.0,
                             self.autocast)
        est = self._last.expected()  # (B, N, p^3 d)
        self.prev = est if self.tokens else self.raw.from_tokens(est)
        return self.prev

    @property
    def last_logits(self) -> torch.Tensor | None:
        """The last step's logits, in this denoiser's layout ((B, N, p^3 V) or (B, X, Y, Z, V))."""
        if self._last is None:
            return None
        logits = self._last.logits()  # (B, N, p^3 V)
        return logits if self.tokens else self.raw.from_tokens(logits)

    def blocks(self) -> torch.Tensor:
        """Argmax of the last logits as block indices (B, X, Y, Z), in grid layout."""
        logits = self._last.logits()  # (B, N, p^3 V)
        b, n = logits.shape[:2]
        idx = logits.view(b, n, -1, self.cfg.vocab_size).argmax(dim=-1)  # (B, N, p^3)
        return self.raw.from_tokens(idx).squeeze(-1)
