"""Threads: which mentions in later meetings are the same item."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from typing import Any

from digest.config.schema import TrackingConfig
from digest.model import Item, Thread
from digest.notes.refs import canonical_refs
from digest.tracking.threads import build_threads, effective_status, normalize_tokens, read_echoes

TRACKING = TrackingConfig()


def item(day: str, text: str, line: int = 10, **kw: Any) -> Item:
    """A tracked item of the "Otter Maintainers" meeting held on `day`."""
    d = date.fromisoformat(day)
    defaults: dict[str, Any] = {
        "meeting_id": f"otter:notes/{day}.md:{day}",
        "series": "Otter Maintainers",
        "meeting_date": d,
        "form": "list",
        "meaning": "agenda",
        "section": ("Agenda",),
        "text": text,
        "path": f"notes/{day}.md",
        "line": line,
        "end_line": line,
        "source": "otter",
    }
    defaults.update(kw)
    return Item(**defaults)


def thread_of(threads: list[Thread], it: Item) -> Thread:
    return next(t for t in threads if any(i.key == it.key for i in t.items))


def test_renamed_item_sharing_another_forges_issue_link_is_one_thread() -> None:
    url = "https://gitlab.com/otterdb/otter/-/issues/88"
    found = canonical_refs(url)
    first = item("2031-03-04", f"Shrink the snapshot format {url}", refs=found)
    renamed = item(
        "2031-04-01", f"Compaction of on-disk snapshots ({url}) -> in progress", refs=found
    )
    threads = build_threads([first, renamed], TRACKING)
    assert len(threads) == 1
    assert threads[0].joins[1].reason == "ref"


def test_renamed_item_sharing_an_issue_link_is_one_thread() -> None:
    first = item(
        "2031-03-04",
        "Shrink the snapshot format [otter#88](https://github.com/otterdb/otter/issues/88)",
        refs=["otterdb/otter#88"],
    )
    renamed = item(
        "2031-04-01",
        "Compaction of on-disk snapshots, see otter#88 -> in progress",
        refs=["otterdb/otter#88"],
        status="open",
        status_phrase="in progress",
    )
    threads = build_threads([first, renamed], TRACKING)
    assert len(threads) == 1
    assert [i.key for i in threads[0].items] == [first.key, renamed.key]
    assert threads[0].id == first.key
    join = threads[0].joins[1]
    assert join.reason == "ref"
    assert "otterdb/otter#88" in join.detail


def test_a_bare_issue_number_joins_the_work_it_names() -> None:
    # "#77" with no repository named is still one issue of the project's notes.
    action = item("2031-05-13", "Keiko to get #77 reviewed and merged", refs=["#77"])
    news = item("2031-06-10", "The bootloader fix (#77) landed", refs=["#77"])
    threads = build_threads([action, news], TRACKING)
    assert thread_of(threads, news) is thread_of(threads, action)


def test_a_numbered_proposal_joins_its_mentions_whatever_the_words() -> None:
    fcp = item("2031-04-08", "RFC 12 (async hooks): FCP started", refs=["RFC-12"])
    merged = item("2031-05-06", "RFC 12: implementation merged in #320", refs=["RFC-12"])
    threads = build_threads([fcp, merged], TRACKING)
    assert thread_of(threads, merged) is thread_of(threads, fcp)


def test_a_line_of_a_topics_minutes_that_is_an_item_is_no_text_of_the_topic() -> None:
    # "Owen to tell the distros" is an action of its own under the topic's heading:
    # what is said of it later goes to the action, not to the topic holding the line.
    topic = item(
        "2031-05-19",
        "LTS",
        10,
        form="heading",
        children=["Decision: no LTS branch", "Owen to tell the distro maintainers"],
    )
    action = item(
        "2031-05-19",
        "Owen to tell the distro maintainers",
        12,
        kind="action",
        owners=["owen"],
        parent=topic.key,
        status="open",
    )
    told = item(
        "2031-06-16",
        "Owen: replied to the distro maintainers — done",
        10,
        kind="action",
        owners=["owen"],
        status="done",
        meaning="review",
        section=("Review of actions",),
    )
    threads = build_threads([topic, action, told], TRACKING)
    assert thread_of(threads, told) is thread_of(threads, action)
    assert thread_of(threads, topic) is not thread_of(threads, action)


def test_an_issue_naming_another_is_its_own_not_the_one_it_names() -> None:
    first = item("2031-04-08", "#412 Slider jumps on touch devices", refs=["#412"])
    other = item(
        "2031-05-06",
        "#441 Export fails after the #412 workaround, probably the same root cause",
        refs=["#441", "#412"],
    )
    again = item("2031-05-06", "#412 still reproduces on Android 14", 12, refs=["#412"])
    threads = build_threads([first, other, again], TRACKING)
    assert thread_of(threads, other) is not thread_of(threads, first)
    assert thread_of(threads, again) is thread_of(threads, first)


def test_a_releases_checklist_box_is_not_the_same_box_of_another_release() -> None:
    def box(day: str, release: str, checked: bool) -> Item:
        return item(
            day,
            "changelog",
            form="task",
            kind="action",
            checked=checked,
            status="done" if checked else "open",
            section=(f"Release {release} checklist",),
        )

    old, new, ticked = (
        box("2031-04-08", "1.9", True),
        box("2031-06-03", "2.0", False),
        box("2031-06-17", "2.0", True),
    )
    threads = build_threads([old, new, ticked], TRACKING)
    assert thread_of(threads, new) is not thread_of(threads, old)
    assert thread_of(threads, ticked) is thread_of(threads, new)


def test_what_a_line_is_about_comes_before_its_dash() -> None:
    # The news after the dash changes from one meeting to the next; the subject stays.
    may = item("2031-05-26", "2.1 milestone cleanup — @lin out this week, next time")
    june = item("2031-06-09", "2.1 milestone cleanup — @lin moved 14 issues to 2.2, done")
    other = item("2031-06-09", "Docs cleanup — @ana moved the old pages", 12)
    threads = build_threads([may, june, other], TRACKING)
    assert thread_of(threads, june) is thread_of(threads, may)
    assert thread_of(threads, other) is not thread_of(threads, may)


def test_different_items_with_similar_words_are_not_joined() -> None:
    a = item("2031-03-04", "Write the release notes for the 2.0 storage engine")
    b = item("2031-04-01", "Benchmark the storage engine against the 1.x line")
    threads = build_threads([a, b], TRACKING)
    assert len(threads) == 2


def test_same_item_with_a_new_status_joins_by_text() -> None:
    a = item(
        "2031-03-04", "Move the CI runners to the new cluster (in flight @mara)", owners=["mara"]
    )
    b = item(
        "2031-04-01",
        "Move CI runners to new cluster -> done",
        status="done",
        status_phrase="done",
    )
    (thread,) = build_threads([a, b], TRACKING)
    assert thread.joins[1].reason == "text"
    assert thread.joins[1].score >= TRACKING.similarity


def test_table_rows_join_by_row_key_whatever_their_text() -> None:
    a = item("2031-03-04", "Storage — Tiered compaction", form="row", row_key="storage / tiered")
    b = item(
        "2031-05-06", "Storage — Tiered (cold) compaction", form="row", row_key="storage / tiered"
    )
    (thread,) = build_threads([a, b], TRACKING)
    assert thread.joins[1].reason == "row"


def test_one_item_per_meeting_joins_a_thread_and_the_closer_one_wins() -> None:
    a = item("2031-03-04", "Rotate the signing key for release artifacts", refs=["otterdb/otter#5"])
    loose = item(
        "2031-04-01", "Audit log retention, related to otter#5", 10, refs=["otterdb/otter#5"]
    )
    close = item(
        "2031-04-01", "Rotate the release artifacts signing key", 12, refs=["otterdb/otter#5"]
    )
    threads = build_threads([a, loose, close], TRACKING)
    assert thread_of(threads, a) is thread_of(threads, close)
    assert thread_of(threads, loose) is not thread_of(threads, a)
    assert len(threads) == 2


def test_a_hub_reference_alone_stops_joining_unrelated_items() -> None:
    hub = ["otterdb/otter#1000"]  # the 1.0 tracking issue, mentioned everywhere
    first = [
        item("2031-03-04", "Drop the legacy wire protocol (otter#1000)", 10, refs=hub),
        item("2031-03-04", "Stabilize the plugin API for 1.0 (otter#1000)", 12, refs=hub),
        item("2031-03-04", "Document the upgrade path to 1.0 (otter#1000)", 14, refs=hub),
    ]
    unrelated = item("2031-04-01", "Fuzz the query parser nightly (otter#1000)", 10, refs=hub)
    related = item("2031-04-01", "Plugin API stabilization for 1.0 (otter#1000)", 12, refs=hub)
    threads = build_threads([*first, unrelated, related], TRACKING)
    assert len(thread_of(threads, unrelated).items) == 1
    assert thread_of(threads, related) is thread_of(threads, first[1])


def test_text_joins_only_look_back_forget_after_meetings() -> None:
    tracking = TrackingConfig(quiet_after=1, forget_after=2)
    days = ["2031-01-07", "2031-02-04", "2031-03-04", "2031-04-01", "2031-05-06"]
    items = [item(days[0], "Migrate the website to the new static generator")]
    items += [item(d, f"Unrelated topic number {n} about budgets") for n, d in enumerate(days[1:4])]
    items.append(item(days[4], "Migrate website to new static generator"))
    threads = build_threads(items, tracking)
    assert len(thread_of(threads, items[0]).items) == 1


def test_open_threads_stay_candidates_longer_than_forgotten_ones() -> None:
    tracking = TrackingConfig(quiet_after=1, forget_after=2)
    days = ["2031-01-07", "2031-02-04", "2031-03-04", "2031-04-01"]
    a = item(days[0], "Migrate the website to the new static generator [ ]", status="open")
    filler = [item(d, f"Budget line {n} for travel grants") for n, d in enumerate(days[1:3])]
    b = item(days[3], "Migrate website to new static generator")
    threads = build_threads([a, *filler, b], tracking)
    assert thread_of(threads, a) is thread_of(threads, b)


def test_highlights_and_other_series_are_not_mixed_in() -> None:
    a = item("2031-03-04", "Rotate the signing key")
    h = item("2031-04-01", "Rotate the signing key", kind="decision", meaning="announcements")
    other = item("2031-04-01", "Rotate the signing key", series="Otter Community Call")
    threads = build_threads([a, h, other], TRACKING)
    assert sorted(len(t.items) for t in threads) == [1, 1]
    assert {t.series for t in threads} == {"Otter Maintainers", "Otter Community Call"}


def test_same_input_gives_the_same_threads_in_any_order() -> None:
    items = [
        item("2031-03-04", "Rotate the signing key", 10),
        item("2031-03-04", "Shrink snapshot format otter#88", 12, refs=["otterdb/otter#88"]),
        item("2031-04-01", "Snapshot format v3 (otter#88)", 10, refs=["otterdb/otter#88"]),
        item("2031-04-01", "Rotate signing key -> done", 12, status="done"),
    ]
    forward = build_threads(items, TRACKING)
    backward = build_threads(list(reversed(items)), TRACKING)
    assert [(t.id, [i.key for i in t.items]) for t in forward] == [
        (t.id, [i.key for i in t.items]) for t in backward
    ]
    assert len(forward) == 2


def test_normalize_drops_links_owners_status_and_folds_plurals() -> None:
    words = normalize_tokens(
        "[mara] Partial rule overrides [docs](https://x.example/y) @ossi -> in progress",
        "in progress",
    )
    # Words are folded to a crude stem, so plurals and verb forms meet.
    assert words == ["partial", "rule", "overrid", "doc"]
    assert normalize_tokens("triaged the rc1 reports") == normalize_tokens("triage the rc1 report")


def test_effective_status_ignores_mentions_without_status() -> None:
    a = item("2031-03-04", "x", status="open")
    b = item("2031-04-01", "x")
    assert effective_status([a, b]) == "open"
    assert effective_status([b]) == "unknown"


def test_a_reference_only_in_sub_bullets_needs_similar_text() -> None:
    umbrella = item(
        "2031-03-04",
        "Plan the 2.0 release",
        refs=["otterdb/otter#77"],
        children=["see otter#77 for the storage rework"],
    )
    unrelated = item(
        "2031-04-01",
        "Conference talk proposals",
        refs=["otterdb/otter#77"],
        children=["one of them about otter#77"],
    )
    threads = build_threads([umbrella, unrelated], TRACKING)
    assert len(threads) == 2


def test_under_a_follow_up_heading_a_looser_match_and_sub_bullets_count() -> None:
    section = ("Agenda", "Items to check in from last time")
    last_time = item(
        "2031-03-04",
        "Longer-term ideas",
        children=["Work on IPv6?", "Other signals we need more urgently?"],
    )
    overrides = item("2031-03-04", "Consolidated approach to partial config overrides", 12)
    follow_ups = [
        item("2031-04-01", "Work on IPv6 listener? -> TBD", 20, section=section, status="open"),
        item("2031-04-01", "Configs for partial overrides in flight", 21, section=section),
    ]
    threads = build_threads([last_time, overrides, *follow_ups], TRACKING)
    assert thread_of(threads, follow_ups[0]) is thread_of(threads, last_time)
    assert "detail line" in thread_of(threads, last_time).joins[1].detail
    assert thread_of(threads, follow_ups[1]) is thread_of(threads, overrides)
    # The same words outside such a heading start their own thread.
    plain = [item(d.meeting_date.isoformat(), d.text, d.line) for d in follow_ups]
    threads = build_threads([last_time, overrides, *plain], TRACKING)
    assert len(thread_of(threads, plain[0]).items) == 1


def test_the_same_peoples_work_carried_over_in_other_words_continues() -> None:
    section = ("Action items from last meeting",)
    moved = item(
        "2031-04-14",
        "@dmitri & @ana move the API reference to the new generator",
        10,
        kind="action",
        owners=["dmitri", "ana"],
        section=("Action items",),
        meaning="actions",
    )
    others = item(
        "2031-04-14",
        "@bo write the API changelog for the new generator",
        11,
        kind="action",
        owners=["bo"],
        section=("Action items",),
        meaning="actions",
    )
    carried = item(
        "2031-04-28",
        "@dmitri / @ana API reference migration — waiting on upstream",
        10,
        kind="action",
        owners=["ana", "dmitri"],
        section=section,
        meaning="review",
    )
    threads = build_threads([moved, others, carried], TRACKING)
    assert thread_of(threads, carried) is thread_of(threads, moved)


def test_a_check_in_item_continues_the_meeting_its_heading_names() -> None:
    section = ("Agenda", "Some items to check in from last time (see notes from 2031-03-04)")
    march = [
        item("2031-03-04", "riscv64 support", 10),
        item("2031-03-04", "finalizing histograms and the perf CI (extend histograms later)", 11),
        item("2031-03-04", "perf cleanups?", 12),
    ]
    # Another meeting in between: the heading names March, not "the previous one".
    between = item("2031-03-18", "Triage the Debian packaging bug", 10)
    april = [
        item("2031-04-01", "riscv64 emulation done (wohoo)", 20, section=section, status="done"),
        item("2031-04-01", "perf histograms extension -> in progress", 21, section=section),
        item("2031-04-01", "Quota enforcement for tenants", 22, section=section),
    ]
    threads = build_threads([*march, between, *april], TRACKING)
    assert thread_of(threads, april[0]) is thread_of(threads, march[0])
    assert "follows up on 'riscv64 support'" in thread_of(threads, april[0]).joins[1].detail
    # The text sharing more of the item's weighted words wins over "perf cleanups?".
    assert thread_of(threads, april[1]) is thread_of(threads, march[1])
    # Not found: its own thread, and the join says where the humans say it comes from.
    quota = thread_of(threads, april[2])
    assert len(quota.items) == 1
    assert "carried over from the meeting of 2031-03-04" in quota.joins[0].detail


def test_a_review_heading_of_any_wording_follows_up_on_the_last_meeting() -> None:
    # "Review of last actions" names no "last time" or "follow-up": its meaning (a
    # review of earlier actions) is what says the items are last meeting's.
    october = [
        item("2031-10-06", "Chidi: open a PR with the new landing page", 10, owners=["chidi"]),
        item("2031-10-06", "Dana: fix the flaky CI on Windows", 11, owners=["dana"]),
    ]
    review = ("Review of last actions",)
    november = [
        item(
            "2031-11-03",
            "Landing page PR (Chidi): merged last week",
            20,
            meaning="review",
            section=review,
            owners=["chidi"],
            status="done",
        ),
        item("2031-11-03", "Windows CI (Dana): fixed", 21, meaning="review", section=review),
    ]
    threads = build_threads([*october, *november], TRACKING)
    assert thread_of(threads, november[0]) is thread_of(threads, october[0])
    assert thread_of(threads, november[1]) is thread_of(threads, october[1])
    # Not under a review, the reworded label is a new topic.
    plain = item("2031-11-03", november[0].text, 20)
    threads = build_threads([*october, plain], TRACKING)
    assert len(thread_of(threads, plain).items) == 1


def test_an_exact_restatement_wins_over_a_text_merely_containing_its_words() -> None:
    # A short text inside a longer one scores 100 too: once "API docs" has joined the
    # older thread, both threads score 100 for the restated action. The restatement
    # shares every word with its own thread, the other thread only "api docs".
    broad = item("2031-03-04", "API docs site infrastructure", 10)
    action = item("2031-03-11", "TJ: go/no-go call on the API docs launch", 10, owners=["tj"])
    short = item("2031-03-18", "API docs", 10)
    ticked = item(
        "2031-03-25",
        "TJ: go/no-go call on the API docs launch",
        10,
        owners=["tj"],
        status="done",
    )
    threads = build_threads([broad, action, short, ticked], TRACKING)
    assert thread_of(threads, action) is not thread_of(threads, broad)
    assert thread_of(threads, ticked) is thread_of(threads, action)


def test_a_topic_said_again_joins_its_own_words_not_a_longer_text_holding_them() -> None:
    # "Plugin API RFC" is in "Draft the plugin API RFC" as much as in itself: both
    # threads score 100 and share the same words. The one adding no words of its own
    # is the topic; the action (done since) is another thread.
    draft = item("2031-05-06", "Draft the plugin API RFC", 10, owners=["pia"], kind="action")
    drafted = item(
        "2031-05-20", "Draft the plugin API RFC", 10, owners=["pia"], kind="action", status="done"
    )
    topic = item("2031-05-20", "Plugin API RFC", 20)
    again = item("2031-06-03", "Plugin API RFC", 20)
    threads = build_threads([draft, drafted, topic, again], TRACKING)
    assert thread_of(threads, drafted) is thread_of(threads, draft)
    assert thread_of(threads, again) is thread_of(threads, topic)
    assert thread_of(threads, again) is not thread_of(threads, draft)


def test_the_same_words_outside_a_check_in_list_do_not_join_loosely() -> None:
    march = item("2031-03-04", "riscv64 support", 10)
    april = item("2031-04-01", "riscv64 emulation done (wohoo)", 20, status="done")
    threads = build_threads([march, april], TRACKING)
    assert thread_of(threads, april) is not thread_of(threads, march)
    assert thread_of(threads, april).joins[0].detail == "first mention"


def test_a_stand_up_done_continues_the_same_persons_next_reworded() -> None:
    """ "Next: triage the rc1 bug reports" then "Done: triaged the rc1 bug reports":
    the same person's work, even when the Done cites an issue another thread has."""
    older = item(
        "2031-03-04",
        "find out why the spool test fails (heron#201)",
        refs=["herondb/heron#201"],
        owners=["ana"],
    )
    planned = item(
        "2031-03-11",
        "triage the rc1 bug reports",
        form="person",
        meaning="next",
        kind="action",
        owners=["ana"],
        status="open",
    )
    done = item(
        "2031-03-18",
        "triaged the rc1 bug reports (heron#201)",
        form="person",
        meaning="done",
        kind="action",
        owners=["ana"],
        status="done",
        refs=["herondb/heron#201"],
    )
    someone_else = item(
        "2031-03-18",
        "triaged the rc1 bug reports",
        20,
        form="person",
        meaning="done",
        kind="action",
        owners=["bo"],
        status="done",
    )
    threads = build_threads([older, planned, done, someone_else], TRACKING)
    assert [i.key for i in thread_of(threads, planned).items] == [planned.key, done.key]
    assert thread_of(threads, planned).joins[1].detail.startswith("done by the same person")
    assert len(thread_of(threads, someone_else).items) == 1


