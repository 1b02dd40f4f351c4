"""Fine-tuning's start: a trained model's weights carried into a model over a larger vocabulary.

A model fine-tuned on new builds keeps the trained model's architecture and objective; what may
grow is the vocabulary (the new builds use block states it never saw) and the label set (a new
style). The merged lists keep the old entries at their old indices and append the new ones
(:func:`merge_names`), so:

* every tensor whose shape did not change is copied;
* vocabulary-indexed tensors (:data:`VOCAB_ROWS`) get the old rows at their places and the new
  model's own fresh rows for new states: the output head's rows (``p^3`` groups of ``V``, one per
  voxel of a patch), the full-resolution head's per-voxel output, the learned block table, and the
  masked input table, whose ``[MASK]`` row stays last;
* the label table (:data:`LABEL_ROWS`) likewise, its null label row staying last; a model that had
  no labels gets a fresh table whose null row is zero, so its unlabelled behaviour is unchanged.

So before any step the new model's logits for the old states, on inputs made of old states, are
the old model's. ``embed_dim`` is kept: analog bits still encode the merged vocabulary when
``2^embed_dim >= V``, and otherwise fine-tuning is refused (the input layer's width would change).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from mcgen.errors import CheckpointError
from mcgen.ml.config import ModelConfig

# parameter -> (row groups, rows after the groups that stay last): "patch" = p^3 groups of V rows
VOCAB_ROWS: dict[str, tuple[int | str, int]] = {
    "head.linear.weight": ("patch", 0),
    "head.linear.bias": ("patch", 0),
    "head.out.weight": (1, 0),  # voxel head: V rows; voxel_occupancy's single air row is copied
    "head.out.bias": (1, 0),
    "codec.weight": (1, 0),  # learned encoding
    "state_embed.weight": (1, 1),  # masked objective's input: V blocks, then [MASK]
}
LABEL_ROWS: dict[str, tuple[int, int]] = {"label_embed.weight": (1, 1)}  # labels, then the null label


def merge_names(kept: Sequence[str], added: Sequence[str]) -> list[str]:
    """``kept`` in order, then the entries of ``added`` it lacks (in ``added``'s order)."""
    have = set(kept)
    return list(kept) + [n for n in dict.fromkeys(added) if n not in have]


def row_sources(old: Sequence[str], new: Sequence[str]) -> list[int | None]:
    """For each entry of ``new`` its index in ``old`` (``None``: a new entry)."""
    index = {n: i for i, n in enumerate(old)}
    return [index.get(n) for n in new]


def transfer_config(cfg: ModelConfig, vocab_size: int, num_labels: int, source: str = "the checkpoint") -> ModelConfig:
    """``cfg`` over ``vocab_size`` states and ``num_labels`` labels, every other field (``embed_dim``
    included) unchanged.

    Raises:
        CheckpointError: the lists shrink, or analog bits of ``cfg.embed_dim`` cannot encode
            ``vocab_size`` states.
    """
    if vocab_size < cfg.vocab_size or num_labels < cfg.num_labels:
        raise CheckpointError(f"cannot fine-tune {source}: the merged vocabulary and labels ({vocab_size}, "
                              f"{num_labels}) must hold its own ({cfg.vocab_size}, {cfg.num_labels})")
    if cfg.encoding == "bits" and 2**cfg.embed_dim < vocab_size:
        raise CheckpointError(
            f"cannot fine-tune {source}: its {cfg.embed_dim} analog bits encode at most {2**cfg.embed_dim} block "
            f"states, but its {cfg.vocab_size} and the dataset's {vocab_size - cfg.vocab_size} new ones make "
            f"{vocab_size}; use builds with at most {2**cfg.embed_dim - cfg.vocab_size} states it lacks, or train "
            "from scratch")
    return ModelConfig.from_dict({**cfg.to_dict(), "vocab_size": vocab_size, "num_labels": num_labels})


def map_rows(old: torch.Tensor, fresh: torch.Tensor, sources: Sequence[int | None], groups: int = 1,
             tail: int = 0) -> torch.Tensor:
    """``fresh`` with the rows ``sources`` names copied from ``old``.

    Both tensors are ``groups`` blocks of per-entry rows followed by ``tail`` rows that stay last:
    ``old`` (groups * V_old + tail, ...), ``fresh`` (groups * V_new + tail, ...), with
    ``len(sources) == V_new``; row ``v`` of each group of the result is row ``sources[v]`` of the
    same group of ``old``, or ``fresh``'s row where that is ``None``. The tail rows come from ``old``.
    """
    v_new = len(sources)
    v_old = (old.shape[0] - tail) // groups
    rest = tuple(old.shape[1:])
    out = fresh.detach().clone()
    pos = [i for i, s in enumerate(sources) if s is not None]
    src = torch.tensor([sources[i] for i in pos], dtype=torch.long)
    dst = torch.tensor(pos, dtype=torch.long)
    body_old = old[: groups * v_old].reshape(groups, v_old, *rest)  # (G, V_old, ...)
    body = out[: groups * v_new].view(groups, v_new, *rest)  # (G, V_new, ...)
    body[:, dst] = body_old[:, src].to(out.dtype)
    if tail:
        out[groups * v_new:] = old[groups * v_old:].to(out.dtype)
    return out


def _layout(key: str, cfg: ModelConfig) -> tuple[int, int, int] | None:
    """(groups, rows per group, tail) of ``key`` when its rows follow the vocabulary or the labels."""
    if key in VOCAB_ROWS:
        groups, tail = VOCAB_ROWS[key]
        return (cfg.patch_size**3 if groups == "patch" else groups), cfg.vocab_size, tail
    if key in LABEL_ROWS:
        groups, tail = LABEL_ROWS[key]
        return groups, cfg.num_labels, tail
    return None


def transfer_state(old: dict[str, torch.Tensor], fresh: dict[str, torch.Tensor], old_cfg: ModelConfig,
                   new_cfg: ModelConfig, vocab_sources: Sequence[int | None],
                   label_sources: Sequence[int | None]) -> dict[str, torch.Tensor]:
    """The new model's state dict: ``fresh`` (a freshly built model of ``new_cfg``) with ``old``'s
    weights carried over as the module docstring says.

    Args:
        old: the trained model's state dict (e.g. a checkpoint's EMA weights), of ``old_cfg``.
        fresh: the new model's initial state dict, of ``new_cfg``.
        vocab_sources: :func:`row_sources` of the old vocabulary in the new one (``V_new`` entries).
        label_sources: likewise for the labels (``num_labels`` of ``new_cfg`` entries).

    Raises:
        CheckpointError: a tensor of ``old`` has no place in the new model or cannot be mapped.
    """
    if len(vocab_sources) != new_cfg.vocab_size or len(label_sources) != new_cfg.num_labels:
        raise CheckpointError("row maps do not match the new model's vocabulary and labels")
    extra = sorted(set(old) - set(fresh))
    if extra:
        raise CheckpointError(f"weights with no place in the fine-tuned model: {extra[:3]}")
    out: dict[str, torch.Tensor] = {}
    for key, start in fresh.items():
        if key not in old:
            out[key] = _fresh_only(key, start)
            continue
        src, lay_old, lay_new = old[key], _layout(key, old_cfg), _layout(key, new_cfg)
        if lay_old is not None and src.shape[0] == lay_old[0] * lay_old[1] + lay_old[2] \
                and start.shape[0] == lay_new[0] * lay_new[1] + lay_new[2]:
            sources = vocab_sources if key in VOCAB_ROWS else label_sources
            out[key] = map_rows(src, start, sources, lay_new[0], lay_new[2])
        elif src.shape == start.shape:
            out[key] = src.detach().to(start.dtype).clone()
        else:
            raise CheckpointError(f"cannot carry {key} over: shape {tuple(src.shape)} in the checkpoint, "
                                  f"{tuple(start.shape)} in the fine-tuned model")
    return out


def _fresh_only(key: str, start: torch.Tensor) -> torch.Tensor:
    """A tensor the old model lacked: the fresh one, except a new label table's null row, zeroed so
    that the unlabelled model computes what the old one did."""
    out = start.detach().clone()
    if key in LABEL_ROWS:
        out[-1].zero_()
        return out
    raise CheckpointError(f"the fine-tuned model has a weight the checkpoint lacks: {key}")
