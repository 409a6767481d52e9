"""feed sources: RSS/Atom (feedparser); one entry is one note.

An entry's HTML content becomes Markdown (digest.sources.html_markdown), its title
the "# " heading when the content has none, its date the published (else updated)
date. Entries that leave the feed are not deletions.
"""

from __future__ import annotations

import calendar
import re
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from digest.config.schema import Config, SourceConfig
from digest.sources.base import (
    Batch,
    Listing,
    NoteVersion,
    Scan,
    SourceError,
    note_version,
    redact_url,
    sha256_hex,
)
from digest.sources.html_markdown import html_to_markdown

FEED_TIMEOUT = 60.0


def scan_feed(cfg: Config, src: SourceConfig, *, stored_blobs: Mapping[str, str]) -> Scan:
    versions = [
        v for v in _entries(cfg, src) if stored_blobs.get(v.document.path) != v.document.blob
    ]
    # Entries that left the feed are not deletions: feeds only show the latest ones.
    return Scan(total=len(versions), batches=(Batch(versions=[v]) for v in versions))


def list_feed_notes(cfg: Config, src: SourceConfig) -> Listing:
    """Every entry the feed holds now, as a note."""
    return Listing(redact_url(feed_location(cfg, src)), _entries(cfg, src))


def _is_web(src: SourceConfig) -> bool:
    return src.url.startswith(("http://", "https://"))


def feed_location(cfg: Config, src: SourceConfig) -> str:
    """What feedparser reads: an http(s) URL as written, or a file resolved from the config."""
    return src.url if _is_web(src) else str(cfg.resolve(src.url))


def _entries(cfg: Config, src: SourceConfig) -> list[NoteVersion]:
    import feedparser

    target = feed_location(cfg, src)
    if not _is_web(src) and not Path(target).is_file():
        # feedparser would read a missing path as the feed's text itself.
        raise SourceError(f'source "{src.name}": the feed file {target} does not exist.')
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(FEED_TIMEOUT)  # feedparser's own fetching has no timeout knob
    try:
        parsed: Any = feedparser.parse(target)
    finally:
        socket.setdefaulttimeout(previous)
    entries = list(parsed.get("entries", []))
    if parsed.get("bozo") and not entries:
        reason = str(parsed.get("bozo_exception", "")).strip().rstrip(".") or "no entries"
        raise SourceError(
            f'source "{src.name}": {redact_url(target)} is not a readable RSS/Atom feed ({reason}).'
        )
    return [v for v in (feed_entry_version(src, entry) for entry in entries) if v]


def feed_entry_version(src: SourceConfig, entry: Mapping[str, Any]) -> NoteVersion | None:
    """One feed entry as a note (pure: feedparser's entry dict in, NoteVersion out)."""
    path = str(entry.get("id") or entry.get("link") or entry.get("title") or "")
    if not path:
        return None
    body, kind = "", "text/html"
    contents = entry.get("content") or []
    if contents:
        body = str(contents[0].get("value", ""))
        kind = str(contents[0].get("type", kind))
    elif entry.get("summary"):
        body = str(entry.get("summary"))
        detail = entry.get("summary_detail") or {}
        kind = str(detail.get("type", kind))
    text = html_to_markdown(body) if "html" in kind else body
    title = str(entry.get("title") or "").strip()
    if title and not re.search(r"^# ", text, re.MULTILINE):
        text = f"# {title}\n\n{text}"
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    committed_at = datetime.fromtimestamp(calendar.timegm(when), UTC) if when else None
    raw = text.encode("utf-8")
    return note_version(src, path, raw, sha256_hex(raw), None, committed_at)
