"""`digest init` writes a starter config that loads cleanly and never clobbers a file."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from digest.cli import app
from digest.config.load import load_config
from digest.config.starter import STARTER_CONFIG


def test_init_writes_a_starter_config_that_loads_without_warnings(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    result = CliRunner().invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {target}" in result.output
    assert target.read_text(encoding="utf-8") == STARTER_CONFIG
    cfg = load_config(target)
    assert cfg.warnings == []
    assert [s.kind for s in cfg.sources] == ["git"]
    # Nothing leaves the machine until the user chooses SMTP.
    assert cfg.mail.transport == "outbox"


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text("# mine\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["init", str(target)])
    assert result.exit_code == 1
    assert isinstance(result.exception, Exception)
    assert str(result.exception) == f"{target} already exists; pass --force to overwrite it."
    assert target.read_text(encoding="utf-8") == "# mine\n"


def test_init_force_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text("# mine\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["init", "--force", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == STARTER_CONFIG
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # no temp file left


def test_init_without_a_path_writes_where_config_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_CONFIG", str(tmp_path / "etc" / "digest.toml"))
    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "etc" / "digest.toml").is_file()


def test_every_commented_key_of_the_starter_is_a_real_key(tmp_path: Path) -> None:
    # Uncommenting every "# key = value" (and "# [[sources]]") line must load cleanly.
    setting = re.compile(r"# (\[\[sources\]\]$|[a-z_]+ = )")
    text = "\n".join(
        line[2:] if setting.match(line) else line for line in STARTER_CONFIG.splitlines()
    )
    assert len(tomllib.loads(text)["sources"]) == 2
    target = tmp_path / "config.toml"
    target.write_text(text, encoding="utf-8")
    assert load_config(target).warnings == []
