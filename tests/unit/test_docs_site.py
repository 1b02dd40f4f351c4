"""The documentation site: ``mkdocs build --strict`` passes (a broken link, anchor or picture fails
it), it holds README, guide, CLI reference, ARCHITECTURE and BENCHMARKS, and opens offline.

Needs the ``docs`` extra (``./run test`` installs it); skipped only when mkdocs is not importable.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(ROOT / "mkdocs.yml"), "--site-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return out


@pytest.fixture(scope="module")
def hooks():
    spec = importlib.util.spec_from_file_location("mcgen_docs_hooks", ROOT / "docs" / "mkdocs_hooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_site_has_every_part(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "Into your world in three commands" in index  # README.md is the home page
    assert 'src="models/minecolonies_top.png"' in index and (site / "models" / "minecolonies_top.png").is_file()
    for page in ("guide/getting-started", "guide/worlds", "guide/complete", "guide/train", "guide/import",
                 "guide/files", "guide/studio", "guide/quality", "guide/python-api", "cli", "ARCHITECTURE",
                 "BENCHMARKS", "STUDIES"):
        assert (site / f"{page}.html").is_file(), f"{page} missing from the site"
    assert 'id="mcgen-world-new"' in (site / "cli.html").read_text(encoding="utf-8")


def test_repository_links_become_site_links(site):
    guide = (site / "guide" / "quality.html").read_text(encoding="utf-8")
    assert 'href="../BENCHMARKS.html"' in guide  # ../../BENCHMARKS.md on GitHub
    bench = (site / "BENCHMARKS.html").read_text(encoding="utf-8")
    assert re.search(r'src="study_data\.png"', bench)  # docs/study_data.png on GitHub


def test_site_loads_nothing_from_the_network(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 15
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|link|img|iframe|source)\b[^>]*>", html):
            url = re.search(r'\b(?:src|href)="([^"]*)"', tag)
            if url is None or "rel=\"canonical\"" in tag:
                continue
            assert not re.match(r"^(?:[a-z]+:)?//", url[1]), f"{page.relative_to(site)} loads {url[1]}"
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html


def test_hook_rewrites_repository_paths(hooks):
    readme = "![p](docs/models/m.png) [g](docs/guide/train.md#fine-tuning) [b](BENCHMARKS.md) [w](https://x.org/a.md)"
    assert hooks.rewrite_links(readme, "README.md", "index.md") == \
        "![p](models/m.png) [g](guide/train.md#fine-tuning) [b](BENCHMARKS.md) [w](https://x.org/a.md)"
    guide = "[r](../../README.md) [c](../cli.md) ![x](../studio.png) [s](#top)\n```\n[k](../../README.md)\n```"
    assert hooks.rewrite_links(guide, "docs/guide/x.md", "guide/x.md") == \
        "[r](../index.md) [c](../cli.md) ![x](../studio.png) [s](#top)\n```\n[k](../../README.md)\n```"
    # a repository file the site does not hold is left alone, so --strict reports it
    assert hooks.rewrite_links("[m](mcgen/cli/__init__.py)", "README.md", "index.md") == "[m](mcgen/cli/__init__.py)"
