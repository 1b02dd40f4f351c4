"""Running the studio: bind the socket (so port 0 works and the URL is known), then uvicorn."""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable

from mcgen.errors import ConfigError
from mcgen.studio.config import StudioConfig
from mcgen.studio.folders import ModelSource


def url_host(host: str) -> str:
    """How a URL names ``host`` (a wildcard address becomes 127.0.0.1, IPv6 gets brackets)."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def bind(config: StudioConfig) -> socket.socket:
    """A listening socket on ``config.host``/``config.port``.

    Raises:
        ConfigError: the address cannot be used (port taken, no such address).
    """
    host = config.host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, config.port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}") from exc
    return sock


def serve(config: StudioConfig, *, on_ready: Callable[[str], None] | None = None, log_level: str = "warning",
          models: ModelSource | None = None) -> None:
    """Run the studio until interrupted (Ctrl-C / SIGTERM stop it cleanly).

    Args:
        config: the settings.
        models: where the models come from (``None``: the ``config.models_dir`` folder alone).
        on_ready: called with the URL once the socket listens (before the first request).
        log_level: uvicorn's log level.

    Raises:
        ConfigError: the address cannot be used.
    """
    import uvicorn  # noqa: PLC0415

    from mcgen.studio.app import create_app  # noqa: PLC0415

    logging.getLogger("mcgen.studio").setLevel(logging.INFO)
    sock = bind(config)
    port = sock.getsockname()[1]
    guard, studio = create_app(config, models)
    guard.hosts = config.host_names(port)
    studio.jobs.start()
    url = f"http://{url_host(config.host)}:{port}/"
    server = uvicorn.Server(uvicorn.Config(guard, log_level=log_level, access_log=False, lifespan="off",
                                           timeout_graceful_shutdown=2, server_header=False))
    try:
        if on_ready is not None:
            on_ready(url)
        server.run(sockets=[sock])
    finally:
        studio.close()
        sock.close()
