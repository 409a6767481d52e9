"""Status words in a note's text: open / done / dropped, and the raw phrase.

People write status in many ways ("-> in flight", "done (wohoo)", "Done in 0.38",
"[to-do]", "postponed to 0.40"). To avoid false positives ("what can be done
about X", "the pending PR"), a status is looked for where people put it: after
"->", in trailing parentheses or brackets, after " - ", at the end of the text,
or as the whole of a short text (a table cell, a "- done" child).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from digest.config.schema import TrackingConfig
from digest.model import Status
from digest.notes.text import CODE, URL, has_url, link_text, plain_text

__all__ = [
    "DEFAULT_DONE",
    "DEFAULT_DROPPED",
    "DEFAULT_OPEN",
    "echoed_result",
    "find_status",
    "past_forms",
    "state_label",
    "status_words",
]

# Built-in defaults; [tracking] done_words / open_words / dropped_words add to them.
DEFAULT_DONE = [
    "done",
    "completed",
    "complete",
    "approved",
    "finished",
    "merged",
    "released",
    "shipped",
    "resolved",
    "fixed",
    "closed",
    "landed",
    "delivered",
    "achieved",
    "stable",
]
DEFAULT_OPEN = [
    # Partial or negated "done" first: "partially done" is open, not done.
    "partially done",
    "partly done",
    "not done",
    "not yet done",
    "undone",
    "done?",
    "almost done",
    "nearly done",
    "mostly done",
    "half done",
    "not merged",
    "not yet",
    "not started",
    "in progress",
    "in-progress",
    "work in progress",
    "in flight",
    "in-flight",
    "in review",
    "under review",
    "needs review",
    "need review",
    "unsure",
    "wip",
    "todo",
    "to-do",
    "tbd",
    "tbc",
    "pending",
    "blocked",
    "on hold",
    "on-hold",
    "delayed",
    "postponed",
    "deferred",
    "a bit late",
    "late",
    "ongoing",
    "started",
    "assigned",
    "planned",
    "eta",
    "tentatively",
    "tenatively",
    "open",
]
# Everyday words that are a status only at the end of the text or as the whole of it
# ("PR open", a table cell "Open"), not in "Open up the plugin system".
_END_ONLY = {
    "open",
    "late",
    "started",
    "assigned",
    "planned",
    "closed",
    "fixed",
    "stable",
    "complete",  # a cell "Complete", "migration complete"; not "Complete the guide"
    "approved",  # "Legal review of the font — approved!"; not "approved by the board to …"
}
DEFAULT_DROPPED = [
    "dropped",
    "won't do",
    "wont do",
    "won't fix",
    "wontfix",
    "cancelled",
    "canceled",
    "abandoned",
    "rejected",
    "declined",
    "obsolete",
    "superseded",
    "no longer needed",
    "not needed",
    "out of scope",
]
# Phrases whose meaning continues in the next words: "ETA end of November", "Done in 0.38".
_EXTENDABLE = {"eta", "done", "postponed", "delayed", "deferred", "released", "merged", "shipped"}
# "can be done", "get it done": the word is about the future, not a status.
_NOT_A_STATUS_BEFORE = re.compile(
    r"(?:\b(?:be|been|being|get|gets|got|getting|can|could|should|would|will|must|to|what|"
    r"the|a|an|any|all|some|of|for)\s+)$",
    re.I,
)
# Words that make a "done" phrase tentative: "stable tentatively for 0.40" is open.
_TENTATIVE = re.compile(
    r"\b(?:tentatively|tenatively|almost|nearly|mostly|partially|partly|half|maybe|hopefully|"
    r"not yet|soon)\b",
    re.I,
)
_MAX_SHORT_WORDS = 6
# A status word after "if …" in the same sentence is a condition, not a status.
_CONDITION = re.compile(r"\b(?:if|unless|once|until|whenever)\b[^.;:!?()\[\]]*$", re.I)


def status_words(tracking: TrackingConfig | None = None) -> list[tuple[str, Status]]:
    """All phrases with their status, longest first (so "not done" beats "done")."""
    return list(_matcher(tracking).words)


def _word_pairs(
    extra_done: tuple[str, ...], extra_open: tuple[str, ...], extra_dropped: tuple[str, ...]
) -> list[tuple[str, Status]]:
    pairs: list[tuple[str, Status]] = []
    for words, status in (
        (DEFAULT_OPEN + list(extra_open), "open"),
        (DEFAULT_DROPPED + list(extra_dropped), "dropped"),
        (DEFAULT_DONE + list(extra_done), "done"),
    ):
        for word in words:
            if word.strip():
                pairs.append((word.strip().lower(), status))  # type: ignore[arg-type]
    pairs.sort(key=lambda p: -len(p[0]))
    return pairs


def _plain(text: str) -> str:
    """Text without links' targets, URLs and emphasis, so "[done](url)" reads "done"."""
    return plain_text(text, urls=False, code=False)


