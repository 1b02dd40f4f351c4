"""Assemble the self-contained viewer page: the HTML template with its CSS, JavaScript and the
collected data inlined (no external file, no network; opens from ``file://``)."""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any

ASSET_ORDER_JS = ("gl.js", "chart.js", "app.js")
DATA_MARK = "/*@MCGEN_DATA@*/"


def _asset(name: str) -> str:
    return (resources.files("mcgen.view") / "assets" / name).read_text(encoding="utf-8")


def embed_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>``, no HTML comment openers)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True, default=str, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(data: dict[str, Any]) -> str:
    """The complete HTML document for ``data`` (as :func:`mcgen.view.gather.gather` returns it)."""
    page = _asset("viewer.html")
    js = "\n".join(_asset(n) for n in ASSET_ORDER_JS)
    parts = {
        "@TITLE@": html.escape(f"mcgen view: {data.get('title', '')}"),
        "/*@CSS@*/": _asset("viewer.css"),
        "/*@JS@*/": js,
        DATA_MARK: embed_json(data),
    }
    for mark, value in parts.items():
        if mark not in page:
            raise RuntimeError(f"viewer template lacks {mark}")  # a packaging bug, not user input
        page = page.replace(mark, value, 1)
    return page
