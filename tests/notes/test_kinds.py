"""What kind of line each list item is: work items, not chatter (notes written for these tests)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.config.schema import TrackingConfig
from digest.model import Document, Item
from digest.notes.items import extract_items, not_held
from digest.notes.kinds import classify_line, is_placeholder, owner_to_verb, says_not_held
from digest.notes.parse import parse_document


def items_of(text: str, path: str = "notes/2031-03-04.md") -> list[Item]:
    doc = Document(source="heron", path=path, text=text, blob="b", commit="c0ffee")
    return [
        i
        for m in parse_document(doc).meetings
        for i in extract_items(m, TrackingConfig(), org="heronproj")
    ]


def kinds(text: str) -> dict[str, str]:
    return {i.text: i.kind for i in items_of(text)}


@pytest.mark.parametrize(
    ("line", "meaning", "kind"),
    [
        ("ACTION: Ana to book the room", "minutes", "action"),
        ("Ana: update the calendar invite", "actions", "action"),  # work on the invite
        ("Minutes of the last meeting were approved.", "agenda", "boilerplate"),
        ("MS: I want to avoid re-making decisions", "decisions", "discussion"),  # a view
        ("JW: ship 2.0 on Friday", "decisions", "decision"),
        ("Ana: I'm presenting at the meetup next week", "announcements", "decision"),  # news
        ("Bo: I'm not sure we need a vote", "decisions", "discussion"),
        ("Approval of the previous minutes", "agenda", "boilerplate"),
        ("Ana to upload the recording", "agenda", "action"),
        ("Recording: https://youtu.be/abc123", "agenda", "boilerplate"),
        # What an "any other business" slot collects that is no topic.
        ("Next meeting: 13 May 2026, same time.", "agenda", "boilerplate"),
        ("No updates from the security team this month.", "agenda", "placeholder"),
        ("_Add your topic here_", "agenda", "placeholder"),
        ("Nothing new on the hardware order.", "agenda", "placeholder"),
        ("Thanks to Marcus for chairing.", "agenda", "decision"),
        ("Ingrid will be away until June.", "agenda", "discussion"),
        (
            "Budget: **Motion** to adopt it as circulated. Seconded by Bo. **Passed** 4-1.",
            "review",
            "decision",
        ),
        ("Motion to move the call to Tuesdays failed 2-3", "agenda", "decision"),
        ("Motion to adopt the charter: passed unanimously", "minutes", "decision"),
        ("Weblate: decided to switch fully from 1 July.", "minutes", "decision"),
        ("AI: send the survey", "other", "action"),
        ("[NEW] ACTION: ana to update the test suite", "minutes", "action"),
        ("[DONE] ACTION: bo to email the chairs", "agenda", "action"),
        ("Action point: Ana to circulate the budget", "minutes", "action"),
        ("ACTION POINT: Bo to book the venue", "other", "action"),
        ("TODO: write the release checklist", "agenda", "action"),
        ("Ana to send the survey to the list", "minutes", "action"),
        ("@bo will look at the flaky test", "other", "action"),
        ("Ana and Bo to pair on the importer", "minutes", "action"),
        ("Rotate the signing key", "actions", "action"),
        ("waiting for the CI quota", "blocked", "action"),
        (
            "Snapshot format v2 [#12](https://github.com/heronproj/heron/issues/12)",
            "agenda",
            "topic",
        ),
        ("Drop the 0.x client?", "agenda", "topic"),
        ("Heron 2.1 is out", "announcements", "decision"),
        ("Decision: we keep the yearly release", "minutes", "decision"),
        ("We agreed to move the call to Thursdays", "other", "decision"),
        # People's news, told to the team: not work.
        ("Some news (Chris) - congrats on joining the new company!", "agenda", "decision"),
        ("Welcome @ana, our new maintainer", "agenda", "decision"),
        ("Shout-out to Bo for the CI fixes", "agenda", "decision"),
        ("Write a welcome guide for new contributors", "agenda", "topic"),
        ("Thanks everyone for the reviews, can we merge it?", "agenda", "topic"),
        ("Welcome Tomás Ruiz, our new release manager!", "agenda", "decision"),
        ("Welcome Ivo from the packaging team", "agenda", "decision"),
        ("Welcome onboard as reviewers, Lin and Teo!", "agenda", "decision"),
        ("Welcome Page", "agenda", "topic"),  # a page, not a person
        ("Welcome page copy (Ngozi)", "agenda", "topic"),
        # The meeting saying hello: neither work nor news.
        ("Happy new year, everyone!", "agenda", "discussion"),
        ("Happy 2031! :)", "agenda", "discussion"),
        ("Welcome back, all", "agenda", "discussion"),
        ("Hi all, short call today", "agenda", "discussion"),
        ("Happy new year! The 2.1 mirrors moved to the new CDN last week", "agenda", "topic"),
        # On the agenda a decision is one when labelled so; asked, it is a topic.
        ("**Decision:** we drop Python 3.9 in the 2.0 release", "agenda", "decision"),
        ("✅ Decision: move the mirror to the new host in May", "agenda", "decision"),
        # The meeting's end, at its time slot; not work on closing something.
        ("11:00 – Close", "agenda", "boilerplate"),
        ("Close the stale issues", "agenda", "topic"),
        ("Decision: drop Python 3.9 in 2.0?", "agenda", "topic"),
        ("Release train: we agreed to try it, tooling next", "agenda", "topic"),
        ("SC: I am afraid I have not seen that?", "minutes", "discussion"),
        ("Jo: the importer is slow on big files", "minutes", "discussion"),
        ("Mara, could we run the benchmark again", "agenda", "discussion"),
        ("Jean-Luc, could we run it again", "agenda", "discussion"),
        ("Proposal to form a governance group (#383)", "agenda", "topic"),
        # A subject, not a name, before the comma: an agenda entry.
        ("Package-maintenance, installation approach (#1549)", "agenda", "topic"),
        ("+1", "agenda", "discussion"),
        ("We chatted about the spring meetup venue", "agenda", "discussion"),
        ("Ana Lima @ana (maintainer)", "attendance", "attendance"),
        ("Ana Lima [@ana](https://github.com/ana)", "other", "attendance"),
        ("<action-item>", "actions", "placeholder"),
        ("n/a", "agenda", "placeholder"),
        ("None", "actions", "placeholder"),
        ("-", "agenda", "placeholder"),
        ("No updates this week", "agenda", "placeholder"),
        ("Skipped as we ran out of time", "agenda", "placeholder"),
        ("Blocked:", "blocked", "placeholder"),
        ("Click +GoogleCalendar to add it to your own calendar", "agenda", "boilerplate"),
        ("Review last week's action items", "agenda", "boilerplate"),
        ("Agreed to register the trademark in classes 9 and 42", "minutes", "decision"),
        ("Decided that 2.0 ships without the old loader", "minutes", "decision"),
        ("The committee approved the budget for six months", "minutes", "decision"),
        ("Agreed?", "minutes", "discussion"),
        ("**Next steps:** @bo to bisect the regression", "minutes", "action"),
        ("@**pnkfelix** to review the backport", "minutes", "action"),  # a Zulip mention
        ("Follow-up: ask the CNCF about the booth", "agenda", "action"),
        ("Next steps: none", "minutes", "discussion"),  # nothing to do
        ("AOB", "agenda", "boilerplate"),  # a slot for other business
        ("Any other business", "agenda", "boilerplate"),
        ("<ana> we have two proposals", "agenda", "discussion"),  # a chat log's line
    ],
)
def test_line_kinds(line: str, meaning: str, kind: str) -> None:
    found = classify_line(line, meaning)  # type: ignore[arg-type]
    assert found.kind == kind, found.why
    assert found.why  # every kind says why


def test_a_templates_example_entry_is_a_placeholder() -> None:
    assert is_placeholder("[Name] Topic (time)")
    assert is_placeholder("Topic (Owner, 10 min)")
    assert is_placeholder("[Your name] Your topic")
    assert not is_placeholder("[Ana] Backup rotation")
    assert not is_placeholder("Topic")  # one word may be a subject
    assert not is_placeholder("Who owns the link")


def test_a_link_is_never_a_placeholder() -> None:
    assert not is_placeholder("https://github.com/heronproj/heron/issues/158")
    assert is_placeholder("<attendees>")
    assert is_placeholder("Mara:")  # a speaker who said nothing


@pytest.mark.parametrize(
    "line",
    [
        "No topics, so skipping the meeting",
        "No agenda items; call cancelled",
        "Cancelled: not enough people",
        "Canceled due to the public holiday",
        "Today's sync is cancelled (half the team is travelling)",
        "**Mar 4th team call is cancelled due to the offsite**",
        "**NOTE** **2031-03-04 Community call has been cancelled**",
        "No call this week!",
        "We skipped this week's meeting",
        "Meeting postponed",
    ],
)
def test_a_line_saying_its_meeting_did_not_take_place(line: str) -> None:
    assert says_not_held(line)


@pytest.mark.parametrize(
    "line",
    [
        "The docs team's meeting was cancelled again",  # another group's meeting
        "Next week's call is cancelled",  # another day
        "We cancelled the 2.0 release",
        "Skipped tests hide bugs",
        "No updates",
        "No topics",  # nothing on the agenda: the meeting may still have met
        "No meeting notes were taken",
        "Cancelled runs pile up in CI",
    ],
)
def test_a_line_about_something_else_is_not_a_cancelled_meeting(line: str) -> None:
    assert not says_not_held(line)


def meetings_of(text: str) -> list[tuple[str, list[Item]]]:
    doc = Document(source="heron", path="notes/calls.md", text=text, blob="b", commit="c0ffee")
    out = []
    for m in parse_document(doc).meetings:
        found = extract_items(m, TrackingConfig(), org="heronproj")
        out.append((not_held(m, found), found))
    return out


CALLS = """\
# Heron community calls

