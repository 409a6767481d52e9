"""`digest history` shows what was built, sent, skipped or failed, newest first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from digest.app.history import history_table, load_history
from digest.cli import app
from digest.state.db import open_db, transaction


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    path = tmp_path / "config.toml"
    path.write_text(
        '[digest]\nstate_dir = "state"\n[[sources]]\nname = "n"\nkind = "dir"\npath = "n"\n'
        '[mail]\nlist_address = "dev@lists.example.org"\n',
        encoding="utf-8",
    )
    return path


def fill(db_path: Path) -> None:
    db = open_db(db_path)
    digest_rows = [
        ("Core|2026-03", "Core", "2026-03", "2026-04-01T06:12:09+00:00", "partial"),
        ("Core|2026-02", "Core", "2026-02", "2026-03-01T06:03:00+00:00", "sent"),
        ("Docs|2026-03", "Docs", "2026-03", "2026-04-01T06:12:10+00:00", "skipped"),
    ]
    deliveries = [
        ("Core|2026-03", "dev@lists.example.org", "sent", "2026-04-01T06:12:30+00:00"),
        ("Core|2026-03", "ada@example.org", "failed", "2026-04-01T06:13:00+00:00"),
        ("Core|2026-03", "bo@example.org", "pending", "2026-04-01T06:13:05+00:00"),
        ("Core|2026-03", "cy@example.org", "cancelled", "2026-04-01T06:13:05+00:00"),
        ("Core|2026-02", "dev@lists.example.org", "sent", "2026-03-01T06:04:00+00:00"),
    ]
    with transaction(db):
        for id_, series, period, built_at, status in digest_rows:
            db.execute(
                "INSERT INTO digests (id, series, period, built_at, subject, text_body, "
                "html_body, json_body, status) VALUES (?, ?, ?, ?, '', '', '', '{}', ?)",
                [id_, series, period, built_at, status],
            )
        for id_, recipient, status, at in deliveries:
            db.execute(
                "INSERT INTO deliveries (digest_id, recipient, kind, message_id, status, "
                "updated_at) VALUES (?, ?, 'subscriber', '<m@x>', ?, ?)",
                [id_, recipient, status, at],
            )
    db.conn.close()


def test_history_counts_deliveries_per_digest_newest_first(config: Path) -> None:
    fill(config.parent / "state" / "state.db")
    rows = load_history(open_db(config.parent / "state" / "state.db"))
    assert [(r.period, r.series, r.status) for r in rows] == [
        ("2026-03", "Core", "partial"),
        ("2026-03", "Docs", "skipped"),
        ("2026-02", "Core", "sent"),
    ]
    core = rows[0]
    assert (core.recipients, core.sent, core.failed, core.pending) == (3, 1, 1, 1)
    assert core.last_delivery == "2026-04-01T06:12:30+00:00"
    assert (rows[1].recipients, rows[1].last_delivery) == (0, None)


def test_history_table_and_json_through_the_cli(config: Path) -> None:
    fill(config.parent / "state" / "state.db")
    table = CliRunner().invoke(app, ["--config", str(config), "history"])
    assert table.exit_code == 0, table.output
    assert table.output.splitlines() == [
        "PERIOD   SERIES  STATUS   RECIPIENTS  SENT  FAILED  PENDING  BUILT             "
        "LAST DELIVERY",
        "2026-03  Core    partial  3           1     1       1        2026-04-01 06:12  "
        "2026-04-01 06:12",
        "2026-03  Docs    skipped  0           0     0       0        2026-04-01 06:12  -",
        "2026-02  Core    sent     1           1     0       0        2026-03-01 06:03  "
        "2026-03-01 06:04",
    ]
    out = CliRunner().invoke(app, ["--config", str(config), "history", "--format", "json"])
    data = json.loads(out.output)
    assert data[0] == {
        "period": "2026-03",
        "series": "Core",
        "status": "partial",
        "built_at": "2026-04-01T06:12:09+00:00",
        "recipients": 3,
        "sent": 1,
        "failed": 1,
        "pending": 1,
        "last_delivery": "2026-04-01T06:12:30+00:00",
    }
    only_docs = CliRunner().invoke(
        app, ["--config", str(config), "history", "--series", "Docs", "-f", "json"]
    )
    assert [r["series"] for r in json.loads(only_docs.output)] == ["Docs"]


def test_history_before_any_run_says_so_and_creates_nothing(config: Path) -> None:
    result = CliRunner().invoke(app, ["--config", str(config), "history"])
    assert result.exit_code == 0
    assert result.output.strip() == history_table([])
    assert not (config.parent / "state").exists()


def test_history_series_matches_part_of_the_name_in_any_case(config: Path) -> None:
    fill(config.parent / "state" / "state.db")
    lower = CliRunner().invoke(
        app, ["--config", str(config), "history", "--series", "doc", "-f", "json"]
    )
    assert lower.exit_code == 0, lower.output
    assert [r["series"] for r in json.loads(lower.output)] == ["Docs"]
    unknown = CliRunner().invoke(app, ["--config", str(config), "history", "--series", "Web"])
    assert unknown.exit_code != 0
    assert str(unknown.exception) == "no series matches 'Web'; known: Core, Docs."
