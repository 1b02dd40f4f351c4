"""The generation paths: from a checkpoint to grids, the single way every command goes.

* :mod:`.setup`: :class:`SampleSettings` (the one frozen settings object every path takes) and
  :func:`prepare_sampling` (load, fill the objective's defaults, check, before any work);
* :mod:`.sample`: :func:`generate`, samples that fit the model's grid;
* :mod:`.windows`: :func:`generate_large` and :func:`fill_windows`, window by window;
* :mod:`.completion`: :func:`complete`, finish a structure, given blocks kept bit for bit;
* :mod:`.world`: completing a box of a world save and pasting back only what was generated;
* :mod:`.clean`: what happens to a raw sample before it is handed out (numpy only).

``import mcgen.generate`` is light: the names below are looked up in their modules (and torch
imported) on first use, so the numpy-only :mod:`.clean` can be used without torch.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> the module of this package that defines it
_EXPORTS = {
    "SampleSettings": "setup", "SamplingSetup": "setup", "prepare_sampling": "setup", "resolve_device": "setup",
    "label_index": "setup", "evaluation_label": "setup", "ALL_LABELS": "setup",
    "generate": "sample",
    "generate_large": "windows", "fill_windows": "windows", "window_starts": "windows",
    "complete": "completion", "region_mask": "completion", "output_shape": "completion",
    "CLEANUPS": "clean", "DEFAULT_CLEANUP": "clean", "cleanup": "clean",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mcgen.generate' has no attribute {name!r}")
    return getattr(importlib.import_module(f"mcgen.generate.{module}"), name)


__all__ = sorted(_EXPORTS)
