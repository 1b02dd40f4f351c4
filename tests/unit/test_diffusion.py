"""The one noise schedule and the training loss."""

from __future__ import annotations

import math

import pytest
import torch

from mcgen.ml.denoise import self_cond_rows
from mcgen.ml.objectives.gaussian import DiffusionConfig, GaussianDiffusion, training_loss
from mcgen.errors import ConfigError
from mcgen.ml.config import ModelConfig
from mcgen.ml.network import DiT3D, build_model
from mcgen.ml.objectives.base import run_sampler
from mcgen.ml.objectives.gaussian_steps import ddim_steps, make_timesteps


def _diffusers():
    return pytest.importorskip("diffusers")


@pytest.mark.parametrize("schedule, name", [("linear", "linear"), ("cosine", "squaredcos_cap_v2")])
@pytest.mark.parametrize("zero_snr", [False, True])
def test_schedule_matches_diffusers(schedule: str, name: str, zero_snr: bool) -> None:
    ref = _diffusers().DDIMScheduler(num_train_timesteps=1000, beta_schedule=name, rescale_betas_zero_snr=zero_snr)
    ours = GaussianDiffusion(DiffusionConfig(schedule=schedule, zero_snr=zero_snr))
    torch.testing.assert_close(ours.alpha_bar.float(), ref.alphas_cumprod, atol=2e-6, rtol=0)


def test_zero_snr_ends_in_pure_noise_and_keeps_the_start() -> None:
    plain = GaussianDiffusion(DiffusionConfig(schedule="cosine"))
    zsnr = GaussianDiffusion(DiffusionConfig(schedule="cosine", zero_snr=True))
    assert float(zsnr.alpha_bar[-1]) == pytest.approx(0.0, abs=1e-12)
    assert float(zsnr.alpha_bar[0]) == pytest.approx(float(plain.alpha_bar[0]), rel=1e-9)
    assert bool((zsnr.alpha_bar[1:] <= zsnr.alpha_bar[:-1]).all())


def test_logsnr_shift_moves_every_step_by_the_same_amount() -> None:
    base = GaussianDiffusion(DiffusionConfig(schedule="cosine"))
    shifted = GaussianDiffusion(DiffusionConfig(schedule="cosine", logsnr_shift=2 * math.log(0.5)))
    diff = torch.logit(shifted.alpha_bar[:990]) - torch.logit(base.alpha_bar[:990])
    torch.testing.assert_close(diff, torch.full_like(diff, 2 * math.log(0.5)), atol=1e-6, rtol=0)


class _Probe(DiT3D):
    """A one-block DiT that records what training feeds it (in grid layout) and returns zeros."""

    def __init__(self, self_condition: bool) -> None:
        super().__init__(ModelConfig(preset="tiny", depth=1, self_condition=self_condition))
        self.calls: list[dict] = []

    def features(self, x_tok, t, labels=None, self_cond=None):  # training works in token layout
        sc = None if self_cond is None else self.from_tokens(self_cond)
        self.calls.append({"x_t": self.from_tokens(x_tok), "t": t.clone(), "self_cond": sc, "expected": False})
        return torch.zeros(*x_tok.shape[:2], self.cfg.hidden_size)

    def expected(self, h):
        self.calls[-1]["expected"] = True
        return torch.zeros(*h.shape[:2], self.cfg.patch_size**3 * self.cfg.embed_dim)

    def loss(self, h, target):
        return torch.zeros(target.shape) + self.head.linear.bias.sum()


