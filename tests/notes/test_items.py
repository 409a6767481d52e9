"""extract_items: what a maintainer expects to be followed, from our notes and Falco's."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from digest.config.schema import TrackingConfig
from digest.model import Document, Item, Paragraph
from digest.notes.items import extract_items
from digest.notes.parse import parse_document
from digest.notes.sections import section_meaning

NOTES = Path(__file__).resolve().parents[1] / "data" / "notes"


def items_of(name: str, *, text: str | None = None, org: str = "orchard-dev") -> list[Item]:
    body = text if text is not None else (NOTES / name).read_text(encoding="utf-8")
    doc = Document(source="notes", path=f"notes/{name}", text=body, blob="b", commit="abc")
    out: list[Item] = []
    for meeting in parse_document(doc).meetings:
        out.extend(extract_items(meeting, TrackingConfig(), org=org))
    return out


def by_text(items: list[Item], start: str) -> Item:
    return next(i for i in items if i.text.startswith(start))


@pytest.fixture(scope="module")
def core_sync() -> list[Item]:
    return items_of("2025-03-06-Orchard-Core-Sync.md")


def test_attendance_is_never_followed_and_highlights_are_decisions(core_sync: list[Item]) -> None:
    people = [i for i in core_sync if i.section and i.section[0] in ("MC", "Who Joined")]
    assert people and {i.kind for i in people} == {"attendance"}
    assert not any(i.followed for i in people)
    assert {i.kind for i in core_sync if i.section == ("Highlights",)} == {"decision"}


def test_grouping_bullet_children_are_the_items_with_their_statuses(
    core_sync: list[Item],
) -> None:
    group = "Some items to check in from last time (see notes from 2025-02-06)"
    checked = [i for i in core_sync if i.section == ("Agenda", group)]
    assert [(i.text.split(" ->")[0], i.status, i.status_phrase) for i in checked] == [
        ("Cache eviction policy", "open", "in flight"),
        ("ARM64 builds done (finally)", "done", "done"),
        ("Make error messages friendlier", "open", "TBD"),
        ("Metrics exporter [to-do] (Ada)", "open", "to-do"),
        ("Config validation rework -- postponed to 2.6 [bo, chen]", "open", "postponed to 2.6"),
        ("Old CLI flags removal", "dropped", "dropped"),
        ("Windows installer partially done", "open", "partially done"),
    ]
    assert by_text(checked, "Metrics exporter").owners == ["ada"]
    assert by_text(checked, "Config validation").owners == ["bo", "chen"]
    assert not any(i.text.startswith("Some items to check in") for i in core_sync)


def test_children_of_a_topic_are_its_detail(core_sync: list[Item]) -> None:
    flaky = by_text(core_sync, "Status on flaky integration tests")
    assert (flaky.form, flaky.kind) == ("list", "topic")
    assert flaky.status == "unknown"  # "what can be done about them?" states no status
    assert flaky.children == [
        "Retry the network tests once before failing.",
        "Quarantine the slowest ones. @bolind volunteered to do it.",
    ]
    assert flaky.refs == ["orchard-dev/orchard#512"]
    assert (flaky.line, flaky.end_line) == (21, 23)
    assert not any(i.text.startswith("Retry the network") for i in core_sync)


def test_status_and_owner_from_a_short_child_and_eta(core_sync: list[Item]) -> None:
    loader = by_text(core_sync, "Plugin loader rewrite")
    assert (loader.status, loader.status_phrase, loader.owners) == ("open", "in progress", ["chen"])
    review = by_text(core_sync, "Review of the storage proposal")
    assert (review.status, review.status_phrase) == ("open", "ETA end of April")
    # Own references first, then those in the detail; comment anchors and /files dropped.
    assert review.refs == ["orchard-dev/orchard#530", "orchard-dev/orchard#533"]


def test_references_and_links(core_sync: list[Item]) -> None:
    release = by_text(core_sync, "Release 2.5 planning")
    assert release.refs == ["orchard-dev/cli#77"]
    assert release.links == ["https://github.com/orchard-dev/orchard/milestone/9"]


def test_todo_detail_line_is_an_action(core_sync: list[Item]) -> None:
    todo = by_text(core_sync, "TODO: write the release checklist")
    assert (todo.kind, todo.status, todo.line) == ("action", "open", 37)
    assert todo.section[0] == "Agenda" and todo.section[1].startswith("Release 2.5 planning")


def test_table_rows_carry_the_area_down_and_read_the_status_column(
    core_sync: list[Item],
) -> None:
    rows = [i for i in core_sync if i.form == "row"]
    assert [(r.row_key, r.status, r.status_phrase, r.line) for r in rows] == [
        ("core / pluggable storage backends", "open", "in progress", 42),
        ("core / streaming api", "open", "not started", 43),
        ("packaging / signed release artifacts", "done", "Done in 2.3", 44),
        ("packaging / slim container image", "open", "partially done", 45),
    ]
    assert rows[1].text == "**Core** — Streaming API"


ACTION_TABLE = """# Quince sync — 2031-05-04

## Action items

| Action | Owner | Due | Status | Notes |
| --- | --- | --- | --- | --- |
| Write the upgrade guide | @ana | May 18 | in progress | see quince-dev/quince#41 |
| Rotate the signing key | Bo, Cleo | — | done | - |
| Book the venue | TBD | | | |
| Comment on the draft | All | | | |
| Nightly wheels | Ana | | Dropped — we use cibuildwheel instead | |
| Speed up tiling | Bo | | Done (took longer than planned) | |
"""


def test_a_rows_title_is_what_it_says_not_who_or_its_status() -> None:
    """The owner and status cells become the item's owners and status; a due date or a
    note keeps its column's name, so "May 18" reads as a due date in the digest; a
    cell of dashes says nothing ("Due: —" is no part of a title)."""
    rows = [i for i in items_of("q.md", text=ACTION_TABLE) if i.form == "row"]
    guide, key, venue, draft, wheels, tiling = rows
    assert guide.text == "Write the upgrade guide — Due: May 18 — Notes: see quince-dev/quince#41"
    assert (guide.owners, guide.status, guide.status_phrase) == (["ana"], "open", "in progress")
    assert guide.refs == ["quince-dev/quince#41"]
    assert key.text == "Rotate the signing key"
    assert (key.owners, key.status) == (["bo", "cleo"], "done")
    assert venue.owners == draft.owners == []  # "TBD", "All": nobody in particular
    # A status cell's first words say the state; what follows explains it.
    assert (wheels.status, tiling.status) == ("dropped", "done")


NUMBERED_TABLE = """# Quince sync — 2031-05-18

## Action items

