"""Request and response bodies of the JSON API (pydantic; they make ``/openapi.json``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Name = Field(..., min_length=1, max_length=128)
Seed = Field(0, ge=0, le=2**31 - 1, description="Structure i uses seed + i.")
Steps = Field(None, ge=1, description="Sampler steps (default: the model's).")
Count = Field(4, ge=1, description="How many structures (at most the server's max_count).")


class Strict(BaseModel):
    """Unknown fields are an error, so a typo is never silently ignored."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class GenerateRequest(Strict):
    """New builds from a model."""

    model: str = Name
    label: str | None = Field(None, max_length=128, description="A class of the model, 'all' for each in turn, "
                              "or null for unconditional.")
    count: int = Count
    seed: int = Seed
    steps: int | None = Steps
    sampler: str | None = Field(None, max_length=64)
    cleanup: Literal["floating", "largest", "none"] = "floating"
    temperature: float | None = Field(None, ge=0, le=10)
    guidance: float | None = Field(None, ge=0, le=50)


class CompleteRequest(Strict):
    """Alternatives for part of a stored structure; every other block is kept."""

    model: str = Name
    structure: str = Field(..., max_length=32, description="A structure id (from an upload, generate or complete).")
    mode: Literal["above", "region", "fill_air"]
    above: int | None = Field(None, ge=0, le=4096, description="mode above: regenerate from this height up.")
    region: list[int] | None = Field(None, min_length=6, max_length=6,
                                     description="mode region: inclusive box x1 y1 z1 x2 y2 z2.")
    label: str | None = Field(None, max_length=128)
    count: int = Count
    seed: int = Seed
    steps: int | None = Steps
    sampler: str | None = Field(None, max_length=64)
    temperature: float | None = Field(None, ge=0, le=10)


class PasteRequest(Strict):
    """Put a stored structure into a save of the server's worlds folder (as ``mcgen paste``)."""

    structure: str = Field(..., max_length=32)
    world: str = Name
    at: list[int] | None = Field(None, min_length=3, max_length=3,
                                 description="Min corner X Y Z; null: on the ground east of the spawn.")
    on_ground: bool = Field(False, description="With at: rest on the terrain at X, Z (Y ignored).")
    rotate: Literal[0, 90, 180, 270] = 0
    mirror: bool = False
    no_air: bool = Field(False, description="Keep the world's blocks where the structure has air (needs at).")
    dry_run: bool = False
    create_chunks: bool = False
    backup: bool = True


class RestoreRequest(Strict):
    """Undo a paste: put a backup back (default the newest)."""

    backup: str | None = Field(None, max_length=64)


class Progress(BaseModel):
    fraction: float
    message: str


class JobOut(BaseModel):
    """A queued, running or finished job; ``results`` are structure ids, ``report`` a paste's report."""

    model_config = ConfigDict(protected_namespaces=())
    id: str
    kind: Literal["generate", "complete", "paste", "restore"]
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    params: dict[str, Any]
    progress: Progress
    created: float
    started: float | None
    finished: float | None
    error: str | None
    results: list[str]
    report: dict[str, Any] | None
    cancel_requested: bool


class StructureOut(BaseModel):
    """A stored structure."""

    id: str
    name: str
    kind: Literal["generated", "completed", "upload"]
    size: list[int]
    blocks: int
    states: int
    created: float
    meta: dict[str, Any]


class ModelOut(BaseModel):
    """A checkpoint of the models folder (``error`` when it cannot be read)."""

    name: str
    labels: list[str] = []
    grid_size: int | None = None
    objective: str | None = None
    samplers: list[str] = []
    sampler: str | None = None
    steps: int | None = None
    step: int | None = None
    error: str | None = None


class WorldOut(BaseModel):
    """A save of the worlds folder."""

    name: str
    edition: str | None = None
    version: str | None = None
    data_version: int | None = None
    spawn: list[int] | None = None
    locked: bool | None = None
    backups: int | None = None
    error: str | None = None


class MaterialRow(BaseModel):
    item: str
    count: int
    stack: int
    stacks: str


class NoItemRow(BaseModel):
    block: str
    count: int


class MaterialsOut(BaseModel):
    """Items needed to build a structure in survival, and the blocks no item places."""

    items: list[MaterialRow]
    no_item: list[NoItemRow]
    total: int


class ErrorOut(BaseModel):
    """Every error: one line."""

    error: str
