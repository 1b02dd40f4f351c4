"""``mcgen studio``: a local web app and JSON API over the library (generate, complete, preview,
export, material lists, world pastes).

Layout: :mod:`~mcgen.studio.config` (settings), :mod:`~mcgen.studio.engine` (the one module that
calls the model and generation code), :mod:`~mcgen.studio.jobs` (one worker thread, a queue),
:mod:`~mcgen.studio.service` (what each request does) with :mod:`~mcgen.studio.pasting` (the
paste and restore jobs), :mod:`~mcgen.studio.store` (structures held in memory),
:mod:`~mcgen.studio.folders` (names from requests to files in the configured folders),
:mod:`~mcgen.studio.uploads` (bounded decoding), :mod:`~mcgen.studio.guard` (Host / Origin /
body-size checks), :mod:`~mcgen.studio.schemas` and :mod:`~mcgen.studio.api` (the JSON API),
:mod:`~mcgen.studio.errors` (4xx errors), :mod:`~mcgen.studio.app` (assembly, error handlers) and
:mod:`~mcgen.studio.server` (uvicorn). The page is ``assets/`` (it reuses the viewer's WebGL code).

Importing this package is light: FastAPI, uvicorn and torch are imported by the modules that
need them, never here.
"""

from __future__ import annotations

from mcgen.studio.config import StudioConfig

__all__ = ["StudioConfig"]
