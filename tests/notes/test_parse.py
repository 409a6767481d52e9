"""parse_document on our own notes (tests/data/notes/) and on the real Falco history."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from digest.config.schema import TrackingConfig
from digest.model import Document, ListNode, Paragraph, TableRow
from digest.notes.items import extract_items
from digest.notes.parse import (
    block_tokens,
    fallback_series,
    file_shape,
    find_date,
    parse_document,
    series_name,
)

NOTES = Path(__file__).resolve().parents[1] / "data" / "notes"


def note(name: str, *, committed_at: datetime | None = None, text: str | None = None) -> Document:
    body = text if text is not None else (NOTES / name).read_text(encoding="utf-8")
    return Document(
        source="notes",
        path=f"notes/{name}",
        text=body,
        blob="b",
        commit="c0ffee",
        committed_at=committed_at,
    )


def test_one_meeting_per_file_takes_date_and_series_from_the_title() -> None:
    result = parse_document(note("2025-03-06-Orchard-Core-Sync.md"))
    assert result.warnings == []
    (meeting,) = result.meetings
    assert meeting.date == date(2025, 3, 6)
    assert meeting.date_origin == "heading"
    assert meeting.series == "Orchard Core Sync"
    assert meeting.id == "notes:notes/2025-03-06-Orchard-Core-Sync.md:2025-03-06"
    assert meeting.commit == "c0ffee"
    assert [s.path for s in meeting.sections] == [
        ("MC",),
        ("Who Joined",),
        ("Highlights",),
        ("Agenda",),
        ("Action items",),
    ]
    assert (meeting.line, meeting.end_line) == (1, 51)


FRONT_MATTER_NOTE = """---
title: "Fir community meeting"
date: 2031-09-10T16:00:00Z
tags:
  - meeting
---

Attendees: Ana, Bo

## Updates

- Fir 1.4 is out
"""


def test_front_matter_gives_the_title_and_date_and_is_not_read_as_markdown() -> None:
    """A static site's note: its YAML front matter is metadata, which Markdown would
    read as a rule and a heading ("title: … date: …")."""
    result = parse_document(note("community-meeting.md", text=FRONT_MATTER_NOTE))
    assert result.warnings == []
    (meeting,) = result.meetings
    assert (meeting.date, meeting.date_origin) == (date(2031, 9, 10), "front matter")
    assert (meeting.title, meeting.series) == ("Fir community meeting", "Fir Community")
    updates = next(s for s in meeting.sections if s.path == ("Updates",))
    assert [(b.line, b.text) for b in updates.blocks] == [(12, "Fir 1.4 is out")]
    assert not any("title" in " ".join(s.path) for s in meeting.sections)


@pytest.mark.parametrize(
    "attendees",
    ["attendees: [ana, bruno]", "attendees: ana, bruno", "participants:\n  - ana\n  - bruno"],
)
def test_front_matter_attendees_are_the_meetings_attendance(attendees: str) -> None:
    text = (
        f"---\ntitle: Fir sync\ndate: 2031-09-10\n{attendees}\n---\n\n"
        "## Action items\n\n- bruno to renew the storage quota\n"
    )
    (meeting,) = parse_document(note("sync.md", text=text)).meetings
    (listed,) = [s for s in meeting.sections if s.path == ("Attendees",)]
    assert [b.text for b in listed.blocks] == ["ana, bruno"]
    # So a lower-case nick on it names who takes the work on.
    (action,) = extract_items(meeting, TrackingConfig())
    assert action.owners == ["bruno"]


def test_a_note_that_starts_with_a_section_heading_keeps_that_section() -> None:
    """No title: the first heading ("## Attendees") is a section like the others, not
    the meeting's own heading to drop (its people were read as agenda topics)."""
    text = "## Attendees\n\n- AR: Ana Ruiz\n\n## Topics\n\n- Give Bo a write bit\n"
    (meeting,) = parse_document(note("2031-09-10.md", text=text)).meetings
    assert [(s.path, [b.text for b in s.blocks]) for s in meeting.sections if s.blocks] == [
        (("Attendees",), ["AR: Ana Ruiz"]),
        (("Topics",), ["Give Bo a write bit"]),
    ]


