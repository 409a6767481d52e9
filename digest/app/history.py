"""`digest history`: the digests built and sent, from the digests and deliveries tables."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from digest.config.schema import Config
from digest.state import ledger
from digest.state.db import StateDB
from digest.state.ledger import HistoryRow


def load_history(db: StateDB, *, series: str | None = None) -> list[HistoryRow]:
    """Newest period first; within a period, series in name order.

    `series` selects the series whose name contains it (case-insensitive), as in every
    other command; a text matching none of the digests' series is a UserError.
    """
    if not series:
        return ledger.history(db)
    from digest.app.digests import match_series

    known = ledger.digest_series(db)
    if not known:
        return []  # nothing built yet: the table says so
    return ledger.history(db, series=match_series(known, series))


def run_history(cfg: Config, *, series: str | None = None, output_format: str = "table") -> str:
    """`digest history`: the table (or JSON) of every digest built. Never creates the state:
    no database file means nothing was built yet."""
    from digest.errors import database_error
    from digest.state.db import open_db

    try:
        exists = cfg.db_path.exists()
    except OSError as exc:  # a state folder this user may not enter
        raise database_error(cfg.db_path, exc) from None
    rows = load_history(open_db(cfg.db_path), series=series) if exists else []
    return history_json(rows) if output_format == "json" else history_table(rows)


def history_json(rows: list[HistoryRow]) -> str:
    return json.dumps([asdict(r) for r in rows], indent=2, ensure_ascii=False)


_COLUMNS = (
    ("period", "PERIOD"),
    ("series", "SERIES"),
    ("status", "STATUS"),
    ("recipients", "RECIPIENTS"),
    ("sent", "SENT"),
    ("failed", "FAILED"),
    ("pending", "PENDING"),  # transient failures the next `digest send` tries again
    ("built_at", "BUILT"),
    ("last_delivery", "LAST DELIVERY"),
)


def history_table(rows: list[HistoryRow]) -> str:
    """Aligned plain-text columns: readable in a terminal and easy to grep."""
    if not rows:
        return "No digest built yet: run `digest send` (or `digest preview` to look first)."
    cells: list[list[str]] = [[title for _, title in _COLUMNS]]
    for row in rows:
        values: dict[str, Any] = asdict(row)
        cells.append([_cell(values[key]) for key, _ in _COLUMNS])
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    )


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        return value[:16].replace("T", " ")  # ISO timestamps to the minute
    return str(value)
