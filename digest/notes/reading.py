"""What changes how a note is read: the reading rules' version and the [tracking]
settings that steer them (pure).

Its own small module, free of the reading rules' patterns, so that a sync with
nothing new can tell whether every note must be read again without importing (and
compiling) the rules themselves.
"""

from __future__ import annotations

import json
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digest.config.schema import TrackingConfig

__all__ = ["READING_VERSION", "legacy_names", "reading_settings"]

# Bumped whenever parsing or item rules change what is read from a note: sync then
# reads every note again (digest.app.sync), and the kept threads are rebuilt.
READING_VERSION = 104


def legacy_names(tracking: TrackingConfig) -> dict[str, list[str]]:
    """Section names added in the config, by meaning (the built-in ones are in
    digest.sections): [tracking] sections_tracked -> agenda, sections_open -> actions,
    sections_highlight -> announcements, sections_ignored -> boilerplate."""
    from digest.config.schema import (
        DEFAULT_SECTIONS_HIGHLIGHT,
        DEFAULT_SECTIONS_IGNORED,
        DEFAULT_SECTIONS_OPEN,
        DEFAULT_SECTIONS_TRACKED,
    )

    pairs = [
        ("agenda", tracking.sections_tracked, DEFAULT_SECTIONS_TRACKED),
        ("actions", tracking.sections_open, DEFAULT_SECTIONS_OPEN),
        ("announcements", tracking.sections_highlight, DEFAULT_SECTIONS_HIGHLIGHT),
        ("boilerplate", tracking.sections_ignored, DEFAULT_SECTIONS_IGNORED),
    ]
    out: dict[str, list[str]] = {}
    for meaning, names, defaults in pairs:
        added = [n for n in names if n not in defaults]
        if added:
            out[meaning] = added
    return out


def reading_settings(tracking: TrackingConfig) -> str:
    """The settings that change how a note is read: when they change, sync reads again."""
    parts = {
        "legacy": legacy_names(tracking),
        "sections": tracking.sections.by_meaning(),
        "series": {s.name: s.sections.by_meaning() for s in tracking.series},
        "words": [tracking.done_words, tracking.open_words, tracking.dropped_words],
    }
    blob = json.dumps(parts, sort_keys=True).encode()
    # Only compared with the last sync's: a checksum is enough, and zlib is loaded
    # already where hashlib would cost every `digest sync` a few ms.
    return f"{zlib.crc32(blob):08x}{len(blob):x}"
