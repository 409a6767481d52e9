"""`digest --help` tells the truth: flags read as flags, every command shows examples,
and shell completion and `--version` work as the docs say.

Each command's help is rendered as a user sees it (`digest ... --help`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from digest.cli import app, app_for, command_named

ROOT = Path(__file__).resolve().parents[1]
DIGEST = Path(sys.executable).with_name("digest")


def command_paths(group: Any = None, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """("subscribers", "add") for every command and subcommand, and () for `digest`."""
    group = group if group is not None else typer.main.get_command(app)
    found = [prefix]
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            found += command_paths(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def command_of(path: tuple[str, ...]) -> Any:
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return command


def help_of(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], prog_name="digest", terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


PATHS = command_paths()
IDS = [" ".join(("digest", *p)) for p in PATHS]


def rows(text: str) -> dict[str, str]:
    """The left column of the Options and Arguments sections: term -> whole row."""
    found: dict[str, str] = {}
    section = ""
    for line in text.splitlines():
        if line and not line.startswith(" "):
            section = line.rstrip(":")
        elif section in ("Options", "Arguments") and re.match(r"  \S", line):
            term = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
            found[term] = line
    return found


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_no_value_placeholder_is_shown(path: tuple[str, ...]) -> None:
    """`--dry-run <bool>`, `-v <int>` or `ADDRESS <str>` tell a user to type a value."""
    text = help_of(path)
    terms = rows(text)
    assert terms, text
    for term in terms:
        assert "<" not in term, f"placeholder in {term!r}"
    # The usage line names arguments as written in the help, not "{ADDRESS}".
    assert "{" not in text.splitlines()[0], text.splitlines()[0]


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_flags_and_counts_show_as_flags(path: tuple[str, ...]) -> None:
    terms = rows(help_of(path))
    for param in command_of(path).params:
        if getattr(param, "param_type_name", "") != "option":
            continue
        if param.is_flag or param.count:
            names = sorted([*param.opts, *param.secondary_opts], key=len)
            assert ", ".join(names) in terms, (names, list(terms))


@pytest.mark.parametrize("path", [p for p in PATHS if p], ids=IDS[1:])
def test_every_command_shows_an_example(path: tuple[str, ...]) -> None:
    text = help_of(path)
    assert "Examples:" in text
    invocation = " ".join(("digest", *path))
    examples = text[text.index("Examples:") :]
    assert re.search(rf"^\s+{re.escape(invocation)}\b", examples, re.MULTILINE), examples


def test_send_help_ends_with_two_typical_invocations() -> None:
    lines = [line.strip() for line in help_of(("send",)).strip().splitlines()]
    invocations = [line for line in lines[-4:] if line.startswith("digest send")]
    assert invocations == ["digest send --dry-run", "digest send"]


def test_the_command_list_is_one_line_each_and_names_the_mail_table() -> None:
    text = help_of(())
    commands = text[text.index("Commands:") :]
    assert "..." not in commands  # no summary cut short
    assert "Serve the subscribe and preferences pages and the archive." in commands
    # "[mail]" in a help text is not eaten as rich markup.
    assert "[mail] subscribers = true" in help_of(("bounces", "import"))


# ---- a run builds only its command (start-up) ----------------------------------


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["sync"], "sync"),
        (["-q", "sync", "--help"], "sync"),
        (["-c", "sync", "preview"], "preview"),  # a config file named "sync"
        (["--config", "x.toml", "-vv", "send"], "send"),
        (["--config=x.toml", "send"], "send"),
        (["-qc", "x.toml", "send"], "send"),
        (["-qcx.toml", "send"], "send"),
        (["subscribers", "add", "a@example.org"], "subscribers"),
        (["--help", "sync"], None),  # the group's own help
        (["-q"], None),
        ([], None),
    ],
)
def test_the_command_run_is_the_first_word_after_the_global_options(
    args: list[str], name: str | None
) -> None:
    assert command_named(args) == name


@pytest.mark.parametrize("path", [p for p in PATHS if p], ids=IDS[1:])
def test_a_run_built_with_only_its_command_answers_as_the_whole_app(
    path: tuple[str, ...],
) -> None:
    """`digest` builds only the command named on its command line: that command's
    help, and its error for a wrong option, are the whole app's."""
    only = app_for(["-q", *path])
    assert len(only.registered_commands) + len(only.registered_groups) == 1
    runner = CliRunner()
    for args in (["-q", *path, "--help"], ["-q", *path, "--no-such-option"]):
        whole = runner.invoke(app, args, prog_name="digest", terminal_width=80)
        alone = runner.invoke(only, args, prog_name="digest", terminal_width=80)
        assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output)


@pytest.mark.parametrize("args", [["--help"], ["--help", "sync"], ["snyc"], []])
def test_help_and_a_mistyped_command_get_every_command(args: list[str]) -> None:
    assert app_for(args) is app  # the list of commands, or "Did you mean 'sync'?"


def test_verbose_and_quiet_are_repeatable_flags(tmp_path: Path) -> None:
    """`-v 1` was once suggested by the help; now `-vv` and `-qq` are the forms."""
    runner = CliRunner()
    for flags in (["-vv"], ["-qq"], ["-v", "-q"]):
        target = tmp_path / f"{''.join(flags)}.toml"
        result = runner.invoke(app, [*flags, "init", str(target)], prog_name="digest")
        assert result.exit_code == 0, result.output
        assert target.is_file()


def test_version_is_the_packages() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    proc = subprocess.run([DIGEST, "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout == f"digest (notes-digest) {version}\n"


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_install_completion_completes_commands_and_options_in_bash(tmp_path: Path) -> None:
    """`digest --install-completion` (as documented) into a throw-away home, then used."""
    env = {
        "HOME": str(tmp_path),
        "PATH": f"{DIGEST.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "SHELL": "/bin/bash",
    }
    # `; true` keeps bash as the parent process, the shell typer detects.
    install = subprocess.run(
        ["bash", "-c", "digest --install-completion; true"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "bash completion installed" in install.stdout, install.stdout + install.stderr
    script = tmp_path / ".bash_completions" / "digest.sh"
    assert script.is_file()
    assert str(script) in (tmp_path / ".bashrc").read_text()

    def complete(*words: str) -> list[str]:
        line = " ".join(f"'{w}'" for w in words)
        proc = subprocess.run(
            [
                "bash",
                "-c",
                f'source "{script}"; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; '
                '_digest_completion digest; printf "%s\\n" "${COMPREPLY[@]}"',
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return proc.stdout.split()

    # The deprecated serve-unsubscribe is hidden: not offered.
    assert complete("digest", "se") == ["send", "serve"]
    assert complete("digest", "send", "--d") == ["--dry-run"]
    assert complete("digest", "preview", "-f", "") == ["text", "html", "json", "eml"]
