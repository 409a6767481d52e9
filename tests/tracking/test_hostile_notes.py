"""Hostile notes: whatever a note holds, a month's digest is computed, with bounded
work per note and a warning naming the note and line where a cap was hit.

Hypothesis writes an ordinary meeting of an invented project ("Heron") and puts
something hostile in it: thousands of items, a status table of thousands of rows,
a line of tens of thousands of characters, a list nested thousands deep (as
indented bullets, or "- - - …" on one line), thousands of dated headings. The
notes go through the real pipeline (parse_document -> extract_items ->
build_threads -> digests_from). No timing here: bench/run.py measures it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from digest.app.digests import digests_from
from digest.config.schema import Config, SourceConfig
from digest.model import Digest, Document
from digest.notes.items import extract_items
from digest.notes.parse import MAX_ITEM_CHARS, MAX_ITEMS, MAX_NESTING, parse_document
from digest.periods import Period
from digest.tracking.threads import MAX_SIMILARITY_CANDIDATES, build_threads

CONFIG = Config(sources=[SourceConfig(name="heron", kind="dir", path="notes", org="herondb")])
DAY = date(2031, 3, 12)
PATH = "notes/2031-03-12-heron-maintainers.md"
WORDS = ["snapshot", "compaction", "loader", "plugin", "arm64", "docs", "cosign", "runner"]

ORDINARY = [
    f"# {DAY.isoformat()} Heron Maintainers",
    "",
    "## Agenda",
    "",
    "- [mara] Shrink the snapshot format heron#88 -> in progress",
    "- Publish the arm64 images (in flight)",
    "",
]


def hostile_many_items(n: int, rows: bool) -> tuple[list[str], str]:
    if rows:
        lines = ["## Status", "", "| Area | Goal | Status |", "| --- | --- | --- |"]
        lines += [
            f"| area {k} | ship the {WORDS[k % 8]} part {k} | in progress |" for k in range(n)
        ]
    else:
        lines = ["## Action items", ""]
        lines += [f"- [ ] [kai] {WORDS[k % 8]} task {k}" for k in range(n)]
    return lines, "items"


def hostile_long_line(n: int) -> tuple[list[str], str]:
    """A bullet of at least n characters of words."""
    words = " ".join(WORDS[k % 8] for k in range(n // 4))[:n]
    return ["## Notes", "", f"- [lea] {words} -> in progress"], "chars"


def hostile_nesting(n: int, one_line: bool) -> tuple[list[str], str]:
    if one_line:
        return ["## Notes", "", "- " * n + "rewrite the plugin loader"], "nesting"
    return ["## Notes", ""] + [
        "  " * min(k, 60) + f"- level {k} of the plugin loader" for k in range(n)
    ], "nesting"


def hostile_headings(n: int) -> tuple[list[str], str]:
    lines: list[str] = []
    for k in range(n):
        lines += [f"### {date(2031, 3, 1 + k % 28).isoformat()} check-in", "", f"- item {k}", ""]
    return lines, ""


KINDS = ["items", "rows", "chars", "nesting", "dashes", "headings"]


def hostile(kind: str, n: int) -> tuple[list[str], str]:
    """The hostile part of a note, and the cap it hits ("" for none)."""
    if kind in ("items", "rows"):
        return hostile_many_items(MAX_ITEMS + n, kind == "rows")
    if kind == "chars":
        return hostile_long_line(MAX_ITEM_CHARS + 30 * n)
    if kind in ("nesting", "dashes"):
        return hostile_nesting(MAX_NESTING + 1 + 10 * n, kind == "dashes")
    return hostile_headings(100 + 2 * n)


def document(text: str) -> Document:
    blob = hashlib.sha256(text.encode()).hexdigest()
    return Document("heron", PATH, text, blob, committed_at=datetime(2031, 3, 13, tzinfo=UTC))


def month_digest(text: str) -> tuple[list[str], Digest]:
    return digest_of([document(text)], Period(2031, 3))


def digest_of(docs: list[Document], period: Period) -> tuple[list[str], Digest]:
    """The notes through the real pipeline: the warnings, and the month's digest."""
    results = [parse_document(d) for d in docs]
    meetings = [m for r in results for m in r.meetings]
    items = [i for m in meetings for i in extract_items(m, CONFIG.tracking, org="herondb")]
    warnings = [w for r in results for w in r.warnings]
    threads = build_threads(items, CONFIG.tracking, warnings)
    (digest,) = digests_from(
        CONFIG,
        meetings,
        items,
        period=period,
        series=["Heron Maintainers"],
        built_at={},
        keep_empty=True,
        threads=threads,
    )
    return warnings, digest


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(KINDS), st.integers(1, 1_000), st.booleans())
def test_a_hostile_note_still_gives_the_months_digest_and_says_what_was_left_out(
    kind: str, n: int, before: bool
) -> None:
    lines, cap = hostile(kind, n)
    hostile_lines, ordinary = lines, ORDINARY
    # The hostile part before or after the ordinary agenda.
    body = [*ordinary[:2], *hostile_lines, "", *ordinary[2:]] if before else [*ordinary, *lines]
    warnings, digest = month_digest("\n".join(body))

    entries = [e for b in Digest.BUCKETS for e in getattr(digest, b)]
    assert all(len(e.title) <= MAX_ITEM_CHARS for e in entries)
    counted = any("items in one meeting" in w for w in warnings)
    if not (before and counted):
        # The agenda is read, unless it came after the meeting's first MAX_ITEMS blocks.
        assert any("Shrink the snapshot format" in e.title for e in entries), warnings
    if cap:
        what = {"items": "items in one meeting", "chars": "characters", "nesting": "nested"}
        named = [w for w in warnings if w.startswith(f"heron:{PATH}:") and what[cap] in w]
        assert named, warnings
        # The line named is in the hostile part.
        line = int(named[0].split(":")[2])
        first = 3 if before else len(ORDINARY) + 1
        assert first <= line <= first + len(hostile_lines), (line, named)


