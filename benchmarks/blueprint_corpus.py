"""Read every ``.blueprint`` under a folder and count: read, refused (one line each), tracebacks.

Usage: ``python benchmarks/blueprint_corpus.py [FOLDER] [--workers N]`` (default ``../shared/data/minecolonies``).
Prints the counts, every refusal, and the voxel counts of every remapping over the corpus.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

from mcgen.errors import McgenError
from mcgen.export.readers import read_file

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "minecolonies"


def check(path: str) -> tuple[str, str, dict[str, int]]:
    """``(status, detail, remapped)`` for one file: status is ``ok``, ``refused`` or ``traceback``."""
    try:
        grid = read_file(path)
    except McgenError as exc:
        msg = str(exc)
        return ("refused" if "\n" not in msg else "multiline"), msg, {}
    except Exception:  # noqa: BLE001 - counting bugs is the point of this script
        return "traceback", traceback.format_exc(), {}
    return "ok", f"{grid.size}", grid.meta.get("remapped", {})


def main() -> int:
    """Run the check and print the summary; exit 1 when any file raised a traceback."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder", nargs="?", default=str(DEFAULT))
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    files = sorted(str(p) for p in Path(a.folder).rglob("*.blueprint"))
    t0 = time.perf_counter()
    status: Counter = Counter()
    remaps: Counter = Counter()
    with Pool(a.workers) as pool:
        for path, (st, detail, rm) in zip(files, pool.imap(check, files, chunksize=16)):
            status[st] += 1
            remaps.update(rm)
            if st != "ok":
                print(f"{st}: {path}: {detail}")
    dt = time.perf_counter() - t0
    print(f"{len(files)} files in {dt:.1f}s: " + ", ".join(f"{k} {v}" for k, v in sorted(status.items())))
    print(f"remappings ({len(remaps)} block pairs, {sum(remaps.values())} voxels):")
    for k, v in remaps.most_common():
        print(f"  {v:>9}  {k}")
    return 1 if status["traceback"] or status["multiline"] else 0


if __name__ == "__main__":
    sys.exit(main())
