"""Structures the studio holds in memory: generated, completed or uploaded, each under a random id."""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from mcgen.grid import VoxelGrid

ID_RE = re.compile(r"^s[0-9a-f]{12}$")


@dataclass
class Item:
    """One structure: its grid and where it came from (``generated``, ``completed``, ``upload``)."""

    id: str
    name: str
    kind: str
    grid: VoxelGrid
    created: float = field(default_factory=time.time)
    _view: dict[str, Any] | None = field(default=None, repr=False)

    def summary(self) -> dict[str, Any]:
        """Id, name, kind, size, block count and the grid's meta (bounded)."""
        from mcgen.view.encode import clean_meta  # noqa: PLC0415

        g = self.grid
        return {"id": self.id, "name": self.name, "kind": self.kind, "size": list(g.size), "blocks": g.count(),
                "states": len(g.palette) - 1, "created": self.created,
                "meta": clean_meta({k: v for k, v in g.meta.items() if k != "given_runs"})}

    def view(self) -> dict[str, Any]:
        """The viewer's record (palette, colours, shapes, encoded blocks, given mask), cached."""
        if self._view is None:
            from mcgen.view.encode import encode_grid  # noqa: PLC0415

            self._view = encode_grid(self.grid, self.name, extra={"id": self.id, "kind": self.kind})
        return self._view


class Store:
    """Up to ``max_items`` structures; the oldest are dropped first."""

    def __init__(self, max_items: int = 256) -> None:
        self.max_items = max_items
        self._items: OrderedDict[str, Item] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, grid: VoxelGrid, name: str, kind: str) -> Item:
        """Keep ``grid`` and return its item."""
        item = Item("s" + secrets.token_hex(6), name, kind, grid)
        with self._lock:
            self._items[item.id] = item
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return item

    def get(self, item_id: str) -> Item | None:
        """The item, or None when the id is unknown (or was dropped)."""
        if not ID_RE.match(item_id or ""):
            return None
        with self._lock:
            return self._items.get(item_id)

    def all(self) -> list[Item]:
        """Every item, oldest first."""
        with self._lock:
            return list(self._items.values())
