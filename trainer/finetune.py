"""``mcgen train --init-from CKPT_OR_NAME``: a new run that starts from a trained model's EMA weights.

The run is new (step 0, a fresh optimizer, the usual warmup); what it inherits is the model:
its architecture and objective come from the checkpoint (a setting that would change them is
refused), and its vocabulary and labels are the checkpoint's followed by whatever the dataset
adds (:func:`mcgen.ml.transfer.merge_names`), with the dataset's blocks renumbered into them.
The weights are carried over by :func:`mcgen.ml.transfer.transfer_state`.

Resuming such a run (``--resume``) continues from its own checkpoint, whose extra section records
``init_from``; the dataset is renumbered into that checkpoint's lists, which must already hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from mcgen.errors import CheckpointError, ConfigError
from mcgen.ml.checkpoint import Checkpoint, load_checkpoint
from mcgen.ml.config import ModelConfig
from mcgen.ml.objectives import objective_kind
from mcgen.ml.transfer import merge_names, row_sources, transfer_config, transfer_state
from mcgen.models import file_sha256, resolve_checkpoint, shipped_name
from trainer.config import TrainConfig
from trainer.data import TrainData, remap

# TrainConfig field -> (its flag, the checkpoint's value of it)
_ARCHITECTURE = {
    "model_size": ("--model-size", lambda ck: ck.model_cfg.preset),
    "patch_size": ("--patch-size", lambda ck: ck.model_cfg.patch_size),
    "hidden_size": ("--hidden", lambda ck: ck.model_cfg.hidden_size),
    "depth": ("--depth", lambda ck: ck.model_cfg.depth),
    "num_heads": ("--heads", lambda ck: ck.model_cfg.num_heads),
    "head": ("--head", lambda ck: ck.model_cfg.head),
    "head_width": ("--head-width", lambda ck: ck.model_cfg.head_width),
    "head_blocks": ("--head-blocks", lambda ck: ck.model_cfg.head_blocks),
    "embed_dim": ("--embed-dim", lambda ck: ck.model_cfg.embed_dim),
    "objective": ("--objective", lambda ck: objective_kind(ck.diffusion_cfg)),
    "mask_schedule": ("--mask-schedule", lambda ck: getattr(ck.diffusion_cfg, "schedule", None)),
    "mask_weighting": ("--mask-weighting", lambda ck: getattr(ck.diffusion_cfg, "weighting", None)),
    "mask_structured": ("--structured-masks", lambda ck: getattr(ck.diffusion_cfg, "structured_prob", None)),
}


@dataclass
class InitFrom:
    """The checkpoint a fine-tuning run starts from.

    Attributes:
        value: what ``--init-from`` said (a path or a shipped name).
        checkpoint: the loaded checkpoint.
        sha256: its file's digest.
        name: the shipped model's name, or ``None`` for a file of the user's.
    """

    value: str
    checkpoint: Checkpoint
    sha256: str
    name: str | None

    def record(self, data: TrainData) -> dict[str, Any]:
        """What config.json and the run's checkpoints keep of where the run started (plain values)."""
        ck = self.checkpoint
        return {"checkpoint": self.value, "name": self.name, "path": ck.path, "sha256": self.sha256, "step": ck.step,
                "states": len(ck.vocabulary), "new_states": len(data.vocabulary) - len(ck.vocabulary),
                "labels": list(ck.label_names), "new_labels": data.label_names[len(ck.label_names):]}


def load_init(cfg: TrainConfig) -> InitFrom:
    """Resolve and load ``cfg.init_from``, and refuse settings that would change its architecture.

    Raises:
        CheckpointError: an unknown name, a missing or damaged file, an unreadable checkpoint.
        ConfigError: a setting differs from what the checkpoint has (see :func:`check_settings`).
    """
    path = resolve_checkpoint(cfg.init_from)
    ck = load_checkpoint(path)
    check_settings(cfg, ck)
    return InitFrom(cfg.init_from, ck, file_sha256(path), shipped_name(cfg.init_from))


