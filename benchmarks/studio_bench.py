"""mcgen studio, measured: "Generate" to first preview, API overhead, server memory at rest.

    python benchmarks/studio_bench.py [--checkpoint MODEL.pt] [--count 4] [--steps N] [--repeats 3]
                                      [--threads N] [--out benchmarks/results/studio.json]
    python benchmarks/studio_bench.py --dry-run          # seconds: 2 builds, 2 steps, 1 repeat
    python benchmarks/studio_bench.py --screenshot docs/studio.png

What it measures, against a real server (``mcgen studio`` as a subprocess on 127.0.0.1):

- **first preview**: in headless chromium, from the click on Generate to the first preview card on
  the page (and to all ``--count``), cold (the first job loads the model) and warm;
- **API overhead**: a generate job of ``--count`` builds through the API (POST, then polling every
  20 ms until done) against the same work done by the library in this process (the studio's
  per-build loop, and one ``generate`` call for all of them); plus the latency of small requests;
- **memory**: the server's resident memory after start-up (torch imported, no model yet), and at
  rest after the jobs (one model loaded).

The first page run is "cold" (the server's first generation); both the API and the library runs
are timed after one warm-up run each, never at the same time.

Without ``--checkpoint`` the model is a random-weight ``tiny`` test checkpoint with its air logit
raised (as a trained model is mostly air); its cost per step is a trained model's of that size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe_machine  # noqa: E402
from tests.e2e.studio_helpers import start_studio  # noqa: E402

CHROME_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--use-angle=swiftshader",
                "--enable-unsafe-swiftshader", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1400,900", "--force-device-scale-factor=1")
WATCH_JS = """
const host = document.getElementById('gen-cards'), want = arguments[0];
window.__bench = {};
new MutationObserver(() => {
  const n = host.querySelectorAll('.card').length, t = window.__bench;
  if (n >= 1 && !t.first) t.first = performance.now();
  if (n >= want && !t.all) t.all = performance.now();
}).observe(host, {childList: true});
document.getElementById('gen-go').addEventListener('click', () => { window.__bench.click = performance.now(); },
                                                   {capture: true});
"""


def rss_mib(pid: int) -> dict[str, float]:
    """Resident memory of a process now and at its peak (Linux /proc)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, val = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(val.split()[0]) / 1024, 1)
    return {"rss_mib": out.get("VmRSS"), "peak_mib": out.get("VmHWM")}


def browser():
    """Headless chromium, or None when it is not installed."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None
    chromium, driver = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
    if not chromium or not driver:
        return None
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in CHROME_FLAGS:
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=opts)


def _until(fn, timeout: float = 600):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = fn()
        if got:
            return got
        time.sleep(0.02)
    raise TimeoutError("the page did not finish in time")


def _set(drv, element_id: str, value) -> None:
    el = drv.find_element("id", element_id)
    el.clear()
    el.send_keys(str(value))


def first_preview(drv, url: str, count: int, steps: int | None, seed: int) -> dict[str, float]:
    """One click on Generate in the page: seconds to the first and to the last preview card."""
    drv.get(url)
    _until(lambda: drv.execute_script("return window.mcgenStudio && window.mcgenStudio.ready"), 60)
    _set(drv, "gen-count", count)
    _set(drv, "gen-seed", seed)
    if steps:
        _set(drv, "gen-steps", steps)
    time.sleep(1.0)  # let the page finish its first WebGL frames (software rendering shares the CPU)
    drv.execute_script(WATCH_JS, count)
    drv.find_element("id", "gen-go").click()
    t = _until(lambda: drv.execute_script("const t = window.__bench; return t.click && t.all && t"))
    return {"first_preview_s": round((t["first"] - t["click"]) / 1000, 3),
            "all_previews_s": round((t["all"] - t["click"]) / 1000, 3)}


def api_job(server, model: str, count: int, steps: int | None, seed: int) -> dict[str, float]:
    """A generate job through the API: wall seconds from the POST to seeing it done (20 ms polls)."""
    t0 = time.perf_counter()
    status, job = server.call("POST", "/api/generate", {"model": model, "count": count, "steps": steps, "seed": seed,
                                                        "cleanup": "none"})
    assert status == 202, job
    while True:
        status, job = server.call("GET", f"/api/jobs/{job['id']}")
        if job["state"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    assert job["state"] == "done", job
    return {"wall_s": wall, "worker_s": job["finished"] - job["started"]}


def library(checkpoint: Path, count: int, steps: int | None, seed: int, threads: int) -> dict[str, float]:
    """The same work in this process: the studio's per-build loop, and one batched ``generate``."""
    import torch

    from mcgen.studio import engine

    torch.set_num_threads(threads)
    noop = lambda *a: None  # noqa: E731
    t0 = time.perf_counter()
    list(engine.generate(checkpoint, count=count, seed=seed, label=None, num_steps=steps, sampler=None,
                         cleanup="none", temperature=None, guidance=None, progress=noop, stop=noop))
    loop = time.perf_counter() - t0
    t0 = time.perf_counter()
    engine.generate_batch(checkpoint, count=count, seed=seed, num_steps=steps)
    return {"per_build_loop_s": loop, "one_batch_s": time.perf_counter() - t0}


def small_requests(server, n: int) -> dict[str, float]:
    """Median milliseconds of GET /api/health and of a job poll."""
    status, jobs = server.call("GET", "/api/jobs")
    out = {}
    for name, path in (("health_ms", "/api/health"), ("job_poll_ms", f"/api/jobs/{jobs[-1]['id']}")):
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            server.call("GET", path)
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = round(statistics.median(times), 2)
    return out


