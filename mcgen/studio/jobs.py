"""Long work in a queue: one worker thread runs the jobs one at a time, with progress and cancel.

A job is a function of a :class:`JobContext`. It runs on the worker thread whatever happens to the
request that asked for it (a client that disconnects does not stop it), so sampling never runs
twice at once and never fights the server's event loop for the cores. A job that raises leaves the
worker running: an :class:`~mcgen.errors.McgenError` becomes the job's one-line ``error``, anything
else is logged with its traceback and reported as an internal error.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mcgen.errors import McgenError

log = logging.getLogger("mcgen.studio")

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)


class JobCancelled(Exception):
    """Raised inside a job when its cancellation was asked for."""


class QueueFull(McgenError):
    """Too many jobs are waiting."""


@dataclass
class Job:
    """One unit of queued work and what became of it."""

    id: str
    kind: str
    params: dict[str, Any]
    run: Callable[[JobContext], None] = field(repr=False)
    state: str = QUEUED
    fraction: float = 0.0
    message: str = "waiting in the queue"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    results: list[str] = field(default_factory=list)
    report: dict[str, Any] | None = None
    cancel_requested: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The job as the API shows it."""
        return {"id": self.id, "kind": self.kind, "state": self.state, "params": self.params,
                "progress": {"fraction": round(self.fraction, 4), "message": self.message},
                "created": self.created, "started": self.started, "finished": self.finished,
                "error": self.error, "results": list(self.results), "report": self.report,
                "cancel_requested": self.cancel_requested}


class JobContext:
    """What a running job may do: report progress, check for cancellation, hand out results."""

    def __init__(self, job: Job, lock: threading.Lock) -> None:
        self.job, self._lock = job, lock

    def progress(self, fraction: float, message: str) -> None:
        """Set the job's progress (0..1) and a short status line."""
        with self._lock:
            self.job.fraction = max(self.job.fraction, min(1.0, float(fraction)))
            self.job.message = message

    def stop(self) -> None:
        """Raise :class:`JobCancelled` when the job was asked to stop.

        Raises:
            JobCancelled: cancellation was requested.
        """
        if self.job.cancel_requested:
            raise JobCancelled()

    def add_result(self, structure_id: str) -> None:
        """Publish one result (the page previews it at once)."""
        with self._lock:
            self.job.results.append(structure_id)

    def set_report(self, report: dict[str, Any]) -> None:
        """Attach a JSON-friendly report (pastes: boxes, backup, /tp)."""
        with self._lock:
            self.job.report = report


class JobQueue:
    """A FIFO of jobs and the single worker thread that runs them.

    Args:
        max_queue: jobs waiting at most (:class:`QueueFull` beyond).
        keep: finished jobs remembered (the oldest are forgotten).
        on_start: run once on the worker thread before the first job (thread pinning).
    """

    def __init__(self, *, max_queue: int = 32, keep: int = 200, on_start: Callable[[], None] | None = None) -> None:
        self.max_queue, self.keep, self.on_start = max_queue, keep, on_start
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._q: queue.Queue[str | None] = queue.Queue()
        self._worker = threading.Thread(target=self._loop, name="mcgen-studio-worker", daemon=True)
        self._started = False

    def start(self) -> None:
        """Start the worker thread (once)."""
        if not self._started:
            self._started = True
            self._worker.start()

    def close(self, timeout: float = 5.0) -> None:
        """Cancel what is queued or running and stop the worker."""
        with self._lock:
            for job in self._jobs.values():
                if job.state in (QUEUED, RUNNING):
                    job.cancel_requested = True
        self._q.put(None)
        if self._started:
            self._worker.join(timeout)

    def submit(self, kind: str, params: dict[str, Any], run: Callable[[JobContext], None]) -> Job:
        """Queue a job.

        Raises:
            QueueFull: ``max_queue`` jobs are already waiting.
        """
        with self._lock:
            waiting = sum(j.state == QUEUED for j in self._jobs.values())
            if waiting >= self.max_queue:
                raise QueueFull(f"{waiting} jobs are already waiting; try again when some have finished")
            job = Job("j" + secrets.token_hex(6), kind, params, run)
            self._jobs[job.id] = job
            self._forget_old()
        self._q.put(job.id)
        return job

    def get(self, job_id: str) -> Job | None:
        """The job with that id, if it is remembered."""
        with self._lock:
            return self._jobs.get(job_id)

    def snapshot(self, job_id: str) -> dict[str, Any] | None:
        """The job's API view, read under the lock."""
        with self._lock:
            job = self._jobs.get(job_id)
            return job.to_dict() if job else None

    def all(self) -> list[dict[str, Any]]:
        """Every remembered job, oldest first."""
        with self._lock:
            return [j.to_dict() for j in self._jobs.values()]

    def busy(self) -> dict[str, int]:
        """How many jobs are queued and running."""
        with self._lock:
            states = [j.state for j in self._jobs.values()]
        return {"queued": states.count(QUEUED), "running": states.count(RUNNING)}

    def cancel(self, job_id: str) -> dict[str, Any] | None:
        """Ask a job to stop: a queued one is cancelled at once, a running one at its next check."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if job.state == QUEUED:
                job.state, job.message, job.finished = CANCELLED, "cancelled before it started", time.time()
            elif job.state == RUNNING:
                job.cancel_requested = True
                job.message = "cancelling ..."
            return job.to_dict()

    def wait_idle(self, timeout: float) -> bool:
        """Block until no job is queued or running (tests, benchmarks); False on timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.busy() == {"queued": 0, "running": 0}:
                return True
            time.sleep(0.02)
        return False

    def _forget_old(self) -> None:
        done = [j for j in self._jobs.values() if j.state in FINISHED]
        for j in done[: max(0, len(done) - self.keep)]:
            del self._jobs[j.id]

    def _loop(self) -> None:
        if self.on_start is not None:
            try:
                self.on_start()
            except Exception:  # noqa: BLE001 - pinning is best effort; jobs still run
                log.exception("worker start-up failed")
        while True:
            job_id = self._q.get()
            if job_id is None:
                return
            with self._lock:
                job = self._jobs.get(job_id)
                if job is None or job.state != QUEUED:
                    continue
                job.state, job.started, job.message = RUNNING, time.time(), "starting"
            self._run(job)

    def _run(self, job: Job) -> None:
        ctx = JobContext(job, self._lock)
        state, error, message = DONE, None, "done"
        try:
            ctx.stop()
            job.run(ctx)
        except JobCancelled:
            state, message = CANCELLED, "cancelled"
        except McgenError as exc:
            state, error, message = FAILED, str(exc), "failed"
        except Exception as exc:  # noqa: BLE001 - a bug in one job must not take the server down
            log.exception("job %s (%s) crashed", job.id, job.kind)
            state, error, message = FAILED, " ".join(f"internal error ({type(exc).__name__}): {exc}".split()), "failed"
        with self._lock:
            job.state, job.error, job.message, job.finished = state, error, message, time.time()
            if state == DONE:
                job.fraction = 1.0
