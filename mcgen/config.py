"""Shared plumbing for the frozen config dataclasses (ModelConfig, DiffusionConfig, ...)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

from mcgen.errors import ConfigError

T = TypeVar("T")


def dataclass_from_dict(cls: type[T], d: Any, what: str) -> T:
    """Build the dataclass ``cls`` from a plain dict, rejecting unknown keys.

    Args:
        cls: a dataclass whose ``__post_init__`` validates the values.
        d: the dict (e.g. from a checkpoint).
        what: name used in messages, e.g. ``"model config"``.

    Raises:
        ConfigError: not a dict, unknown keys, or invalid values.
    """
    if not isinstance(d, dict):
        raise ConfigError(f"{what} must be a dict, got {type(d).__name__}")
    unknown = sorted(set(d) - {f.name for f in fields(cls)})  # type: ignore[arg-type]
    if unknown:
        raise ConfigError(f"unknown {what} keys: {', '.join(unknown)}")
    try:
        return cls(**d)
    except TypeError as exc:
        raise ConfigError(f"bad {what}: {exc}") from exc