def test_html_comments_are_removed_with_their_lines_kept() -> None:
    from digest.notes.parse import without_comments

    text = "a <!-- x -->b\n<!--\nc\n-->\nd\n<details>\n<summary>log</summary>\ne <!-- f"
    assert without_comments(text).split("\n") == [
        "a b",
        "",
        "",
        "",
        "d",
        "",
        "",
        "e <!-- f",  # unclosed: kept, as is all after it
    ]
    many = "<!-- " * 20_000 + "-->" + " <!--" * 20_000  # read in one pass
    assert without_comments(many) == " <!--" * 20_000


def test_a_blank_line_of_spaces_is_no_deep_nesting() -> None:
    text = "# 2031-09-10 Fir sync\n\n- one\n" + " " * 40 + "\n- two\n"
    result = parse_document(note("sync.md", text=text))
    assert result.warnings == []


def test_the_file_names_date_wins_over_a_copied_front_matter() -> None:
    result = parse_document(note("2031-09-24-community.md", text=FRONT_MATTER_NOTE))
    (meeting,) = result.meetings
    assert (meeting.date, meeting.date_origin) == (date(2031, 9, 24), "filename")
    assert result.warnings == [
        "notes:notes/2031-09-24-community.md:3: the front matter says 2031-09-10 but the "
        "file name says 2031-09-24; using the file name's date."
    ]


def test_a_front_matter_title_written_as_a_block_is_not_shown() -> None:
    text = FRONT_MATTER_NOTE.replace('title: "Fir community meeting"', "title: >-\n  Fir call")
    (meeting,) = parse_document(note("fir-call.md", text=text)).meetings
    assert meeting.date == date(2031, 9, 10)
    assert ">" not in meeting.title and ">" not in meeting.series


def test_a_rule_over_a_paragraph_is_not_front_matter() -> None:
    text = "---\nNo call this week, see you on the 24th.\n---\n\n- Fir 1.4 is out\n"
    (meeting,) = parse_document(note("2031-09-10.md", text=text)).meetings
    blocks = [b for s in meeting.sections for b in s.blocks]
    assert [getattr(b, "text", "") for b in blocks][-1] == "Fir 1.4 is out"
    # Nothing blanked: Markdown reads its rule and setext heading as it always did.
    assert meeting.title.startswith("No call this week")


def test_sections_keep_nested_lists_task_boxes_tables_and_lines() -> None:
    (meeting,) = parse_document(note("2025-03-06-Orchard-Core-Sync.md")).meetings
    agenda = next(s for s in meeting.sections if s.path == ("Agenda",))
    assert agenda.line == 17
    assert isinstance(agenda.blocks[0], Paragraph) and agenda.blocks[0].text == "Notes:"
    first = agenda.blocks[1]
    assert isinstance(first, ListNode)
    assert first.text.startswith("Status on flaky integration tests")
    assert first.text.endswith("https://github.com/orchard-dev/orchard/issues/512")
    assert (first.line, first.end_line) == (21, 23)
    assert [c.text for c in first.children] == [
        "Retry the network tests once before failing.",
        "Quarantine the slowest ones. @bolind volunteered to do it.",
    ]
    # Inline Markdown is kept as written, links intact.
    roadmap = next(
        b for b in agenda.blocks if isinstance(b, ListNode) and b.text.startswith("Roadmap")
    )
    assert "[roadmap](https://orchard.example.org/roadmap#goals)" in roadmap.text
    rows = [b for b in agenda.blocks if isinstance(b, TableRow)]
    assert [r.line for r in rows] == [42, 43, 44, 45]
    assert rows[0].header == ["Area", "Goal", "Status"]
    assert rows[1].cells == {"Area": "", "Goal": "Streaming API", "Status": "not started"}
    actions = next(s for s in meeting.sections if s.path == ("Action items",))
    boxes = [(b.checked, b.text) for b in actions.blocks if isinstance(b, ListNode)]
    assert boxes == [
        (False, "[ada] open a tracking issue for the eviction policy"),
        (True, "[bo] publish the 2.4 release notes"),
        (False, "Write the upgrade guide -> postponed"),
    ]


