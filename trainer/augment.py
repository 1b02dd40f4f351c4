"""The 8 up-preserving symmetries as training augmentation.

Symmetry ``s`` (0..7) is ``mirror = s >= 4`` (east <-> west, applied first) followed by
``s % 4`` clockwise quarter turns seen from above, exactly as :meth:`mcgen.grid.VoxelGrid.transformed`.
Moving voxels is not enough: a stair facing north must face east after a turn, a door's hinge
swaps under a mirror, a log's axis swaps x <-> z, pane and fence connections turn with the
wall. So each symmetry also has a precomputed permutation of vocabulary indices built with
:func:`mcgen.blocks.transform_state`. When the transformed state is not in the vocabulary
(a right-hinged door when only left hinges are), the closest state of the same block is
used: most properties equal, direction-bearing ones counting double, the original state
winning ties.
"""

from __future__ import annotations

import torch

from mcgen.blocks import base_name, parse_state, transform_state

NUM_SYMMETRIES = 8
_DIRECTIONAL = ("facing", "axis", "north", "east", "south", "west", "rotation", "shape", "hinge")


def symmetry(s: int) -> tuple[int, bool]:
    """``(quarter_turns, mirror)`` of symmetry index ``s``."""
    if not 0 <= s < NUM_SYMMETRIES:
        raise ValueError(f"symmetry index must be 0..7, got {s}")
    return s % 4, s >= 4


def _closest(target: str, source: str, vocabulary: list[str], index: dict[str, int]) -> int:
    if target in index:
        return index[target]
    name, props = parse_state(target)
    best, best_key = index[source], None
    for i, state in enumerate(vocabulary):
        if base_name(state) != name:
            continue
        _, cand = parse_state(state)
        score = sum((2 if k in _DIRECTIONAL else 1) for k, v in props.items() if cand.get(k) == v)
        key = (score, state == source)
        if best_key is None or key > best_key:
            best, best_key = i, key
    return best


def vocabulary_permutations(vocabulary: list[str]) -> tuple[torch.Tensor, int]:
    """Index maps for all 8 symmetries.

    Args:
        vocabulary: block states, index 0 air.

    Returns:
        ``(perm, inexact)``: ``perm[s, v]`` is the index of state ``v`` after symmetry ``s``,
        an ``(8, V)`` int64 tensor; ``inexact`` counts ``(s, v)`` pairs whose exact image is
        not in the vocabulary and were mapped to the closest state instead.
    """
    index = {state: i for i, state in enumerate(vocabulary)}
    perm = torch.empty(NUM_SYMMETRIES, len(vocabulary), dtype=torch.long)
    inexact = 0
    for s in range(NUM_SYMMETRIES):
        turns, mirror = symmetry(s)
        for v, state in enumerate(vocabulary):
            target = transform_state(state, turns, mirror)
            inexact += target not in index
            perm[s, v] = _closest(target, state, vocabulary, index)
    return perm, inexact


def transform_blocks(blocks: torch.Tensor, s: int, perm: torch.Tensor | None = None) -> torch.Tensor:
    """Apply symmetry ``s`` to a batch ``(B, X, Y, Z)`` of indices (grids must be square in x, z).

    Args:
        blocks: integer tensor ``(B, X, Y, Z)``.
        s: symmetry index 0..7.
        perm: optional ``(8, V)`` state permutation (same device); without it only positions move.
    """
    turns, mirror = symmetry(s)
    out = blocks
    if mirror:
        out = out.flip(1)  # flip x
    for _ in range(turns):
        # (x, z) -> (Z-1-z, x): new[x', y, z'] = old[z', y, Z-1-x']
        out = out.permute(0, 3, 2, 1).flip(1)  # (B, Z, Y, X) then flip the new x
    if perm is not None:
        out = perm[s][out.long()].to(blocks.dtype)
    return out


class Augmenter:
    """Applies a per-sample random symmetry to batches, on the batches' device.

    Args:
        vocabulary: the training vocabulary.
        device: where batches live.
    """

    def __init__(self, vocabulary: list[str], device: torch.device | str = "cpu") -> None:
        perm, self.inexact = vocabulary_permutations(vocabulary)
        self.perm = perm.to(device)

    def __call__(self, blocks: torch.Tensor, syms: torch.Tensor) -> torch.Tensor:
        """``(B, X, Y, Z)`` indices and ``(B,)`` symmetry ids -> transformed ``(B, X, Y, Z)`` int64."""
        # All 8 placements of every sample, a gather, then one table lookup for the states: no
        # data-dependent shapes, so no host sync on a GPU (16^3 grids are tiny next to a model step).
        blocks = blocks.long()
        b, v = blocks.shape[0], self.perm.shape[1]
        images = torch.stack([transform_blocks(blocks, s) for s in range(NUM_SYMMETRIES)])  # (8, B, X, Y, Z)
        moved = images[syms, torch.arange(b, device=blocks.device)]  # (B, X, Y, Z)
        return torch.take(self.perm, moved + (syms * v).view(b, 1, 1, 1))  # (B, X, Y, Z)