| # | Action | Owner | Due |
| --- | --- | --- | --- |
| 1 | Write the upgrade guide | Ana | Done |
| A-12 | Rotate the signing key | Bo | in review |
| #57 | Flaky upload test | Cleo | June 1 |
"""


def test_a_rows_number_is_no_part_of_its_title_and_a_due_cell_may_hold_its_state() -> None:
    """ "#", "No.", "ID" columns number the rows (and are renumbered from one meeting to
    the next): not the title, not the key. An issue in that column is. A due cell
    saying "Done" is the row's state, not a date."""
    guide, key, flaky = [i for i in items_of("q.md", text=NUMBERED_TABLE) if i.form == "row"]
    assert (guide.text, guide.row_key, guide.status) == (
        "Write the upgrade guide",
        "write the upgrade guide",
        "done",
    )
    assert (key.text, key.status, key.status_phrase) == (
        "Rotate the signing key",
        "open",
        "in review",
    )
    assert flaky.text == "#57 — Flaky upload test — Due: June 1"


AGENDA_TABLE = """# Quince sync — 2031-05-18

## Agenda

| Topic | Presenter | Notes |
| --- | --- | --- |
| Release 2.4 planning | @ana | RC next week; need two reviewers |
| Drop Python 3.8 | Bo | Agreed: drop it in 2.5 |
| Any objections to the new logo? | Cleo | No objections |
| Mentoring program | Dee | No objections so far, keep collecting names |
"""


def test_an_agenda_table_names_who_presents_and_what_came_of_each_topic() -> None:
    """A presenter is the topic's owner (the row stays a topic, not an action); a note
    cell saying what came of it closes it, as a sub-bullet would."""
    plan, drop, logo, mentoring = [i for i in items_of("q.md", text=AGENDA_TABLE)]
    assert (plan.text, plan.kind, plan.owners, plan.status) == (
        "Release 2.4 planning — Notes: RC next week; need two reviewers",
        "topic",
        ["ana"],
        "unknown",
    )
    assert (drop.owners, drop.status) == (["bo"], "done")
    assert logo.status == "done"  # answered
    assert mentoring.status != "done"  # "no objections" to nothing asked


def test_an_agenda_tables_who_column_brings_the_topic_and_its_time_is_no_title() -> None:
    note = (
        "# 2025-05-01 Orchard Sync\n\n## Agenda\n\n"
        "| Time | Topic | Who |\n| --- | --- | --- |\n"
        "| 10:05 | Parquet export performance | Bo |\n| 10:25 | AOB | |\n"
    )
    found = [(i.text, i.kind, i.owners) for i in items_of("x.md", text=note)]
    assert found == [
        ("Parquet export performance", "topic", ["bo"]),
        ("AOB", "boilerplate", []),
    ]
    # Without a topic column, an Owner or Who column still makes a table of work.
    work = "# 2025-05-01 Orchard Sync\n\n| Task | Who |\n| --- | --- |\n| Tag 2.1 | Bo |\n"
    assert [i.kind for i in items_of("x.md", text=work)] == ["action"]


def test_a_sub_bullet_opening_with_a_decision_is_one_and_how_to_go_on_is_not() -> None:
    note = (
        "# 2025-05-01 Orchard Sync\n\n## Agenda\n\n"
        "- Code of conduct update\n  - Agreed to adopt the Contributor Covenant 2.1.\n"
        "- Release schedule\n  - We agreed to defer until next week.\n"
        "- Logo\n  - Ana: I think we agreed to pick the blue one last time\n"
    )
    found = items_of("x.md", text=note)
    decisions = [(i.text, i.parent) for i in found if i.kind == "decision"]
    covenant = by_text(found, "Code of conduct update")
    assert decisions == [("Agreed to adopt the Contributor Covenant 2.1.", covenant.key)]


def test_a_decision_that_holds_until_something_happens_is_still_one() -> None:
    note = (
        "# 2025-05-01 Orchard Sync\n\n## Agenda\n\n"
        "- Flaky arm64 job\n  - Agreed to mark the job optional until the image is fixed\n"
        "- Labels\n  - agreed to remove orchard_agenda until the docs team asks again\n"
    )
    decisions = [i.text for i in items_of("x.md", text=note) if i.kind == "decision"]
    # Taking a label off the agenda is how the meeting goes on, not news.
    assert decisions == ["Agreed to mark the job optional until the image is fixed"]


def test_a_list_word_inside_a_subjects_name_heads_no_list() -> None:
    note = (
        "# 2025-05-01 Orchard Sync\n\n## Agenda\n\n"
        "- [Carla] Release notes tooling\n  - Needs a reviewer; nobody volunteered yet\n"
        "- Main projects for 0.41\n  - Streaming API\n  - Plugin loader\n"
    )
    topics = [(i.text, i.owners) for i in items_of("x.md", text=note) if i.kind == "topic"]
    assert topics == [
        ("[Carla] Release notes tooling", ["carla"]),
        ("Streaming API", []),
        ("Plugin loader", []),
    ]


def test_nicks_on_a_labelled_attendance_line_speak_and_take_work() -> None:
    note = (
        "# Orchard triage 2025-05-01\n\nAttendance: ana, bruno, carla\n\n"
        "## Action items\n\n- [ ] bruno: write the migration guide\n\n"
        "## Nominated issues\n\n### Config loader panics on an empty file\n\n"
        "- ana: this is a regression from the last release\n"
        "- Consensus: backport the fix to the stable branch\n"
        "- bruno will prepare the backport\n\n"
        "## Open floor\n\n- carla will draft the survey\n- ana: welcome to the new folks\n"
        "- the build will move to the new runners\n"
    )
    found = {i.text: (i.kind, i.owners) for i in items_of("x.md", text=note)}
    assert found["bruno: write the migration guide"] == ("action", ["bruno"])
    # The heading is the topic its lines discuss; who takes on its next step owns it.
    assert found["Config loader panics on an empty file"] == ("topic", ["bruno"])
    assert found["Consensus: backport the fix to the stable branch"][0] == "decision"
    assert found["carla will draft the survey"] == ("action", ["carla"])
    assert found["ana: welcome to the new folks"][0] == "discussion"
    # "the" is nobody on the list: a lower-case word is a nick only when listed.
    assert found["the build will move to the new runners"][0] != "action"


def test_a_sentence_of_prose_minutes_taking_on_work_is_an_action() -> None:
    note = (
        "# Orchard council 2025-05-01\n\n## Present\n\nAna Lima, Bruno, Carla\n\n"
        "## Notes\n\nThe council reviewed the packaging proposal. Bruno will write to its\n"
        "authors with the requested changes.\n\n"
        "Solution is to have one shared asset. Hoping to deploy it in May.\n"
        "Carla will be important for this. @dee to open the tracking issue.\n"
        "Rod and Ana to pair on the loader.\n"
    )
    actions = [(i.text, i.owners, i.line) for i in items_of("x.md", text=note)]
    # Only someone named by handle or on the attendance list takes work on in prose,
    # where every sentence starts with a capital; "will be important" is no work.
    # Each links to the line its sentence starts on, not to its paragraph's first.
    assert actions == [
        ("Bruno will write to its authors with the requested changes.", ["bruno"], 9),
        ("@dee to open the tracking issue.", ["dee"], 13),
    ]