def test_many_meetings_per_file_newest_first_with_repeated_dates() -> None:
    result = parse_document(note("orchard-community-call.md"))
    assert result.warnings == []
    meetings = result.meetings
    assert [m.date.isoformat() for m in meetings] == [
        "2025-02-19",
        "2025-02-26",
        "2025-02-12",
        "2025-02-12",
    ]
    assert {m.series for m in meetings} == {"Orchard Community Call"}
    assert meetings[0].title == "Orchard Community Call 2025-02-19"
    assert meetings[3].id == "notes:notes/orchard-community-call.md:2025-02-12:2"
    assert meetings[2].id == "notes:notes/orchard-community-call.md:2025-02-12"
    # The preamble links belong to no meeting; sections are the H3s.
    assert meetings[0].line == 6
    assert meetings[0].end_line == 30
    assert [s.path for s in meetings[0].sections] == [
        ("MC",),
        ("Who joined",),
        ("Weekly highlights",),
        ("Agenda",),
    ]


def test_date_only_in_the_file_name() -> None:
    (meeting,) = parse_document(note("2025-01-09-office-hours.md")).meetings
    assert meeting.date == date(2025, 1, 9)
    assert meeting.date_origin == "filename"
    assert meeting.series == "Orchard Office Hours"
    assert [s.path for s in meeting.sections] == [("Agenda",)]


def test_odd_file_name_is_read_like_any_other() -> None:
    (meeting,) = parse_document(note("docs(notes): 2025-04-03-Orchard-Core-Sync.md")).meetings
    assert meeting.date == date(2025, 4, 3)
    assert meeting.series == "Orchard Core Sync"


def test_written_out_dates_and_bold_labels_as_headings() -> None:
    (meeting,) = parse_document(note("old-style.md")).meetings
    assert meeting.date == date(2025, 3, 6)
    assert meeting.series == "Orchard Office Hours"  # same series as "Office Hours"
    assert [s.path for s in meeting.sections] == [("Who joined",), ("Proposals / Discussions",)]


RUNNING_NOTES = """# Orchard Community Meeting Notes

Meeting link: https://meet.example.org/orchard

**Tuesday, November 17, 2026**

Agenda:
* Release 0.9 status (Ada)
* **Next meeting: December 1, 2026**

Action items:
* [ ] Bo: cut the release candidate

---

**Nov 3, 2026 (16:00 UTC)**

Agenda:
* CI costs are growing
"""


def test_bold_date_lines_head_the_meetings_of_a_running_notes_file() -> None:
    # Notes kept in a shared document and exported write a bold line per meeting.
    result = parse_document(note("meeting-notes.md", text=RUNNING_NOTES))
    assert result.warnings == []
    november, october = result.meetings
    assert (november.date, november.line, november.end_line) == (date(2026, 11, 17), 5, 14)
    assert (october.date, october.line) == (date(2026, 11, 3), 16)
    assert november.series == "Orchard Community"
    # The bold date naming the next meeting is a line of this one, not a meeting.
    assert [s.path for s in november.sections] == [("Agenda",), ("Action items",)]
    assert [s.path for s in october.sections] == [("Agenda",)]


def test_bold_date_lines_do_not_split_a_note_with_dated_headings() -> None:
    text = "# 2026-11-17 Orchard Sync\n\n**November 3, 2026**\n\n- Something said then\n"
    (meeting,) = parse_document(note("sync.md", text=text)).meetings
    assert meeting.date == date(2026, 11, 17)


EXPORTED_AS_TEXT = """Orchard WG \u2013 13\u00a0May 2026

Attendees: Ana Lima, Bo Chen

\u25cf OTA rollouts stay paused until the fix lands.
\u25cf Grant report: first draft circulated.

Action items
\u2610 Bo \u2013 get #77 reviewed and merged
\u2611 Ana \u2013 book the room
"""


def test_a_document_exported_as_text_reads_as_its_markdown_would() -> None:
    """A shared document saved as text has no Markdown: its first line names the
    meeting, "\u25cf" and "\u2610" are its bullets and boxes, and "Action items" on
    a line of its own heads the list below it."""
    result = parse_document(note("notes.md", text=EXPORTED_AS_TEXT))
    (meeting,) = result.meetings
    assert (meeting.date, meeting.series, meeting.line) == (date(2026, 5, 13), "Orchard WG", 1)
    assert [s.path for s in meeting.sections] == [(), ("Action items",)]
    listed = [b for s in meeting.sections for b in s.blocks if isinstance(b, ListNode)]
    assert [(b.text, b.checked, b.line) for b in listed] == [
        ("OTA rollouts stay paused until the fix lands.", None, 5),
        ("Grant report: first draft circulated.", None, 6),
        ("Bo \u2013 get #77 reviewed and merged", False, 9),
        ("Ana \u2013 book the room", True, 10),
    ]


