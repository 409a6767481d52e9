"""The state's read side: meetings and items come back exactly as they were stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from digest.model import Document, Item, Meeting
from digest.state import notes as store
from digest.state.db import StateDB, open_db, transaction

SEEN = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> StateDB:
    return open_db(tmp_path / "state.db")


def meeting(path: str, day: str, series: str = "Kelpie Sync", line: int = 1) -> Meeting:
    return Meeting(
        id=f"kelpie:{path}:{day}",
        source="kelpie",
        path=path,
        series=series,
        title=f"{day} {series}",
        date=date.fromisoformat(day),
        date_origin="heading",
        line=line,
        end_line=line + 9,
        commit="c0ffee" * 6 + "c0ff",
        committed_at=datetime(2026, 1, 9, 9, tzinfo=UTC),
        warnings=["kelpie:x.md:3: a table row has more cells than its header"],
    )


def item(m: Meeting, line: int, text: str, **extra: object) -> Item:
    fields: dict[str, object] = {
        "meeting_id": m.id,
        "series": m.series,
        "meeting_date": m.date,
        "form": "task",
        "meaning": "actions",
        "kind": "action",
        "section": ("Action items", "From last time"),
        "text": text,
        "children": ["detail one", "detail two"],
        "owners": ["ana", "bo"],
        "refs": ["kelpie/tides#12"],
        "links": ["https://example.org/moon"],
        "status": "open",
        "status_phrase": "in flight",
        "row_key": None,
        "path": m.path,
        "line": line,
        "end_line": line,
        "commit": m.commit,
        "committed_at": m.committed_at,
        "source": "kelpie",
    }
    fields.update(extra)
    return Item(**fields)  # type: ignore[arg-type]


def put(db: StateDB, path: str, meetings: list[Meeting], items: list[Item]) -> None:
    doc = Document("kelpie", path, "# text\n", f"blob-{path}", "c0ffee", SEEN)
    with transaction(db):
        store.replace_document(db, doc, meetings, items, ["a warning"], SEEN, {})


def test_meetings_and_items_round_trip(db: StateDB) -> None:
    m = meeting("notes/a.md", "2026-01-08")
    stored = [
        item(m, 5, "[ana] tide model"),
        item(m, 6, "row", form="row", row_key="tides / model"),
    ]
    put(db, "notes/a.md", [m], stored)

    (loaded,) = store.load_meetings(db)
    assert loaded == m  # sections are not stored: they come back empty, as m's are
    assert store.load_items(db) == stored

    called_off = replace(meeting("notes/b.md", "2026-01-15"), not_held="Call cancelled")
    put(db, "notes/b.md", [called_off], [])
    assert store.load_meetings(db)[1].not_held == "Call cancelled"


def test_order_and_series_filter(db: StateDB) -> None:
    feb = meeting("notes/b.md", "2026-02-05")
    jan = meeting("notes/a.md", "2026-01-08")
    call = meeting("notes/call.md", "2026-01-20", series="Kelpie Community Call")
    put(db, "notes/b.md", [feb], [item(feb, 9, "later line"), item(feb, 4, "earlier line")])
    put(db, "notes/a.md", [jan], [item(jan, 5, "january")])
    put(db, "notes/call.md", [call], [item(call, 7, "call item")])

    assert [m.date.isoformat() for m in store.load_meetings(db)] == [
        "2026-01-08",
        "2026-01-20",
        "2026-02-05",
    ]
    assert [i.text for i in store.load_items(db, series="Kelpie Sync")] == [
        "january",
        "earlier line",
        "later line",
    ]
    assert [m.series for m in store.load_meetings(db, series="Kelpie Community Call")] == [
        "Kelpie Community Call"
    ]
    assert store.list_series(db) == ["Kelpie Community Call", "Kelpie Sync"]


def test_replacing_a_document_replaces_its_meetings_only(db: StateDB) -> None:
    a = meeting("notes/a.md", "2026-01-08")
    b = meeting("notes/b.md", "2026-02-05")
    put(db, "notes/a.md", [a], [item(a, 5, "old a")])
    put(db, "notes/b.md", [b], [item(b, 5, "b")])
    put(db, "notes/a.md", [a], [item(a, 6, "new a")])
    assert [i.text for i in store.load_items(db)] == ["new a", "b"]

    with transaction(db):
        store.mark_deleted(db, "kelpie", "notes/b.md")
    assert [m.path for m in store.load_meetings(db)] == ["notes/a.md"]
    assert store.document_warnings(db) == ["a warning"]  # only current, not deleted notes


def test_a_failed_write_leaves_nothing_behind(db: StateDB) -> None:
    a = meeting("notes/a.md", "2026-01-08")
    with pytest.raises(RuntimeError), transaction(db):
        store.replace_document(
            db, Document("kelpie", "notes/a.md", "", "b1"), [a], [item(a, 5, "x")], [], SEEN, {}
        )
        raise RuntimeError("killed half-way")
    assert store.load_meetings(db) == []
    assert store.load_items(db) == []
    assert store.current_blobs(db, "kelpie") == {}


def test_first_seen_follows_a_meeting_to_another_file(db: StateDB) -> None:
    old = meeting("notes/jan-8.md", "2026-01-08")
    put(db, "notes/jan-8.md", [old], [])
    moved = meeting("notes/2026-01-08.md", "2026-01-08")
    other = meeting("notes/2026-01-15.md", "2026-01-15")
    first = store.first_seen(db, "kelpie", [moved, other])
    assert first[moved.id].committed_at == old.committed_at
    assert other.id not in first
