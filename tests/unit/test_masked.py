"""The masked objective: schedule, loss, unmasking samplers, held voxels, the objective seam."""

from __future__ import annotations

import math

import pytest
import torch

from mcgen.ml.objectives.gaussian import DiffusionConfig
from mcgen.errors import ConfigError
from mcgen.ml.objectives.masked import MaskedConfig, MaskedObjective, elbo_weight
from mcgen.ml.objectives.masked_steps import candidates, choose_reveals, mask_rate
from mcgen.ml.config import ModelConfig
from mcgen.ml.network import build_model
from mcgen.ml.objectives import make_objective, objective_config
from mcgen.ml.objectives.gaussian import GaussianObjective

V = 8


def _model(mask_token: bool = True, labels: int = 2, seed: int = 0, patch: int = 4) -> torch.nn.Module:
    torch.manual_seed(seed)
    cfg = ModelConfig(preset="tiny", vocab_size=V, num_labels=labels, depth=1, hidden_size=32, num_heads=2,
                      patch_size=patch, mask_token=mask_token)
    model = build_model(cfg)
    with torch.no_grad():  # off adaLN-Zero's start, so outputs depend on the input
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model.eval()


@pytest.mark.parametrize("schedule", ["cosine", "linear"])
def test_schedule_runs_from_nothing_to_everything_masked(schedule: str) -> None:
    t = torch.linspace(0, 1, 101)
    m = mask_rate(schedule, t)
    assert m[0] == 0 and abs(float(m[-1]) - 1) < 1e-6
    assert bool((m[1:] > m[:-1]).all())
    # the weight m'/m matches a finite difference and explodes near 0
    tt = torch.tensor([0.3, 0.7], dtype=torch.float64)
    h = 1e-6
    fd = (mask_rate(schedule, tt + h) - mask_rate(schedule, tt - h)) / (2 * h) / mask_rate(schedule, tt)
    torch.testing.assert_close(elbo_weight(schedule, tt), fd, rtol=1e-5, atol=0)
    assert float(elbo_weight(schedule, torch.tensor(1e-4))) > 1000


@pytest.mark.parametrize("weighting", ["flat", "bounded", "elbo"])
def test_loss_is_finite_and_trains_the_mask_embedding(weighting: str) -> None:
    model = _model()
    model.train()
    obj = MaskedObjective(MaskedConfig(weighting=weighting))
    blocks = torch.randint(0, V, (4, 16, 16, 16))
    loss = obj.loss(model, blocks, torch.tensor([0, 1, 2, 0]), generator=torch.Generator().manual_seed(0))
    assert loss.ndim == 0 and math.isfinite(loss.item()) and loss.item() > 0
    loss.backward()
    grad = model.state_embed.weight.grad
    assert grad is not None and float(grad[V].abs().sum()) > 0  # the [MASK] row is used and trained


def test_loss_is_zero_where_nothing_is_masked_and_counts_only_masked_voxels() -> None:
    """At the smallest t almost nothing is masked; the flat loss is the mean over masked voxels,
    so it is the same size at every t for a model that knows nothing (uniform logits: log V)."""
    model = _model()
    with torch.no_grad():  # a model whose logits are all zero: cross-entropy log V on every voxel
        model.head.linear.weight.zero_()
        model.head.linear.bias.zero_()
    obj = MaskedObjective(MaskedConfig(weighting="flat", self_cond_prob=0.0))
    blocks = torch.randint(0, V, (8, 16, 16, 16))
    loss = obj.loss(model, blocks, None, generator=torch.Generator().manual_seed(1))
    assert loss.item() == pytest.approx(math.log(V), rel=1e-5)


def test_candidates_decide_occupancy_before_material() -> None:
    """A voxel that is 40% air and 60% spread over six solid blocks (10% each): the most likely
    single block is air, but occupancy-first makes it solid 60% of the time at temperature 1 and
    always at temperature 0 (the occupancy odds are sharpened, not the joint)."""
    probs = torch.tensor([0.4] + [0.1] * 6 + [0.0]).view(1, 1, 1, V).expand(1, 1, 4000, V)
    g = torch.Generator().manual_seed(0)

    def draw(temperature: float):
        return candidates(probs, torch.rand(1, 1, 4000, generator=g), torch.rand(1, 1, 4000, generator=g),
                           temperature)

    cand, conf = draw(1.0)
    assert 0.56 < (cand > 0).float().mean().item() < 0.64
    assert set(cand[cand > 0].unique().tolist()) == {1, 2, 3, 4, 5, 6}  # never the zero-probability block 7
    assert torch.allclose(conf[cand > 0], torch.tensor(0.6)) and torch.allclose(conf[cand == 0], torch.tensor(0.4))
    cand0, _ = draw(0.0)
    assert cand0.unique().tolist() == [1]  # solid (0.6 > 0.5), the first of the equally likely blocks
    cand_half, _ = draw(0.5)  # odds 0.6:0.4 sharpened to 0.36:0.16 -> solid 69%
    assert 0.66 < (cand_half > 0).float().mean().item() < 0.73


