"""The digest's own subscribers: validated addresses with a status, in the state DB.

Addresses are checked with email-validator (syntax only: no DNS, so adding a
subscriber never touches the network), internationalized domains are stored in
their ASCII form, and the whole address is lower-cased so "Alice@X.org" and
"alice@x.org" are one subscriber. "Name <addr>", as address-book exports write
it, is read with the standard library's address parser. A likely typo of a
common mail domain ("gmail.con", "gmailcom") is a warning, never a refusal:
only the reader's mail server knows for sure.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses, parseaddr, unquote
from typing import Literal, cast

import email_validator
from rapidfuzz.distance import OSA

from digest.config.schema import Config
from digest.errors import UserError
from digest.state.db import StateDB, transaction
from digest.state.ledger import Recipient

SubscriberStatus = Literal["active", "unsubscribed", "bounced"]
STATUSES: tuple[SubscriberStatus, ...] = ("active", "unsubscribed", "bounced")


_SPECIAL_USE = set(email_validator.SPECIAL_USE_DOMAIN_NAMES)


class InvalidAddress(ValueError):
    """str() says why, as a clause: "'bob@' is not a valid address (...)"."""


@dataclass(frozen=True)
class Subscriber:
    address: str
    name: str
    status: SubscriberStatus
    created_at: str
    updated_at: str
    sid: str = ""  # the opaque id in this reader's links (never the address)
    series: tuple[str, ...] | None = None  # the series chosen; None: every series
    paused: bool = False  # no digests until resumed


def new_sid() -> str:
    """A random id for links: 128 bits, URL-safe."""
    return secrets.token_urlsafe(16)


def normalize_address(text: str) -> str:
    """The canonical form of an address, or InvalidAddress saying what is wrong."""
    raw = text.strip()
    if not raw:
        raise InvalidAddress("the address is empty")
    local, at, domain = raw.rpartition("@")
    # An internal relay's domains (localhost, corp.local, lists.test) are real places
    # to deliver to for this tool: check the local part and syntax, not the TLD.
    internal = bool(at and domain) and (
        "." not in domain or domain.lower().rsplit(".", 1)[-1] in _SPECIAL_USE
    )
    try:
        # No SMTPUTF8: a non-ASCII local part would need it from every server on the
        # way, and most relays refuse it; internationalized domains are fine (IDNA).
        valid = email_validator.validate_email(
            f"{local}@example.org" if internal else raw,
            check_deliverability=False,
            allow_smtputf8=False,
            globally_deliverable=False,
        )
    except email_validator.EmailNotValidError as exc:
        reason = str(exc).rstrip(".")
        raise InvalidAddress(f"{raw!r} is not a valid address ({reason})") from None
    if internal:
        if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?", domain):
            raise InvalidAddress(f"{raw!r} is not a valid address (bad domain {domain!r})")
        return f"{valid.local_part}@{domain}".lower()
    return str(valid.ascii_email or valid.normalized).lower()


def split_name(text: str) -> tuple[str | None, str]:
    """(display name or None, address) of "Ana Lima <ana@example.org>" or a bare address.

    Anything that is not exactly one "Name <addr>" comes back as written, for
    normalize_address to accept or explain.
    """
    raw = text.strip()
    if not raw.endswith(">") or "<" not in raw:
        return None, raw
    found = getaddresses([raw])
    if len(found) == 1 and found[0][1]:
        name, address = found[0]
    else:
        # One cell is one reader: "Lima, Ana <ana@…>" (its quotes eaten by CSV) is
        # a name with a comma, not two addresses.
        head, _, tail = raw.rpartition("<")
        address = parseaddr(f"<{tail}")[1]
        name = unquote(head.strip())
        if not address:
            return None, raw
    return (name.strip() or None), address


# Mail domains whose typos bounce every month. Only these are compared: a typo of
# a small domain cannot be told from another real domain.
COMMON_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "icloud.com",
    "protonmail.com",
    "fastmail.com",
)
# Top-level domains that do not exist but are one keystroke from one that does.
_TLD_TYPOS = {
    "con": "com",
    "cmo": "com",
    "ocm": "com",
    "cpm": "com",
    "vom": "com",
    "xom": "com",
    "comm": "com",
    "coom": "com",
    "nte": "net",
    "nett": "net",
    "ogr": "org",
    "orgg": "org",
}


def likely_typo(address: str) -> str | None:
    """Why a valid address is probably misspelt (a clause), or None.

    "bob@gmail.con" -> "looks like a typo of bob@gmail.com".
    """
    local, _, domain = address.rpartition("@")
    domain = domain.lower()
    if domain in COMMON_DOMAINS:
        return None
    squeezed = domain.replace(".", "")
    for known in COMMON_DOMAINS:
        allowed = 2 if len(known) >= 11 else 1
        if squeezed == known.replace(".", "") or OSA.distance(domain, known) <= allowed:
            return f"looks like a typo of {local}@{known}"
    label, dot, tld = domain.rpartition(".")
    if dot and tld in _TLD_TYPOS:
        return f"looks like a typo of {local}@{label}.{_TLD_TYPOS[tld]}"
    if not dot and domain not in _SPECIAL_USE:
        return (
            f"has no dot in its domain {domain!r}, so only a mail server inside your "
            "own network can deliver it"
        )
    return None


def _now_text(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")


def _row_to_subscriber(row: dict[str, object]) -> Subscriber:
    series = row.get("series")
    return Subscriber(
        address=str(row["address"]),
        name=str(row["name"] or ""),
        status=cast(SubscriberStatus, row["status"]),
        created_at=str(row["created_at"]),
        updated_at=str(row["updated_at"]),
        sid=str(row.get("sid") or ""),
        series=None if series is None else tuple(json.loads(str(series))),
        paused=bool(row.get("paused")),
    )


def get_by_sid(db: StateDB, sid: str) -> Subscriber | None:
    """The subscriber a link's opaque id belongs to."""
    rows = list(db.query("SELECT * FROM subscribers WHERE sid = ?", [sid]))
    return _row_to_subscriber(rows[0]) if rows else None


