"""`digest subscribers ...` and `digest unsubscribe`: the digest's own readers.

Each function is one command: it opens the state, does the change through
digest.state.subscribers, and returns what the command prints.
"""

from __future__ import annotations

import logging
from pathlib import Path

from digest.config.schema import Config
from digest.config.secrets import require_token_secret
from digest.errors import UserError
from digest.mail.tokens import token_from_url, verify_token
from digest.state import subscribers
from digest.state.db import open_db
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
    if "@" not in who or who.startswith(("http://", "https://")):
        secret = require_token_secret(cfg, "checking an unsubscribe token")
        found = verify_token(token_from_url(cfg, who.strip()), secret)
        if found is None:
            raise UserError(
                "this unsubscribe token is not valid: it was cut short, changed, or signed "
                "with another secret."
            )
        address = found
    outcome = subscribers.unsubscribe_address(open_db(cfg.db_path), address)
    if outcome == "unchanged":
        return f"{address}: was already unsubscribed."
    return f"{address}: unsubscribed."