def test_choose_reveals_exactly_enough_and_only_masked_voxels() -> None:
    g = torch.Generator().manual_seed(0)
    masked = torch.rand(3, 4, 8, generator=g) < 0.7
    left = torch.tensor([0, 5, 10])
    for sampler in ("random", "confidence"):
        reveal = choose_reveals(masked, left, torch.rand(3, 4, 8, generator=g), torch.rand(3, 4, 8, generator=g), sampler, 0.5)
        assert not bool((reveal & ~masked).any())
        still = (masked & ~reveal).flatten(1).sum(1)
        assert still.tolist() == [0, min(5, int(masked[1].sum())), min(10, int(masked[2].sum()))]


def test_confidence_reveals_the_surest_first_without_noise() -> None:
    masked = torch.ones(1, 1, 6, dtype=torch.bool)
    conf = torch.tensor([0.5, 0.9, 0.6, 0.99, 0.7, 0.8]).view(1, 1, 6)
    reveal = choose_reveals(masked, torch.tensor([4]), torch.full((1, 1, 6), 0.5), conf, "confidence", 0.0)
    assert reveal.view(-1).tolist() == [False, True, False, True, False, False]  # 0.99 and 0.9


@pytest.mark.parametrize("sampler", ["confidence", "random"])
def test_sampling_is_deterministic_per_seed_and_unmasks_everything(sampler: str) -> None:
    torch.set_num_threads(1)
    model, obj = _model(), MaskedObjective()
    labels = torch.tensor([0, 1, 2])
    a = obj.sample(model, 3, sampler=sampler, num_steps=6, seed=4, labels=labels, guidance=2.0)
    b = obj.sample(model, 3, sampler=sampler, num_steps=6, seed=4, labels=labels, guidance=2.0)
    c = obj.sample(model, 3, sampler=sampler, num_steps=6, seed=5, labels=labels, guidance=2.0)
    assert a.shape == (3, 16, 16, 16) and a.dtype == torch.long
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert int(a.max()) < V and int(a.min()) >= 0  # no [MASK] left after the last step
    one = obj.sample(model, 1, sampler=sampler, num_steps=1, seed=4)
    assert int(one.max()) < V


def test_known_voxels_are_held_and_seen_from_the_first_step() -> None:
    torch.set_num_threads(1)
    model, obj = _model(labels=0), MaskedObjective()
    known = torch.full((2, 16, 16, 16), -1, dtype=torch.long)
    known[:, :, :4] = torch.randint(0, V, (2, 16, 4, 16), generator=torch.Generator().manual_seed(3))
    seen = []
    orig = model.features

    def spy(x, t, *args, **kw):
        seen.append(x.clone())
        return orig(x, t, *args, **kw)

    model.features = spy
    out = obj.sample(model, 2, sampler="confidence", num_steps=5, seed=0, known=known)
    held = known >= 0
    assert torch.equal(out[held], known[held])  # bit-identical
    first = model.from_tokens(seen[0]).squeeze(-1)  # the first step's input states
    assert torch.equal(first[held], known[held]) and bool((first[~held] == V).all())
    with pytest.raises(ConfigError, match="known must have shape"):
        obj.sample(model, 1, sampler="random", num_steps=2, seed=0, known=known)


def test_gaussian_replacement_inpainting_holds_known_voxels() -> None:
    torch.set_num_threads(1)
    model = _model(mask_token=False, labels=0)
    known = torch.full((2, 16, 16, 16), -1, dtype=torch.long)
    known[:, 3:9, 0:2, 3:9] = 5
    out = GaussianObjective().sample(model, 2, sampler="ddim", num_steps=4, seed=0, known=known)
    assert bool((out[known >= 0] == 5).all())


def test_samplers_belong_to_their_objective() -> None:
    masked, gauss = _model(), _model(mask_token=False)
    with pytest.raises(ConfigError, match="choose one of confidence, random"):
        MaskedObjective().sample(masked, 1, sampler="ddim", num_steps=2, seed=0)
    with pytest.raises(ConfigError, match="choose one of ddim, ddpm"):
        GaussianObjective().sample(gauss, 1, sampler="confidence", num_steps=2, seed=0)
    with pytest.raises(ConfigError, match="Gaussian objective"):
        MaskedObjective().sample(gauss, 1, sampler="random", num_steps=2, seed=0)
    with pytest.raises(ConfigError, match="temperature"):
        GaussianObjective().sample(gauss, 1, sampler="ddim", num_steps=2, seed=0, temperature=0.5)


