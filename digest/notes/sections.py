"""What a section of a meeting note is for, from its headings (pure).

Headings carry meaning in every project's notes: who came, what is on the agenda,
who does what next, what was decided, what was said. `section_meaning` reads the
heading path of a section, innermost heading first, and returns the meaning of the
nearest heading that has one: a heading that only names a repository
("nodejs/node"), a person, a date or a topic ("Mission Statement") inherits its
parent's meaning, so the bullets under "## Agenda > ### nodejs/node" are agenda
entries and those under "## Minutes > #### Mission Statement" are minutes.

Within one heading the most specific phrase wins: "Need decision" asks for a
decision (an agenda entry), "Decisions" records them; "Next meeting date" is
boilerplate, "Next" a stand-up's plans; "Review last week's action items" reviews
earlier actions, "New action items" lists new ones. Common English names are built
in; [tracking] sections (config) add names per meaning.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Literal

from digest.notes.reading import READING_VERSION, legacy_names, reading_settings
from digest.notes.text import link_text

__all__ = [
    "MEANINGS",
    "READING_VERSION",
    "SectionMeaning",
    "heading_meaning",
    "label_meaning",
    "legacy_names",
    "normalize_heading",
    "reading_settings",
    "section_meaning",
]

SectionMeaning = Literal[
    "attendance",  # who came, who chaired: never items
    "boilerplate",  # links, calendar, next meeting date, guidelines: never items
    "review",  # earlier actions looked at again: outcomes for existing threads
    "agenda",  # topics and proposals, questions asking for a decision or review
    "actions",  # work someone is to do
    "blocked",  # stand-up: what is stuck (open work)
    "done",  # stand-up: what got done (resolves the person's earlier work)
    "next",  # stand-up: what comes next (open work)
    "decisions",  # decisions and resolutions recorded
    "announcements",  # news, highlights, FYI
    "minutes",  # notes of what was said: context, not items
    "other",  # no heading says: read each line for what it is
]

# Phrases per meaning, as normalized headings contain them (whole words). Checked
# most specific first: the longest phrase found wins, then the order below.
MEANINGS: dict[SectionMeaning, tuple[str, ...]] = {
    "boilerplate": (
        "links",
        "link",
        "resources",
        "recording",
        "recordings",
        "zoom link",
        "video",
        "calendar",
        "upcoming meetings",
        "upcoming meeting",
        "next meeting",
        "next meetings",
        "next call",
        "next meeting date",
        "meeting guidelines",
        "guidelines",
        "code of conduct",
        "how to join",
        "joining",
        "join the call",
        "closing",
        "more information",
        "reminders",
        "housekeeping",
        "template",
        "archived meeting notes",
    ),
    "attendance": (
        "attendees",
        "guests",
        "attendance",
        "in attendance",
        "present",
        "participants",
        "who joined",
        "joined",
        "roll call",
        "regrets",
        "apologies",
        "absent",
        "mc",
        "host",
        "hosts",
        "facilitator",
        "chair",
        "moderator",
        "note taker",
        "notetaker",
        "scribe",
        "next week mc",
        # Who came, introducing themselves: not work, whatever each line says.
        "introductions",
        "intros",
        "round of introductions",
        "icebreaker",
        "ice breaker",
    ),
    "review": (
        "review action items",
        "review of last week",
        "review of last week action items",
        "review of previous action items",
        "last week action items",
        "action items from last week",
        "action items from last meeting",
        "review of action items",
        "action items review",
        "action item review",
        "actions review",
        "action review",
        "review of last meeting",
        "review of last actions",
        "review of previous actions",
        "review of actions",
        "review of open actions",
        "open actions",
        "open action items",
        "review last meeting",
        "review last week",
        "previous action items",
        "previous actions",
        "last actions",
        "last action items",
        "prior action items",
        "past action items",
        "action items from previous meeting",
        "action items from the previous meeting",
        "action items from last time",
        "action item updates",
        "action items status",
        "status of action items",
        "previously",
        "previous meeting",
        "last meeting",
        "last time",
        "last week",
        "from last time",
        "from last meeting",
        "follow ups",
        "follow up",
        "followups",
        "followup",
        "carried over",
        "carry over",
        "check in",
        "check ins",
        "checkins",
        "open items from",
        "outstanding action items",
        "outstanding actions",
        "old action items",
        "old business",
        # Board minutes: what comes of the last minutes' items.
        "matters arising",
        "business arising",
    ),
    "agenda": (
        "agenda",
        "parking lot",
        "topics",
        "topic",
        "general topics",
        "other topics",
        "items",
        "proposals",
        "proposal",
        "issues",
        "open discussion",
        "discussion topics",
        "discussion items",
        "need decision",
        "needs decision",
        "need decisions",
        "for decision",
        "decision needed",
        "decisions needed",
        "need attention",
        "needs attention",
        "needs review",
        "need review",
        "for review",
        "review requests",
        "for discussion",
        "to discuss",
        "open questions",
        "new business",
        "any other business",
        "aob",
        "updates",
        "status updates",
        "status",
        "roadmap",
        "initiatives",
        "projects",
        "priorities",
        "goals",
        "requests",
        # Put forward for a release or the meeting: "Beta nominations", "Nominated
        # issues" (not people's: "TC nominations" are minutes of an election).
        "beta nominations",
        "stable nominations",
        "backport nominations",
        "nominated",
    ),
    "actions": (
        "action items",
        "action item",
        "actions",
        "action",
        "new action items",
        "todo",
        "todos",
        "to do",
        "tasks",
        "next steps",
        "assignments",
        "open items",
        "ais",
    ),
    "blocked": ("blocked", "blockers", "blocker", "blocking", "impediments", "stuck"),
    "done": (
        "done",
        "completed",
        "accomplished",
        "finished",
        "shipped",
        "what i did",
        "yesterday",
        "last sprint",
    ),
    "next": (
        "next",
        "next up",
        "up next",
        "plans",
        "planned",
        "doing",
        "in progress",
        "today",
        "this week",
        "next week",
        "coming up",
    ),
    "decisions": (
        "decisions",
        "decision",
        "decisions made",
        "resolutions",
        "resolution",
        "resolved",
        "agreed",
        "agreements",
        "outcomes",
        "outcome",
        "conclusions",
        "conclusion",
        "votes",
    ),
    "announcements": (
        "announcements",
        "announcement",
        "highlights",
        "highlight",
        "news",
        "latest news",
        "fyi",
        "for information",
        "for your information",
        "celebrations",
        "shout outs",
        "kudos",
    ),
    "minutes": (
        "minutes",
        "round table",
        "roundtable",
        "notes",
        "public notes",
        "meeting notes",
        "discussion",
        "discussions",
        "standup",
        "stand up",
        "q a",
        "qa",
        "questions",
        "open floor",
        "other",
        "misc",
        "miscellaneous",
        "general discussion",
    ),
}
# When one configured name is given two meanings, the more specific wins.
_CONFIGURED: tuple[SectionMeaning, ...] = (
    "actions",
    "review",
    "blocked",
    "done",
    "next",
    "decisions",
    "announcements",
    "agenda",
    "minutes",
    "attendance",
    "boilerplate",
    "other",
)
_TIME_PHRASES = frozenset({"this week", "next week", "today", "yesterday", "last week"})
# On equal phrase length and place, the earlier meaning wins.
_ORDER: tuple[SectionMeaning, ...] = tuple(MEANINGS)

_PARENS = re.compile(r"\([^()]*\)")
_NOT_WORD = re.compile(r"[^\w]+")


@functools.lru_cache(maxsize=8192)
def normalize_heading(text: str) -> str:
    """Lower case words only: links reduced to their text, "(…)" remarks and emphasis
    dropped, "Q&A" -> "q a", "Follow-ups:" -> "follow ups"."""
    text = link_text(text).replace("’", "'")
    text = _PARENS.sub(" ", text)  # "Agenda (please add items)", "Attendees (Initials: …)"
    text = " ".join(_NOT_WORD.sub(" ", text.lower().replace("'s ", " ")).split())
    # "Move CI to GitHub Actions": a CI service's name, no list of actions.
    return _CI_SERVICE.sub(r"\1 ci", text) if "actions" in text else text


_CI_SERVICE = re.compile(r"\b(github|gitea|forgejo) actions\b")


def _phrases(
    extra: Mapping[str, Sequence[str]],
) -> tuple[tuple[str, SectionMeaning, bool], ...]:
    """(phrase, meaning, from the config) for every built-in and configured name."""
    found: list[tuple[str, SectionMeaning, bool]] = []
    for meaning in _ORDER:
        for name in MEANINGS[meaning]:
            if phrase := normalize_heading(name):
                found.append((phrase, meaning, False))
        for name in extra.get(meaning, ()):
            if phrase := normalize_heading(name):
                found.append((phrase, meaning, True))
    return tuple(found)


@functools.lru_cache(maxsize=256)
def _compiled(
    extra: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[tuple[str, re.Pattern[str], int, int, SectionMeaning], ...]:
    """(phrase, its pattern, its words, its order, its meaning) for every name."""
    out = []
    for phrase, meaning, configured in _phrases(dict(extra)):
        # Plural-tolerant whole words: "action item" also finds "action items".
        pattern = re.compile(rf"(?<!\w){re.escape(phrase)}s?(?!\w)")
        # "This week highlights", "Today's blockers": a time only qualifies the noun.
        words = 1 if phrase in _TIME_PHRASES else len(phrase.split())
        # A name from the config beats a built-in one: it is what this team means.
        order = (
            _CONFIGURED.index(meaning) - len(_CONFIGURED) if configured else _ORDER.index(meaning)
        )
        out.append((phrase, pattern, words, order, meaning))
    return tuple(out)


@functools.lru_cache(maxsize=256)
def _any_phrase(extra: tuple[tuple[str, tuple[str, ...]], ...]) -> re.Pattern[str]:
    """Matches where one of the patterns of _compiled(extra) would: one search instead of
    one per phrase, for the many list items that name no section at all."""
    phrases = sorted({phrase for phrase, _, _ in _phrases(dict(extra))}, key=len, reverse=True)
    return re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, phrases))})s?(?!\w)")


def _key(extra: Mapping[str, Sequence[str]] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not extra:
        return ()
    return tuple(sorted((k, tuple(v)) for k, v in extra.items()))


_ALTERNATIVES = re.compile(r"\s*/\s*|\s+[&+|]\s+")  # not "Q&A"


@functools.lru_cache(maxsize=8192)
def _meaning_of(heading: str, extra: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    # "Proposals / Discussions", "Announcements & news": the first part that has a
    # meaning names the list (the others are its aliases).
    parts = [p for p in _ALTERNATIVES.split(heading) if p.strip()]
    if len(parts) > 1:
        for part in parts:
            found = _meaning_of(part, extra)
            if found is not None:
                return found
        return None
    text = normalize_heading(heading)
    if not text or not _any_phrase(extra).search(text):
        return None
    best: tuple[bool, bool, int, int, int, SectionMeaning] | None = None
    for phrase, pattern, words, order, meaning in _compiled(extra):
        if phrase not in text:
            continue  # its pattern cannot match: most headings hold one or two phrases
        match = pattern.search(text)
        if match is None:
            continue
        # A configured name first; then a name before a time, which only qualifies
        # it ("This week highlights", "Done this week"); then the longest phrase;
        # then the later one (English puts the noun that says what a list is last);
        # then the order of MEANINGS.
        candidate = (order < 0, phrase not in _TIME_PHRASES, words, match.end(), -order, meaning)
        if best is None or candidate[:5] > best[:5]:
            best = candidate
    if best is None:
        return None
    # "Video update", "Code of conduct committee", "Links checker": a template's slot
    # named first, then the thing the heading is about (English puts it last). Only
    # a date or a detail of the slot may follow ("Next meeting: June 29th", "Next
    # meeting date and chair").
    if best[5] == "boilerplate" and not best[0]:  # a configured name is as the user says
        after = text[best[3] :].split()
        if any(w not in _SLOT_DETAIL and not _DAY_OR_MONTH.match(w) for w in after):
            return None
    # A long heading that merely mentions a word ("Robin - new funding opportunity
    # status") is a topic of its own, not a list of that kind.
    if len(text.split()) > best[2] + 6:
        return None
    return best[5]


_SLOT_DETAIL_TEXT = """
    date dates time times day days and chair chairs person host details info for the this
    next week meeting call link links st nd rd th utc
    """
_SLOT_DETAIL = frozenset(_SLOT_DETAIL_TEXT.split())
_DAY_OR_MONTH = re.compile(
    r"^(?:\d+(?:st|nd|rd|th)?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)$"
)


_SINCE_LAST = re.compile(
    r"\b(?:from|since|of|for)\s+(?:the\s+)?(?:last|previous|past)\s+"
    r"(?:week|weeks|time|meeting|meetings|call|sync|month)\b"
)


def label_meaning(label: str, *, leading: bool = False) -> SectionMeaning | None:
    """The meaning of a bullet used as a label ("Action items:", "Review last week's
    action items") only when the label is little more than the phrase: "Status on
    CNCF licensing" is a topic, not a status list. `leading`: the phrase must also
    start the label ("Announcements (if any)", not "ia32 emulation done")."""
    meaning = heading_meaning(label)
    if meaning is None:
        return None
    # "from last week", "since the last call": when, not more words of a subject.
    text = _SINCE_LAST.sub(" ", normalize_heading(label)).strip()
    spans = [
        (n, match.start(), match.end())
        for phrase, rx, n, _, m in _compiled(())
        if m == meaning and phrase in text and (match := rx.search(text))
    ]
    longest = max((n for n, _, _ in spans), default=0)
    if leading and not any(start == 0 for _, start, _ in spans):
        return None
    # With words on both sides the phrase is part of a subject's name ("Release
    # notes tooling", "Weekly updates bot"): it names no list.
    if spans and not any(start == 0 or end >= len(text) for _, start, end in spans):
        return None
    return meaning if len(text.split()) <= longest + 2 else None


def heading_meaning(
    heading: str, extra: Mapping[str, Sequence[str]] | None = None
) -> SectionMeaning | None:
    """The meaning one heading gives its section, or None when it names something else."""
    found = _meaning_of(heading, _key(extra))
    return found  # type: ignore[return-value]


def section_meaning(
    path: Sequence[str], extra: Mapping[str, Sequence[str]] | None = None
) -> SectionMeaning:
    """The meaning of the nearest heading of `path` (innermost first) that has one."""
    for depth in range(len(path) - 1, -1, -1):
        heading = path[depth]
        meaning = heading_meaning(heading, extra)
        if meaning is None:
            continue
        # Under the minutes, "### Roadmap for 2.0" is a topic discussed, not a list of
        # topics: there only a heading that is little more than a list's name opens one
        # ("### Action items", "### Updates").
        if (
            depth > 0
            and meaning in _TOPIC_LISTS
            and heading_meaning(heading) == meaning  # not a name the config gave
            and label_meaning(heading) is None
            and section_meaning(path[:depth], extra) == "minutes"
        ):
            return "minutes"
        return meaning
    return "other"


_TOPIC_LISTS = frozenset({"agenda", "review"})