def test_a_sentence_of_prose_minutes_opening_with_the_decision_is_a_decision() -> None:
    note = (
        "# Orchard council 2025-05-01\n\n## Notes\n\nJonas asked whether to pause the\n"
        "rollouts altogether; the group agreed to pause them until the cause is known.\n"
        "Nobody felt strongly about the logo. We agreed to revisit it next month.\n\n"
        "Rafael heard back from the foundation. Agreed to go with DCO.\n"
    )
    found = [(i.text, i.kind, i.line) for i in items_of("x.md", text=note)]
    # How to go on ("revisit it next month") is no decision.
    assert found == [
        ("the group agreed to pause them until the cause is known.", "decision", 6),
        ("Agreed to go with DCO.", "decision", 9),
    ]


def test_a_subject_someone_brings_keeps_its_minutes_but_a_list_of_work_is_items() -> None:
    note = (
        "# 2025-05-01 Orchard Sync\n\n## Agenda\n\n"
        "- Welcome new attendees\n"
        "- Plugin roadmap (Carla)\n  - Carla presented the draft; comments go in the doc\n"
        "  - **AI:** Carla to share the doc on the mailing list\n"
        "- Community initiatives (Jo & Li)\n  - Go over the best practices badge\n"
        "  - Updates to the website\n"
    )
    found = {i.text: (i.kind, i.owners) for i in items_of("x.md", text=note)}
    assert found["Welcome new attendees"][0] == "boilerplate"
    assert found["Plugin roadmap (Carla)"] == ("topic", ["carla"])
    assert "Carla presented the draft; comments go in the doc" not in found
    assert found["Go over the best practices badge"] == ("topic", ["jo", "li"])
    assert found["Updates to the website"] == ("topic", ["jo", "li"])


def test_the_minutes_state_of_an_issue_is_followed_and_a_report_by_verb_is_done() -> None:
    note = (
        "# 2025-05-01 Orchard Sync\n\n## Round table\n\n"
        "- @dee: out next week\n- @eli: finished the TLS migration (#71)\n"
        "- @bo: we talked about #72 for a while\n"
    )
    found = {i.text: (i.kind, i.status) for i in items_of("x.md", text=note)}
    assert found == {
        "@dee: out next week": ("discussion", "unknown"),
        "@eli: finished the TLS migration (#71)": ("topic", "done"),
        "@bo: we talked about #72 for a while": ("discussion", "unknown"),
    }


def test_a_heading_naming_who_brings_it_is_a_topic_over_its_minutes() -> None:
    note = (
        "# 2025-05-01 Orchard Sync\n\n## Agenda + Notes\n\n"
        "### [Ana] Release of 4.2\n\n- Plan to release next week\n- Blocked by #456\n\n"
        "### [Bo] Docs theme switch\n\n- merged!\n"
    )
    found = [(i.text, i.kind, i.owners, i.status) for i in items_of("x.md", text=note)]
    assert found == [
        ("[Ana] Release of 4.2", "topic", ["ana"], "open"),  # "Blocked by #456"
        ("[Bo] Docs theme switch", "topic", ["bo"], "done"),
    ]


def test_a_remark_whose_later_sentence_has_someone_take_it_on_is_their_action() -> None:
    note = (
        "# 2025-05-01 Orchard Sync\n\n## Present\n\n- Jen Park\n\n## Notes\n\n"
        "- The CDN bill went up 20% in February.\n"
        "- We should look at caching headers. @eli will investigate.\n"
        "- Can we tweet about the release? Jen will ask the core team.\n"
        "- Solution is to cache more. Hoping to try it in May.\n"
    )
    found = {i.text: (i.kind, i.owners) for i in items_of("x.md", text=note)}
    assert found == {
        "Jen Park": ("attendance", []),
        "The CDN bill went up 20% in February.": ("discussion", []),
        "We should look at caching headers. @eli will investigate.": ("action", ["eli"]),
        "Can we tweet about the release? Jen will ask the core team.": ("action", ["jen"]),
        "Solution is to cache more. Hoping to try it in May.": ("discussion", []),
    }


def test_a_decision_or_an_owner_in_a_later_sentence_counts_as_at_the_start() -> None:
    """Minutes often put the outcome after what was said: "Prototype looks good.
    Decision: migrate after 3.2." is a decision, "No decision yet; Hedda to prototype
    it" Hedda's action, under a topic's heading as in a list of notes or under an
    agenda entry. A line that opens with a decision stays one."""
    topic = (
        "# 2025-05-01 Orchard Sync\n\nAttendees: Hedda Lund, Priya Raman\n\n"
        "## Discussion\n\n### Docs site migration\n\n"
        "- Prototype looks good. Decision: migrate after 3.2 ships.\n"
        "- No decision yet; Hedda to write the migration plan.\n"
        "- Comments are due by 3 June. Priya will summarise the feedback.\n"
        "- Agreed to announce it. Priya agreed to draft the post.\n"
        "- Is it worth it? Agreed to try?\n"
    )
    found = {i.text: (i.kind, i.owners) for i in items_of("x.md", text=topic)}
    assert found == {
        "Docs site migration": ("topic", ["hedda", "priya"]),  # who takes its next steps
        "Prototype looks good. Decision: migrate after 3.2 ships.": ("decision", []),
        "No decision yet; Hedda to write the migration plan.": ("action", ["hedda"]),
        "Comments are due by 3 June. Priya will summarise the feedback.": (
            "action",
            ["priya"],
        ),
        "Agreed to announce it. Priya agreed to draft the post.": ("decision", []),
    }
    notes = (
        "# 2025-05-01 Orchard Sync\n\nAttendees: Hedda Lund\n\n"
        "## Notes\n\n- Bo measured the cache. Agreed to keep it per user.\n"
        "- No decision yet; Hedda to write the migration plan.\n"
        "- No updates yet; still waiting on the board.\n"
        "- Talked it over; we will come back to it.\n\n"
        "## Agenda\n\n- Release checklist (Hedda)\n"
        "  - Reviewed the list. Outcome: drop the manual smoke test.\n"
    )
    found = {i.text: (i.kind, i.owners) for i in items_of("x.md", text=notes)}
    assert found == {
        "Bo measured the cache. Agreed to keep it per user.": ("decision", []),
        "No decision yet; Hedda to write the migration plan.": ("action", ["hedda"]),
        "No updates yet; still waiting on the board.": ("placeholder", []),
        "Talked it over; we will come back to it.": ("discussion", []),
        "Release checklist (Hedda)": ("topic", ["hedda"]),
        "Reviewed the list. Outcome: drop the manual smoke test.": ("decision", []),
    }