def check_settings(cfg: TrainConfig, ck: Checkpoint) -> None:
    """Refuse architecture and objective settings that were changed from their defaults to something
    else than the checkpoint has (settings left at their defaults are simply taken from it).

    Raises:
        ConfigError: one line naming the flags and the checkpoint's values.
    """
    defaults = TrainConfig()
    bad = []
    for field, (flag, theirs) in _ARCHITECTURE.items():
        mine = getattr(cfg, field)
        if mine != getattr(defaults, field) and mine != theirs(ck):
            bad.append(f"{flag} {mine} (the checkpoint has {theirs(ck)})")
    if bad:
        raise ConfigError(f"--init-from takes the model's architecture and objective from {cfg.init_from}; "
                          f"drop {', '.join(bad)}")


def describe(init: InitFrom, data: TrainData) -> str:
    """One log line: what the run starts from and what it adds."""
    ck, rec = init.checkpoint, init.record(data)
    m = ck.model_cfg
    new_labels = f", new labels {', '.join(rec['new_labels'])}" if rec["new_labels"] else ""
    return (f"fine-tuning from {init.value} (step {ck.step}, sha256 {init.sha256[:12]}): its {m.preset} "
            f"{objective_kind(ck.diffusion_cfg)} model (hidden {m.hidden_size}, depth {m.depth}, {m.head} head) with "
            f"{rec['states']} block states + {rec['new_states']} new{new_labels}")


def recorded(ck: Checkpoint | None) -> dict | None:
    """The ``init_from`` record a run's checkpoint keeps (``None``: not a fine-tuning run)."""
    return (ck.extra or {}).get("init_from") if ck is not None else None


def fit_data(data: TrainData, init: InitFrom | None, resumed: Checkpoint | None) -> TrainData:
    """The dataset renumbered into the lists the run's model uses.

    A fine-tuning run: the checkpoint's vocabulary and labels followed by what the dataset adds. A
    resumed fine-tuning run: its own checkpoint's lists (which must hold every state and label of
    the dataset). Any other run: ``data`` unchanged.

    Raises:
        CheckpointError: the resumed fine-tuning checkpoint lacks some of the dataset's states or labels.
    """
    if init is not None:
        ck = init.checkpoint
        vocab = merge_names(ck.vocabulary, data.vocabulary)
        if ck.latent and vocab != ck.vocabulary:
            raise CheckpointError(f"cannot fine-tune this latent model on this dataset: its tokenizer knows "
                                  f"{len(ck.vocabulary)} block states and the dataset has {len(vocab) - len(ck.vocabulary)} "
                                  f"others (e.g. {vocab[len(ck.vocabulary)]}); map them onto known ones with "
                                  "`mcgen dataset import --vocab`", path=ck.path)
        return remap(data, vocab, merge_names(ck.label_names, data.label_names))
    if not recorded(resumed):
        return data
    vocab = merge_names(resumed.vocabulary, data.vocabulary)
    labels = merge_names(resumed.label_names, data.label_names)
    if vocab != resumed.vocabulary or labels != resumed.label_names:
        raise CheckpointError(f"cannot resume this fine-tuning run on this dataset: it has "
                              f"{len(vocab) - len(resumed.vocabulary)} block state(s) and "
                              f"{len(labels) - len(resumed.label_names)} label(s) the run's model lacks",
                              path=resumed.path)
    return remap(data, vocab, labels)


def model_config(init: InitFrom, data: TrainData) -> ModelConfig:
    """The checkpoint's model config over the merged vocabulary and labels (its ``embed_dim`` kept).

    Raises:
        CheckpointError: analog bits of its width cannot encode the merged vocabulary.
    """
    ck = init.checkpoint
    states = ck.model_cfg.vocab_size if ck.latent else len(data.vocabulary)  # a latent DiT's states are codes
    return transfer_config(ck.model_cfg, states, len(data.label_names), source=init.value)


def load_weights(model: torch.nn.Module, init: InitFrom, data: TrainData) -> None:
    """Put the checkpoint's EMA weights into the freshly built ``model`` (new rows keep its own)."""
    ck = init.checkpoint
    fresh = model.state_dict()
    rows = list(range(ck.model_cfg.vocab_size)) if ck.latent else row_sources(ck.vocabulary, data.vocabulary)
    state = transfer_state(ck.ema_state, fresh, ck.model_cfg, model.cfg, rows,
                           row_sources(ck.label_names, data.label_names))
    model.load_state_dict({k: v.to(fresh[k].device) for k, v in state.items()}, strict=True)

