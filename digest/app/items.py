"""`digest items`: the threads followed from meeting to meeting, for a maintainer.

A table (or JSON) of every thread worth listing, newest mention first, or how one
thread was put together (`--explain`). It reads the state only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from digest.app.digests import follow, local_today, match_series
from digest.config.schema import Config
from digest.errors import UserError
from digest.model import SourceLink, Status, Thread
from digest.tracking.buckets import tracked_open, worth_following
from digest.tracking.links import source_link
from digest.tracking.threads import effective_status


@dataclass
class ThreadRow:
    """One line of `digest items`: a thread as it stands now."""

    short_id: str
    thread: Thread
    status: Status
    status_phrase: str | None
    owners: list[str]
    first_seen: date
    last_seen: date
    times_raised: int
    title: str
    source: SourceLink

    def age_days(self, today: date) -> int:
        return max(0, (today - self.first_seen).days)

    def to_json(self, today: date) -> dict[str, Any]:
        return {
            "id": self.short_id,
            "thread_id": self.thread.id,
            "series": self.thread.series,
            "status": self.status,
            "status_phrase": self.status_phrase,
            "owners": self.owners,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "age_days": self.age_days(today),
            "times_raised": self.times_raised,
            "title": self.title,
            "source": {
                "path": self.source.path,
                "line": self.source.line,
                "commit": self.source.commit,
                "url": self.source.url,
            },
        }


def short_id(thread_id: str) -> str:
    """8 hex digits, stable for a thread (its id is the long key of its first item)."""
    return hashlib.sha1(thread_id.encode("utf-8")).hexdigest()[:8]


def format_age(days: int) -> str:
    if days < 14:
        return f"{days}d"
    return f"{days // 7}w"


def thread_rows(
    cfg: Config,
    threads: Sequence[Thread],
    *,
    only_open: bool = False,
    owner: str | None = None,
) -> list[ThreadRow]:
    """Threads worth listing (followed items, not one-off remarks), newest mention first."""
    wanted_owner = owner.lower().lstrip("@") if owner else None
    rows: list[ThreadRow] = []
    for thread in threads:
        items = thread.items
        followed = tracked_open(items)
        if only_open and not followed:
            continue
        if not (followed or worth_following(items) or effective_status(items) != "unknown"):
            continue
        owners: list[str] = []
        for item in reversed(items):
            owners.extend(o for o in item.owners if o not in owners)
        if wanted_owner and wanted_owner not in owners:
            continue
        last = thread.last
        rows.append(
            ThreadRow(
                short_id=short_id(thread.id),
                thread=thread,
                status=effective_status(items),
                status_phrase=next(
                    (i.status_phrase for i in reversed(items) if i.status_phrase), None
                ),
                owners=owners,
                first_seen=thread.first.meeting_date,
                last_seen=last.meeting_date,
                times_raised=len({i.meeting_id for i in items}),
                title=last.text,
                source=source_link(cfg, last),
            )
        )
    rows.sort(key=lambda r: (r.thread.series, -r.last_seen.toordinal(), r.first_seen, r.thread.id))
    return rows


def find_thread(threads: Sequence[Thread], wanted: str) -> Thread:
    """The thread whose short id (or full id) is, or starts with, `wanted`."""
    hits = [t for t in threads if t.id == wanted]
    if not hits:
        hits = [t for t in threads if short_id(t.id).startswith(wanted.lower())]
    if not hits:
        raise UserError(f"no item has the id '{wanted}'; `digest items` lists the ids.")
    if len(hits) > 1:
        raise UserError(f"the id '{wanted}' matches {len(hits)} items; give more characters.")
    return hits[0]


def load_threads(cfg: Config, db: Any, *, series: str | None = None) -> list[Thread]:
    from digest.state.notes import list_series, load_items

    chosen = set(match_series(list_series(db), series))
    items = [i for i in load_items(db) if i.series in chosen]
    return follow(items, cfg.tracking)[0]


def run_items(
    cfg: Config,
    db: Any = None,
    *,
    series: str | None = None,
    only_open: bool = False,
    owner: str | None = None,
    output_format: str = "table",
    explain: str | None = None,
    now: datetime | None = None,
    console: Console | None = None,
) -> None:
    """`digest items`: print the followed threads, or how one thread was put together."""
    if db is None:
        from digest.state.db import open_db

        db = open_db(cfg.db_path)
    now = now or datetime.now(UTC)
    today = local_today(cfg, now)
    console = console or Console(highlight=False, soft_wrap=False)
    threads = load_threads(cfg, db, series=series)
    if explain:
        thread = find_thread(threads, explain)
        if output_format == "json":
            print(json.dumps(_explain_json(cfg, thread), indent=2, ensure_ascii=False))
        else:
            _print_explain(cfg, thread, console)
        return
    rows = thread_rows(cfg, threads, only_open=only_open, owner=owner)
    if output_format == "json":
        print(json.dumps([r.to_json(today) for r in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        console.print("No items (run `digest sync` first, or loosen --open/--owner/--series).")
        return
    from digest.mail.inline import inline_plain

    multi = len({r.thread.series for r in rows}) > 1
    header = ("id", "status", "owners", "age", "raised", "last seen", "title")
    # A terminal shows the title as read, without Markdown markup (JSON keeps it).
    titles = {r.thread.id: inline_plain(r.title).text for r in rows}
    lines = [
        (
            r.short_id,
            _short_status(r),
            ", ".join(r.owners),
            format_age(r.age_days(today)),
            str(r.times_raised),
            r.last_seen.isoformat(),
            f"[{r.thread.series}] {titles[r.thread.id]}" if multi else titles[r.thread.id],
        )
        for r in rows
    ]
    if not console.is_terminal:
        # Piped or redirected: one line per item, nothing cut, easy to grep.
        widths = [max(len(line[n]) for line in [header, *lines]) for n in range(6)]
        for line in [header, *lines]:
            cells = [cell.ljust(width) for cell, width in zip(line[:6], widths, strict=True)]
            print("  ".join([*cells, line[6]]).rstrip())
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in header:
        table.add_column(
            name, justify="right" if name in ("age", "raised") else "left", no_wrap=name != "title"
        )
    for line in lines:
        table.add_row(*line[:6], Text(line[6]))
    console.print(table)


def _short_status(row: ThreadRow, width: int = 24) -> str:
    phrase = row.status_phrase if row.status_phrase and row.status != "unknown" else row.status
    return phrase if len(phrase) <= width else phrase[: width - 1] + "…"


def _explain_json(cfg: Config, thread: Thread) -> dict[str, Any]:
    return {
        "id": short_id(thread.id),
        "thread_id": thread.id,
        "series": thread.series,
        "items": [
            {
                "date": item.meeting_date.isoformat(),
                "path": item.path,
                "line": item.line,
                "url": source_link(cfg, item).url,
                "status": item.status,
                "status_phrase": item.status_phrase,
                "text": item.text,
                "join": {"reason": join.reason, "detail": join.detail, "score": join.score},
            }
            for item, join in zip(thread.items, thread.joins, strict=True)
        ],
    }


def _print_explain(cfg: Config, thread: Thread, console: Console) -> None:
    lines = [(f"{short_id(thread.id)}  {thread.series}  ({thread.id})", "bold")]
    for item, join in zip(thread.items, thread.joins, strict=True):
        status = item.status if not item.status_phrase else f"{item.status} ({item.status_phrase})"
        why = join.detail if join.reason == "first" else f"{join.reason}: {join.detail}"
        lines += [
            (f"{item.meeting_date}  {item.path}:{item.line}  {status}", ""),
            (f"    {item.text}", ""),
            (f"    joined by {why}", "dim"),
        ]
    for text, style in lines:
        if console.is_terminal:
            console.print(Text(text, style=style), soft_wrap=True)
        else:
            print(text)
