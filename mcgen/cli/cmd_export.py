"""CLI commands: ``mcgen export`` (structures -> game files) and ``mcgen convert`` (file -> file)."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from mcgen.cli.common import out, say
from mcgen.errors import ExportError, UsageError

_FORMATS_HELP = "schem (Sponge v2, WorldEdit 7.0+/FAWE), schem3 (Sponge v3, WorldEdit 7.3+), nbt (structure block), " \
                "litematic (Litematica), mcstructure (Bedrock), blueprint (Structurize/MineColonies), " \
                "datapack (a vanilla data pack: -o FOLDER or -o NAME.zip, then /place template mcgen:NAME)"
_ANCHOR_HELP = (
    "Paste anchor for .schem: 'front' (default) = stand on the build's floor level just outside the middle of its "
    "north side, facing south (the default spawn facing), and '//schem load NAME' + '//paste' puts the build right "
    "in front of you; 'center' = you stand in the middle of its floor; 'corner' = you stand at its north-west "
    "bottom corner."
)
_SAFE = re.compile(r"[^A-Za-z0-9_\-]+")


def safe_name(stem: str) -> str:
    """A file stem WorldEdit accepts: ASCII letters, digits, '_' and '-', at most 64 characters."""
    s = _SAFE.sub("_", stem).strip("_-")[:64]
    return s or "structure"


def _fmt(fmt: str, schem_version: int | None) -> str:
    from mcgen.export import FORMATS  # noqa: PLC0415

    if fmt not in FORMATS and fmt != "datapack":
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, datapack; got {fmt!r}")
    if schem_version is not None:
        if schem_version not in (2, 3) or fmt not in ("schem", "schem3"):
            raise UsageError("--schem-version takes 2 or 3 and only applies to --format schem")
        return "schem3" if schem_version == 3 else "schem"
    return fmt


def _unique_names(inputs: list[Path]) -> list[str]:
    """Safe stems, one per input; clashes (``a.json`` and ``a.nbt``) get ``_2``, ``_3``, ..."""
    seen: dict[str, int] = {}
    names = []
    for p in inputs:
        stem = safe_name(p.stem if p.is_file() else p.name)
        seen[stem] = seen.get(stem, 0) + 1
        names.append(stem if seen[stem] == 1 else f"{stem}_{seen[stem]}")
    return names


def _targets(inputs: list[Path], output: Path | None, we_dir: Path | None, suffix: str) -> list[Path]:
    if we_dir is not None:
        if we_dir.name.lower() != "schematics":
            say(f"note: {we_dir} is not named 'schematics'; WorldEdit looks in plugins/WorldEdit/schematics "
                f"(Bukkit/Paper) or config/worldedit/schematics (Fabric/NeoForge)")
        base = [safe_name(output.stem)] if output is not None and len(inputs) == 1 else None
        return [we_dir / f"{n}{suffix}" for n in (base or _unique_names(inputs))]
    if output is None:
        raise UsageError("give -o OUT (a file, or a folder for several inputs) or --worldedit-dir DIR")
    if len(inputs) == 1 and not output.is_dir() and output.suffix:
        if output.suffix.lower() != suffix:
            raise UsageError(f"output {output} should end in {suffix} for this format")
        return [output]
    return [output / f"{n}{suffix}" for n in _unique_names(inputs)]


def export_cmd(
    source: Path = typer.Argument(..., help="A structure file, a sample folder, or a folder of them (one file each)."),
    fmt: str = typer.Option("schem", "--format", "-f", help=f"Output format: {_FORMATS_HELP}."),
    output: Path = typer.Option(None, "--output", "-o", help="Output file (one input) or folder (several)."),
    mc_version: str = typer.Option(None, "--mc-version", help="Target Java version, sets DataVersion "
                                   "(default 1.21.4). Blocks that version lacks are reported before writing."),
    worldedit_dir: Path = typer.Option(None, "--worldedit-dir", help="Write into this WorldEdit schematics folder "
                                       "(plugins/WorldEdit/schematics or config/worldedit/schematics) under a safe "
                                       "file name."),
    no_air: bool = typer.Option(False, "--no-air", help="nbt/mcstructure: leave air out (structure void) so the "
                                "world keeps its blocks there; default writes air, which clears the inside."),
    anchor: str = typer.Option("front", "--anchor", help=_ANCHOR_HELP),
    schem_version: int = typer.Option(None, "--schem-version", help="2 or 3 (same as --format schem / schem3)."),
) -> None:
    """Export structures to game files (.schem, .nbt, .litematic, .mcstructure, .blueprint) or a data pack.

    Paste a .schem with WorldEdit: stand where the build's north-side middle should be, face south,
    `//schem load NAME` then `//paste` (anchor 'front'; see --anchor).
    """
    from mcgen.export import FORMATS  # noqa: PLC0415 - keep `mcgen --help` light
    from mcgen.export.writers import encode  # noqa: PLC0415
    from mcgen.files import iter_structure_paths, read_structure  # noqa: PLC0415
    from mcgen.fsutil import atomic_write_bytes  # noqa: PLC0415

    fmt = _fmt(fmt, schem_version)
    inputs = iter_structure_paths(source)
    if not inputs:
        raise UsageError(f"no structures found in {source}")
    if fmt == "datapack":
        if worldedit_dir is not None:
            raise UsageError("--worldedit-dir is for .schem files; a data pack goes into <world>/datapacks/")
        _export_datapack(inputs, output, mc_version, no_air)
        return
    targets = _targets(inputs, output, worldedit_dir, FORMATS[fmt])
    blobs = []
    for p in inputs:  # encode everything first: nothing is written if any structure fails a check
        try:
            blobs.append(encode(read_structure(p), fmt, mc_version=mc_version, include_air=not no_air,
                                anchor=anchor, name=p.stem if p.is_file() else p.name))
        except ExportError as exc:
            raise ExportError(str(exc), path=p) from exc
    for target, data in zip(targets, blobs):
        atomic_write_bytes(target, data)
        out(str(target))
    say(f"wrote {len(targets)} {fmt} file(s)")
    if worldedit_dir is not None and fmt in ("schem", "schem3"):
        say(f"in game: //schem load {targets[0].stem}  then  //paste")


def _export_datapack(inputs: list[Path], output: Path | None, mc_version: str | None, no_air: bool) -> None:
    """``export --format datapack``: every input as a template in one data pack (folder or .zip)."""
    from mcgen.export.datapack import pack_files, template_name, write_pack  # noqa: PLC0415
    from mcgen.export.writers import encode  # noqa: PLC0415
    from mcgen.files import read_structure  # noqa: PLC0415

    if output is None:
        raise UsageError("--format datapack needs -o FOLDER (or -o NAME.zip); copy it into <world>/datapacks/")
    structures = []
    for p, name in zip(inputs, _unique_names(inputs)):
        try:
            structures.append((name, encode(read_structure(p), "nbt", mc_version=mc_version,
                                            include_air=not no_air)))
        except ExportError as exc:
            raise ExportError(str(exc), path=p) from exc
    files = pack_files(structures, mc_version)
    out(str(write_pack(output, files)))
    say(f"wrote a data pack with {len(structures)} structure(s); copy it into <world>/datapacks/, then /reload")
    for name, _ in structures:
        say(f"in game: /place template mcgen:{template_name(name)} ~ ~ ~")


def convert_cmd(
    src: Path = typer.Argument(..., help="Any readable structure file (.schem, .schematic, .nbt, .litematic, "
                               ".mcstructure, .blueprint, voxel .json/.npz) or a sample folder."),
    dst: Path = typer.Argument(..., help="Output file; its suffix picks the format (.schem, .nbt, .litematic, "
                               ".mcstructure, .blueprint, .json)."),
    mc_version: str = typer.Option(None, "--mc-version", help="Target Java version (default: the source file's "
                                   "version when it records one, else 1.21.4)."),
    schem_version: int = typer.Option(2, "--schem-version", help="Sponge version for .schem output: 2 or 3."),
    no_air: bool = typer.Option(False, "--no-air", help="nbt/mcstructure: leave air out (structure void)."),
    anchor: str = typer.Option("front", "--anchor", help=_ANCHOR_HELP),
    solid_fill: str = typer.Option("ground", "--solid-fill", help=".blueprint input: its 'fill with ground' "
                                   "placeholders become dirt (ground) or are dropped (air)."),
) -> None:
    """Convert a structure between formats (chosen by the output file's suffix).

    .blueprint input: placeholders and mod blocks become vanilla blocks; the counts are printed.
    """
    from mcgen.export.writers import format_for_path, write_file  # noqa: PLC0415
    from mcgen.files import read_structure  # noqa: PLC0415
    from mcgen.grid import save_json  # noqa: PLC0415

    if solid_fill not in ("ground", "air"):
        raise UsageError(f"--solid-fill must be ground or air, got {solid_fill!r}")
    grid = read_structure(src, solid_fill=solid_fill) if solid_fill != "ground" else read_structure(src)
    if mc_version is None:
        mc_version = _source_version(grid.meta.get("data_version"))
    if dst.suffix.lower() == ".json":
        save_json(grid, dst)
    else:
        fmt = _fmt(format_for_path(dst), schem_version if dst.suffix.lower() == ".schem" else None)
        write_file(grid, dst, fmt, mc_version=mc_version, include_air=not no_air, anchor=anchor,
                   name=Path(src).stem)
    out(str(dst))
    say(f"{src} -> {dst}: {grid.size[0]}x{grid.size[1]}x{grid.size[2]}, {grid.count()} blocks, "
        f"{len(grid.palette) - 1} block states")
    for pair, n in sorted((grid.meta.get("remapped") or {}).items(), key=lambda kv: -kv[1]):
        say(f"  remapped {n:>7}  {pair}")


def _source_version(dv: object) -> str | None:
    """The release a source file was saved with (so a conversion keeps its block names), if known."""
    from mcgen.export.versions import DATA_VERSIONS, version_name  # noqa: PLC0415

    if isinstance(dv, int) and dv >= min(DATA_VERSIONS.values()):
        return version_name(dv)
    return None


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("export")(export_cmd)
    app.command("convert")(convert_cmd)