# Run in child interpreters with different string hashes: word sets iterate in another
# order there, and a score summed in that order may differ in its last bits.
_SCORES = """
import itertools, random
from digest.tracking.threads import Vocabulary
rng = random.Random(3)
words = "harden audit sink compatibility shim refactor helm chart probe loader docs".split()
texts = [" ".join(rng.sample(words, rng.randint(2, 6))) for _ in range(40)]
vocabulary = Vocabulary(t.split() for t in texts)
topics = [vocabulary.text(t) for t in texts]
print([vocabulary.overlap(a, b).hex() for a, b in itertools.combinations(topics, 2)])
"""


def test_similarity_scores_do_not_depend_on_the_interpreters_string_hashes() -> None:
    """Found on a generated history: two equal claims on one thread were told apart by
    scores summed in set order, so the same notes gave another digest on another run."""
    outputs = {
        subprocess.run(
            [sys.executable, "-c", _SCORES],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(4)
    }
    assert len(outputs) == 1


def test_a_mention_saying_the_actions_verb_in_the_past_closes_it() -> None:
    asked = item("2031-10-06", "Rosa to post the call for volunteers", kind="action")
    topic = item("2031-10-06", "Call for volunteers", kind="topic")
    answered = item("2031-11-03", "Call for volunteers: posted, three replied", kind="topic")
    undone = item("2031-11-03", "Call for volunteers: not posted yet", kind="topic")
    read = read_echoes([asked, answered])
    assert (read[1].status, read[1].status_phrase) == ("done", "posted")
    assert read_echoes([asked, undone])[1].status == "unknown"
    # The verb is an action's: after a topic "posted" says nothing of the work.
    assert read_echoes([topic, answered])[1].status == "unknown"
    # A status the line states itself is kept.
    stated = item(
        "2031-11-03", "Call: posted, in review", kind="topic", status="open", status_phrase="x"
    )
    assert read_echoes([asked, stated])[1].status == "open"


def test_a_detail_line_claims_an_item_only_by_more_than_a_couple_of_words() -> None:
    broad = item(
        "2031-03-04",
        "How to push the docs effort forward?",
        children=["API docs", "working on the workshop for the spring summit"],
    )
    # Two common words of a detail line inside a longer item: another piece of work.
    creds = item("2031-03-11", "Help Ana set up the S3 credentials for the API docs deployment")
    # The detail line's own subject, said again with more words: the same work.
    workshop = item(
        "2031-03-11", "Team working on the workshop for the spring summit, see you there", 11
    )
    threads = build_threads([broad, creds, workshop], TRACKING)
    assert len(thread_of(threads, creds).items) == 1
    assert thread_of(threads, workshop) is thread_of(threads, broad)
    assert "detail line" in thread_of(threads, broad).joins[1].detail


def summary_action(day: str, text: str, line: int, **kw: Any) -> Item:
    """An entry of the meeting's "Action items" list (a table row with `row_key`)."""
    form = "row" if "row_key" in kw else "list"
    return item(
        day,
        text,
        line,
        kind="action",
        form=form,
        meaning="actions",
        section=("Action items",),
        **kw,
    )


def test_an_action_and_its_restatement_in_the_summary_are_one_thread() -> None:
    """Minutes that say an action where it came up and again in their action table
    (other words, the owner's handle or name) follow one action."""
    said = item(
        "2031-09-08", "AI: @bochen to write the e2e test plan", 12, kind="action", owners=["bochen"]
    )
    row = summary_action(
        "2031-09-08",
        "Write the e2e test plan for the snapshots — Due: 2031-09-22",
        30,
        row_key="write the e2e test plan for the snapshots",
        owners=["bo"],
    )
    other = summary_action(
        "2031-09-08", "Write the release notes", 31, row_key="write the release notes"
    )
    threads = build_threads([said, row, other], TRACKING)
    assert thread_of(threads, row) is thread_of(threads, said)
    assert thread_of(threads, other) is not thread_of(threads, said)

    # The next step of an action done in the meeting is another action.
    done = item(
        "2031-09-08",
        "RM: invite Teddy to the learning team (will need to schedule a meeting)",
        5,
        kind="action",
        owners=["rm"],
        status="done",
    )
    next_step = summary_action("2031-09-08", "RM: schedule a meeting with Teddy", 30, owners=["rm"])
    threads = build_threads([done, next_step], TRACKING)
    assert thread_of(threads, next_step) is not thread_of(threads, done)


def test_a_meeting_copied_into_another_note_is_found_as_the_copy() -> None:
    """Same series, day and lines: the later committed one is the copy; an edited copy,
    or the same lines on another day, is a meeting of its own."""
    from datetime import UTC, datetime

    from digest.tracking.threads import copied_meetings

    def said(path: str, day: str, text: str, committed: int) -> list[Item]:
        at = datetime(2031, 9, committed, tzinfo=UTC)
        meeting = f"otter:{path}:{day}"
        return [
            item(day, text, 10, meeting_id=meeting, path=path, committed_at=at),
            item(day, "Release 2.0 planning", 11, meeting_id=meeting, path=path, committed_at=at),
        ]

    original = said("notes/2031-09-08.md", "2031-09-08", "Shrink the snapshots", 9)
    archive = said("notes/release-2.0.md", "2031-09-08", "Shrink  the snapshots", 30)
    edited = said("notes/release-2.1.md", "2031-09-08", "Shrink the snapshots -> done", 30)
    other_day = said("notes/2031-09-22.md", "2031-09-22", "Shrink the snapshots", 23)
    found = copied_meetings([*archive, *edited, *original, *other_day])
    assert found == {archive[0].meeting_id}
