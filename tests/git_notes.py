"""Helpers for the source/sync tests: real git repositories of notes built in tmp_path.

The notes are about an invented project ("Kelpie", a tide-table service), written
for these tests.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from digest.config.load import parse_config
from digest.config.schema import Config


def note(day: str, *items: str, title: str = "Kelpie Sync") -> str:
    """A one-meeting note dated `day` with its action items."""
    lines = [f"# {day} {title}", "", "## Action items", ""]
    lines += [f"- {item}" for item in items]
    return "\n".join(lines) + "\n"


class GitNotes:
    """A git repository of notes whose commits have the dates the test gives."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Test Writer")
        self.git("config", "user.email", "writer@example.org")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            ["git", "-C", str(self.path), *args],
            capture_output=True,
            check=True,
            env={**os.environ, **(env or {})},
        )
        return proc.stdout.decode().strip()

    def write(self, rel: str, content: str | bytes) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")

    def remove(self, rel: str) -> None:
        self.git("rm", "-q", "--", rel)

    def commit(self, message: str, when: str) -> str:
        """Commit everything with author and committer date `when` (ISO 8601)."""
        self.git("add", "-A")
        dates = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        self.git("commit", "-q", "--allow-empty", "-m", message, env=dates)
        return self.git("rev-parse", "HEAD")

    @property
    def head(self) -> str:
        return self.git("rev-parse", "HEAD")


def make_config(tmp_path: Path, *sources: dict[str, Any]) -> Config:
    """A Config with its state under tmp_path/state and the given [[sources]] tables."""
    data: dict[str, Any] = {
        "digest": {"state_dir": str(tmp_path / "state")},
        "sources": list(sources),
    }
    return parse_config(data, tmp_path / "config.toml")


def git_source(repo: GitNotes | Path | str, **extra: Any) -> dict[str, Any]:
    url = str(repo.path if isinstance(repo, GitNotes) else repo)
    return {"name": "kelpie", "kind": "git", "url": url, "glob": ["notes/*.md"], **extra}
