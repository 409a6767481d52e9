"""The README documents every command, option and config key (as sqlite-utils' test_docs).

The lists come from the code (the typer app, the config schema), so a new command,
option or setting fails here until the README says what it does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from digest.cli import app
from digest.config.schema import TABLES, SourceConfig, toml_keys

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def commands(group: Any = None, prefix: str = "digest") -> Iterator[tuple[str, Any]]:
    """("digest subscribers add", click command) for every command and subcommand."""
    group = group if group is not None else typer.main.get_command(app)
    for name, command in sorted(group.commands.items()):
        full = f"{prefix} {name}"
        yield full, command
        if hasattr(command, "commands"):
            yield from commands(command, full)


COMMANDS = list(commands())


def test_the_command_list_is_what_the_readme_expects() -> None:
    names = [name for name, _ in COMMANDS]
    assert "digest subscribers add" in names and "digest serve-unsubscribe" in names
    assert "digest items hide" in names and "digest items unhide" in names
    assert len(names) == 17


@pytest.mark.parametrize("name", [name for name, _ in COMMANDS])
def test_every_command_is_documented(name: str) -> None:
    assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", README), name


def _options() -> Iterator[tuple[str, list[str]]]:
    root = typer.main.get_command(app)
    for name, command in [("digest", root), *COMMANDS]:
        for param in command.params:
            if getattr(param, "param_type_name", "") == "option" and param.opts:
                yield name, [*param.opts, *param.secondary_opts]


@pytest.mark.parametrize(("command", "names"), list(_options()))
def test_every_option_is_documented(command: str, names: list[str]) -> None:
    """One of an option's spellings (`--format` or `-f`) is in the README."""
    assert any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", README) for n in names), (
        command,
        names,
    )


def _documented_keys(table: str) -> set[str]:
    """The keys in the first column of the README's reference table for `table`."""
    heading = re.search(rf"^### `{re.escape(table)}`.*$", README, re.MULTILINE)
    assert heading, f"the configuration reference has no section for {table}"
    section = README[heading.end() :].split("\n### ", 1)[0].split("\n## ", 1)[0]
    keys: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            keys.update(re.findall(r"`(\w+)`", line.split("|")[1]))
    return keys


CONFIG_TABLES = [(f"[{name}]", cls) for name, cls in TABLES.items()]
CONFIG_TABLES.append(("[[sources]]", SourceConfig))


@pytest.mark.parametrize(("table", "cls"), CONFIG_TABLES, ids=[t for t, _ in CONFIG_TABLES])
def test_every_config_key_is_in_the_configuration_reference(table: str, cls: type) -> None:
    assert set(toml_keys(cls)) <= _documented_keys(table)