def make_checkpoint(folder: Path, given: Path | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if given is not None:
        target = folder / given.name
        shutil.copy(given, target)
        return target
    from tests.model_helpers import random_checkpoint

    return random_checkpoint(folder / "tiny-random.pt", objective="masked", air_bias=5.0)


def screenshot(server, model: str, path: Path) -> None:
    """The Generate page with the previews of four builds (the README's picture)."""
    drv = browser()
    if drv is None:
        raise SystemExit("no chromium / chromedriver / selenium: cannot take the screenshot")
    try:
        drv.get(server.url)
        _until(lambda: drv.execute_script("return window.mcgenStudio && window.mcgenStudio.ready"), 60)
        from selenium.webdriver.support.ui import Select

        Select(drv.find_element("id", "gen-model")).select_by_value(model)
        Select(drv.find_element("id", "gen-cleanup")).select_by_value("largest")
        _set(drv, "gen-count", 4)
        _set(drv, "gen-seed", 3)
        drv.execute_script(WATCH_JS, 4)
        drv.find_element("id", "gen-go").click()
        _until(lambda: drv.execute_script("return window.__bench.all"))
        time.sleep(1.0)
        cards = drv.find_elements("css selector", "#gen-cards .card")
        cards[1].click()
        time.sleep(1.0)
        path.parent.mkdir(parents=True, exist_ok=True)
        drv.save_screenshot(str(path))
    finally:
        drv.quit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", type=Path, help="a model .pt (default: a random-weight tiny test checkpoint)")
    ap.add_argument("--count", type=int, default=4)
    ap.add_argument("--steps", type=int, default=None, help="sampler steps (default: the model's)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    ap.add_argument("--out", type=Path, default=None, help="JSON results (default benchmarks/results/studio.json)")
    ap.add_argument("--dry-run", action="store_true", help="2 builds, 2 steps, 1 repeat; results to a temp file")
    ap.add_argument("--screenshot", type=Path, help="only take the README's screenshot of the Generate page")
    args = ap.parse_args()
    if args.dry_run:
        args.count, args.steps, args.repeats = 2, 2, 1
    import os

    threads = args.threads or len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as tmp:
        ck = make_checkpoint(Path(tmp) / "models", args.checkpoint)
        (Path(tmp) / "worlds").mkdir()
        server = start_studio(ck.parent, Path(tmp) / "worlds", "--threads", str(threads))
        try:
            if args.screenshot:
                screenshot(server, ck.stem, args.screenshot)
                print(f"wrote {args.screenshot}")
                return
            results = run(server, ck, args, threads)
        finally:
            server.stop()
    out = args.out or (Path(tempfile.gettempdir()) / "studio_bench_dry_run.json" if args.dry_run
                       else ROOT / "benchmarks" / "results" / "studio.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results["summary"], indent=1))
    print(f"wrote {out}")


def run(server, ck: Path, args, threads: int) -> dict:
    """Every measurement, then a summary."""
    time.sleep(3.0)  # the worker imports torch at start-up
    at_start = rss_mib(server.proc.pid)
    drv = browser()
    pages = []
    if drv is not None:
        try:
            pages = [first_preview(drv, server.url, args.count, args.steps, seed=10 + r) for r in range(args.repeats + 1)]
        finally:
            drv.quit()
    api_job(server, ck.stem, args.count, args.steps, seed=99)  # warm-up, as for the library below
    jobs = [api_job(server, ck.stem, args.count, args.steps, seed=100 + r) for r in range(args.repeats)]
    library(ck, args.count, args.steps, 99, threads)  # warm-up: torch, the checkpoint, the first model build
    libs = [library(ck, args.count, args.steps, 100 + r, threads) for r in range(args.repeats)]
    requests = small_requests(server, 10 if args.dry_run else 50)
    time.sleep(1.0)
    at_rest = rss_mib(server.proc.pid)
    api_s = statistics.median(j["wall_s"] for j in jobs)
    loop_s = statistics.median(lib["per_build_loop_s"] for lib in libs)
    batch_s = statistics.median(lib["one_batch_s"] for lib in libs)
    summary = {
        "first_preview_cold_s": pages[0]["first_preview_s"] if pages else None,
        "first_preview_warm_s": statistics.median(p["first_preview_s"] for p in pages[1:]) if len(pages) > 1 else None,
        "all_previews_warm_s": statistics.median(p["all_previews_s"] for p in pages[1:]) if len(pages) > 1 else None,
        "api_job_s": round(api_s, 3), "library_per_build_s": round(loop_s, 3), "library_one_batch_s": round(batch_s, 3),
        "api_overhead_pct": round(100 * (api_s - loop_s) / loop_s, 2),
        "api_vs_one_batch_pct": round(100 * (api_s - batch_s) / batch_s, 2),
        **requests, "server_rss_at_start_mib": at_start["rss_mib"], "server_rss_at_rest_mib": at_rest["rss_mib"],
        "server_peak_mib": at_rest["peak_mib"],
    }
    return {"benchmark": "studio", "date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": describe_machine(),
            "settings": {"checkpoint": str(args.checkpoint) if args.checkpoint else "random-weight tiny (masked)",
                         "count": args.count, "steps": args.steps, "repeats": args.repeats, "threads": threads,
                         "dry_run": args.dry_run, "browser": drv is not None},
            "summary": summary, "pages": pages, "api_jobs": jobs, "library": libs}


if __name__ == "__main__":
    main()
