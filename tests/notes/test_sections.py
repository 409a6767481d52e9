"""What a section is for, from its headings: the meanings a maintainer would give them."""

from __future__ import annotations

import pytest

from digest.notes.sections import heading_meaning, label_meaning, section_meaning


@pytest.mark.parametrize(
    ("heading", "meaning"),
    [
        ("Agenda", "agenda"),
        ("Agenda (please add items you would like to discuss)", "agenda"),
        ("Topics", "agenda"),
        ("Need decision", "agenda"),  # asks for a decision: an agenda entry, not one made
        ("Need attention (reviews)", "agenda"),
        ("Proposals / Discussions", "agenda"),  # the first part that has a meaning
        ("Updates", "agenda"),
        ("Action items", "actions"),
        ("Action items:", "actions"),
        ("New action items", "actions"),
        ("Next steps", "actions"),
        ("Review last week's action items", "review"),
        ("Review last week’s action items", "review"),
        ("Previous action items", "review"),
        ("Action item review", "review"),  # a review, though it names the actions first
        ("Review of last actions", "review"),
        ("Review of actions", "review"),
        ("Beta nominations", "agenda"),  # put forward for a release
        ("Nominated issues", "agenda"),
        ("Open action items", "review"),
        ("Outstanding actions", "review"),
        ("Done this week", "done"),  # a time only qualifies the list's name
        ("Blocked this week", "blocked"),
        ("Status of action items", "review"),
        ("Action items from the previous meeting", "review"),
        ("Guests", "attendance"),
        ("Parking lot", "agenda"),  # topics put off to a later meeting
        ("Round table", "minutes"),  # everyone's news in turn
        ("Follow-ups from last meeting", "review"),
        ("Items to check in from last time (see notes from 2031-02-06)", "review"),
        ("Done", "done"),
        ("Blocked", "blocked"),
        ("Next", "next"),
        ("Decisions", "decisions"),
        ("Resolutions", "decisions"),
        ("Announcements", "announcements"),
        ("This week's highlights", "announcements"),
        ("Weekly highlights", "announcements"),
        ("Minutes", "minutes"),
        ("Notes", "minutes"),
        ("Q&A", "minutes"),
        ("Attendees (Initials: Name @handle)", "attendance"),
        ("Who joined", "attendance"),
        ("Present", "attendance"),
        ("Next week MC", "attendance"),
        ("Next meeting date and chair person", "boilerplate"),
        ("Upcoming meetings", "boilerplate"),
        ("Links", "boilerplate"),
        ("Next meeting: June 29th 2031", "boilerplate"),
    ],
)
def test_heading_meanings(heading: str, meaning: str) -> None:
    assert heading_meaning(heading) == meaning


@pytest.mark.parametrize(
    "heading",
    [
        "heronproj/heron",
        "Mission statement",
        "Lightning talk",
        "2031-02-03",
        "Ana",
        # A template's slot named first, then what the heading is about.
        "Code of conduct committee",
        "Video update",
        "Calendar integration",
        # A CI service's name holds a list's word.
        "Move CI from Jenkins to GitHub Actions",
        "Forgejo Actions runners",
    ],
)
def test_headings_that_name_something_else_have_no_meaning(heading: str) -> None:
    assert heading_meaning(heading) is None


def test_a_heading_without_meaning_inherits_its_parents() -> None:
    assert section_meaning(("Agenda", "heronproj/heron")) == "agenda"
    assert section_meaning(("Minutes", "Notes", "Mission statement")) == "minutes"
    assert section_meaning(("Standup", "Ana")) == "minutes"
    assert section_meaning(("Funding opportunities for the team",)) == "other"
    assert section_meaning(()) == "other"


def test_under_the_minutes_a_heading_naming_a_topic_is_minutes_not_a_list() -> None:
    # "Roadmap for 2.0" under "Discussion" is what was discussed, not a roadmap list.
    assert section_meaning(("Discussion", "Roadmap for 2.0")) == "minutes"
    assert section_meaning(("Minutes", "Release cycle proposal #168")) == "minutes"
    # A heading that is little more than a list's name still opens one there.
    assert section_meaning(("Discussion", "Action items")) == "actions"
    assert section_meaning(("Notes", "Updates")) == "agenda"
    # Elsewhere such a heading is the list it names, as before.
    assert section_meaning(("Roadmap for 2.0",)) == "agenda"
    assert section_meaning(("Agenda", "Proposals for 2.0")) == "agenda"


def test_a_long_heading_that_mentions_a_word_is_a_topic_of_its_own() -> None:
    assert heading_meaning("Status on the memory leaks, and what else we can do about them") is None


def test_configured_names_win_over_built_in_ones() -> None:
    assert section_meaning(("Closing",)) == "boilerplate"
    assert section_meaning(("Closing",), {"agenda": ["Closing"]}) == "agenda"
    assert section_meaning(("Homework",), {"actions": ["homework"]}) == "actions"
    # Named in two lists: the more specific meaning wins.
    both = {"agenda": ["homework"], "actions": ["Homework"]}
    assert section_meaning(("Homework",), both) == "actions"


def test_a_bullet_label_names_a_list_only_when_it_is_little_more_than_the_name() -> None:
    assert label_meaning("Action items:") == "actions"
    assert label_meaning("Review last week's action items") == "review"
    assert label_meaning("Status on the licence question") is None
    # When it is from is not more words of a subject.
    assert label_meaning("Follow-ups from last week") == "review"
    assert label_meaning("Action items from the previous call") == "actions"
    assert label_meaning("Notes from last week on the CI migration plan") is None
    assert label_meaning("Snapshot format done", leading=True) is None
    assert label_meaning("Announcements (if any)", leading=True) == "announcements"
    # Words on both sides of the list's name make it part of a subject's name.
    assert label_meaning("Release notes tooling") is None
    assert label_meaning("Meeting notes") == "minutes"