def test_objective_configs_round_trip_and_pick_their_objective() -> None:
    m = objective_config("masked", {"schedule": "linear", "weighting": "bounded"})
    assert isinstance(m, MaskedConfig) and MaskedConfig.from_dict(m.to_dict()) == m
    assert make_objective(m).kind == "masked" and make_objective(DiffusionConfig()).kind == "gaussian"
    assert make_objective(m).model_options() == {"mask_token": True}
    with pytest.raises(ConfigError, match="unknown objective"):
        objective_config("flow", {})
    with pytest.raises(ConfigError, match="unknown mask schedule"):
        MaskedConfig(schedule="square")
    with pytest.raises(ConfigError, match="unknown masked objective config keys"):
        objective_config("masked", {"timesteps": 10})


def test_patch_2_and_4_models_take_states_in_token_layout() -> None:
    for patch in (2, 4):
        model = _model(patch=patch)
        states = torch.randint(0, V + 1, (2, 16, 16, 16))
        tok = model.to_tokens(states)  # (B, N, p^3)
        assert tok.shape == (2, (16 // patch) ** 3, patch**3)
        assert torch.equal(model.from_tokens(tok).squeeze(-1), states)
        with torch.no_grad():
            logits = model.logits(model.features(tok, torch.tensor([500.0, 10.0])))  # (B, N, p^3 V)
        assert model.from_tokens(logits).shape == (2, 16, 16, 16, V)


def test_structured_regions_are_boxes_tops_and_halves() -> None:
    from mcgen.ml.objectives.masked import structured_regions

    reg = structured_regions(300, 16, torch.Generator().manual_seed(0), torch.device("cpu"))
    assert reg.shape == (300, 16, 16, 16) and reg.dtype == torch.bool
    share = reg.flatten(1).float().mean(1)
    assert bool((share > 0).all()) and bool((share < 1).all())  # never empty, never the whole grid
    def is_top(r: torch.Tensor) -> bool:  # whole layers from some height up
        layers, full = r.any(dim=(0, 2)), r.all(dim=(0, 2))
        return bool((layers == full).all()) and bool((layers.int().diff() >= 0).all())

    halves = int((share == 0.5).sum())
    tops = sum(is_top(r) for r in reg)
    assert 60 < halves < 140 and 60 < tops < 140  # a third each (boxes are the rest)


def test_structured_masking_leaves_the_context_revealed() -> None:
    """With structured_prob 1 every training row masks only inside its region: the [MASK] inputs
    the network sees lie in a box, a top or a half, never scattered over the whole grid."""
    model = _model()
    seen = []
    orig = model.forward

    def spy(x, t, *a, **kw):
        if not torch.is_floating_point(x):
            seen.append(x.clone())
        return orig(x, t, *a, **kw)

    model.forward = spy
    obj = MaskedObjective(MaskedConfig(structured_prob=1.0, self_cond_prob=0.0))
    blocks = torch.randint(0, V, (6, 16, 16, 16))
    loss = obj.loss(model, blocks, None, generator=torch.Generator().manual_seed(2))
    assert math.isfinite(loss.item())
    masked = model.from_tokens(seen[-1]).squeeze(-1) == V  # (6, X, Y, Z)
    plain = MaskedObjective(MaskedConfig(self_cond_prob=0.0))
    plain.loss(model, blocks, None, generator=torch.Generator().manual_seed(2))
    scattered = model.from_tokens(seen[-1]).squeeze(-1) == V
    # the structured rows leave far more of the grid revealed than plain masking at the same t
    assert masked.float().mean() < scattered.float().mean()
    assert MaskedConfig.from_dict(MaskedConfig(structured_prob=0.3).to_dict()).structured_prob == 0.3
    with pytest.raises(ConfigError, match="structured_prob"):
        MaskedConfig(structured_prob=1.5)


def test_remask_sampler_re_decides_generated_voxels_and_keeps_the_given_ones() -> None:
    """``remask``: every step's states are valid, some generated solid voxels go back under the
    mask before the end, nothing held is ever masked, and the last step leaves no mask."""
    from mcgen.ml.objectives.masked_steps import start_states, unmask_steps

    torch.set_num_threads(1)
    model, obj = _model(labels=0), MaskedObjective()
    with torch.no_grad():
        model.head.linear.bias.view(-1, V)[:, 0] -= 1.0  # plenty of solid candidates
    known = torch.full((2, 16, 16, 16), -1, dtype=torch.long)
    known[:, :, :2] = 5
    states = start_states(model, 2, known, torch.device("cpu"))
    held = states != V
    prev, remasked = states, 0
    for i, s in unmask_steps(model, states, schedule="cosine", sampler="remask", num_steps=6, seed=3, labels=None,
                             guidance=1.0, temperature=1.0):
        assert torch.equal(s[held], states[held])
        remasked += int(((prev != V) & (s == V)).sum())
        prev = s
    assert remasked > 0 and bool((prev != V).all())
    a = obj.sample(model, 2, sampler="remask", num_steps=6, seed=3, known=known)
    b = obj.sample(model, 2, sampler="remask", num_steps=6, seed=3, known=known)
    assert torch.equal(a, b) and bool((a[:, :, :2] == 5).all())
