"""What the studio does, behind the HTTP layer: models, worlds, jobs, exports and material lists.

:class:`Studio` owns the configuration, the structure store and the job queue. Its ``submit_*``
methods check a request completely (names, limits, the model's labels) and queue a job; the job
bodies run on the worker thread. Pastes go through :func:`mcgen.world.paste` with every safety of
``mcgen paste`` (lock check, backup, staged write, atomic swap), so a failed or cancelled paste
leaves the save as it was.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path
from typing import Any

from mcgen.grid import VoxelGrid
from mcgen.studio import engine, folders
from mcgen.studio.config import StudioConfig
from mcgen.studio.errors import NotFound, RequestError
from mcgen.studio.jobs import JobContext, JobQueue
from mcgen.studio.store import Item, Store

EXPORT_FORMATS = ("schem", "schem3", "litematic", "nbt", "mcstructure", "blueprint", "datapack", "json")
_MEDIA = {"json": "application/json", "datapack": "application/zip"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]+")


def safe_name(stem: str) -> str:
    """A file stem every tool accepts (WorldEdit too): ASCII letters, digits, '_' and '-', at most 64."""
    return _UNSAFE.sub("_", stem).strip("_-")[:64] or "structure"


class Studio:
    """The server's state: configuration, structures, the job queue."""

    def __init__(self, config: StudioConfig, models: folders.ModelSource | None = None) -> None:
        self.config = config
        self.model_source = models or folders.FolderModels(config.models_dir)
        self.store = Store()
        self.jobs = JobQueue(max_queue=config.max_queue, on_start=lambda: engine.pin_threads(config.torch_threads()))
        if config.keep_backups is not None:
            from mcgen.world.backup import KEEP_ENV  # noqa: PLC0415

            os.environ[KEEP_ENV] = str(config.keep_backups)  # read by every paste's backup (mcgen.world.backup)

    # --- models and worlds ---------------------------------------------------------------------
    def models(self) -> list[dict[str, Any]]:
        """Every model in the models folder with what it offers (or why it cannot be read)."""
        out = []
        for name in self.model_source.names():
            try:
                out.append({"name": name, **self.model(name)})
            except Exception as exc:  # noqa: BLE001 - one unreadable file must not hide the others
                out.append({"name": name, "error": " ".join(str(exc).split())})
        return out

    def model(self, name: str) -> dict[str, Any]:
        """Labels, grid, objective and sampler defaults of model ``name``.

        Raises:
            RequestError, NotFound, Forbidden: see :func:`mcgen.studio.folders.model_path`.
            CheckpointError: the file is not a readable checkpoint.
        """
        info = engine.model_info(self.model_source.path(name))
        return {"labels": list(info.labels), "grid_size": info.grid_size, "objective": info.objective,
                "samplers": list(info.samplers), "sampler": info.sampler, "steps": info.steps,
                "step": info.step}

    def worlds(self) -> list[dict[str, Any]]:
        """The saves in the worlds folder: name, version, whether the game has it open, backups."""
        from mcgen.world import is_locked, list_backups, read_level_info  # noqa: PLC0415

        out = []
        for name in folders.list_worlds(self.config.worlds_dir):
            path = folders.world_path(self.config.worlds_dir, name)
            try:
                info = read_level_info(path)
                out.append({"name": name, "edition": info.edition, "version": info.version_name,
                            "data_version": info.data_version,
                            "spawn": list(info.spawn) if info.spawn else None, "locked": is_locked(path),
                            "backups": len(list_backups(path))})
            except Exception as exc:  # noqa: BLE001 - list the others
                out.append({"name": name, "error": " ".join(str(exc).split())})
        return out

    def world(self, name: str) -> dict[str, Any]:
        """One save's version, spawn, mcgen pastes and backups."""
        from mcgen.world import world_info  # noqa: PLC0415

        info = world_info(folders.world_path(self.config.worlds_dir, name))
        pastes = [{"time": e.get("time"), "reason": e.get("reason"), "backup": e.get("backup"),
                   "boxes": e.get("boxes", [])} for e in info["log"] if e.get("boxes")]
        return {"name": name, "edition": info["edition"], "version": info["version"],
                "data_version": info["data_version"],
                "spawn": info["spawn"], "locked": info["locked"], "pastes": pastes,
                "backups": [{k: b[k] for k in ("id", "created", "reason")} for b in info["backups"]]}

    def structure(self, item_id: str) -> Item:
        """The stored structure ``item_id``.

        Raises:
            NotFound: unknown or dropped id.
        """
        item = self.store.get(item_id)
        if item is None:
            raise NotFound(f"no structure {item_id!r} (ids come from generate, complete or an upload)")
        return item

    # --- jobs ----------------------------------------------------------------------------------
    def _check_job(self, model: str, count: int, steps: int | None, label: str | None,
                   sampler: str | None = None) -> Path:
        c = self.config
        if count > c.max_count:
            raise RequestError(f"count {count} is more than this server's limit of {c.max_count}")
        if steps is not None and steps > c.max_steps:
            raise RequestError(f"steps {steps} is more than this server's limit of {c.max_steps}")
        path = self.model_source.path(model)
        info = engine.model_info(path)
        if label not in (None, "all") and label not in info.labels:
            raise RequestError(f"model {model!r} has no label {label!r}; labels: "
                               f"{', '.join(info.labels) or 'none (unconditional)'}")
        if sampler is not None and sampler not in info.samplers:
            raise RequestError(f"model {model!r} ({info.objective}) has no sampler {sampler!r}; samplers: "
                               f"{', '.join(info.samplers)}")
        return path

    def submit_generate(self, req: dict[str, Any]) -> dict[str, Any]:
        """Queue a generate job (``req``: model, label, count, seed, steps, sampler, cleanup, ...)."""
        path = self._check_job(req["model"], req["count"], req.get("steps"), req.get("label"), req.get("sampler"))

        def run(ctx: JobContext) -> None:
            grids = engine.generate(path, count=req["count"], seed=req["seed"], label=req.get("label"),
                                    num_steps=req.get("steps"), sampler=req.get("sampler"),
                                    cleanup=req.get("cleanup", "floating"), temperature=req.get("temperature"),
                                    guidance=req.get("guidance"), progress=ctx.progress, stop=ctx.stop)
            for i, grid in enumerate(grids):
                self._publish(ctx, grid, f"{req['model']}_{req['seed'] + i}", "generated", model=req["model"])

        return self.jobs.submit("generate", req, run).to_dict()

    def submit_complete(self, req: dict[str, Any]) -> dict[str, Any]:
        """Queue a complete job on a stored structure (``mode``: above, region or fill_air)."""
        item = self.structure(req["structure"])
        path = self._check_job(req["model"], req["count"], req.get("steps"), req.get("label"), req.get("sampler"))
        mode = req["mode"]
        if mode == "above" and req.get("above") is None:
            raise RequestError("mode 'above' needs 'above': the height from which to regenerate")
        if mode == "region" and req.get("region") is None:
            raise RequestError("mode 'region' needs 'region': [x1, y1, z1, x2, y2, z2]")

        def run(ctx: JobContext) -> None:
            grids = engine.complete(path, item.grid, above=req.get("above") if mode == "above" else None,
                                    region=req.get("region") if mode == "region" else None,
                                    fill_air=mode == "fill_air", count=req["count"], seed=req["seed"],
                                    label=req.get("label"), num_steps=req.get("steps"), sampler=req.get("sampler"),
                                    temperature=req.get("temperature"), progress=ctx.progress, stop=ctx.stop)
            for i, grid in enumerate(grids):
                self._publish(ctx, grid, f"{item.name}_alt{i + 1}", "completed", model=req["model"])

        return self.jobs.submit("complete", req, run).to_dict()

    def _publish(self, ctx: JobContext, grid: VoxelGrid, name: str, kind: str, model: str | None = None) -> None:
        if model is not None and "checkpoint" in grid.meta:
            grid.meta["checkpoint"] = model  # the model's name, never the server's file path
        item = self.store.add(grid, name, kind)
        item.view()  # encode on the worker, so the page's preview request is quick
        ctx.add_result(item.id)

    def submit_paste(self, req: dict[str, Any]) -> dict[str, Any]:
        """Queue a paste of a stored structure into a save of the worlds folder."""
        item = self.structure(req["structure"])
        world = folders.world_path(self.config.worlds_dir, req["world"])
        if req.get("at") is None and req.get("no_air"):
            raise RequestError("no_air needs a position 'at' (near the spawn the build replaces what is there)")
        from mcgen.studio.pasting import run_paste  # noqa: PLC0415

        return self.jobs.submit("paste", req, lambda ctx: run_paste(ctx, item, world, req)).to_dict()

    def submit_restore(self, name: str, backup: str | None) -> dict[str, Any]:
        """Queue putting back a save's backup (default the newest): the undo of a paste."""
        world = folders.world_path(self.config.worlds_dir, name)
        from mcgen.studio.pasting import run_restore  # noqa: PLC0415

        params = {"world": name, "backup": backup}
        return self.jobs.submit("restore", params, lambda ctx: run_restore(ctx, world, backup)).to_dict()

    # --- files ---------------------------------------------------------------------------------
    def export(self, item: Item, fmt: str, mc_version: str | None) -> tuple[bytes, str, str]:
        """``(bytes, file name, media type)`` of a structure in ``fmt``.

        Raises:
            RequestError: unknown format. ExportError: a block the version lacks, too large, ...
        """
        if fmt not in EXPORT_FORMATS:
            raise RequestError(f"format must be one of {', '.join(EXPORT_FORMATS)}; got {fmt!r}")
        stem = safe_name(item.name)
        if fmt == "json":
            return item.grid.to_json().encode("utf-8"), f"{stem}.json", _MEDIA["json"]
        from mcgen.export import FORMATS  # noqa: PLC0415
        from mcgen.export.writers import encode  # noqa: PLC0415

        if fmt == "datapack":
            from mcgen.export.datapack import pack_files, template_name  # noqa: PLC0415

            files = pack_files([(stem, encode(item.grid, "nbt", mc_version=mc_version))], mc_version)
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for rel in sorted(files, key=lambda r: r == "pack.mcmeta"):
                    zf.writestr(rel, files[rel])
            return buf.getvalue(), f"mcgen_{template_name(stem)}.zip", _MEDIA["datapack"]
        data = encode(item.grid, fmt, mc_version=mc_version, name=stem)
        return data, f"{stem}{FORMATS[fmt]}", "application/octet-stream"

    def close(self) -> None:
        """Stop the worker (cancelling what runs)."""
        self.jobs.close()
