"""Bedrock block states for the ``.mcstructure`` reader and writer.

The Java -> Bedrock table itself, and :func:`reconnect` (fence/pane connections recomputed after
reading, since Bedrock does not store them), live in :mod:`mcgen.bedrock_blocks` (the numpy
core), because Bedrock world pastes (:mod:`mcgen.world`) use the same table and ``world`` never
imports ``export``. This module re-exports them for the format code.
"""

from __future__ import annotations

from mcgen.bedrock_blocks import (BLOCK_VERSION, COLORS, WATER, WOODS, BedrockState, native_state, reconnect,
                                  to_bedrock, to_java, unmapped)

__all__ = ["BLOCK_VERSION", "COLORS", "WATER", "WOODS", "BedrockState", "native_state", "reconnect", "to_bedrock",
           "to_java", "unmapped"]