def test_work_someone_takes_on_under_a_remark_is_their_action() -> None:
    """Nobody follows a remark, so the sub-bullet in which someone named (on the
    attendance list, or by handle) takes work on is an action of its own; a sub-bullet
    merely starting with a capital and "to" is not someone."""
    note = (
        "# 2025-05-01 Orchard Sync\n\nPresent: Matteo Rossi, Anna\n\n## Notes\n\n"
        "- Cleanup of the stream internals came up again.\n"
        "  - Matteo will open an issue to collect votes.\n"
        "  - Impossible to reproduce on ARM so far.\n"
        "  - Should @anna review it?\n"
    )
    found = {i.text: (i.kind, i.owners) for i in items_of("x.md", text=note)}
    assert found == {
        "Cleanup of the stream internals came up again.": ("discussion", []),
        "Matteo will open an issue to collect votes.": ("action", ["matteo"]),
    }


def test_a_bare_issue_number_is_the_projects_own_issue() -> None:
    """ "#77" alone names an issue of the project's repository: the source's `repo`
    when set (so the digest can link it), else a key of its own, the same in every
    meeting, so that "get #77 merged" and "#77 was merged" are one thread. A repository
    heading names the repository of the numbers under it."""
    note = (
        "# 2025-05-01 Orchard Sync\n\n## Agenda\n\n- Keiko to get #77 merged\n"
        "- Plans for 2027\n\n## orchard-dev/docs\n\n- Fix the theme #12\n"
    )
    doc = Document(source="notes", path="notes/x.md", text=note, blob="b")
    (meeting,) = parse_document(doc).meetings

    def refs(repo: str) -> dict[str, list[str]]:
        return {i.text: i.refs for i in extract_items(meeting, TrackingConfig(), repo=repo)}

    assert refs("") == {
        "Keiko to get #77 merged": ["#77"],
        "Plans for 2027": [],
        "Fix the theme #12": ["orchard-dev/docs#12"],
    }
    assert refs("Orchard-Dev/Orchard")["Keiko to get #77 merged"] == ["orchard-dev/orchard#77"]
    assert refs("orchard-dev/orchard")["Plans for 2027"] == []


def test_under_a_review_someone_presents_line_is_their_earlier_action() -> None:
    """Under "Previously", "Aiyana: summary circulated. Closed." reviews Aiyana's
    action, and a line struck through is done (not off the agenda); what someone said
    of the last meeting ("Bo: Discussed …") and a subject's line are not someone's
    action."""
    note = (
        "# 2025-05-01 Orchard Sync\n\nPresent: Lena Park, Aiyana, Bo\n\n## Previously\n\n"
        "- ~~Lena: update the contributor ladder doc~~\n"
        "- Aiyana: OpenSSF summary circulated. Closed.\n"
        "- Bo: Discussed adding a working group.\n"
        "- Weblate: decided to switch fully in July.\n"
    )
    found = {i.text: (i.kind, i.status, i.owners) for i in items_of("x.md", text=note)}
    assert found == {
        "~~Lena: update the contributor ladder doc~~": ("topic", "done", ["lena"]),
        "Aiyana: OpenSSF summary circulated. Closed.": ("action", "done", ["aiyana"]),
        "Bo: Discussed adding a working group.": ("topic", "unknown", ["bo"]),
        "Weblate: decided to switch fully in July.": ("topic", "unknown", ["weblate"]),
    }


def test_a_topic_heading_whose_minutes_record_the_decision_is_settled() -> None:
    """ "Decision: …" or a motion passed in a topic's minutes settles the topic; "we
    agreed to try it for a month" says how it goes on."""
    note = (
        "# 2025-05-01 Orchard steering\n\n## Items\n\n### Summit budget\n\n"
        "- The committee compared the two quotes.\n"
        "- Decision: the summit is held at the university venue, capped at 10k EUR.\n\n"
        "### Meeting time\n\n- We agreed to try 17:00 UTC for a month.\n"
    )
    found = {i.text: (i.kind, i.status, i.status_phrase) for i in items_of("x.md", text=note)}
    assert found["Summit budget"] == (
        "topic",
        "done",
        "Decision: the summit is held at the university venue, capped at 10k …",
    )
    assert found["Meeting time"] == ("topic", "unknown", None)


def test_who_takes_on_a_topics_next_step_in_a_later_clause_owns_it_too() -> None:
    note = (
        "# 2025-05-01 Orchard Sync\n\n## Agenda\n\n- [Dmitri] Windows installer\n"
        "  - Needs a code-signing certificate; @yusuf to check the foundation budget.\n"
    )
    (topic,) = items_of("x.md", text=note)
    assert (topic.text, topic.owners) == ("[Dmitri] Windows installer", ["dmitri", "yusuf"])


def test_a_meetings_own_bullets_over_a_list_of_its_actions_are_its_agenda() -> None:
    # Without an agenda or minutes heading, the bullets under the meeting's own heading
    # are what it discussed, as in a meeting without any heading.
    note = (
        "# 2025-05-01 Orchard Sync\n\n- Versioned docs: picker PR is up (#88), needs review\n\n"
        "### Action items\n\n- Tomas to add a search smoke test\n"
    )
    found = {i.text: (i.kind, i.meaning) for i in items_of("x.md", text=note)}
    assert found == {
        "Versioned docs: picker PR is up (#88), needs review": ("topic", "agenda"),
        "Tomas to add a search smoke test": ("action", "actions"),
    }


def test_a_wiki_style_topic_numbered_under_its_part_names_its_owner() -> None:
    """ "### 1.1 Wheel builds" under "## 1. Updates" is an entry numbered a level down
    (alone, "### 2.0 release" would name a version), its "**Owner:**" line its owner."""
    note = (
        "# 2025-05-01 Orchard WG\n\n## 1. Updates\n\n### 1.1 Wheel builds\n\n"
        "**Status:** arm64 wheels build but tests are skipped.\n**Owner:** @felix\n\n"
        "### 1.2 SBOM generation\n\n**Status:** prototype works locally.\n"
        "**Owner:** Dana Ruiz\n"
    )
    found = {i.text: (i.kind, i.owners) for i in items_of("x.md", text=note)}
    assert found == {
        "Wheel builds": ("topic", ["felix"]),
        "SBOM generation": ("topic", ["dana ruiz"]),
    }


def test_an_agenda_rows_note_recording_the_decision_settles_it() -> None:
    note = (
        "# 2025-05-01 Orchard Sync\n\n## Agenda\n\n| Topic | Owner | Notes |\n"
        "| --- | --- | --- |\n"
        "| Move CI to GitHub Actions | Ana | Decision: migrate in two steps, Linux first. |\n"
        "| Logo refresh | Bo | Agreed to keep the current colours. |\n"
        "| Mentorship program | Cleo | Needs a volunteer; revisit next month. |\n"
    )
    rows = [(i.text.split(" — ")[0], i.status) for i in items_of("x.md", text=note)]
    assert rows == [
        ("Move CI to GitHub Actions", "done"),
        ("Logo refresh", "done"),
        ("Mentorship program", "unknown"),
    ]