def ensure_sid(db: StateDB, address: str) -> str:
    """The subscriber's link id, made now if the row has none yet."""
    row = db.execute("SELECT sid FROM subscribers WHERE address = ?", [address]).fetchone()
    if row is not None and row[0]:
        return str(row[0])
    sid = new_sid()
    db.execute("UPDATE subscribers SET sid = ? WHERE address = ?", [sid, address])
    return sid


def set_preferences(
    db: StateDB,
    sid: str,
    *,
    series: Iterable[str] | None,
    paused: bool,
    now: datetime | None = None,
) -> bool:
    """Which series an active subscriber gets (None: every series) and whether paused.

    False when the id belongs to nobody active (unsubscribed meanwhile).
    """
    chosen = None if series is None else json.dumps(sorted(set(series)), ensure_ascii=False)
    cursor = db.execute(
        "UPDATE subscribers SET series = ?, paused = ?, updated_at = ? "
        "WHERE sid = ? AND status = 'active'",
        [chosen, int(paused), _now_text(now), sid],
    )
    return cursor.rowcount == 1


# The addresses of the subscribers a month's bundles go to (active, not paused).
MAILED_ADDRESSES = "SELECT address FROM subscribers WHERE status = 'active' AND NOT paused"


def mailed_choices(db: StateDB) -> Iterator[tuple[str, tuple[str, ...] | None]]:
    """(address, series chosen or None: every series) of each subscriber a month's
    bundles go to (active, not paused), by address, one at a time: what planning the
    month reads, never a list of 100,000 readers nor a Subscriber each."""
    cursor = db.conn.execute(
        "SELECT address, series FROM subscribers WHERE status = 'active' AND NOT paused "
        "ORDER BY address"
    )
    for address, series in cursor:
        yield str(address), None if series is None else tuple(json.loads(str(series)))


# ---- double opt-in ------------------------------------------------------------------

ConfirmOutcome = Literal["confirmed", "already", "expired", "unknown"]


def create_confirmation(
    db: StateDB,
    address: str,
    series: Iterable[str] | None,
    *,
    days: int,
    now: datetime | None = None,
) -> str:
    """A pending subscription (nothing active until confirmed); returns its random id."""
    now = now or datetime.now(UTC)
    ident = secrets.token_urlsafe(16)
    chosen = None if series is None else json.dumps(sorted(set(series)), ensure_ascii=False)
    with transaction(db):
        db.execute("DELETE FROM confirmations WHERE expires_at < ?", [_now_text(now)])
        db.execute(
            "INSERT INTO confirmations (id, address, series, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [ident, address, chosen, _now_text(now), _now_text(now + timedelta(days=days))],
        )
    return ident


def recent_confirmations(db: StateDB, address: str, since: datetime) -> int:
    """Confirmation mails asked for this address since `since` (a per-address limit)."""
    row = db.execute(
        "SELECT COUNT(*) FROM confirmations WHERE address = ? AND created_at >= ?",
        [address, _now_text(since)],
    ).fetchone()
    return int(row[0])


