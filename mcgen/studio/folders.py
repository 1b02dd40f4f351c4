"""Names in requests -> files in the configured folders, never anywhere else.

A request names a model by its file stem (or a shipped model by its registry name) and a world by
its folder name, nothing more: no path
separators, no ``..``, nothing hidden, and what the name leads to must still lie directly in the
configured folder once symlinks are resolved (a world folder that is a link to elsewhere is
refused, as is a link inside it that leads out: ``level.dat``, ``region``, ``db`` (Bedrock),
``mcgen_backups``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mcgen.models import Registry, current
from mcgen.studio.errors import Forbidden, NotFound, RequestError

_BAD = re.compile(r"[/\\\x00-\x1f:*?\"<>|]")
MAX_NAME = 128
_WORLD_PARTS = ("level.dat", "region", "db", "levelname.txt", "mcgen_backups", "dimensions", "datapacks",
                "mcgen_log.json")


def check_name(name: str, what: str) -> str:
    """Refuse a name that is empty, too long, hidden, ``.``/``..`` or holds a separator.

    Raises:
        RequestError: with the reason.
    """
    if not isinstance(name, str) or not name.strip():
        raise RequestError(f"{what} name is empty")
    if len(name) > MAX_NAME:
        raise RequestError(f"{what} name is longer than {MAX_NAME} characters")
    if name.startswith(".") or _BAD.search(name) or name != name.strip():
        raise RequestError(f"{what} name {name!r} is not a plain name (no paths, no '..', nothing hidden)")
    return name


def _directly_in(root: Path, path: Path, what: str, name: str) -> Path:
    """``path`` with links resolved, if that still lies directly in ``root`` (resolved too).

    Raises:
        Forbidden: it leads elsewhere.
    """
    real = path.resolve()
    if real.parent != Path(root).resolve():
        raise Forbidden(f"{what} {name!r} leads outside the server's {what}s folder")
    return real


def list_models(root: Path | None) -> list[str]:
    """Stems of the ``*.pt`` files directly in ``root`` (links that lead out are left out)."""
    if root is None:
        return []
    out = []
    for p in sorted(Path(root).glob("*.pt")):
        try:
            model_path(root, p.stem)
        except RequestError:
            continue
        out.append(p.stem)
    return out


def model_path(root: Path | None, name: str) -> Path:
    """The checkpoint file of model ``name`` (``<root>/<name>.pt``).

    Raises:
        RequestError: a bad name. Forbidden: no models folder, or the file leads out of it.
        NotFound: no such model.
    """
    if root is None:
        raise Forbidden("this server has no models: start it with `mcgen studio --models DIR`")
    check_name(name, "model")
    path = Path(root) / f"{name}.pt"
    if not path.is_file():
        raise NotFound(f"no model {name!r}; models: {', '.join(list_models(root)) or 'none'}")
    return _directly_in(Path(root), path, "model", name)


class ModelSource(Protocol):
    """Where the studio's models come from: names to offer, and the checkpoint file of a name.

    The studio only ever asks a source for a name it listed; a registry of shipped models can be
    another source beside :class:`FolderModels`.
    """

    def names(self) -> list[str]:
        """The models to offer."""

    def path(self, name: str) -> Path:
        """The checkpoint of ``name`` (raises RequestError, Forbidden or NotFound)."""


@dataclass(frozen=True)
class FolderModels:
    """The ``*.pt`` files directly in ``root`` (``mcgen studio --models DIR``), by file stem."""

    root: Path | None

    def names(self) -> list[str]:
        return list_models(self.root)

    def path(self, name: str) -> Path:
        return model_path(self.root, name)


@dataclass(frozen=True)
class RegistryModels:
    """The models that ship with mcgen (:mod:`mcgen.models`), by registry name.

    Attributes:
        registry: the table to offer (``None``: the installed one, looked up on each call).
    """

    registry: Registry | None = None

    def names(self) -> list[str]:
        return (self.registry or current()).names()

    def path(self, name: str) -> Path:
        """The shipped file, verified (a missing or damaged install is a CheckpointError)."""
        reg = self.registry or current()
        check_name(name, "model")
        if reg.get(name) is None:
            raise NotFound(f"no shipped model {name!r}; shipped: {', '.join(reg.names()) or 'none'}")
        return reg.path(name)


@dataclass(frozen=True)
class CombinedModels:
    """Several sources as one: every name once, the first source that has a name serves it (so a
    file in ``--models DIR`` shadows a shipped model of the same name, as a path wins over a name on
    the command line). A source's refusal (a link out of its folder) is the answer when no other
    source has the name."""

    sources: tuple[ModelSource, ...]

    def names(self) -> list[str]:
        seen: dict[str, None] = {}
        for source in self.sources:
            seen.update(dict.fromkeys(source.names()))
        return list(seen)

    def path(self, name: str) -> Path:
        check_name(name, "model")
        refusal = None
        for source in self.sources:
            try:
                return source.path(name)
            except NotFound:
                continue
            except Forbidden as exc:
                refusal = refusal or exc
        if refusal is not None:
            raise refusal
        names = self.names()
        if not names:
            raise NotFound(f"no model {name!r}: this server has no models (start it with `mcgen studio --models DIR`)")
        raise NotFound(f"no model {name!r}; models: {', '.join(names)}")


def studio_models(models_dir: Path | None) -> ModelSource:
    """What ``mcgen studio`` offers: the ``*.pt`` files of ``--models DIR`` (when given), then the
    shipped models."""
    folder = (FolderModels(models_dir),) if models_dir is not None else ()
    return CombinedModels((*folder, RegistryModels()))


def list_worlds(root: Path | None) -> list[str]:
    """Names of the world saves (folders with ``level.dat``) directly in ``root``."""
    if root is None:
        return []
    out = []
    for p in sorted(Path(root).iterdir()):
        try:
            world_path(root, p.name)
        except RequestError:
            continue
        out.append(p.name)
    return out


def world_path(root: Path | None, name: str) -> Path:
    """The save folder of world ``name`` in ``root``.

    Raises:
        RequestError: a bad name. Forbidden: no worlds folder, or the save (or a part of it) leads
        out of it. NotFound: no such save.
    """
    if root is None:
        raise Forbidden("pasting is off: start the server with `mcgen studio --worlds DIR`")
    check_name(name, "world")
    path = Path(root) / name
    if not (path / "level.dat").is_file():
        raise NotFound(f"no world {name!r}; worlds: {', '.join(list_worlds(root)) or 'none'}")
    real = _directly_in(Path(root), path, "world", name)
    for part in _WORLD_PARTS:
        if (path / part).exists():
            inner = (path / part).resolve()
            if real not in inner.parents:
                raise Forbidden(f"world {name!r}: {part} leads outside the save")
    return real
