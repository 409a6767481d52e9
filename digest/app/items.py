"""`digest items`: the threads followed from meeting to meeting, for a maintainer.

A table (or JSON) of every thread worth listing, newest mention first, or how one
thread was put together (`--explain`). It reads the state only.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from digest.app.digests import (
    followed_items,
    load_notes,
    local_today,
    match_series,
    series_conventions,
    without_hidden,
)
from digest.config.schema import Config
from digest.errors import UserError
from digest.model import SourceLink, Status, Thread
from digest.periods import Period
from digest.state.notes import HiddenMark, hidden_text
from digest.tracking.buckets import entry_title, tracked_open, worth_following
from digest.tracking.conventions import read_as
from digest.tracking.links import source_link
from digest.tracking.threads import build_threads, effective_status, read_echoes


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
    kind: str = "topic"  # of the title's line: action or topic
    why: str = ""

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
            "kind": self.kind,
            "why": self.why,
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
                title=entry_title(last.text),  # as the digest names it
                source=source_link(cfg, last),
                kind=last.kind,
                why=last.why,
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
    from digest.state.notes import hidden_marks

    _meetings, items, resolution = load_notes(db)
    chosen = set(match_series(resolution.names(), series, resolution))
    items = [i for i in items if i.series in chosen]
    items = followed_items(cfg, items)
    threads = build_threads(items, cfg.tracking)
    conventions = series_conventions(items, threads, cfg.tracking)
    read = [replace(t, items=read_echoes(read_as(t.items, conventions[t.series]))) for t in threads]
    return without_hidden([t for t in read if t.items], hidden_marks(db))


def run_items(
    cfg: Config,
    db: Any = None,
    *,
    series: str | None = None,
    only_open: bool = False,
    owner: str | None = None,
    output_format: str = "table",
    explain: str | None = None,
    lines: Period | None = None,
    hidden: bool = False,
    now: datetime | None = None,
    console: Console | None = None,
) -> None:
    """`digest items`: print the followed threads, how one thread was put together,
    every line of a month's notes with its kind, or the hidden threads."""
    if db is None:
        from digest.state.db import open_db

        db = open_db(cfg.db_path)
    now = now or datetime.now(UTC)
    today = local_today(cfg, now)
    console = console or Console(highlight=False, soft_wrap=False)
    if lines is not None:
        _print_lines(db, lines, series, output_format)
        return
    if hidden:
        rows = hidden_rows(cfg, db, series=series)
        for r in rows:
            print(f"{r.short_id}\t{r.thread.series}\t{inline_plain_title(r.title)}")
        print(f"{len(rows)} hidden item(s).", file=sys.stderr)
        return
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
    header = ("id", "kind", "status", "owners", "age", "raised", "last seen", "title")
    # A terminal shows the title as read, without Markdown markup (JSON keeps it).
    titles = {r.thread.id: inline_plain(r.title).text for r in rows}
    cells_of = [
        (
            r.short_id,
            r.kind,
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
        widths = [max(len(line[n]) for line in [header, *cells_of]) for n in range(7)]
        for line in [header, *cells_of]:
            cells = [cell.ljust(width) for cell, width in zip(line[:7], widths, strict=True)]
            print("  ".join([*cells, line[7]]).rstrip())
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in header:
        table.add_column(
            name, justify="right" if name in ("age", "raised") else "left", no_wrap=name != "title"
        )
    for line in cells_of:
        table.add_row(*line[:7], Text(line[7]))
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
                "kind": item.kind,
                "why": item.why,
                "section": list(item.section),
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
        heading = " > ".join(item.section) or "no heading"
        lines += [
            (f"{item.meeting_date}  {item.path}:{item.line}  {status}", ""),
            (f"    {item.text}", ""),
            (f"    {item.kind}: {item.why} (under {heading})", "dim"),
            (f"    joined by {why}", "dim"),
        ]
    for text, style in lines:
        if console.is_terminal:
            console.print(Text(text, style=style), soft_wrap=True)
        else:
            print(text)


# ---- `digest items hide` / `unhide`: a maintainer's own word on what is an item ----


def _mark(thread: Thread) -> HiddenMark:
    return HiddenMark(
        thread.id, thread.first.meeting_id, hidden_text(thread.first.text), thread.series
    )


def hide_item(cfg: Config, wanted: str, *, now: datetime | None = None) -> str:
    """Hide a thread from every digest built from now on (frozen ones stay as they were)
    and from `digest items`; returns the sentence to print."""
    from digest.state.db import open_db, transaction
    from digest.state.notes import hide

    db = open_db(cfg.db_path)
    thread = find_thread(_all_threads(cfg, db), wanted)
    with transaction(db):
        fresh = hide(db, _mark(thread), now or datetime.now(UTC))
    title = inline_plain_title(thread.last.text)
    if not fresh:
        return f"{short_id(thread.id)} was hidden already: {title}"
    return (
        f"hid {short_id(thread.id)}: {title}; digests built from now on leave it out "
        f"(`digest items unhide {short_id(thread.id)}` brings it back)."
    )


def unhide_item(cfg: Config, wanted: str) -> str:
    """Bring a hidden thread back, by the id it had when hidden or the one it has now."""
    from digest.state.db import open_db, transaction
    from digest.state.notes import hidden_marks, unhide

    db = open_db(cfg.db_path)
    marks = [m for m in hidden_marks(db) if short_id(m.thread_id).startswith(wanted.lower())]
    if len(marks) == 1:
        with transaction(db):
            unhide(db, marks[0])
        return f"unhid {short_id(marks[0].thread_id)}: {marks[0].text}"
    thread = find_thread(_all_threads(cfg, db), wanted)
    with transaction(db):
        found = unhide(db, _mark(thread))
    title = inline_plain_title(thread.last.text)
    if not found:
        return f"{short_id(thread.id)} was not hidden: {title}"
    return f"unhid {short_id(thread.id)}: {title}"


def hidden_rows(cfg: Config, db: Any, *, series: str | None = None) -> list[ThreadRow]:
    """The hidden threads, as `digest items --hidden` lists them."""
    from digest.state.notes import hidden_marks

    threads = _all_threads(cfg, db, series=series)
    visible = {t.id for t in without_hidden(threads, hidden_marks(db))}
    return thread_rows(cfg, [t for t in threads if t.id not in visible])


def _all_threads(cfg: Config, db: Any, *, series: str | None = None) -> list[Thread]:
    """Every followed thread (of the series matching `series`), hidden ones included."""
    _meetings, items, resolution = load_notes(db)
    chosen = set(match_series(resolution.names(), series, resolution))
    items = [i for i in items if i.series in chosen]
    return build_threads(followed_items(cfg, items), cfg.tracking)


def inline_plain_title(text: str) -> str:
    from digest.mail.inline import inline_plain

    return inline_plain(text).text


def _print_lines(db: Any, period: Period, series: str | None, output_format: str) -> None:
    """Every line of the month's notes with its kind and why: what is followed, and
    what is read as discussion, attendance, boilerplate or a placeholder."""
    _meetings, items, resolution = load_notes(db)
    chosen = set(match_series(resolution.names(), series, resolution))
    shown = [i for i in items if i.series in chosen and period.start <= i.meeting_date < period.end]
    if output_format == "json":
        rows = [
            {
                "series": i.series,
                "date": i.meeting_date.isoformat(),
                "path": i.path,
                "line": i.line,
                "kind": i.kind,
                "why": i.why,
                "section": list(i.section),
                "text": i.text,
            }
            for i in shown
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for i in shown:
        text = inline_plain_title(i.text)
        print(f"{i.meeting_date}  {i.path}:{i.line}  {i.kind:<11} {text}")
        print(f"{'':12}{i.why}")
    print(f"{len(shown)} line(s) in {period.name}.", file=sys.stderr)
