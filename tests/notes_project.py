"""A small notes project for the delivery tests: notes, config.toml, and a CLI runner.

The notes are about an invented project ("Quillwort", a config-file linter),
written for these tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from digest.cli import app
from digest.errors import UserError

SECRET = "test-secret-for-unsubscribe-tokens"

NOTES = {
    "2026-09-02-quillwort-sync.md": """\
# 2026-09-02 Quillwort Sync

## Action items

- [ ] [dana] write the migration guide for the 2.0 rule format
- [ ] [omar] profile the YAML loader on large monorepos
""",
    "2026-10-07-quillwort-sync.md": """\
# 2026-10-07 Quillwort Sync

## Action items

- [x] [dana] write the migration guide for the 2.0 rule format
- [ ] [omar] profile the YAML loader on large monorepos -> in progress
- [ ] [lin] propose a plugin interface for custom rules
""",
}


def write_notes(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in NOTES.items():
        (folder / name).write_text(text, encoding="utf-8")


def make_project(
    root: Path,
    *,
    list_address: str = "quillwort-dev@lists.example.org",
    subscribers: bool = True,
    smtp_port: int | None = None,
    smtp_extra: str = "",
    smtp_timeout: float = 10.0,
    mail_extra: str = "",
) -> Path:
    """Notes and a config.toml under root; returns the config path."""
    write_notes(root / "notes")
    transport = "smtp" if smtp_port else "outbox"
    config = f"""\
[digest]
title = "Quillwort digest"
state_dir = "state"

[[sources]]
name = "quillwort"
kind = "dir"
path = "notes"
glob = ["*.md"]

[schedule]
start = "2026-09"

[mail]
from = "Quillwort digest <digest@quillwort.example.org>"
list_address = "{list_address}"
subscribers = {"true" if subscribers else "false"}
unsubscribe_url = "https://quillwort.example.org/unsubscribe?token={{token}}"
unsubscribe_mailto = "leave@quillwort.example.org"
transport = "{transport}"
{mail_extra}

[outbox]
path = "outbox"
"""
    if smtp_port:
        config += f"""
[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
max_per_second = 10000.0
retries = 2
retry_base_seconds = 0.01
timeout = {smtp_timeout}
{smtp_extra}
"""
    path = root / "config.toml"
    path.write_text(config, encoding="utf-8")
    return path


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def run_digest(config: Path, *args: str) -> Run:
    """Run the CLI in-process; a UserError becomes its exit code and sentence, as in main()."""
    result = CliRunner().invoke(app, ["--config", str(config), *args])
    exc = result.exception
    if isinstance(exc, UserError):
        return Run(exc.exit_code, result.stdout, f"digest: {exc}")
    if exc is not None and not isinstance(exc, SystemExit):
        raise exc
    return Run(result.exit_code, result.stdout, result.stderr)


# The environment of a real `digest` process in tests: a token secret, nothing else added.
CLI_ENV = {**os.environ, "DIGEST_SECRET": "a-test-secret-that-is-long-enough-1234"}


def digest_process(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`digest --config CONFIG ARGS...` as its own process, as a user or a timer runs it."""
    return subprocess.run(
        [sys.executable, "-m", "digest", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=CLI_ENV,
        timeout=60,
    )
