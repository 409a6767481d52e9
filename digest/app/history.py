"""`digest history`: the digests built and sent, from the digests and deliveries tables."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils


@dataclass(frozen=True)
class HistoryRow:
    period: str
    series: str
    status: str  # built / sending / sent / partial / skipped
    built_at: str
    recipients: int  # rows in the delivery ledger, less those cancelled before sending
    sent: int
    failed: int
    pending: int
    last_delivery: str | None  # when the last message of this digest was delivered


_QUERY = """
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


def load_history(db: sqlite_utils.Database, *, series: str | None = None) -> list[HistoryRow]:
    """Newest period first; within a period, series in name order.

    `series` selects the series whose name contains it (case-insensitive), as in every
    other command; a text matching none of the digests' series is a UserError.
    """
    where, params = "", []
    if series:
        from digest.app.digests import match_series

        known = [row[0] for row in db.conn.execute("SELECT DISTINCT series FROM digests")]
        if not known:
            return []  # nothing built yet: the table says so
        names = match_series(sorted(known), series)
        where, params = f"WHERE d.series IN ({', '.join('?' * len(names))})", names
    cursor = db.conn.execute(_QUERY.format(where=where), params)
    names = [c[0] for c in cursor.description]
    return [HistoryRow(**dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


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
