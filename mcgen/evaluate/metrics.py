"""Sample-quality metrics over voxel grids, in plain numpy (this module never imports torch).

Three families, each computed per sample where it can be so the report can bootstrap them:

* plausibility: one 6-connected piece, blocks with no path to ``y = 0`` through solid blocks,
  grounded, empty or (nearly) full grids;
* distribution: total-variation distance of block-state histograms, 1-D Wasserstein distance of
  fill fraction and of height, plus Fréchet distance, KID and k-NN precision/recall over any
  feature vectors (the learned ones come from :mod:`mcgen.evaluate.features`);
* novelty and diversity: occupancy ("shape") IoU of each sample with its closest training
  structure under the 8 up-preserving symmetries; near-copies, where the same block states (turned
  with the structure) fill >= 95% of the union; and the mean pairwise IoU among samples.

Grids of different sizes are padded with air at the high end of each axis to one common shape
whose x and z are equal, so the quarter turns stay inside the array.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mcgen.blocks import AIR
from mcgen.generate.clean import flood
from mcgen.grid import VoxelGrid

NEAR_COPY_IOU = 0.95  # a sample this close to a training structure counts as a copy
MIN_BLOCKS = 8  # fewer non-air blocks than this is an "empty" grid, not a building
FULL_FILL = 0.9  # a fill fraction at or above this is a "full" grid (a solid lump)


@dataclass
class GridBatch:
    """Grids stacked on one shape and one vocabulary.

    Attributes:
        blocks: ``(N, X, Y, Z)`` int32 indices into ``states``; 0 is air.
        states: block states; ``states[0]`` is air.
    """

    blocks: np.ndarray
    states: list[str]

    @property
    def solid(self) -> np.ndarray:
        """``(N, X, Y, Z)`` boolean occupancy."""
        return self.blocks != 0

    def __len__(self) -> int:
        return int(self.blocks.shape[0])


def common_shape(*groups: Sequence[VoxelGrid]) -> tuple[int, int, int]:
    """The smallest ``(S, Y, S)`` holding every grid of every group (x and z made equal)."""
    sizes = np.array([g.size for grids in groups for g in grids] or [(1, 1, 1)])
    x, y, z = sizes.max(axis=0).tolist()
    side = max(x, z)
    return side, y, side


def stack(grids: Sequence[VoxelGrid], states: list[str], shape: tuple[int, int, int]) -> GridBatch:
    """Stack ``grids`` on ``shape``, indexing into ``states`` (extended in place with new states).

    Args:
        grids: the structures.
        states: the shared vocabulary, ``states[0] == AIR``; unseen states are appended.
        shape: target ``(X, Y, Z)``; every grid must fit (see :func:`common_shape`).
    """
    if not states:
        states.append(AIR)
    index = {s: i for i, s in enumerate(states)}
    out = np.zeros((len(grids), *shape), dtype=np.int32)  # (N, X, Y, Z)
    for n, g in enumerate(grids):
        lut = np.array([index.setdefault(s, len(index)) for s in g.palette], dtype=np.int32)
        x, y, z = g.size
        out[n, :x, :y, :z] = lut[g.blocks]
    states[:] = list(index)
    return GridBatch(out, states)


# --- plausibility --------------------------------------------------------------------------------
def plausibility(batch: GridBatch) -> dict[str, np.ndarray]:
    """Per-sample physical plausibility.

    Returns:
        Arrays of length N: ``connected`` (one 6-connected piece), ``grounded`` (some block at
        ``y = 0``), ``unsupported`` (share of non-air blocks with no solid path to ``y = 0``;
        0 for an empty grid), ``empty`` (< ``MIN_BLOCKS`` blocks), ``full`` (fill >= ``FULL_FILL``)
        and ``plausible`` (connected, grounded, neither empty nor full).
    """
    mask = batch.solid  # (N, X, Y, Z)
    n = len(mask)
    count = mask.reshape(n, -1).sum(axis=1)
    first = np.zeros_like(mask)
    flat_first = first.reshape(n, -1)  # (N, X*Y*Z) view
    flat_first[np.arange(n), mask.reshape(n, -1).argmax(axis=1)] = True
    connected = (flood(mask, first).reshape(n, -1).sum(axis=1) == count) & (count > 0)
    ground = np.zeros_like(mask)
    ground[:, :, 0, :] = True
    supported = flood(mask, ground).reshape(n, -1).sum(axis=1)
    unsupported = np.where(count > 0, (count - supported) / np.maximum(count, 1), 0.0)
    grounded = mask[:, :, 0, :].reshape(n, -1).any(axis=1)
    fill = count / max(mask[0].size, 1)
    empty = count < MIN_BLOCKS
    full = fill >= FULL_FILL
    return {
        "connected": connected, "grounded": grounded, "unsupported": unsupported.astype(np.float64),
        "empty": empty, "full": full, "plausible": connected & grounded & ~empty & ~full,
    }


def fill_fraction(batch: GridBatch) -> np.ndarray:
    """``(N,)`` share of non-air voxels."""
    m = batch.solid.reshape(len(batch), -1)
    return m.mean(axis=1)


def heights(batch: GridBatch) -> np.ndarray:
    """``(N,)`` top solid layer + 1 (0 for an empty grid), in blocks."""
    rows = batch.solid.any(axis=(1, 3))  # (N, Y)
    top = rows.shape[1] - np.argmax(rows[:, ::-1], axis=1)
    return np.where(rows.any(axis=1), top, 0).astype(np.float64)


# --- distributions -------------------------------------------------------------------------------
def block_counts(batch: GridBatch) -> np.ndarray:
    """``(N, V)`` count of each vocabulary state per grid (column 0 is air)."""
    n, v = len(batch), len(batch.states)
    flat = batch.blocks.reshape(n, -1) + (np.arange(n) * v)[:, None]
    return np.bincount(flat.ravel(), minlength=n * v).reshape(n, v)


def hist_tv(counts_a: np.ndarray, counts_b: np.ndarray) -> float:
    """Total-variation distance of the pooled non-air block histograms (0 same, 1 disjoint).

    Args:
        counts_a: ``(N, V)`` per-grid counts (from :func:`block_counts`), same columns as ``counts_b``.
        counts_b: ``(M, V)``.
    """
    a = counts_a[:, 1:].sum(axis=0).astype(np.float64)
    b = counts_b[:, 1:].sum(axis=0).astype(np.float64)
    if a.sum() == 0 or b.sum() == 0:
        return 0.0 if a.sum() == b.sum() else 1.0
    return float(0.5 * np.abs(a / a.sum() - b / b.sum()).sum())


def label_tv(labels_a: np.ndarray, labels_b: np.ndarray, num_labels: int) -> float:
    """Total-variation distance between two label histograms (integer labels ``0..num_labels-1``)."""
    pa = np.bincount(labels_a, minlength=num_labels) / max(len(labels_a), 1)
    pb = np.bincount(labels_b, minlength=num_labels) / max(len(labels_b), 1)
    return float(0.5 * np.abs(pa - pb).sum())


def wasserstein_1d(a: np.ndarray, b: np.ndarray) -> float:
    """1-D Wasserstein (earth mover's) distance between two empirical distributions."""
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    grid = np.sort(np.concatenate([a, b]))
    cdf_a = np.searchsorted(a, grid[:-1], side="right") / len(a)
    cdf_b = np.searchsorted(b, grid[:-1], side="right") / len(b)
    return float(np.sum(np.abs(cdf_a - cdf_b) * np.diff(grid)))


def frechet_distance(fa: np.ndarray, fb: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets ``(N, D)`` and ``(M, D)``.

    ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2)``; the trace of the matrix
    square root is taken from eigenvalues of a symmetric matrix, so no scipy is needed.
    """
    if len(fa) < 2 or len(fb) < 2:
        return float("nan")  # a covariance needs two points
    mu_a, mu_b = fa.mean(axis=0), fb.mean(axis=0)
    sa, sb = np.atleast_2d(np.cov(fa, rowvar=False)), np.atleast_2d(np.cov(fb, rowvar=False))
    w, v = np.linalg.eigh(sa)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = np.linalg.eigvalsh(root_a @ sb @ root_a)
    tr_sqrt = np.sqrt(np.clip(inner, 0, None)).sum()
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(sa) + np.trace(sb) - 2 * tr_sqrt)


def poly_kernel(fa: np.ndarray, fb: np.ndarray) -> np.ndarray:
    """KID's cubic polynomial kernel ``(a.b / D + 1)^3``, shape ``(N, M)``."""
    return (fa @ fb.T / fa.shape[1] + 1.0) ** 3


def kid(fa: np.ndarray, fb: np.ndarray) -> float:
    """Kernel inception distance: unbiased MMD^2 with the cubic polynomial kernel."""
    n, m = len(fa), len(fb)
    if n < 2 or m < 2:
        return float("nan")
    kaa, kbb, kab = poly_kernel(fa, fa), poly_kernel(fb, fb), poly_kernel(fa, fb)
    saa = (kaa.sum() - np.trace(kaa)) / (n * (n - 1))
    sbb = (kbb.sum() - np.trace(kbb)) / (m * (m - 1))
    return float(saa + sbb - 2 * kab.mean())


def sq_dists(fa: np.ndarray, fb: np.ndarray) -> np.ndarray:
    """``(N, M)`` squared Euclidean distances."""
    d = (fa * fa).sum(1)[:, None] + (fb * fb).sum(1)[None, :] - 2 * fa @ fb.T
    return np.clip(d, 0, None)


def knn_radii(d_self: np.ndarray, k: int) -> np.ndarray:
    """Squared distance of each point to its ``k``-th nearest other point (``d_self``: ``(N, N)``)."""
    k = min(k, len(d_self) - 1)
    return np.sort(d_self, axis=1)[:, k]  # column 0 is the point itself


def manifold_coverage(d_cross: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """``(N,)`` whether each query lies inside some ball ``|q - p|^2 <= radii[p]`` (``d_cross``: ``(N, M)``)."""
    return (d_cross <= radii[None, :]).any(axis=1)


def precision_recall(fake: np.ndarray, real: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (k-NN manifolds, Kynkäänniemi et al. 2019).

    Precision: share of ``fake`` inside the real manifold; recall: share of ``real`` inside the
    fake manifold.
    """
    d_fr = sq_dists(fake, real)
    precision = manifold_coverage(d_fr, knn_radii(sq_dists(real, real), k)).mean()
    recall = manifold_coverage(d_fr.T, knn_radii(sq_dists(fake, fake), k)).mean()
    return float(precision), float(recall)


# --- novelty and diversity -----------------------------------------------------------------------
def symmetries(occ: np.ndarray) -> list[np.ndarray]:
    """The 8 up-preserving symmetries (mirror x, then 0-3 quarter turns) of ``(N, S, Y, S)`` arrays."""
    out = []
    for mirrored in (occ, occ[:, ::-1]):
        b = mirrored
        for _ in range(4):
            out.append(b)
            b = b.transpose(0, 3, 2, 1)[:, ::-1]  # (N, Z, Y, X) then flip: a quarter turn
    return out


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(N, M)`` IoU between flattened occupancies ``a`` ``(N, D)`` and ``b`` ``(M, D)`` (float32 0/1).

    Two empty grids have IoU 1 (they are identical).
    """
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def best_match_iou(samples: np.ndarray, train: np.ndarray, chunk: int = 512,
                   keep_above: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best occupancy IoU of each sample with any training structure under the 8 symmetries.

    Args:
        samples: ``(N, S, Y, S)`` bool occupancy.
        train: ``(M, S, Y, S)`` bool occupancy, same shape.
        chunk: training structures per matrix product (bounds memory).
        keep_above: also list every ``(symmetry, sample, train)`` triple with IoU >= this.

    Returns:
        ``best_iou (N,)``, ``best_index (N,)`` into ``train``, and the kept triples ``(K, 3)``.
    """
    n = len(samples)
    variants = np.stack([v.reshape(n, -1) for v in symmetries(samples)]).astype(np.float32)  # (8, N, D)
    variants = variants.reshape(8 * n, -1)  # (8N, D)
    flat_train = train.reshape(len(train), -1)  # (M, D)
    best = np.full(n, -1.0)
    where = np.zeros(n, dtype=np.int64)
    kept = [np.zeros((0, 3), dtype=np.int64)]
    for start in range(0, len(train), chunk):
        block = flat_train[start:start + chunk].astype(np.float32)
        iou8 = iou_matrix(variants, block).reshape(8, n, -1)  # (8, N, chunk)
        if keep_above is not None:
            hit = np.argwhere(iou8 >= keep_above)
            kept.append(hit + np.array([0, 0, start]))
        iou = iou8.max(axis=0)  # (N, chunk)
        arg = iou.argmax(axis=1)
        val = iou[np.arange(n), arg]
        better = val > best
        best[better], where[better] = val[better], arg[better] + start
    return best, where, np.concatenate(kept)


def state_symmetry_luts(states: list[str]) -> np.ndarray:
    """``(8, V)``: index of each state after each symmetry, in :func:`symmetries` order.

    ``states`` is extended in place with transformed states it lacks (stairs facing, logs axis...).
    """
    from mcgen.blocks import transform_state

    index = {s: i for i, s in enumerate(states)}
    base = list(states)
    luts = [[index.setdefault(transform_state(s, turns, mirror), len(index)) for s in base]
            for mirror in (False, True) for turns in range(4)]
    states[:] = list(index)
    return np.array(luts, dtype=np.int64)


def block_copy_iou(samples: np.ndarray, train: np.ndarray, states: list[str], triples: np.ndarray,
                   chunk: int = 4096) -> np.ndarray:
    """Block-state IoU (same state at the same place / non-air union) of ``(symmetry, sample, train)`` triples.

    Args:
        samples: ``(N, S, Y, S)`` state indices into ``states``.
        train: ``(M, S, Y, S)`` state indices into ``states``.
        states: the shared vocabulary (extended in place, see :func:`state_symmetry_luts`).
        triples: ``(K, 3)`` from :func:`best_match_iou` with ``keep_above``.

    Returns:
        ``(K,)`` IoU values; never above the occupancy IoU of the same triple.
    """
    luts = state_symmetry_luts(states)
    views = symmetries(samples)
    flat_train = train.reshape(len(train), -1)  # (M, D)
    out = np.zeros(len(triples))
    for g in range(8):
        rows = np.flatnonzero(triples[:, 0] == g)
        for start in range(0, len(rows), chunk):
            r = rows[start:start + chunk]
            a = luts[g][views[g][triples[r, 1]]].reshape(len(r), -1)  # (k, D) transformed sample states
            b = flat_train[triples[r, 2]]  # (k, D)
            inter = ((a == b) & (a != 0)).sum(axis=1)
            union = ((a != 0) | (b != 0)).sum(axis=1)
            out[r] = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    return out


def near_copy_flags(samples: np.ndarray, train: np.ndarray, states: list[str],
                    threshold: float = NEAR_COPY_IOU) -> tuple[np.ndarray, np.ndarray]:
    """Novelty of each sample against the training set.

    Returns:
        ``best_shape_iou (N,)``: best occupancy IoU under the 8 symmetries; and ``copy (N,)``:
        whether some training structure has the same block states in >= ``threshold`` of the
        union under some symmetry (exact: block IoU never exceeds occupancy IoU, so only
        occupancy matches >= ``threshold`` need checking).
    """
    best, _, triples = best_match_iou(samples != 0, train != 0, keep_above=threshold)
    copy = np.zeros(len(samples), dtype=bool)
    if len(triples):
        ious = block_copy_iou(samples, train, states, triples)
        copy[triples[ious >= threshold, 1]] = True
    return best, copy


def pairwise_iou_matrix(occ: np.ndarray) -> np.ndarray:
    """``(N, N)`` IoU between every two samples (no symmetries: a rotated copy is still diverse)."""
    flat = occ.reshape(len(occ), -1).astype(np.float32)
    return iou_matrix(flat, flat)


def offdiag_mean(matrix: np.ndarray, idx: np.ndarray | None = None) -> float:
    """Mean of ``matrix[i, j]`` over pairs of distinct items (``idx``: an optional resample of rows).

    Pairs that resampling made from one original item twice are left out.
    """
    if idx is None:
        idx = np.arange(len(matrix))
    sub = matrix[np.ix_(idx, idx)]
    keep = idx[:, None] != idx[None, :]
    return float(sub[keep].mean()) if keep.any() else float("nan")
