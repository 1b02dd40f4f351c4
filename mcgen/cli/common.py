"""Helpers shared by the CLI command modules."""

from __future__ import annotations

import sys

import typer

CHECKPOINT_HELP = ("Checkpoint file (e.g. outputs/checkpoints/latest.pt) or the name of a model that ships with "
                   "mcgen (`mcgen models`).")


def say(msg: str) -> None:
    """Print a progress/info line for the user (stderr keeps stdout clean for data)."""
    typer.echo(msg, err=True)


def out(msg: str) -> None:
    """Print a result line on stdout."""
    typer.echo(msg)


def is_tty() -> bool:
    """True when stderr is a terminal (progress bars) rather than a log or pipe."""
    return sys.stderr.isatty()
