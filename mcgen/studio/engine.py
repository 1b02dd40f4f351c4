"""The studio's one door to the model and generation code (torch is imported inside the functions).

Everything the studio asks of a checkpoint goes through here: what a model offers
(:func:`model_info`), fresh builds (:func:`generate`) and completions (:func:`complete`), both
handed out one structure at a time so that the first preview arrives early, and both checking a
``stop`` callback before every network evaluation so that a job can be cancelled mid-sampling.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcgen.grid import VoxelGrid

Progress = Callable[[float, str], None]
CLEANUPS = ("floating", "largest", "none")


def _lib() -> dict[str, Any]:
    """The library's generation functions (imported on first use: torch stays out of the server's start)."""
    from mcgen.generate import SampleSettings, complete, generate, prepare_sampling  # noqa: PLC0415
    from mcgen.ml.checkpoint import load_checkpoint  # noqa: PLC0415

    return {"generate": generate, "complete": complete, "prepare_sampling": prepare_sampling,
            "load_checkpoint": load_checkpoint, "settings": SampleSettings}


@dataclass(frozen=True)
class ModelInfo:
    """What a checkpoint offers the studio's forms.

    Attributes:
        labels: class names a conditional model takes (empty: unconditional).
        grid_size: the model's cube edge.
        objective: ``masked`` or ``gaussian``.
        samplers: sampler names; ``sampler`` is the default.
        steps: the default sampler steps.
        step: training step of the weights.
    """

    labels: tuple[str, ...]
    grid_size: int
    objective: str
    samplers: tuple[str, ...]
    sampler: str
    steps: int
    step: int


_cache: dict[tuple[str, float, int], Any] = {}
_infos: dict[tuple[str, float, int], ModelInfo] = {}
_cache_lock = threading.Lock()


def _key(path: Path) -> tuple[str, float, int]:
    st = Path(path).stat()
    return (str(path), st.st_mtime, st.st_size)


def load(path: Path) -> Any:
    """The loaded checkpoint at ``path`` (kept while the file is unchanged; one at a time).

    Raises:
        CheckpointError: not a readable mcgen checkpoint.
    """
    key = _key(path)
    with _cache_lock:
        if key not in _cache:
            ck = _lib()["load_checkpoint"](path)
            _cache.clear()  # a checkpoint can be large: hold one
            _cache[key] = ck
        return _cache[key]


def model_info(path: Path) -> ModelInfo:
    """Labels, grid, objective and sampler defaults of the checkpoint at ``path``.

    Raises:
        CheckpointError: not a readable mcgen checkpoint.
    """
    key = _key(path)
    if key not in _infos:
        _infos[key] = _read_info(path)
    return _infos[key]


def _read_info(path: Path) -> ModelInfo:
    lib = _lib()
    run = lib["prepare_sampling"](load(path), lib["settings"](device="cpu"))
    sampler, steps = run.settings.sampler, run.settings.num_steps
    obj = run.objective
    return ModelInfo(tuple(run.ck.label_names), int(run.ck.grid_size), str(obj.kind),
                     tuple(obj.samplers), str(sampler), int(steps), int(run.ck.step))


def pin_threads(n: int) -> None:
    """Use ``n`` torch threads (called once, from the worker thread, before any sampling)."""
    import torch  # noqa: PLC0415

    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set, or inter-op work already started: keep what it is


class _Evals:
    """Counts top-level network calls of this thread and runs ``stop`` before each.

    A global forward pre-hook sees every module call; the depth counter keeps only the outermost
    (one per network evaluation), and calls from other threads are ignored.
    """

    def __init__(self, stop: Callable[[], None]) -> None:
        self.stop, self.count, self.depth, self.owner = stop, 0, 0, threading.get_ident()
        self.handles: list[Any] = []

    def __enter__(self) -> _Evals:
        from torch.nn.modules.module import (  # noqa: PLC0415
            register_module_forward_hook,
            register_module_forward_pre_hook,
        )

        self.handles = [register_module_forward_pre_hook(self._pre), register_module_forward_hook(self._post)]
        return self

    def __exit__(self, *exc: object) -> None:
        for h in self.handles:
            h.remove()

    def _pre(self, module: Any, args: Any) -> None:
        if threading.get_ident() != self.owner:
            return
        if self.depth == 0:
            self.stop()
            self.count += 1
        self.depth += 1

    def _post(self, module: Any, args: Any, output: Any) -> None:
        if threading.get_ident() == self.owner:
            self.depth = max(0, self.depth - 1)


def _labels(info: ModelInfo, label: str | None, count: int) -> list[str | None]:
    """Per-structure labels: ``all`` takes the model's classes in turn."""
    if label == "all" and info.labels:
        return [info.labels[i % len(info.labels)] for i in range(count)]
    return [label] * count


