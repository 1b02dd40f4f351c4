"""Self-describing checkpoints: plain values and tensors only, so ``weights_only=True`` loads them.

Layout (a dict saved with ``torch.save``)::

    {"format": "mcgen.checkpoint", "format_version": 1, "mcgen_version": "0.1.0",
     "model_config": {...}, "objective": "gaussian" | "masked", "diffusion_config": {...},
     "vocabulary": ["minecraft:air", ...], "label_names": ["house", ...],
     "ema": {param name: tensor}, "step": int,
     "train": {...} | None,      # trainer-owned resume state (tensors / plain values)
     "extra": {...} | None,
     "tokenizer": {"config": {...}, "weights": {...}, "sha256": str, ...} | None}   # latent models

A **latent** checkpoint (format 5) carries the voxel tokenizer whose codes its DiT generates
(:mod:`mcgen.ml.latent`): the DiT's ``model_config`` is then over the latent grid and the codes,
``vocabulary`` stays the block states (the tokenizer's), and the tokenizer's weights are checked
against their recorded sha256 on loading.

``diffusion_config`` holds the settings of the objective that ``objective`` names (``objective``
is absent in format 1-2 checkpoints, which are all Gaussian). Parameter names are the raw module's
(``_orig_mod.`` / ``module.`` prefixes stripped).
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

import mcgen
from mcgen.errors import CheckpointError, ConfigError
from mcgen.fsutil import atomic_write_bytes
from mcgen.ml.config import ModelConfig, TokenizerConfig
from mcgen.ml.latent import LatentObjective
from mcgen.ml.heads import RENAMED_PARAMETERS
from mcgen.ml.network import DiT3D, build_model
from mcgen.ml.objectives import Objective, ObjectiveConfig, make_objective, objective_config, objective_kind
from mcgen.ml.tokenizer import VoxelTokenizer, tokenizer_from_dict, weights_sha256

FORMAT = "mcgen.checkpoint"
# 2: the model config gained ``activation`` (format 1 checkpoints load with the tanh GELU they used)
# 3: ``objective`` (gaussian / masked); the model config gained ``mask_token``
# 4: the output head is a module of its own (``final_linear.*`` -> ``head.linear.*``); the model
#    config gained ``head``
# 5: optional ``tokenizer`` section (a latent model)
FORMAT_VERSION = 5
_PREFIXES = ("_orig_mod.", "module.")
_PLAIN = (bool, int, float, str, type(None), torch.Tensor, torch.dtype, torch.device)


def strip_prefixes(state: dict[str, Any]) -> dict[str, Any]:
    """Drop ``torch.compile`` (``_orig_mod.``) and DDP (``module.``) prefixes from state-dict keys."""
    out = {}
    for key, value in state.items():
        changed = True
        while changed:
            changed = False
            for p in _PREFIXES:
                if key.startswith(p):
                    key, changed = key[len(p):], True
        out[key] = value
    return out


def upgrade_parameter_names(state: dict[str, Any]) -> dict[str, Any]:
    """Parameter names of earlier checkpoint formats -> today's (:data:`mcgen.ml.heads.RENAMED_PARAMETERS`)."""
    out = {}
    for key, value in state.items():
        for old, new in RENAMED_PARAMETERS.items():
            if key.startswith(old):
                key = new + key[len(old):]
        out[key] = value
    return out