def test_a_plain_line_names_a_section_only_in_notes_without_headings() -> None:
    # With Markdown headings, the authors head their sections with them: a line
    # "Topics" over a list is a line of the section it is in.
    text = "# 2026-05-13 Orchard WG\n\nTopics\n\n- Release 2.0\n\n## Action items\n\n- Bo: x\n"
    (meeting,) = parse_document(note("notes.md", text=text)).meetings
    assert [s.path for s in meeting.sections] == [(), ("Action items",)]
    # Nor is a line that says more, or one of a paragraph, a title.
    text = "The release is due 13 May 2026\n\n- Release 2.0\n"
    assert parse_document(note("notes.md", text=text)).meetings == []


def test_no_date_uses_the_commit_date_with_a_warning() -> None:
    when = datetime(2025, 5, 2, 10, 30, tzinfo=UTC)
    result = parse_document(note("undated-notes.md", committed_at=when))
    (meeting,) = result.meetings
    assert meeting.date == date(2025, 5, 2)
    assert meeting.date_origin == "commit"
    assert meeting.series == "Orchard Planning"
    assert result.warnings == [
        "notes:notes/undated-notes.md: no date in the headings or the file name; using the "
        "commit date 2025-05-02."
    ]


def test_no_date_at_all_gives_no_meeting_and_a_warning() -> None:
    result = parse_document(note("undated-notes.md"))
    assert result.meetings == []
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("notes:notes/undated-notes.md: no date")


def test_invalid_heading_date_is_a_warning_naming_the_line() -> None:
    text = "# Sync\n\n## 2025-02-30\n\n- a\n\n## 2025-02-27\n\n- b\n"
    result = parse_document(note("x.md", text=text))
    assert [m.date for m in result.meetings] == [date(2025, 2, 27)]
    assert result.warnings == [
        "notes:notes/x.md:3: heading '2025-02-30' has '2025-02-30', which is not a valid "
        "date; ignored."
    ]


def test_a_date_in_the_year_9999_is_a_warning_not_a_meeting_date() -> None:
    """No digest period can hold December 9999 (its next month is year 10000): such a
    date is refused where it is read, so nothing downstream ever steps past it."""
    text = "# 9999-12-02 Sync\n\n## Action items\n\n- [ ] [ada] plan the far future\n"
    committed = datetime(2026, 3, 4, 12, tzinfo=UTC)
    result = parse_document(note("9999-12-02-sync.md", text=text, committed_at=committed))
    assert [m.date for m in result.meetings] == [date(2026, 3, 4)]
    assert result.warnings[0] == (
        "notes:notes/9999-12-02-sync.md:1: heading '9999-12-02 Sync' has '9999-12-02', which "
        "is not a valid date; ignored."
    )
    assert "using the commit date 2026-03-04" in result.warnings[1]
    assert find_date("9999-12-02") is None


def test_series_argument_overrides_everything() -> None:
    result = parse_document(note("orchard-community-call.md"), series="Weekly")
    assert {m.series for m in result.meetings} == {"Weekly"}


def test_deleted_and_empty_documents_have_no_meetings() -> None:
    assert parse_document(note("x.md", text="")).meetings == []
    gone = Document(source="s", path="p.md", text="# 2025-01-01 X", blob="b", deleted=True)
    assert parse_document(gone).meetings == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-11-02 Core", date(2023, 11, 2)),
        ("2023-8-30", date(2023, 8, 30)),
        ("2019/06/06", date(2019, 6, 6)),
        ("2020-Jan-28", date(2020, 1, 28)),
        ("Meeting 6th June 2019", date(2019, 6, 6)),
        ("Meeting 4th Sept 2019", date(2019, 9, 4)),
        ("June 6, 2019", date(2019, 6, 6)),
        ("6 June 2019", date(2019, 6, 6)),
        ("Release 0.37.0", None),
        ("Treffen 05.06.2024", date(2024, 6, 5)),  # dots: day first
        ("Sync 20240605", date(2024, 6, 5)),
        ("Build 1234567890", None),
        ("25/11/2019", date(2019, 11, 25)),  # only a day can come first
        ("11/25/2019", date(2019, 11, 25)),
        ("6/11/2019", date(2019, 6, 11)),  # either: month first, until the note says
        ("06-11-2019", date(2019, 6, 11)),
        ("09/26/22 @ 20:30 UTC", date(2022, 9, 26)),
        ("13/13/2019", None),
    ],
)
def test_find_date(text: str, expected: date | None) -> None:
    assert find_date(text) == expected


