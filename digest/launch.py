"""The `digest` entry point. It runs the two commands started most often — the
timer's `digest [-c PATH] [-v|-q] sync [--full]` and a person's `digest --help` —
without loading typer, which is most of a start (0.1 s of 0.25 s); every other
command line goes to the typer app in digest.cli, which answers the same way.

What every command shares lives here so both paths run the same code: the global
options, loading the config, and turning a user's mistake into one sentence.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from digest.errors import UserError

if TYPE_CHECKING:
    from digest.config.schema import Config


class Globals:
    config: Path | None = None
    verbosity: int = 0
    db_path: Path | None = None  # set by load(): names the state in a database error


def set_globals(config: Path | None, verbosity: int) -> None:
    """The global options, for every command: the config file, and how much to log."""
    from digest.log import setup_logging

    Globals.config = config
    Globals.verbosity = verbosity
    setup_logging(verbosity)


def completing() -> bool:
    """Whether the shell asks for completions (click's _DIGEST_COMPLETE): the whole app."""
    return any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ)


def load() -> Config:
    """The validated config; its warnings are logged once."""
    import logging

    from digest.config.load import load_config

    cfg = load_config(Globals.config)
    Globals.db_path = cfg.db_path
    for warning in cfg.warnings:
        logging.getLogger("digest").warning(warning)
    return cfg


def sync_command(full: bool) -> int:
    """`digest sync`: the exit status (1 when no source could be read, so a timer
    or cron sees the failure)."""
    import logging

    from digest.app.sync import run_sync

    cfg = load()
    report = run_sync(cfg, full=full)
    # Warnings were logged as they happened; the summary counts them.
    logging.getLogger("digest").info(report.summary())
    return 1 if cfg.sources and len(report.failed) == len(cfg.sources) else 0


class SyncLine(NamedTuple):
    """A `digest sync` command line, as typer would read it."""

    config: Path | None
    verbosity: int
    full: bool


def plain_sync(args: list[str]) -> SyncLine | None:
    """`args` read as `[-c PATH] [-v|-q ...] sync [--full]`, or None for anything
    else (other options, --help, --, a mistake): typer then reads them, and says
    what is wrong the way it does for every command."""
    config: Path | None = None
    verbosity = 0
    rest = iter(args)
    for arg in rest:
        if arg == "sync":
            break
        if arg in ("--verbose", "--quiet"):
            verbosity += 1 if arg == "--verbose" else -1
        elif arg == "--config" or arg.startswith("--config="):
            value = arg.partition("=")[2] if "=" in arg else next(rest, "")
            if not value:
                return None
            config = Path(value)
        elif arg.startswith("-") and not arg.startswith("--") and len(arg) > 1:
            # A cluster of short flags: "-qq", "-vq", "-qc PATH", "-cPATH".
            for at, flag in enumerate(arg[1:], start=1):
                if flag in "vq":
                    verbosity += 1 if flag == "v" else -1
                elif flag == "c":
                    value = arg[at + 1 :] or next(rest, "")
                    if not value:
                        return None
                    config = Path(value)
                    break
                else:
                    return None
        else:
            return None
    else:
        return None  # no command
    after = list(rest)
    if any(arg != "--full" for arg in after):
        return None
    return SyncLine(config, verbosity, bool(after))


def help_fits() -> bool:
    """Whether the terminal is wide enough for the stored help: click wraps help to
    the terminal's width, up to 78 columns."""
    import shutil

    return shutil.get_terminal_size().columns >= 80


def _interrupted(exc: BaseException) -> bool:
    """True when this exit was caused by Ctrl-C (typer turns it into a silent Exit(130))."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def say(sentence: str) -> None:
    """Print one user-facing sentence: secrets redacted, terminal controls removed."""
    from digest.log import printable, redact

    print(f"digest: {printable(redact(sentence))}", file=sys.stderr)


def guarded(run: Callable[[], None]) -> None:
    """Run a command; a mistake the user can fix ends in one sentence, no traceback."""
    import sqlite3

    from digest.errors import database_error

    try:
        run()
    except UserError as exc:
        say(str(exc))
        sys.exit(exc.exit_code)
    except sqlite3.Error as exc:
        # A damaged or read-only state database is found at the first page SQLite
        # touches, anywhere in a command: name the file, not the line of code.
        say(str(database_error(Globals.db_path or Path("state.db"), exc)))
        sys.exit(1)
    except KeyboardInterrupt:
        say("interrupted; the state is consistent, run the command again.")
        sys.exit(130)
    except SystemExit as exc:
        if exc.code == 130 and _interrupted(exc):
            say("interrupted; the state is consistent, run the command again.")
        raise


def _sync(line: SyncLine) -> None:
    set_globals(line.config, line.verbosity)
    status = sync_command(line.full)
    if status:
        sys.exit(status)


def main() -> None:
    args = sys.argv[1:]
    if not completing():
        if args == ["--help"] and help_fits():
            sys.stdout.write(HELP)
            return
        line = plain_sync(args)
        if line is not None:
            guarded(lambda: _sync(line))
            return
    from digest.cli import run_app

    guarded(run_app)


# What typer prints for `digest --help` in a terminal of 80 columns or more;
# tests/test_launch.py checks it is still exactly that.
HELP = """\
Usage: digest [OPTIONS] COMMAND [ARGS]...

  Turn a project's meeting notes into a monthly email digest.

Options:
  -c, --config PATH     Config file (default: $DIGEST_CONFIG, else
                        ./config.toml).
  -v, --verbose         More detail: each skipped digest, and debug lines.
  -q, --quiet           Only warnings and errors (-qq: only errors).
  --version             Print the version and exit.
  --install-completion  Install completion for the current shell.
  --show-completion     Show completion for the current shell, to copy it or
                        customize the installation.
  --help                Show this message and exit.

Commands:
  sync         Read what is new in every source into the state.
  preview      Show a digest without sending it.
  send         Mail what is due; never mails anyone twice.
  unsubscribe  Unsubscribe an address, or a token's reader.
  serve        Serve the subscribe and preferences pages and the archive.
  doctor       Check the set-up; sends nothing.
  init         Write a commented starter config.
  history      List the digests built and sent.
  subscribers  Manage the digest's own subscribers.
  archive      The web archive of sent digests.
  bounces      Bounces reported after the relay accepted a message.
  items        The items followed from meeting to meeting.

  Start with `digest init` and `digest doctor`; `digest COMMAND --help` shows
  each command with examples.
"""