def _check_plain(obj: Any, where: str) -> None:
    """Refuse anything ``weights_only`` loading would reject (arbitrary objects)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, (str, int)):
                raise CheckpointError(f"checkpoint key {where}[{k!r}] must be a str or int")
            _check_plain(v, f"{where}[{k!r}]")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _check_plain(v, f"{where}[{i}]")
    elif not isinstance(obj, _PLAIN):
        raise CheckpointError(f"checkpoint value {where} is a {type(obj).__name__}; only tensors and plain values")


def save_checkpoint(
    path: str | os.PathLike,
    *,
    model_cfg: ModelConfig,
    diffusion_cfg: ObjectiveConfig,
    vocabulary: list[str],
    label_names: list[str],
    ema_state: dict[str, torch.Tensor],
    step: int,
    train_state: dict | None = None,
    extra: dict | None = None,
    tokenizer: dict | None = None,
) -> None:
    """Write a checkpoint atomically (temp file + rename).

    ``tokenizer`` is a latent model's tokenizer section (``TokenizerFile.embedded()``); the
    vocabulary is then the tokenizer's block states.

    Raises:
        CheckpointError: a value is not a tensor / plain Python value, or the vocabulary or
            label list does not match the model config.
        FileIOError: the file cannot be written.
    """
    states = TokenizerConfig.from_dict(tokenizer["config"]).vocab_size if tokenizer else model_cfg.vocab_size
    if len(vocabulary) != states:
        raise CheckpointError(f"vocabulary has {len(vocabulary)} states, model expects {states}")
    if len(label_names) != model_cfg.num_labels:
        raise CheckpointError(f"{len(label_names)} label names, model expects {model_cfg.num_labels}")
    if train_state is not None and isinstance(train_state.get("model"), dict):
        train_state = {**train_state, "model": strip_prefixes(train_state["model"])}
    payload = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "mcgen_version": mcgen.__version__,
        "model_config": model_cfg.to_dict(), "objective": objective_kind(diffusion_cfg),
        "diffusion_config": diffusion_cfg.to_dict(),
        "vocabulary": list(vocabulary), "label_names": list(label_names),
        "ema": {k: v.detach().cpu() for k, v in strip_prefixes(ema_state).items()},
        "step": int(step), "train": train_state, "extra": extra,
    }
    if tokenizer is not None:
        payload["tokenizer"] = tokenizer
    _check_plain(payload, "checkpoint")
    buf = io.BytesIO()
    torch.save(payload, buf)
    atomic_write_bytes(path, buf.getvalue())


@dataclass
class Checkpoint:
    """A loaded, validated checkpoint (see module docstring for the file layout)."""

    model_cfg: ModelConfig
    diffusion_cfg: ObjectiveConfig  # the objective's settings (either kind)
    vocabulary: list[str]
    label_names: list[str]
    ema_state: dict[str, torch.Tensor]
    step: int
    train_state: dict | None = None
    mcgen_version: str = ""
    extra: dict | None = None
    path: str = field(default="")
    tokenizer: dict | None = None  # a latent model's tokenizer section (config, float32 weights, sha256)
    _models: dict[str, DiT3D] = field(default_factory=dict, repr=False, compare=False)
    _tokenizer: VoxelTokenizer | None = field(default=None, repr=False, compare=False)

    def sampling_defaults(self) -> dict[str, Any]:
        """The sampler settings this model recommends (``extra["sampling"]``, written by ``mcgen models
        pack --sampler/--temperature/--steps``): ``sampler``, ``num_steps``, ``temperature``, each
        optional. Settings a user gives win; a model without them uses its objective's defaults."""
        d = (self.extra or {}).get("sampling")
        if not isinstance(d, dict):
            return {}
        kinds = {"sampler": str, "num_steps": int, "temperature": (int, float)}
        return {k: d[k] for k, kind in kinds.items() if isinstance(d.get(k), kind) and not isinstance(d.get(k), bool)}

    @property
    def latent(self) -> bool:
        """Whether the DiT generates a tokenizer's codes (a latent model)."""
        return self.tokenizer is not None

    @property
    def grid_size(self) -> int:
        """Edge of the block grids this model makes (a latent model's DiT runs on a smaller grid)."""
        if self.tokenizer is not None:
            return int(self.tokenizer["config"]["grid_size"])
        return self.model_cfg.grid_size

    def tokenizer_module(self) -> VoxelTokenizer:
        """A latent model's tokenizer (built once per loaded checkpoint, frozen)."""
        if self.tokenizer is None:
            raise ConfigError("this checkpoint has no tokenizer: it generates voxels directly")
        if self._tokenizer is None:
            tok = VoxelTokenizer(TokenizerConfig.from_dict(self.tokenizer["config"]))
            tok.load_state_dict(self.tokenizer["weights"], strict=True)
            self._tokenizer = tok.eval().requires_grad_(False)
        return self._tokenizer

    def build_model(self, device: torch.device | str = "cpu") -> DiT3D:
        """A new EMA model on ``device``, in eval mode (yours to change or train)."""
        model = build_model(self.model_cfg)
        model.load_state_dict(self.ema_state, strict=True)
        return model.to(device).eval()

    def eval_model(self, device: torch.device | str = "cpu") -> DiT3D:
        """The EMA model on ``device`` for sampling, built once per device and kept with this
        checkpoint: sampling again from one loaded checkpoint (the studio, a demo row of styles)
        does not build it again. Never train or change it; :meth:`build_model` gives a copy of your own."""
        key = str(torch.device(device))
        if key not in self._models:
            self._models[key] = self.build_model(device)
        return self._models[key]

    def objective(self) -> Objective:
        """The objective this model was trained with (training loss and samplers); a latent model's
        works in block grids through its tokenizer (:class:`~mcgen.ml.latent.LatentObjective`)."""
        objective = make_objective(self.diffusion_cfg)
        return LatentObjective(objective, self.tokenizer_module()) if self.tokenizer is not None else objective