def _phrase_body(phrase: str) -> str:
    body = re.escape(phrase).replace(r"\ ", r"[\s-]+")
    end = r"(?![\w'-])" if phrase[-1].isalnum() else ""
    return body + end


_WORD_START = r"(?<![\w'-])"


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    start = _WORD_START if phrase[0].isalnum() else ""
    return re.compile(start + _phrase_body(phrase), re.I)


def _trie(phrases: list[str]) -> str:
    """The alternation of the phrases' bodies, common prefixes factored out.

    It matches exactly where one of the bodies would ("do(?:ne(?![\\w'-])|…)"), and
    the regex engine tries ~20 first letters at a position instead of ~100 phrases.
    """
    root: dict[str, Any] = {}
    for phrase in phrases:
        node = root
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = phrase  # a phrase ends here

    def alternatives(node: dict[str, Any]) -> str:
        options = [
            (r"[\s-]+" if char == " " else re.escape(char)) + alternatives(child)
            for char, child in sorted(node.items())
            if char
        ]
        if "" in node:
            options.append(r"(?![\w'-])" if node[""][-1].isalnum() else "")
        return options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"

    return alternatives(root)


@dataclass(frozen=True)
class _Phrase:
    text: str
    status: Status
    pattern: re.Pattern[str]
    end_only: bool  # a status only at the end of the text: "PR open", not "Open up …"


class _Matcher:
    """One word list, compiled once: finding statuses is the parser's hot spot.

    `starts` finds, in one regex pass, every position where some phrase matches
    (a lookahead over the alternation of all phrases). Only there are the phrases
    tried one by one, and only those that can begin with the character found
    there, so a zone with no status word costs one regex search instead of one
    per phrase. The result is exactly that of trying every phrase everywhere.
    """

    def __init__(self, words: list[tuple[str, Status]]) -> None:
        self.words = words
        self.phrases = [
            _Phrase(text, status, _phrase_pattern(text), text in _END_ONLY)
            for text, status in words
        ]
        words_first = [p for p, _ in words if p[0].isalnum()]
        others = dict.fromkeys(_phrase_pattern(p).pattern for p, _ in words if not p[0].isalnum())
        branches = [_WORD_START + _trie(words_first)] if words_first else []
        branches += others
        self.starts = re.compile("(?=" + "|".join(branches) + ")", re.I) if branches else None
        # Phrases (indexes, in list order) that may match at an ASCII character, by
        # that character lower-cased. Under re.I an ASCII character matches only its
        # ASCII case variants, or a non-ASCII pattern character (the Kelvin sign
        # matches "k"): phrases beginning with a non-ASCII character are always tried,
        # and so is every phrase at a non-ASCII character.
        unusual = [k for k, (p, _) in enumerate(words) if not p[0].isascii()]
        firsts = {p[0] for p, _ in words if p[0].isascii()}
        self.by_first = {
            c: sorted({k for k, (p, _) in enumerate(words) if p[0] == c} | set(unusual))
            for c in firsts
        }
        self.unusual = unusual
        self.everything = list(range(len(words)))

    def candidates(self, char: str) -> list[int]:
        if char.isascii():
            return self.by_first.get(char.lower(), self.unusual)
        return self.everything


@functools.lru_cache(maxsize=64)
def _compiled(
    extra_done: tuple[str, ...], extra_open: tuple[str, ...], extra_dropped: tuple[str, ...]
) -> _Matcher:
    return _Matcher(_word_pairs(extra_done, extra_open, extra_dropped))


def _matcher(tracking: TrackingConfig | None) -> _Matcher:
    if tracking is None:
        return _compiled((), (), ())
    return _compiled(
        tuple(tracking.done_words), tuple(tracking.open_words), tuple(tracking.dropped_words)
    )


_ARROW = re.compile(r"->|→|=>")
_PARENS = re.compile(r"\(([^()]*)\)")
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_DASH = re.compile(r"\s(?:-|--|–|—)\s")
_TAIL = re.compile(r"(?:\s*(?:\([^()]*\)|\[[^\[\]]*\]))+\s*[.!]?\s*$")
_NON_SPACE = re.compile(r"\S+")
_LABEL_COLON = re.compile(r":\s+(?=\S)")  # not a URL's "https:"
_LABEL_STATE_WORDS = 4


def state_label(text: str) -> tuple[str, int] | None:
    """The label of a "label: state" line and where its state starts ("Landing page
    (Chidi): merged last week" -> ("Landing page (Chidi)", 22)), or None: the first
    colon followed by a space, after at most _MAX_SHORT_WORDS words."""
    colon = _LABEL_COLON.search(text)
    if colon is None:
        return None
    label = text[: colon.start()]
    if not 0 < len(label.split()) <= _MAX_SHORT_WORDS:
        return None
    return label, colon.end()