## 2031-03-18 No call!

Most of us are at the conference; see you on the 25th.

## 2031-03-11

### Who joined

- Mara Lind (@mara)

### Agenda

- No topics, so skipping the meeting
- https://chat.example.org/heron/archives/p1234

## 2031-03-04

### Announcements

- Heron 2.1 is out
- Next week's call is cancelled because of the conference

### Agenda

- [mara] bump the parser to 4.0
"""


def test_a_meeting_that_did_not_take_place_says_so_and_gives_no_news() -> None:
    (title_notice, _), (notice, called_off), (held, items) = meetings_of(CALLS)
    assert title_notice == "No call!"
    assert notice == "No topics, so skipping the meeting"
    # The notice is about the meeting, not news of the project: no highlight, no topic.
    assert {i.text: i.kind for i in called_off}["No topics, so skipping the meeting"] == (
        "placeholder"
    )
    # A meeting that met is not called off by announcing that the next one is.
    assert held == ""
    assert [i.kind for i in items] == ["decision", "decision", "topic"]


def test_per_person_updates_under_headings_are_each_an_item() -> None:
    # "Next: …" and "Working on: …" are labels, not someone speaking: the bullets
    # under "### Bo" are his updates, not the minutes of a topic called "Bo".
    text = """# Heron weekly 2031-03-04

