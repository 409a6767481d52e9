"""The `digest` command line (typer). Thin: each command calls one pipeline module.

Imports of heavy modules happen inside the commands so `digest --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from digest.errors import UserError

app = typer.Typer(
    help="Turn a project's meeting notes into a monthly email digest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
subscribers_app = typer.Typer(help="Manage the digest's own subscribers.", no_args_is_help=True)
app.add_typer(subscribers_app, name="subscribers")


class Globals:
    config: Path | None = None
    verbosity: int = 0


@app.callback()
def _globals(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file (default: $DIGEST_CONFIG, else ./config.toml).",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More detail.")] = 0,
    quiet: Annotated[int, typer.Option("--quiet", "-q", count=True, help="Only problems.")] = 0,
) -> None:
    Globals.config = config
    Globals.verbosity = verbose - quiet
    from digest.log import setup_logging

    setup_logging(Globals.verbosity)


def load() -> object:
    """The validated config; its warnings are logged once."""
    import logging

    from digest.config import load_config

    cfg = load_config(Globals.config)
    for warning in cfg.warnings:
        logging.getLogger("digest").warning(warning)
    return cfg


# ---- commands: each body belongs to the module named in its comment ---------


def main() -> None:
    try:
        app()
    except UserError as exc:
        # One sentence, no traceback: the user can fix this.
        print(f"digest: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print(
            "digest: interrupted; the state is consistent, run the command again.", file=sys.stderr
        )
        sys.exit(130)
