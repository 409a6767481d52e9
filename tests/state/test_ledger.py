"""The ledger's rows keep the format earlier versions wrote: the state is persistent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from digest.model import DigestId
from digest.periods import Period
from digest.state import ledger
from digest.state.db import open_db
from digest.state.ledger import Recipient

NOW = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
OCTOBER = DigestId("Quillwort Sync", Period(2026, 10))


def test_a_digest_and_its_deliveries_are_keyed_series_bar_period(tmp_path: Path) -> None:
    db = open_db(tmp_path / "state.db")
    stored = ledger.store_digest(
        db, OCTOBER, subject="s", text="t", html="h", json_body="{}", now=NOW
    )
    ledger.prepare_ledger(
        db,
        stored,
        [Recipient("list@example.org", "list")],
        message_id=lambda address: f"<{address}>",
        resend=False,
        now=NOW,
    )
    assert db.execute("SELECT id, series, period FROM digests").fetchall() == [
        ("Quillwort Sync|2026-10", "Quillwort Sync", "2026-10")
    ]
    assert db.execute("SELECT digest_id, message_id FROM deliveries").fetchall() == [
        ("Quillwort Sync|2026-10", "<list@example.org>")
    ]
    assert ledger.pending_deliveries(db, OCTOBER) == [Recipient("list@example.org", "list")]
    ledger.record_result(db, OCTOBER, "list@example.org", "sent", "250 ok", NOW)
    assert ledger.settle_digest(db, OCTOBER) == "sent"
    assert ledger.finished_periods(db, ["Quillwort Sync"]) == {Period(2026, 10)}
    assert ledger.built_at(db) == {"Quillwort Sync": {Period(2026, 10): NOW}}
    (row,) = ledger.history(db)
    assert (row.period, row.series, row.status, row.sent) == (
        "2026-10",
        "Quillwort Sync",
        "sent",
        1,
    )


def test_a_skipped_month_is_finished_without_deliveries(tmp_path: Path) -> None:
    db = open_db(tmp_path / "state.db")
    ledger.record_skipped(db, OCTOBER, "no meetings", now=NOW)
    assert ledger.load_stored(db, OCTOBER) == ledger.StoredDigest(OCTOBER, "", "", "", "skipped")
    assert ledger.finished_periods(db, ["Quillwort Sync", "Other"]) == set()
    assert ledger.finished_periods(db, ["Quillwort Sync"]) == {Period(2026, 10)}