def _zones(text: str) -> Iterable[tuple[int, int]]:
    """Spans of `text` where a status is written, most telling first."""
    arrows = list(_ARROW.finditer(text))
    if arrows:
        yield arrows[-1].end(), len(text)
    for m in reversed(list(_PARENS.finditer(text))):
        yield m.start(1), m.end(1)
    for m in _BRACKETS.finditer(text):
        yield m.start(1), m.end(1)
    dashes = list(_DASH.finditer(text))
    if dashes:
        yield dashes[-1].end(), len(text)
    # A label and its state, as reviews of earlier actions write them: "Landing page
    # (Chidi): merged last week", "Windows CI: fixed by enabling long paths". Only the
    # first words after the colon: further on, the sentence tells of other things.
    labelled = state_label(text)
    if labelled is not None:
        state = labelled[1]
        words = list(islice(_NON_SPACE.finditer(text, state), _LABEL_STATE_WORDS))
        if words:
            yield state, words[-1].end()
    if len(text.split()) <= _MAX_SHORT_WORDS:
        yield 0, len(text)
    # The end of the sentence, before trailing "(remarks)" and "[owners]":
    # "… overrides in flight / assigned", "ia32 support done".
    tail = _TAIL.search(text) if "(" in text or "[" in text else None
    end = tail.start() if tail else len(text)
    words = list(_NON_SPACE.finditer(text[:end]))
    if words:
        yield words[-min(4, len(words))].start(), end


_COLON_NEXT = re.compile(r"\s*:\s*\S")  # "Done: the endpoint", not "merged: <url>"
# A status word followed by a noun is an adjective, not a status: "dropped events",
# "blocked syscalls", "done right". What may follow a status: nothing, punctuation,
# "(remarks)", "@owner", a version ("released 0.37"), or one of these words.
_NEXT_WORD = re.compile(r"\s*([^\W\d_][\w'-]*)")
_VERSION = re.compile(r"v\d[\w.-]*")
_REF_NEXT = re.compile(r"\s*[\w./-]*#\d")  # "merged falco#1172"
# A verb with its object, not an adjective: "we just released libs 0.18", "has merged X".
_SUBJECT_BEFORE = re.compile(
    r"\b(?:we|i|they|he|she|it|who|has|have|had|just|finally|already|successfully)\s+$", re.I
)
# Labels, not adjectives: "TODO write the guide", "ETA end of May", "WIP cache layer".
_LABELS = frozenset({"eta", "todo", "to-do", "wip", "tbd", "tbc"})
_MAY_FOLLOW_TEXT = """
    in on to by for until till since with after before as at and but or so yet via
    from per upstream already now too today yesterday soon this next last again
    yet still review reviews approval approvals merge release feedback decision
    confirmation vote ci tests
    """
_MAY_FOLLOW = frozenset(_MAY_FOLLOW_TEXT.split())
_PHRASE_END = re.compile(r"[,;()\[\]]|\s(?:-|--|–|—)\s|->")


def _acceptable(text: str, lo: int, zone: str, m: re.Match[str], phrase: _Phrase) -> bool:
    """Whether phrase match `m` in `zone` (= text[lo:…]) states a status, not a look-alike."""
    after = zone[m.end() :]
    # "Open up the plugin system", but "Windows CI: fixed by …" and "#311 memory leak
    # — fixed in #320" state one.
    after_label = m.start() == 0 and text[:lo].rstrip().endswith((":", "—", "–", " -", "->"))
    if phrase.end_only and after.strip(" .!:;,") and not after_label:
        return False
    if phrase.status == "done" and _COLON_NEXT.match(after):
        return False  # "Done: …" heads a list, it is no status of its own
    if " " not in phrase.text and phrase.text not in _LABELS:
        following = _NEXT_WORD.match(after)
        word = following.group(1).lower() if following else ""
        if (
            word
            and word not in _MAY_FOLLOW
            and not _VERSION.fullmatch(word)
            and not _REF_NEXT.match(after)
            and not _SUBJECT_BEFORE.search(text[: lo + m.start()])
        ):
            return False  # "dropped events", "blocked syscalls", "pending PRs"
    # "can be done", "the pending PR": the word is about the future or is an adjective.
    return not _NOT_A_STATUS_BEFORE.search(text[: lo + m.start()])


_Match = tuple[int, int, Status, str]  # (start in the zone, -length, status, matched text)


