"""mcgen.ml.transfer: a trained model's weights in a model over a larger vocabulary and label set.

The property that matters: before any step, the new model's logits for the old block states, on
inputs made of old states, are the old model's, for every head, objective and encoding."""

from __future__ import annotations

import pytest
import torch

from mcgen.errors import CheckpointError
from mcgen.ml.config import ModelConfig
from mcgen.ml.network import build_model
from mcgen.ml.transfer import map_rows, merge_names, row_sources, transfer_config, transfer_state

OLD_V, NEW_V, OLD_L, NEW_L = 6, 8, 2, 3  # 6 states: 3 analog bits, room for 8


pytestmark = pytest.mark.usefixtures("one_thread")


def _trained(mask_token: bool, head: str = "linear", encoding: str = "bits", num_labels: int = OLD_L):
    """A small model with every weight moved off its initial value (as if trained)."""
    torch.manual_seed(1)
    cfg = ModelConfig(preset="tiny", hidden_size=32, depth=1, num_heads=2, vocab_size=OLD_V, num_labels=num_labels,
                      mask_token=mask_token, head=head, encoding=encoding, head_width=4, head_blocks=1)
    model = build_model(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model


def _fine_tune_start(old, num_labels: int = NEW_L):
    new_cfg = transfer_config(old.cfg, NEW_V, num_labels)
    torch.manual_seed(2)
    fresh_model = build_model(new_cfg)
    fresh = {k: v.clone() for k, v in fresh_model.state_dict().items()}
    state = transfer_state(old.state_dict(), fresh, old.cfg, new_cfg, list(range(OLD_V)) + [None] * (NEW_V - OLD_V),
                           list(range(old.cfg.num_labels)) + [None] * (num_labels - old.cfg.num_labels))
    fresh_model.load_state_dict(state, strict=True)
    return fresh_model.eval(), fresh


def _inputs(model, old_null: int, new_null: int, masked: bool, new_mask: int):
    """Inputs for the old model and the same inputs for the new one: old states (and [MASK]), labels
    with the null label among them."""
    g = torch.Generator().manual_seed(3)
    cfg = model.cfg
    n, p3 = cfg.tokens, cfg.patch_size**3
    t = torch.tensor([100.0, 700.0, 300.0])
    labels_old = torch.tensor([0, 1, old_null])
    labels_new = torch.where(labels_old == old_null, torch.full_like(labels_old, new_null), labels_old)
    if masked:
        x_old = torch.randint(0, OLD_V + 1, (3, n, p3), generator=g)  # OLD_V is the old [MASK]
        x_new = torch.where(x_old == OLD_V, torch.full_like(x_old, new_mask), x_old)
    else:
        x_old = x_new = torch.randn(3, n, p3 * cfg.embed_dim, generator=g)
    return (x_old, t, labels_old), (x_new, t, labels_new)


CASES = [(False, "linear", "bits"), (True, "linear", "bits"), (False, "linear", "learned"), (True, "linear", "learned"),
         (True, "voxel", "bits"), (False, "voxel", "bits"), (True, "voxel_occupancy", "bits")]


@pytest.mark.parametrize("masked, head, encoding", CASES)
def test_old_states_keep_their_logits_before_any_step(masked, head, encoding):
    old = _trained(masked, head, encoding)
    new, _ = _fine_tune_start(old)
    a, b = _inputs(old, OLD_L, NEW_L, masked, NEW_V)
    with torch.no_grad():
        lo = old.logits(old.features(*a))  # (B, N, p^3 OLD_V)
        ln = new.logits(new.features(*b))  # (B, N, p^3 NEW_V)
    lo = lo.view(*lo.shape[:2], -1, OLD_V)
    ln = ln.view(*ln.shape[:2], -1, NEW_V)
    torch.testing.assert_close(ln[..., :OLD_V], lo, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("masked, head, encoding", CASES)
def test_old_rows_are_copied_exactly_and_new_rows_are_fresh(masked, head, encoding):
    old = _trained(masked, head, encoding)
    new, fresh = _fine_tune_start(old)
    o, n = old.state_dict(), new.state_dict()
    p3 = old.cfg.patch_size**3
    h = o["head.linear.weight"].shape[1]
    lin_o, lin_n, lin_f = (s["head.linear.weight"].view(p3, -1, h) for s in (o, n, fresh))
    assert torch.equal(lin_n[:, :OLD_V], lin_o) and torch.equal(lin_n[:, OLD_V:], lin_f[:, OLD_V:])
    bias_n = n["head.linear.bias"].view(p3, -1)
    assert torch.equal(bias_n[:, :OLD_V], o["head.linear.bias"].view(p3, -1))
    assert torch.equal(n["label_embed.weight"][:OLD_L], o["label_embed.weight"][:OLD_L])
    assert torch.equal(n["label_embed.weight"][-1], o["label_embed.weight"][-1])  # the null row stays last
    assert torch.equal(n["label_embed.weight"][OLD_L:NEW_L], fresh["label_embed.weight"][OLD_L:NEW_L])
    if masked:
        assert torch.equal(n["state_embed.weight"][:OLD_V], o["state_embed.weight"][:OLD_V])
        assert torch.equal(n["state_embed.weight"][-1], o["state_embed.weight"][-1])  # [MASK] stays last
        assert torch.equal(n["state_embed.weight"][OLD_V:NEW_V], fresh["state_embed.weight"][OLD_V:NEW_V])
    if encoding == "learned":
        assert torch.equal(n["codec.weight"][:OLD_V], o["codec.weight"])
    if head == "voxel":
        assert torch.equal(n["head.out.weight"][:OLD_V], o["head.out.weight"])
    same = [k for k in o if o[k].shape == n[k].shape and k not in ("head.out.weight", "head.out.bias")
            or k == "head.out.weight" and head == "voxel_occupancy"]
    assert same and all(torch.equal(o[k], n[k]) for k in same)


def test_a_model_without_labels_gains_a_label_table_whose_null_row_changes_nothing():
    old = _trained(True, num_labels=0)
    new, _ = _fine_tune_start(old, num_labels=2)
    assert new.label_embed is not None and torch.count_nonzero(new.label_embed.weight[-1]) == 0
    a, b = _inputs(old, 0, 2, True, NEW_V)
    with torch.no_grad():
        lo = old.logits(old.features(a[0], a[1], None)).view(3, old.cfg.tokens, -1, OLD_V)
        ln = new.logits(new.features(b[0], b[1], torch.full((3,), 2))).view(3, new.cfg.tokens, -1, NEW_V)
    torch.testing.assert_close(ln[..., :OLD_V], lo, rtol=1e-5, atol=1e-5)


def test_the_config_keeps_everything_but_the_list_sizes():
    old = _trained(True, "voxel")
    new = transfer_config(old.cfg, NEW_V, NEW_L)
    changed = {k for k, v in new.to_dict().items() if old.cfg.to_dict()[k] != v}
    assert changed == {"vocab_size", "num_labels"} and new.embed_dim == old.cfg.embed_dim == 3


def test_analog_bits_that_cannot_hold_the_merged_vocabulary_are_refused_in_one_line():
    old = _trained(True)
    with pytest.raises(CheckpointError) as exc:
        transfer_config(old.cfg, 9, NEW_L, source="synthetic")
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith("cannot fine-tune synthetic: its 3 analog bits encode at most 8 block states")
    assert "its 6 and the dataset's 3 new ones make 9" in msg
    learned = _trained(True, encoding="learned")
    assert transfer_config(learned.cfg, 40, NEW_L).embed_dim == learned.cfg.embed_dim


def test_a_weight_that_does_not_fit_is_refused():
    old = _trained(False)
    new_cfg = transfer_config(old.cfg, NEW_V, NEW_L)
    fresh = build_model(new_cfg).state_dict()
    bad = {**old.state_dict(), "patch_embed.weight": torch.zeros(3, 3)}
    with pytest.raises(CheckpointError, match="cannot carry patch_embed.weight over"):
        transfer_state(bad, fresh, old.cfg, new_cfg, list(range(OLD_V)) + [None, None], [0, 1, None])


def test_merge_keeps_the_old_order_and_appends_the_new_entries():
    assert merge_names(["air", "stone", "planks"], ["air", "glass", "planks", "glass", "wool"]) == \
        ["air", "stone", "planks", "glass", "wool"]
    assert row_sources(["air", "stone"], ["air", "stone", "glass"]) == [0, 1, None]


def test_map_rows_moves_rows_within_each_group_and_keeps_the_tail_last():
    old = torch.arange(2 * 3 + 1).float()  # 2 groups of 3, then one tail row
    fresh = torch.full((2 * 4 + 1,), -1.0)
    out = map_rows(old, fresh, [2, None, 0, 1], groups=2, tail=1)
    assert out.tolist() == [2, -1, 0, 1, 5, -1, 3, 4, 6]