def meeting_days(
    text: str, *, path: str = "notes/team.md", committed: date | None = None
) -> list[str]:
    at = (
        datetime(committed.year, committed.month, committed.day, 12, tzinfo=UTC)
        if committed
        else None
    )
    doc = Document(source="s", path=path, text=text, blob="b", committed_at=at)
    return [m.date.isoformat() for m in parse_document(doc).meetings]


def test_running_notes_without_years_take_the_year_their_heading_or_file_gives() -> None:
    assert meeting_days("# Kiln sync 2024\n\n## June 12\n\n- a\n\n## June 5th\n\n- b\n") == [
        "2024-06-12",
        "2024-06-05",
    ]
    by_year = "# Kiln sync\n\n## 2024\n\n### Jan 8\n\n- a\n\n## 2023\n\n### Dec 13\n\n- b\n"
    doc = Document(source="s", path="notes/kiln.md", text=by_year, blob="b")
    meetings = parse_document(doc).meetings
    assert [(m.date.isoformat(), m.series) for m in meetings] == [
        ("2024-01-08", "Kiln Sync"),  # "## 2024" gives the year, "# Kiln sync" the series
        ("2023-12-13", "Kiln Sync"),
    ]
    in_file = "# Kiln sync\n\n## Wed, 12 June\n\n- a\n\n## 5 June\n\n- b\n"
    assert meeting_days(in_file, path="notes/kiln-2024.md") == ["2024-06-12", "2024-06-05"]
    # Nothing gives the year: no guess (the commit of a growing file is its first).
    assert meeting_days("# Kiln\n\n## June 12\n\n- a\n\n## June 5\n\n- b\n") == []


@pytest.mark.parametrize(
    ("title", "series"),
    [
        ("Wednesday, June 12, 2024", ""),
        ("Tue 2026-11-17 Core Sync", "Core Sync"),
        ("Friday Sync", "Friday Sync"),  # no date: the weekday is the name
    ],
)
def test_a_weekday_beside_a_date_is_part_of_the_date(title: str, series: str) -> None:
    assert series_name(title) == series


def test_a_notes_day_and_month_order_is_one_for_all_its_dates() -> None:
    # 25/10 can only be day first: so is 6/11 in the same note (6 November).
    assert meeting_days("# Team\n\n## 6/11/2024\n\n- a\n\n## 25/10/2024\n\n- b\n") == [
        "2024-11-06",
        "2024-10-25",
    ]
    assert meeting_days("# Team\n\n## 6/11/2024\n\n- a\n\n## 10/25/2024\n\n- b\n") == [
        "2024-06-11",
        "2024-10-25",
    ]
    # Nothing in the note decides: the file name does, else the commit's date.
    either = "# Team\n\n## 6/11/2024\n\n- a\n\n## 4/11/2024\n\n- b\n"
    assert meeting_days(either, committed=date(2024, 11, 7)) == ["2024-11-06", "2024-11-04"]
    assert meeting_days(either, committed=date(2024, 6, 12)) == ["2024-06-11", "2024-04-11"]
    assert meeting_days("# Sync 3/4/2024\n\n- a\n", path="notes/2024-04-03.md") == ["2024-04-03"]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("2023-11-02 Core Sync (monthly)", "Core Sync"),
        ("Office hours - Meeting 6th June 2019", "Office Hours"),
        ("Community Call - Meeting 08th Jan 2020", "Community Call"),
        ("2025-01-01", ""),
        # A shared doc's title says what kind of document it is: not the series.
        ("Quillmate community call — running notes", "Quillmate Community Call"),
        ("Docs sync (running agenda)", "Docs Sync"),
        ("Running notes", ""),
        ("Running club notes", "Running Club"),
    ],
)
def test_series_name(title: str, expected: str) -> None:
    assert series_name(title) == expected


# ---- the real Falco history (skipped where ../shared is absent) --------------


