"""docs/cli.md is exactly what docs/gen_cli.py makes of today's Typer app, and covers all of it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import typer.main

from mcgen.cli import app

ROOT = Path(__file__).resolve().parents[2]
CLI_MD = ROOT / "docs" / "cli.md"


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("mcgen_docs_gen_cli", ROOT / "docs" / "gen_cli.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def rendered(gen) -> str:
    return gen.render()


def _first_difference(a: str, b: str) -> str:
    for i, (x, y) in enumerate(zip(a.splitlines(), b.splitlines()), 1):
        if x != y:
            return f"line {i}: file has {x!r}, the app gives {y!r}"
    return f"lengths differ: the file has {len(a.splitlines())} lines, the app gives {len(b.splitlines())}"


def test_cli_reference_matches_the_app(gen, rendered):
    actual = CLI_MD.read_text(encoding="utf-8")
    assert actual == rendered, (f"docs/cli.md is stale ({_first_difference(actual, rendered)}): "
                                f"regenerate with: {gen.REGENERATE}")


def _commands(cmd, ctx, path):
    """Every (path, command, context) of the app, walked without the generator's code."""
    yield path, cmd, ctx
    for name in getattr(cmd, "list_commands", lambda _ctx: [])(ctx):
        sub = cmd.get_command(ctx, name)
        yield from _commands(sub, sub.make_context(name, [], parent=ctx, resilient_parsing=True), path + [name])


def _section(text: str, path: list[str]) -> str:
    """The part of the reference under the heading of ``path``, up to the next command heading."""
    heading = f"`{' '.join(path)}`\n"
    start = next(i for i, line in enumerate(text.splitlines(keepends=True))
                 if line.startswith("#") and line.endswith(heading))
    lines = text.splitlines(keepends=True)[start + 1:]
    end = next((i for i, line in enumerate(lines) if line.startswith("#") and "`mcgen" in line), len(lines))
    return "".join(lines[:end])


def test_every_command_option_and_argument_is_documented(gen, rendered):
    root = typer.main.get_command(app)
    found = list(_commands(root, root.make_context("mcgen", [], resilient_parsing=True), ["mcgen"]))
    assert len(found) > 10
    for path, cmd, ctx in found:
        section = _section(rendered, path)
        for param in cmd.get_params(ctx):
            if param.get_help_record(ctx) is None:
                continue
            for name in param.opts:
                if param.param_type_name == "option":
                    assert name in section, f"{' '.join(path)}: option {name} missing from its section"
            if param.help:
                first_words = " ".join(param.help.split()[:3])
                assert gen.escape(first_words) in section or first_words in section, \
                    f"{' '.join(path)}: help of {param.name} missing"
        assert f"](#{'-'.join(path)})" in rendered or path == ["mcgen"], f"{' '.join(path)} not in the contents"


def test_check_mode_reports_a_stale_file_with_the_command_to_fix_it(gen, tmp_path, capsys):
    stale = tmp_path / "cli.md"
    stale.write_text("# CLI reference\n\nan old copy\n", encoding="utf-8")
    assert gen.main(["--check", "--out", str(stale)]) == 1
    assert f"regenerate with: {gen.REGENERATE}" in capsys.readouterr().err
    assert gen.main(["--out", str(stale)]) == 0
    assert gen.main(["--check", "--out", str(stale)]) == 0


def test_help_text_is_escaped_outside_code_spans(gen):
    assert gen.escape("files in <save>/mcgen_backups and *.pt") == r"files in \<save\>/mcgen\_backups and \*.pt"
    assert gen.escape("run `mcgen world new <name>` first") == "run `mcgen world new <name>` first"


def test_indented_examples_become_code_blocks(gen):
    blocks = gen._paragraphs("Does a thing.\n\nExamples:\n  mcgen demo --out x_y\n  mcgen demo\n")
    assert blocks[0] == "Does a thing."
    assert blocks[1] == "Examples:"
    assert blocks[2] == "```text\nmcgen demo --out x_y\nmcgen demo\n```"
