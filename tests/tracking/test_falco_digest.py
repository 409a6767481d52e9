"""Acceptance: the digest of the real Falco meeting notes reaches the maintainers' own
conclusions. Skipped where ../shared/corpus is absent.

The maintainers' check-in list of 2023-11-02 ("Some items to check in from last
time (see notes from 2023-10-05)") is the human-written diff the 2023-11 digest
must agree with. Only short topic keywords of the notes appear here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from digest.app.digests import compute_digests, digests_from
from digest.app.sync import sync
from digest.config.schema import Config, SourceConfig
from digest.model import Digest, Entry
from digest.periods import Period
from digest.state.db import open_db
from digest.state.notes import load_items, load_meetings
from digest.tracking.threads import build_threads, normalize_tokens

pytestmark = pytest.mark.corpus
CORE = "Falco Core Maintainers"


@pytest.fixture(scope="module")
def falco(falco_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, object]:
    base = tmp_path_factory.mktemp("falco-state")
    cfg = Config(path=base / "config.toml")
    cfg.digest.state_dir = str(base / "state")
    cfg.sources = [
        SourceConfig(
            name="falco",
            kind="git",
            url=str(falco_bundle),
            glob=["meeting-notes/*.md"],
            org="falcosecurity",
            web_url="https://github.com/falcosecurity/community/blob/{commit}/{path}#L{line}",
        )
    ]
    db = open_db(cfg.db_path)
    sync(cfg, db)
    return cfg, db


def core_digest(falco: tuple[Config, object], period: str) -> Digest:
    cfg, db = falco
    (digest,) = compute_digests(cfg, db, period=Period.parse(period), series="core maintainers")
    assert digest.series == CORE
    return digest


def buckets_with(digest: Digest, pattern: str) -> list[str]:
    found = re.compile(pattern, re.IGNORECASE)
    return [b for b in Digest.BUCKETS for e in getattr(digest, b) if found.search(e.title)]


def entries(digest: Digest) -> list[Entry]:
    return [e for b in Digest.BUCKETS for e in getattr(digest, b)]


def assert_forwardable(digest: Digest) -> None:
    """What a maintainer would object to: attendance, detail bullets, one topic twice."""
    all_entries = entries(digest)
    threads = [e.thread_id for e in all_entries if e.thread_id]
    assert len(threads) == len(set(threads)), "a thread appears in two buckets"
    # Late entries are notes (one per meeting), the others topics.
    topics = [" ".join(sorted(normalize_tokens(e.title))) for e in all_entries if not e.late]
    assert len(topics) == len(set(topics)), "one topic appears twice"
    for e in all_entries:
        # Attendance lines are "Name ([@handle](https://github.com/handle))".
        assert not re.fullmatch(r"[\w .-]+\(?\[@?\w+\]\(https://github\.com/\w+\)\)?", e.title)
        assert normalize_tokens(e.title), e.title  # words, not a bare link
        assert e.source.url.startswith("https://github.com/falcosecurity/community/blob/")


def test_2023_11_agrees_with_the_maintainers_check_in_list(
    falco: tuple[Config, object],
) -> None:
    november = core_digest(falco, "2023-11")
    assert november.compared_to == Period(2023, 10)
    assert [str(m.date) for m in november.meetings] == ["2023-11-02"]
    assert buckets_with(november, r"ia32") == ["resolved"]
    for topic in (
        r"falcoctl as driver loader",
        r"partial rules overrides",
        r"DNS refactor",
        r"exceptions",
        r"TAG Environmental Sustainability",
    ):
        assert buckets_with(november, topic) == ["pending"], topic
    # Pending means it was open at the end of October: it was raised before.
    assert all(e.first_seen.isoformat() < "2023-11-01" for e in november.pending)
    assert_forwardable(november)


# The ten topics of the 2023-11-02 check-in list, and what the maintainers said of each.
CHECK_IN = {
    r"TAG Environmental Sustainability": "pending",
    r"code removals in libs re udig and mesos": "pending",
    r"LSM hooks for open\* syscall replacement": "pending",
    r"falcoctl as driver loader": "pending",
    r"partial rules overrides": "pending",
    r"libsinsp metrics extension": "pending",
    r"ia32": "resolved",
    r"exceptions more user-friendly": "pending",
    r"DNS refactor": "pending",
    r"docs for rules onboarding": "pending",
}


def test_2023_11_every_check_in_topic_is_pending_or_resolved(
    falco: tuple[Config, object],
) -> None:
    november = core_digest(falco, "2023-11")
    for topic, bucket in CHECK_IN.items():
        assert buckets_with(november, topic) == [bucket], topic
    # Carried over from 2023-10-05 by the humans' own word: never "new".
    assert not any(re.search(t, e.title, re.IGNORECASE) for t in CHECK_IN for e in november.new)
    lsm = next(e for e in november.pending if "LSM hooks" in e.title)
    assert lsm.first_seen.isoformat() <= "2023-10-05"
    assert lsm.previous_status is None


def test_2023_11_check_in_items_join_their_october_threads(
    falco: tuple[Config, object],
) -> None:
    november = core_digest(falco, "2023-11")
    ia32 = next(e for e in november.resolved if "ia32" in e.title)
    metrics = next(e for e in november.pending if "metrics extension" in e.title)
    # Joined to October's "ia32 support" and "finalizing metrics …" bullets.
    assert (ia32.times_raised, metrics.times_raised) == (2, 2)
    assert "falcosecurity/libs#1196" in ia32.refs


def test_2024_01_community_call_highlights_are_the_highlight_bullets(
    falco: tuple[Config, object],
) -> None:
    cfg, db = falco
    (january,) = compute_digests(cfg, db, period=Period(2024, 1), series="Community Call")
    titles = [e.title for e in january.highlights]
    assert any("Falco 0.37.0 is out" in t for t in titles)
    assert "Falco issue discussion" in titles
    for discussion in ("feel free to comment", "if we all agree", "maybe we could create"):
        assert not any(discussion in t for t in titles), discussion


def test_2023_11_detail_bullets_are_never_entries(falco: tuple[Config, object]) -> None:
    november = core_digest(falco, "2023-11")
    # Sub-bullets of "Status on memleaks / segfaults" are discussion detail.
    assert buckets_with(november, r"raw pointers") == []
    assert buckets_with(november, r"memleaks") == ["new"]


def test_2025_02_roadmap_rows(falco: tuple[Config, object]) -> None:
    february = core_digest(falco, "2025-02")
    assert february.compared_to == Period(2024, 9)
    for done in (
        r"CLI args consolidation",
        r"no-driver",
        r"non-Kubernetes use cases",
        r"Plugin Framework to the Falco stream",
    ):
        assert buckets_with(february, done) == ["resolved"], done
    for still_open in (
        r"adoption and depreciation policies",
        r"Streamlining falco\.yaml",
        r"Packages consolidation",
        r"Publish signatures",
        r"container runtime integration",
    ):
        assert buckets_with(february, still_open) == ["pending"], still_open
    # "Done in 0.38" in 2024-09 and still done: no news, in no bucket.
    assert buckets_with(february, r"modern eBPF probe the default driver") == []
    assert_forwardable(february)


def test_2023_12_and_2024_02_read_as_a_maintainer_would_forward(
    falco: tuple[Config, object],
) -> None:
    december = core_digest(falco, "2023-12")
    # "Deprecate/Archive kilt" -> "Agree?" -> "everybody agrees": decided, so resolved.
    assert buckets_with(december, r"kilt") == ["resolved"]
    assert_forwardable(december)
    february = core_digest(falco, "2024-02")
    assert february.compared_to == Period(2023, 12)
    # "falcoctl as driver loader" (October) followed up in February: one pending entry.
    assert buckets_with(february, r"on the driver loader") == ["pending"]
    assert not buckets_with(february, r"falcoctl as driver loader")
    assert_forwardable(february)


def test_every_month_of_every_series_builds(falco: tuple[Config, object]) -> None:
    cfg, db = falco
    meetings, items = load_meetings(db), load_items(db)
    threads = build_threads(items, cfg.tracking)
    series = sorted({m.series for m in meetings})
    months = sorted({Period.of(m.date) for m in meetings})
    for month in months:
        for digest in digests_from(
            cfg, meetings, items, period=month, series=series, built_at={}, threads=threads
        ):
            assert_forwardable(digest)
