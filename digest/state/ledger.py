"""The digests and deliveries tables: every query on them lives here.

A digest (one series, one period) is rendered once and frozen in `digests`; from
then on a resumed or repeated run mails the stored body, never a re-computed one.
`deliveries` is the ledger: one row per digest x recipient (pending, sent, failed,
cancelled), written before the first message leaves and updated the moment each
result comes back, so `digest send` never mails anyone twice.

Statuses. A digest: built (stored, nothing mailed yet), sending, sent (everyone),
partial (some failed or still pending), skipped (nothing to say that month). A
delivery: pending, sent, failed (permanent), cancelled (unsubscribed before it
was mailed).

Rows store a digest's key as str(DigestId) ("series|period"), the format of every
earlier version; it is written, never parsed back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from digest.model import DigestId
from digest.periods import Period
from digest.state.db import StateDB, transaction

RecipientKind = Literal["list", "subscriber", "test"]


@dataclass(frozen=True, slots=True)  # slots: a run holds one per reader not yet mailed
class Recipient:
    address: str  # lower-cased
    kind: RecipientKind


@dataclass(frozen=True)
class StoredDigest:
    """A digest as frozen in the `digests` table."""

    id: DigestId
    subject: str
    text: str
    html: str
    status: str
    kind: str = "series"  # "series", or "bundle": one subscriber message of several series
    parts: tuple[str, ...] = ()  # a bundle's series, in the order it shows them


@dataclass(frozen=True)
class HistoryRow:
    """One digest as `digest history` lists it."""

    period: str
    series: str
    status: str  # built / sending / sent / partial / skipped
    built_at: str
    recipients: int  # rows in the delivery ledger, less those cancelled before sending
    sent: int
    failed: int
    pending: int
    last_delivery: str | None  # when the last message of this digest was delivered


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="seconds")


# ---- digests ------------------------------------------------------------------------


def load_stored(db: StateDB, id_: DigestId) -> StoredDigest | None:
    rows = list(db.query("SELECT * FROM digests WHERE id = ?", [str(id_)]))
    if not rows:
        return None
    return _stored(id_, rows[0])


def _stored(id_: DigestId, r: dict[str, object]) -> StoredDigest:
    return StoredDigest(
        id=id_,
        subject=str(r["subject"]),
        text=str(r["text_body"]),
        html=str(r["html_body"]),
        status=str(r["status"]),
        kind=str(r.get("kind") or "series"),
        parts=tuple(json.loads(str(r.get("parts") or "[]"))),
    )


def store_digest(
    db: StateDB,
    id_: DigestId,
    *,
    subject: str,
    text: str,
    html: str,
    json_body: str,
    now: datetime,
    parts: Sequence[str] | None = None,
) -> StoredDigest:
    """Freeze a rendered digest (once): later runs mail exactly this body.

    parts: a subscriber bundle's series (its kind is then "bundle").
    """
    with transaction(db):
        db.execute(
            # OR REPLACE: only ever replaces a "skipped" row (--resend of a skipped month).
            "INSERT OR REPLACE INTO digests (id, series, period, built_at, subject, text_body, "
            "html_body, json_body, status, kind, parts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'built', ?, ?)",
            [
                str(id_),
                id_.series,
                str(id_.period),
                _stamp(now),
                subject,
                text,
                html,
                json_body,
                "series" if parts is None else "bundle",
                json.dumps(list(parts or []), ensure_ascii=False),
            ],
        )
    stored = load_stored(db, id_)
    assert stored is not None
    return stored


def record_skipped(db: StateDB, id_: DigestId, reason: str, *, now: datetime) -> None:
    """A period with nothing to say: remembered so the schedule does not offer it again."""
    with transaction(db):
        db.execute(
            "INSERT OR REPLACE INTO digests (id, series, period, built_at, subject, text_body, "
            "html_body, json_body, status) VALUES (?, ?, ?, ?, '', '', '', ?, 'skipped')",
            [
                str(id_),
                id_.series,
                str(id_.period),
                _stamp(now),
                json.dumps({"skipped": reason}),
            ],
        )


def mark_sending(db: StateDB, id_: DigestId) -> None:
    db.execute("UPDATE digests SET status = 'sending' WHERE id = ?", [str(id_)])


def finished_periods(
    db: StateDB,
    series: Collection[str],
    renamed: Mapping[str, str] | None = None,
    *,
    bundles: bool = False,
) -> set[Period]:
    """Periods whose digest is finished for every one of `series`.

    Finished: sent, skipped, or partial with nothing pending. A period with a digest
    still built/sending (a crash), with pending (transient) deliveries, or with no
    digest at all for one of the series (a run limited by --series, or killed
    between two series) is not finished, so the schedule offers it again and the
    run resumes where it stopped. `renamed` maps a series' earlier names to its name
    now: a month sent under an earlier name is finished for the series it became.
    With bundles (subscribers on), the subscribers' bundles must be planned too, and
    none of them built, sending or pending.
    """
    renamed = renamed or {}
    done: dict[Period, set[str]] = {}
    for row in db.query(
        "SELECT d.series, d.period FROM digests d WHERE d.kind = 'series' AND d.status IN "
        "('sent', 'partial', 'skipped') AND NOT EXISTS (SELECT 1 FROM deliveries l WHERE "
        "l.digest_id = d.id AND l.status = 'pending')"
    ):
        name = renamed.get(row["series"], row["series"])
        done.setdefault(Period.parse(row["period"]), set()).add(name)
    wanted = set(series)
    finished = {period for period, found in done.items() if wanted <= found}
    if bundles:
        planned = {Period.parse(r[0]) for r in db.execute("SELECT period FROM bundle_plans")}
        unfinished = {
            Period.parse(r[0])
            for r in db.execute(
                "SELECT d.period FROM digests d WHERE d.kind = 'bundle' AND (d.status IN "
                "('built', 'sending') OR EXISTS (SELECT 1 FROM deliveries l WHERE "
                "l.digest_id = d.id AND l.status = 'pending'))"
            )
        }
        finished = (finished & planned) - unfinished
    return finished


# ---- subscribers' bundles: one message a month with the series each reader chose ----


def bundles_planned(db: StateDB, period: Period) -> bool:
    row = db.execute("SELECT 1 FROM bundle_plans WHERE period = ?", [str(period)]).fetchone()
    return row is not None


def record_bundle_plan(db: StateDB, period: Period, now: datetime) -> None:
    """The period's bundles and their recipients are written: from now on fixed."""
    db.execute(
        "INSERT OR IGNORE INTO bundle_plans (period, planned_at) VALUES (?, ?)",
        [str(period), _stamp(now)],
    )