def _read(path: Path, map_location: Any) -> Any:
    if not path.exists():
        raise CheckpointError("no such checkpoint file", path=path)
    if not path.is_file():
        raise CheckpointError("not a file", path=path)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, zipfile.BadZipFile, EOFError, ValueError, KeyError,
            AttributeError, UnicodeDecodeError, IndexError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise CheckpointError(f"not a readable checkpoint (truncated or not a torch file): {first}",
                              path=path) from exc
    except OSError as exc:
        raise CheckpointError(f"cannot read: {exc.strerror or exc}", path=path) from exc


def _check_weights(cfg: ModelConfig, ema: Any, path: Path) -> None:
    """The EMA state dict must have exactly the model's names and shapes."""
    if not isinstance(ema, dict) or not all(isinstance(v, torch.Tensor) for v in ema.values()):
        raise CheckpointError("EMA weights missing or not a dict of tensors", path=path)
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in build_model(cfg).state_dict().items()}
    missing = sorted(set(expected) - set(ema))
    unexpected = sorted(set(ema) - set(expected))
    if missing or unexpected:
        raise CheckpointError(f"weights do not match the model config: missing {missing[:3]}, "
                              f"unexpected {unexpected[:3]}", path=path)
    for k, shape in expected.items():
        if tuple(ema[k].shape) != shape:
            raise CheckpointError(f"weights do not match the model config: {k} has shape "
                                  f"{tuple(ema[k].shape)}, config needs {shape}", path=path)


def _check_lists(d: dict, cfg: ModelConfig, path: Path, states: int) -> tuple[list[str], list[str]]:
    vocab, labels = d.get("vocabulary"), d.get("label_names")
    if not isinstance(vocab, list) or not all(isinstance(s, str) for s in vocab):
        raise CheckpointError("vocabulary missing or not a list of strings", path=path)
    if not isinstance(labels, list) or not all(isinstance(s, str) for s in labels):
        raise CheckpointError("label_names missing or not a list of strings", path=path)
    if len(vocab) != states or not vocab or vocab[0] != "minecraft:air":
        raise CheckpointError(f"vocabulary ({len(vocab)} states) does not match the model "
                              f"(vocab_size {states}, index 0 air)", path=path)
    if len(labels) != cfg.num_labels:
        raise CheckpointError(f"{len(labels)} label names but the model has {cfg.num_labels} labels", path=path)
    return vocab, labels


