"""Every command the README and the user guide show parses, and every Python example imports.

Commands are taken from the fenced shell blocks (```bash, ```console, ```sh or unmarked) of the
pages: ``mcgen ...``, ``./run mcgen ...``, ``./run demo ...`` and ``torchrun ... -m trainer ...``
(which takes the options of ``mcgen train``). Each is parsed by the Typer app down to its command,
types and required options included, without running it, and then run with ``--help`` appended
through Typer's CliRunner, so nothing heavy ever runs.
"""

from __future__ import annotations

import ast
import importlib
import re
import shlex
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from mcgen.cli import app

# typer >= 0.29 vendors click and raises TyperException subclasses for usage errors (as mcgen.cli does)
USAGE_ERRORS = getattr(typer, "TyperException", None) or __import__("click").ClickException
ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs" / "guide").glob("*.md")),
         ROOT / "docs" / "STUDIES.md", ROOT / "docs" / "development.md"]
SHELL_LANGS = {"", "bash", "sh", "shell", "console"}
_FENCE = re.compile(r"^(\s*)(```|~~~)\s*([\w+-]*)\s*$")


def code_blocks(text: str) -> list[tuple[str, int, list[str]]]:
    """``(language, first line number, lines)`` of every fenced code block."""
    blocks, current = [], None
    for number, line in enumerate(text.splitlines(), 1):
        m = _FENCE.match(line)
        if current is None and m:
            current = (m[3].lower(), number + 1, [], m[2])
        elif current is not None and line.strip() == current[3]:
            blocks.append(current[:3])
            current = None
        elif current is not None:
            current[2].append(line)
    assert current is None, f"unclosed code block from line {current[1] - 1}"
    return blocks


def shell_lines(lines: list[str], first: int) -> list[tuple[int, str]]:
    """Logical lines (backslash continuations joined), with their first line number."""
    out, buf, start = [], "", first
    for i, line in enumerate(lines):
        if not buf:
            start = first + i
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        out.append((start, (buf + stripped).strip()))
        buf = ""
    return out


def mcgen_args(line: str) -> list[str] | None:
    """The ``mcgen`` arguments a shell line runs, or None when it runs something else."""
    if line.startswith("$ "):
        line = line[2:]
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError:
        return None
    if not tokens:
        return None
    if tokens[0] == "mcgen":
        return tokens[1:]
    if tokens[0] == "./run" and len(tokens) > 1:
        if tokens[1] == "mcgen":
            return tokens[2:]
        if tokens[1] == "demo":
            return tokens[1:]
        return None
    if tokens[0] == "torchrun" and "-m" in tokens:
        i = tokens.index("-m")
        if tokens[i + 1:i + 2] == ["trainer"]:
            return ["train", *tokens[i + 2:]]
    return None


def shown_commands() -> list[tuple[str, list[str]]]:
    found = []
    for page in PAGES:
        for lang, first, lines in code_blocks(page.read_text(encoding="utf-8")):
            if lang not in SHELL_LANGS:
                continue
            for number, line in shell_lines(lines, first):
                args = mcgen_args(line)
                if args is not None:
                    found.append((f"{page.relative_to(ROOT)}:{number}", args))
    return found


COMMANDS = shown_commands()


def parse_only(argv: list[str]):
    """Parse ``mcgen argv`` down to the command it names (every type and required option checked) and
    return that command's context; nothing is invoked."""
    cmd = typer.main.get_command(app)
    ctx = cmd.make_context("mcgen", list(argv))
    while hasattr(cmd, "resolve_command"):
        rest = [*(getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", [])), *ctx.args]
        if not rest:
            break  # a group run on its own (`mcgen models`)
        name, sub, args = cmd.resolve_command(ctx, rest)
        ctx = sub.make_context(name, args, parent=ctx)
        cmd = sub
    return ctx


def test_the_pages_show_commands_from_every_page():
    pages = {where.split(":")[0] for where, _ in COMMANDS}
    assert "README.md" in pages
    assert len([p for p in pages if p.startswith("docs/guide/")]) >= 6
    assert len(COMMANDS) >= 60


@pytest.mark.parametrize(("where", "args"), COMMANDS, ids=[w for w, _ in COMMANDS])
def test_shown_command_parses(where, args):
    if not {"--help", "-h"} & set(args):  # a page showing `--help` itself: the run below is the check
        try:
            ctx = parse_only(args)
        except USAGE_ERRORS as exc:  # show which line of which page
            pytest.fail(f"{where}: `mcgen {shlex.join(args)}` does not parse: {exc}")
        assert ctx.command is not None
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, f"{where}: `mcgen {shlex.join(args)} --help` exited {result.exit_code}: {result.output}"
    assert "Usage" in result.output


def test_labels_shown_with_a_shipped_model_are_its_labels():
    """`--label nordic` with `--checkpoint minecolonies` must be a style that model knows."""
    from mcgen.models import current  # noqa: PLC0415

    registry, checked = current(), 0
    for where, args in COMMANDS:
        ck = next((args[i + 1] for i, a in enumerate(args[:-1]) if a in ("--checkpoint", "-c")), None)
        label = next((args[i + 1] for i, a in enumerate(args[:-1]) if a == "--label"), None)
        model = registry.get(ck) if ck else None
        if model is None or label is None:
            continue
        assert label in (*model.labels, "all"), f"{where}: {ck} has no label {label!r}"
        checked += 1
    assert checked >= 10


def test_a_wrong_option_or_value_is_caught():
    """The check itself: what a stale page would show fails it."""
    for bad in (["build", "--checkpoint", "minecolonies", "--into", "w", "--count", "many"],
                ["build", "--into", "w"],                         # --checkpoint is required
                ["world", "nwe", "myworld"],
                ["paste", "house.schem", "--into", "w", "--at", "1", "2"],
                ["sample", "--checkpoint", "x", "--no-such-option"]):
        with pytest.raises(USAGE_ERRORS):
            parse_only(bad)


def test_readme_setup_is_exactly_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [lines for lang, _, lines in code_blocks(readme) if lang in SHELL_LANGS]
    first = [shlex.split(line, comments=True) for line in blocks[0] if line.strip()]
    assert first == [["./run", "demo"], ["./run", "test"]]


def test_readme_three_commands_into_a_world():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Into your world in three commands", 1)[1].split("\n## ", 1)[0]
    (lang, first, lines), *_ = code_blocks(section)
    runs = [mcgen_args(line) for _, line in shell_lines(lines, first)]
    assert [r[:2] for r in runs] == [["world", "new"], ["build", "--checkpoint"], ["world", "restore"]]
    assert runs[1][2] in ("minecolonies", "synthetic"), "the three commands use a shipped model"
    world = runs[0][2]
    assert runs[1][runs[1].index("--into") + 1] == world and runs[2][2] == world


def python_blocks() -> list[tuple[str, str]]:
    out = []
    for page in PAGES:
        for lang, first, lines in code_blocks(page.read_text(encoding="utf-8")):
            if lang in ("python", "py"):
                out.append((f"{page.relative_to(ROOT)}:{first}", "\n".join(lines)))
    return out


PYTHON = python_blocks()


@pytest.mark.parametrize(("where", "source"), PYTHON, ids=[w for w, _ in PYTHON])
def test_python_example_compiles_and_its_imports_exist(where, source):
    tree = ast.parse(source, filename=where)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("mcgen", "trainer"):
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name), f"{where}: {node.module} has no {alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("mcgen", "trainer"):
                    importlib.import_module(alias.name)


def test_the_guide_has_python_examples():
    assert any(w.startswith("docs/guide/python-api.md") for w, _ in PYTHON)