def test_a_templates_comments_examples_and_collapsed_markup_are_not_read() -> None:
    note = (
        "# 2025-05-01 Orchard Sync\n\n<!-- Copy this file for each meeting. -->\n\n"
        "## Present\n\n- Ana Lima @ana\n<!--\n- Bo Chen @bo (away)\n-->\n\n"
        "## Agenda\n\n<!--\n- [Name] Topic (time)\n-->\n"
        "- [Ana] Backup rotation <!-- carried over -->\n- [Your name] Your topic\n\n"
        "## Action items\n\n- [ ] @bo renew the certificate\n<details>\n"
        "<summary>Raw chat log</summary>\n\nbo: I'll do it tomorrow\n</details>\n"
    )
    found = [
        (i.line, i.text, i.kind)
        for i in items_of("x.md", text=note)
        if i.kind not in ("placeholder", "discussion")
    ]
    assert found == [
        (7, "Ana Lima @ana", "attendance"),  # not Bo: commented out
        (17, "[Ana] Backup rotation", "topic"),
        (22, "@bo renew the certificate", "action"),
    ]


def test_a_handle_heading_owns_the_updates_under_it() -> None:
    note = (
        "# 2025-05-01 Orchard Sync\n\n## Updates\n\n### @ana\n\n"
        "- Finished the parser rewrite (#412)\n- @bo to review the streaming API\n\n"
        "### Docs\n\n- Rewrite the landing page\n"
    )
    found = {i.text: (i.kind, i.owners) for i in items_of("x.md", text=note)}
    assert found == {
        "Finished the parser rewrite (#412)": ("topic", ["ana"]),
        "@bo to review the streaming API": ("action", ["bo"]),  # named: theirs
        "Rewrite the landing page": ("topic", []),  # "### Docs" may be a subject
    }


def test_a_decisions_table_records_decisions_whoever_it_names() -> None:
    note = (
        "# Quince sync — 2031-05-18\n\n## Decisions\n\n| Decision | Owner | Date |\n"
        "| --- | --- | --- |\n| Drop Python 3.8 in 2.5 | Bo | 2031-05-18 |\n"
    )
    (row,) = items_of("q.md", text=note)
    assert (row.kind, row.owners) == ("decision", ["bo"])


STATUS_TABLE_REPEATS_THE_MINUTES = """# Quince sync — 2031-05-04

## Agenda

- [Bo] Test plan for the importer
  - ~~AI: @bochen to write the e2e test plan~~ done
- [Ana] Release notes
  - Conclusion on the release notes: we will publish
    - the deprecation notice
    - the beta announcement
  - Consensus: ship on Tuesday
- [Cleo] Flaky upload tests
  - Issues opened: #12, #13, #14
  - Two of the three fixed; #14 still open
"""


def test_minutes_written_in_a_sig_meetings_shape() -> None:
    """A struck-through action with its state after it is a done action; a decision's
    label may name its subject ("Conclusion on the release notes:"); references listed
    under a label report on the topic above."""
    items = {i.text: i for i in items_of("q.md", text=STATUS_TABLE_REPEATS_THE_MINUTES)}
    plan = items["~~AI: @bochen to write the e2e test plan~~ done"]
    assert (plan.kind, plan.status, plan.owners) == ("action", "done", ["bochen"])
    assert items["Conclusion on the release notes: we will publish"].kind == "decision"
    flaky = items["[Cleo] Flaky upload tests"]
    assert flaky.kind == "topic" and flaky.status == "open"
    assert not any(t.startswith(("Issues opened", "Two of the three")) for t in items)


LABELLED_TOPIC_HEADINGS = """# Heron maintainers sync — 2031-09-03

## Topics

### Topic: move CI to self-hosted runners (Bo, 10 min)

- Cost is the main reason; the hosted minutes ran out twice
- ✅ Agreed to try it for one month on the Linux jobs

### Topic: plugin API freeze (Ana, 15 min)

- Two open proposals, heron#210 and heron#214
- Need a decision by the end of September
"""


def test_a_heading_labelled_topic_is_one_with_its_minutes() -> None:
    """ "### Topic: …" under the agenda is a topic, shown without its label; a decision
    in its minutes is one even when it says "it" ("Agreed to try it …"); a bullet
    naming issues under a heading that names none is the topic's minutes."""
    items = items_of("h.md", text=LABELLED_TOPIC_HEADINGS, org="heron-dev")
    topics = [i for i in items if i.kind == "topic"]
    assert [t.text for t in topics] == [
        "move CI to self-hosted runners (Bo, 10 min)",
        "plugin API freeze (Ana, 15 min)",
    ]
    assert topics[0].owners == ["bo"]  # who brings it, beside its time
    decision = by_text(items, "✅ Agreed to try it")
    assert (decision.kind, decision.parent) == ("decision", topics[0].key)
    assert "Two open proposals, heron#210 and heron#214" in topics[1].children


SCRIBED_MINUTES = """# Wren WG teleconference — 2031-06-09

Present: Ana, Bo, Cleo
Scribe: Bo

## Agenda

1. Fragment caching
2. AOB

## Fragment caching

<ana> we have two proposals, a cache per widget and a shared one
<cleo> the shared one is simpler to specify,
but it leaks state between origins
RESOLUTION: adopt the cache per widget for level 3
ACTION: Cleo to write the spec text for the cache per widget
ACTION: Bo to file an issue about origin isolation tests

Conclusion:

## Transcript

Ana: we should ship level 3 before the summer.
Bo: agreed, if the tests are in.
"""


def test_minutes_written_a_line_per_statement_give_each_its_item() -> None:
    """A scribe's lines without list markers are one Markdown paragraph; each action,
    resolution and chat line in it is a statement of its own."""
    items = items_of("w.md", text=SCRIBED_MINUTES)
    decided = [(i.line, i.text) for i in items if i.kind == "decision"]
    assert decided == [(16, "RESOLUTION: adopt the cache per widget for level 3")]
    actions = [(i.line, i.owners, i.text) for i in items if i.kind == "action"]
    assert actions == [
        (17, ["cleo"], "ACTION: Cleo to write the spec text for the cache per widget"),
        (18, ["bo"], "ACTION: Bo to file an issue about origin isolation tests"),
    ]
    # "AOB" is a slot of the agenda, not a topic to follow.
    assert [i.text for i in items if i.kind == "topic"] == ["Fragment caching"]


