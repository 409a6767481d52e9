"""Fresh or nothing: `digest send` never builds (and so never freezes) a digest from a
sync that could not read a source feeding its series; the next run, with the source
back, sends the right digest. `--allow-stale` sends anyway and the footer says so;
`digest preview` says so at the top.

Two sources: a git repository of "Kelpie Sync" notes, which goes missing between
runs, and a folder of "Quillwort Sync" notes, which keeps working.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from git_notes import GitNotes, note
from notes_project import SECRET, run_digest, write_notes
from smtp_server import SMTPTestServer

LIST = "dev@lists.example.org"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_SECRET", SECRET)


@pytest.fixture
def server() -> SMTPTestServer:
    with SMTPTestServer() as running:
        yield running  # type: ignore[misc]


def _project(root: Path, port: int, *, kelpie_series: str = "") -> tuple[Path, GitNotes]:
    repo = GitNotes(root / "kelpie-notes")
    repo.write("notes/2026-09-03.md", note("2026-09-03", "[ ] [ana] calibrate the tide gauge"))
    repo.commit("September", "2026-09-04T10:00:00Z")
    write_notes(root / "quillwort")
    series = f'series = "{kelpie_series}"' if kelpie_series else ""
    config = root / "config.toml"
    config.write_text(
        f"""\
[digest]
title = "Notes digest"
state_dir = "state"

[[sources]]
name = "kelpie"
kind = "git"
url = "kelpie-notes"
glob = ["notes/*.md"]
{series}

[[sources]]
name = "quillwort"
kind = "dir"
path = "quillwort"
glob = ["*.md"]

[schedule]
start = "2026-09"

[mail]
from = "Notes digest <digest@example.org>"
list_address = "{LIST}"
transport = "smtp"

