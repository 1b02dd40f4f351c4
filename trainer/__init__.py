"""The mcgen trainer: ``train(cfg)`` runs a whole training run (single process or under torchrun).

``mcgen train`` is the usual way in; ``torchrun --nproc_per_node=K -m trainer ...`` takes the same
flags. This package imports torch; ``mcgen`` imports it only inside the ``train`` command.
"""

from __future__ import annotations

from typing import Any

from trainer.config import TrainConfig, build_config

__all__ = ["TrainConfig", "build_config", "train"]


def train(cfg: TrainConfig, progress: bool = True) -> dict[str, Any]:
    """Run training; see :func:`trainer.loop.train`."""
    from trainer.loop import train as _train

    return _train(cfg, progress=progress)