def _one_by_one(count: int, info: ModelInfo, num_steps: int | None, progress: Progress,
                stop: Callable[[], None], make: Callable[[int], VoxelGrid], what: str) -> Iterator[VoxelGrid]:
    """Run ``make(i)`` for each structure, reporting progress from the network evaluations (the
    first structure's count calibrates the rest)."""
    per = float((num_steps or info.steps) * 2)
    with _Evals(stop) as evals:
        for i in range(count):
            stop()
            first = evals.count
            ticker = threading.Event()

            def tick(i: int = i, first: int = first) -> None:
                part = min(0.97, (evals.count - first) / per)
                progress((i + part) / count, f"{what} {i + 1} of {count}")

            # progress while sampling: a helper thread reads the counter (the hook itself stays cheap)
            t = threading.Thread(target=_every, args=(ticker, 0.25, tick), daemon=True)
            t.start()
            try:
                grid = make(i)
            finally:
                ticker.set()
                t.join()
            per = max(1.0, float(evals.count - first))
            progress((i + 1) / count, f"{what} {i + 1} of {count} done")
            yield grid


def _every(done: threading.Event, seconds: float, fn: Callable[[], None]) -> None:
    while not done.wait(seconds):
        fn()


def generate(path: Path, *, count: int, seed: int, label: str | None, num_steps: int | None,
             sampler: str | None, cleanup: str, temperature: float | None, guidance: float | None,
             progress: Progress, stop: Callable[[], None]) -> Iterator[VoxelGrid]:
    """Yield ``count`` new structures from the checkpoint at ``path``, one at a time.

    Structure ``i`` is what ``mcgen sample`` makes for seed ``seed + i`` (``label="all"``: the
    model's classes in turn).

    Raises:
        CheckpointError, ConfigError: from the library (bad label, sampler or steps).
        Whatever ``stop`` raises, before any network evaluation.
    """
    lib = _lib()
    ck = load(path)
    info = model_info(path)
    labels = _labels(info, label, count)

    def make(i: int) -> VoxelGrid:
        settings = lib["settings"](seed=seed + i, label=labels[i], num_steps=num_steps, sampler=sampler,
                                   temperature=temperature, guidance=guidance, device="auto")
        return lib["generate"](ck, 1, settings, clean=cleanup)[0]

    yield from _one_by_one(count, info, num_steps, progress, stop, make, "build")


def complete(path: Path, structure: VoxelGrid, *, above: int | None, region: tuple[int, ...] | None,
             fill_air: bool, count: int, seed: int, label: str | None, num_steps: int | None,
             sampler: str | None, temperature: float | None, progress: Progress,
             stop: Callable[[], None]) -> Iterator[VoxelGrid]:
    """Yield ``count`` completions of ``structure`` (given blocks kept), one at a time.

    Exactly one of ``above``, ``region`` (inclusive ``x1 y1 z1 x2 y2 z2``) or ``fill_air`` says
    what to generate; the grids' ``meta.given_runs`` mark the given cells.

    Raises:
        CheckpointError, ConfigError: from the library (nothing to generate, bad region, ...).
        Whatever ``stop`` raises, before any network evaluation.
    """
    lib = _lib()
    ck = load(path)
    info = model_info(path)
    labels = _labels(info, label, count)
    box = tuple(int(v) for v in region) if region is not None else None

    def make(i: int) -> VoxelGrid:
        settings = lib["settings"](seed=seed + i, label=labels[i], num_steps=num_steps, sampler=sampler,
                                   temperature=temperature, device="auto")
        return lib["complete"](ck, structure, region=box, above=above, fill_air=fill_air, num_samples=1,
                               settings=settings)[0]

    yield from _one_by_one(count, info, num_steps, progress, stop, make, "alternative")


def generate_batch(path: Path, *, count: int, seed: int, num_steps: int | None,
                   cleanup: str = "none") -> list[VoxelGrid]:
    """``count`` structures from one batched library call, no progress, no cancel (what the
    studio's per-build loop is measured against in ``benchmarks/studio_bench.py``).

    Raises:
        CheckpointError, ConfigError: from the library.
    """
    lib = _lib()
    settings = lib["settings"](seed=seed, num_steps=num_steps, device="auto")
    return lib["generate"](load(path), count, settings, clean=cleanup)
