"""Run logging: ``training.log`` (human), ``metrics.jsonl`` (machine) and the terminal display.

On a terminal a one-line progress bar shows step, epoch, loss, samples/s and ETA; elsewhere
(a pipe, a CI log, a file) the same facts go out as plain lines at each logged step.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import IO, Any

from mcgen.errors import FileIOError
from mcgen.fsutil import atomic_write_text


def _fmt_time(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    m, s = divmod(int(seconds + 0.5), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def read_metrics(path: Path, upto_step: int | None = None) -> list[dict[str, Any]]:
    """Records of ``metrics.jsonl`` (optionally only those with ``step <= upto_step``)."""
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a kill
        if isinstance(rec, dict) and (upto_step is None or rec.get("step", 0) <= upto_step):
            out.append(rec)
    return out


class RunLog:
    """Writes the log files (rank 0 only) and drives the progress display.

    Args:
        out_dir: the run's output folder.
        total_steps: steps the run will reach (for the bar and ETA).
        display: ``"bar"``, ``"lines"`` or ``"none"``.
        resume_step: when resuming, metrics past this step (written after the checkpoint
            by the run that was cut off) are dropped so the log matches the weights.
        stream: where the display goes (default stderr).
    """

    def __init__(self, out_dir: Path, total_steps: int, display: str = "lines", resume_step: int | None = None,
                 stream: IO[str] | None = None) -> None:
        self.total_steps, self.display = total_steps, display
        self.stream = stream or sys.stderr
        self.metrics_path = out_dir / "metrics.jsonl"
        self.log_path = out_dir / "training.log"
        self.records: list[dict[str, Any]] = []
        if resume_step is not None:
            self.records = read_metrics(self.metrics_path, resume_step)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            if resume_step is None or not self.metrics_path.exists():
                self.metrics_path.write_text("", encoding="utf-8")
            else:  # rewrite without the lines past the checkpoint
                atomic_write_text(self.metrics_path, "".join(json.dumps(r) + "\n" for r in self.records))
            self._metrics = self.metrics_path.open("a", encoding="utf-8")
            self._log = self.log_path.open("a" if resume_step is not None else "w", encoding="utf-8")
        except OSError as exc:
            raise FileIOError(f"cannot write logs: {exc.strerror or exc}", path=out_dir) from exc
        self._last_bar = 0.0
        self._bar_state: dict[str, Any] = {}
        self._bar_shown = False

    def info(self, msg: str) -> None:
        """A line for training.log and the user."""
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self._log.write(f"{stamp} {msg}\n")
        self._log.flush()
        if self.display != "none":
            self._clear_bar()
            print(msg, file=self.stream, flush=True)

    def metrics(self, rec: dict[str, Any]) -> None:
        """Append one metrics record and show it."""
        self.records.append(rec)
        self._metrics.write(json.dumps(rec) + "\n")
        self._metrics.flush()
        eta = rec.get("eta_s", float("nan"))
        line = (f"step {rec['step']}/{self.total_steps} epoch {rec['epoch']} loss {rec['loss']:.4f} "
                f"lr {rec['lr']:.2e} grad {rec['grad_norm']:.3f} {rec['samples_per_s']:.1f} samples/s "
                f"eta {_fmt_time(eta)}")
        self._log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")
        self._log.flush()
        self._bar_state.update(loss=rec["loss"], sps=rec["samples_per_s"], epoch=rec["epoch"])
        if self.display == "lines":
            print(line, file=self.stream, flush=True)

    def metrics_eval(self, rec: dict[str, Any]) -> None:
        """Append an evaluation record (``{"step", "epoch", "eval": {...}}``) and show it."""
        self.records.append(rec)
        self._metrics.write(json.dumps(rec) + "\n")
        self._metrics.flush()
        body = " ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in rec["eval"].items())
        self.info(f"eval at step {rec['step']}: {body}")

    def tick(self, step: int, epoch: int, eta_s: float) -> None:
        """Redraw the bar (at most 5 times a second; a no-op unless the display is a bar)."""
        if self.display != "bar":
            return
        now = time.monotonic()
        if now - self._last_bar < 0.2 and step < self.total_steps:
            return
        self._last_bar = now
        frac = step / max(self.total_steps, 1)
        width = 24
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        st = self._bar_state
        loss = f"{st['loss']:.4f}" if "loss" in st else "-"
        sps = f"{st['sps']:.1f}" if "sps" in st else "-"
        text = (f"\r[{bar}] {step}/{self.total_steps} ep {epoch} loss {loss} {sps} samples/s "
                f"eta {_fmt_time(eta_s)} ")
        self.stream.write(text)
        self.stream.flush()
        self._bar_shown = True

    def _clear_bar(self) -> None:
        if self._bar_shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._bar_shown = False

    def close(self) -> None:
        """Finish the bar line and close the files."""
        if self._bar_shown:
            self.stream.write("\n")
            self.stream.flush()
            self._bar_shown = False
        self._metrics.close()
        self._log.close()
