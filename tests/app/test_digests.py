"""compute_digests end to end: notes written for the tests in a real git repository,
synced into a real SQLite state, digested month by month.

The notes are about an invented project, "Heron" (a lake-sensor network).
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.app.digests import compute_digests
from digest.app.items import run_items
from digest.app.sync import sync
from digest.config.schema import Config, SourceConfig
from digest.errors import UserError
from digest.model import Digest
from digest.periods import Period
from digest.state.db import open_db

SERIES = "Heron Maintainers"

JANUARY = """# 2031-01-08 Heron Maintainers (monthly)

## Attendees

- Mara Lind (@mara)
- Ossi Kent (@ossi)

## Highlights

- Heron 1.2 is out

## Agenda

- [ ] [mara] Publish the arm64 images
- Shrink the snapshot format [heron#12](https://github.com/heronproj/heron/issues/12)
- We chatted about the spring meetup venue
- Flaky buoy simulator tests -> in progress @ossi

| Area | Goal | Status |
| --- | --- | --- |
| **Storage** | Tiered compaction | in progress |
| | Encrypted backups | not started |
| **Network** | QUIC transport | Done in 1.2 |
"""

FEBRUARY = """# 2031-02-05 Heron Maintainers (monthly)

## Attendees

- Mara Lind (@mara)

## Agenda

- [ ] [mara] Publish the arm64 images
- Compaction of on-disk snapshots, see heron#12 -> in progress
- [ ] Replace the sensor firmware updater with a signed one (@ossi)
"""

MARCH = """# 2031-03-05 Heron Maintainers (monthly)

## Attendees

- Ossi Kent (@ossi)

## Agenda

- [x] [mara] Publish the arm64 images
- [ ] [ossi] Write the sensor calibration guide

| Area | Goal | Status |
| --- | --- | --- |
| **Storage** | Tiered compaction | done |
| | Encrypted backups | in progress |
| **Network** | QUIC transport | Done in 1.2 |
"""

MARCH_LATE = """# 2031-03-19 Heron Maintainers (monthly)

## Agenda

- [ ] [ossi] Rotate the release signing key
"""

JUNE = """# 2031-06-04 Heron Maintainers (monthly)

## Agenda

- Write the sensor calibration guide -> in progress [ossi]
"""


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir()
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Test Writer")
        self.git("config", "user.email", "writer@example.org")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str, when: str = "2031-01-01T00:00:00+00:00") -> None:
        env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        subprocess.run(["git", "-C", str(self.path), *args], check=True, env=env)

    def commit(self, name: str, text: str, when: str) -> None:
        (self.path / "notes").mkdir(exist_ok=True)
        (self.path / "notes" / name).write_text(text, encoding="utf-8")
        self.git("add", ".", when=when)
        self.git("commit", "-q", "-m", f"notes: {name}", when=when)


@pytest.fixture
def project(tmp_path: Path) -> tuple[Config, Repo]:
    repo = Repo(tmp_path / "heron-community")
    repo.commit("2031-01-08-maintainers.md", JANUARY, "2031-01-09T10:00:00+00:00")
    repo.commit("2031-02-05-maintainers.md", FEBRUARY, "2031-02-06T10:00:00+00:00")
    repo.commit("2031-03-05-maintainers.md", MARCH, "2031-03-06T10:00:00+00:00")
    cfg = Config(path=tmp_path / "config.toml")
    cfg.digest.state_dir = str(tmp_path / "state")
    cfg.sources = [
        SourceConfig(
            name="heron",
            kind="git",
            url=str(repo.path),
            glob=["notes/*.md"],
            org="heronproj",  # "heron#12" means github.com/heronproj/heron/issues/12
            web_url="https://git.example.org/heron/community/blob/{commit}/{path}#L{line}",
        )
    ]
    return cfg, repo


def digest_of(cfg: Config, period: str) -> Digest:
    db = open_db(cfg.db_path)
    sync(cfg, db)
    (digest,) = compute_digests(cfg, db, period=Period.parse(period), series="heron")
    return digest


def where(digest: Digest, words: str) -> list[str]:
    return [b for b in Digest.BUCKETS if any(words in e.title for e in getattr(digest, b))]


def test_default_period_is_the_last_complete_month(project: tuple[Config, Repo]) -> None:
    cfg, _repo = project
    db = open_db(cfg.db_path)
    sync(cfg, db)
    (digest,) = compute_digests(cfg, db, now=datetime(2031, 4, 2, 8, tzinfo=UTC))
    assert (digest.series, digest.period, digest.compared_to) == (
        SERIES,
        Period(2031, 3),
        Period(2031, 2),
    )


def test_january_new_items_and_highlights(project: tuple[Config, Repo]) -> None:
    cfg, _repo = project
    january = digest_of(cfg, "2031-01")
    assert [e.title for e in january.highlights] == ["Heron 1.2 is out"]
    assert where(january, "arm64") == ["new"]
    assert where(january, "snapshot format") == ["new"]
    assert where(january, "Flaky buoy") == ["new"]
    assert where(january, "meetup venue") == []  # a remark, not an item
    assert where(january, "Mara Lind") == []  # attendance is never an entry
    assert where(january, "QUIC") == ["resolved"]  # first seen already done: news
    entry = next(e for e in january.new if "arm64" in e.title)
    assert entry.source.url.startswith("https://git.example.org/heron/community/blob/")
    assert entry.source.url.endswith("/notes/2031-01-08-maintainers.md#L14")


def test_pending_then_resolved_when_the_box_is_checked(project: tuple[Config, Repo]) -> None:
    cfg, _repo = project
    february = digest_of(cfg, "2031-02")
    assert where(february, "arm64") == ["pending"]
    # Renamed, but it links the same issue: the same item, still pending.
    assert where(february, "on-disk snapshots") == ["pending"]
    pending = next(e for e in february.pending if "snapshots" in e.title)
    assert (pending.times_raised, pending.status_phrase) == (2, "in progress")
    assert str(pending.first_seen) == "2031-01-08"
    march = digest_of(cfg, "2031-03")
    assert where(march, "arm64") == ["resolved"]
    assert where(march, "Tiered compaction") == ["resolved"]
    assert where(march, "Encrypted backups") == ["pending"]
    backups = next(e for e in march.pending if "Encrypted backups" in e.title)
    assert (backups.previous_status, backups.status_phrase) == ("not started", "in progress")
    assert where(march, "QUIC") == []  # done before, still done: no news
    assert where(march, "calibration guide") == ["new"]


def test_a_series_that_skips_months(project: tuple[Config, Repo]) -> None:
    cfg, repo = project
    repo.commit("2031-06-04-maintainers.md", JUNE, "2031-06-05T10:00:00+00:00")
    june = digest_of(cfg, "2031-06")
    assert june.compared_to == Period(2031, 3)
    assert where(june, "calibration guide") == ["pending"]
    # Opened in February, not mentioned since (March and June): gone quiet.
    assert where(june, "firmware updater") == ["quiet"]


def test_a_note_committed_after_its_digest_comes_late_once(
    project: tuple[Config, Repo],
) -> None:
    cfg, repo = project
    db = open_db(cfg.db_path)
    sync(cfg, db)
    db.execute(
        "INSERT INTO digests (id, series, period, built_at, subject, text_body, html_body, "
        "json_body, status) VALUES (?, ?, '2031-03', '2031-04-01T06:00:00+00:00', '', '', '', "
        "'{}', 'sent')",
        [f"{SERIES}|2031-03", SERIES],
    )
    repo.commit("2031-03-19-maintainers.md", MARCH_LATE, "2031-04-03T09:00:00+00:00")
    sync(cfg, db)
    # April has no meeting, yet the late note gets the series a digest.
    (april,) = compute_digests(cfg, db, period=Period(2031, 4))
    # The note is listed once, as late; its items are followed like any earlier one's.
    assert [e.title for e in april.late] == ["2031-03-19 Heron Maintainers (monthly)"]
    assert april.late[0].late and april.late[0].status_phrase == "notes added 2031-04-03"
    assert where(april, "signing key") == ["pending"]
    db.execute(
        "INSERT INTO digests (id, series, period, built_at, subject, text_body, html_body, "
        "json_body, status) VALUES (?, ?, '2031-04', '2031-05-01T06:00:00+00:00', '', '', '', "
        "'{}', 'sent')",
        [f"{SERIES}|2031-04", SERIES],
    )
    (may,) = compute_digests(cfg, db, period=Period(2031, 5), series="heron")
    assert may.late == []


def test_unknown_series_is_one_sentence(project: tuple[Config, Repo]) -> None:
    cfg, _repo = project
    db = open_db(cfg.db_path)
    sync(cfg, db)
    with pytest.raises(UserError, match=r"no series matches 'otter'; known: Heron Maintainers"):
        compute_digests(cfg, db, period=Period(2031, 3), series="otter")


def test_same_state_and_period_give_the_same_digest(project: tuple[Config, Repo]) -> None:
    cfg, _repo = project
    assert digest_of(cfg, "2031-03") == digest_of(cfg, "2031-03")


def test_items_lists_threads_and_explains_one(
    project: tuple[Config, Repo], capsys: pytest.CaptureFixture[str]
) -> None:
    cfg, _repo = project
    db = open_db(cfg.db_path)
    sync(cfg, db)
    now = datetime(2031, 4, 2, tzinfo=UTC)
    run_items(cfg, db, output_format="json", now=now)
    rows = json.loads(capsys.readouterr().out)
    snapshot = next(r for r in rows if "snapshots" in r["title"])
    assert snapshot["times_raised"] == 2
    assert snapshot["first_seen"] == "2031-01-08"
    assert snapshot["age_days"] == 84
    assert all("meetup venue" not in r["title"] for r in rows)
    run_items(cfg, db, owner="@ossi", output_format="json", now=now)
    assert {r["title"] for r in json.loads(capsys.readouterr().out)} >= {
        "[ossi] Write the sensor calibration guide"
    }
    run_items(cfg, db, explain=snapshot["id"], now=now)
    out = capsys.readouterr().out
    assert "notes/2031-01-08-maintainers.md:" in out
    assert "joined by ref: shares heronproj/heron#12" in out
    with pytest.raises(UserError, match="no item has the id 'zzzz'"):
        run_items(cfg, db, explain="zzzz", now=now)


def test_items_are_titled_as_the_digest_names_them(
    project: tuple[Config, Repo], capsys: pytest.CaptureFixture[str]
) -> None:
    cfg, repo = project
    repo.commit(
        "2031-04-02-maintainers.md",
        "# 2031-04-02 Heron Maintainers (monthly)\n\n## Agenda\n\n"
        "- 10:05 – Buoy firmware roadmap (Mara)\n\n## Action items\n\n"
        "- ACTION: @ossi to rotate the mirror keys\n",
        "2031-04-03T10:00:00+00:00",
    )
    db = open_db(cfg.db_path)
    sync(cfg, db)
    run_items(cfg, db, output_format="json", now=datetime(2031, 4, 9, tzinfo=UTC))
    titles = {r["title"] for r in json.loads(capsys.readouterr().out)}
    # Without the agenda's time slot and the label that marked an action.
    assert {"Buoy firmware roadmap (Mara)", "@ossi to rotate the mirror keys"} <= titles


def test_items_command_from_the_command_line(project: tuple[Config, Repo], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from digest.cli import app

    _cfg, repo = project
    config = tmp_path / "digest.toml"
    config.write_text(
        f'[digest]\nstate_dir = "cli-state"\n\n[[sources]]\nname = "heron"\nkind = "git"\n'
        f'url = "{repo.path}"\nglob = ["notes/*.md"]\norg = "heronproj"\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(app, ["--config", str(config), "sync"]).exit_code == 0
    result = runner.invoke(app, ["--config", str(config), "items", "--open"])
    assert result.exit_code == 0, result.output
    assert "Encrypted backups" in result.output
    assert "Tiered compaction" not in result.output  # done: not open
    assert "**" not in result.output  # titles read as text, not Markdown source
    listed = runner.invoke(app, ["--config", str(config), "items", "--format", "json"])
    first = json.loads(listed.output)[0]["id"]
    explained = runner.invoke(app, ["--config", str(config), "items", "--explain", first[:5]])
    assert explained.exit_code == 0 and "first mention" in explained.output


def test_a_hidden_item_stays_hidden_across_syncs_and_edits(
    project: tuple[Config, Repo], capsys: pytest.CaptureFixture[str]
) -> None:
    """A maintainer drops a false item once: no later digest lists it, even when an
    edit of the note moves its line, until `unhide` brings it back."""
    from digest.app.items import hide_item, unhide_item

    cfg, repo = project
    db = open_db(cfg.db_path)
    sync(cfg, db)
    now = datetime(2031, 4, 2, tzinfo=UTC)
    run_items(cfg, db, output_format="json", now=now)
    rows = json.loads(capsys.readouterr().out)
    guide = next(r for r in rows if "calibration guide" in r["title"])
    assert where(digest_of(cfg, "2031-03"), "calibration guide")

    said = hide_item(cfg, guide["id"], now=now)
    assert said.startswith(f"hid {guide['id']}: [ossi] Write the sensor calibration guide")
    assert "already" in hide_item(cfg, guide["id"], now=now)
    assert where(digest_of(cfg, "2031-03"), "calibration guide") == []
    run_items(cfg, db, output_format="json", now=now)
    assert all(r["id"] != guide["id"] for r in json.loads(capsys.readouterr().out))

    # An edit above the item moves it down a line: still hidden after the next sync.
    note = next(p for p in repo.path.glob("notes/*.md") if "calibration guide" in p.read_text())
    repo.commit(
        note.name,
        note.read_text().replace("\n\n", "\n\n<!-- edited -->\n\n", 1),
        "2031-04-03T09:00:00+00:00",
    )
    sync(cfg, db)
    assert where(digest_of(cfg, "2031-03"), "calibration guide") == []
    run_items(cfg, db, hidden=True, now=now)
    assert "calibration guide" in capsys.readouterr().out

    assert unhide_item(cfg, guide["id"]).startswith(f"unhid {guide['id']}")
    assert where(digest_of(cfg, "2031-03"), "calibration guide")


def test_items_lines_shows_every_line_with_its_kind(
    project: tuple[Config, Repo], capsys: pytest.CaptureFixture[str]
) -> None:
    cfg, _repo = project
    db = open_db(cfg.db_path)
    sync(cfg, db)
    run_items(cfg, db, lines=Period(2031, 1), output_format="json")
    lines = json.loads(capsys.readouterr().out)
    kinds = {line["text"]: line["kind"] for line in lines}
    assert kinds["We chatted about the spring meetup venue"] == "discussion"
    assert kinds["[ ] [mara] Publish the arm64 images".removeprefix("[ ] ")] == "action"
    assert all(line["why"] for line in lines)


BOARD_OCTOBER = """# Heron Board Meeting, 14 October 2031

Present: Mara (chair), Ossi, Kemal.

## 1. Trademark policy

Kemal presented the draft policy; the section on meetups needs softer wording.

Action: Kemal to revise the draft and circulate it before the next meeting.

## 2. Code of conduct committee

Action: Mara to post the call for committee volunteers.

## 3. Website

- [ ] Ossi: fix the broken download links on the website
"""

BOARD_NOVEMBER = """# Heron Board Meeting, 11 November 2031

Present: Mara (chair), Ossi, Kemal, Noor.

## Matters arising

- Trademark policy: Kemal circulated the revised draft; approved unanimously.
- Call for committee volunteers: posted, three people replied.
- Download links (Ossi): fixed by moving to the new mirror

## 1. Hosting

Action: Noor to bring a hosting proposal to the December meeting.
"""


def test_board_minutes_reviewing_last_meetings_actions(tmp_path: Path) -> None:
    # Minutes that review last meeting's actions under "Matters arising", each by a
    # short label and what became of it: the label names the action, the state
    # closes it — "approved", "fixed", or the action's own verb ("post" -> "posted").
    repo = Repo(tmp_path / "board")
    repo.commit("2031-10-14-board.md", BOARD_OCTOBER, "2031-10-15T10:00:00+00:00")
    repo.commit("2031-11-11-board.md", BOARD_NOVEMBER, "2031-11-12T10:00:00+00:00")
    cfg = Config(path=tmp_path / "config.toml")
    cfg.digest.state_dir = str(tmp_path / "state")
    cfg.sources = [SourceConfig(name="heron", kind="git", url=str(repo.path), glob=["notes/*.md"])]
    digest = digest_of(cfg, "2031-11")
    assert where(digest, "Trademark policy") == ["resolved"]
    assert where(digest, "Call for committee volunteers") == ["resolved"]
    assert where(digest, "Download links") == ["resolved"]
    assert where(digest, "hosting proposal") == ["new"]
    closed_by = {e.title.split(":")[0]: (e.status, e.status_phrase) for e in digest.resolved}
    assert closed_by["Call for committee volunteers"] == ("done", "posted")
    assert closed_by["Download links (Ossi)"] == ("done", "fixed")
