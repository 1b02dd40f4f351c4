"""MkDocs hooks (``hooks:`` in mkdocs.yml): the site is built from the same Markdown GitHub shows.

README.md (the site's home page), BENCHMARKS.md and the licence notes live outside ``docs/``;
:func:`on_files` adds them to the site under the names in :data:`OUTSIDE`. Links in every page are
written for GitHub, relative to the file's place in the repository (``docs/guide/x.md`` from the
README, ``../../BENCHMARKS.md`` from a guide page); :func:`on_page_markdown` rewrites each one to
the site's path of the same file. A link to a repository file the site does not hold is left as
it is, so ``mkdocs build --strict`` reports it.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
# repository path -> path in the site
OUTSIDE = {
    "README.md": "index.md",
    "BENCHMARKS.md": "BENCHMARKS.md",
    "LICENSE": "LICENSE.txt",
    "mcgen/models/files/minecolonies.LICENSE.md": "licences/minecolonies.md",
}
_SITE_TO_REPO = {site: repo for repo, site in OUTSIDE.items()}
# [text](target "title") and ![alt](target); <img src="target">
_MD_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
_HTML_SRC = re.compile(r"((?:src|href)=\")([^\"]+)(\")")
_FENCE = re.compile(r"^\s*(```|~~~)")


def on_files(files, config):
    """Add the files of :data:`OUTSIDE` to the site."""
    for repo_path, site_path in OUTSIDE.items():
        if (ROOT / repo_path).is_file():
            files.append(File.generated(config, site_path, abs_src_path=str(ROOT / repo_path)))
    return files


def repo_path_of(site_path: str) -> str:
    """Where a page of the site lives in the repository."""
    return _SITE_TO_REPO.get(site_path, f"docs/{site_path}")


def site_target(target: str, page_repo_path: str, page_site_path: str) -> str:
    """``target`` as written in the repository file ``page_repo_path``, as a link from the site page."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
        return target  # a URL, an anchor on the same page, or an absolute path
    path, hash_, anchor = target.partition("#")
    repo_target = posixpath.normpath(posixpath.join(posixpath.dirname(page_repo_path), path))
    if repo_target in OUTSIDE:
        site = OUTSIDE[repo_target]
    elif repo_target.startswith("docs/"):
        site = repo_target[len("docs/"):]
    else:
        return target  # not in the site: --strict reports it
    rel = posixpath.relpath(site, posixpath.dirname(page_site_path) or ".")
    return rel + hash_ + anchor


def rewrite_links(markdown: str, page_repo_path: str, page_site_path: str) -> str:
    """Every Markdown link and image, and every HTML ``src``/``href``, outside code blocks, rewritten."""
    out, fenced = [], False
    for line in markdown.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            line = _MD_LINK.sub(lambda m: m[1] + site_target(m[2], page_repo_path, page_site_path) + m[3], line)
            line = _HTML_SRC.sub(lambda m: m[1] + site_target(m[2], page_repo_path, page_site_path) + m[3], line)
        out.append(line)
    return "\n".join(out)


def on_page_markdown(markdown, page, config, files):
    """Rewrite the page's links from repository paths to site paths."""
    site_path = page.file.src_uri
    return rewrite_links(markdown, repo_path_of(site_path), site_path)