def bundles_of(db: StateDB, period: Period) -> list[StoredDigest]:
    """The period's bundles, in the order they were built."""
    return [
        _stored(DigestId(r["series"], period), r)
        for r in db.query(
            "SELECT * FROM digests WHERE kind = 'bundle' AND period = ? ORDER BY rowid",
            [str(period)],
        )
    ]


def mailed_in_period(db: StateDB, period: Period) -> set[str]:
    """Subscribers who got (or are getting) something of this period already: a bundle
    row that is not cancelled, or a series digest mailed to them the old way."""
    return {
        r[0]
        for r in db.execute(
            "SELECT l.recipient FROM deliveries l JOIN digests d ON d.id = l.digest_id "
            "WHERE d.period = ? AND l.kind = 'subscriber' AND (l.status IN ('sent', 'failed') "
            "OR (d.kind = 'bundle' AND l.status = 'pending'))",
            [str(period)],
        )
    }


def built_at(
    db: StateDB, renamed: Mapping[str, str] | None = None
) -> dict[str, dict[Period, datetime]]:
    """series -> period -> when that digest was built (a note committed later is late);
    a digest built under an earlier name of a series counts for the series (`renamed`)."""
    renamed = renamed or {}
    out: dict[str, dict[Period, datetime]] = {}
    for series, period, built in db.execute(
        "SELECT series, period, built_at FROM digests WHERE kind = 'series'"
    ):
        stamp = datetime.fromisoformat(built)
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        month = out.setdefault(renamed.get(series, series), {})
        key = Period.parse(period)
        month[key] = min(stamp, month.get(key, stamp))
    return out


def digest_of(db: StateDB, period: Period, names: Collection[str]) -> DigestId | None:
    """The stored digest of `period` for a series known by any of `names` (its name now
    and earlier ones), so a renamed series is never mailed twice for one month."""
    marks = ", ".join("?" for _ in names)
    rows = list(
        db.execute(
            f"SELECT series FROM digests WHERE kind = 'series' AND period = ? AND series IN "
            f"({marks}) ORDER BY built_at LIMIT 1",
            [str(period), *names],
        )
    )
    return DigestId(rows[0][0], period) if rows else None


