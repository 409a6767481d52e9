"""Status words: where people write them, and the look-alikes that are not."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import digest.notes.status as status_module
from digest.config.schema import TrackingConfig
from digest.notes.kinds import action_verb
from digest.notes.status import find_outcome, find_status, reported_done


@pytest.mark.parametrize(
    ("text", "status", "phrase"),
    [
        ("falcon loader -> in flight", "open", "in flight"),
        ("ARM64 emulation done (wohoo)", "done", "done"),
        ("Make errors friendlier -> TBD", "open", "TBD"),
        ("Done in 0.38", "done", "Done in 0.38"),
        ("storage rewrite merged", "done", "merged"),
        ("v2 released", "done", "released"),
        ("shipped", "done", "shipped"),
        ("resolved", "done", "resolved"),
        ("in progress", "open", "in progress"),
        ("cache layer [WIP]", "open", "WIP"),
        ("docs [to-do]", "open", "to-do"),
        ("TODO: the checklist", "open", "TODO"),
        ("review pending", "open", "pending"),
        ("blocked", "open", "blocked"),
        ("on hold", "open", "on hold"),
        ("not started", "open", "not started"),
        ("delayed", "open", "delayed"),
        ("installer -- postponed to 2.6", "open", "postponed to 2.6"),
        ("partially done", "open", "partially done"),
        ("not done", "open", "not done"),
        ("done?", "open", "done?"),
        ("loader PR merged?", "open", "merged"),
        ("Review (-> ETA end of April)", "open", "ETA end of April"),
        ("a bit late", "open", "a bit late"),
        ("old flags -> dropped", "dropped", "dropped"),
        ("won't do", "dropped", "won't do"),
        ("call cancelled", "dropped", "cancelled"),
        ("abandoned", "dropped", "abandoned"),
        ("rejected", "dropped", "rejected"),
        ("stable", "done", "stable"),
        ("In a good shape, stable tentatively for 3.0", "open", "tentatively"),
        ("Complete", "done", "Complete"),
        ("migration complete", "done", "complete"),
        ("Superseded by #40", "dropped", "Superseded"),
        ("half of the flaky tests fixed", "open", "fixed"),
        # After a dash, as after a label's colon, a state may go on.
        ("#311 memory leak — fixed in #320", "done", "fixed"),
        ("#420 Dropdown flickers — closed as dup of #399", "done", "closed"),
        ("Legal review of the font — approved! swap it in 1.9.1", "done", "approved"),
    ],
)
def test_status_phrases(text: str, status: str, phrase: str) -> None:
    assert find_status(text) == (status, phrase)


@pytest.mark.parametrize(
    "text",
    [
        "what can be done about flaky tests?",
        "Various PRs pending in the core and plugins, see the list of open reviews here",
        "Open up the plugin system more",
        "we need to get it done before the freeze and then plan the next steps together",
        "Done: the metrics endpoint",
        "Complete the migration guide",
        "The board approved the budget",
        "",
    ],
)
def test_no_status(text: str) -> None:
    assert find_status(text) is None


def test_configured_words_add_to_the_defaults() -> None:
    tracking = TrackingConfig(done_words=["sorted"], dropped_words=["parked"])
    assert find_status("venue -> sorted", tracking) == ("done", "sorted")
    assert find_status("venue -> parked", tracking) == ("dropped", "parked")
    assert find_status("venue -> sorted") is None


@pytest.mark.parametrize(
    "text",
    [
        "Nadia talked about rolling the agent out (dropped events, crashes, etc.)",
        "look at the pending PR for the exporter",
        "we want the tide model done right",
        "filter blocked syscalls",
        "Orchard 2.1 release is on track",
        # After a label only the state's own place counts: the first words.
        "Bug triage: open discussion about the labels",
        "Joe: the PR that was merged last week broke the build",
        "Roadmap for the next quarter: what should be fixed first?",
    ],
)
def test_status_words_used_as_adjectives_or_nouns_are_no_status(text: str) -> None:
    assert find_status(text) is None


@pytest.mark.parametrize(
    ("text", "status", "phrase"),
    [
        ("we just released the CLI 2.0", "done", "released the CLI 2.0"),
        ("exporter merged orchard#12", "done", "merged orchard#12"),
        ("agent released v0.7.1", "done", "released v0.7.1"),
        ("parser rewrite (already merged)", "done", "merged"),
        ("exporter: pending review", "open", "pending"),
        ("TODO write the migration guide", "open", "TODO"),
        ("docs not yet released", "open", "not yet"),
        ("buoy feed (in progress captured by kai)", "open", "in progress"),
        # A review's "label (owner): state", the state first after the colon.
        ("Landing page (Chidi): merged last week, live now", "done", "merged last week"),
        ("Windows CI (Dana): fixed by enabling long paths", "done", "fixed"),
        ("Docs site: closed #420", "done", "closed"),
        ("Governance doc (Aiko): not started, carry over", "open", "not started"),
        # Markers, wherever in the line; a shortcode as written.
        ("✅ Move CI to the new runners", "done", "✅"),
        ("Move CI to the new runners :white_check_mark:", "done", ":white_check_mark:"),
        ("Docs rewrite 🚧 (ada)", "open", "🚧"),
        # A step done with work left is no end: the item is open.
        ("Release 0.9: feature freeze done, four blockers", "open", "done, four blockers"),
        ("Docs: done, two pages still missing", "open", "done, still missing"),
        # A next part said after the result: the item goes on.
        (
            "Sharding: alpha merged, beta targeted for 1.31",
            "open",
            "merged, beta targeted for 1.31",
        ),
        ("Parser fix merged, pending backport", "open", "merged, pending backport"),
        ("Migration done, but needs a follow-up", "open", "done, but needs a follow-up"),
        ("Parser fix merged, thanks everyone", "done", "merged"),
    ],
)
def test_status_words_where_people_put_them(text: str, status: str, phrase: str) -> None:
    assert find_status(text) == (status, phrase)


# ---- the optimized matcher against a per-phrase reference --------------------

# Text made of every status phrase (in both cases), look-alike contexts and odd
# characters: the Kelvin sign matches "k" under re.I, "\u00e9" is not ASCII.
_PIECES = sorted(
    {
        *(p for p, _ in status_module.status_words()),
        *(p.upper() for p, _ in status_module.status_words()),
        *"adeinoprstw -?:()[]>.,'",
        "can be ",
        "the ",
        "Done:",
        " events",
        "we ",
        "\u212a",
        "\u00e9",
    }
)
_ALPHABET = st.sampled_from(_PIECES)


def _reference_search(
    text: str, span: tuple[int, int], matcher: Any
) -> tuple[int, int, Any, str] | None:
    """Every phrase tried everywhere: its first acceptable match, then the leftmost-longest."""
    lo, hi = span
    zone = text[lo:hi]
    best: tuple[int, int, Any, str] | None = None
    for phrase in matcher.phrases:
        for m in phrase.pattern.finditer(zone):
            if status_module._acceptable(text, lo, zone, m, phrase):
                candidate = (m.start(), -(m.end() - m.start()), phrase.status, m.group(0))
                if best is None or candidate[:2] < best[:2]:
                    best = candidate
                break
    return best


@settings(max_examples=400, deadline=None)
@given(
    text=st.lists(_ALPHABET, max_size=30).map("".join),
    extra=st.lists(st.sampled_from(["sorted", "k-ok", "\u212aelvin", "-> x", "?"]), max_size=2),
)
def test_optimized_matcher_agrees_with_the_per_phrase_reference(
    text: str, extra: list[str]
) -> None:
    matcher = status_module._matcher(TrackingConfig(done_words=extra))
    for span in [(0, len(text)), *status_module._zones(text)]:
        assert status_module._first_match(text, span, matcher) == _reference_search(
            text, span, matcher
        )


@settings(max_examples=400, deadline=None)
@given(
    text=st.lists(_ALPHABET, max_size=30).map("".join),
    extra=st.lists(st.sampled_from(["sorted", "k-ok", "\u212aelvin", "-> x", "?"]), max_size=2),
)
def test_a_zone_has_a_phrase_only_when_the_whole_text_has_one(text: str, extra: list[str]) -> None:
    # find_status looks in the zones only when a phrase starts somewhere in the text.
    matcher = status_module._matcher(TrackingConfig(done_words=extra))
    assert matcher.starts is not None
    if matcher.starts.search(text) is None:
        for span in status_module._zones(text):
            assert status_module._first_match(text, span, matcher) is None


# ---- outcomes written as sentences under an item ------------------------------------


@pytest.mark.parametrize(
    ("sentence", "status"),
    [
        ("Has been merged", "done"),
        ("now closed as the vote was to keep the current limit", "done"),
        ("closed, so assumed resolved", "done"),
        ("issue now closed", "done"),
        ("Approved and progressing", "done"),
        ("[approved](https://github.com/heronproj/heron/pull/8) and accounts added", "done"),
        ("fixed", "done"),
        ("operational, uploading nightly wheels", "done"),
        ("everybody agrees", "done"),
        ("vote was to keep twelve months", "done"),
        ("found the race, fix in #240, merged yesterday", "done"),  # a result and its when
        ("fix merged last week", "done"),
        ("nomination has passed", "done"),
        ("removed from the agenda", "dropped"),
        ("made a comment and took it off the agenda", "dropped"),
        ("we decided we don't want an RFC for it", "dropped"),
        ("no longer needed", "dropped"),
        ("withdrawn by the author", "dropped"),
        ("Being covered by [#803](https://github.com/heronproj/tsc/issues/803)", "dropped"),
        ("superseded by heronproj/heron#412", "dropped"),
        ("duplicate of #12", "dropped"),
        ("we have a chair and vice-chairs!", "done"),
        ("We now have two co-chairs", "done"),
        ("no consensus yet", "open"),
        ("No decision; revisit in June", "open"),
        ("could not come to a resolution", "open"),
        ("vote is now open", "open"),
        ("not merged yet", "open"),
    ],
)
def test_outcome_sentences(sentence: str, status: str) -> None:
    found = find_outcome(sentence)
    assert found is not None and found[0] == status, found


@pytest.mark.parametrize(
    "sentence",
    [
        "remove the agenda tag until there is a proposal",
        "will take it off the agenda once the PR lands",
        "plan to land tomorrow",
        "PR needs to be approved before CI can run",
        "On the agenda so that we can get more approvals",
        "no opposition, should just move forward",
        "agreed to include it via a branch",  # a decision on how to go on
        "Resolution: meet again on the 19th",
        "merged?",
        "Released `heron-cli` with the fix",  # a result of something else
        "the team will be approvers of the nominees",
        "feature freeze done, four blockers",  # a step done, the item goes on
        "merged, but two follow-ups remain",
        "will be covered by #803 once it lands",
        "covered by the docs team",
        "we will have a chair soon",
        "do we have a chair?",
        "Search: still broken, Tomás is out; nobody else has access",  # he is away
        "Agreed on May 4-5, Anna to send out the email",  # the work goes on
    ],
)
def test_no_outcome_from_plans_conditions_questions_or_other_things(sentence: str) -> None:
    assert find_outcome(sentence) is None


def test_an_outcome_further_into_a_long_sentence_is_about_something_else() -> None:
    long = "Ralf said it was fine, the other project moved slowly, and Numpy has done it already"
    assert find_outcome(long) is not None
    assert find_outcome(long, lead_words=4) is None
    assert find_outcome("now closed as the vote was to keep it", lead_words=4) is not None


@pytest.mark.parametrize(
    "sentence",
    ["e2e tests merged, GA approved by the SIG", "moved to beta, merged", "fixed by #4399"],
)
def test_a_short_subject_and_its_result_is_an_outcome(sentence: str) -> None:
    assert find_outcome(sentence) is not None and find_outcome(sentence)[0] == "done"  # type: ignore[index]


def test_a_status_word_in_a_condition_is_no_status() -> None:
    assert find_status("ship 2.0 on March 14 if the regressions are fixed") is None
    assert find_status("ship 2.0 on March 14, the regressions are fixed") is not None


def test_an_arrow_to_a_result_ending_a_line_is_an_outcome() -> None:
    assert find_outcome("Root cause found: a kernel regression, fix is in 6.9.3 -> closed") == (
        "done",
        "-> closed",
    )
    assert find_outcome("-> released 0.33.0") == ("done", "-> released 0.33.0")
    assert find_outcome("if approved -> merged") is None  # conditional
    assert find_outcome("land it -> merged next week?") is None  # asked


# ---- an action's own verb said back as its state ----------------------------------


@pytest.mark.parametrize(
    ("line", "verb"),
    [
        ("Action: Rosa to post the call for volunteers.", "post"),
        ("@mora write the 2.0 migration guide", "write"),
        ("Chidi: open a PR with the new landing page", "open"),
        ("[ ] RT: ping the forum admins about the blog", "ping"),
        ("RM, KG: pair on the proposed guides outline", "pair"),
        ("Ana and Bo to draft the grant application", "draft"),
        ("AI: send the survey", "send"),
        ("The website redesign", None),  # an article is no verb
    ],
)
def test_the_verb_an_action_starts_with(line: str, verb: str | None) -> None:
    assert action_verb(line) == verb


@pytest.mark.parametrize(
    ("verb", "forms"),
    [
        ("post", ("posted",)),
        ("share", ("shared",)),
        ("apply", ("applied",)),
        ("submit", ("submited", "submitted")),
        ("send", ("sent",)),
        ("write", ("written", "wrote")),
        ("set", ()),  # "set" either way: no answer can be told from a plan
    ],
)
def test_past_forms(verb: str, forms: tuple[str, ...]) -> None:
    assert status_module.past_forms(verb) == forms


@pytest.mark.parametrize(
    ("line", "verb", "said"),
    [
        ("Call for volunteers: posted, three people replied", "post", "posted"),
        ("FOSDEM talk (Dana): submitted", "submit", "submitted"),
        ("survey sent (Ana)", "send", "sent"),
        ("talk -> submitted", "submit", "submitted"),
        ("survey not sent yet", "send", None),
        ("survey to be sent next week", "send", None),
        ("call posted?", "post", None),
        ("once the call is posted we pick the committee", "post", None),
        # Not where a state is written: further into a sentence it is something else.
        ("We went through the posted notes line by line with the whole team", "post", None),
    ],
)
def test_an_actions_own_verb_in_the_past_is_its_result(
    line: str, verb: str, said: str | None
) -> None:
    assert status_module.echoed_result(line, verb) == said


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("@eli: finished the TLS migration (#71)", ("done", "finished")),
        ("Merged the cache PR", ("done", "Merged")),
        ("Landed another PR to speed up start-up", ("done", "Landed")),
        # Not a report: no object, a label, a plan, or more to come in the clause.
        ("Fixed costs are rising", None),
        ("Merged PRs this week:", None),
        ("Will have finished the draft by Friday", None),
        ("Finished the draft, waiting for review", None),
        # Done to the work, in its first clause ("May" is the month here).
        ("The bootloader fix (#77) was merged on 18 May and rollouts resumed", ("done", "merged")),
        ("The grant report was submitted on 29 May.", ("done", "submitted")),
        ("The PR was not merged yet", None),
        ("It may be merged next week", None),
    ],
)
def test_a_line_reporting_its_work_done_by_its_verb(
    line: str, found: tuple[str, str] | None
) -> None:
    assert reported_done(line) == found
