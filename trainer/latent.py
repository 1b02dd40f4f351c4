"""A latent run's set-up (``mcgen train --tokenizer``, or resuming / fine-tuning a latent model):
which tokenizer, the dataset renumbered into its vocabulary, and the DiT's config over its codes."""

from __future__ import annotations

from mcgen.errors import ConfigError
from mcgen.ml.checkpoint import Checkpoint
from mcgen.ml.config import LATENT_EMBED_DIM, ModelConfig, TokenizerConfig
from mcgen.ml.latent import LatentObjective
from mcgen.ml.objectives import Objective
from mcgen.ml.tokenizer import VoxelTokenizer, load_tokenizer
from trainer.config import TrainConfig
from trainer.data import TrainData, remap


def tokenizer_section(cfg: TrainConfig, ckpt: Checkpoint | None, init: Checkpoint | None,
                      data: TrainData) -> tuple[dict | None, TrainData]:
    """The run's tokenizer (its checkpoint section, ``None`` for a voxel-space run) and the data
    renumbered into its vocabulary: the resumed or fine-tuned model's, or ``--tokenizer``'s file.

    Raises:
        ConfigError: ``--tokenizer`` with ``--init-from``; a tokenizer of another grid, or one whose
            vocabulary lacks some of the dataset's block states.
        CheckpointError: an unreadable tokenizer file (or a DiT checkpoint given as one).
    """
    if ckpt is not None or init is not None:
        ck = ckpt or init
        if cfg.tokenizer and ckpt is None:
            raise ConfigError("--init-from takes the model's tokenizer with it; drop --tokenizer")
        if ck.tokenizer is not None and ckpt is not None:
            data = fit_to_tokenizer(data, ck.tokenizer["config"]["grid_size"], ck.vocabulary, ck.path)
        return ck.tokenizer, data
    if not cfg.tokenizer:
        return None, data
    tf = load_tokenizer(cfg.tokenizer)
    return tf.embedded(), fit_to_tokenizer(data, tf.cfg.grid_size, tf.vocabulary, cfg.tokenizer)


def fit_to_tokenizer(data: TrainData, grid: int, vocabulary: list[str], where: str) -> TrainData:
    """The data renumbered into a tokenizer's vocabulary, which must hold all of it (training a
    latent model, ``mcgen tokenizer eval``).

    Raises:
        ConfigError: another grid size, or block states the tokenizer lacks.
    """
    if grid != data.grid_size:
        raise ConfigError(f"the tokenizer encodes {grid}^3 grids, the dataset has {data.grid_size}^3", path=where)
    missing = sorted(set(data.vocabulary) - set(vocabulary))
    if missing:
        raise ConfigError(f"the tokenizer was trained on another vocabulary: {len(missing)} of this dataset's "
                          f"block states are not in it (e.g. {missing[0]})", path=where)
    return remap(data, vocabulary, data.label_names)


def model_config(cfg: TrainConfig, section: dict, num_labels: int, objective: Objective) -> ModelConfig:
    """The DiT over the latent grid: one code per position (patch 1 on a 4^3 grid, 2 on 8^3), a learned
    code table."""
    tcfg = TokenizerConfig.from_dict(section["config"])
    g = tcfg.latent_grid
    return ModelConfig(preset=cfg.model_size, grid_size=g, patch_size=cfg.patch_size or (1 if g <= 4 else 2),
                       hidden_size=cfg.hidden_size, depth=cfg.depth, num_heads=cfg.num_heads, encoding="learned",
                       embed_dim=cfg.embed_dim or LATENT_EMBED_DIM, vocab_size=tcfg.num_codes, num_labels=num_labels,
                       **objective.model_options())


def wrap(objective: Objective, section: dict, device) -> LatentObjective:
    """``objective`` over the codes of the section's tokenizer, seen from outside in block grids."""
    tok = VoxelTokenizer(TokenizerConfig.from_dict(section["config"]))
    tok.load_state_dict(section["weights"])
    return LatentObjective(objective, tok.to(device))
