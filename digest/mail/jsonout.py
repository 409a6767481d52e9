"""The digest as JSON: a contract for scripts (docs/reference/digest.md, "The JSON contract").

Keys come out in a fixed order and dates as ISO strings, so two runs over the same
notes give byte-identical output. `schema` is bumped when a field is removed or its
meaning changes; new fields may appear without a bump.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from digest.model import Digest, Entry, MeetingRef, SourceLink

SCHEMA_VERSION = 1


def _source(link: SourceLink) -> dict[str, Any]:
    return {"path": link.path, "line": link.line, "commit": link.commit, "url": link.url}


def entry_to_json(entry: Entry) -> dict[str, Any]:
    return {
        "title": entry.title,
        "status": entry.status,
        "status_phrase": entry.status_phrase,
        "previous_status": entry.previous_status,
        "owners": list(entry.owners),
        "refs": list(entry.refs),
        "first_seen": entry.first_seen.isoformat(),
        "last_seen": entry.last_seen.isoformat(),
        "times_raised": entry.times_raised,
        "late": entry.late,
        "thread": entry.thread_id or None,
        "source": _source(entry.source),
    }


def _meeting(meeting: MeetingRef) -> dict[str, Any]:
    return {
        "title": meeting.title,
        "date": meeting.date.isoformat(),
        "source": _source(meeting.source),
        "not_held": meeting.not_held,
    }


def digest_to_json(digest: Digest) -> dict[str, Any]:
    """One digest as a JSON-ready dict (docs/reference/digest.md lists every field)."""
    out: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "series": digest.series,
        "period": str(digest.period),
        "compared_to": str(digest.compared_to) if digest.compared_to else None,
        "meetings": [_meeting(m) for m in digest.meetings],
    }
    for bucket in Digest.BUCKETS:
        out[bucket] = [entry_to_json(e) for e in getattr(digest, bucket)]
    out["stale"] = [{"source": s.source, "reason": s.reason} for s in digest.stale]
    return out


def dumps(digests: Sequence[Digest]) -> str:
    """The `digest preview --format json` output: one object, or an array when several."""
    data: Any = [digest_to_json(d) for d in digests]
    if len(digests) == 1:
        data = data[0]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
