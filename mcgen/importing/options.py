"""The settings and shared types of an import: options, world boxes, the size-limit error, progress.

The lowest module of the import: the per-build steps (:mod:`mcgen.importing.pipeline`), the
world reader (:mod:`mcgen.importing.world`), the engine and the entry functions all take their
types from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mcgen.errors import ConfigError, FormatError
from mcgen.export.modblocks import SOLID_FILLS
from mcgen.importing.fit import FIT_MODES
from mcgen.importing.series import LABEL_SOURCES, SPLITS

SIZES = (16, 32)

Progress = Callable[[str, str, str], None]  # (event, source, detail); events: ok, skip, drop


class TooLarge(FormatError):
    """A build over the per-axis size limit (refused before loading when the header tells)."""


@dataclass(frozen=True)
class WorldBox:
    """A region of a Java world save to import as one build (corners inclusive)."""

    world: Path
    box: tuple[int, int, int, int, int, int]

    def __str__(self) -> str:
        return f"{self.world} box {' '.join(map(str, self.box))}"


@dataclass(frozen=True)
class ImportOptions:
    """Settings of one import (see ``mcgen dataset import --help``).

    Raises:
        ConfigError: a value out of range or an unknown mode.
    """

    size: int = 32
    fit: str = "scale"
    vocab: str = "default"
    min_blocks: int = 20
    max_size: int = 256
    keep_ground: bool = False
    label_from: str = "name"
    split_by: str = "none"
    held_out: float = 0.0
    solid_fill: str = "ground"
    workers: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ConfigError(f"--size must be one of {', '.join(map(str, SIZES))}, got {self.size}")
        if self.fit not in FIT_MODES:
            raise ConfigError(f"--fit must be one of {', '.join(FIT_MODES)}, got {self.fit!r}")
        if self.min_blocks < 0:
            raise ConfigError(f"--min-blocks must be >= 0, got {self.min_blocks}")
        if self.max_size < 1:
            raise ConfigError(f"--max-size must be >= 1, got {self.max_size}")
        if self.label_from not in LABEL_SOURCES:
            raise ConfigError(f"--label-from must be one of {', '.join(LABEL_SOURCES)}, got {self.label_from!r}")
        if self.split_by not in SPLITS:
            raise ConfigError(f"--split-by must be one of {', '.join(SPLITS)}, got {self.split_by!r}")
        if not 0.0 <= self.held_out < 1.0:
            raise ConfigError(f"--held-out must be in [0, 1), got {self.held_out}")
        if self.held_out > 0 and self.split_by == "none":
            raise ConfigError("--held-out needs --split-by series")
        if self.solid_fill not in SOLID_FILLS:
            raise ConfigError(f"--solid-fill must be one of {', '.join(SOLID_FILLS)}, got {self.solid_fill!r}")
        if self.workers < 1:
            raise ConfigError(f"--workers must be >= 1, got {self.workers}")
        self.auto_k()  # validates the spec

    def auto_k(self) -> int | None:
        """K of ``auto:K``; ``None`` for the default vocabulary."""
        if self.vocab == "default":
            return None
        head, _, k = self.vocab.partition(":")
        if head != "auto" or not k.isdigit() or int(k) < 2 or int(k) > 4096:
            raise ConfigError(f"--vocab must be 'default' or 'auto:K' with 2 <= K <= 4096, got {self.vocab!r}")
        return int(k)