def test_more_similar_earlier_items_than_the_cap_say_so_once_a_meeting() -> None:
    """A meeting whose items each look like thousands of earlier ones: each is compared
    with the newest MAX_SIMILARITY_CANDIDATES only, and the note says so once."""
    n = MAX_SIMILARITY_CANDIDATES + 100
    first = ["# 2031-03-05 Heron Maintainers", "", "## Agenda", ""]
    first += [f"- [kai] widget {hashlib.md5(str(k).encode()).hexdigest()[:6]}" for k in range(n)]
    second = ["# 2031-03-12 Heron Maintainers", "", "## Agenda", "", "- [kai] widget w1 w2 w3"]
    meetings = []
    for k, text in enumerate(["\n".join(first), "\n".join(second)]):
        doc = document(text)
        path = f"notes/{k}.md"
        meetings += parse_document(
            Document(doc.source, path, doc.text, doc.blob, committed_at=doc.committed_at)
        ).meetings
    items = [i for m in meetings for i in extract_items(m, CONFIG.tracking, org="herondb")]
    warnings: list[str] = []
    build_threads(items, CONFIG.tracking, warnings)
    assert warnings == [
        f"heron:notes/1.md:5: {n:,} earlier items look like this one; it is compared "
        f"with the newest {MAX_SIMILARITY_CANDIDATES:,} only."
    ]


# Lines whose shape makes a careless pattern backtrack for ever: one long word, a word
# repeated, a separator repeated. Each reading rule meets them where it looks: an
# action's verb, a review's "label: state", a topic's next step, a status zone.
PATHOLOGICAL = [
    "x" * 1_990,
    "a " * 990,
    "A, " * 660,
    ": " * 990,
    " " * 1_980 + "x",
    "Ana and " * 245 + "to",
    "still " * 330,
    "thanks " * 280,
]


def test_pathological_lines_in_actions_and_reviews_still_give_the_digest() -> None:
    march = [*ORDINARY, "## Action items", ""]
    march += [f"- [ ] Ana to {line}" for line in PATHOLOGICAL]
    march += [f"- {line}" for line in PATHOLOGICAL]
    april_path = "notes/2031-04-09-heron-maintainers.md"
    april = [
        "# 2031-04-09 Heron Maintainers",
        "",
        "## Review of last actions",
        "",
        *[f"- {line}: {line}" for line in PATHOLOGICAL],
        "",
        "## Nominated issues",
        "",
        "### Loader crash heron#91",
        "",
        *[f"- @kai will {line} it" for line in PATHOLOGICAL],
    ]
    text = "\n".join(april)
    blob = hashlib.sha256(text.encode()).hexdigest()
    later = Document(
        "heron", april_path, text, blob, committed_at=datetime(2031, 4, 10, tzinfo=UTC)
    )
    _warnings, digest = digest_of([document("\n".join(march)), later], Period(2031, 4))
    entries = [e for b in Digest.BUCKETS for e in getattr(digest, b)]
    assert any("Shrink the snapshot format" in e.title for e in entries)
    assert any("Loader crash" in e.title for e in entries)
