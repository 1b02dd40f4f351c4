"""Importing real builds as training data (``mcgen dataset import``).

numpy only at import time (headers are walked by our own NBT skimmer); amulet is imported when a
world box is read.
"""

from __future__ import annotations

from mcgen.importing.fit import FIT_MODES, FitInfo, downsample, fit, place, trim
from mcgen.importing.labels import label_from_name
from mcgen.importing.mapping import VocabMapper, auto_vocabulary
from mcgen.importing.options import ImportOptions, TooLarge, WorldBox
from mcgen.importing.peek import Peek, peek, peek_size
from mcgen.importing.pipeline import expand_sources, load_source
from mcgen.importing.report import ImportReport
from mcgen.importing.run import import_builds, import_dataset
from mcgen.importing.series import held_out_series, series_key

__all__ = [
    "FIT_MODES", "FitInfo", "ImportOptions", "ImportReport", "Peek", "TooLarge", "VocabMapper", "WorldBox",
    "auto_vocabulary", "downsample", "expand_sources", "fit", "held_out_series", "import_builds", "import_dataset",
    "label_from_name", "series_key",
    "load_source", "peek", "peek_size", "place", "trim",
]