def _first_match(text: str, span: tuple[int, int], matcher: _Matcher) -> _Match | None:
    """The first acceptable phrase match in text[span]: leftmost, then longest, then first listed.

    Exactly what trying every phrase's matches left to right would give (see the
    property test in tests/notes/test_status.py), but only where some phrase can start.
    """
    lo, hi = span
    zone = text[lo:hi]
    if matcher.starts is None:
        return None
    # The first phrase match (leftmost, then longest, then first in the word list)
    # that is not a look-alike. Each phrase counts with its first acceptable match,
    # its matches taken left to right without overlap (as re.finditer gives them).
    resume: dict[int, int] = {}  # phrase -> where its next match may start
    best: _Match | None = None
    for start_match in matcher.starts.finditer(zone):
        pos = start_match.start()
        if best is not None:
            break  # a later start never beats an earlier one
        for k in matcher.candidates(zone[pos]):
            if resume.get(k, 0) > pos:
                continue
            phrase = matcher.phrases[k]
            m = phrase.pattern.match(zone, pos)
            if m is None:
                continue
            resume[k] = m.end() if m.end() > pos else pos + 1
            if not _acceptable(text, lo, zone, m, phrase):
                continue
            resume[k] = len(zone) + 1  # its first acceptable match: this phrase is done
            candidate = (m.start(), -(m.end() - m.start()), phrase.status, m.group(0))
            if best is None or candidate[:2] < best[:2]:
                best = candidate
    return best


def _search(text: str, span: tuple[int, int], matcher: _Matcher) -> tuple[Status, str] | None:
    best = _first_match(text, span, matcher)
    if best is None:
        return None
    zone = text[span[0] : span[1]]
    start, _, status, found = best
    questioned = zone[start + len(found) :].startswith("?")
    if found.lower().split()[0] in _EXTENDABLE:
        # Keep the words that say when: "Done in 0.38", "ETA end of November 2023".
        # From the text, not the zone: a label's zone holds only its first words.
        rest = _PHRASE_END.split(text[span[0] + start :], maxsplit=1)[0]
        extended = " ".join(rest.split()[:6]).rstrip(".:!?")
        if extended.lower().startswith(found.lower()):
            found = extended
    if status in ("done", "dropped") and _CONDITION.search(text[: span[0] + start]):
        return None  # "ship it if the regressions are fixed": a condition, no status
    if status == "done" and (questioned or _TENTATIVE.search(zone)):
        status = "open"  # "stable tentatively for 0.40", "merged?"
    elif status == "done" and (left := _STILL_TO_DO.search(text, span[0] + start + len(found))):
        # "Release 0.9: feature freeze done, four blockers": a step, not the end.
        # The whole clause that says it ("beta targeted for 1.31"), a few words at most.
        clause = re.split(r"[,;]|\.(?:\s|$)", text[left.start() :].lstrip(",; "), maxsplit=1)[0]
        status, found = "open", f"{found}, {' '.join(clause.split()[:6])}"
    return status, found.strip()


# Status markers as modern notes write them, wherever in the line: a check mark is
# done, a construction sign or an hourglass is work in progress. Not ❌ or ~~…~~,
# which some teams use for "not done" and others for "dropped".
_MARKERS: tuple[tuple[str, Status], ...] = (
    ("\u2705", "done"),  # ✅
    ("\u2714", "done"),  # ✔ (✔️ with its variation selector)
    ("\u2611", "done"),  # ☑
    (":white_check_mark:", "done"),
    (":heavy_check_mark:", "done"),
    (":ballot_box_with_check:", "done"),
    ("\U0001f6a7", "open"),  # 🚧
    ("\u23f3", "open"),  # ⏳
    ("\u231b", "open"),  # ⌛
    (":construction:", "open"),
    (":hourglass:", "open"),
    (":hourglass_flowing_sand:", "open"),
)
_MARKER = re.compile("|".join(re.escape(m) for m, _ in _MARKERS))
_MARKER_STATUS = dict(_MARKERS)


def find_status(text: str, tracking: TrackingConfig | None = None) -> tuple[Status, str] | None:
    """(status, raw phrase) written in `text`, or None when it states none."""
    plain = _plain(text).strip()
    if not plain:
        return None
    # In the text as written: emphasis removal would take a shortcode's underscores.
    marker = _MARKER.search(CODE.sub(" ", text) if "`" in text else text)
    if marker is not None:
        return _MARKER_STATUS[marker.group(0)], marker.group(0)
    matcher = _matcher(tracking)
    if matcher.starts is None or matcher.starts.search(plain) is None:
        # No phrase anywhere in the text, so none in any zone: a zone is bounded by
        # characters that no phrase's own edge can take ("->", "(…)", " - ", spaces),
        # so a phrase matching inside one matches in the whole text too.
        return None
    for span in _zones(plain):
        found = _search(plain, span, matcher)
        if found:
            return found
    return None