def falco_file(clone: Path, name: str) -> Document:
    text = subprocess.run(
        ["git", "--git-dir", str(clone / ".git"), "show", f"HEAD:meeting-notes/{name}"],
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8", errors="replace")
    return Document(source="falco", path=f"meeting-notes/{name}", text=text, blob="b")


def falco_names(clone: Path) -> list[str]:
    out = subprocess.run(
        ["git", "--git-dir", str(clone / ".git"), "ls-tree", "--name-only", "HEAD:meeting-notes"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [n for n in out.splitlines() if n.endswith(".md")]


@pytest.mark.corpus
def test_falco_core_maintainers_files_are_one_meeting_each(falco_clone: Path) -> None:
    names = [n for n in falco_names(falco_clone) if n.endswith("-Falco-Core-Maintainers.md")]
    assert len(names) >= 12
    assert "docs(meeting-notes): 2024-09-05-Falco-Core-Maintainers.md" in names
    for name in names:
        result = parse_document(falco_file(falco_clone, name))
        assert result.warnings == [], name
        (meeting,) = result.meetings
        assert meeting.series == "Falco Core Maintainers", name
        assert meeting.date.isoformat() in name
        assert meeting.date_origin == "heading"


@pytest.mark.corpus
def test_falco_release_file_holds_several_community_calls(falco_clone: Path) -> None:
    result = parse_document(falco_file(falco_clone, "release-0.37.0.md"))
    dates = [m.date for m in result.meetings]
    assert len(dates) >= 5
    assert dates[0] == date(2024, 1, 24)
    assert dates == sorted(dates, reverse=True)  # newest first, as written
    assert {m.series for m in result.meetings} == {"Falco Community Call"}
    assert all(("Agenda",) in [s.path for s in m.sections] for m in result.meetings[:3])


@pytest.mark.corpus
def test_every_falco_file_parses_without_losing_meetings(falco_clone: Path) -> None:
    total = 0
    for name in falco_names(falco_clone):
        result = parse_document(falco_file(falco_clone, name))
        assert result.meetings, name
        total += len(result.meetings)
    assert total > 250


def test_a_month_name_in_the_file_name_dates_the_meeting() -> None:
    result = parse_document(note("2025-May-08.md"))
    (meeting,) = result.meetings
    assert (meeting.date, meeting.date_origin) == (date(2025, 5, 8), "filename")
    assert (meeting.series, meeting.series_origin) == ("Orchard Release Sync", "title")
    assert result.warnings == []


def test_where_the_series_came_from() -> None:
    titled = parse_document(note("orchard-community-call.md")).meetings
    assert {m.series_origin for m in titled} == {"title"}
    forced = parse_document(note("orchard-community-call.md"), series="Calls").meetings
    assert {(m.series, m.series_origin) for m in forced} == {("Calls", "override")}
    titleless = parse_document(
        note("release-2.1.0.md", text="## 2025-06-11\n\n- tide API\n\n## 2025-05-28\n\n- feed\n")
    ).meetings
    assert [(m.series, m.series_origin, m.title) for m in titleless] == [
        ("Meetings", "fallback", "Meetings 2025-06-11"),
        ("Meetings", "fallback", "Meetings 2025-05-28"),
    ]


def test_file_shape_groups_notes_named_alike() -> None:
    assert file_shape("notes/release-0.29.0.md") == file_shape("notes/release-0.37.1.md")
    assert file_shape("notes/2019-Oct-02.md") == file_shape("notes/2019-10-09.md")
    assert file_shape("notes/release-0.29.0.md") != file_shape("notes/2019-10-09.md")
    assert fallback_series("notes/2019-Oct-02.md") == "Meetings"
    assert fallback_series("notes/standup-2025-06-12.md") == "Standup"


@pytest.mark.parametrize(
    ("name", "text", "what"),
    [
        ("README.md", "# Our meeting notes\n\n- Copy the template to start one\n", "a README"),
        ("index.md", "# Meetings\n\n- [March](2026-03.md)\n", "an index page"),
        ("template.md", "# Weekly sync\n\n## Action items\n\n- [ ] <owner> to …\n", "a template"),
        ("next.md", "# Weekly sync YYYY-MM-DD\n\n## Action items\n\n- [ ] x\n", "a template"),
        ("blank.md", "# Weekly sync {{date}}\n\n- topic\n", "a template"),
    ],
)
def test_an_undated_readme_index_or_template_is_not_a_meeting(
    name: str, text: str, what: str
) -> None:
    when = datetime(2025, 5, 2, 10, 30, tzinfo=UTC)
    result = parse_document(note(name, text=text, committed_at=when))
    assert result.meetings == []  # not a series of its own dated by its commit
    assert result.warnings == [
        f"notes:notes/{name}: no date, and {what}, not a meeting note; skipped (list it in "
        "the source's `exclude` to skip it without this warning)."
    ]


def test_a_dated_note_named_like_an_index_is_still_a_meeting() -> None:
    # "2026-03-05/index.md" is how some site generators lay out one note per day.
    doc = Document(source="notes", path="2026-03-05/index.md", text="# Sync\n\n- topic\n", blob="b")
    (meeting,) = parse_document(doc).meetings
    assert meeting.date == date(2026, 3, 5)


def test_a_line_naming_a_section_over_a_list_is_its_heading() -> None:
    text = (
        "# 2031-05-13 Kiln Sync\n\nHost: Ilse\nAttendees:\n* Ilse (Acme)\n* Marco\n\n"
        "Agenda:\n* Release planning\n\nNote: this one is not a section\n* still agenda\n"
    )
    doc = Document(source="notes", path="notes/kiln.md", text=text, blob="b")
    (meeting,) = parse_document(doc).meetings
    assert [s.path for s in meeting.sections if s.blocks][-2:] == [("Attendees",), ("Agenda",)]
    agenda = meeting.sections[-1]
    assert [b.text for b in agenda.blocks if isinstance(b, ListNode)] == [
        "Release planning",
        "still agenda",
    ]


# ---- a growing file's parts parse alone as in the whole ---------------------------

# Lines that open, continue or end every kind of block, and headings that may or
# may not cut the file into parts.
BLOCK_LINES = [
    "# Heron sync",
    "## 2031-01-02",
    "# 2031-01-09 Heron sync",
    "### Jan 16, 2031",
    "### Agenda",
    "#",
    "#nospace",
    "    ## four spaces: code",
    "  ## two spaces",
    "\t## a tab",
    "- item",
    "  - nested item",
    "  continued",
    "1. first",
    "> quoted",
    "> - quoted item",
    "```",
    "```py",
    "````",
    "~~~",
    "  ```",
    "    ```",
    "``` not `a` fence",
    "| a | b |",
    "|---|---|",
    "| 1 | 2 |",
    "text of a paragraph",
    "",
    "===",
    "---",
    "[ref]: https://example.org/x",
    "[ref2]: https://example.org/y 'a title",
    "that goes on'",
    "<!-- a comment",
    "-->",
    "- [ ] Ana: a box",
]


def block_signature(text: str) -> list[tuple[object, ...]]:
    whole = (
        MarkdownIt("commonmark", {"html": False}).enable("table").disable(["inline", "text_join"])
    )
    return [(t.type, t.tag, t.map, t.content, t.level, t.info, t.markup) for t in whole.parse(text)]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(BLOCK_LINES), max_size=40))
def test_a_file_parsed_in_parts_reads_as_the_whole(lines: list[str]) -> None:
    text = "\n".join(lines)
    parts = [
        (t.type, t.tag, t.map, t.content, t.level, t.info, t.markup) for t in block_tokens(text)
    ]
    assert parts == block_signature(text)


def test_a_new_meeting_on_top_of_a_running_file_reparses_only_itself() -> None:
    older = "".join(f"## 2031-01-{d:02d}\n\n- item {d}\n\n" for d in range(1, 20))
    newer = "## 2031-01-20\n\n- item 20\n\n" + older
    block_tokens(older)
    from digest.notes.parse import _part_tokens

    before = _part_tokens.cache_info()
    assert block_signature(newer) == [
        (t.type, t.tag, t.map, t.content, t.level, t.info, t.markup) for t in block_tokens(newer)
    ]
    after = _part_tokens.cache_info()
    assert after.misses - before.misses == 1  # the new meeting; the 19 others were kept


def test_the_same_part_twice_in_one_file_keeps_each_its_own_lines() -> None:
    text = "# Heron\n\n## 2031-01-02\n\n- item\n\n## 2031-01-02\n\n- item\n\n## 2031-01-09\n"
    signature = [
        (t.type, t.tag, t.map, t.content, t.level, t.info, t.markup) for t in block_tokens(text)
    ]
    assert signature == block_signature(text)