def test_a_transcript_paragraph_stays_whole() -> None:
    doc = Document(source="n", path="w.md", text=SCRIBED_MINUTES, blob="b", commit="abc")
    (meeting,) = parse_document(doc).meetings
    caching = next(s for s in meeting.sections if s.path[-1:] == ("Fragment caching",))
    assert [(b.line, b.text) for b in caching.blocks if isinstance(b, Paragraph)] == [
        (13, "<ana> we have two proposals, a cache per widget and a shared one"),
        (14, "<cleo> the shared one is simpler to specify, but it leaks state between origins"),
        (16, "RESOLUTION: adopt the cache per widget for level 3"),
        (17, "ACTION: Cleo to write the spec text for the cache per widget"),
        (18, "ACTION: Bo to file an issue about origin isolation tests"),
    ]  # the bare "Conclusion:" below is a label opening a (here empty) decisions list
    transcript = next(s for s in meeting.sections if s.path[-1:] == ("Transcript",))
    # Speakers' lines are not cut: a wrapped sentence may start with "Name:" too.
    assert len(transcript.blocks) == 1


NOTES_BY_TOPIC = """# Moss maintainers sync 2031-09-08

## Attendees
* Ana Ruiz (@ana)
* Bo Chen

## Notes

### Release 0.9

* RC2 is out; one regression reported
* **Next steps:** @bochen to bisect the regression

### Bo Chen

* Back from leave next week

### Governance

* The draft of the new governance document is ready
* Everyone please review it by the next sync
"""


def test_without_an_agenda_the_minutes_headings_are_the_topics() -> None:
    """No agenda lists the topics: each heading under the notes names one, its
    bullets its minutes; a heading naming someone who came is theirs, not a topic."""
    items = items_of("m.md", text=NOTES_BY_TOPIC)
    topics = [i for i in items if i.kind == "topic"]
    assert [(i.line, i.text) for i in topics] == [(9, "Release 0.9"), (18, "Governance")]
    assert topics[0].why == "a topic heading: its bullets and paragraphs are its minutes"
    step = next(i for i in items if i.kind == "action")
    assert (step.line, step.owners) == (12, ["bochen"])


def test_with_an_agenda_the_minutes_headings_only_head_minutes() -> None:
    """Where an agenda names the topics, headings below in the notes are their
    minutes, often in other words: not topics of their own beside them."""
    text = NOTES_BY_TOPIC.replace("## Notes", "## Agenda\n\n- Release 0.9 status\n\n## Notes")
    items = items_of("m.md", text=text)
    assert [i.text for i in items if i.kind == "topic"] == ["Release 0.9 status"]


NUMBERED_MINUTES = """# Larch steering committee — 2031-10-06

## 1. Budget for the CI runners

Bo presented the cost estimate, about $400 a month.
The committee approved the budget for six months.

## 2. Trademark registration

Ana: the lawyer asked whether we agreed on the classes yet.
"""


def test_a_decision_stated_in_a_topics_minutes_is_a_decision() -> None:
    items = items_of("l.md", text=NUMBERED_MINUTES)
    decided = [i for i in items if i.kind == "decision"]
    assert [(i.line, i.parent is not None) for i in decided] == [(5, True)]
    # Said of a decision, inside someone's sentence: not one made.
    assert not any(i.line == 10 for i in decided)


QUESTIONS = """# Alder dev sync — 2031-09-02

## Topics

1. Should we drop Python 3.9? (Dee)
   - Dee: usage is under 2% per the download stats
   - Decision: drop it in 3.0
2. Release 3.0 planning
   - Decision: the RC is cut on Monday
3. Move the forum to Discourse?
   - Ana: we need a decision first
"""


def test_a_question_is_answered_by_a_decision_under_it() -> None:
    """A topic asked as a question is closed by the decision that answers it; under
    another topic a decision only says how the work goes on."""
    topics = {i.text: i for i in items_of("q.md", text=QUESTIONS) if i.kind == "topic"}
    assert topics["Should we drop Python 3.9? (Dee)"].status_phrase == "decided"
    assert topics["Should we drop Python 3.9? (Dee)"].status == "done"
    assert topics["Release 3.0 planning"].status != "done"
    assert topics["Move the forum to Discourse?"].status != "done"  # asked, not decided


STRUCK = """# Alder dev sync — 2031-09-16

## Agenda

- ~~Forum migration~~
- Docs translations

## Action items

- ~~Dee: announce the 3.9 drop on the forum~~
- Bo: publish the ~~beta~~ release candidate
"""


def test_a_line_struck_through_whole_is_finished() -> None:
    """Struck through: an action is done, an agenda entry is off the agenda; a word
    struck inside a line is an edit, not a status."""
    items = {i.text: i for i in items_of("s.md", text=STRUCK)}
    assert items["~~Forum migration~~"].status == "dropped"
    assert items["Docs translations"].status == "unknown"
    announce = items["~~Dee: announce the 3.9 drop on the forum~~"]
    assert (announce.status, announce.status_phrase) == ("done", "struck through")
    assert items["Bo: publish the ~~beta~~ release candidate"].status == "open"


SUBJECT_OVER_ITS_WORK = """# Spruce team meeting, 2031-09-09

## Agenda items

- Dark theme design review (Ana)
  - mockups in spruce-dev/design#4
  - feedback: contrast too low in the sidebar
  - [ ] Ana to raise the contrast and share new mockups
- Waiting for reviewers:
  - Faster importer spruce-dev/spruce#12
  - New config loader spruce-dev/spruce#14
"""


def test_a_subject_over_a_link_a_task_and_a_remark_is_one_topic() -> None:
    """One linked child and one task beside a remark are the subject's discussion;
    a list's header over pieces of work each linked is a group of them."""
    topics = [i.text for i in items_of("s.md", text=SUBJECT_OVER_ITS_WORK) if i.kind == "topic"]
    assert topics == [
        "Dark theme design review (Ana)",
        "Faster importer spruce-dev/spruce#12",
        "New config loader spruce-dev/spruce#14",
    ]


STATE_LABELS = """# Sorrel sync — 2031-01-05

## Action items

- DONE: publish the survey
- **WIP**: the config loader
- Done:
  - wrote the docs
"""


def test_a_state_written_as_the_lines_label_is_its_status() -> None:
    items = {i.text: i for i in items_of("s.md", text=STATE_LABELS)}
    assert (
        items["DONE: publish the survey"].status,
        items["DONE: publish the survey"].status_phrase,
    ) == ("done", "DONE")
    assert items["**WIP**: the config loader"].status == "open"
    assert items["wrote the docs"].status == "done"  # "Done:" heading a list, as before