# ---- outcomes written as sentences under an item ------------------------------------
#
# Minutes report an item's outcome in a sub-bullet: "Has been merged", "issue now
# closed", "No objections.", "consensus: do the bump", "removed from the agenda".
# find_outcome reads such a sentence; it never calls a conditional, planned or
# questioned outcome ("once merged", "should be approved", "merged?") a result.

_RESULT_WORDS = (
    r"merged|landed|released|shipped|published|closed|resolved|fixed|completed|approved|"
    r"accepted|finali[sz]ed|uploaded|done|elected|re-elected|granted|adopted|ratified|"
    r"finished|operational"
)
# (pattern, status, what after the words makes it no result yet). Checked in order.
_AGENDA_WAIT = r"\b(?:until|unless|waiting|wait\s+for|once|when|pending|if|after)\b"
_OUTCOME_TABLE: tuple[tuple[str, Status, str | None], ...] = (
    # A decision on how to go on is no result: "agreed to include it via a branch".
    (r"\b(?:agreed|decided|decision\s+is)\s+(?:to|on\s+how)\b", "unknown", None),
    # Open on purpose: nothing was decided, or the work goes on.
    (
        r"\bno\s+(?:consensus|decision|agreement)\b|\bcould\s+not\s+(?:come\s+to|reach)\b|"
        r"\bnot\s+(?:yet\s+)?"
        rf"(?:{_RESULT_WORDS})\b|\bstill\s+(?:open|pending|waiting|in\s+progress)\b|"
        r"\b(?:vote|voting)\s+(?:is\s+)?(?:now\s+)?(?:open|underway|ongoing|in\s+progress)\b",
        "open",
        None,
    ),
    # Off the agenda (unless "until there is a proposal", "waiting for …").
    (
        r"\b(?:remov(?:e|ed|ing)|tak(?:e|en|ing)|took|drop(?:ped)?)\s+(?:it\s+)?(?:from|off)\s+"
        r"(?:the\s+)?(?:tsc[- ])?agenda\b|\bagenda\s+(?:tag|label)\s+(?:was\s+|has\s+been\s+)?"
        r"removed\b|\bremov(?:e|ed)\s+(?:the\s+)?(?:[\w-]*agenda[\w-]*\s+)?(?:tag|label)\b",
        "dropped",
        _AGENDA_WAIT,
    ),
    (
        r"\bno\s+longer\s+(?:needed|relevant|necessary|an\s+issue)\b|\bwithdrawn\b|"
        r"\bnot\s+accepted\b|\brejected\b|\bwon'?t\s+(?:do|fix)\b|\b(?:decided|agreed)\s+"
        r"(?:not\s+to|against)\b|\b(?:decided|agreed)\s+(?:that\s+)?(?:we\s+)?(?:don'?t|do\s+not)"
        r"\s+(?:want|need)\b|\bdrop(?:ped)?\s+support\b",
        "dropped",
        "",
    ),
    # Carried on under another issue: "Being covered by #803", "superseded by
    # nodejs/node#412", "duplicate of #12". Its story goes on there.
    (
        r"\b(?:covered|superseded|replaced|tracked|handled|continued)\s+(?:by|in|under)\s+"
        r"(?:[\w.-]+(?:/[\w.-]+)?)?#\d+\b|\bduplicate\s+of\s+(?:[\w.-]+(?:/[\w.-]+)?)?#\d+\b",
        "dropped",
        "",
    ),
    # Done, said as a result.
    (
        r"\b(?:has|have|had|was|were|got|is|are)\s+(?:now\s+|already\s+|finally\s+|just\s+)?"
        rf"(?:been\s+)?(?:{_RESULT_WORDS})\b",
        "done",
        "",
    ),
    # "Merged", "now closed as the vote was to …", "fixed: <link>"; not "Released
    # `orchard-cli` …" (a result of something else, named after the word).
    (
        r"^\W*(?:(?:the\s+)?(?:issue|pr|pull\s+request|it|this)\s+)?(?:is\s+)?(?:now\s+)?"
        rf"(?:{_RESULT_WORDS})\b(?=\s*(?:$|[.:,;!(\-]|as\b|because\b|since\b|after\b|in\b|"
        r"on\b|by\b|with\b|via\b|now\b|already\b|today\b|yesterday\b|-?>))",
        "done",
        "",
    ),
    (
        r"\b(?:issue|pr|pull\s+request)\s+(?:is\s+)?(?:now\s+)?(?:closed|merged|landed)\b",
        "done",
        "",
    ),
    # "e2e tests merged, GA approved", "moved to beta, merged": a short subject and
    # its result, or a result closing the sentence.
    (
        rf"^\W*(?:[\w.#/-]+\s+){{1,3}}(?:{_RESULT_WORDS})\b(?=\s*(?:$|[,.;:!]|and\b|by\b|"
        r"in\b|upstream\b|yesterday\b|today\b|last\s+week\b))",
        "done",
        "",
    ),
    # "…, fix in #240, merged yesterday", "…; approved unanimously": a result closing
    # the sentence, with its when or how.
    (
        rf"(?:^|[,;]\s*)(?:now\s+|finally\s+)?(?:{_RESULT_WORDS})(?:\s+(?:yesterday|today|"
        r"earlier|already|unanimously|last\s+(?:week|night|month)|this\s+(?:week|morning)))?"
        r"\s*[.!]*\s*$",
        "done",
        "",
    ),
    (
        rf"^\W*(?:{_RESULT_WORDS})\s+(?:and|but)\b|\b(?:now\s+)?(?:{_RESULT_WORDS})\s+and\s+"
        r"(?:progressing|uploading|uploads|running|available|working|live|out)\b",
        "done",
        "",
    ),
    # "Resolution:" / "Conclusion:" say how to go on more often than that it is over.
    (r"^\W*(?:resolution|conclusion|outcome|decision)\s*:", "unknown", None),
    (
        r"\b(?:vote|voting|election)\s+(?:was|is|has)\s+(?:now\s+)?(?:closed|done|complete|"
        r"concluded|over)\b|\bvote\s+was\s+to\b|\bvoted\s+(?:to|for|in\s+favou?r)\b|"
        r"\bhas\s+passed\b",
        "done",
        "",
    ),
    (r"\bwe\s+have\s+(?:a\s+)?(?:consensus|agreement|a\s+decision)\b", "done", ""),
    # An election's result: "we have a chair and vice-chairs!", "we have our new leads".
    (
        r"\bwe\s+(?:now\s+)?have\s+(?:a|an|our|two|three)?\s*(?:new\s+)?"
        r"(?:chairs?|vice[- ]chairs?|co-?chairs?|leads?|winners?)\b",
        "done",
        "",
    ),
    # An answer: consent to what was asked (see _outcome_child in digest.items).
    (r"\b(?:is|are|went)\s+(?:now\s+|finally\s+)?(?:out|live)\b(?!\s+of\b)", "done", ""),
    (r"\bno\s+(?:objections?|opposition|concerns?|blockers?)\b", "done", ""),
    (
        r"\b(?:we|everyone|everybody|all|tsc|team)\s+(?:have\s+)?(?:agreed|agrees?|decided)\b|"
        r"^\W*(?:agreed|decided|approved|settled)\b",
        "done",
        "",
    ),
)
# "-> merged", "→ released 0.33.0", "=> done." ending the line.
_ARROW_RESULT = re.compile(
    rf"(?:->|→|=>)\s*(?:now\s+|finally\s+)?(?:{_RESULT_WORDS})\b(?:\s+[\w.#/-]+){{0,2}}\s*[.!]*\s*$",
    re.I,
)
_OUTCOMES = tuple(
    (re.compile(pattern, re.I), status, re.compile(after, re.I) if after else None, after == "")
    for pattern, status, after in _OUTCOME_TABLE
)
# What makes an outcome sentence conditional, planned or asked, not a result.
_NOT_YET = re.compile(
    r"\b(?:if|once|when|whenever|until|unless|after|before|should|shall|would|could|might|"
    r"(?<!\d\s)may(?!\s+\d)|"  # not the month: "merged on 18 May"
    r"will|going\s+to|plan(?:s|ned)?\s+to|hope(?:s|fully)?|expect(?:s|ed)?|need(?:s)?\s+to\s+be|"
    r"to\s+be|waiting|wait|pending|can|let'?s|propos(?:e|ed|al)|suggest(?:s|ed)?)\b",
    re.I,
)
# Before the words, for every outcome: "will remove from agenda", "if merged".
_NOT_YET_BEFORE = re.compile(
    r"\b(?:if|once|when|whenever|until|unless|should|shall|would|could|might|will|going\s+to|"
    r"plan(?:s|ned)?\s+to|hope|expect|need(?:s)?\s+to|can|let'?s)\b[^.;!?]*$",
    re.I,
)
_CONDITIONAL_BEFORE = re.compile(
    r"\b(?:if|once|when|whenever|until|unless|should|might|could|(?<!\d\s)may(?!\s+\d))\b"
    r"[^.;!?]*$",
    re.I,
)
# Answers that close an item only when they answer a question ("any objections?").
ANSWERS = re.compile(r"^no\s+(?:objections?|opposition|concerns?|blockers?)\b", re.I)


