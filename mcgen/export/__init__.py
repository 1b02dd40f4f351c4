"""Structure file formats: Sponge .schem (v2/v3), vanilla .nbt, .litematic, Bedrock .mcstructure, .blueprint.

Write with :func:`mcgen.export.writers.write_file`, read any of them (plus legacy MCEdit
``.schematic``) with :func:`mcgen.export.readers.read_file`. This package needs only numpy:
it has its own bounded NBT codec (:mod:`mcgen.export.nbtio`) and never imports torch or amulet.
"""

from __future__ import annotations

# format name -> file suffix written
FORMATS: dict[str, str] = {
    "schem": ".schem",
    "schem3": ".schem",
    "nbt": ".nbt",
    "litematic": ".litematic",
    "mcstructure": ".mcstructure",
    "blueprint": ".blueprint",
}

__all__ = ["FORMATS"]
