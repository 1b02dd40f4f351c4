"""The ``mcgen`` command line (Typer). Each command group lives in its own module.

Errors from our code print ``mcgen: error: <one line>`` on stderr and exit 2 (usage),
3 (bad input, config or checkpoint) or 4 (file or world I/O); Ctrl-C exits 130.
``--debug`` adds the traceback. Heavy imports (torch, amulet) happen inside commands.
"""

from __future__ import annotations

import sys
import traceback

import typer

import mcgen
from mcgen.errors import McgenError

app = typer.Typer(
    name="mcgen",
    help="Train a 3-D diffusion transformer on Minecraft builds and put what it generates into the game.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = {"debug": False}
# typer >= 0.29 vendors click and exposes TyperException; older typer raises click's own errors.
_UsageErrors = getattr(typer, "TyperException", None) or __import__("click").ClickException


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mcgen {mcgen.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback on errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """mcgen: generate Minecraft buildings with a diffusion transformer.

    Quick start: `mcgen demo`. Typical flow: `mcgen dataset synth`, `mcgen train`,
    `mcgen sample`, `mcgen export` / `mcgen build`, `mcgen view`.
    """
    _state["debug"] = debug


def _register() -> None:
    from mcgen.cli import (  # noqa: PLC0415 - registration order is the help order
        cmd_complete, cmd_dataset, cmd_demo, cmd_evaluate, cmd_export, cmd_materials, cmd_model, cmd_models, cmd_render,
        cmd_studio, cmd_tokenizer, cmd_train, cmd_view, cmd_world,
    )

    for mod in (cmd_demo, cmd_dataset, cmd_train, cmd_tokenizer, cmd_model, cmd_models, cmd_complete, cmd_render, cmd_view, cmd_export,
                cmd_world, cmd_evaluate, cmd_materials, cmd_studio):
        mod.register(app)


_register()


def run(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _state["debug"] = "--debug" in argv
    try:
        rv = app(args=argv, prog_name="mcgen", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except _UsageErrors as exc:  # usage errors: Typer's own message, exit 2
        exc.show()
        return getattr(exc, "exit_code", 2)
    except (KeyboardInterrupt, typer.Abort):
        print("mcgen: interrupted", file=sys.stderr)
        return 130
    except McgenError as exc:
        if _state["debug"]:
            traceback.print_exc()
        print(f"mcgen: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return rv if isinstance(rv, int) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