# A line reporting its own work done by the verb that starts it, as stand-ups write:
# "finished the TLS migration (#71)", "@bo: merged the cache PR". An object must
# follow ("Fixed costs", "Merged PRs this week:" are not reports).
_REPORTED_DONE = re.compile(
    r"^\W*(?:[@\w.-]+\s*:\s*)?(finished|completed|merged|shipped|landed|released|published|"
    r"wrapped\s+up)\s+(?:the|a|an|my|our|their|his|her|this|that|both|all|another|PR\b|"
    r"pull\s+request|#\d)",
    re.I,
)


# The same, said of the work in its first clause: "The bootloader fix (#77) was merged
# on 18 May and OTA rollouts resumed".
_REPORTED_DONE_PASSIVE = re.compile(
    r"^[^,;.!?]{1,80}?\b(?:was|were|has\s+been|have\s+been|got)\s+(?:now\s+|finally\s+)?"
    r"(merged|fixed|closed|released|landed|resolved|shipped|completed|finished|published|"
    r"submitted)\b",
    re.I,
)


def reported_done(text: str) -> tuple[Status, str] | None:
    """("done", verb) when the line reports its own work done by its first verb, or
    in its first clause as done to it ("… was merged on 18 May"), unless what
    follows in its clause says it is not over ("…, waiting for review"). Only for an
    item's own line: under a topic, "Landed PR to unflag modules" is one step of it."""
    plain = " ".join(plain_text(link_text(text)).split())
    found = _REPORTED_DONE.match(plain) or _REPORTED_DONE_PASSIVE.match(plain)
    if found is None:
        return None
    clause = re.split(r"[.;!]|\s-\s", plain[found.end() :])[0]
    if _NOT_YET.search(clause) or _STILL_TO_DO.search(clause):
        return None
    return "done", found.group(1)


