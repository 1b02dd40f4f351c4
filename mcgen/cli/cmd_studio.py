"""CLI command ``mcgen studio``: the local web app and JSON API (FastAPI and uvicorn imported inside)."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from mcgen.cli.common import out, say


def studio_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (default: this machine only)."),
    port: int = typer.Option(8765, "--port", help="TCP port (0: any free one; the URL says which)."),
    models: Path | None = typer.Option(None, "--models", help="Folder of *.pt checkpoints, offered by file name "
                                       "beside the models that ship with mcgen (`mcgen models`)."),
    worlds: Path | None = typer.Option(None, "--worlds", help="The only folder of world saves the studio may "
                                       "paste into (default: pasting is off)."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="Torch threads for generation "
                                       "(default: all cores)."),
    max_upload_mb: float = typer.Option(32.0, "--max-upload-mb", min=0.001, help="Largest upload accepted."),
    max_count: int = typer.Option(16, "--max-count", min=1, help="Most builds one request may ask for."),
    keep_backups: int | None = typer.Option(None, "--keep-backups", min=0, help="Backups each world keeps after "
                                            "a paste (default $MCGEN_KEEP_BACKUPS or 10; 0 keeps all)."),
    allow_host: list[str] = typer.Option([], "--allow-host", help="Another Host name this server answers to "
                                         "(with --host 0.0.0.0: the machine's name); repeatable."),
    open_browser: bool = typer.Option(False, "--open", help="Open the page in the default browser."),
) -> None:
    """Open mcgen studio: generate, complete, preview, export and paste builds in the browser, plus
    the same as a JSON API (schema at /openapi.json).

    Example: mcgen studio --models runs/ --worlds worlds/
    """
    from mcgen.studio.config import StudioConfig  # noqa: PLC0415
    from mcgen.studio.folders import studio_models  # noqa: PLC0415
    from mcgen.studio.server import serve  # noqa: PLC0415

    config = StudioConfig(host=host, port=port, models_dir=models, worlds_dir=worlds, threads=threads,
                          max_upload_bytes=int(max_upload_mb * 1024 * 1024), max_count=max_count,
                          keep_backups=keep_backups, allow_hosts=tuple(allow_host))
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("mcgen studio: %(message)s"))
    logging.getLogger("mcgen.studio").addHandler(handler)
    if not config.loopback:
        say(f"warning: listening on {host}: anyone who can reach this machine can use the studio"
            + (" and paste into the worlds folder" if worlds else ""))
    source = studio_models(models)
    if not source.names():
        say("note: no --models DIR and no models ship with this build: the page can preview, export and paste "
            "uploads but not generate")
    if worlds is None:
        say("note: no --worlds DIR: pasting into a save is off")

    def ready(url: str) -> None:
        out(url)
        say(f"mcgen studio at {url} (API schema: {url}openapi.json); Ctrl-C stops it")
        if open_browser:
            import webbrowser  # noqa: PLC0415

            webbrowser.open(url)

    serve(config, on_ready=ready, models=source)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("studio")(studio_cmd)