# ---- deliveries -----------------------------------------------------------------------


def prepare_ledger(
    db: StateDB,
    digest: StoredDigest,
    recipients: Sequence[Recipient],
    *,
    message_id: Callable[[str], str],
    resend: bool,
    now: datetime,
) -> None:
    """Write the deliveries rows for a digest, in one transaction.

    First time: one pending row per recipient; the recipient set is then fixed for
    this digest (someone subscribing later gets the next one). On a resume,
    pending rows of people who meanwhile unsubscribed are cancelled. With resend,
    every current recipient is set back to pending. `message_id` gives the
    Message-ID recorded for an address.
    """
    stamp = _stamp(now)
    key = str(digest.id)
    current = {r.address for r in recipients}
    with transaction(db):
        existing = delivery_statuses(db, digest.id)
        first_time = not existing
        # Each kind of change is one statement prepared once for all its rows: planning
        # a month for 100,000 readers is one executemany, not 100,000 executes.
        added, pending_again = [], []
        for r in recipients:
            if r.address not in existing:
                if first_time or resend:
                    added.append((key, r.address, r.kind, message_id(r.address), stamp))
            elif resend or existing[r.address] == "cancelled":
                # resend: everyone again; cancelled: unsubscribed, then subscribed again.
                pending_again.append((r.kind, stamp, key, r.address))
        conn = db.conn
        conn.executemany(
            "INSERT INTO deliveries (digest_id, recipient, kind, message_id, status, "
            "attempts, updated_at) VALUES (?, ?, ?, ?, 'pending', 0, ?)",
            added,
        )
        conn.executemany(
            "UPDATE deliveries SET status = 'pending', kind = ?, updated_at = ? "
            "WHERE digest_id = ? AND recipient = ?",
            pending_again,
        )
        # Unsubscribed (or no longer the list address) since the digest was frozen.
        conn.executemany(
            "UPDATE deliveries SET status = 'cancelled', updated_at = ? "
            "WHERE digest_id = ? AND recipient = ?",
            [
                (stamp, key, address)
                for address, status in existing.items()
                if address not in current and status == "pending"
            ],
        )
        if resend:
            db.execute("UPDATE digests SET status = 'built' WHERE id = ?", [key])


def keep_planned(db: StateDB, id_: DigestId, mailed: str, *, resend: bool, now: datetime) -> None:
    """A planned bundle's ledger brought up to date with who is mailed now, in one
    transaction: `mailed` is an SQL query of their addresses. Its pending readers who
    left (unsubscribed, paused) are cancelled; those cancelled and back are pending
    again; with resend, every reader still mailed is pending again. What
    prepare_ledger does with the planned readers still mailed, in three statements."""
    stamp, key = _stamp(now), str(id_)
    with transaction(db):
        db.execute(
            "UPDATE deliveries SET status = 'pending', kind = 'subscriber', updated_at = ? "
            f"WHERE digest_id = ? AND (? OR status = 'cancelled') AND recipient IN ({mailed})",
            [stamp, key, resend],
        )
        db.execute(
            "UPDATE deliveries SET status = 'cancelled', updated_at = ? WHERE digest_id = ? "
            f"AND status = 'pending' AND recipient NOT IN ({mailed})",
            [stamp, key],
        )
        if resend:
            db.execute("UPDATE digests SET status = 'built' WHERE id = ?", [key])


def delivery_statuses(db: StateDB, id_: DigestId) -> dict[str, str]:
    """recipient -> delivery status, for every row of the digest's ledger."""
    return dict(
        db.conn.execute("SELECT recipient, status FROM deliveries WHERE digest_id = ?", [str(id_)])
    )


def pending_deliveries(db: StateDB, id_: DigestId) -> list[Recipient]:
    return [
        Recipient(address, kind)
        for address, kind in db.conn.execute(
            "SELECT recipient, kind FROM deliveries WHERE digest_id = ? AND status = 'pending' "
            "ORDER BY kind, recipient",
            [str(id_)],
        )
    ]


def count_sent(db: StateDB, id_: DigestId) -> int:
    row = db.execute(
        "SELECT COUNT(*) FROM deliveries WHERE digest_id = ? AND status = 'sent'", [str(id_)]
    ).fetchone()
    return int(row[0])