## Updates

### Ana
- Finished the parser rewrite (#412), merged
- Working on: the streaming API

### Bo
- Cut the 3.2 release candidate
- Next: changelog and announcement
"""
    found = {i.text: i.kind for i in items_of(text)}
    assert "Bo" not in found and "Ana" not in found
    assert (
        found["Cut the 3.2 release candidate"]
        == found["Finished the parser rewrite (#412), merged"]
    )
    assert found["Cut the 3.2 release candidate"] in ("topic", "action")


def test_owner_to_verb_needs_a_person_and_a_verb() -> None:
    assert owner_to_verb("JW to ping the docs team")
    assert owner_to_verb("Michael is going to open a PR")
    assert not owner_to_verb("Try to open the file twice")
    # Where someone will be is news for the meeting, not a task.
    assert not owner_to_verb("Priya will be away next week.")
    assert not owner_to_verb("Bo will be on parental leave in May")
    assert owner_to_verb("Bo will be reviewing the release notes")
    assert not owner_to_verb("Plan to land tomorrow")
    # "Name to" then a place or a thing, not a verb: not someone taking on work.
    assert not owner_to_verb("Welcome to the new contributors guide")
    assert not owner_to_verb("Changes to our release process")
    assert not owner_to_verb("Deferred to a meeting where Ana can join")
    assert owner_to_verb("Ana to draft the new contributors guide")


MINUTES = """# 2031-03-04 Heron Maintainers

## Attendees

- [x] AL: Ana Lima (ana)
- [ ] BO: Bo Ortiz (bo)

## Review of last week's action items

- [x] AL: publish the 2.1 release notes
- [ ] BO: ask the CDN about the quota

## Agenda

- Snapshot format v2 [#12](https://github.com/heronproj/heron/issues/12)
  - AL: the draft is in the issue
  - BO: +1
  - has been merged
- Move the call to Thursdays?

## Minutes

#### Snapshot format

- AL: I think we should ship it in 2.2
- BO: agreed, but the importer needs a look
- BO to profile the importer

## Action items

- [ ] <action-item>
"""


def test_minutes_speaker_lines_are_context_and_actions_are_items() -> None:
    found = kinds(MINUTES)
    assert found["AL: Ana Lima (ana)"] == "attendance"  # a ticked box here means present
    assert found["AL: publish the 2.1 release notes"] == "action"
    assert found["Snapshot format v2 [#12](https://github.com/heronproj/heron/issues/12)"] == (
        "topic"
    )
    assert found["AL: I think we should ship it in 2.2"] == "discussion"
    assert found["BO to profile the importer"] == "action"
    assert found["<action-item>"] == "placeholder"
    # Sub-bullets are the topic's context, never items of their own; they carry its outcome.
    assert "BO: +1" not in found
    (snapshot,) = [i for i in items_of(MINUTES) if i.text.startswith("Snapshot format v2")]
    assert (snapshot.status, snapshot.status_phrase) == ("done", "has been merged")


def test_a_speaker_is_not_an_owner_but_an_action_list_prefix_is() -> None:
    items = {i.text: i for i in items_of(MINUTES)}
    assert items["AL: I think we should ship it in 2.2"].owners == []
    assert items["BO: ask the CDN about the quota"].owners == ["bo"]


def test_issue_generated_agenda_under_repository_headings() -> None:
    note = """# Heron TSC Meeting 2031-03-04

## Agenda

### heronproj/heron

* Snapshot format v2 #12
* Faster importer - 1234

### heronproj/website

* New landing page [#7](https://github.com/heronproj/website/pull/7)
"""
    refs = {i.text: i.refs for i in items_of(note)}
    assert refs["Snapshot format v2 #12"] == ["heronproj/heron#12"]
    assert refs["Faster importer - 1234"] == ["heronproj/heron#1234"]
    assert refs["New landing page [#7](https://github.com/heronproj/website/pull/7)"] == [
        "heronproj/website#7"
    ]


def test_a_heading_naming_an_issue_is_the_topic_and_its_bullets_its_minutes() -> None:
    note = """# Heron TSC Meeting 2031-03-04

## Minutes

### Snapshot format v2 [#12](https://github.com/heronproj/heron/issues/12)

* Ana: the draft is ready
* No objections.
"""
    (topic,) = [i for i in items_of(note) if i.followed]
    assert topic.form == "heading" and topic.refs == ["heronproj/heron#12"]
    assert topic.children == ["Ana: the draft is ready", "No objections."]


def test_an_action_on_the_topic_above_is_its_next_step_not_an_item() -> None:
    note = """# Heron triage 2031-03-04

## Nominated issues

### Spurious warning with macros [#31](https://github.com/heronproj/heron/issues/31)

* @kira will look at it; likely a span issue.
* @jonas to open the revert PR
"""
    followed = {i.text: i for i in items_of(note) if i.followed}
    topic = followed[
        "Spurious warning with macros [#31](https://github.com/heronproj/heron/issues/31)"
    ]
    assert "kira" in topic.owners  # its owner, from its next step
    assert "@kira will look at it; likely a span issue." not in followed
    assert followed["@jonas to open the revert PR"].kind == "action"


def test_an_action_label_may_name_its_owner() -> None:
    note = """# Heron SIG 2031-03-04

## Agenda

- [femi] IPv6 readiness
    - e2e tests are green on two providers
    - AI(@femi): file an issue for the flaky provider

TODO(dara): draft the deprecation notice

## Notes

- [AI] Cleo: ping the CNCF about the booth
- Security audit
    - Vendor picked; kickoff in August. AI: Bo to share the SOW.
"""
    actions = {i.text: i for i in items_of(note) if i.kind == "action"}
    assert actions["AI(@femi): file an issue for the flaky provider"].owners == ["femi"]
    assert actions["TODO(dara): draft the deprecation notice"].owners == ["dara"]
    # In brackets the label needs no colon; after a sentence it labels the rest.
    assert actions["[AI] Cleo: ping the CNCF about the booth"].owners == ["cleo"]
    later = actions["Vendor picked; kickoff in August. AI: Bo to share the SOW."]
    assert later.owners == ["bo"]


def test_a_motion_voted_on_under_a_topic_heading_is_a_decision_not_work() -> None:
    """ "Motion to …" reads like "Ana to …": the motion is no one, and a vote taken on
    it (passed or failed) is the decision in that topic's minutes."""
    note = """# Heron steering 2031-03-04

## Items

### Trademark policy

- Motion to adopt the policy with the meetup exemption: passed 5-0.

### Docs funding

- The plan covers three weeks.
- Motion to grant 2k EUR: failed 2-3.
"""
    found = {i.text: i.kind for i in items_of(note)}
    assert found == {
        "Trademark policy": "topic",
        "Motion to adopt the policy with the meetup exemption: passed 5-0.": "decision",
        "Docs funding": "topic",
        "Motion to grant 2k EUR: failed 2-3.": "decision",
    }


def test_a_decision_recorded_under_an_item_is_a_decision_of_its_own() -> None:
    note = """# Heron SIG 2031-03-04

## Agenda

- Deprecating the legacy proxy mode
    - Concern about users on old kernels
    - **Outcome**: deprecate in 1.34, remove no earlier than 1.37
    - Decision: who reviews it?
"""
    items = items_of(note)
    topic = next(i for i in items if i.text == "Deprecating the legacy proxy mode")
    (decision,) = [i for i in items if i.kind == "decision"]
    assert decision.text == "**Outcome**: deprecate in 1.34, remove no earlier than 1.37"
    assert decision.parent == topic.key
    assert topic.kind == "topic"  # the topic stays followed


def test_a_stand_up_by_person_headings_is_each_persons_work() -> None:
    note = """# Heron standup 2031-03-04

## Lena

- Yesterday: finished the parser refactor PR (#51)
- Today: start on the config loader tests
- Blockers: waiting for review on #51

## Omar

- Yesterday: still trying to reproduce the Windows crash (#60)
- Yesterday:
  - ⏳ watch mode, about half done
  - Cache eviction fix: #440, WIP
  - Memory spike on Windows — still no VM
  - Landed the allocator PR #405
- Blockers: none
"""
    items = {i.text: i for i in items_of(note) if i.followed}
    parser = items["finished the parser refactor PR (#51)"]
    assert (parser.kind, parser.status, parser.owners) == ("action", "done", ["lena"])
    assert items["start on the config loader tests"].status == "open"
    assert items["waiting for review on #51"].meaning == "blocked"
    # Under "Yesterday", what is still being tried is not done.
    crash = items["still trying to reproduce the Windows crash (#60)"]
    assert (crash.status, crash.owners) == ("open", ["omar"])
    # Nor is what the line itself says is under way; the rest is done, as listed.
    statuses = {
        text: items[text].status
        for text in (
            "⏳ watch mode, about half done",
            "Cache eviction fix: #440, WIP",
            "Memory spike on Windows — still no VM",
            "Landed the allocator PR #405",
        )
    }
    assert statuses == {
        "⏳ watch mode, about half done": "open",
        "Cache eviction fix: #440, WIP": "open",
        "Memory spike on Windows — still no VM": "open",
        "Landed the allocator PR #405": "done",
    }
    assert "none" not in items  # "Blockers: none" says there is nothing
    # A name over a stand-up's own labels written as headings is that person too.
    headed = "# Heron standup 2031-03-04\n\n## Lena\n\n**Yesterday**\n\n- landed the cache PR\n"
    (landed,) = [i for i in items_of(headed) if i.followed]
    assert (landed.status, landed.owners) == ("done", ["lena"])
    # A heading naming no person keeps its lines as they are.
    plain = items_of("# Heron sync 2031-03-04\n\n## Agenda\n\n- Today: the release plan\n")
    assert [i.meaning for i in plain] == ["agenda"]


def test_board_minutes_numbered_by_their_agenda_are_topics() -> None:
    note = """# Heron Board Meeting, 7 October 2031

Present: Rosa (chair), Ilya, Kemal.

## 1. Trademark policy

Kemal presented the draft policy; the section on meetups needs softer wording.

Action: Kemal to revise the draft and circulate it before the next meeting.

## 2. Budget 2032

The treasurer's report is late.
"""
    items = items_of(note, path="notes/2031-10-07-board.md")
    followed = [(i.text, i.kind) for i in items if i.followed]
    assert followed == [
        ("Trademark policy", "topic"),
        ("Action: Kemal to revise the draft and circulate it before the next meeting.", "action"),
        ("Budget 2032", "topic"),
    ]
    trademark = items[0]
    assert trademark.children[0].startswith("Kemal presented the draft policy")
    assert items[1].parent == trademark.key


def test_a_numbered_heading_over_only_an_action_is_not_a_topic_beside_it() -> None:
    note = """# Heron Board Meeting, 7 October 2031

## 1. Hosting

Action: Noor to bring a hosting proposal to the December meeting.

## 2. Budget 2032
"""
    followed = [(i.text, i.kind) for i in items_of(note, path="notes/b.md") if i.followed]
    assert followed == [
        ("Action: Noor to bring a hosting proposal to the December meeting.", "action"),
        ("Budget 2032", "topic"),  # on the agenda, nothing said yet
    ]


def test_lazy_box_lines_under_a_bullet_are_its_list() -> None:
    note = """# 2031-03-04 Heron Learning Team

## Topics

- Review last week's action items
  [x] @ Ana L will set up the staging url
  [ ] Banner for the guides JW
"""
    items = {i.text: i for i in items_of(note)}
    assert items["@ Ana L will set up the staging url"].status == "done"
    assert items["@ Ana L will set up the staging url"].owners == ["ana l"]
    assert items["Banner for the guides JW"].status == "open"
    assert "Review last week's action items" not in items


# ---- properties ------------------------------------------------------------------

_WORDS = st.sampled_from(
    ["snapshot", "importer", "release", "quota", "the", "benchmark", "docs", "CDN", "is", "slow"]
)
_SPEECH = st.tuples(
    st.sampled_from(["Ana", "BO", "JW", "Mara", "SC"]), st.lists(_WORDS, min_size=1, max_size=8)
).map(lambda t: f"{t[0]}: {' '.join(t[1])}")


@settings(max_examples=80, deadline=None)
@given(st.lists(_SPEECH, min_size=1, max_size=6))
def test_a_speaker_line_in_the_minutes_never_becomes_an_item(lines: list[str]) -> None:
    note = "# 2031-03-04 Heron Maintainers\n\n## Minutes\n\n" + "".join(
        f"- {line}\n" for line in lines
    )
    assert not [i for i in items_of(note) if i.followed]


@settings(max_examples=60, deadline=None)
@given(st.lists(_SPEECH, min_size=1, max_size=5))
def test_sub_bullets_of_a_topic_never_become_items(lines: list[str]) -> None:
    note = "# 2031-03-04 Heron Maintainers\n\n## Agenda\n\n- Snapshot format v2\n" + "".join(
        f"  - {line}\n" for line in lines
    )
    followed = [i for i in items_of(note) if i.followed]
    assert [i.text for i in followed] == ["Snapshot format v2"]


def test_work_of_its_own_under_an_issue_heading_is_an_item_tied_to_it() -> None:
    note = """# Heron TSC Meeting 2031-03-04

## Strategic initiatives - tracking issue [#423](https://github.com/heronproj/tsc/issues/423)

* Workers: <https://github.com/heronproj/heron/pull/876>
  * Ana submitted the first PR, please take a look.
* Snapshots
  * Bo: still on it, see <https://github.com/heronproj/heron/issues/12>
"""
    followed = {i.text: i for i in items_of(note) if i.followed}
    heading = next(i for i in followed.values() if i.form == "heading")
    workers = followed["Workers: <https://github.com/heronproj/heron/pull/876>"]
    assert workers.refs == ["heronproj/heron#876"] and workers.parent == heading.key
    assert "Snapshots" not in followed  # a status line of the initiative, its context


def test_a_reminder_or_fyi_is_an_announcement_not_a_topic() -> None:
    assert classify_line("[Ilse] Reminder: CFP closes Friday", "agenda").kind == "decision"
    assert classify_line("FYI: the CI bill doubled", "minutes").kind == "decision"
    assert classify_line("Remind maintainers about the CFP", "agenda").kind == "topic"


def test_news_of_the_meetings_own_schedule_is_an_announcement_not_work() -> None:
    """A line saying the calls pause, resume or move is that month's news: listed with
    the highlights once, never followed as pending for weeks after."""
    for line in (
        "Community calls will pause for the holidays starting next week",
        "The weekly sync moves to Thursdays from May",
        "Office hours are cancelled on 24 December",
        "Meetings resume on January 9",
        "Our stand-up is on hold until the release ships",
    ):
        assert classify_line(line, "agenda").kind == "decision", line
    for line in (
        "Move the release call notes to the wiki",
        "Calls for papers: who submits to the summit?",
        "Meeting notes template needs an owner",
    ):
        assert classify_line(line, "agenda").kind == "topic", line


def test_introductions_and_icebreakers_run_the_meeting_and_are_not_work() -> None:
    """ "Briefly introduce yourself, there are new people on the call" is the meeting
    running itself: never a topic left pending; introducing someone or something to
    others elsewhere is still work."""
    for line, meaning in (
        ("[name=Ines] Briefly introduce yourself as there are new people today", "other"),
        ("Quick round of introductions for first-timers", "agenda"),
        ("Introductions", "agenda"),
        ("Icebreaker: which editor do you use?", "agenda"),
        ("Let's introduce ourselves before the demo", "minutes"),
    ):
        assert classify_line(line, meaning).kind == "boilerplate", line  # type: ignore[arg-type]
    for line, meaning in (
        ("Ana to introduce herself to the security team", "agenda"),
        ("Introduction of the new plugin API", "agenda"),
        ("Intro to the release tooling for new maintainers", "agenda"),
        ("Introduce a deprecation policy for the CLI flags", "agenda"),
    ):
        assert classify_line(line, meaning).kind in ("topic", "action"), line  # type: ignore[arg-type]
    # Under an "Introductions" heading, each line is someone saying who they are.
    assert kinds(
        "# 2031-03-04 Heron Sync\n\n## Introductions\n\n- Ana Lima, works on the importer\n"
        "- Bo: new here, interested in the CLI\n\n## Agenda\n\n- Snapshot format v2\n"
    ) == {
        "Ana Lima, works on the importer": "attendance",
        "Bo: new here, interested in the CLI": "attendance",
        "Snapshot format v2": "topic",
    }


def test_a_task_box_naming_its_owner_is_work_even_in_the_minutes() -> None:
    """ "- [ ] @bo write the README" under "## Discussion" is an action; a box with no
    owner there may be the minute-taker's tick of a topic covered."""
    assert classify_line("@bo write the README", "minutes", checked=False).kind == "action"
    assert classify_line("JW: set up the signing key", "minutes", checked=True).kind == "action"
    assert classify_line("Discussed the README", "minutes", checked=True).kind == "discussion"
