"""Samplers: agreement with diffusers' DDIMScheduler, spacing, DDPM, guidance, determinism."""

from __future__ import annotations

import pytest
import torch

from mcgen.ml.objectives.gaussian import DiffusionConfig, GaussianDiffusion
from mcgen.errors import ConfigError
from mcgen.ml.config import ModelConfig
from mcgen.ml.network import build_model
from mcgen.ml.denoise import ModelDenoiser
from mcgen.ml.objectives.base import run_sampler
from mcgen.ml.objectives.gaussian_steps import ddim_steps, ddpm_steps, make_timesteps, sample

T = 1000


def fake_denoiser(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """A fixed nonlinear 'x0 prediction' depending on both x_t and t."""
    s = (t.float() / T).view(-1, *([1] * (x_t.dim() - 1)))
    return torch.tanh(0.7 * x_t) * (1.0 - 0.5 * s) + 0.2 * torch.sin(3.0 * x_t) * s


def _scheduler(diffusion: GaussianDiffusion, spacing: str):
    diffusers = pytest.importorskip("diffusers")
    return diffusers.DDIMScheduler(
        num_train_timesteps=T, trained_betas=diffusion.betas.numpy(), clip_sample=False,
        set_alpha_to_one=True, steps_offset=0, prediction_type="sample", timestep_spacing=spacing,
    )


def _ours(diffusion, x_T, ts, eta=0.0, generator=None):
    return [x.clone() for _, x in ddim_steps(fake_denoiser, x_T, diffusion.alpha_bar, ts, eta=eta, generator=generator)]


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
@pytest.mark.parametrize("spacing", ["trailing", "leading"])
@pytest.mark.parametrize("num_steps", [10, 20, 50])
def test_ddim_trajectory_matches_diffusers(schedule: str, spacing: str, num_steps: int) -> None:
    # diffusers' step() takes the previous timestep as t - T // num_steps, i.e. it assumes even
    # spacing. For T = 1000 and 10/20/50 steps both spacings are exactly even, so its previous
    # timestep is the one we visit next (asserted below) and the trajectories must agree.
    torch.set_num_threads(1)
    diffusion = GaussianDiffusion(DiffusionConfig(schedule=schedule))
    sched = _scheduler(diffusion, spacing)
    sched.set_timesteps(num_steps)
    ts = make_timesteps(T, num_steps, spacing)
    assert ts == sched.timesteps.tolist()
    assert all(a - b == T // num_steps for a, b in zip(ts, ts[1:]))
    x_T = torch.randn(2, 3, 4, 4, 4, generator=torch.Generator().manual_seed(0))
    ours = _ours(diffusion, x_T, ts)
    x = x_T.clone()
    for i, t in enumerate(sched.timesteps):
        x = sched.step(fake_denoiser(x, t.view(1).expand(2)), t, x, eta=0.0).prev_sample
        torch.testing.assert_close(ours[i], x, atol=1e-5, rtol=0)


@pytest.mark.parametrize("spacing", ["trailing", "leading"])
def test_stochastic_ddim_matches_diffusers_with_same_noise(spacing: str) -> None:
    diffusion = GaussianDiffusion(DiffusionConfig(schedule="cosine"))
    sched = _scheduler(diffusion, spacing)
    sched.set_timesteps(20)
    x_T = torch.randn(2, 3, 4, 4, 4, generator=torch.Generator().manual_seed(0))
    ours = _ours(diffusion, x_T, make_timesteps(T, 20, spacing), eta=0.5, generator=torch.Generator().manual_seed(7))
    g, x = torch.Generator().manual_seed(7), x_T.clone()
    for i, t in enumerate(sched.timesteps):
        z = torch.randn(x.shape, generator=g)
        x = sched.step(fake_denoiser(x, t.view(1).expand(2)), t, x, eta=0.5, variance_noise=z).prev_sample
        torch.testing.assert_close(ours[i], x, atol=1e-5, rtol=0)


def test_diffusers_even_spacing_quirk_is_why_uneven_counts_are_not_compared() -> None:
    # With 30 trailing steps the real gaps are 33 or 34; diffusers would still step t -> t - 33.
    ts = make_timesteps(T, 30, "trailing")
    gaps = {a - b for a, b in zip(ts, ts[1:])}
    assert gaps == {33, 34}
    assert T // 30 == 33


def test_zero_snr_trailing_starts_from_pure_noise_and_matches_diffusers() -> None:
    diffusion = GaussianDiffusion(DiffusionConfig(schedule="linear", zero_snr=True))
    assert float(diffusion.alpha_bar[-1]) == pytest.approx(0.0, abs=1e-12)
    sched = _scheduler(diffusion, "trailing")
    sched.set_timesteps(10)
    x_T = torch.randn(1, 2, 4, 4, 4, generator=torch.Generator().manual_seed(1))
    ours = _ours(diffusion, x_T, make_timesteps(T, 10, "trailing"))
    x = x_T.clone()
    for i, t in enumerate(sched.timesteps):
        x = sched.step(fake_denoiser(x, t.view(1)), t, x).prev_sample
        torch.testing.assert_close(ours[i], x, atol=1e-5, rtol=0)


@pytest.mark.parametrize("spacing", ["trailing", "leading"])
def test_perfect_denoiser_keeps_ddim_on_the_forward_marginals(spacing: str) -> None:
    # The identity "training and sampling see one alpha_bar": x_T = q_sample(x0, T-1, eps) with an
    # oracle x0 stays exactly on q_sample(x0, t, eps) at every visited t, using the same table.
    diffusion = GaussianDiffusion(DiffusionConfig(schedule="cosine"))
    g = torch.Generator().manual_seed(3)
    x0, eps = torch.randn(2, 3, 4, 4, 4, generator=g), torch.randn(2, 3, 4, 4, 4, generator=g)
    ts = make_timesteps(T, 20, spacing)
    x_T = diffusion.q_sample(x0, torch.full((2,), ts[0]), eps)
    seen = []

    def oracle(x_t, t):
        seen.append((int(t[0]), x_t.clone()))
        return x0

    final = run_sampler(ddim_steps(oracle, x_T, diffusion.alpha_bar, ts))
    for t, x_t in seen:
        torch.testing.assert_close(x_t, diffusion.q_sample(x0, torch.full((2,), t), eps), atol=1e-5, rtol=0)
    torch.testing.assert_close(final, x0, atol=1e-5, rtol=0)


def test_ddpm_equals_ddim_with_eta_one() -> None:
    diffusion = GaussianDiffusion(DiffusionConfig(schedule="linear"))
    x_T = torch.randn(2, 3, 4, 4, 4, generator=torch.Generator().manual_seed(0))
    for n in (10, 1000):
        ts = make_timesteps(T, n, "leading")
        a = run_sampler(ddpm_steps(fake_denoiser, x_T, diffusion.alpha_bar, ts, generator=torch.Generator().manual_seed(5)))
        b = run_sampler(ddim_steps(fake_denoiser, x_T, diffusion.alpha_bar, ts, eta=1.0,
                                   generator=torch.Generator().manual_seed(5)))
        torch.testing.assert_close(a, b, atol=1e-4, rtol=0)


def test_timesteps_spacing_and_validation() -> None:
    assert make_timesteps(T, 4, "leading") == [750, 500, 250, 0]
    assert make_timesteps(T, 4, "trailing") == [999, 749, 499, 249]
    assert make_timesteps(T, 1000, "trailing") == list(range(999, -1, -1))
    for bad in (0, 1001):
        with pytest.raises(ConfigError):
            make_timesteps(T, bad)
    with pytest.raises(ConfigError):
        make_timesteps(T, 10, "sideways")


def _tiny(num_labels: int = 0) -> torch.nn.Module:
    torch.manual_seed(0)
    model = build_model(ModelConfig(preset="tiny", num_labels=num_labels, depth=1))
    with torch.no_grad():  # leave adaLN-Zero init so outputs depend on inputs, labels and t
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model.eval()


def test_sample_returns_block_indices_and_is_seed_deterministic() -> None:
    torch.set_num_threads(1)
    model, diffusion = _tiny(), GaussianDiffusion(DiffusionConfig())
    a = sample(model, diffusion, 2, num_steps=4, generator=torch.Generator().manual_seed(0))
    b = sample(model, diffusion, 2, num_steps=4, generator=torch.Generator().manual_seed(0))
    c = sample(model, diffusion, 2, num_steps=4, generator=torch.Generator().manual_seed(1))
    assert a.dtype == torch.long and a.shape == (2, 16, 16, 16)
    assert int(a.min()) >= 0 and int(a.max()) < model.cfg.vocab_size
    assert torch.equal(a, b) and not torch.equal(a, c)
    d = sample(model, diffusion, 2, sampler="ddpm", num_steps=4, generator=torch.Generator().manual_seed(0))
    assert d.shape == a.shape


@pytest.mark.parametrize("sampler", ["ddim", "ddpm"])
def test_inpainting_holds_known_voxels_and_resampling_reruns_each_step(sampler: str, monkeypatch) -> None:
    torch.set_num_threads(1)
    model, diffusion = _tiny(), GaussianDiffusion(DiffusionConfig())
    known = torch.full((2, 16, 16, 16), -1, dtype=torch.long)
    known[:, :, :4] = 3  # a floor of block 3, held
    known[1, 5, 5, 5] = 1
    calls = []
    real_features = type(model).features

    def counting(self, *args, **kwargs):
        calls.append(1)
        return real_features(self, *args, **kwargs)

    monkeypatch.setattr(type(model), "features", counting)
    for rounds in (0, 2):
        calls.clear()
        out = sample(model, diffusion, 2, sampler=sampler, num_steps=4, known=known, resample=rounds,
                     generator=torch.Generator().manual_seed(0))
        assert torch.equal(out[known >= 0], known[known >= 0])
        assert len(calls) == 4 + 3 * rounds  # every step but the last is taken 1 + rounds times
    again = sample(model, diffusion, 2, sampler=sampler, num_steps=4, known=known, resample=2,
                   generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, again)
    with pytest.raises(ConfigError, match="resample"):
        sample(model, diffusion, 2, num_steps=4, known=known, resample=-1)


def test_final_decode_is_argmax_of_last_logits() -> None:
    model, diffusion = _tiny(), GaussianDiffusion(DiffusionConfig())
    den = ModelDenoiser(model)
    x_T = torch.randn(1, 16, 16, 16, model.cfg.embed_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        run_sampler(ddim_steps(den, x_T, diffusion.alpha_bar, make_timesteps(T, 3)))
        out = sample(model, diffusion, 1, num_steps=3, noise=x_T)
    assert torch.equal(out, den.last_logits.argmax(-1))


def test_guidance_mixes_conditional_and_null_logits() -> None:
    model = _tiny(num_labels=3)
    x = torch.randn(2, 16, 16, 16, model.cfg.embed_dim, generator=torch.Generator().manual_seed(0))
    t = torch.tensor([500, 500])
    labels = torch.tensor([1, 2])
    def grid_logits(lab):  # (B, X, Y, Z, V)
        return model.from_tokens(model.logits(model.features(model.to_tokens(x), t, lab)))

    with torch.no_grad():
        cond = grid_logits(labels)
        null = grid_logits(torch.tensor([3, 3]))
        den = ModelDenoiser(model, labels, guidance=2.5)
        den(x, t)
    assert not torch.allclose(cond, null)
    torch.testing.assert_close(den.last_logits, null + 2.5 * (cond - null), atol=1e-4, rtol=1e-4)


def test_sample_rejects_bad_arguments() -> None:
    model, diffusion = _tiny(), GaussianDiffusion(DiffusionConfig())
    with pytest.raises(ConfigError):
        sample(model, diffusion, 1, sampler="euler")
    with pytest.raises(ConfigError):
        sample(model, diffusion, 2, num_steps=2, labels=torch.tensor([0]))


class _Wrapper(torch.nn.Module):
    """Stands in for torch.compile's OptimizedModule: the real model sits in ``_orig_mod``."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self._orig_mod = model

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)


def test_training_loss_and_sample_accept_a_compiled_style_wrapper() -> None:
    from mcgen.ml.objectives.gaussian import training_loss  # noqa: PLC0415

    model, diffusion = _tiny(num_labels=2), GaussianDiffusion(DiffusionConfig())
    wrapped = _Wrapper(model)
    blocks = torch.randint(0, model.cfg.vocab_size, (2, 16, 16, 16))
    loss = training_loss(wrapped, diffusion, blocks, torch.tensor([0, 2]), generator=torch.Generator().manual_seed(0))
    assert torch.isfinite(loss)
    a = sample(wrapped, diffusion, 2, num_steps=3, labels=torch.tensor([0, 1]), guidance=2.0,
               generator=torch.Generator().manual_seed(0))
    b = sample(model, diffusion, 2, num_steps=3, labels=torch.tensor([0, 1]), guidance=2.0,
               generator=torch.Generator().manual_seed(0))
    assert torch.equal(a, b)


def test_token_layout_chain_gives_the_grid_layout_chain_result() -> None:
    model, diffusion = _tiny(num_labels=2), GaussianDiffusion(DiffusionConfig())
    torch.nn.init.normal_(model.head.linear.weight, std=0.2)  # adaLN-Zero: give the net a say
    torch.nn.init.normal_(model.final_ada.weight, std=0.2)
    noise = torch.randn(2, 16, 16, 16, model.cfg.embed_dim, generator=torch.Generator().manual_seed(3))
    labels = torch.tensor([0, 1])
    got = sample(model, diffusion, 2, num_steps=4, labels=labels, guidance=2.0, noise=noise)
    den = ModelDenoiser(model, labels, guidance=2.0)  # grid layout throughout
    with torch.no_grad():
        run_sampler(ddim_steps(den, noise, diffusion.alpha_bar, make_timesteps(1000, 4)))
    want = den.blocks()
    assert want.shape == (2, 16, 16, 16) and len(torch.unique(want)) > 3
    assert (got == want).float().mean() > 0.999  # equal up to float summation order
