"""Vanilla data packs holding structure templates: ``/place template mcgen:NAME`` without mods.

Layout (a folder, or the same inside a ``.zip``; the game reads both from ``<world>/datapacks/``)::

    pack.mcmeta                                  {"pack": {"pack_format": N, "description": ...}}
    data/mcgen/structure/NAME.nbt                (``structures/`` before 1.21)

The pack format is the one of the ``--mc-version`` release (:data:`PACK_FORMATS`, from the
Minecraft wiki's pack-format list; 1.21.9+ write ``min_format``/``max_format`` as
``[major, minor]`` instead). ``/place template`` exists since 1.19; older games load the
template with a structure block in Load mode (name ``mcgen:NAME``).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

from mcgen.errors import ExportError, FileIOError
from mcgen.export import versions
from mcgen.fsutil import atomic_write_bytes

NAMESPACE = "mcgen"
MARKER = "mcgen structures"  # the description starts with this: a pack we may add to
INSTALL_NAME = "mcgen_structures"  # folder under <world>/datapacks/ (the relight pack is datapacks/mcgen)
STRUCTURE_DIR_RENAMED = 3953  # 1.21 (24w21a): data/<ns>/structures -> structure
SPLIT_FORMAT = 88  # 1.21.9: pack_format -> min_format/max_format
# Release -> (major, minor) data-pack format, for every release in versions.DATA_VERSIONS up to 1.21.11.
PACK_FORMATS: dict[str, tuple[int, int]] = {
    **dict.fromkeys(("1.16", "1.16.1"), (5, 0)), **dict.fromkeys(("1.16.2", "1.16.3", "1.16.4", "1.16.5"), (6, 0)),
    **dict.fromkeys(("1.17", "1.17.1"), (7, 0)), **dict.fromkeys(("1.18", "1.18.1"), (8, 0)), "1.18.2": (9, 0),
    **dict.fromkeys(("1.19", "1.19.1", "1.19.2", "1.19.3"), (10, 0)), "1.19.4": (12, 0),
    **dict.fromkeys(("1.20", "1.20.1"), (15, 0)), "1.20.2": (18, 0), **dict.fromkeys(("1.20.3", "1.20.4"), (26, 0)),
    **dict.fromkeys(("1.20.5", "1.20.6"), (41, 0)), **dict.fromkeys(("1.21", "1.21.1"), (48, 0)),
    **dict.fromkeys(("1.21.2", "1.21.3"), (57, 0)), "1.21.4": (61, 0), "1.21.5": (71, 0), "1.21.6": (80, 0),
    **dict.fromkeys(("1.21.7", "1.21.8"), (81, 0)), **dict.fromkeys(("1.21.9", "1.21.10"), (88, 0)),
    "1.21.11": (94, 1),
}
_BAD = re.compile(r"[^a-z0-9_.\-]+")


def _release(mc_version: str | None) -> str:
    """The release name for ``mc_version`` (default release when None), checked against the table.

    Raises:
        ExportError: unknown version, or one whose pack format this mcgen does not know.
    """
    name = versions.DEFAULT_MC_VERSION if mc_version is None else str(mc_version).strip()
    versions.data_version(name)  # unknown names fail here, with the usual message
    if name not in PACK_FORMATS:
        raise ExportError(f"no data-pack format known for Minecraft {name}; data packs support "
                          f"{next(iter(PACK_FORMATS))} to {list(PACK_FORMATS)[-1]}")
    return name


def pack_format(mc_version: str | None) -> tuple[int, int]:
    """``(major, minor)`` data-pack format of a release (minor is 0 before 1.21.9).

    Raises:
        ExportError: see :func:`_release`.
    """
    return PACK_FORMATS[_release(mc_version)]


def structure_dir(mc_version: str | None) -> str:
    """``structure`` (1.21 and later) or ``structures`` (before): the folder under ``data/<namespace>/``."""
    dv = versions.data_version(_release(mc_version))
    return "structure" if dv >= STRUCTURE_DIR_RENAMED else "structures"


def pack_mcmeta(mc_version: str | None, description: str = "") -> str:
    """The ``pack.mcmeta`` text for a pack made for exactly ``mc_version``."""
    major, minor = pack_format(mc_version)
    text = f"{MARKER}: /place template {NAMESPACE}:NAME" + (f" ({description})" if description else "")
    pack: dict = {"description": text}
    if major >= SPLIT_FORMAT:
        pack.update(min_format=[major, minor], max_format=[major, minor])
    else:
        pack["pack_format"] = major
    return json.dumps({"pack": pack}, indent=1) + "\n"


def template_name(stem: str) -> str:
    """A resource-location path for a template (lower case, ``[a-z0-9_.-]``; never empty)."""
    s = _BAD.sub("_", stem.lower()).strip("_.-")[:64]
    return s or "structure"


def pack_files(structures: list[tuple[str, bytes]], mc_version: str | None) -> dict[str, bytes]:
    """``relative path -> bytes`` of a data pack holding ``(template name, structure .nbt bytes)``.

    Raises:
        ExportError: an unsupported version, or two structures with the same template name.
    """
    folder = f"data/{NAMESPACE}/{structure_dir(mc_version)}"
    files: dict[str, bytes] = {}
    for name, data in structures:
        path = f"{folder}/{template_name(name)}.nbt"
        if path in files:
            raise ExportError(f"two structures would both be {NAMESPACE}:{template_name(name)}")
        files[path] = data
    files["pack.mcmeta"] = pack_mcmeta(mc_version).encode("utf-8")
    return files


def _is_our_pack(folder: Path) -> bool:
    """True when ``folder/pack.mcmeta`` is one of ours (its description starts with :data:`MARKER`)."""
    try:
        meta = json.loads((folder / "pack.mcmeta").read_text(encoding="utf-8"))
        return str(meta["pack"]["description"]).startswith(MARKER)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def write_pack(dest: str | os.PathLike, files: dict[str, bytes]) -> Path:
    """Write a data pack: a ``.zip`` file when ``dest`` ends in ``.zip``, else a folder.

    A new folder is built beside ``dest`` and renamed into place; an existing mcgen structure
    pack gets the new files added (each written atomically, ``pack.mcmeta`` last). Nothing is
    written when ``dest`` is something else.

    Raises:
        ExportError: ``dest`` exists and is not an mcgen structure pack (or an empty folder).
        FileIOError: the pack cannot be written.
    """
    dest = Path(dest)
    if dest.suffix.lower() == ".zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for rel in sorted(files, key=lambda r: r == "pack.mcmeta"):
                zf.writestr(rel, files[rel])
        atomic_write_bytes(dest, buf.getvalue())
        return dest
    if dest.exists() and not (dest.is_dir() and (not any(dest.iterdir()) or _is_our_pack(dest))):
        raise ExportError("exists and is not an mcgen structure data pack; refusing to write into it", path=dest)
    if dest.is_dir():
        for rel in sorted(files, key=lambda r: r == "pack.mcmeta"):  # pack.mcmeta last
            atomic_write_bytes(dest / rel, files[rel])
        return dest
    staging = dest.parent / f".{dest.name}.tmp-{os.getpid()}"
    try:
        for rel, data in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        os.replace(staging, dest)
    except OSError as exc:
        raise FileIOError(f"cannot write the data pack: {exc.strerror or exc}", path=dest) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def install_structures(world: str | os.PathLike, structures: list[tuple[str, bytes]],
                       mc_version: str | None) -> Path:
    """Add structures to ``<world>/datapacks/mcgen_structures`` (created when absent).

    The game picks it up on the next world load or ``/reload``; then ``/place template mcgen:NAME``.

    Raises:
        ExportError: unsupported version, or ``datapacks/mcgen_structures`` is not ours.
        FileIOError: the pack cannot be written.
    """
    return write_pack(Path(world) / "datapacks" / INSTALL_NAME, pack_files(structures, mc_version))
