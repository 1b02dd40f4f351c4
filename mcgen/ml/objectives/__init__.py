"""The objectives, by name: a registry of (config class, objective class) pairs.

Adding an objective is a module here with a frozen config dataclass (``to_dict`` / ``from_dict``)
and a class that satisfies :class:`.base.Objective`, plus one entry in :data:`OBJECTIVES`.
"""

from __future__ import annotations

from typing import Any

from mcgen.errors import ConfigError
from mcgen.ml.objectives.base import Objective
from mcgen.ml.objectives.gaussian import DiffusionConfig, GaussianObjective
from mcgen.ml.objectives.masked import MaskedConfig, MaskedObjective

ObjectiveConfig = DiffusionConfig | MaskedConfig
# kind -> (config class, objective class); the kind is what checkpoints store as ``objective``
OBJECTIVES: dict[str, tuple[type, type]] = {
    "gaussian": (DiffusionConfig, GaussianObjective),
    "masked": (MaskedConfig, MaskedObjective),
}


def objective_kind(cfg: ObjectiveConfig) -> str:
    """The kind whose config class ``cfg`` is (``"gaussian"`` or ``"masked"``)."""
    for kind, (cfg_cls, _) in OBJECTIVES.items():
        if isinstance(cfg, cfg_cls):
            return kind
    raise ConfigError(f"not an objective config: {type(cfg).__name__}")


def make_objective(cfg: ObjectiveConfig) -> Objective:
    """The objective for a config (its class says which)."""
    return OBJECTIVES[objective_kind(cfg)][1](cfg)


def objective_config(kind: str, d: dict[str, Any]) -> ObjectiveConfig:
    """Config of objective ``kind`` from a plain dict (``{}`` = the defaults).

    Raises:
        ConfigError: unknown kind, unknown keys or bad values.
    """
    if kind not in OBJECTIVES:
        raise ConfigError(f"unknown objective {kind!r}; choose one of {', '.join(OBJECTIVES)}")
    return OBJECTIVES[kind][0].from_dict(d)


__all__ = ["OBJECTIVES", "DiffusionConfig", "MaskedConfig", "Objective", "ObjectiveConfig", "make_objective",
           "objective_config", "objective_kind"]
