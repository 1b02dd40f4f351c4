"""Error types. Every error mcgen raises on purpose derives from :class:`McgenError`.

The CLI prints ``mcgen: error: <message>`` and exits with ``exit_code``:
2 usage, 3 bad input/config/checkpoint, 4 file or world I/O. Anything else is a bug.
"""

from __future__ import annotations


class McgenError(Exception):
    """Base class: a user-facing problem that reads as one line."""

    exit_code = 3

    def __init__(self, message: str, *, path: object | None = None) -> None:
        self.path = path
        if path is not None:
            message = f"{path}: {message}"
        super().__init__(" ".join(str(message).split()))


class UsageError(McgenError):
    """Bad combination of command-line options."""

    exit_code = 2


class ConfigError(McgenError):
    """An invalid configuration value (flag, TOML, dataclass field)."""


class BlockStateError(McgenError):
    """A block-state string that is not canonical ``namespace:id[k=v,...]``."""


class FormatError(McgenError):
    """A structure file that cannot be read: wrong format, corrupt, or an unsupported variant."""


class CheckpointError(McgenError):
    """A checkpoint that is missing, truncated, not ours, too new, or inconsistent."""


class ExportError(McgenError):
    """A structure that cannot be written in the requested format or game version."""


class FileIOError(McgenError):
    """Reading or writing a file failed (permissions, disk full, missing folder)."""

    exit_code = 4


class WorldError(McgenError):
    """A world save that cannot be opened or written safely."""

    exit_code = 4