def confirm_subscription(
    db: StateDB, ident: str, *, now: datetime | None = None
) -> tuple[ConfirmOutcome, str | None]:
    """Make a pending subscription active: (outcome, the subscriber's link id).

    A confirmation is used once: its row (and any other pending one of the address)
    is deleted, so replaying the link finds nothing ("unknown"). Past its expiry it
    is refused and deleted.
    """
    now = now or datetime.now(UTC)
    with transaction(db):
        row = db.execute(
            "SELECT address, series, expires_at FROM confirmations WHERE id = ?", [ident]
        ).fetchone()
        if row is None:
            return "unknown", None
        address, series, expires = row
        if expires < _now_text(now):
            db.execute("DELETE FROM confirmations WHERE id = ?", [ident])
            return "expired", None
        db.execute("DELETE FROM confirmations WHERE address = ?", [address])
        before = get_subscriber(db, address)
        upsert_subscriber(db, address, status="active", now=now)
        db.execute(
            "UPDATE subscribers SET series = ?, paused = 0 WHERE address = ?", [series, address]
        )
        sid = ensure_sid(db, address)
    if before is not None and before.status == "active":
        return "already", sid
    return "confirmed", sid


def get_subscriber(db: StateDB, address: str) -> Subscriber | None:
    rows = list(db.query("SELECT * FROM subscribers WHERE address = ?", [address]))
    return _row_to_subscriber(rows[0]) if rows else None


def link_id(db: StateDB, address: str) -> str | None:
    """The subscriber's link id (sid), or None: one indexed lookup."""
    row = db.conn.execute("SELECT sid FROM subscribers WHERE address = ?", [address]).fetchone()
    return str(row[0]) if row and row[0] else None