def _as_float32(ema: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Weights stored at a lower precision (a packed, shipped model) come back as float32."""
    return {k: v.float() if v.is_floating_point() and v.dtype != torch.float32 else v for k, v in ema.items()}


PACK_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}


def pack_checkpoint(src: str | os.PathLike, dst: str | os.PathLike, *, dtype: str = "float16",
                    extra: dict | None = None, sampling: dict | None = None) -> Checkpoint:
    """Write the compact, shareable form of a checkpoint: EMA weights only, cast to ``dtype``.

    The optimizer, the live (non-EMA) weights and the RNG states go, so the file cannot resume a
    run, but it samples, evaluates and fine-tunes (``--init-from``) like the original; loading
    casts the weights back to float32. ``extra`` is merged into the file's ``extra`` (provenance);
    ``sampling`` (``sampler``, ``num_steps``, ``temperature``) becomes the file's recommended sampler
    settings (:meth:`Checkpoint.sampling_defaults`), checked against its objective first.
    Returns the source checkpoint as loaded.

    Raises:
        CheckpointError: ``src`` is not a readable checkpoint.
        ConfigError: ``dtype`` is not one of :data:`PACK_DTYPES`.
        FileIOError: ``dst`` cannot be written.
    """
    if dtype not in PACK_DTYPES:
        raise ConfigError(f"dtype must be one of {', '.join(PACK_DTYPES)}, got {dtype!r}")
    ck = load_checkpoint(src)
    cast = PACK_DTYPES[dtype]
    sampling = {k: v for k, v in (sampling or {}).items() if v is not None}
    if sampling:
        obj = ck.objective()
        obj.check(sampling.get("sampler", obj.default_sampler), sampling.get("num_steps", obj.default_steps))
        if not sampling.get("temperature", 1.0) >= 0:
            raise ConfigError(f"temperature must be >= 0, got {sampling['temperature']}")
        extra = {**(extra or {}), "sampling": sampling}

    def packed(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {k: v.to(cast) if v.is_floating_point() else v for k, v in state.items()}

    tok = None
    if ck.tokenizer is not None:
        w = packed(ck.tokenizer["weights"])
        tok = {**ck.tokenizer, "weights": w, "sha256": weights_sha256(w)}
    save_checkpoint(dst, model_cfg=ck.model_cfg, diffusion_cfg=ck.diffusion_cfg, vocabulary=ck.vocabulary,
                    label_names=ck.label_names, ema_state=packed(ck.ema_state), step=ck.step, train_state=None,
                    extra={**(ck.extra or {}), "packed": {"dtype": dtype, "from_step": ck.step}, **(extra or {})},
                    tokenizer=tok)
    return ck


def load_checkpoint(path: str | os.PathLike, map_location: Any = "cpu") -> Checkpoint:
    """Read and validate a checkpoint; never returns a partial one.

    Raises:
        CheckpointError: missing, truncated, not an mcgen checkpoint, newer format, or
            inconsistent (configs, vocabulary, labels or weight shapes).
    """
    path = Path(path)
    d = _read(path, map_location)
    if isinstance(d, dict) and d.get("format") == "mcgen.tokenizer":
        raise CheckpointError("this is a voxel tokenizer, not a model checkpoint (train a latent model on it with "
                              "`mcgen train --tokenizer`)", path=path)
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise CheckpointError("not an mcgen checkpoint", path=path)
    version = d.get("format_version")
    if not isinstance(version, int):
        raise CheckpointError(f"bad format_version {version!r}", path=path)
    if version > FORMAT_VERSION:
        raise CheckpointError(f"checkpoint format {version} is newer than this mcgen reads ({FORMAT_VERSION}); "
                              f"upgrade mcgen (written by {d.get('mcgen_version', '?')})", path=path)
    try:
        model_cfg = ModelConfig.from_dict(d.get("model_config"))
        kind = d.get("objective", "gaussian")
        diffusion_cfg = objective_config(kind if isinstance(kind, str) else repr(kind), d.get("diffusion_config"))
        if (kind == "masked") != model_cfg.mask_token:
            raise ConfigError(f"a {kind} objective does not fit a model with mask_token={model_cfg.mask_token}")
    except ConfigError as exc:
        raise CheckpointError(f"inconsistent checkpoint: {exc}", path=path) from exc
    tokenizer = _read_tokenizer(d.get("tokenizer"), model_cfg, path)
    states = tokenizer["config"]["vocab_size"] if tokenizer else model_cfg.vocab_size
    vocab, labels = _check_lists(d, model_cfg, path, states)
    ema = d.get("ema")
    if isinstance(ema, dict) and version < 4:
        ema = upgrade_parameter_names(ema)
    _check_weights(model_cfg, ema, path)
    ema = _as_float32(ema)
    step = d.get("step")
    if not isinstance(step, int) or step < 0:
        raise CheckpointError(f"bad step {step!r}", path=path)
    train = d.get("train")
    if train is not None and not isinstance(train, dict):
        raise CheckpointError("train section must be a dict", path=path)
    if train is not None and version < 4 and isinstance(train.get("model"), dict):
        train = {**train, "model": upgrade_parameter_names(train["model"])}
    return Checkpoint(model_cfg, diffusion_cfg, vocab, labels, dict(ema), step, train,
                      str(d.get("mcgen_version", "")), d.get("extra"), str(path), tokenizer)


def _read_tokenizer(section: Any, cfg: ModelConfig, path: Path) -> dict | None:
    """A latent checkpoint's tokenizer section, checked: sha256, shapes, and the DiT's fit to it.

    Raises:
        CheckpointError: damaged weights, bad config, or a DiT that does not fit the tokenizer.
    """
    if section is None:
        return None
    if not isinstance(section, dict) or not isinstance(section.get("weights"), dict):
        raise CheckpointError("the tokenizer section of this checkpoint is not a dict of config and weights",
                              path=path)
    if weights_sha256(section["weights"]) != section.get("sha256"):
        raise CheckpointError("the tokenizer inside this checkpoint is damaged (sha256 mismatch)", path=path)
    tcfg, weights = tokenizer_from_dict(section, path)
    if cfg.vocab_size != tcfg.num_codes or cfg.grid_size != tcfg.latent_grid or not cfg.mask_token:
        raise CheckpointError(f"the DiT (grid {cfg.grid_size}, {cfg.vocab_size} states) does not fit its tokenizer "
                              f"(latent grid {tcfg.latent_grid}, {tcfg.num_codes} codes)", path=path)
    return {**section, "config": tcfg.to_dict(), "weights": weights}
