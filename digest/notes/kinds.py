"""What kind of line a list item or table row is (pure).

Every line of a note gets one kind, and a reason (`digest items --explain` shows it):

- action: work someone is to do ("ACTION: …", "TODO", "Ana to send the survey",
  "@bo will …", a line under Action items / Next / Blocked, a task box there);
- topic: an agenda entry or proposal, something that can come back next time;
- decision: a decision or an announcement (under Decisions / Announcements /
  Highlights, or stated as made: "Decision: …", "We agreed to …");
- discussion: minutes — what someone said, a question, a reaction, an aside;
  context for the item it is under, never an item of its own;
- attendance: who came, who chaired;
- boilerplate: links, calendar lines, template text, the meeting's own procedure
  (a round of introductions, an icebreaker);
- placeholder: an empty template slot ("<action-item>", "None", "n/a", "-",
  "No updates this week", an empty "Blocked:").

Only actions and topics are followed from meeting to meeting; decisions feed the
highlights. The section's meaning (digest.sections) decides most lines; the
line's own shape decides the rest.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from digest.model import LineKind
from digest.notes.sections import SectionMeaning, label_meaning
from digest.notes.status import find_status, reported_done
from digest.notes.text import (
    CHAT_LINE,
    EMPHASIS,
    MONTH_NAMES,
    URL,
    has_url,
    link_text,
    plain_text,
    without_time_box,
)

__all__ = [
    "ACTION_LABEL",
    "NEXT_STEP_LABEL",
    "Kind",
    "action_verb",
    "classify_line",
    "decided_in_sentence",
    "explicit_action",
    "is_placeholder",
    "is_speaker_line",
    "labelled_decision",
    "labelled_next_step",
    "owner_to_verb",
    "stated_decision",
    "voted_motion",
]

FOLLOWED: frozenset[LineKind] = frozenset({"action", "topic"})


@dataclass(frozen=True)
class Kind:
    kind: LineKind
    why: str


_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
# "[name=Julien]", "[luca]", "(Thomas)", "@bo", "RT:", "RT/RM:", "RM, Teddy, Jessica:"
_LEADING_OWNER = re.compile(
    r"^\s*(?:\[name=[^\]]{1,60}\]|\[@?[\w.\- ,/&+]{1,60}\](?!\()|\(@?[A-Z][\w.\- ,/&+]{0,40}\)"
    r"|@\s?[\w.-]+(?:\s[A-Z]\b\.?)?)\s*[:\-–—]?\s*"
)

# ACTION: / Action item: / AI: / TODO: / [action] / TODO -
# "[NEW] ACTION: …", "[DONE] ACTION: …": a minute-taker's summary of actions tags
# each with its state (W3C's scribe tools do).
ACTION_STATE_TAG = r"(?:\[(?:new|done|pending|open|closed|continued|dropped)\]\s*)?"
# "~~AI: write the plan~~ done": an action struck through when it was done.
_EXPLICIT_ACTION = re.compile(
    rf"^\s*{ACTION_STATE_TAG}(?:~~)?(?:\*\*|__)?"
    r"(?:\[?(?:action(?:\s+(?:items?|points?))?|ai|todo|to-do|to do)\]?(?:\*\*|__)?"
    r"\s*(?:[:\-–—]|(?:\*\*|__)\s*:)|\[(?:action|ai|todo|to-do)\](?=\s))\s*",
    re.I,
)
# Words that start a sentence the way a name would: "We agreed to …", "Try to …".
_NOT_NAMES = (
    r"(?!(?:We|They|It|This|That|There|Here|Everyone|Everybody|Someone|Somebody|Nobody|All|"
    r"Try|Plan|Need|Needs|Want|Going|Remember|Please|Let|How|What|Why|When|Where|Who|Also|"
    r"Then|Next|Still|Time|Hard|Easy|Good|Nice|Best|Better|Maybe|Need|Decided|Agreed|"
    # What a sentence's subject is, not who: "Solution is to cache more", "Idea is to …".
    r"Solution|Idea|Goal|Aim|Intent|Intention|Proposal|Suggestion|Option|Approach|"
    r"Hope|Thought|Question|Problem|Point|Step|Focus|Priority|Expectation|"
    # A motion put to the vote: "Motion to adopt the policy: passed 5-0".
    r"Motion|Vote|Request)\b)"
)
_OWNER_NAME = (
    rf"(?:@\s?[\w.-]+(?:\s[A-Z]\b\.?)?|{_NOT_NAMES}[A-Z][a-z][\w'-]{{0,30}}"
    rf"(?:\s[A-Z][a-z][\w'-]{{0,30}})?|[A-Z]{{2,4}}|\[[^\]]{{1,40}}\])"
)
# "Ana to send …", "JW to ping …", "@bo will look …", "Luca volunteered to …",
# "Ana and Bo to …", "Michael is going to …".
_OWNER_TO_VERB = re.compile(
    rf"^\s*(?:\*\*|__)?{_OWNER_NAME}(?:\s*(?:,|/|&|\band\b)\s*{_OWNER_NAME})*(?:\*\*|__)?\s+"
    r"(?:to|will|shall|is\s+to|is\s+going\s+to|are\s+going\s+to|volunteer(?:s|ed)?\s+to|"
    r"agreed\s+to|offered\s+to|(?:has|have)\s+the\s+action\s+to)\s+"
    # a verb follows, not a place ("Welcome to the new guide", "Ana to a meetup?")
    r"(?!(?:the|a|an|our|their|this|that|these|those|his|her|its|my|your)\b)[a-z]",
)
_AWAY = re.compile(
    r"^\s*\S+(?:\s\S+)?\s+will\s+(?:be\s+)?(?:away|out|off|absent|unavailable|offline|late|"
    r"back|travel(?:l)?ing|on\s+(?:vacation|holiday|holidays|leave|pto|parental\s+leave))\b",
    re.I,
)
# A line that starts with who is speaking: "SC: …", "Jen: …", "**Luca**: …",
# "Matteo, could we …", "Rich - new release", "[name=Tim] …" (minutes).
_SPEAKER = re.compile(
    r"^\s*(?:(?:\*\*|__)?(?:[A-Z][\w'.-]{0,30}(?:\s[A-Z][\w'.-]{0,30})?|[A-Z]{2,4}(?:/[A-Z]{2,4})*"
    r"|@\s?[\w.-]+)(?:\*\*|__)?\s*(?::|,|\s[-–—]\s)\s*\S"
    rf"|{CHAT_LINE})"  # a chat log's "<ana> we have two proposals"
)
# "[name=Tim] merch?", "[luca] Slack channel": who brings a topic, in HackMD's and
# GitHub's ways of writing it (a speaker's "Tim:" is speech, not this).
_BROUGHT_BY = re.compile(
    r"^\s*(?:\[name=[^\]]{1,60}\]|\[@?[\w.-]{2,39}(?:\s*[,/&+]\s*@?[\w.-]{2,39})*\](?!\())\s*\S"
)
# Who is to do it, first: "RT: …", "RM, KG: …", "@Chris M …", "[luca] …".
_OWNER_FIRST = re.compile(
    r"^\s*(?:[A-Z]{2,4}(?:\s*[,/&]\s*[A-Z][\w]{1,20})*\s*:|@\s?\w|\[(?:name=)?@?[\w.-]+\])"
)
# "JS: the prototype covers …", "MK: I think we …": a speaker's sentence, not a title.
# (Initials only: "Internship: we have money" is a subject and its news.)
_SAID = re.compile(
    r"^\s*(?:\*\*|__)?[A-Z]{2,4}(?:\*\*|__)?:\s+(?:the|a|an|i|we|it|this|that|"
    r"these|those|yes|no|yeah|agree|agreed|sure|maybe|not|also|so|but|and|there|they|you)\b",
    re.I,
)
# "Reminder: the CFP closes Friday", "[Ilse] FYI: …": news for everyone, not work.
_ANNOUNCED = re.compile(
    r"^\s*(?:\[[^\]]{1,60}\]\s*)?(?:\*\*|__)?(?:reminder|fyi|psa|heads[- ]up|announcement)"
    r"(?:\*\*|__)?\s*:",
    re.I,
)
# "congrats on joining Simplabs!", "Welcome @ana, our new maintainer", "14 PRs from
# new contributors, thanks everyone!": people's news, told to the team, not work.
_KUDOS = re.compile(
    r"\b(?:congrat(?:s|ulations)|kudos|shout[- ]?outs?(?:\s+to)?|"
    r"thanks?\s+(?:you\s+)?(?:to\s+)?(?:everyone|everybody|all)\b|"
    # "Thanks to Marcus for chairing", "thanks to @ana for the review".
    r"thanks?\s+(?:you\s+)?to\s+(?:@\w|(?-i:[A-Z])[a-z][\w'-]*\s+for\b)|"
    # "Welcome @ana", "Welcome Ana Ruiz!", "welcome Ana as a maintainer": a person's
    # name (capitalized even here) then what ends a greeting, so that "Welcome page
    # to do" or "### Welcome Page" stay topics.
    r"welcome\s+(?:on\s?board|aboard)\b|"
    r"welcome\s+(?!(?:everyone|everybody|all|folks|back)\b)(?:to\s+)?(?:our\s+)?(?:new\s+)?(?:@\w|"
    r"(?-i:[A-Z])[\w'-]+(?:\s+(?-i:[A-Z])[\w'-]+){0,2}+(?:\s*+[,!]|\s+(?:as|to|from|and)\b)))",
    re.I,
)
KUDOS_WORDS = 25  # how far into a line its news is told (not a closing "thank everyone")


def _is_kudos(text: str) -> bool:
    """People's news: congratulations, thanks or a welcome told near the line's start."""
    lead = " ".join(plain(text).split()[:KUDOS_WORDS])
    if _KUDOS.search(lead) is None or text.rstrip().endswith("?"):
        return False
    # "KEP-2040: beta merged, thanks to all reviewers!": work reporting its state.
    return find_status(text) is None


# "Community calls will pause for the holidays", "The sync moves to Thursdays from
# May": the meeting's own schedule, news for that month, not work to follow.
_SCHEDULE = re.compile(
    r"^\s*(?:(?:the|our|this|next|these|all)\s+)?(?:[\w-]+\s+){0,2}"
    r"(?:calls?|meetings?|syncs?|office\s+hours|stand-?ups?)\s+"
    r"(?:will\s+(?:be\s+)?|are\s+(?:being\s+)?|is\s+(?:being\s+)?|(?:are|is)\s+going\s+to\s+)?"
    r"(?:paus(?:e|es|ed)|resum(?:e|es|ed)|cancell?ed|skipp?(?:ed)?|skip|mov(?:e|es|ed)|"
    r"rescheduled|on\s+(?:hold|break|hiatus)|tak(?:e|es)\s+a\s+break|off\s+for)\b",
    re.I,
)
# The meeting running itself: introductions, an icebreaker. Someone introducing
# themselves (or a project) elsewhere ("Ana to introduce herself to the board") is not.
_PROCEDURE = re.compile(
    r"\bintroduce\s+(?:yourself|yourselves|ourselves)\b|"
    r"\bround\s+of\s+intro(?:duction)?s\b|"  # "a quick round of …": what comes before is moot
    r"^(?:(?:quick|brief|short)\s+)?intro(?:duction)?s\b(?!\s+(?:of|to)\b)|"
    r"\bice-?\s?breakers?\b|"
    # "Close", "Closing remarks", "Wrap-up", "Adjourn": the end of the meeting.
    r"^(?:close|closing(?:\s+remarks)?|wrap[- ]?up|adjourn(?:ment|ed)?)\W*$|"
    # "Welcome new attendees", "Welcome and introductions": not "Welcome page copy".
    r"^welcome\s+(?:and\s+intro(?:duction)?s|(?:to\s+)?(?:(?:the\s+)?new\s+)?"
    r"(?:attendees|participants|newcomers|members|folks|faces))\b|"
    # "Minutes of the last meeting approved", "Approval of the previous minutes".
    r"^(?:the\s+)?(?:minutes|notes)\s+(?:of|from)\s+(?:the\s+)?(?:last|previous|prior)\s+"
    r"(?:meeting|call)\s+(?:were\s+|was\s+)?(?:approved|adopted|accepted)\b|"
    r"^(?:approval|adoption)\s+of\s+(?:the\s+)?(?:last|previous|prior)?\s*(?:meeting'?s\s+)?"
    r"minutes\b",
    re.I,
)
# "We chatted about the venue", "Discussed the budget": minutes of what was said.
_NARRATION = re.compile(
    r"^(?:we|they|i|everyone|everybody|the\s+team)\s+(?:\w+\s+)?(?:chatted|talked|discussed|"
    r"spoke|went\s+over|looked\s+at|brainstormed)\b|^(?:discussed|talked\s+about|chatted\s+about)\b",
    re.I,
)
# "Rafael, related to the initiative …", "Matteo, could we …", a chat log's "<ana> I think …":
# speech, not a title.
# A name, not a subject: "Jean-Luc," but not "Package-maintenance, installation …".
_SPOKEN = re.compile(
    rf"^\s*(?:[A-Z][a-z][\w'.]{{1,20}}(?:-[A-Z][\w'.]{{1,20}})?,\s+[a-z]|{CHAT_LINE})"
)
# "Decision: …", "**Resolved**: …", "Conclusion on the release notes: …": a label
# saying the line is a decision made.
_DECISION_LABEL = (
    # After any marks: "✅ Decision: …", "**Resolved**: …".
    r"^[^\w\n]{0,6}?(?:\*\*|__)?(?:decided|resolved|agreed|vote|voted|(?:decision|resolution|conclusion|"
    r"consensus|agreement|outcome|result)(?:\s+(?:on|about|for|regarding)\s+[^:*_\n]{1,40}?)?)"
    r"(?:\*\*|__)?\s*(?::|(?:\*\*|__)\s*:)"
)
_LABELLED_DECISION = re.compile(_DECISION_LABEL, re.I)
# Who decides, and how it is said: "the committee approved", "we have agreed"; minutes
# also leave out who: "Agreed to register in classes 9 and 42", "Decided that …".
_BODIES = r"committee|board|council|maintainers|steering\s+committee|core\s+team"
_DECIDED = r"\s+(?:have\s+|has\s+)?(?:agreed|decided|approved|voted|resolved)\b"
_WHO_LEFT_OUT = r"(?:agreed|decided)\s+(?:to|that|on)\b"
_MARK = r"[^\x00-\x7f\w\s]{1,2}"  # "✅ Agreed to …": a tick or an emoji before it
_STATED_DECISION = re.compile(
    _DECISION_LABEL + rf"|\b(?:we|team|tsc|everyone|everybody|all|the\s+group|(?:the\s+)?"
    rf"(?:{_BODIES})){_DECIDED}(?!\s*\?)"
    rf"|^\s*(?:{_MARK}\s*)?(?:\*\*|__)?(?:[^:\n]{{1,40}}:\s*)?{_WHO_LEFT_OUT}"
    r"|\b(?:it\s+was|was|were|has\s+been|have\s+been)\s+(?:agreed|decided|approved)\b",
    re.I,
)
# The same, opening a sentence of a paragraph: a decision its subject made, not one
# mentioned inside what someone said ("asked whether we agreed on the classes").
_DECIDED_SENTENCE = re.compile(
    rf"(?:^|[.!]\s+)(?:(?:(?:the\s+)?(?:{_BODIES}|tsc|group|team)|we|everyone){_DECIDED}"
    rf"|{_WHO_LEFT_OUT})",
    re.I,
)
# "Motion to adopt the budget. Moved by Bo, seconded by Cy. Passed 3-0.": a vote
# taken, on the agenda too (where "we agreed to try X" may go on being discussed).
_MOTION_VOTED = re.compile(
    r"\bmotion\b.{0,300}?\b(?:passed|passes|carried|carries|adopted|failed|fails|defeated)\b",
    re.I,
)
_PLACEHOLDER_TEXT = """nope null none nil n/a na n.a. nothing - -- --- ... … tbd tba x ? ?? no
    empty skip skipped same cancelled canceled"""
_PLACEHOLDER_WORDS = frozenset(_PLACEHOLDER_TEXT.split())
# What a template's example entry is made of: "[Name] Topic (time)".
_TEMPLATE_TEXT = """name names your topic title item subject description owner presenter
    who time duration min mins minutes link here"""
_TEMPLATE_WORDS = frozenset(_TEMPLATE_TEXT.split())
_TEMPLATE_WORD = re.compile(r"[a-z]+")  # numbers ("10 min") count for nothing
_PLACEHOLDER = re.compile(
    r"^(?:<[^<>]{1,60}>|\{\{[^{}]{1,60}\}\}|your[ -](?:name|handle|item|topic)\b.*"
    r"|add (?:your |an? |more )?(?:[\w-]+ ){0,2}(?:here|below)\b.*"
    r"|no (?:new )?(?:updates?|announcements?|questions?|topics?|items?|news|action items?|"
    r"actions?|blockers?|issues?|decisions?|discussion|reports?)"
    r"(?:\s+(?:this|for this|today|this week|this time|this month|at this time|yet|so far|"
    # "No updates from the security team this month."
    r"from (?:me|us|the [\w -]{1,40}?(?= this| today| yet|$))))*"
    r"|nothing (?:to (?:report|discuss|add)|new)(?:\s+(?:this|today|this week|this month))?"
    r"|nothing new (?:on|about|from|for|with) [^.;:!?]{1,60}"
    r"|(?:item )?skipped\b.*|(?:we )?ran out of time\b.*|(?:meeting )?(?:cancell?ed|skipped)\b.*"
    r"|no (?:meeting|call)\b.*)$",
    re.I,
)
# A meeting that did not take place, as its notes say it: "No topic, skipping the
# meeting", "Cancelled for lack of attendees", "This week's community call has been
# cancelled", "Nov 13th call is cancelled due to the conference", "No community
# call!". Only this meeting: a call named by its group ("the CPC meeting was
# cancelled") or another day ("next week's meeting is cancelled") is news, not this.
_MONTH = rf"(?:{MONTH_NAMES})\.?"
_THIS_DAY = (
    rf"(?:\d{{4}}-\d\d-\d\d|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+"
    rf"{_MONTH})(?:'s)?"
)
_MEETING_NOUN = (
    r"(?:(?:community|weekly|bi-?weekly|monthly|team|regular|project|public|open)\s+)?"
    r"(?:meeting|call|sync|stand-?up|session)"
)
_CALLED_OFF = r"(?:cancell?ed|skipped|postponed|not\s+(?:be\s+)?held|called\s+off)"
_NOT_HELD = re.compile(
    r"^(?:(?:note|update|heads[- ]up|fyi|announcement|notice)\b\W*)?"
    rf"(?:(?:(?:this|the|today'?s|tonight'?s|this\s+week(?:'?s)?|{_THIS_DAY})\s+)?"
    rf"{_MEETING_NOUN}\s+(?:is|was|has\s+been|will\s+be|got)\s+{_CALLED_OFF}\b"
    rf"|(?:(?:this|the)\s+)?(?:{_MEETING_NOUN}\s+)?{_CALLED_OFF}"
    r"(?:\s*$|\s*[(:,;—–-]|\s+(?:for|because|due|as|since|today|this\s+week|again)\b)"
    rf"|no\s+{_MEETING_NOUN}(?:\s+(?:this\s+week|today|this\s+time))?\s*$"
    rf"|(?:we\s+)?(?:are\s+)?skipp(?:ing|ed)\s+(?:the|this|this\s+week'?s|today'?s)\s+"
    rf"{_MEETING_NOUN}\b"
    rf"|no\s+(?:topics?|items?|agenda(?:\s+items?)?)\s*[,;:(—–-]\s*(?:so\s+)?(?:we\s+)?"
    rf"(?:skipp(?:ing|ed)|cancell?(?:ing|ed)|{_MEETING_NOUN}\s+{_CALLED_OFF}|no\s+"
    rf"{_MEETING_NOUN}))",
    re.I,
)
_CALLED_OFF_WORDS = ("cancel", "skip", "postpone", "held", "called off", "no ")


def says_not_held(text: str) -> bool:
    """Whether this line says its own meeting did not take place (cancelled, skipped,
    postponed): "No topic, skipping the meeting", "Cancelled for lack of attendees"."""
    low = text.lower()
    if not any(word in low for word in _CALLED_OFF_WORDS):
        return False
    return _NOT_HELD.match(plain(text).strip(" *_!.")) is not None


_REACTION = re.compile(
    r"^(?:[+-]1|:[\w+-]+:|lgtm|thanks?(?: you)?|thx|ty|cool|nice|great|awesome|yay|wohoo|"
    r"woohoo|congrats|congratulations|\W{1,6})[!.\s]*$",
    re.I,
)
# "#71", "org/repo#71", ".../issues/71", ".../pull/71": names an issue or a PR.
_ISSUE_REF = re.compile(r"(?<![\w&])#\d+\b|/(?:issues|pull|pulls|merge_requests)/\d+")
# "Rod Vagg: +1", "Ana - abstain", "Bo: yes": one person's vote, under a Votes heading.
_VOTE_CAST = re.compile(
    r"^[\w@][\w .'@-]{0,40}?\s*(?::|\s[-–—])\s*(?:[+-][01]|yes|no|aye|nay|abstain(?:s|ed)?|"
    r"for|against|approve[sd]?|object(?:s|ed)?)[!.\s]*$",
    re.I,
)
# "Happy new year!", "Welcome back, everyone", "Hi all": the meeting saying hello.
_GREETING = re.compile(
    r"^(?:welcome(?:\s+back\b|\s*,?\s*(?:everyone|everybody|all|folks)\b|\W*$)|"
    r"(?:(?:hello|hi|hey)\s*,?\s*(?:everyone|everybody|all|folks)|"
    r"happy\s+(?:new\s+year|holidays|\d{4})|season'?s\s+greetings|merry\s+christmas)\b)",
    re.I,
)
GREETING_WORDS = 10  # longer, the line says more than hello
_FIRST_SENTENCE_END = re.compile(r"(?<=[.!;])\s+")
_LABEL_ONLY = re.compile(r"[\w@ .'-]{1,30}:")
_QUOTED = re.compile(r"^\s*(?:>|\w[\w .]{0,20}>)\s*")
_CALENDAR = re.compile(
    r"\b(?:google\s*calendar|add (?:it )?to your (?:own )?calendar|calendar invite|ics\b|"
    r"zoom (?:link|meeting)|meeting link|join (?:the )?(?:call|meeting) (?:at|here|via|on)|"
    r"livestream|recording|youtube\.com|youtu\.be)",
    re.I,
)
# A person as listed in attendance: "Ana Lima @ana (TSC)", "[Ana Lima](https://github.com/ana)",
# "TJ: Todd Jordan @todd", "- [x] JW: Jen Weber (jenweber)".
_PERSON_ROW = re.compile(
    r"^(?:[A-Z]{1,4}:\s*)?(?:\[[^\]]{2,60}\]\(https?://[^)]*\)|[A-Z][\w'.-]+(?:\s+[\w'.-]+){0,3})"
    r"(?:\s*[,-]?\s*(?:\(?\[?@[\w.-]*\]?(?:\([^)]*\))?\)?|<[^>]*>))?"
    r"(?:\s*\((?:[^()]{1,40})\))*\s*$"
)


@functools.lru_cache(maxsize=4096)  # classify_line asks for it up to five times a line
def plain(text: str) -> str:
    """The words of a line: links reduced to their text, markup and URLs dropped."""
    if "<" in text:
        text = _AUTOLINK.sub(r"\1", text)
    return " ".join(plain_text(text, urls=False).split())


def _without_owner(text: str) -> str:
    return _LEADING_OWNER.sub("", text, count=1)


def explicit_action(text: str) -> bool:
    """ACTION: / Action item: / AI: / TODO: written at the start."""
    return _EXPLICIT_ACTION.match(text) is not None


def owner_to_verb(text: str) -> bool:
    """ "Ana to send …", "@bo will …", "JW/RM to …": someone takes on work (not "Ana
    will be away next week": where someone will be is news, not a task)."""
    bare = link_text(text)
    return _OWNER_TO_VERB.match(bare) is not None and _AWAY.match(bare) is None


# Labels written like a speaker's name ("Next: changelog", "Working on: the API"):
# what a line is about, never who said it.
_NOT_SPEAKER_TEXT = """next now later then done doing todo wip blocked blocker blockers
    status update updates progress plan plans goal goals result results note notes
    question questions answer context background summary eta due owner owners link
    links docs pr prs issue issues ticket tickets"""
_NOT_SPEAKER_LABELS = frozenset(_NOT_SPEAKER_TEXT.split()) | {
    "working on",
    "in progress",
    "next up",
    "next week",
    "this week",
    "last week",
}
_SPEAKER_LABEL = re.compile(r"^\s*(?:\*\*|__)?([^:*_]{1,40}?)(?:\*\*|__)?\s*:")


def is_speaker_line(text: str) -> bool:
    """ "Ana: the FCP is done", "JS - the prototype works", "<ana> …": someone's words."""
    if _SPEAKER.match(text) is None:
        return False
    label = _SPEAKER_LABEL.match(text)
    return label is None or label.group(1).strip().lower() not in _NOT_SPEAKER_LABELS


def labelled_decision(text: str) -> bool:
    """A line labelled a decision made ("Decision: …", "**Outcome**: …"), not asked."""
    return _LABELLED_DECISION.match(plain(text)) is not None and not text.rstrip().endswith("?")


def decided_in_sentence(text: str) -> bool:
    """A sentence of `text` states a decision as its subject made it ("The committee
    approved the budget.", "Agreed to register in classes 9 and 42."); not a question."""
    bare = plain_text(text)
    return _DECIDED_SENTENCE.search(bare) is not None and not text.rstrip().endswith("?")


def voted_motion(text: str) -> bool:
    """ "Motion to adopt the budget: passed 3-0": a vote taken (failed too), not asked."""
    return _MOTION_VOTED.search(plain(text)) is not None and not text.rstrip().endswith("?")


def stated_decision(text: str) -> bool:
    """A decision stated as made ("Decision: …", "we agreed to …"), not asked about."""
    return _STATED_DECISION.search(plain(text)) is not None


# "**Next steps:** @bo to bisect #441", "Follow-up: ask the CNCF": work named by the
# label before it ("Action:", "TODO:" are ACTION_LABEL's).
NEXT_STEP_LABEL = re.compile(
    r"^\s*(?:\*\*|__)?(?:next\s+steps?|follow[- ]?ups?|to[- ]do)(?:\*\*|__)?\s*:(?:\*\*|__)?\s+"
    r"(?=\S)",
    re.IGNORECASE,
)


def labelled_next_step(text: str) -> bool:
    """ "Next steps: @bo to bisect #441": work, named so by its label."""
    step = NEXT_STEP_LABEL.match(text)
    return step is not None and not is_placeholder(text[step.end() :])


def is_placeholder(text: str, *, has_children: bool = False) -> bool:
    """An empty template slot or a line that says there is nothing."""
    if "](" in text or (has_url(text) and URL.search(text)):
        return False  # a link is something: "[ ] https://github.com/org/repo/issues/158"
    bare = plain(text).strip()
    if not bare:
        return not has_children
    if bare.lower() in _PLACEHOLDER_WORDS:
        return True
    low = bare.lower().rstrip(".!:")
    if _PLACEHOLDER.match(low) or _PLACEHOLDER.match(bare.strip(".!: ")):
        return True
    # "No updates this time. Still waiting on the board." says there is nothing new
    # ("No decision yet; Hedda to prototype it" says who takes it on).
    first, *rest = _FIRST_SENTENCE_END.split(bare, maxsplit=1)
    first = first.rstrip(".!;").lower()
    if first != low and _PLACEHOLDER.match(first) and not has_children:
        later = _FIRST_SENTENCE_END.split(rest[0]) if rest else []
        return not any(owner_to_verb(s) or labelled_decision(s) for s in later)
    owned = plain(_without_owner(text)).strip().rstrip(".!:")
    if owned != bare and (not owned or owned.lower() in _PLACEHOLDER_WORDS):
        return not has_children  # "Blocked:", "Paolo:", "[luca] n/a"
    if owned != bare and _PLACEHOLDER.match(owned):
        return True  # "[Your name] Your topic", a template's example line
    # "[Name] Topic (time)", "Topic (Owner, 10 min)": only the template's own words.
    words = _TEMPLATE_WORD.findall(bare.lower())
    if len(words) >= 2 and not has_children and all(w in _TEMPLATE_WORDS for w in words):
        return True
    # "Blocked:" / "Paolo:" with nothing after the label.
    return _LABEL_ONLY.fullmatch(bare) is not None and not has_children


def is_reaction(text: str) -> bool:
    return _REACTION.match(plain(text)) is not None or _REACTION.match(text.strip()) is not None


def is_calendar_line(text: str) -> bool:
    """Calendar, recording and call-link lines: the same in every meeting of a series."""
    return _CALENDAR.search(text) is not None and len(plain(text).split()) <= 16


def is_person_row(text: str, *, strict: bool = True) -> bool:
    """ "Ana Lima @ana (TSC)", "[Ana Lima](https://github.com/ana)": a person listed.
    strict (outside an attendance section): only with a handle or a profile link."""
    bare = EMPHASIS.sub("", text).strip()
    if _PERSON_ROW.match(bare) is None or "?" in bare:
        return False
    return not strict or "@" in bare or "](" in bare


# Said in the first person as a view: "I think", "I wonder", "I'd like", "I'm not sure"
# (not news told so: "I'm presenting at the meetup").
_OPINION = re.compile(
    r"^[^:]{1,40}:\s*(?:I\s+(?:think|thought|wonder|want|like|feel|believe|guess|agree|"
    r"disagree)\b|I'?m\s+not\s+sure\b|I'?d\s+(?:like|prefer|rather)\b|not\s+sure\b|maybe\b|"
    r"perhaps\b)",
    re.I,
)
_WORK_LISTS = frozenset({"actions", "next", "blocked", "done", "review"})


def _slot_labelled(text: str) -> SectionMeaning | None:
    """The meaning of the label a line opens with ("Next meeting: 13 May, same
    time" -> boilerplate), or None without one."""
    label, colon, _ = plain(text).partition(":")
    if not colon or len(label.split()) > 4:
        return None
    return label_meaning(label, leading=True)


def classify_line(
    text: str,
    meaning: SectionMeaning,
    *,
    nested: bool = False,
    checked: bool | None = None,
    has_children: bool = False,
) -> Kind:
    """The kind of one list item (or table row) of a section with this meaning.

    `nested`: the line is a sub-bullet of an item (its children are context unless
    they are work of their own, which the caller decides).
    """
    if is_placeholder(text, has_children=has_children):
        return Kind("placeholder", "an empty template slot, or says there is nothing")
    if meaning == "attendance":
        return Kind("attendance", "under a heading listing who came")
    if meaning == "boilerplate":
        return Kind("boilerplate", "under a heading for links, the calendar or the next meeting")
    if explicit_action(text):
        return Kind("action", "starts with ACTION / AI / TODO")
    # "Ana: update the calendar invite" under the actions is work, not the invite.
    if (
        is_calendar_line(text)
        and not nested
        and meaning not in _WORK_LISTS
        and not owner_to_verb(text)
    ):
        return Kind("boilerplate", "a calendar, recording or call link")
    if not nested and _PROCEDURE.search(plain(without_time_box(text))):
        return Kind("boilerplate", "the meeting's own procedure (introductions, an icebreaker)")
    if not nested and _slot_labelled(text) == "boilerplate":
        return Kind("boilerplate", "labelled a slot of the template (‘Next meeting: …’)")
    if nested:
        if owner_to_verb(text):
            return Kind("discussion", "a next step of the item above (its owner)")
        return Kind("discussion", "a sub-bullet: detail of the item above")
    if labelled_next_step(text):
        return Kind("action", "labelled a next step (‘Next steps: @bo to bisect …’)")
    if _QUOTED.match(text) and meaning in ("minutes", "other"):
        return Kind("discussion", "a quoted aside")
    if meaning in ("actions", "next", "blocked", "done"):
        return Kind("action", f"under a heading listing {_LISTS[meaning]}")
    if voted_motion(text):
        return Kind("decision", "a motion voted on (‘Motion to …: passed 3-0’)")
    if meaning == "review":
        if checked is not None or owner_to_verb(text) or _OWNER_FIRST.match(text):
            return Kind("action", "an earlier action, under a heading reviewing them")
        return Kind("topic", "an earlier topic, under a heading following up on them")
    if meaning == "decisions" and owner_to_verb(text):
        # "BCA to update the spec text" under "### Conclusion": the work decided on.
        return Kind("action", "under a decisions heading, says who is to do it (‘X to …’)")
    if meaning in ("decisions", "announcements"):
        if _VOTE_CAST.match(plain(text)):
            return Kind("discussion", "one vote cast (‘Rod Vagg: +1’), not a decision")
        if is_speaker_line(text) and _OPINION.search(plain(text)):
            # "MS: I want to avoid re-making decisions": someone's view, not news.
            return Kind("discussion", "someone's view (‘Ana: I think …’), not a decision")
        return Kind("decision", f"under a heading listing {_LISTS[meaning]}")
    if _ANNOUNCED.match(text):
        return Kind("decision", "an announcement (‘Reminder: …’, ‘FYI: …’)")
    if _SCHEDULE.match(plain(text)):
        return Kind("decision", "news of the meeting's own schedule (‘calls pause for …’)")
    if _NARRATION.match(plain(text)):
        return Kind("discussion", "tells what was talked about (‘We discussed …’)")
    if _AWAY.match(plain(text)):
        return Kind("discussion", "says someone will be away (‘Ana will be out next week’)")
    if meaning == "agenda":
        slot = label_meaning(plain(text), leading=True) if not has_children else None
        if slot in _SLOTS and len(plain(text).split()) <= 8:
            return Kind("boilerplate", "an agenda slot naming a part of the meeting, not a topic")
        if not has_children and plain(text).lower().strip(" .:*") in _OTHER_BUSINESS:
            return Kind("boilerplate", "an agenda slot for any other business, not a topic")
        if is_reaction(text):
            return Kind("discussion", "a reaction")
        if _GREETING.match(plain(text)) and len(plain(text).split()) <= GREETING_WORDS:
            return Kind("discussion", "a greeting (‘Happy new year!’, ‘Welcome back’)")
        if _SPOKEN.match(text) or _SAID.match(text):
            return Kind("discussion", "what someone said (‘Name, …’, ‘JS: I think …’)")
        # Labelled so, a decision is one on the agenda too (not "we agreed to …",
        # which an agenda entry may say of a topic that goes on).
        if labelled_decision(text):
            return Kind("decision", "labelled a decision made (‘Decision: …’)")
        if owner_to_verb(text):
            return Kind("action", "says who is to do it (‘X to …’, ‘@x will …’)")
        if checked is not None and _OWNER_FIRST.match(text):
            return Kind("action", "a task box naming who does it")
        if _is_kudos(text):
            return Kind("decision", "people's news: congratulations, thanks, a welcome")
        return Kind("topic", "an entry under an agenda or topics heading")
    # minutes, other: what was said, unless the line itself says it is more.
    if _BROUGHT_BY.match(text):
        return Kind("topic", "names who brings it (‘[name=…]’, ‘[handle]’)")
    if owner_to_verb(text):
        return Kind("action", "says who is to do it (‘X to …’, ‘@x will …’)")
    if stated_decision(text) and not text.rstrip().endswith("?"):
        return Kind("decision", "states a decision as made")
    if checked is not None and meaning == "other":
        return Kind("action", "a task box")
    if checked is not None and _OWNER_FIRST.match(text):
        return Kind("action", "a task box naming who does it")
    if is_reaction(text):
        return Kind("discussion", "a reaction")
    if meaning == "minutes":
        if _ISSUE_REF.search(text) and (find_status(text) or reported_done(text)):
            # "@eli: finished the TLS migration (#71)": news of a piece of work.
            return Kind("topic", "the state of an issue or PR it names, in the minutes")
        if is_speaker_line(text):
            return Kind("discussion", "a speaker's line in the minutes")
        return Kind("discussion", "under a heading for minutes or notes")
    if is_person_row(text) and not has_children:
        return Kind("attendance", "names a person and nothing else")
    if is_speaker_line(text):
        return Kind("discussion", "a speaker's line (‘Name: …’)")
    return Kind("discussion", "no heading says it is an agenda entry or an action")


# Parts of a meeting an agenda lists as entries of their own ("Review last week's
# action items", "Announcements", "AOB"): slots of the template, not topics.
_SLOTS = frozenset(
    {"review", "actions", "announcements", "minutes", "attendance", "boilerplate", "decisions"}
)
# "AOB" on an agenda holds the topics nobody listed: a slot until something is in it.
_OTHER_BUSINESS = frozenset({"aob", "a.o.b", "any other business", "other business"})
_LISTS: dict[str, str] = {
    "actions": "actions",
    "next": "what comes next",
    "blocked": "what is blocked",
    "done": "what got done",
    "decisions": "decisions",
    "announcements": "announcements and highlights",
}


# ---- an action's label and its verb -------------------------------------------------

# "ACTION:", "AI:", "TODO:"; with its owner: "AI(@femi):", "TODO(dara):", "Action [@ana]:";
# in brackets, where the brackets are the label's mark: "[AI] Cleo: ping the CNCF".
_ACTION_WORD = r"(?:ACTION|Action|action|AI|TODO|ToDo|Todo|todo)"
ACTION_LABEL = re.compile(
    rf"^\s*(?i:{ACTION_STATE_TAG})(?:~~)?(?:\*\*|__)?"
    rf"(?:{_ACTION_WORD}(?i:\s+(?:items?|points?))?\s*"
    r"(?:\((?P<who>[^()\n]{1,40})\)|\[(?P<who_b>[^\[\]\n]{1,40})\])?\s*:"
    rf"|\[{_ACTION_WORD}\](?:\s*:)?(?=\s))\s*(?:\*\*|__)?\s*"
)
# "Ana to post …", "@bo will send …", "JW/RM to …", "Ana and Bo to …".
# Possessive: a long word can be split between the repetitions in no other way.
_TO_VERB = re.compile(
    r"^\s*+(?:[@\w.'-]++(?:\s*+[,/&]\s*+|\s++and\s++|\s++)){1,4}?(?:to|will|shall|is\s+to|"
    r"volunteer(?:s|ed)?\s+to|agreed\s+to|offered\s+to)\s+([a-z]+)\b"
)
# A leading owner: "@mora write …", "[ada] send …", "RT: ping …", "Chidi: open …".
_LEADING_OWNER = re.compile(
    r"^\s*(?:(?:@[\w.-]+|\[[^\]]{1,40}\])\s*:?|"
    r"[A-Z][\w.'-]{0,20}(?:\s*[,/&]\s*[A-Z][\w.'-]{0,20})*\s*:)\s*"
)
_NOT_VERBS_TEXT = """
    a an the this that these those we i you he she they it its our their my your
    is are was were be been has have had do does did will shall should would could can
    may might must not no yes all any some each every new more most other next last
    first second please maybe also still just then there here what which who when where
    why how if once until and or but so for of on in at by with from about as into
    """
_NOT_VERBS = frozenset(_NOT_VERBS_TEXT.split())


def action_verb(text: str) -> str | None:
    """The verb an action line starts its work with ("Rosa to post the call" -> "post",
    "@mora write the guide" -> "write", "Chidi: open a PR" -> "open"), lower case, or
    None when the line has no word that could be one."""
    bare = ACTION_LABEL.sub("", plain_text(text, urls=False, code=False), count=1)
    m = _TO_VERB.match(bare)
    if m is not None:
        word = m.group(1)
    else:
        rest = _LEADING_OWNER.sub("", _LEADING_OWNER.sub("", bare, count=1), count=1)
        first = re.match(r"\s*([A-Za-z]+)\b", rest)
        if first is None:
            return None
        word = first.group(1).lower()
    return None if word in _NOT_VERBS or len(word) < 2 else word
