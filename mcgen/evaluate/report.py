"""The evaluation report: every metric for the samples, its real-vs-real baseline and a bootstrap CI.

The JSON this module builds is a contract other tools read::

    {"format": "mcgen.evaluation", "version": 1, "n_samples": N, "n_reference": M,
     "plausible": {"samples": 0.97, "baseline": 1.0, "ci": [0.95, 0.99]}, ... }

with one such entry for each of :data:`CONTRACT_KEYS` (plus a few extra metrics of the same
shape). ``baseline`` is the same metric for one random half A of the reference set scored against
the other half B (so "as good as real data" has a number); the samples are scored against the
same half B (novelty: against the whole reference), see :data:`PROTOCOL`. ``ci`` is a
bias-corrected percentile bootstrap interval over resampled samples. Importing this module does not import torch; the learned
features are loaded only when asked for.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

import mcgen
from mcgen.errors import McgenError
from mcgen.evaluate import local as L
from mcgen.evaluate import metrics as M
from mcgen.grid import VoxelGrid

CONTRACT_KEYS = ("plausible", "connected", "unsupported", "hist_tv", "fill_w1", "height_w1", "fid", "kid",
                 "precision", "recall", "near_copies", "novelty_iou", "pairwise_iou")
EXTRA_KEYS = ("grounded", "empty", "full", "shape_copies", "label_tv", "same_block", "pattern_tv")
FEATURE_KEYS = ("fid", "kid", "precision", "recall", "label_tv")
KNN_K = 3

# name -> (better, description); "higher"/"lower" is the direction of a better generator.
DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "plausible": ("higher", "one piece, grounded, not empty/full"),
    "connected": ("higher", "one 6-connected piece"),
    "grounded": ("higher", "touches y=0"),
    "unsupported": ("lower", "share of blocks with no path to y=0"),
    "empty": ("lower", f"fewer than {M.MIN_BLOCKS} blocks"),
    "full": ("lower", f"fill >= {M.FULL_FILL}"),
    "hist_tv": ("lower", "TV distance, block-state histogram"),
    "fill_w1": ("lower", "W1 of fill fraction"),
    "height_w1": ("lower", "W1 of height (blocks)"),
    "label_tv": ("lower", "TV distance, classifier labels"),
    "fid": ("lower", "Frechet distance, learned features"),
    "kid": ("lower", "kernel distance, learned features"),
    "precision": ("higher", f"in the real k-NN manifold (k={KNN_K})"),
    "recall": ("higher", "real covered by the sample manifold"),
    "near_copies": ("lower", f"same blocks as a training build, IoU >= {M.NEAR_COPY_IOU}"),
    "shape_copies": ("lower", f"same shape (occupancy IoU >= {M.NEAR_COPY_IOU})"),
    "novelty_iou": ("lower", "mean best shape IoU with training (8 sym.)"),
    "pairwise_iou": ("lower", "mean IoU between samples"),
    "same_block": ("real", "same-block share of touching solid voxels (near the baseline is best)"),
    "pattern_tv": ("lower", "TV distance, 2x2x2 occupancy patterns (local shape)"),
}


PROTOCOL = ("reference split at random into halves A and B; distribution and feature metrics score the "
            "samples against B and the baseline is A against B (A subsampled to at most n_samples); novelty "
            "scores the samples against the whole reference (the training set), the baseline A against B; "
            "when the reference is a held-out split, novelty scores samples and A against the training split "
            "(n_train); ci: bias-corrected percentile bootstrap over the samples")


class EvaluationError(McgenError):
    """Inputs that cannot be evaluated (too few structures, nothing to compare)."""


@dataclass
class _Side:
    """Per-structure statistics of one set."""

    plaus: dict[str, np.ndarray]
    fill: np.ndarray
    height: np.ndarray
    counts: np.ndarray
    blocks: np.ndarray
    states: list[str]
    pairs: np.ndarray  # (N, 2) same-block and all touching solid pairs (mcgen.evaluate.local)
    patterns: np.ndarray  # (N, 256) 2x2x2 occupancy pattern counts
    feats: np.ndarray | None = None
    labels: np.ndarray | None = None

    @classmethod
    def of(cls, batch: M.GridBatch, feats: np.ndarray | None = None, labels: np.ndarray | None = None) -> _Side:
        return cls(M.plausibility(batch), M.fill_fraction(batch), M.heights(batch), M.block_counts(batch),
                   batch.blocks, batch.states, L.neighbour_pairs(batch.blocks), L.pattern_counts(batch.solid),
                   feats, labels)

    def take(self, idx: np.ndarray) -> _Side:
        pick = (lambda a: None if a is None else a[idx])  # noqa: E731
        return _Side({k: v[idx] for k, v in self.plaus.items()}, self.fill[idx], self.height[idx],
                     self.counts[idx], self.blocks[idx], self.states, self.pairs[idx], self.patterns[idx],
                     pick(self.feats), pick(self.labels))


class _Pair:
    """A sample set scored against a reference set, with the cross terms computed once.

    Novelty is measured against ``train`` (default ``r``), distributions against ``r``.
    """

    def __init__(self, s: _Side, r: _Side, num_labels: int = 0, train: _Side | None = None) -> None:
        self.s, self.r, self.num_labels = s, r, num_labels
        train = r if train is None else train
        self.best_iou, self.copies = M.near_copy_flags(s.blocks, train.blocks, s.states)
        self.pair_iou = M.pairwise_iou_matrix(s.blocks != 0)
        if s.feats is not None and r.feats is not None:
            self.d_sr = M.sq_dists(s.feats, r.feats)
            self.d_ss = M.sq_dists(s.feats, s.feats)
            self.in_real = M.manifold_coverage(self.d_sr, M.knn_radii(M.sq_dists(r.feats, r.feats), KNN_K))
            self.k_ss = M.poly_kernel(s.feats, s.feats)
            self.k_sr_rows = M.poly_kernel(s.feats, r.feats).mean(axis=1)
            self.k_rr = M.offdiag_mean(M.poly_kernel(r.feats, r.feats))

    def value(self, name: str, idx: np.ndarray) -> float:
        """Metric ``name`` for the samples ``idx`` (a resample or ``arange``)."""
        s, r = self.s, self.r
        if name in s.plaus:
            return float(np.mean(s.plaus[name][idx]))
        if name == "hist_tv":
            return M.hist_tv(s.counts[idx], r.counts)
        if name == "fill_w1":
            return M.wasserstein_1d(s.fill[idx], r.fill)
        if name == "height_w1":
            return M.wasserstein_1d(s.height[idx], r.height)
        if name == "pairwise_iou":
            return M.offdiag_mean(self.pair_iou, idx)
        if name == "same_block":
            return L.same_block_share(s.pairs[idx])
        if name == "pattern_tv":
            return M.hist_tv(s.patterns[idx], r.patterns)
        if name == "near_copies":
            return float(np.mean(self.copies[idx]))
        if name == "shape_copies":
            return float(np.mean(self.best_iou[idx] >= M.NEAR_COPY_IOU))
        if name == "novelty_iou":
            return float(np.mean(self.best_iou[idx]))
        return self._feature_value(name, idx)

    def _feature_value(self, name: str, idx: np.ndarray) -> float:
        s, r = self.s, self.r
        if s.feats is None or r.feats is None:
            return math.nan
        if name == "fid":
            return M.frechet_distance(s.feats[idx], r.feats)
        if name == "kid":
            return M.offdiag_mean(self.k_ss, idx) + self.k_rr - 2 * float(self.k_sr_rows[idx].mean())
        if name == "precision":
            return float(self.in_real[idx].mean())
        if name == "recall":
            u = np.unique(idx)  # repeats would shrink the k-NN balls to nothing
            radii = M.knn_radii(self.d_ss[np.ix_(u, u)], KNN_K)
            return float(M.manifold_coverage(self.d_sr[u].T, radii).mean())
        if name == "label_tv" and s.labels is not None and r.labels is not None:
            return M.label_tv(s.labels[idx], r.labels, self.num_labels)
        raise KeyError(name)


def _stack_all(samples: Sequence[VoxelGrid], reference: Sequence[VoxelGrid],
               train: Sequence[VoxelGrid] = ()) -> tuple[M.GridBatch, M.GridBatch, M.GridBatch | None]:
    shape = M.common_shape(samples, reference, train)
    states: list[str] = []
    ref = M.stack(reference, states, shape)
    smp = M.stack(samples, states, shape)
    trn = M.stack(train, states, shape) if train else None
    ref.states = smp.states = states
    if trn is not None:
        trn.states = states
    return smp, ref, trn


# metric -> (low, high) of its possible values, for clipping the re-centred intervals
_RANGE = {"height_w1": (0.0, math.inf), "fid": (0.0, math.inf), "kid": (-math.inf, math.inf)}


def _bootstrap(pair: _Pair, name: str, point: float, n_boot: int, rng: np.random.Generator) -> list[float]:
    """Bias-corrected percentile interval: the bootstrap 2.5/97.5 percentiles shifted so the
    bootstrap mean sits on the estimate (resampling with repeats inflates distances like FID)."""
    n = len(pair.s.fill)
    if n_boot <= 0 or n < 2 or not math.isfinite(point):
        return [math.nan, math.nan]
    vals = np.array([pair.value(name, rng.integers(0, n, n)) for _ in range(n_boot)], dtype=float)
    vals = vals[np.isfinite(vals)]
    if not len(vals):
        return [math.nan, math.nan]
    shift = float(vals.mean()) - point
    lo, hi = _RANGE.get(name, (0.0, 1.0))
    return [float(np.clip(np.percentile(vals, 2.5) - shift, lo, hi)),
            float(np.clip(np.percentile(vals, 97.5) - shift, lo, hi))]


def _clean(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), 6)


def evaluate(samples: Sequence[VoxelGrid], reference: Sequence[VoxelGrid], *, seed: int = 0,
             n_boot: int = 200, features: bool = True,
             feature_fn: Callable[[M.GridBatch], tuple[np.ndarray, np.ndarray]] | None = None,
             feature_net: str | None = None, train: Sequence[VoxelGrid] = ()) -> dict:
    """Score ``samples`` against ``reference`` (the training structures) and build the JSON report.

    Args:
        samples: generated structures.
        reference: real structures (the training set); at least 4.
        seed: seeds the half split and the bootstrap.
        n_boot: bootstrap resamples for the confidence intervals (0: no intervals).
        features: compute the learned-feature metrics (FID, KID, precision/recall, label TV).
        feature_fn: ``batch -> (features (N, D), class probabilities (N, L))``; default: the
            feature net at ``feature_net`` (:func:`mcgen.evaluate.features.extract`).
        feature_net: path of the feature net (default: the synthetic one).
        train: the training builds, when ``reference`` is a held-out set: novelty (near copies,
            novelty IoU) of the samples and of the baseline half is then measured against them.

    Returns:
        The report dict (see the module docstring); missing values are ``None``.

    Raises:
        EvaluationError: no samples, or fewer than 4 reference structures.
    """
    if not samples:
        raise EvaluationError("no samples to evaluate")
    if len(reference) < 4:
        raise EvaluationError(f"need at least 4 reference structures for the real-vs-real baseline, got {len(reference)}")
    smp, ref, trn = _stack_all(samples, reference, train)
    s_side, r_side, info, num_labels = _sides(smp, ref, features, feature_fn, feature_net)
    t_side = _Side.of(trn) if trn is not None else None
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(ref))
    half = len(ref) // 2
    a_idx, b_idx = perm[:min(half, len(smp))], perm[half:]
    half_b = r_side.take(b_idx)
    main = _Pair(s_side, half_b, num_labels, train=t_side or r_side)  # same reference half as the baseline
    base = _Pair(r_side.take(a_idx), half_b, num_labels, train=t_side)
    report: dict = {"format": "mcgen.evaluation", "version": 1, "n_samples": len(smp), "n_reference": len(ref),
                    "n_train": len(train),
                    "n_baseline": [len(a_idx), len(b_idx)], "protocol": PROTOCOL,
                    "grid": list(smp.blocks.shape[1:]), "seed": seed, "bootstrap": n_boot, "feature_net": info,
                    "mcgen_version": mcgen.__version__}
    for name in CONTRACT_KEYS + EXTRA_KEYS:
        report[name] = _entry(main, base, name, n_boot, rng)
    report["targets"] = targets(report)
    return report


def _entry(main: _Pair, base: _Pair, name: str, n_boot: int, rng: np.random.Generator) -> dict:
    """``{"samples", "baseline", "ci"}`` for one metric (all ``None`` when it cannot be computed)."""
    if name in FEATURE_KEYS and main.s.feats is None:
        return {"samples": None, "baseline": None, "ci": [None, None]}
    value = main.value(name, np.arange(len(main.s.fill)))
    ci = _bootstrap(main, name, value, n_boot, rng)
    return {"samples": _clean(value), "baseline": _clean(base.value(name, np.arange(len(base.s.fill)))),
            "ci": [_clean(ci[0]), _clean(ci[1])]}


def _sides(smp: M.GridBatch, ref: M.GridBatch, features: bool, feature_fn: Callable | None,
           feature_net: str | None = None) -> tuple[_Side, _Side, dict | None, int]:
    if not features:
        return _Side.of(smp), _Side.of(ref), None, 0
    info = None
    if feature_fn is None:
        from mcgen.evaluate import features as F  # torch, imported only when features are wanted

        feature_fn = lambda b: F.extract(b, feature_net)  # noqa: E731
        info = F.net_info(feature_net)
    fs, ps = feature_fn(smp)
    fr, pr = feature_fn(ref)
    num_labels = ps.shape[1]
    return (_Side.of(smp, fs, ps.argmax(1)), _Side.of(ref, fr, pr.argmax(1)), info, num_labels)


def targets(report: dict) -> dict:
    """The issue's quality targets, checked: plausible >= 0.95; block-histogram and feature
    distance within 2x the real-vs-real baseline; fewer than 5% near-copies.

    A check whose numbers are missing has ``"pass": None``.
    """
    def ratio_check(key: str) -> dict:
        v, b = report[key]["samples"], report[key]["baseline"]
        ok = None if v is None or b is None else bool(v <= 2 * max(b, 1e-9))
        return {"rule": "<= 2x baseline", "value": v, "baseline": b, "pass": ok}

    def abs_check(key: str, rule: str, fn: Callable[[float], bool]) -> dict:
        v = report[key]["samples"]
        return {"rule": rule, "value": v, "pass": None if v is None else bool(fn(v))}

    return {"plausible": abs_check("plausible", ">= 0.95", lambda v: v >= 0.95),
            "hist_tv": ratio_check("hist_tv"), "fid": ratio_check("fid"),
            "near_copies": abs_check("near_copies", "< 0.05", lambda v: v < 0.05)}


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.4f}" if abs(v) < 100 else f"{v:.1f}"


def format_table(report: dict) -> str:
    """A plain-text table of the report (one line per metric, then the target checks)."""
    head = f"{'metric':<13} {'samples':>9} {'baseline':>9}  {'95% CI':<19} {'better':<6} meaning"
    lines = [f"samples: {report['n_samples']}   reference: {report['n_reference']}   "
             f"baseline: reference half vs half {tuple(report.get('n_baseline', ()))}"
             + (f"   novelty vs {report['n_train']} training builds" if report.get("n_train") else "")]
    net = report.get("feature_net")
    if net:
        acc = net.get("heldout_accuracy")
        lines.append(f"feature net: {net.get('file')} ({net.get('trained_on', 'synthetic archetypes')}"
                     + (f"; held-out accuracy {acc:.3f}" if isinstance(acc, (int, float)) else "")
                     + (f"; {net['chosen']}" if net.get("chosen") else "") + ")")
    lines += [head, "-" * len(head)]
    for name in CONTRACT_KEYS + EXTRA_KEYS:
        e = report.get(name)
        if e is None:
            continue
        better, desc = DESCRIPTIONS[name]
        ci = f"[{_fmt(e['ci'][0])}, {_fmt(e['ci'][1])}]"
        lines.append(f"{name:<13} {_fmt(e['samples']):>9} {_fmt(e['baseline']):>9}  {ci:<19} {better:<6} {desc}")
    lines.append("")
    for key, t in report.get("targets", {}).items():
        verdict = {True: "PASS", False: "FAIL", None: "n/a"}[t["pass"]]
        lines.append(f"target {key:<12} {t['rule']:<16} {_fmt(t['value']):>9}  {verdict}")
    return "\n".join(lines)


def quick_eval(samples: Sequence[VoxelGrid], reference: Sequence[VoxelGrid]) -> dict[str, float | None]:
    """Cheap metrics for a training run's ``--eval-every`` hook: no learned features, no bootstrap.

    Well under a second for 8 samples against 64 reference structures of 16^3.

    Returns:
        Flat dict of floats (``None`` where undefined): plausible, connected, grounded, unsupported,
        empty, fill_mean, hist_tv, fill_w1, height_w1, novelty_iou, near_copies, shape_copies,
        pairwise_iou.

    Raises:
        EvaluationError: no samples or no reference structures.
    """
    if not samples or not reference:
        raise EvaluationError("quick_eval needs at least one sample and one reference structure")
    smp, ref, _ = _stack_all(samples, reference)
    pair = _Pair(_Side.of(smp), _Side.of(ref))
    idx = np.arange(len(smp))
    out: dict[str, float | None] = {}
    for name in ("plausible", "connected", "grounded", "unsupported", "empty", "hist_tv", "fill_w1",
                 "height_w1", "novelty_iou", "near_copies", "shape_copies", "pairwise_iou"):
        out[name] = _clean(pair.value(name, idx))
    out["fill_mean"] = _clean(float(pair.s.fill.mean()))
    return out
