"""Assembly: the FastAPI app (pages, assets, API, error handlers) behind the :class:`Guard`.

Every error leaves as ``{"error": "<one line>"}``: our errors with their 4xx status, FastAPI's
validation errors as 422 naming the first bad field, unknown paths 404, a wrong method 405, and a
bug 500 with no traceback (that goes to the server's log). The Swagger page is left out: it loads
its scripts from the network; the schema itself is at ``/openapi.json``.
"""

from __future__ import annotations

import logging
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

import mcgen
from mcgen.errors import McgenError
from mcgen.studio.api import router
from mcgen.studio.config import StudioConfig
from mcgen.studio.errors import NotFound, TooLarge, http_status
from mcgen.studio.folders import ModelSource
from mcgen.studio.guard import Guard
from mcgen.studio.service import Studio

log = logging.getLogger("mcgen.studio")
# name -> (package, media type); the viewer's WebGL code is served from mcgen.view, unchanged
ASSETS = {
    "studio.js": ("mcgen.studio", "text/javascript"),
    "studio.css": ("mcgen.studio", "text/css"),
    "gl.js": ("mcgen.view", "text/javascript"),
}
_NO_CACHE = {"cache-control": "no-store"}


def _asset(package: str, name: str) -> str:
    return (resources.files(package) / "assets" / name).read_text(encoding="utf-8")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": " ".join(str(message).split()) or "error"}, status_code=status, headers=_NO_CACHE)


def _validation_text(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid request"
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(McgenError)
    async def mcgen_error(request: Request, exc: McgenError) -> JSONResponse:
        return _error(http_status(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _validation_text(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, TooLarge):  # a JSON body over the cap, found while FastAPI parsed it
            return _error(413, str(exc.__cause__))
        if exc.status_code == 404:
            return _error(404, f"not found: {request.url.path}")
        if exc.status_code == 405:
            allowed = exc.headers.get("Allow", "") if exc.headers else ""
            return _error(405, f"{request.method} is not allowed on {request.url.path}"
                          + (f"; use {allowed}" if allowed else ""))
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return _error(500, f"internal error ({type(exc).__name__}); the server log has the details")


def create_app(config: StudioConfig, models: ModelSource | None = None) -> tuple[Guard, Studio]:
    """The ASGI app for ``config`` (wrapped in its :class:`Guard`) and the :class:`Studio` behind it;
    ``models`` replaces the models folder as the source of models (a registry, say).

    The guard's accepted ``Host`` names are set for ``config.port``; a server that binds port 0
    sets them again once it knows its port (:func:`mcgen.studio.server.serve`).
    """
    studio = Studio(config, models)
    app = FastAPI(title="mcgen studio", version=mcgen.__version__, docs_url=None, redoc_url=None,
                  description="Generate, complete, preview, export and paste Minecraft builds with mcgen. "
                  "Long work (generate, complete, paste, restore) is a job: POST returns 202 and the job, "
                  "poll GET /api/jobs/{id}. Errors are {\"error\": \"one line\"}.")
    app.state.studio = studio
    _handlers(app)
    app.include_router(router)

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(_asset("mcgen.studio", "index.html"), headers=_NO_CACHE)

    @app.get("/assets/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        if name not in ASSETS:
            raise NotFound(f"no asset {name!r}")
        package, media = ASSETS[name]
        return Response(_asset(package, name), media_type=media, headers=_NO_CACHE)

    @app.get("/api", tags=["server"], summary="What this API offers")
    def api_index() -> dict:
        paths = app.openapi()["paths"]
        return {"name": "mcgen studio", "version": mcgen.__version__, "openapi": "/openapi.json",
                "endpoints": sorted(f"{m.upper()} {p}" for p, ops in paths.items() for m in ops)}

    guard = Guard(app, max_body=config.max_upload_bytes, hosts=config.host_names(config.port))
    return guard, studio
