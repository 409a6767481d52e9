"""`digest subscribers ...` and `digest unsubscribe`: the digest's own readers.

Each function is one command: it opens the state, does the change through
digest.state.subscribers, and returns what the command prints.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from digest.config.schema import Config
from digest.config.secrets import require_token_secret
from digest.errors import UserError
from digest.mail.tokens import read_link_token, token_from_url, verify_token
from digest.state import subscribers
from digest.state.db import open_db, transaction
from digest.state.subscribers import ImportReport, Subscriber, SubscriberStatus


def add(cfg: Config, address: str, name: str | None) -> str:
    """ "ana@example.org: added." (or re-activated, updated, unchanged).

    A likely typo ("bob@gmail.con") is added all the same, with a warning.
    """
    normalized, outcome = subscribers.add_subscriber(open_db(cfg.db_path), address, name)
    typo = subscribers.likely_typo(normalized)
    if typo:
        logging.getLogger("digest").warning(
            "%s %s (%s anyway; `digest subscribers remove %s` takes it back).",
            normalized,
            typo,
            outcome,
            normalized,
        )
    return f"{normalized}: {outcome}."


def remove(cfg: Config, address: str) -> str:
    return f"{subscribers.remove_subscriber(open_db(cfg.db_path), address)}: removed."


def listing(cfg: Config, status: SubscriberStatus | None = None) -> list[Subscriber]:
    return subscribers.list_subscribers(open_db(cfg.db_path), status)


def import_file(cfg: Config, file: Path) -> ImportReport:
    """Import a CSV file (address[,name][,status]); invalid rows are in the report."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{file}: cannot be read as UTF-8 text ({exc}).") from None
    return subscribers.import_subscribers(open_db(cfg.db_path), text)


def export(cfg: Config) -> str:
    """Every subscriber as CSV, with a header."""
    return subscribers.export_subscribers(subscribers.list_subscribers(open_db(cfg.db_path)))


def unsubscribe(cfg: Config, who: str) -> str:
    """Unsubscribe an address, or the reader a token (or its whole URL) was made for."""
    address = who
    db = open_db(cfg.db_path)
    if "@" not in who or who.startswith(("http://", "https://")):
        secret = require_token_secret(cfg, "checking an unsubscribe token")
        token = token_from_url(cfg, who.strip())
        sid = read_link_token(token, secret, "s")
        found = verify_token(token, secret)  # a link mailed before the links changed
        if sid is not None:
            subscriber = subscribers.get_by_sid(db, sid)
            found = subscriber.address if subscriber else None
        if found is None:
            raise UserError(
                "this unsubscribe token is not valid: it was cut short, changed, signed "
                "with another secret, or its subscriber was removed."
            )
        address = found
    outcome = subscribers.unsubscribe_address(db, address)
    if outcome == "unchanged":
        return f"{address}: was already unsubscribed."
    return f"{address}: unsubscribed."


@dataclass
class BounceReport:
    messages: int = 0  # messages read
    bounced: list[str] = field(default_factory=list)  # subscribers marked bounced now
    unknown: int = 0  # failed addresses that are no active subscriber


def import_bounces(cfg: Config, file: Path) -> BounceReport:
    """`digest bounces import FILE`: mark the subscribers an mbox of DSNs reports as
    permanently failed `bounced` (the MTA accepted the message, then gave up)."""
    import mailbox

    from digest.delivery.bounces import dsn_failures

    if not file.is_file():
        raise UserError(f"{file}: no such file; give an mbox file of bounce messages.")
    report = BounceReport()
    failed: set[str] = set()
    try:
        box = mailbox.mbox(str(file), create=False)
        for message in box:
            report.messages += 1
            failed |= dsn_failures(message)
        box.close()
    except (OSError, mailbox.Error) as exc:
        raise UserError(f"{file}: cannot be read as an mbox file ({exc}).") from None
    if report.messages == 0:
        raise UserError(f"{file}: holds no message; is it an mbox file (each starting 'From ')?")
    db = open_db(cfg.db_path)
    with transaction(db):
        for address in sorted(failed):
            if subscribers.mark_bounced(db, address):
                report.bounced.append(address)
            else:
                report.unknown += 1
    return report