def find_outcome(text: str, *, lead_words: int = 0) -> tuple[Status, str] | None:
    """An outcome stated as a sentence ("Has been merged", "No objections.", "removed from
    the agenda"), or None. The first pattern that matches decides; a conditional or
    questioned sentence states none (so "no objections, should move forward" is open).
    `lead_words`: only an outcome within the text's first so many words counts."""
    # Links as their text; a URL or code span is a thing named, kept as a word.
    plain = link_text(text)
    if has_url(plain):
        plain = URL.sub(" link ", plain)
    if "`" in plain:
        plain = CODE.sub(" code ", plain)
    plain = " ".join(plain_text(plain).split())
    if not plain:
        return None
    arrow = _ARROW_RESULT.search(plain)
    if arrow is not None and not _NOT_YET_BEFORE.search(plain[: arrow.start()].split(".")[-1]):
        # "…, fix is in 6.9.3 -> closed": an arrow to a result closing the line is the
        # note-taker's own verdict, wherever the line's sentence began.
        return "done", arrow.group(0).strip()
    for pattern, status, after, general in _OUTCOMES:
        m = pattern.search(plain)
        if m is None:
            continue
        if status == "unknown":
            return None
        if lead_words and len(plain[: m.start()].split()) > lead_words:
            return None  # said further on, of something else: "…, matplotlib has done it"
        clause = re.split(r"[.;!]|\s-\s|,?\s+(?:but|so|and)\s", plain[m.start() :])[0]
        rest = clause[len(m.group(0)) :]
        before = re.split(r"[.;!?]|,?\s+(?:but|so|and)\s", plain[: m.start()])[-1]
        if status != "open":
            if "?" in plain[m.start() : m.end() + 2]:
                return None
            # "will take it off the agenda" is the decision itself; "will be merged" is not.
            soon = _CONDITIONAL_BEFORE if after is not None and not general else _NOT_YET_BEFORE
            if soon.search(before):
                return None
            guard = _NOT_YET if general else after
            if guard is not None and guard.search(rest):
                return None
            if status == "done" and _STILL_TO_DO.search(plain[m.end() :]):
                return None  # "feature freeze done, four blockers": a step, not the end
            if status == "done" and _STILL_BEFORE.search(plain[: m.start()]):
                return None  # "still broken, Tomás is out": someone is away, not done
        return status, m.group(0).strip(" :,;")
    return None


