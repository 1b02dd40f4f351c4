"""Errors the studio answers with a 4xx status (one line, like every :class:`McgenError`)."""

from __future__ import annotations

from mcgen.errors import McgenError


class RequestError(McgenError):
    """A request the studio refuses; ``status`` is the HTTP status it answers with."""

    status = 400


class NotFound(RequestError):
    """No such model, world, structure or job."""

    status = 404


class Forbidden(RequestError):
    """Outside what this server may touch (a name leaving its folder, pastes not configured)."""

    status = 403


class TooLarge(RequestError):
    """A body or structure over the server's limits."""

    status = 413


def http_status(exc: McgenError) -> int:
    """The HTTP status for an error raised while handling a request."""
    from mcgen.errors import FileIOError, WorldError  # noqa: PLC0415

    if isinstance(exc, RequestError):
        return exc.status
    if isinstance(exc, FileIOError):
        return 500
    if isinstance(exc, WorldError):
        return 409
    return 400
