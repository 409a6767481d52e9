"""A series' own habits, learnt from its history: what a tick means, what is template text."""

from __future__ import annotations

from test_threads import item

from digest.config.schema import TrackingConfig
from digest.model import Item
from digest.tracking.conventions import (
    SeriesConventions,
    infer_box_meaning,
    infer_conventions,
    read_as,
    recurring_texts,
)
from digest.tracking.threads import build_threads

DAYS = [f"2031-{m:02d}-{d:02d}" for m in (1, 2, 3) for d in (6, 13, 20, 27)]


def box(day: str, text: str, ticked: bool, line: int = 10, **kw: object) -> Item:
    return item(
        day,
        text,
        line,
        form="task",
        kind="action",
        checked=ticked,
        status="done" if ticked else "open",
        status_phrase="[x]" if ticked else "[ ]",
        **kw,
    )


def test_ticked_in_a_later_meeting_means_done() -> None:
    items = [
        box(DAYS[0], "AL: publish the notes", False, owners=["al"]),
        box(DAYS[1], "AL: publish the notes", True, owners=["al"]),
        box(DAYS[0], "BO: ask the CDN", False, 12, owners=["bo"]),
    ]
    meaning, why = infer_box_meaning(build_threads(items, TrackingConfig()))
    assert meaning == "done"
    assert "1 of 1 ticked boxes were ticked in a later meeting" in why


def test_ticked_in_the_meeting_they_appear_in_means_discussed() -> None:
    items = [box(d, f"Topic number {n} for the call", True, n) for n, d in enumerate(DAYS[:6])]
    threads = build_threads(items, TrackingConfig())
    meaning, why = infer_box_meaning(threads)
    assert meaning == "discussed" and "ticked in the meeting they first appeared in" in why
    read = [read_as(t.items, SeriesConventions("Heron", boxes=meaning)) for t in threads]
    assert {i.status for items in read for i in items} == {"unknown"}


def test_boxes_never_ticked_only_mark_tasks() -> None:
    items = [box(DAYS[0], "Write the guide", False), box(DAYS[1], "Write the guide", False)]
    assert infer_box_meaning(build_threads(items, TrackingConfig()))[0] == "none"


def test_template_lines_and_chores_are_not_followed() -> None:
    items = [item(d, "Review last week's action items", 5) for d in DAYS]
    items += [box(d, "The facilitator uploads the notes AL", True, 6) for d in DAYS[:4]]
    # A carried action repeats too: with an owner it is work, not template text.
    items += [item(d, "BO: update the CDN quota", 7, owners=["bo"]) for d in DAYS]
    recurring = recurring_texts(items)
    assert recurring == {"review last week's action items", "the facilitator uploads the notes"}
    kept = {i.text for i in read_as(items, SeriesConventions("Heron", recurring=recurring))}
    assert kept == {"BO: update the CDN quota"}


def test_a_line_repeated_a_few_times_is_not_template_text() -> None:
    items = [item(d, "Snapshot format", 5) for d in DAYS[:3]]
    assert recurring_texts(items) == frozenset()


def test_conventions_name_owner_forms_and_action_sections() -> None:
    items = [
        item(DAYS[0], "[name=Ana] snapshot format", owners=["ana"]),
        item(DAYS[0], "[bo] the importer", 12, owners=["bo"]),
        item(
            DAYS[1],
            "JW: ping the docs team",
            kind="action",
            owners=["jw"],
            section=("Action items",),
        ),
    ]
    (found,) = infer_conventions({"Heron": items}).values()
    assert dict(found.owner_forms) == {
        "[name=…] before the text": 1,
        "[handle] before the text": 1,
        "initials or a name and a colon (‘JW: …’)": 1,
    }
    assert found.action_sections == (("Action items", 1),)