# The same sentence said before that it goes on: "still broken, …".
_STILL_BEFORE = re.compile(r"\bstill\b[^.;!?]*$", re.I)
_COUNT = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|some|a\s+few|several|many)"
# What is left after a result the line reports: the item itself goes on.
_STILL_TO_DO = re.compile(
    rf"\b{_COUNT}\s+(?:more\s+)?(?:blockers?|release\s+blockers?)\b|"
    rf"\b{_COUNT}\s+(?:more\s+)?(?:issues?|bugs?|regressions?|failures?|follow[- ]?ups?|items?|"
    r"tasks?|prs?|pull\s+requests?|steps?)\s+(?:left|remain(?:ing|s)?|to\s+go|open|outstanding|"
    r"pending)\b|\bstill\s+(?:open|blocked|pending|to\s+do|missing|needs?|waiting)\b|"
    # "alpha merged, beta targeted for 1.31", "merged, pending backport": a next
    # part said after the result, in a clause of its own.
    r"[,;]\s*(?:but\s+)?(?:\S+\s+){0,3}?(?:(?:targeted|planned|scheduled)\s+for|pending\b|"
    r"waiting\s+(?:for|on)\b|needs?\s+(?:a\s+)?(?:follow[- ]?up|backport|review|docs)\b|"
    r"(?:still\s+)?to\s*do\b)|"
    # "Agreed on May 4-5, Anna to send out the email": someone takes on what is left.
    r"[,;]\s*(?-i:[A-Z@][\w.-]*)(?:\s+(?:and|&)\s+(?-i:[A-Z@])[\w.-]*)?\s+(?:to|will)\s+(?-i:[a-z])",
    re.I,
)


# ---- an action's own verb, said back as its state ------------------------------------
#
# A review of last meeting's actions often answers in the action's own verb: "Rosa to
# post the call for volunteers" -> "Call for volunteers: posted"; "send the survey" ->
# "survey sent". Which verb an action has is digest.notes.kinds.action_verb; digest.
# tracking says when a later mention answers it.

_VOWELS = frozenset("aeiou")
# Irregular past forms of verbs that actions start with.
_IRREGULAR_PAST: dict[str, tuple[str, ...]] = {
    "send": ("sent",),
    "write": ("written", "wrote"),
    "make": ("made",),
    "find": ("found",),
    "get": ("got", "gotten"),
    "give": ("given", "gave"),
    "take": ("taken", "took"),
    "build": ("built",),
    "run": ("ran",),
    "go": ("went", "gone"),
    "begin": ("begun", "began"),
    "buy": ("bought",),
    "bring": ("brought",),
    "hold": ("held",),
    "lead": ("led",),
    "meet": ("met",),
    "pay": ("paid",),
    "tell": ("told",),
    "draw": ("drawn", "drew"),
    "speak": ("spoken", "spoke"),
    "choose": ("chosen", "chose"),
    "set": (),  # "set", "put", "cut", "read": the same word either way, so no answer
    "put": (),
    "cut": (),
    "read": (),
    "do": (),  # "done" is a status word of its own
}
# What before the verb makes it no result: "not posted", "will be sent", "once sent".
_NOT_DONE_BEFORE = re.compile(
    r"\b(?:not|never|n't|yet|be|to|once|if|when|until|will|should|would|could|must|can|"
    r"needs?|want)\s+(?:\w+\s+)?$",
    re.I,
)


def past_forms(verb: str) -> tuple[str, ...]:
    """The forms that say `verb` was done: "post" -> "posted"; "submit" -> "submitted",
    "submited"; "apply" -> "applied"; "send" -> "sent"."""
    if verb in _IRREGULAR_PAST:
        return _IRREGULAR_PAST[verb]
    if verb.endswith("e"):
        return (verb + "d",)
    if verb.endswith("y") and len(verb) > 2 and verb[-2] not in _VOWELS:
        return (verb[:-1] + "ied",)
    forms = [verb + "ed"]
    # A final consonant after one vowel may double ("submitted", "planned"); which
    # ones do depends on stress, so both spellings are looked for.
    if (
        len(verb) > 2
        and verb[-1] not in _VOWELS
        and verb[-1] not in "wxy"
        and verb[-2] in _VOWELS
        and verb[-3] not in _VOWELS
    ):
        forms.append(verb + verb[-1] + "ed")
    return tuple(forms)


def echoed_result(text: str, verb: str) -> str | None:
    """The past form of the action's own `verb` written where a line states its state
    ("Call for volunteers: posted", "survey sent (Ana)", "talk -> submitted"), or None.
    A plan, a negation or a question is no result: "not posted yet", "to be sent",
    "posted?"."""
    forms = past_forms(verb)
    if not forms:
        return None
    plain = _plain(text).strip()
    pattern = re.compile(rf"(?<![\w'-])(?:{'|'.join(map(re.escape, forms))})(?![\w'-])", re.I)
    if pattern.search(plain) is None:
        return None
    for lo, hi in _zones(plain):
        zone = plain[lo:hi]
        m = pattern.search(zone)
        if m is None:
            continue
        if zone[m.end() :].lstrip().startswith("?"):
            return None
        if _NOT_DONE_BEFORE.search(zone[: m.start()]) or _TENTATIVE.search(zone):
            return None
        if _CONDITION.search(plain[: lo + m.start()]):
            return None
        return m.group(0)
    return None
