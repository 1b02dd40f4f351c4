"""Read any supported structure file into a :class:`~mcgen.grid.VoxelGrid`, sniffing the content.

Supported: Sponge ``.schem`` v1 (with palette), v2, v3 (also when saved as ``.schematic``),
vanilla structure ``.nbt`` (``palette`` or ``palettes``), ``.litematic`` (Versions 1-7, any
number of regions), Bedrock ``.mcstructure``, Structurize ``.blueprint`` (mod blocks mapped to vanilla, see
:mod:`mcgen.export.blueprint`) and legacy MCEdit ``.schematic``. Block
entities, entities and biomes are not part of the voxel model and are dropped. Anything
else is refused with one :class:`FormatError` line saying what the file is and why.
"""

from __future__ import annotations

import os
from pathlib import Path

from mcgen.errors import FormatError
from mcgen.export import blueprint, litematic, mcedit, mcstructure, nbtio, sponge, structure
from mcgen.grid import VoxelGrid

MAX_FILE_BYTES = 256 * 1024 * 1024


def read_bytes(data: bytes, *, source: object = None, solid_fill: str = "ground") -> VoxelGrid:
    """Decode structure-file bytes (any supported format).

    ``solid_fill`` is for ``.blueprint``: ``ground`` fills its solid placeholders with dirt,
    ``air`` drops them.

    Raises:
        FormatError: not NBT, corrupt, unknown kind, or an unsupported variant.
    """
    try:
        nbt = nbtio.load_bytes(data, source=source)
    except FormatError as exc:
        raise FormatError(f"not a readable structure file: {_strip(exc, source)}", path=source) from exc
    root = nbt.root
    if nbt.little_endian:
        if mcstructure.is_mcstructure(root):
            return mcstructure.read_mcstructure(nbt, source=source)
        raise FormatError("little-endian NBT that is not a Bedrock .mcstructure", path=source)
    if mcedit.is_mcedit(root):
        return mcedit.read_mcedit(nbt, source=source)
    if sponge.sponge_body(root) is not None:
        return sponge.read_schem(nbt, source=source)
    if blueprint.is_blueprint(root):
        return blueprint.read_blueprint(nbt, source=source, solid_fill=solid_fill)
    if litematic.is_litematic(root):
        return litematic.read_litematic(nbt, source=source)
    if structure.is_structure(root):
        return structure.read_structure_nbt(nbt, source=source)
    if mcstructure.is_mcstructure(root):
        return mcstructure.read_mcstructure(nbt, source=source)
    keys = ", ".join(list(root)[:6]) or "none"
    raise FormatError(f"NBT file of an unknown kind (top-level tags: {keys})", path=source)


def _strip(exc: FormatError, source: object) -> str:
    msg = str(exc)
    prefix = f"{source}: "
    return msg[len(prefix):] if source is not None and msg.startswith(prefix) else msg


def read_file(path: str | os.PathLike, *, solid_fill: str = "ground") -> VoxelGrid:
    """Read a structure file; the format comes from the content, not the suffix.

    ``solid_fill``: see :func:`read_bytes`.

    Raises:
        FormatError: missing, too large, not NBT, corrupt or unsupported; one line.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FormatError(f"file of {size} bytes is larger than {MAX_FILE_BYTES} bytes; refusing", path=path)
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    grid = read_bytes(data, source=path, solid_fill=solid_fill)
    grid.meta.setdefault("source", path.name)
    return grid
