"""The studio's settings: one frozen dataclass, checked when it is made."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from mcgen.errors import ConfigError

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class StudioConfig:
    """Settings of one studio server.

    Attributes:
        host: address to bind (default loopback only).
        port: TCP port (0 = any free one; the server reports the one it got).
        models_dir: folder of ``*.pt`` checkpoints, offered by file stem (None: no models).
        worlds_dir: the only folder of saves the studio may paste into (None: no pastes).
        max_upload_bytes: largest request body accepted (structure uploads).
        max_cells: largest structure volume accepted from an upload.
        max_count: most structures one generate / complete job may make.
        max_steps: most sampler steps a job may ask for.
        max_queue: jobs waiting at most (more are refused with 429).
        threads: torch threads of the worker (None: all cores).
        keep_backups: backups each world keeps after a paste (None: ``$MCGEN_KEEP_BACKUPS`` or 10).
        allow_hosts: extra ``Host`` names (without port) accepted besides the loopback names.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    models_dir: Path | None = None
    worlds_dir: Path | None = None
    max_upload_bytes: int = 32 * 1024 * 1024
    max_cells: int = 128 * 128 * 128
    max_count: int = 16
    max_steps: int = 1000
    max_queue: int = 32
    threads: int | None = None
    keep_backups: int | None = None
    allow_hosts: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"--port must be in 0..65535, got {self.port}")
        for name in ("max_upload_bytes", "max_cells", "max_count", "max_steps", "max_queue"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"--threads must be >= 1, got {self.threads}")
        if self.keep_backups is not None and self.keep_backups < 0:
            raise ConfigError(f"--keep-backups must be >= 0 (0 keeps all), got {self.keep_backups}")
        for label, folder in (("--models", self.models_dir), ("--worlds", self.worlds_dir)):
            if folder is not None and not Path(folder).is_dir():
                raise ConfigError(f"{label} must be an existing folder", path=folder)

    @property
    def loopback(self) -> bool:
        """Whether the server is reachable from this machine only."""
        return is_loopback(self.host)

    def host_names(self, port: int) -> frozenset[str]:
        """``Host`` header values (``name:port``) that address this server, lower case."""
        names = set(LOOPBACK_NAMES) | {h.lower() for h in self.allow_hosts}
        if self.host not in ("0.0.0.0", "::", ""):
            names.add(f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host.lower())
        with_port = {f"{n}:{port}" for n in names}
        return frozenset(with_port | names if port == 80 else with_port)  # browsers leave out port 80

    def torch_threads(self) -> int:
        """The worker's torch thread count."""
        return self.threads or max(1, os.cpu_count() or 1)
