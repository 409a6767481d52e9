"""The JSON contract of `digest preview --format json` (documented in docs/reference/digest.md)."""

from __future__ import annotations

import dataclasses
import json

from test_render import full_digest

from digest.mail.jsonout import SCHEMA_VERSION, digest_to_json, dumps
from digest.model import Digest, StaleSource

ENTRY_KEYS = [
    "title",
    "status",
    "status_phrase",
    "previous_status",
    "owners",
    "refs",
    "first_seen",
    "last_seen",
    "times_raised",
    "late",
    "thread",
    "source",
]


def test_top_level_fields_in_a_stable_order() -> None:
    data = digest_to_json(full_digest())
    assert list(data) == [
        "schema",
        "series",
        "period",
        "compared_to",
        "meetings",
        "highlights",
        "new",
        "pending",
        "resolved",
        "quiet",
        "late",
        "stale",
    ]
    assert data["schema"] == SCHEMA_VERSION == 1
    assert data["stale"] == []  # every source that feeds the series was read
    assert (data["series"], data["period"], data["compared_to"]) == (
        "Lanternfish Maintainers",
        "2026-10",
        "2026-09",
    )


def test_every_entry_has_the_documented_fields() -> None:
    data = digest_to_json(full_digest())
    for bucket in Digest.BUCKETS:
        assert data[bucket], bucket
        for entry in data[bucket]:
            assert list(entry) == ENTRY_KEYS
            assert list(entry["source"]) == ["path", "line", "commit", "url"]
    pending = data["pending"][0]
    assert pending["first_seen"] == "2026-08-06"  # ISO dates
    assert pending["times_raised"] == 3
    assert pending["owners"] == ["tkemp", "mara"]
    assert pending["refs"] == ["lanternfish-dev/lanternfish#187"]
    assert pending["previous_status"] == "TBD"
    assert pending["source"]["line"] == 19
    assert data["meetings"][0]["date"] == "2026-10-01"
    assert data["meetings"][0]["not_held"] == ""  # it took place


def test_titles_stay_markdown_for_scripts() -> None:
    data = digest_to_json(full_digest())
    assert data["highlights"][0]["title"] == "Lanternfish **1.4.0** is out, with the disk spool"


def test_one_series_is_an_object_several_an_array() -> None:
    one = json.loads(dumps([full_digest()]))
    assert isinstance(one, dict) and one["series"] == "Lanternfish Maintainers"
    other = full_digest()
    other.series = "Lanternfish Community Call"
    several = json.loads(dumps([full_digest(), other]))
    assert [d["series"] for d in several] == [
        "Lanternfish Maintainers",
        "Lanternfish Community Call",
    ]
    assert json.loads(dumps([])) == []


def test_output_is_byte_stable() -> None:
    assert dumps([full_digest()]) == dumps([full_digest()])
    assert "—" in dumps([full_digest()])  # UTF-8, not \\u escapes


def test_a_digest_built_without_a_source_names_it_and_why() -> None:
    digest = dataclasses.replace(
        full_digest(), stale=[StaleSource("notes", "cannot fetch /srv/notes: no such file")]
    )
    assert digest_to_json(digest)["stale"] == [
        {"source": "notes", "reason": "cannot fetch /srv/notes: no such file"}
    ]