def test_task_lists_and_action_items_section(core_sync: list[Item]) -> None:
    tasks = [i for i in core_sync if i.section == ("Action items",)]
    assert [(t.form, t.status, t.status_phrase, t.owners) for t in tasks] == [
        ("task", "open", "[ ]", ["ada"]),
        ("task", "done", "[x]", ["bo"]),
        ("task", "open", "postponed", []),
    ]
    assert tasks[0].text == "[ada] open a tracking issue for the eviction policy"
    assert tasks[0].meeting_id == "notes:notes/2025-03-06-Orchard-Core-Sync.md:2025-03-06"
    assert (tasks[0].series, tasks[0].commit, tasks[0].path) == (
        "Orchard Core Sync",
        "abc",
        "notes/2025-03-06-Orchard-Core-Sync.md",
    )


def test_action_paragraph_person_lists_and_speakers() -> None:
    items = items_of("orchard-community-call.md")
    action = by_text(items, "ACTION: Ada to book")
    assert (action.kind, action.status, action.owners) == ("action", "open", ["ada"])
    person = [i for i in items if i.form == "person"]
    assert [(p.text, p.status, p.status_phrase, p.owners) for p in person] == [
        ("the metrics endpoint", "done", "Done", ["chen"]),
        ("waiting for the CI quota", "open", "Blocked", ["chen"]),
        ("dashboards", "open", "Next", ["chen"]),
    ]
    assert by_text(items, "Vote on the logo contest").owners == ["sc"]
    triage = by_text(items, "[ada] Triage meeting time change")
    assert (triage.status, triage.owners) == ("done", ["ada"])
    assert by_text(items_of("2025-01-09-office-hours.md"), "Bo: we").owners == ["bo"]


def test_headingless_meeting_lists_are_tracked() -> None:
    items = items_of("2025-07-01.md", text="# 2025-07-01 Sync\n\n- one thing\n- another\n")
    assert [(i.text, i.kind, i.meaning) for i in items] == [
        ("one thing", "topic", "agenda"),
        ("another", "topic", "agenda"),
    ]


@pytest.mark.parametrize(
    ("heading", "meaning"),
    [
        ("Agenda (Please add any items you would like to discuss here)", "agenda"),
        ("Action items:", "actions"),
        ("This week's Highlights", "announcements"),
        ("Weekly highlights", "announcements"),
        ("Who joined", "attendance"),
        ("Next Week MC", "attendance"),
        ("Proposals / Discussions", "agenda"),
        ("Decisions", "decisions"),
        ("Closing", "boilerplate"),
    ],
)
def test_section_meanings(heading: str, meaning: str) -> None:
    assert section_meaning((heading,)) == meaning


def test_configured_sections_and_words() -> None:
    tracking = TrackingConfig(sections_tracked=["Closing"], done_words=["sorted"])
    text = "# 2025-07-01 Sync\n\n## Closing\n\n- Venue booking -> sorted\n"
    doc = Document(source="s", path="n.md", text=text, blob="b")
    (meeting,) = parse_document(doc).meetings
    (item,) = extract_items(meeting, tracking)
    assert (item.status, item.status_phrase, item.kind, item.meaning) == (
        "done",
        "sorted",
        "topic",
        "agenda",
    )


# ---- the real Falco history ----------------------------------------------------