def test_training_and_sampling_read_the_same_alpha_bar_table() -> None:
    diffusion = GaussianDiffusion(DiffusionConfig(schedule="cosine"))
    probe = _Probe(self_condition=False)
    blocks = torch.randint(0, 55, (3, 16, 16, 16), generator=torch.Generator().manual_seed(0))
    training_loss(probe, diffusion, blocks, generator=torch.Generator().manual_seed(9))
    x_t, t = probe.calls[0]["x_t"], probe.calls[0]["t"]
    # replay the loss's draws: t, then eps (drawn in token layout), from the same generator
    g = torch.Generator().manual_seed(9)
    assert torch.equal(t, torch.randint(0, 1000, (3,), generator=g))
    x0 = probe.codec.encode(blocks)  # (B, X, Y, Z, d)
    eps = probe.from_tokens(torch.randn(probe.to_tokens(x0).shape, generator=g))
    ab = diffusion.alpha_bar[t].float().view(-1, 1, 1, 1, 1)
    torch.testing.assert_close(x_t, ab.sqrt() * x0 + (1 - ab).sqrt() * eps, atol=1e-5, rtol=0)
    # the sampler, given a perfect denoiser, visits exactly the training marginals of that table
    ts = make_timesteps(1000, 10)
    start = diffusion.q_sample(x0, torch.full((3,), ts[0]), eps)
    seen = []
    run_sampler(ddim_steps(lambda x, tt: seen.append((int(tt[0]), x)) or x0, start, diffusion.alpha_bar, ts))
    for step_t, x in seen:
        ab = float(diffusion.alpha_bar[step_t])
        torch.testing.assert_close(x, math.sqrt(ab) * x0 + math.sqrt(1 - ab) * eps, atol=1e-5, rtol=0)


def test_self_conditioning_runs_an_extra_pass_on_its_share_of_the_batch_only() -> None:
    diffusion = GaussianDiffusion(DiffusionConfig(self_cond_prob=0.5))
    probe = _Probe(self_condition=True)
    blocks = torch.zeros(8, 16, 16, 16, dtype=torch.long)
    training_loss(probe, diffusion, blocks, generator=torch.Generator().manual_seed(0))
    first, second = probe.calls
    assert first["expected"] and first["x_t"].shape[0] == 4  # the estimate runs on 4 of 8 rows only
    torch.testing.assert_close(first["x_t"], second["x_t"][:4])
    assert second["self_cond"].shape == second["x_t"].shape
    never = GaussianDiffusion(DiffusionConfig(self_cond_prob=0.0))
    probe.calls.clear()
    training_loss(probe, never, blocks, generator=torch.Generator().manual_seed(0))
    assert len(probe.calls) == 1 and torch.count_nonzero(probe.calls[0]["self_cond"]) == 0


def test_self_conditioning_count_rounds_at_random_to_the_right_share() -> None:
    counts = [self_cond_rows(3, 0.5, torch.Generator().manual_seed(s), torch.device("cpu")) for s in range(400)]
    assert set(counts) == {1, 2}
    assert sum(counts) / len(counts) == pytest.approx(1.5, abs=0.1)
    assert self_cond_rows(8, 0.5, None, torch.device("cpu")) == 4
    assert self_cond_rows(5, 1.0, None, torch.device("cpu")) == 5


def test_training_loss_is_a_differentiable_scalar_near_log_vocab_at_init() -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(preset="tiny", num_labels=2, depth=1))
    diffusion = GaussianDiffusion(DiffusionConfig())
    blocks = torch.randint(0, 55, (2, 16, 16, 16))
    loss = training_loss(model, diffusion, blocks, torch.tensor([0, 2]), generator=torch.Generator().manual_seed(0))
    assert loss.dim() == 0 and torch.isfinite(loss)
    assert loss.item() == pytest.approx(math.log(55), rel=1e-4)  # adaLN-Zero: uniform logits, CE log V
    loss.backward()
    assert model.head.linear.weight.grad.abs().sum() > 0


def test_config_round_trip_and_validation() -> None:
    cfg = DiffusionConfig(schedule="linear", zero_snr=True, logsnr_shift=-1.0)
    assert DiffusionConfig.from_dict(cfg.to_dict()) == cfg
    for bad in ({"schedule": "sqrt"}, {"timesteps": 1}, {"beta_start": 0.1, "beta_end": 0.01},
                {"self_cond_prob": 1.5}):
        with pytest.raises(ConfigError):
            DiffusionConfig(**bad)
    with pytest.raises(ConfigError):
        DiffusionConfig.from_dict({"schedule": "cosine", "T": 10})


def test_removed_ablation_switches_load_when_off_and_are_refused_when_on() -> None:
    old = {**DiffusionConfig().to_dict(), "likelihood_logits": False, "mse_weight": 0.0}  # format 1-2
    assert DiffusionConfig.from_dict(old) == DiffusionConfig()
    with pytest.raises(ConfigError, match="trained with likelihood_logits"):
        DiffusionConfig.from_dict({**old, "likelihood_logits": True})
    with pytest.raises(ConfigError, match="trained with mse_weight"):
        DiffusionConfig.from_dict({**old, "mse_weight": 0.5})
