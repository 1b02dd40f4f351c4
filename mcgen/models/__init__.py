"""Shipped models: the registry of trained checkpoints that install with mcgen, usable by name.

:mod:`mcgen.models.registry` holds the table and the one resolution rule (a file, else a shipped
name, else an error listing the names); the files themselves live in ``mcgen/models/files/``.
Code looks the table up through :func:`current` (tests swap ``registry.REGISTRY``). No torch:
listing and verifying the models is hashlib and pathlib.
"""

from mcgen.models.registry import (
    MODELS,
    Registry,
    ShippedModel,
    current,
    file_sha256,
    resolve_checkpoint,
    shipped_name,
    unknown_message,
)

__all__ = ["MODELS", "Registry", "ShippedModel", "current", "file_sha256", "resolve_checkpoint",
           "shipped_name", "unknown_message"]
