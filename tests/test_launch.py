"""`digest --help` and `digest sync` start without typer, and answer exactly as the
typer app does: the same help text, the same reading of the command line, the same
sentence for a mistake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from digest.cli import app
from digest.launch import HELP, SyncLine, plain_sync

ROOT = Path(__file__).resolve().parents[1]

# Run `digest` as the console script does, then say which of typer's modules it loaded.
LAUNCH = """\
import sys
from digest.launch import main
sys.argv = ["digest", *sys.argv[1:]]
try:
    main()
finally:
    print("loaded typer:", "typer" in sys.modules, file=sys.stderr)
"""


# The same command line run by the typer app, as launch hands it anything else.
VIA_TYPER = """\
import sys
from digest.cli import run_app
from digest.launch import guarded
sys.argv = ["digest", *sys.argv[1:]]
guarded(run_app)
"""


def run_digest(
    cwd: Path, *args: str, columns: int | None = None, script: str = LAUNCH
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["DIGEST_CONFIG"] = ""
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def typer_help(columns: int) -> str:
    """`digest --help` from the typer app in a terminal `columns` wide (click wraps
    help to the terminal, at most 78 columns, at least 50)."""
    width = max(min(columns, 80) - 2, 50)
    result = CliRunner().invoke(app, ["--help"], prog_name="digest", terminal_width=width)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_stored_help_is_what_typer_prints_at_80_columns_and_wider() -> None:
    assert typer_help(80) == HELP, (
        "digest --help changed: paste typer's text (this test's typer_help(80)) into "
        "digest/launch.py's HELP"
    )
    assert typer_help(200) == HELP


def test_help_in_a_wide_terminal_is_printed_without_typer(tmp_path: Path) -> None:
    proc = run_digest(tmp_path, "--help", columns=120)
    assert proc.returncode == 0
    assert proc.stdout == HELP
    assert "loaded typer: False" in proc.stderr


def test_help_in_a_narrow_terminal_is_typers_wrapped_to_it(tmp_path: Path) -> None:
    proc = run_digest(tmp_path, "--help", columns=60)
    assert proc.returncode == 0
    assert proc.stdout == typer_help(60) != HELP
    assert "loaded typer: True" in proc.stderr


def click_reading(args: list[str]) -> SyncLine | None:
    """How the typer app reads `args`: a SyncLine when it runs `sync`, else None."""
    group: Any = typer.main.get_command(app)
    try:
        ctx = group.make_context("digest", list(args))
        # click 8.2 keeps the command word apart from its arguments
        words = [*getattr(ctx, "_protected_args", []), *ctx.args]
        name, *rest = words or [None]
        if name != "sync":
            return None
        command = group.get_command(ctx, name)
        sub = command.make_context(name, rest, parent=ctx)
    except (click.exceptions.Exit, click.ClickException):
        return None
    config = ctx.params["config"]
    config = None if config is None else Path(config)  # typer makes it a Path for us
    verbosity = ctx.params["verbose"] - ctx.params["quiet"]
    return SyncLine(config, verbosity, sub.params["full"])


@pytest.mark.parametrize(
    "args",
    [
        ["sync"],
        ["-q", "sync"],
        ["-qq", "sync", "--full"],
        ["-v", "--quiet", "sync"],
        ["-c", "/etc/digest/config.toml", "sync"],
        ["--config", "a.toml", "-q", "sync"],
        ["--config=a.toml", "sync"],
        ["-qc", "a.toml", "sync"],
        ["-ca.toml", "sync"],
        ["-c", "sync", "sync"],
    ],
)
def test_the_usual_sync_lines_start_without_typer_and_read_as_typer_reads_them(
    args: list[str],
) -> None:
    line = plain_sync(args)
    assert line is not None
    assert line == click_reading(args)


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--help"],
        ["sync", "--help"],
        ["--version", "sync"],
        ["sync", "-q"],
        ["sync", "extra"],
        ["-x", "sync"],
        ["-c"],
        ["-c", "", "sync"],
        ["--", "sync"],
        ["preview"],
        ["-q", "preview", "sync"],
    ],
)
def test_anything_else_goes_to_typer(args: list[str]) -> None:
    assert plain_sync(args) is None


WORDS = ["sync", "--full", "-q", "-v", "-qq", "-vq", "-c", "-qc", "-ca.toml", "a.toml"]
WORDS += ["--config", "--config=b.toml", "--quiet", "--verbose", "--help", "--", "-x"]
WORDS += ["preview", "--version", ""]


@given(st.lists(st.sampled_from(WORDS), max_size=6))
def test_a_line_read_without_typer_is_read_as_typer_reads_it(args: list[str]) -> None:
    line = plain_sync(args)
    if line is not None:
        assert line == click_reading(args)


def write_config(root: Path, body: str) -> Path:
    (root / "notes").mkdir(exist_ok=True)
    (root / "notes" / "2026-10-01.md").write_text(
        "# Sync 2026-10-01\n\n## Actions\n\n- Ana: ship\n"
    )
    path = root / "config.toml"
    path.write_text(body)
    return path


GOOD = """\
[digest]
state_dir = "state"

[[sources]]
name = "team"
kind = "dir"
path = "notes"
"""


def test_sync_without_typer_reads_the_notes_and_says_so(tmp_path: Path) -> None:
    write_config(tmp_path, GOOD)
    proc = run_digest(tmp_path, "sync")
    assert proc.returncode == 0, proc.stderr
    assert "synced 1 source: 1 new note, 1 meeting" in proc.stderr
    assert "loaded typer: False" in proc.stderr
    again = run_digest(tmp_path, "-q", "sync")
    assert again.returncode == 0
    assert again.stderr == "loaded typer: False\n"  # -q: nothing new, nothing said


def test_a_mistake_in_the_config_is_the_same_sentence_either_way(tmp_path: Path) -> None:
    write_config(tmp_path, GOOD.replace('kind = "dir"', 'kind = "folder"'))
    fast = run_digest(tmp_path, "sync")
    via_typer = run_digest(tmp_path, "sync", "--help")  # proves the app's own path runs
    assert "loaded typer: True" in via_typer.stderr
    slow = run_digest(tmp_path, "sync", script=VIA_TYPER)
    sentence = fast.stderr.replace("loaded typer: False\n", "")
    assert sentence.startswith("digest: ") and sentence.count("\n") == 1
    assert "kind" in sentence
    assert (fast.returncode, sentence) == (slow.returncode, slow.stderr)


def test_sync_exits_1_when_no_source_can_be_read(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        GOOD.replace('path = "notes"', 'kind = "git"\nurl = "gone"').replace('kind = "dir"\n', ""),
    )
    proc = run_digest(tmp_path, "sync")
    assert proc.returncode == 1
    assert "loaded typer: False" in proc.stderr