def link_ids(db: StateDB, addresses: Sequence[str]) -> dict[str, str | None]:
    """link_id of each address (None: no subscriber, or no link id), in one query for
    up to 500 addresses: a send looks its readers up a few hundred at a time."""
    found: dict[str, str | None] = dict.fromkeys(addresses)
    for start in range(0, len(addresses), 500):
        chunk = addresses[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for address, sid in db.conn.execute(
            f"SELECT address, sid FROM subscribers WHERE address IN ({marks})", chunk
        ):
            found[address] = str(sid) if sid else None
    return found


def list_subscribers(db: StateDB, status: SubscriberStatus | None = None) -> list[Subscriber]:
    if status:
        rows = db.query("SELECT * FROM subscribers WHERE status = ? ORDER BY address", [status])
    else:
        rows = db.query("SELECT * FROM subscribers ORDER BY address")
    return [_row_to_subscriber(r) for r in rows]


def active_addresses(db: StateDB) -> list[str]:
    return [s.address for s in list_subscribers(db, "active")]


UpsertOutcome = Literal["added", "updated", "unchanged"]


def current_recipients(cfg: Config, db: StateDB) -> list[Recipient]:
    """Who one series' digest goes to now: the list address (if any). Subscribers get
    one message a month with the series they chose (digest.app.bundles)."""
    recipients: list[Recipient] = []
    if cfg.mail.list_address:
        try:
            address = normalize_address(cfg.mail.list_address)
        except InvalidAddress as exc:
            raise UserError(f"{cfg.path}: [mail] list_address: {exc}.") from None
        recipients.append(Recipient(address, "list"))
    return recipients


def upsert_subscriber(
    db: StateDB,
    address: str,
    *,
    name: str | None = None,
    status: SubscriberStatus | None = None,
    now: datetime | None = None,
) -> UpsertOutcome:
    """Add or change one subscriber (address already normalized).

    None leaves a field as it is; a new subscriber defaults to active with no name.
    """
    stamp = _now_text(now)
    existing = get_subscriber(db, address)
    if existing is None:
        db.execute(
            "INSERT INTO subscribers (address, name, status, created_at, updated_at, sid) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [address, name or "", status or "active", stamp, stamp, new_sid()],
        )
        return "added"
    new_name = existing.name if name is None else name
    new_status = existing.status if status is None else status
    if (new_name, new_status) == (existing.name, existing.status):
        return "unchanged"
    db.execute(
        "UPDATE subscribers SET name = ?, status = ?, updated_at = ? WHERE address = ?",
        [new_name, new_status, stamp, address],
    )
    return "updated"


AddOutcome = Literal["added", "re-activated", "updated", "unchanged"]


def add_subscriber(
    db: StateDB, address: str, name: str | None = None, *, now: datetime | None = None
) -> tuple[str, AddOutcome]:
    """`subscribers add`: an explicit add makes an unsubscribed or bounced address active again.

    "Ana Lima <ana@example.org>" names the subscriber unless `name` is given.
    """
    written_name, address = split_name(address)
    name = name if name is not None else written_name
    normalized = _checked(address)
    with transaction(db):
        before = get_subscriber(db, normalized)
        outcome = upsert_subscriber(db, normalized, name=name, status="active", now=now)
    if before is not None and before.status != "active":
        return normalized, "re-activated"
    return normalized, outcome


def mark_bounced(db: StateDB, address: str, *, now: datetime | None = None) -> bool:
    """Set an active subscriber to bounced; True when it was active.

    Runs inside the caller's transaction (the ledger row of the refused delivery).
    Anyone not active is left alone: an unsubscription is the reader's own choice
    and stays what it is.
    """
    cursor = db.execute(
        "UPDATE subscribers SET status = 'bounced', updated_at = ? "
        "WHERE address = ? AND status = 'active'",
        [_now_text(now), address],
    )
    return cursor.rowcount == 1


def remove_subscriber(db: StateDB, address: str) -> str:
    """Forget a subscriber entirely; UserError when there is none."""
    normalized = _checked(address)
    with transaction(db):
        cursor = db.execute("DELETE FROM subscribers WHERE address = ?", [normalized])
    if cursor.rowcount == 0:
        raise UserError(f"{normalized} is not a subscriber; `digest subscribers list` shows them.")
    return normalized


def unsubscribe_address(db: StateDB, address: str, *, now: datetime | None = None) -> UpsertOutcome:
    """Mark an address unsubscribed, recording it even when it was never subscribed.

    The row is kept (not deleted) so a later CSV import cannot silently re-add it.
    """
    normalized = _checked(address)
    with transaction(db):
        return upsert_subscriber(db, normalized, status="unsubscribed", now=now)


def _checked(address: str) -> str:
    try:
        return normalize_address(address)
    except InvalidAddress as exc:
        raise UserError(f"{exc}.") from None


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    suspect: list[tuple[int, str]] = field(default_factory=list)  # (line, likely typo)


@dataclass(frozen=True)
class CsvRow:
    line: int
    address: str
    name: str | None
    status: SubscriberStatus | None


def parse_subscriber_csv(text: str) -> tuple[list[CsvRow], list[tuple[int, str]]]:
    """Rows of address[,name][,status] (a header row naming the columns is optional).

    An address cell may be "Name <addr>"; its name is used when the row has no name.
    Pure: returns the valid rows and (line, reason) for each invalid one.
    """
    reader = csv.reader(io.StringIO(text))
    columns = ["address", "name", "status"]
    rows: list[CsvRow] = []
    invalid: list[tuple[int, str]] = []
    first = True
    for cells in reader:
        line = reader.line_num
        cells = [c.strip() for c in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if first:
            first = False
            lowered = [c.lower() for c in cells]
            if "address" in lowered or "email" in lowered:
                columns = ["address" if c == "email" else c for c in lowered]
                unknown = [c for c in columns if c not in ("address", "name", "status")]
                if unknown:
                    invalid.append((line, f"unknown column {unknown[0]!r} (address, name, status)"))
                    return [], invalid
                continue
        values = dict(zip(columns, cells, strict=False))
        if len(cells) > len(columns):
            invalid.append((line, f"{len(cells)} columns, expected at most {len(columns)}"))
            continue
        written_name, written = split_name(values.get("address", ""))
        try:
            address = normalize_address(written)
        except InvalidAddress as exc:
            invalid.append((line, str(exc)))
            continue
        status_text = values.get("status", "").lower()
        if status_text and status_text not in STATUSES:
            invalid.append(
                (line, f"unknown status {values['status']!r} (active, unsubscribed, bounced)")
            )
            continue
        # An empty cell says nothing, like a missing column: it keeps a stored name.
        name = (values.get("name") or "").strip() or written_name
        status: SubscriberStatus | None = status_text if status_text else None
        rows.append(CsvRow(line, address, name, status))
    return rows, invalid


def import_subscribers(db: StateDB, text: str, *, now: datetime | None = None) -> ImportReport:
    """Import a CSV in one transaction: invalid rows are reported and skipped.

    A row without a status adds a new address as active but leaves an existing
    subscriber's status alone: re-importing an old list must not undo anyone's
    unsubscription.
    """
    rows, invalid = parse_subscriber_csv(text)
    report = ImportReport(invalid=invalid)
    for row in rows:
        typo = likely_typo(row.address)
        if typo:
            report.suspect.append((row.line, f"{row.address} {typo}"))
    with transaction(db):
        for row in rows:
            outcome = upsert_subscriber(db, row.address, name=row.name, status=row.status, now=now)
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def export_subscribers(subscribers: Iterable[Subscriber]) -> str:
    """CSV with a header row, the format `subscribers import` reads back."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["address", "name", "status"])
    for s in subscribers:
        writer.writerow([s.address, s.name, s.status])
    return out.getvalue()
