"""What an import did: :class:`ImportReport`, written as ``report.json`` beside the manifest."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ImportReport:
    """What an import did; ``to_dict()`` is written to ``report.json`` beside the manifest.

    Attributes:
        options: the :class:`~mcgen.importing.options.ImportOptions` used.
        remaps: ``(from state, to state) -> blocks`` mapped onto the vocabulary.
        source_remaps: ``"from -> to" -> blocks`` done by the readers before that (``.blueprint``
            placeholders and mod blocks to vanilla).
        fit_modes: builds per fit actually done (``pad`` = fitted as it was, ``scale``, ``crop``).
        fits: builds whose trimmed size fits ``16`` and ``32`` on every axis (of all read).
        scale_factors: the downsampling factor of every scaled build.
        split: ``train`` / ``held_out`` sample counts and series counts (empty without a split).
    """

    options: Any
    vocabulary: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    too_large: list[tuple[str, str]] = field(default_factory=list)
    near_empty: list[tuple[str, int]] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    fell_back: list[str] = field(default_factory=list)
    did_not_fit: list[tuple[str, list[int]]] = field(default_factory=list)
    ground_stripped: list[tuple[str, int]] = field(default_factory=list)
    blocks_total: int = 0
    blocks_remapped: int = 0
    blocks_to_air: int = 0
    remaps: Counter = field(default_factory=Counter)
    source_remaps: Counter = field(default_factory=Counter)
    block_entities: int = 0
    entities: int = 0
    counts_unknown: int = 0
    labels: Counter = field(default_factory=Counter)
    fit_modes: Counter = field(default_factory=Counter)
    fits: Counter = field(default_factory=Counter)
    builds_read: int = 0
    scale_factors: list[float] = field(default_factory=list)
    split: dict[str, Any] = field(default_factory=dict)
    workers: int = 1
    seconds: float = 0.0

    def top_remaps(self, n: int | None = 10) -> list[tuple[str, str, int]]:
        """The ``n`` most frequent ``(from, to, blocks)`` remappings (all when ``n`` is None)."""
        return [(a, b, c) for (a, b), c in self.remaps.most_common(n)]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (every remapping is listed)."""
        o = self.options
        scaled = sorted(self.scale_factors)
        return {
            "options": {"size": o.size, "fit": o.fit, "vocab": o.vocab, "min_blocks": o.min_blocks,
                        "max_size": o.max_size, "keep_ground": o.keep_ground, "label_from": o.label_from,
                        "split_by": o.split_by, "held_out": o.held_out, "solid_fill": o.solid_fill},
            "written": len(self.written), "sources": self.written,
            "skipped": [{"source": s, "reason": r} for s, r in self.skipped],
            "too_large": [{"source": s, "reason": r} for s, r in self.too_large],
            "near_empty": [{"source": s, "blocks": n} for s, n in self.near_empty],
            "duplicates": [{"source": s, "duplicate_of": d} for s, d in self.duplicates],
            "fell_back_to_scale": self.fell_back,
            "did_not_fit": [{"source": s, "trimmed_size": t} for s, t in self.did_not_fit],
            "ground_stripped": [{"source": s, "layers": n} for s, n in self.ground_stripped],
            "fit": {"read": self.builds_read, "fit_16": self.fits[16], "fit_32": self.fits[32],
                    "modes": dict(sorted(self.fit_modes.items())),
                    "scale_factor": {"min": scaled[0], "median": scaled[len(scaled) // 2], "max": scaled[-1]}
                    if scaled else None},
            "blocks": {"total": self.blocks_total, "remapped": self.blocks_remapped, "to_air": self.blocks_to_air},
            "top_remaps": [{"from": a, "to": b, "blocks": c} for a, b, c in self.top_remaps(25)],
            "remaps": [{"from": a, "to": b, "blocks": c} for a, b, c in self.top_remaps(None)],
            "source_remaps": [{"from": k.split(" -> ")[0], "to": k.split(" -> ")[-1], "blocks": v}
                              for k, v in self.source_remaps.most_common()],
            "dropped": {"block_entities": self.block_entities, "entities": self.entities,
                        "files_without_counts": self.counts_unknown},
            "labels": dict(sorted(self.labels.items())), "vocabulary_size": len(self.vocabulary),
            "split": self.split, "workers": self.workers, "seconds": round(self.seconds, 3),
        }
