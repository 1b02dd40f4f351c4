"""The README and the user guide: every relative link and picture exists, every anchor names a
heading, the README stays short, and each guide page opens with what the reader will have."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = sorted((ROOT / "docs" / "guide").glob("*.md"))
PAGES = [ROOT / "README.md", *GUIDE, ROOT / "docs" / "STUDIES.md", ROOT / "docs" / "development.md",
         ROOT / "docs" / "cli.md"]
GUIDE_TASKS = ["getting-started", "worlds", "complete", "train", "import", "files", "studio", "quality", "python-api"]

_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HTML = re.compile(r"<(?:img|a)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"")


def outside_fences(text: str) -> list[str]:
    """The lines of ``text`` that are not in a fenced code block."""
    out, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            out.append(line)
    return out


def prose(text: str) -> str:
    """``text`` without its fenced code blocks and inline code spans."""
    return "\n".join(_INLINE_CODE.sub("", line) for line in outside_fences(text))


def links(page: Path) -> list[tuple[bool, str, str]]:
    """``(is_image, text, target)`` of every Markdown link, picture and HTML src/href of ``page``."""
    text = prose(page.read_text(encoding="utf-8"))
    found = [(m[1] == "!", m[2], m[3]) for m in _LINK.finditer(text)]
    return found + [(True, "", m[1]) for m in _HTML.finditer(text)]


def slugs(page: Path) -> set[str]:
    """The anchors of ``page``'s headings, as both GitHub and MkDocs make them (a link must work on both)."""
    github, mkdocs = set(), set()
    for line in outside_fences(page.read_text(encoding="utf-8")):
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        title = m[1].replace("`", "").strip().lower()
        github.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
        mkdocs.add(re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", title)).strip("-"))
    return github & mkdocs


def _is_external(target: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", target)) or target.startswith("//")


def _cases():
    for page in PAGES:
        for is_image, text, target in links(page):
            if not _is_external(target):
                yield pytest.param(page, is_image, text, target, id=f"{page.relative_to(ROOT)}->{target}")


@pytest.mark.parametrize(("page", "is_image", "text", "target"), list(_cases()))
def test_relative_link_exists(page, is_image, text, target):
    path, _, anchor = target.partition("#")
    dest = (page.parent / path).resolve() if path else page
    where = page.relative_to(ROOT)
    assert dest.exists(), f"{where}: {target} does not exist"
    assert ROOT in dest.parents or dest == ROOT, f"{where}: {target} points outside the repository"
    if is_image:
        assert dest.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"), f"{where}: {target}"
        assert text.strip(), f"{where}: the picture {target} has no alt text"
    if anchor:
        assert dest.suffix == ".md", f"{where}: {target}: an anchor into a file that is not Markdown"
        assert anchor in slugs(dest), f"{where}: {dest.relative_to(ROOT)} has no heading #{anchor}"


def test_link_finder_sees_links_and_skips_code(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("[a](x.md) ![pic](y.png) `[not](code.md)`\n```\n[no](fenced.md)\n```\n"
                    '<img src="z.png" alt="z">\n', encoding="utf-8")
    assert links(page) == [(False, "a", "x.md"), (True, "pic", "y.png"), (True, "", "z.png")]


def test_every_page_has_relative_links():
    for page in PAGES:
        assert any(not _is_external(t) for _, _, t in links(page)), f"{page.relative_to(ROOT)} links nowhere"


def test_readme_is_at_most_150_lines():
    n = len((ROOT / "README.md").read_text(encoding="utf-8").splitlines())
    assert n <= 150, f"README.md has {n} lines; move the detail into a page of docs/guide/"


def test_readme_shows_the_shipped_model_and_links_every_guide_page():
    readme_links = [t for _, _, t in links(ROOT / "README.md")]
    assert "docs/models/minecolonies_top.png" in readme_links
    for task in GUIDE_TASKS:
        assert f"docs/guide/{task}.md" in readme_links, f"README.md does not link the guide page {task}.md"
    assert "BENCHMARKS.md" in readme_links
    assert "mcgen/models/files/minecolonies.LICENSE.md" in readme_links


def test_guide_has_one_page_per_task_each_opening_with_what_the_reader_gets():
    names = {p.stem for p in GUIDE}
    assert set(GUIDE_TASKS) <= names
    for page in GUIDE:
        if page.stem == "index":
            continue
        body = [line for line in page.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert body[0].startswith("# "), f"{page.name}: no title"
        assert body[1].startswith("**At the end of this page you have**"), \
            f"{page.name}: the first paragraph should say what the reader has at the end"


def test_every_page_is_in_the_site_navigation():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in PAGES[1:]:
        assert page.relative_to(ROOT / "docs").as_posix() in nav, f"{page.name} is not in mkdocs.yml's nav"
    for page in ("index.md", "ARCHITECTURE.md", "BENCHMARKS.md"):
        assert f": {page}" in nav
