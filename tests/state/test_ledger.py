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


def test_a_planned_bundle_follows_who_is_mailed_now_as_prepare_ledger_did(tmp_path: Path) -> None:
    """keep_planned (in SQL) does to a bundle's ledger what prepare_ledger does with the
    planned readers still mailed: cancel who left, re-pend who came back, resend all."""
    from digest.state.subscribers import MAILED_ADDRESSES

    db = open_db(tmp_path / "state.db")
    bundle = DigestId("subscribers: Quillwort Sync", Period(2026, 10))
    stored = ledger.store_digest(
        db, bundle, subject="s", text="t", html="h", json_body="{}", now=NOW, parts=["Q"]
    )
    readers = [f"{name}@example.org" for name in ("ann", "bob", "cat", "dan")]
    for address in readers:
        db.execute(
            "INSERT INTO subscribers (address, name, status, created_at, updated_at, sid) "
            "VALUES (?, '', 'active', '', '', ?)",
            [address, address[:3]],
        )
    ledger.prepare_ledger(
        db,
        stored,
        [Recipient(a, "subscriber") for a in readers],
        message_id=str,
        resend=False,
        now=NOW,
    )
    ledger.record_result(db, bundle, "dan@example.org", "sent", "250 ok", NOW)

    def statuses() -> dict[str, str]:
        return ledger.delivery_statuses(db, bundle)

    db.execute("UPDATE subscribers SET paused = 1 WHERE address = 'ann@example.org'")
    db.execute("UPDATE subscribers SET status = 'unsubscribed' WHERE address = 'bob@example.org'")
    ledger.keep_planned(db, bundle, MAILED_ADDRESSES, resend=False, now=NOW)
    assert statuses() == {
        "ann@example.org": "cancelled",
        "bob@example.org": "cancelled",
        "cat@example.org": "pending",
        "dan@example.org": "sent",
    }
    db.execute("UPDATE subscribers SET paused = 0 WHERE address = 'ann@example.org'")
    ledger.keep_planned(db, bundle, MAILED_ADDRESSES, resend=False, now=NOW)
    assert statuses()["ann@example.org"] == "pending"
    assert statuses()["bob@example.org"] == "cancelled"
    ledger.keep_planned(db, bundle, MAILED_ADDRESSES, resend=True, now=NOW)
    assert statuses() == {
        "ann@example.org": "pending",
        "bob@example.org": "cancelled",
        "cat@example.org": "pending",
        "dan@example.org": "pending",
    }
    again = ledger.load_stored(db, bundle)
    assert again is not None and again.status == "built"