def permanent_failures(
    db: StateDB, id_: DigestId, *, bounced: bool = False
) -> list[tuple[str, str]]:
    """(recipient, server reply) of each delivery that failed permanently.

    bounced=False: those whose address is not (now) a bounced subscriber, who a
    --resend would mail again; bounced=True: only the bounced subscribers.
    """
    return [
        (row["recipient"], row["reply"] or "")
        for row in db.query(
            "SELECT d.recipient, d.reply FROM deliveries d WHERE d.digest_id = ? "
            "AND d.status = 'failed' AND EXISTS (SELECT 1 FROM subscribers s "
            "WHERE s.address = d.recipient AND s.status = 'bounced') = ? ORDER BY d.recipient",
            [str(id_), bounced],
        )
    ]


def record_result(
    db: StateDB,
    id_: DigestId,
    recipient: str,
    status: str,
    reply: str,
    now: datetime,
) -> None:
    """Write one result (autocommit outside a transaction): the ledger is never behind
    by more than one."""
    db.execute(
        "UPDATE deliveries SET status = ?, reply = ?, attempts = attempts + 1, updated_at = ? "
        "WHERE digest_id = ? AND recipient = ?",
        [status, reply, _stamp(now), str(id_), recipient],
    )


def record_sent(db: StateDB, id_: DigestId, results: Sequence[tuple[str, str, datetime]]) -> None:
    """Write many "sent" results (recipient, reply, when) at once, in the caller's
    transaction: one statement prepared for the whole group."""
    key = str(id_)
    db.conn.executemany(
        "UPDATE deliveries SET status = 'sent', reply = ?, attempts = attempts + 1, "
        "updated_at = ? WHERE digest_id = ? AND recipient = ?",
        [(reply, _stamp(now), key, recipient) for recipient, reply, now in results],
    )


def settle_digest(db: StateDB, id_: DigestId) -> str:
    """sent when every (not cancelled) recipient has it, partial otherwise."""
    row = db.execute(
        "SELECT COUNT(*), SUM(status = 'sent') FROM deliveries "
        "WHERE digest_id = ? AND status != 'cancelled'",
        [str(id_)],
    ).fetchone()
    total, sent = int(row[0]), int(row[1] or 0)
    status = "sent" if sent == total else "partial"
    db.execute("UPDATE digests SET status = ? WHERE id = ?", [status, str(id_)])
    return status


# ---- history ----------------------------------------------------------------------------

_HISTORY = """
SELECT d.period, d.series, d.status, d.built_at,
       COALESCE(SUM(x.status != 'cancelled'), 0) AS recipients,
       COALESCE(SUM(x.status = 'sent'), 0) AS sent,
       COALESCE(SUM(x.status = 'failed'), 0) AS failed,
       COALESCE(SUM(x.status = 'pending'), 0) AS pending,
       MAX(CASE WHEN x.status = 'sent' THEN x.updated_at END) AS last_delivery
FROM digests AS d LEFT JOIN deliveries AS x ON x.digest_id = d.id
{where}
GROUP BY d.id
ORDER BY d.period DESC, d.series
"""


def digest_series(db: StateDB) -> list[str]:
    """The series that have a digest row, sorted."""
    return sorted(
        row[0]
        for row in db.conn.execute("SELECT DISTINCT series FROM digests WHERE kind = 'series'")
    )


def published(db: StateDB) -> list[tuple[DigestId, str, str, str]]:
    """(id, subject, html, built_at) of every series digest mailed to someone, newest
    first: what the archive publishes (the frozen HTML)."""
    return [
        (
            DigestId(r["series"], Period.parse(r["period"])),
            r["subject"],
            r["html_body"],
            r["built_at"],
        )
        for r in db.query(
            "SELECT series, period, subject, html_body, built_at FROM digests "
            "WHERE kind = 'series' AND status IN ('sent', 'partial', 'sending') "
            "ORDER BY period DESC, series"
        )
    ]


def history(db: StateDB, *, series: Sequence[str] | None = None) -> list[HistoryRow]:
    """Every digest built (of `series`, when given): newest period first, then by series."""
    where, params = "", []
    if series is not None:
        where, params = f"WHERE d.series IN ({', '.join('?' * len(series))})", list(series)
    cursor = db.conn.execute(_HISTORY.format(where=where), params)
    names = [c[0] for c in cursor.description]
    return [HistoryRow(**dict(zip(names, row, strict=True))) for row in cursor.fetchall()]