def falco_items(clone: Path, name: str) -> list[Item]:
    text = subprocess.run(
        ["git", "--git-dir", str(clone / ".git"), "show", f"HEAD:meeting-notes/{name}"],
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8", errors="replace")
    doc = Document(source="falco", path=f"meeting-notes/{name}", text=text, blob="b")
    out: list[Item] = []
    for meeting in parse_document(doc).meetings:
        out.extend(extract_items(meeting, TrackingConfig(), org="falcosecurity"))
    return out


@pytest.mark.corpus
def test_falco_2023_11_02_check_in_items(falco_clone: Path) -> None:
    items = falco_items(falco_clone, "2023-11-02-Falco-Core-Maintainers.md")
    loader = by_text(items, "falcoctl as driver loader")
    assert (loader.status, loader.status_phrase) == ("open", "in flight")
    assert loader.section[-1].startswith("Some items to check in from last time")
    assert by_text(items, "ia32 emulation done").status == "done"
    exceptions = by_text(items, "Make exceptions more user-friendly")
    assert (exceptions.status, exceptions.status_phrase) == ("open", "TBD")
    green = by_text(items, "CNCF TAG Environmental Sustainability")
    assert (green.status, green.owners) == ("open", ["melissa"])
    k8s = by_text(items, "Check in on k8s client refactor")
    assert "falcosecurity/libs#1377" in k8s.refs
    memleaks = by_text(items, "Status on memleaks")
    assert len(memleaks.children) == 4
    assert not any(i.text.startswith("Reject raw pointers") for i in items)
    assert not any(i.followed for i in items if i.section[:1] == ("Who Joined",))


@pytest.mark.corpus
def test_falco_2024_09_05_roadmap_table(falco_clone: Path) -> None:
    items = falco_items(falco_clone, "docs(meeting-notes): 2024-09-05-Falco-Core-Maintainers.md")
    rows = {r.row_key: r for r in items if r.form == "row"}
    drivers = rows["drivers / make the modern ebpf probe the default driver"]
    assert (drivers.status, drivers.status_phrase) == ("done", "Done in 0.38")
    cli = rows["engine / cli args consolidation and standardization"]
    assert (cli.status, cli.status_phrase) == ("open", "in progress")
    packages = rows["distribution / packages consolidation"]
    assert (packages.status, packages.status_phrase) == ("open", "not started")
    assert len(rows) == 17


@pytest.mark.corpus
def test_falco_references_are_canonical(falco_clone: Path) -> None:
    items = falco_items(falco_clone, "2023-06-08-Falco-Core-Maintainers.md")
    refs = {r for i in items for r in i.refs}
    assert "falcosecurity/falco#1340" in refs
    tasks = [i for i in items if i.form == "task"]
    assert (tasks[0].status, tasks[0].owners) == ("open", ["luca"])


@pytest.fixture(scope="module")
def release_sync() -> list[Item]:
    return items_of("2025-May-08.md")


def test_a_task_box_at_the_end_of_an_item(release_sync: list[Item]) -> None:
    guide = by_text(release_sync, "Write the migration guide")
    assert (guide.text, guide.form, guide.status) == ("Write the migration guide", "task", "open")
    changelog = by_text(release_sync, "Publish the 2.1 changelog")
    assert (changelog.text, changelog.status) == ("Publish the 2.1 changelog", "done")


def test_a_child_gives_the_status_only_when_it_is_mostly_a_status(
    release_sync: list[Item],
) -> None:
    # A sentence about something else that starts with "Released" says nothing here.
    assert by_text(release_sync, "Orchard 2.1 release is on track").status == "unknown"
    exporter = by_text(release_sync, "Exporter rewrite")
    assert (exporter.status, exporter.status_phrase) == ("done", "merged")
    retries = by_text(release_sync, "Buoy feed retries")
    assert (retries.status, retries.owners) == ("open", ["kai"])
    assert by_text(release_sync, "Ideas for 2.2").status == "unknown"  # "Ideas/TBD" is a label


def test_a_child_whose_first_clause_is_a_status_gives_it() -> None:
    note = (
        "# 2025-05-01 Orchard Sync\n\n## Agenda\n\n"
        "- Docs site move (Cy)\n  - not started, need a volunteer\n"
        "- Pruning guide\n  - in progress, push to next month\n"
        "- Cache warmup\n  - talked about warm-up, done by the CDN anyway\n"
    )
    found = {i.text: (i.status, i.status_phrase) for i in items_of("x.md", text=note)}
    assert found["Docs site move (Cy)"] == ("open", "not started")
    assert found["Pruning guide"] == ("open", "in progress")
    # A first clause about something else says nothing of the item.
    assert found["Cache warmup"][0] == "unknown"


def test_a_topic_heading_in_the_minutes_that_names_a_list_word_is_still_a_topic() -> None:
    note = (
        "# 2025-05-01 Orchard Sync\n\n## Discussion\n\n### Roadmap for 2.0\n\n"
        "- Ana proposed splitting the core into two packages.\n"
        "- Bo worried about the migration cost.\n"
        "- **Decision:** split after 2.0 ships.\n\n"
        "### Security audit\n\n- An audit firm offered a free audit; we accepted.\n"
    )
    found = items_of("x.md", text=note)
    assert [(i.text, i.kind) for i in found if i.form == "heading"] == [
        ("Roadmap for 2.0", "topic"),
        ("Security audit", "topic"),
    ]
    roadmap = found[0]
    decision = by_text(found, "**Decision:**")
    assert (decision.kind, decision.parent) == ("decision", roadmap.key)
    assert not any(i.text.startswith(("Ana proposed", "Bo worried")) for i in found)


def test_a_status_word_used_as_an_adjective_is_no_status(release_sync: list[Item]) -> None:
    assert by_text(release_sync, "Nadia talked about").status == "unknown"


def test_proposals_and_follow_ups_are_tracked_by_default(release_sync: list[Item]) -> None:
    meanings = {i.section[0]: i.meaning for i in release_sync}
    assert meanings == {"Follow-ups from last meeting": "review", "Proposals/Issues": "agenda"}
    assert by_text(release_sync, "[ruth] Split").owners == ["ruth"]
    assert by_text(release_sync, "**[URGENT]**").owners == []


def test_which_sections_default_to_open_is_configurable() -> None:
    note = "# 2025-05-01 Orchard Sync\n\n## Homework\n\n- Rewrite the pruning guide\n"
    doc = Document(source="notes", path="notes/x.md", text=note, blob="b", commit="abc")
    (meeting,) = parse_document(doc).meetings
    tracked = TrackingConfig(sections_tracked=["homework"])
    (plain,) = extract_items(meeting, tracked)
    assert plain.status == "unknown"
    opened = TrackingConfig(sections_tracked=["homework"], sections_open=["Homework"])
    (item,) = extract_items(meeting, opened)
    assert item.status == "open"


REPORTS = """# 2031-07-01 Kiln Docs Team

## Attendees

- Michael Chen
- Ana Lima (Acme)

## Updates

- Michael
  - survey closes this week
- Ana Lima
  - released the 2.1 docs
  - Ana to fix the broken search index
- Infrastructure
  - the preview builds are slow again
"""


def test_a_bullet_naming_someone_present_over_sub_bullets_is_their_report() -> None:
    items = items_of("kiln.md", text=REPORTS)
    kinds = {i.text: (i.kind, i.owners) for i in items if i.meaning != "attendance"}
    assert "Michael" not in kinds and "Ana Lima" not in kinds  # a name is no topic
    assert kinds["survey closes this week"][0] == "discussion"
    assert kinds["Ana to fix the broken search index"] == ("action", ["ana"])
    # Not someone on the attendance list: a subject, as before.
    assert kinds["Infrastructure"][0] == "topic"


STANDING_REPORT = """# 2031-07-01 Kiln Community Call

## Agenda

- Kiln 3.2 release status (Tomasz)
  - Blockers: the ARM build and the migration guide
  - Docs build flake fixed
- Update on the CI migration
  - Closed.
- Exporter rewrite (Ana)
  - Both patches have been merged
"""


def test_news_under_a_standing_report_does_not_end_the_report() -> None:
    items = items_of("kiln.md", text=STANDING_REPORT)
    # A part of the work went well; the release it reports on goes on.
    assert by_text(items, "Kiln 3.2 release status").status == "unknown"
    # Said of the report itself, briefly, it ends it.
    assert by_text(items, "Update on the CI migration").status == "done"
    # An ordinary topic ends with what its sub-bullets report.
    assert by_text(items, "Exporter rewrite").status == "done"


def test_a_summary_of_actions_tags_each_with_its_state() -> None:
    note = """# 2031-07-01 Kiln Working Group

## Summary of action items

- [NEW] ACTION: ana to update the test suite
- [PENDING] ACTION: Bo to review the draft
- [DONE] ACTION: Cy to email the chairs
"""
    items = {i.text: i for i in items_of("kiln.md", text=note)}
    assert [(i.kind, i.status) for i in items.values()] == [
        ("action", "open"),
        ("action", "open"),
        ("action", "done"),
    ]
    assert items["[PENDING] ACTION: Bo to review the draft"].owners == ["bo"]


def test_a_nomination_answered_with_a_welcome_was_accepted() -> None:
    note = """# 2031-07-01 Kiln TSC

## Nominating ada as collaborator [#20](https://github.com/kiln/kiln/issues/20)

:thumbsup: welcome ada!

## Docs site migration [#21](https://github.com/kiln/kiln/issues/21)

* welcome to comment on the draft

## Nominating bo to the TSC [#22](https://github.com/kiln/kiln/issues/22)

* vote is open until Friday
"""
    items = items_of("kiln.md", text=note, org="kiln")
    assert by_text(items, "Nominating ada").status == "done"
    assert by_text(items, "Docs site migration").status == "unknown"  # not a person
    assert by_text(items, "Nominating bo").status == "open"


def test_an_action_list_may_name_each_owner_before_a_dash() -> None:
    note = """# 2031-07-01 Kiln Sync

## Notes

- Governance - update the charter

## Next steps

- Ana — follow up with the CDN
- Bo Li - book the room
- Release - tag 2.1
"""
    items = {i.text: i for i in items_of("kiln.md", text=note)}
    assert items["Ana — follow up with the CDN"].owners == ["ana"]
    assert items["Bo Li - book the room"].owners == ["bo li"]
    assert items["Release - tag 2.1"].owners == []  # a subject, not a person
    # Outside a list of actions the same shape names a subject.
    assert items["Governance - update the charter"].owners == []
