"""The world package stays light and separate: no torch, no mcgen.export, amulet only when used."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
import mcgen.world, mcgen.world.paste, mcgen.world.level, mcgen.world.newworld, mcgen.world.build
assert "amulet" not in sys.modules, "amulet imported at import time"
from mcgen.grid import VoxelGrid
from mcgen.world import new_world, paste, Placement
import tempfile, pathlib
d = pathlib.Path(tempfile.mkdtemp()) / "w"
new_world(d, radius_chunks=1)
paste(d, [Placement(VoxelGrid.empty((2, 2, 2)), 0, None, 0)])
bad = [m for m in ("torch", "mcgen.export", "mcgen.model", "trainer") if m in sys.modules]
assert not bad, bad
print("ok")
"""


def test_world_never_imports_torch_or_export():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"