[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
max_per_second = 10000.0
retry_base_seconds = 0.01
""",
        encoding="utf-8",
    )
    return config, repo


def _digests(config: Path) -> dict[str, str]:
    with sqlite3.connect(config.parent / "state" / "state.db") as conn:
        return dict(conn.execute("SELECT id, status FROM digests").fetchall())


def _subjects(server: SMTPTestServer) -> list[str]:
    return [str(m.message["Subject"]) for m in server.messages]


def _text_of(server: SMTPTestServer, subject_part: str) -> str:
    (message,) = [m.message for m in server.messages if subject_part in str(m.message["Subject"])]
    body = message.get_body(("plain",))
    assert body is not None
    return " ".join(str(body.get_content()).split())


def _break(repo: GitNotes) -> Path:
    """The repository goes missing (an unmounted disk, a moved folder)."""
    away = repo.path.with_name("kelpie-notes-away")
    repo.path.rename(away)
    return away


def test_a_source_that_fails_between_two_runs_freezes_nothing_and_the_next_run_sends_it(
    tmp_path: Path, server: SMTPTestServer
) -> None:
    config, repo = _project(tmp_path, server.port)
    first = run_digest(config, "send", "--period", "2026-09")
    assert first.code == 0, first.err
    assert len(server.messages) == 2  # both series' September

    # October's Kelpie meeting is committed, then the repository cannot be read.
    repo.write("notes/2026-10-01.md", note("2026-10-01", "[ ] [bo] publish the October tables"))
    repo.commit("October", "2026-10-02T10:00:00Z")
    away = _break(repo)

    dry = run_digest(config, "send", "--period", "2026-10", "--dry-run")
    assert dry.code == 1
    # Only Quillwort's October would be mailed (its subject's counts are not the point).
    planned = [line.split("\t")[:2] for line in dry.out.splitlines()]
    assert [(to, subject.split(":")[0]) for to, subject in planned] == [
        (LIST, "Quillwort Sync digest — October 2026")
    ]
    assert 'source "kelpie" could not be read' in dry.err

    run = run_digest(config, "send", "--period", "2026-10")
    assert run.code == 1
    assert run.err.strip().splitlines()[-1] == (
        f'source "kelpie" could not be read (cannot fetch {repo.path}: no such file or '
        "folder); not built, nothing frozen: Kelpie Sync 2026-10; the next `digest send` "
        "builds them once the source can be read, or `digest send --allow-stale` mails "
        "them now, their footer saying a source was missing."
    )
    # The series the failed source feeds: not built, not even recorded as skipped (its
    # month would be frozen empty). The other series is mailed as usual.
    assert _digests(config) == {
        "Kelpie Sync|2026-09": "sent",
        "Quillwort Sync|2026-09": "sent",
        "Quillwort Sync|2026-10": "sent",
    }
    assert len(server.messages) == 3

    away.rename(repo.path)  # the source is back
    again = run_digest(config, "send", "--period", "2026-10")
    assert again.code == 0, again.err
    assert _digests(config)["Kelpie Sync|2026-10"] == "sent"
    assert len(server.messages) == 4  # Quillwort's October is not mailed again
    text = _text_of(server, "Kelpie Sync digest — October 2026")
    assert "publish the October tables" in text  # built from the notes read this time
    assert "could not be read" not in text


def test_allow_stale_mails_what_was_read_and_says_so_in_the_footer(
    tmp_path: Path, server: SMTPTestServer
) -> None:
    config, repo = _project(tmp_path, server.port)
    repo.write("notes/2026-10-01.md", note("2026-10-01", "[ ] [bo] publish the October tables"))
    repo.commit("October", "2026-10-02T10:00:00Z")
    assert run_digest(config, "sync").code == 0
    repo.write("notes/2026-10-15.md", note("2026-10-15", "[ ] [cy] a note nobody read"))
    repo.commit("October, later", "2026-10-16T10:00:00Z")
    _break(repo)

    run = run_digest(config, "send", "--period", "2026-10", "--allow-stale")
    assert run.code == 0, run.err
    assert run.err.strip().splitlines()[-1] == (
        f'source "kelpie" could not be read (cannot fetch {repo.path}: no such file or '
        "folder); built without it (--allow-stale), their footer saying so: Kelpie Sync "
        "2026-10."
    )
    text = _text_of(server, "Kelpie Sync digest — October 2026")
    assert "publish the October tables" in text and "a note nobody read" not in text
    assert (
        "Note: this digest was built while the notes of source kelpie could not be read, "
        "so it may miss what they said lately." in text
    )
    assert "could not be read" not in _text_of(server, "Quillwort Sync digest — October 2026")
    # Frozen with its note: a resumed run mails the same words.
    with sqlite3.connect(config.parent / "state" / "state.db") as conn:
        (frozen,) = conn.execute(
            "SELECT text_body FROM digests WHERE id = 'Kelpie Sync|2026-10'"
        ).fetchone()
    assert "could not be read" in " ".join(frozen.split())


@pytest.mark.parametrize("kelpie_series", ["", "Kelpie Sync"])
def test_a_source_never_read_holds_back_every_series_unless_its_series_is_set(
    tmp_path: Path, server: SMTPTestServer, kelpie_series: str
) -> None:
    """A new config whose git source fails at once: no note of it is stored, so it could
    feed any series, and nothing is built; with `series` set, only that one waits."""
    config, repo = _project(tmp_path, server.port, kelpie_series=kelpie_series)
    _break(repo)
    run = run_digest(config, "send", "--period", "2026-10")
    assert run.code == 1
    last = run.err.strip().splitlines()[-1]
    assert last.startswith(f'source "kelpie" could not be read (cannot fetch {repo.path}: ')
    if kelpie_series:
        # Kelpie Sync has no meeting stored at all, so there was no digest of it to hold.
        assert last.endswith("no digest due in this run needed it, but the next may.")
        assert _digests(config) == {"Quillwort Sync|2026-10": "sent"}
    else:
        assert "; no note of it is stored yet, so any series may need it; not built, " in last
        assert "Quillwort Sync 2026-10" in last
        assert _digests(config) == {}
        assert server.messages == []


def test_preview_shows_a_notice_first_and_json_names_the_source(
    tmp_path: Path, server: SMTPTestServer
) -> None:
    config, repo = _project(tmp_path, server.port)
    assert run_digest(config, "sync").code == 0
    _break(repo)
    notice = (
        f'! Source "kelpie" could not be read (cannot fetch {repo.path}: no such file or '
        "folder), so this preview may miss its newest notes; `digest send` builds this "
        "digest only once it can be read (or with --allow-stale, saying so in the footer)."
    )
    text = run_digest(config, "preview", "--period", "2026-09")
    assert text.code == 0
    assert " ".join(text.out.split()).startswith(notice + " Notes digest KELPIE SYNC")
    assert "could not be read" not in text.out.split("=" * 72)[1]  # Quillwort's is fresh

    data = json.loads(run_digest(config, "preview", "--period", "2026-09", "-f", "json").out)
    by_series = {d["series"]: d["stale"] for d in data}
    assert by_series == {
        "Kelpie Sync": [
            {"source": "kelpie", "reason": f"cannot fetch {repo.path}: no such file or folder"}
        ],
        "Quillwort Sync": [],
    }
