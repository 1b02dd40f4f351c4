"""The JSON API's routes. Reading is GET; everything that changes state is POST; long work is a job.

Errors are ``{"error": "<one line>"}`` with a 4xx status (see :mod:`mcgen.studio.app`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

import mcgen
from mcgen.studio import schemas as S
from mcgen.studio.errors import NotFound
from mcgen.studio.service import EXPORT_FORMATS, Studio
from mcgen.studio.uploads import display_name, read_upload

router = APIRouter(prefix="/api")
ERRORS = {c: {"model": S.ErrorOut} for c in (400, 403, 404, 409, 413, 422, 429)}


def studio(request: Request) -> Studio:
    return request.app.state.studio


def _accepted(response: Response, job: dict[str, Any]) -> dict[str, Any]:
    response.status_code = 202
    response.headers["Location"] = f"/api/jobs/{job['id']}"
    return job


@router.get("/health", tags=["server"], summary="Server status and queue")
def health(request: Request) -> dict[str, Any]:
    from mcgen.export.versions import DATA_VERSIONS, DEFAULT_MC_VERSION  # noqa: PLC0415

    st = studio(request)
    return {"ok": True, "version": mcgen.__version__, "queue": st.jobs.busy(),
            "models_folder": st.config.models_dir is not None, "worlds_folder": st.config.worlds_dir is not None,
            "limits": {"max_upload_bytes": st.config.max_upload_bytes, "max_cells": st.config.max_cells,
                       "max_count": st.config.max_count, "max_steps": st.config.max_steps},
            "export_formats": list(EXPORT_FORMATS), "mc_versions": list(DATA_VERSIONS),
            "mc_default": DEFAULT_MC_VERSION}


@router.get("/models", tags=["models"], response_model=list[S.ModelOut], summary="Models (checkpoints) to use")
def list_models(request: Request) -> list[dict[str, Any]]:
    return studio(request).models()


@router.get("/worlds", tags=["worlds"], response_model=list[S.WorldOut], responses=ERRORS,
            summary="World saves pastes may go into")
def list_worlds(request: Request) -> list[dict[str, Any]]:
    return studio(request).worlds()


@router.get("/worlds/{name}", tags=["worlds"], responses=ERRORS, summary="A save: version, pastes, backups")
def get_world(request: Request, name: str) -> dict[str, Any]:
    return studio(request).world(name)


@router.post("/worlds/{name}/restore", tags=["worlds"], response_model=S.JobOut, status_code=202, responses=ERRORS,
             summary="Undo a paste: put a backup back (a job)")
def restore_world(request: Request, response: Response, name: str, body: S.RestoreRequest) -> dict[str, Any]:
    return _accepted(response, studio(request).submit_restore(name, body.backup))


@router.post("/generate", tags=["jobs"], response_model=S.JobOut, status_code=202, responses=ERRORS,
             summary="Generate new builds (a job; results appear one by one)")
def generate(request: Request, response: Response, body: S.GenerateRequest) -> dict[str, Any]:
    return _accepted(response, studio(request).submit_generate(body.model_dump()))


@router.post("/complete", tags=["jobs"], response_model=S.JobOut, status_code=202, responses=ERRORS,
             summary="Complete part of a stored structure (a job)")
def complete(request: Request, response: Response, body: S.CompleteRequest) -> dict[str, Any]:
    return _accepted(response, studio(request).submit_complete(body.model_dump()))


@router.post("/paste", tags=["jobs"], response_model=S.JobOut, status_code=202, responses=ERRORS,
             summary="Paste a stored structure into a world save (a job)")
def paste(request: Request, response: Response, body: S.PasteRequest) -> dict[str, Any]:
    return _accepted(response, studio(request).submit_paste(body.model_dump()))


@router.get("/jobs", tags=["jobs"], response_model=list[S.JobOut], summary="Every job the server remembers")
def list_jobs(request: Request) -> list[dict[str, Any]]:
    return studio(request).jobs.all()


@router.get("/jobs/{job_id}", tags=["jobs"], response_model=S.JobOut, responses=ERRORS, summary="A job's state")
def get_job(request: Request, job_id: str) -> dict[str, Any]:
    job = studio(request).jobs.snapshot(job_id)
    if job is None:
        raise NotFound(f"no job {job_id!r}")
    return job


@router.post("/jobs/{job_id}/cancel", tags=["jobs"], response_model=S.JobOut, responses=ERRORS,
             summary="Cancel a job (queued: at once; running: at its next step)")
def cancel_job(request: Request, job_id: str) -> dict[str, Any]:
    job = studio(request).jobs.cancel(job_id)
    if job is None:
        raise NotFound(f"no job {job_id!r}")
    return job


_UPLOAD_DOC = {"requestBody": {"required": True, "content": {"application/octet-stream": {
    "schema": {"type": "string", "format": "binary"}}}, "description": "The file's bytes (not multipart)."}}


async def _read_body(request: Request, filename: str) -> Any:
    st = studio(request)
    data = await request.body()  # the guard caps and counts it
    limit = max(64 * 1024 * 1024, 4 * st.config.max_upload_bytes)
    return await run_in_threadpool(read_upload, data, filename, max_cells=st.config.max_cells, inflate_limit=limit)


@router.post("/structures", tags=["structures"], response_model=S.StructureOut, status_code=201, responses=ERRORS,
             openapi_extra=_UPLOAD_DOC, summary="Upload a structure file (any format mcgen reads)")
async def upload(request: Request, response: Response,
                 filename: str = Query("upload.schem", max_length=200,
                                       description="The file's name; .json/.npz are ours, the rest is sniffed.")
                 ) -> dict[str, Any]:
    grid = await _read_body(request, filename)
    item = studio(request).store.add(grid, display_name(filename), "upload")
    response.headers["Location"] = f"/api/structures/{item.id}"
    return item.summary()


@router.get("/structures", tags=["structures"], response_model=list[S.StructureOut], summary="Stored structures")
def list_structures(request: Request) -> list[dict[str, Any]]:
    return [i.summary() for i in studio(request).store.all()]


@router.get("/structures/{sid}", tags=["structures"], response_model=S.StructureOut, responses=ERRORS,
            summary="A stored structure")
def get_structure(request: Request, sid: str) -> dict[str, Any]:
    return studio(request).structure(sid).summary()


@router.get("/structures/{sid}/view", tags=["structures"], responses=ERRORS,
            summary="The 3-D viewer's record (palette, colours, encoded blocks, given cells)")
def view_structure(request: Request, sid: str) -> dict[str, Any]:
    return studio(request).structure(sid).view()


@router.get("/structures/{sid}/export", tags=["structures"], responses=ERRORS,
            response_class=Response, summary="Download a structure in a game format")
def export(request: Request, sid: str,
           format: str = Query("schem", description=", ".join(EXPORT_FORMATS)),  # noqa: A002 - the API's word
           mc_version: str | None = Query(None, max_length=16, description="Target Java release, e.g. 1.21.4.")
           ) -> Response:
    st = studio(request)
    data, filename, media = st.export(st.structure(sid), format, mc_version)
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _materials(grid: Any, fmt: str) -> Any:
    from mcgen.materials import material_list  # noqa: PLC0415

    mats = material_list(grid)
    if fmt == "csv":
        return Response(mats.to_csv(), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="materials.csv"'})
    return {"items": mats.rows(), "no_item": [{"block": k, "count": n} for k, n in mats.no_item.items()],
            "total": mats.total}


@router.get("/structures/{sid}/materials", tags=["structures"], response_model=S.MaterialsOut, responses=ERRORS,
            summary="Material list: items to build it in survival (?format=csv for a CSV file)")
def materials(request: Request, sid: str, format: str = Query("json", pattern="^(json|csv)$")) -> Any:  # noqa: A002
    return _materials(studio(request).structure(sid).grid, format)


@router.post("/materials", tags=["structures"], response_model=S.MaterialsOut, responses=ERRORS,
             openapi_extra=_UPLOAD_DOC, summary="Material list of an uploaded file (nothing is stored)")
async def materials_of_upload(request: Request, filename: str = Query("upload.schem", max_length=200),
                              format: str = Query("json", pattern="^(json|csv)$")) -> Any:  # noqa: A002
    return _materials(await _read_body(request, filename), format)
