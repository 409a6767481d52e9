"""Threads: the same item followed across the meetings of a series (pipeline stage 4).

Pure: `build_threads(items, tracking)` walks each series' meetings in date order and,
for every tracked item, decides which earlier thread it continues, in this order:

1. a shared canonical reference ("org/repo#123"), looked up in an index ref -> threads.
   A "hub" reference (a tracking issue mentioned by many unrelated items) stops being
   a join key on its own once it is in HUB_THREADS threads: then it also needs text
   that looks alike (HUB_SIMILARITY below the configured similarity). So does a
   reference found only in an item's detail lines, on either side: a parent bullet
   ("Discuss outstanding tasks for 0.37") is not the topic of each link under it;
2. the same status-table row (Item.row_key);
3. text similarity of at least `tracking.similarity`: rapidfuzz's token_set_ratio
   on normalized words, capped by a weighted overlap (rare shared words count more,
   see Vocabulary). Compared only with the series' threads seen in the last
   `forget_after` meetings, or still open and seen in the last OPEN_LOOKBACK x
   forget_after meetings, so the cost stays near-linear in the number of items.
   Under a heading saying the items follow up on an earlier meeting, FOLLOW_UP_SLACK
   points less are enough and the sub-bullets of earlier items are candidates too.

A thread takes at most one item per meeting; when several items of one meeting
claim the same thread, the strongest claim (row, then reference, then text; higher
score first) wins and the others try their next candidate or start a thread.
Every decision is recorded as a Join, which `digest items --explain` prints.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from itertools import islice
from typing import Protocol

from rapidfuzz import fuzz, process

from digest.config.schema import TrackingConfig
from digest.model import Item, Join, Status, Thread
from digest.notes.kinds import action_verb
from digest.notes.refs import proposal_written
from digest.notes.status import echoed_result, state_label
from digest.notes.text import MD_LINK, URL

HUB_THREADS = 3  # a reference found in this many threads is a hub, not a join key alone
HUB_SIMILARITY = 25  # a hub reference still joins when the text is this close to `similarity`
OPEN_LOOKBACK = 4  # open threads stay candidates for text joins this many x forget_after
TEXT_CANDIDATES = 5  # text candidates kept per item (for when its best one is taken)
# Texts an item is compared with, at most: the newest threads sharing a word with it.
# Real series stay far below (a few dozen); a hostile note must not make it quadratic.
MAX_SIMILARITY_CANDIDATES = 500
_NO_EVIDENCE = (0.0, 0.0)  # a row or reference join: no words weighed

# Words that say nothing about *what* an item is: English glue, meeting verbs and
# status words (a status changing must not stop an item from being recognized).
_STOPWORD_TEXT = """
    a about above after again all also am an and any are as at be been before being
    below between both but by can could did do does doing down during each else even
    ever few for from further get got had has have having he her here hers him his how
    i if in into is it its itself just let lets let's me more most my no nor not now of
    off on once only or other our ours out over own same she should so some such than
    that the their them then there these they this those through to too under until up
    us very was we were what when where which while who whom why will with would you
    your yours e.g eg i.e ie etc via re vs per maybe still already
    discuss discussed discussion discussing status update updates updated check checking
    checked follow follow-up followup consider considering need needs needed work
    working worked item items topic topics please see note notes question questions
    done complete completed finished merged released shipped resolved fixed closed
    open opened todo to-do tbd wip pending blocked hold progress flight started
    starting ongoing postponed delayed late bit dropped cancelled canceled abandoned
    rejected eta assigned partially stable wohoo yay
    agenda minutes highlight highlights action actions meeting call weekly monthly
    anyone someone somebody anybody everyone everybody interested owner owning volunteer
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_BRACKETS = re.compile(r"\[[^\]]{0,40}\]")  # [luca], [to-do], [proposal]
_HANDLE = re.compile(r"(?<![\w.])@[\w-]+")
_REF = re.compile(r"\b[\w.-]+/[\w.-]+#\d+|\b[\w.-]+#\d+|\B#\d+\b")  # org/repo#12, repo#12, #12
_LEADING_LABEL = re.compile(
    r"^\s*(?:\*\*|__)?(?:action(?:\s+items?)?|ai|todo|to-do)(?:\*\*|__)?\s*:\s*", re.IGNORECASE
)
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b(19|20)\d\d\b")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9.+*_-]*")
# Headings under which notes re-list earlier items ("Some items to check in from
# last time", "Follow-ups", "Carried over"): there a looser text match is enough.
_FOLLOW_UP = re.compile(
    r"\b(from last time|last time|last (meeting|call|week|month)|check[- ]?ins?\b|"
    r"follow[- ]?ups?|carr(y|ied)[- ]?over|previous (meeting|call|time|notes|action items|items)|"
    r"open items from|from (the )?(previous|last|earlier) (meeting|call|notes)|"
    r"see notes from)",
    re.IGNORECASE,
)
# The meeting a follow-up heading names: "(see notes from 2023-10-05)".
_NAMED_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
FOLLOW_UP_SLACK = 15  # points below `similarity` accepted for items under such headings
# A follow-up item may also continue a thread of the meeting it follows up on when they
# share the item's most distinctive word ("ia32 emulation done" after "ia32 support")
# and this much of one text's word weight is in the other.
FOLLOW_UP_OVERLAP = 40.0
# An action and its restatement in the meeting's summary of actions: the share of
# each one's words (by weight) the other holds, at least.
RESTATED_OVERLAP = 60.0
# Words an item must share with a detail line of a thread to join it by that line,
# unless the line holds most of the item (see _proposals).
DETAIL_SHARED_WORDS = 3


def normalize_tokens(text: str, status_phrase: str | None = None) -> list[str]:
    """The words of an item that say what it is about, in order, deduplicated.

    Lower case; Markdown links reduced to their text; URLs, references, owners and
    status words removed; plurals folded ("overrides" == "override").
    """
    # "ACTION: …", "TODO: …": a label, not what the item is about.
    text = _LEADING_LABEL.sub(" ", text, count=1).lower()
    if status_phrase:
        text = text.replace(status_phrase.lower(), " ")
    text = MD_LINK.sub(r" \1 ", text)  # a link's text, kept apart from its neighbours
    text = URL.sub(" ", text)
    text = _REF.sub(" ", text)
    text = _BRACKETS.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _DATE.sub(" ", text)
    seen: dict[str, None] = {}
    for raw in _TOKEN.findall(text):
        word = raw.strip(".-_+*")
        if not word or word in STOPWORDS or (len(word) == 1 and not word.isdigit()):
            continue
        seen.setdefault(_fold(word), None)
    return list(seen)


def _fold(word: str) -> str:
    """A crude fold of plurals and verb forms, enough to match "overrides"/"override",
    "policies"/"policy", "triaged"/"triage", "merging"/"merge"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("e") and word[-2] not in "aeiou":
        word = word[:-1]  # "triage" and "triag(ed)" alike
    return word


def effective_status(items: Iterable[Item]) -> Status:
    """The last known status. A mention without a status does not change it, except a
    topic back on the agenda of a later meeting after it was closed: open again."""
    status: Status = "unknown"
    closed_in: str | None = None
    for item in items:
        if item.status != "unknown":
            status = item.status
            closed_in = item.meeting_id if status in ("done", "dropped") else None
        elif item.kind == "topic" and closed_in is not None and item.meeting_id != closed_in:
            status, closed_in = "open", None
    return status


def read_echoes(items: Sequence[Item]) -> list[Item]:
    """A thread's items, a mention that states no status of its own read as done when
    it says the thread's action in its own verb, in the past: "Rosa to post the call
    for volunteers", then "Call for volunteers: posted". Only after an action (the verb
    is the work's), and only where a line states its state (see echoed_result)."""
    out: list[Item] = []
    verb: str | None = None
    for item in items:
        if verb is not None and item.status == "unknown" and item.followed:
            said = echoed_result(item.text, verb)
            if said is not None:
                item = replace(item, status="done", status_phrase=said)
        elif verb is None and item.kind == "action":
            verb = action_verb(item.text)
        out.append(item)
    return out


@dataclass(frozen=True)
class TopicText:
    """One text as the matcher sees it."""

    fuzzy: str  # normalized words, for rapidfuzz
    words: frozenset[str]  # every normalized word, for the weighted overlap
    # Words of the headings/grouping bullets above it ("Falco rules maturity framework
    # and configs:"): they may match the other text's words, never count against it.
    context: frozenset[str] = frozenset()


_SUBJECT_HEAD = re.compile(r"^(.{6,100}?)\s+[—–]\s+\S")


class Vocabulary:
    """How rare each word is in a series: rare shared words say more than common ones."""

    def __init__(self, texts: Iterable[list[str]] = ()) -> None:
        # Each distinct wording counts once: an item restated in ten meetings must not
        # make its own words look common.
        self.df: Counter[str] = Counter()
        self.total = 0
        # Each wording seen, as a stable 8-byte digest: a kept tracker (pickled at
        # every month's end) stays small however many wordings a history has.
        self._seen: set[bytes] = set()
        # Each word's weight, worked out once until the counts change: a month's
        # digest compares thousands of texts with one vocabulary.
        self._weights: dict[str, float] = {}
        self._totals: dict[frozenset[str], float] = {}  # a text's words -> their weight
        self.add(texts)

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_weights"] = {}  # a kept tracker stores the counts, not these caches
        state["_totals"] = {}
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_weights", {})
        self.__dict__.setdefault("_totals", {})

    def add(self, texts: Iterable[list[str]]) -> None:
        """Count more wordings (a meeting's, as meetings arrive)."""
        for words in texts:
            distinct = set(words)
            key = hashlib.blake2b("\x1f".join(sorted(distinct)).encode(), digest_size=8).digest()
            if key not in self._seen:
                self._seen.add(key)
                self.df.update(distinct)
                self.total += 1
                self._weights.clear()
                self._totals.clear()

    def weight(self, word: str) -> float:
        found = self._weights.get(word)
        if found is None:
            found = self._weights[word] = math.log((self.total + 1) / (self.df.get(word, 0) + 0.5))
        return found

    def text(
        self, raw: str, status_phrase: str | None = None, section: Sequence[str] = ()
    ) -> TopicText:
        words = normalize_tokens(raw, status_phrase)
        fuzzy = " ".join(words)
        context = {w for part in section for w in normalize_tokens(part)}
        return TopicText(fuzzy, frozenset(words), frozenset(context))

    def item_text(self, item: Item) -> TopicText:
        """An item's text; a table row's leading cells ("Storage — …") are context."""
        if item.form == "row" and item.row_key:
            # The key cells say what the row is ("core / streaming api"): the last is
            # the work, the others its context; owners, dates and notes are not.
            *labels, goal = item.row_key.split(" / ")
            return self.text(goal, item.status_phrase, [*item.section, *labels])
        head = _SUBJECT_HEAD.match(item.text) if item.form in ("list", "task") else None
        if head is not None and len(normalize_tokens(head.group(1))) >= 2:
            # "2.1 milestone cleanup — @lin moved 14 issues, done": what the line is
            # about comes before the dash, today's news about it after.
            return self.text(head.group(1), item.status_phrase, item.section)
        return self.text(item.text, item.status_phrase, item.section)

    def total_weight(self, a: TopicText) -> float:
        """The weight of all of a text's words (kept until the counts change)."""
        total = self._totals.get(a.words)
        if total is None:
            total = self._totals[a.words] = math.fsum(self.weight(w) for w in a.words)
        return total

    def _contained(self, a: TopicText, b: TopicText) -> float:
        total = self.total_weight(a)
        if total <= 0:
            return 0.0
        return math.fsum(self.weight(w) for w in a.words & (b.words | b.context)) / total

    def shared_weight(self, a: TopicText, b: TopicText) -> float:
        return math.fsum(self.weight(w) for w in a.words & b.words)

    def own_weight(self, a: TopicText, b: TopicText) -> float:
        """The weight of the words of `a` that `b` does not have."""
        return math.fsum(self.weight(w) for w in a.words - b.words)

    def covered(self, a: TopicText, b: TopicText) -> float:
        """0-100: how much of `a` (by word weight) `b` contains."""
        return 100.0 * self._contained(a, b)

    def overlap(self, a: TopicText, b: TopicText) -> float:
        """0-100: how much of one text (by word weight) the other one contains."""
        return 100.0 * max(self._contained(a, b), self._contained(b, a))

    def similarity(self, a: TopicText, b: TopicText, fuzzy_score: float | None = None) -> float:
        """rapidfuzz's token_set_ratio, capped by the weighted overlap.

        token_set_ratio alone scores "k8s" against "k8s metadata client refactor" 100:
        one shared word is enough when a text is short. The overlap weighs what is
        shared by how rare it is, so only a shared *specific* subject scores high.
        """
        if not a.fuzzy or not b.fuzzy:
            return 0.0
        if fuzzy_score is None:
            fuzzy_score = float(fuzz.token_set_ratio(a.fuzzy, b.fuzzy))
        return min(fuzzy_score, self.overlap(a, b))


@dataclass
class _Open:
    """A thread being built, with what the joining rules need to know about it (its
    items go out as they join: see SeriesTracker.add)."""

    id: str  # the key of its first item
    first: Item
    last: Item
    last_meeting: int  # ordinal of the series meeting it was last seen in
    status: Status
    texts: list[TopicText] = field(default_factory=list)  # its first and last text
    details: list[TopicText] = field(default_factory=list)  # child lines of its last item
    meetings: set[int] = field(default_factory=set)  # ordinals of the meetings it was seen in


@dataclass(frozen=True)
class _Candidate:
    index: int  # thread
    text: TopicText
    detail_line: bool


class _Candidates:
    """A meeting's text candidates, indexed by word: an item is compared only with the
    candidates it shares a word with (every text rule needs one: the weighted overlap
    of texts sharing no word is 0), never with all of them."""

    def __init__(self, candidates: list[_Candidate]) -> None:
        self.all = candidates
        self.fuzzy = [c.text.fuzzy for c in candidates]  # once per meeting, not per item
        self._by_word: dict[str, list[int]] = defaultdict(list)  # its words or context
        self._by_own_word: dict[str, list[int]] = defaultdict(list)  # its words only
        for position, candidate in enumerate(candidates):
            for word in candidate.text.words | candidate.text.context:
                self._by_word[word].append(position)
            for word in candidate.text.words:
                self._by_own_word[word].append(position)

    def sharing(self, text: TopicText) -> tuple[list[int], int]:
        """Positions of the candidates sharing a word with `text`, in order (one of
        its words among theirs or their context, or one of theirs in its context),
        at most MAX_SIMILARITY_CANDIDATES, those of the newest threads; and how many
        there were."""
        found: set[int] = set()
        for word in text.words:
            found.update(self._by_word.get(word, ()))
        for word in text.context:
            found.update(self._by_own_word.get(word, ()))
        return sorted(found)[-MAX_SIMILARITY_CANDIDATES:], len(found)


class ColdThreads(Protocol):
    """Where a tracker keeps the threads that left its look-back window: only a shared
    reference or table row can bring one back, so they need not stay in memory."""

    def put(self, index: int, state: _Open, ordinal: int) -> None: ...

    def get(self, index: int) -> _Open: ...


class MemoryThreads:
    """ColdThreads in a dict (build_threads: everything is in memory anyway)."""

    def __init__(self) -> None:
        self._states: dict[int, _Open] = {}

    def put(self, index: int, state: _Open, ordinal: int) -> None:
        self._states[index] = state

    def get(self, index: int) -> _Open:
        return self._states[index]


class _States:
    """Thread index -> its state: the tracker's own (hot) ones, else the cold store's,
    fetched on demand and put back after the meeting."""

    def __init__(self, hot: dict[int, _Open], cold: ColdThreads) -> None:
        self.hot = hot
        self.cold = cold
        self.fetched: set[int] = set()

    def __getitem__(self, index: int) -> _Open:
        state = self.hot.get(index)
        if state is None:
            state = self.hot[index] = self.cold.get(index)
            self.fetched.add(index)
        return state


# One item's place: (thread index, the item, why it joined). A new index starts a thread.
Placement = tuple[int, Item, Join]


class SeriesTracker:
    """The threads of one series, built meeting by meeting, in date order.

    Word weights grow meeting by meeting: a decision about a meeting's items depends
    only on that meeting and earlier ones, so the threads of the notes up to a month
    are the threads of all notes cut at that month (later notes change no digest).
    A tracker pickles (without its cold store) so it can be kept and resumed later:
    digest.app.tracked keeps one at each month boundary.
    """

    def __init__(self, series: str) -> None:
        self.series = series
        self.vocabulary = Vocabulary()
        self.count = 0  # threads started
        self.hot: dict[int, _Open] = {}  # the threads in `active`
        self.active: list[int] = []  # threads still inside the look-back window, oldest first
        self.by_ref: dict[str, dict[int, None]] = defaultdict(dict)  # ref -> threads, in order
        self.own_refs: dict[int, set[str]] = defaultdict(set)  # refs in a thread's own texts
        self.by_row: dict[str, int] = {}
        # A meeting day (date.toordinal(): a kept tracker pickles ints much faster than
        # dates, and a long history has thousands) -> its (last) meeting's ordinal.
        self.meeting_ordinal: dict[int, int] = {}
        self.ordinal = 0  # of the next meeting

    def add(
        self,
        batch: Sequence[Item],
        tracking: TrackingConfig,
        cold: ColdThreads,
        warnings: list[str] | None = None,
    ) -> list[Placement]:
        """Place one meeting's tracked items (in line order); returns where each went.

        When an item had more similar-looking earlier texts than
        MAX_SIMILARITY_CANDIDATES, a sentence naming its note and line is appended to
        `warnings` (once a meeting)."""
        ordinal = self.ordinal
        self.ordinal += 1
        vocabulary = self.vocabulary
        texts = {item.key: vocabulary.item_text(item) for item in batch}
        vocabulary.add(normalize_tokens(i.text, i.status_phrase) for i in batch)
        # Prune once per meeting, so each meeting looks at a bounded window of threads,
        # never at the whole history: the cost stays near-linear in the number of items.
        horizon = ordinal - OPEN_LOOKBACK * tracking.forget_after
        keep = [i for i in self.active if self.hot[i].last_meeting >= horizon]
        for index in set(self.active) - set(keep):
            cold.put(index, self.hot.pop(index), ordinal)
        self.active = keep
        building = _States(self.hot, cold)
        candidates = _Candidates(_text_candidates(building, self.active, ordinal, tracking))
        self.meeting_ordinal[batch[0].meeting_date.toordinal()] = ordinal
        # (rank, -score, (-shared, unshared), item position, thread, join): on equal
        # scores the text sharing more (and rarer) words wins, then the one adding fewer
        # of its own: an exact restatement before a text that merely contains the
        # item's few words ("Plugin API RFC" is that topic, not "Draft the plugin API
        # RFC").
        proposals: list[tuple[int, float, tuple[float, float], int, int, Join]] = []
        # An action list's carry-over of an action reviewed above goes where the review
        # goes (below), so the two never compete for the same thread.
        follows_review = _follows_review(batch, texts, vocabulary)
        restated = _restated_actions(batch, texts, vocabulary, tracking)
        capped = False
        for pos, item in enumerate(batch):
            if pos in follows_review:
                continue
            text = texts[item.key]
            positions, found = candidates.sharing(text)
            if found > len(positions) and not capped and warnings is not None:
                capped = True
                warnings.append(
                    f"{item.source}:{item.path}:{item.line}: {found:,} earlier items look like "
                    f"this one; it is compared with the newest {len(positions):,} only."
                )
            near = [candidates.all[p] for p in positions]
            for rank, index, join, evidence in _proposals(
                item,
                text,
                vocabulary,
                building,
                (self.by_ref, self.own_refs),
                self.by_row,
                (candidates, positions),
                tracking,
            ):
                shared, unshared = evidence
                proposals.append((rank, -join.score, (-shared, unshared), pos, index, join))
            for index, join in _same_person_proposals(item, text, vocabulary, near, building):
                proposals.append((0, -join.score, _NO_EVIDENCE, pos, index, join))
            if is_follow_up(item):
                followed = _followed_meeting(item, ordinal, self.meeting_ordinal)
                for index, join in _follow_up_proposals(
                    item,
                    _review_texts(item, text, vocabulary),
                    vocabulary,
                    near,
                    building,
                    followed,
                ):
                    proposals.append((5, -join.score, _NO_EVIDENCE, pos, index, join))
        proposals.sort(key=lambda p: p[:5])
        placed: dict[int, tuple[int, Join]] = {}  # item position -> (thread index, join)
        taken: set[int] = set()
        for _rank, _score, _evidence, pos, index, join in proposals:
            if pos in placed or index in taken:
                continue
            placed[pos] = (index, join)
            taken.add(index)
        # The same issue twice in one meeting (the agenda line, then the minutes under
        # a heading naming it) is one topic: the later mention joins the earlier one.
        # So is the same line twice: minutes that list their ACTION lines again at the
        # end ("Action items", "Action items, by person").
        # A detail line that is an item of its own ("Owen to tell the distros" in a
        # topic's minutes) has its own thread: it is no text of its topic's.
        items_below: defaultdict[str, set[str]] = defaultdict(set)
        for item in batch:
            if item.parent:
                items_below[item.parent].add(_box_less(item.text))
        here: dict[str, int] = {}  # own reference -> thread of this meeting
        spoken: dict[tuple[str, ...], int] = {}  # words and owners -> thread of this meeting
        thread_at: dict[int, int] = {}  # item position -> its thread
        out: list[Placement] = []
        for pos, item in enumerate(batch):
            own = [r for r in item.refs if ref_in_text(r, item.text)]
            same = next((here[r] for r in own if r in here), None)
            # The same words by the same people: two stand-ups may say the same.
            words = texts[item.key].fuzzy
            line = (words, *sorted(item.owners))
            again = spoken.get(line) if words else None
            if pos in placed:
                index, join = placed[pos]
                state = building[index]
            elif same is not None:
                index, state = same, building[same]
                join = Join(item.key, "ref", "the same issue, again in the same meeting")
            elif again is not None:
                index, state = again, building[again]
                join = Join(item.key, "text", "the same line, again in the same meeting", 100.0)
            elif pos in follows_review:
                review_pos, join = follows_review[pos]
                index = thread_at[review_pos]
                state = building[index]
            elif pos in restated and (
                (partner := restated[pos][0]) in placed or partner in thread_at
            ):
                index = placed[partner][0] if partner in placed else thread_at[partner]
                state, join = building[index], restated[pos][1]
            else:
                index, join = self.count, Join(item.key, "first", _first_detail(item), 100.0)
                self.count += 1
                state = _Open(item.key, item, item, ordinal, "unknown")
                self.hot[index] = state
                self.active.append(index)
            for ref in own:
                here.setdefault(ref, index)
            if words:
                spoken.setdefault(line, index)
            thread_at[pos] = index
            out.append((index, item, join))
            state.last = item
            state.last_meeting = ordinal
            state.meetings.add(ordinal)
            if item.status != "unknown":
                state.status = item.status
            text = texts[item.key]
            state.texts = [state.texts[0], text] if state.texts else [text]
            state.details = [
                vocabulary.text(c)
                for c in item.children
                if _box_less(c) not in items_below[item.key]
            ]
            for ref in item.refs:
                self.by_ref[ref].setdefault(index, None)
                if ref_in_text(ref, item.text):
                    self.own_refs[index].add(ref)
            if item.row_key:
                self.by_row[item.row_key] = index
        # A thread brought back by a reference stays out of the text window, as before.
        for index in building.fetched:
            cold.put(index, self.hot.pop(index), ordinal)
        return out


_BOX = re.compile(r"^\s*\[[ xX]\]\s*")


def _box_less(line: str) -> str:
    """A line's words, without the indent and task box of a detail line."""
    return " ".join(_BOX.sub("", line).split())


def copied_meetings(items: Iterable[Item]) -> frozenset[str]:
    """The meetings that copy another one: the same series, the same day and the same
    lines, in another note or twice in one (a release's archive file that starts with
    the last release's meetings, a meeting pasted twice). The first committed (then
    the first by path and line) is the meeting; the others are its copies, not more
    meetings or more mentions of its items. A meeting with no lines is no one's copy."""
    of_meeting: dict[str, list[Item]] = {}
    for item in items:
        of_meeting.setdefault(item.meeting_id, []).append(item)
    same_day: dict[tuple[str, date], list[str]] = {}
    for meeting_id, said in of_meeting.items():
        same_day.setdefault((said[0].series, said[0].meeting_date), []).append(meeting_id)

    def first_written(meeting_id: str) -> tuple[datetime, str, int, str]:
        said = of_meeting[meeting_id]
        when = said[0].committed_at or datetime.min.replace(tzinfo=UTC)
        return (when, said[0].path, min(i.line for i in said), meeting_id)

    copies: set[str] = set()
    for meetings in same_day.values():
        if len(meetings) < 2:
            continue  # most days: one meeting, nothing to compare
        seen: set[tuple[tuple[str, str], ...]] = set()
        for meeting_id in sorted(meetings, key=first_written):
            lines = tuple(
                sorted((i.kind, " ".join(i.text.split())) for i in of_meeting[meeting_id])
            )
            if lines in seen:
                copies.add(meeting_id)
            seen.add(lines)
    return frozenset(copies)


def meeting_batches(items: Iterable[Item]) -> list[list[Item]]:
    """Tracked items grouped by meeting, in the order a tracker takes them."""
    ordered = sorted(
        (i for i in items if i.followed),
        key=lambda i: (i.meeting_date, i.meeting_id, i.line, i.key),
    )
    batches: dict[str, list[Item]] = {}
    for item in ordered:
        batches.setdefault(item.meeting_id, []).append(item)
    return list(batches.values())


def build_threads(
    items: Sequence[Item], tracking: TrackingConfig, warnings: list[str] | None = None
) -> list[Thread]:
    """Group tracked items into threads, per series, in meeting order. Deterministic.

    When an item had more similar-looking earlier texts than MAX_SIMILARITY_CANDIDATES,
    a sentence naming its note and line is appended to `warnings` (once a meeting).
    """
    by_series: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        if item.followed:
            by_series[item.series].append(item)
    threads: list[Thread] = []
    for series in sorted(by_series):
        tracker, cold = SeriesTracker(series), MemoryThreads()
        built: dict[int, Thread] = {}
        for batch in meeting_batches(by_series[series]):
            for index, item, join in tracker.add(batch, tracking, cold, warnings):
                thread = built.get(index)
                if thread is None:
                    thread = built[index] = Thread(id=item.key, series=series)
                thread.items.append(item)
                thread.joins.append(join)
        threads.extend(built[index] for index in sorted(built))
    return threads


def _follows_review(
    batch: Sequence[Item], texts: Mapping[str, TopicText], vocabulary: Vocabulary
) -> dict[int, tuple[int, Join]]:
    """An action this meeting reviewed ("Wen: benchmark the resolver — not started") and
    then carried into its action list ("Wen to benchmark the resolver") is one action:
    position of the carry-over -> (position of its review, the join)."""
    out: dict[int, tuple[int, Join]] = {}
    reviewed: dict[int, tuple[set[str], TopicText]] = {}  # review position -> owners, text
    for pos, item in enumerate(batch):
        found = _carried_over(item, texts[item.key], vocabulary, reviewed)
        if found is not None:
            out[pos] = found
            del reviewed[found[0]]  # one carry-over per review
        elif (
            item.kind in ("action", "topic")
            and item.owners
            and is_follow_up(item)
            and not (item.form == "row" and item.row_key)
        ):
            # A reviewed table row carries over by its key (the same Action cell in
            # the next table), never by words shared with another row of its owner.
            reviewed[pos] = (set(item.owners), texts[item.key])
    return out


def _restated_actions(
    batch: Sequence[Item],
    texts: Mapping[str, TopicText],
    vocabulary: Vocabulary,
    tracking: TrackingConfig,
) -> dict[int, tuple[int, Join]]:
    """Minutes that say an action where it came up ("AI: @bochen to write the test
    plan") and again in their summary of actions (a table row "Write the test plan for
    KEP-212 | Bo"): one action. Both ways, position -> (its restatement's position, the
    join): whichever of the two already continues a thread takes the other along."""
    out: dict[int, tuple[int, Join]] = {}
    # Said in this meeting: not an earlier action it reviews ("Previously: [x] RM:
    # invite Teddy"), which its new actions may follow up in the same words.
    said = [
        p
        for p, i in enumerate(batch)
        if i.kind == "action" and not _in_summary(i) and not is_follow_up(i)
    ]
    if not said:
        return out
    said_fuzzy = [texts[batch[p].key].fuzzy for p in said]
    for pos, item in enumerate(batch):
        if item.kind != "action" or not _in_summary(item) or is_follow_up(item):
            continue
        text = texts[item.key]
        best: tuple[float, int] | None = None
        # rapidfuzz (in C) bounds the similarity from above: only its closest few are
        # scored in full, so a meeting of a thousand actions stays linear.
        for _, fuzzy_score, at in process.extract(
            text.fuzzy,
            said_fuzzy,
            scorer=fuzz.token_set_ratio,
            score_cutoff=tracking.similarity,
            limit=TEXT_CANDIDATES,
        ):
            p = said[at]
            other = texts[batch[p].key]
            if p in out or not _owners_agree(item.owners, batch[p].owners):
                continue
            # Each says nearly all the other does: not a new step of the same work.
            covered = min(vocabulary.covered(text, other), vocabulary.covered(other, text))
            score = vocabulary.similarity(text, other, fuzzy_score)
            good = covered >= RESTATED_OVERLAP and score >= tracking.similarity
            if good and (best is None or score > best[0]):
                best = (score, p)
        if best is None:
            continue
        score, found = best
        why = f"the same action, restated in this meeting's summary: similarity {score:.0f}"
        out[pos] = (found, Join(item.key, "text", why, score))
        out[found] = (pos, Join(batch[found].key, "text", why, score))
    return out


def _in_summary(item: Item) -> bool:
    """A row of an action table, or an entry of a list of actions."""
    return item.form == "row" or item.meaning in ("actions", "next")


def _owners_agree(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether two mentions can be the same person's: one names nobody, they share a
    name, or one is how the other starts ("bo" and the handle "bochen")."""
    if not a or not b or set(a) & set(b):
        return True
    return any(x.startswith(y) or y.startswith(x) for x in a for y in b if min(len(x), len(y)) >= 2)


def _carried_over(
    item: Item,
    text: TopicText,
    vocabulary: Vocabulary,
    reviewed: Mapping[int, tuple[set[str], TopicText]],
) -> tuple[int, Join] | None:
    """The review earlier in this meeting (its key in `reviewed`) of the action `item`
    carries over from its action list: same owner and FOLLOW_UP_OVERLAP % of the words."""
    if item.kind != "action" or not item.owners or is_follow_up(item) or not text.words:
        return None
    best: tuple[float, int] | None = None
    for index, (owners, other) in reviewed.items():
        if not owners & set(item.owners) or not other.words:
            continue
        shared = vocabulary.overlap(text, other)
        if shared >= FOLLOW_UP_OVERLAP and (best is None or shared > best[0]):
            best = (shared, index)
    if best is None:
        return None
    score, index = best
    why = f"carried over from this meeting's review of it: {score:.0f}% of the words"
    return index, Join(item.key, "text", why, score)


def ref_in_text(ref: str, text: str) -> bool:
    """Whether "org/repo#123" is written in the text itself (as a link or a short form);
    another forge's ("gitlab.com/g/p/-/issues/12") as its link."""
    written = proposal_written(ref, text)
    if written is not None:
        return written
    if "#" not in ref:
        return re.search(rf"{re.escape(ref)}(?!\d)", text, re.IGNORECASE) is not None
    repo, _, number = ref.partition("#")
    name = repo.rsplit("/", 1)[-1]
    pattern = rf"{re.escape(name)}(/(issues|pull|discussions)/|#){number}(?!\d)"
    if re.search(pattern, text, re.IGNORECASE) is not None:
        return True
    # A bare "#123", where the item's place (a repository's heading) names its repository.
    return re.search(rf"(?<![\w#/.-])#{number}(?!\d)", text) is not None


def is_follow_up(item: Item) -> bool:
    """Whether the note itself says this item continues an earlier meeting's: a heading
    that reviews earlier actions ("Review of last actions", "Outstanding action items")
    or one that says it follows up ("From last time", "Carried over")."""
    return item.meaning == "review" or any(_FOLLOW_UP.search(part) for part in item.section)


def follow_up_date(item: Item) -> date | None:
    """The earlier meeting a follow-up heading names ("see notes from 2023-10-05")."""
    for part in reversed(item.section):
        if not _FOLLOW_UP.search(part):
            continue
        for match in _NAMED_DATE.finditer(part):
            try:
                named = date(*(int(g) for g in match.groups()))
            except ValueError:
                continue
            if named < item.meeting_date:
                return named
    return None


def _first_detail(item: Item) -> str:
    """Why an item starts a thread; a follow-up says which meeting it carries over from."""
    if not is_follow_up(item):
        return "first mention"
    heading = next(
        (p for p in reversed(item.section) if _FOLLOW_UP.search(p)),
        item.section[-1] if item.section else "a review of earlier actions",
    )
    named = follow_up_date(item)
    since = f"the meeting of {named}" if named else "an earlier meeting"
    return (
        f"first mention in these notes, but listed under {_short(heading)!r}: "
        f"carried over from {since}, so followed as open since then"
    )


def _followed_meeting(item: Item, ordinal: int, meeting_ordinal: dict[int, int]) -> int | None:
    """The ordinal of the meeting a follow-up item continues: the one its heading names,
    else the previous meeting of the series ("from last time")."""
    named = follow_up_date(item)
    if named is not None:
        return meeting_ordinal.get(named.toordinal())
    return ordinal - 1 if ordinal > 0 else None


def _review_texts(item: Item, text: TopicText, vocabulary: Vocabulary) -> list[TopicText]:
    """The texts a follow-up item is matched by: its own, and the label of a "label:
    state" line ("Call for CoC volunteers: posted, three people replied"), which names
    the earlier item while the rest says what became of it."""
    labelled = state_label(item.text)
    if labelled is None:
        return [text]
    named = vocabulary.text(labelled[0], item.status_phrase)
    return [text, named] if len(named.words) >= 2 else [text]


def _follow_up_proposals(
    item: Item,
    texts: Sequence[TopicText],
    vocabulary: Vocabulary,
    candidates: list[_Candidate],
    building: _States,
    followed: int | None,
) -> list[tuple[int, Join]]:
    """Threads of the followed meeting that a follow-up item may continue.

    The humans said the item continues that meeting's business, so a weaker match
    than text similarity is enough there (and only there): at least
    FOLLOW_UP_OVERLAP % of the item's word weight (rare words weigh more) is in the
    thread's text or a detail line of it (not in its headings). "ia32 emulation done"
    continues "ia32 support"; "libsinsp metrics extension" continues "finalizing
    metrics … libsinsp". The best such thread comes first.
    """
    if followed is None:
        return []
    best: dict[int, tuple[float, float, str]] = {}
    owners = frozenset(item.owners)
    for text in texts:
        total = vocabulary.total_weight(text)
        if total > 0:
            _best_follow_ups(text, total, vocabulary, candidates, building, followed, best, owners)
    ranked = sorted(best.items(), key=lambda b: (-b[1][0], -b[1][1], -b[0]))
    out: list[tuple[int, Join]] = []
    for index, (contained, _weight, words) in ranked[:TEXT_CANDIDATES]:
        first = building[index].first.text
        detail = (
            f"follows up on {_short(first)!r} of the meeting it names: "
            f"{contained:.0f}% of its words by weight are there ({words})"
        )
        out.append((index, Join(item.key, "text", detail, contained)))
    return out


def _best_follow_ups(
    text: TopicText,
    total: float,
    vocabulary: Vocabulary,
    candidates: list[_Candidate],
    building: _States,
    followed: int,
    best: dict[int, tuple[float, float, str]],
    owners: frozenset[str] = frozenset(),
) -> None:
    """Into `best` (thread -> (% contained, weight, words shared)): the threads of the
    followed meeting holding FOLLOW_UP_OVERLAP % of `text`'s word weight (`total`);
    or the one thread there that is the same people's work and shares a word with it
    ("@dmitri & @ana move the API reference to the new generator", carried over as
    "@dmitri / @ana API reference migration — waiting on upstream")."""
    theirs = {
        c.index
        for c in candidates
        if owners
        and followed in building[c.index].meetings
        and owners == frozenset(building[c.index].last.owners)
        and text.words & c.text.words
    }
    for candidate in candidates:
        state = building[candidate.index]
        if followed not in state.meetings:
            continue
        shared = text.words & candidate.text.words
        weight = math.fsum(vocabulary.weight(w) for w in shared)
        contained = 100.0 * weight / total
        if contained < FOLLOW_UP_OVERLAP and theirs != {candidate.index}:
            continue
        words = ", ".join(sorted(shared))
        if (contained, weight) > best.get(candidate.index, (0.0, 0.0, ""))[:2]:
            best[candidate.index] = (contained, weight, words)


def _same_person_proposals(
    item: Item,
    text: TopicText,
    vocabulary: Vocabulary,
    candidates: list[_Candidate],
    building: _States,
) -> list[tuple[int, Join]]:
    """A stand-up's "Done: …" continues what the same person said was next or blocked,
    reworded as it usually is ("Next: triage the rc1 bugs" -> "Done: triaged the rc1
    bug reports"): same owner, and FOLLOW_UP_OVERLAP % of one text's word weight in
    the other. Stronger than a shared issue, which may be another piece of work."""
    if item.form != "person" or item.meaning != "done" or not item.owners or not text.words:
        return []
    owners = set(item.owners)
    best: dict[int, float] = {}
    for candidate in candidates:
        last = building[candidate.index].last
        if candidate.detail_line or last.form != "person" or last.meaning not in _PLANNED:
            continue
        if not owners & set(last.owners) or not candidate.text.words:
            continue
        shared = vocabulary.overlap(text, candidate.text)
        if shared >= FOLLOW_UP_OVERLAP and shared > best.get(candidate.index, 0.0):
            best[candidate.index] = shared
    ranked = sorted(best.items(), key=lambda b: (-b[1], -b[0]))[:TEXT_CANDIDATES]
    return [
        (
            index,
            Join(
                item.key,
                "text",
                f"done by the same person: {score:.0f}% of the words of "
                f"{_short(building[index].last.text)!r}",
                score,
            ),
        )
        for index, score in ranked
    ]


_PLANNED = ("next", "blocked")


def _text_candidates(
    building: _States, active: list[int], ordinal: int, tracking: TrackingConfig
) -> list[_Candidate]:
    """The texts of the threads a text match may join.

    Detail lines (the children of a thread's last item) are candidates too: a topic
    that was a sub-bullet last time is often a bullet of its own the next.
    """
    recent = ordinal - tracking.forget_after
    open_since = ordinal - OPEN_LOOKBACK * tracking.forget_after
    out: list[_Candidate] = []
    for index in active:
        state = building[index]
        if state.last_meeting >= recent or (
            state.status == "open" and state.last_meeting >= open_since
        ):
            out.extend(_Candidate(index, t, False) for t in dict.fromkeys(state.texts) if t.fuzzy)
            out.extend(_Candidate(index, t, True) for t in dict.fromkeys(state.details) if t.fuzzy)
    return out


def _proposals(
    item: Item,
    text: TopicText,
    vocabulary: Vocabulary,
    building: _States,
    ref_index: tuple[dict[str, dict[int, None]], dict[int, set[str]]],
    by_row: dict[str, int],
    near: tuple[_Candidates, list[int]],
    tracking: TrackingConfig,
) -> list[tuple[int, int, Join, tuple[float, float]]]:
    """Every thread this item could join: (rank, thread index, join, evidence); lower rank
    is stronger, evidence (the weight of the words shared, then of the candidate's words
    the item does not have) breaks ties of text scores."""
    out: list[tuple[int, int, Join, tuple[float, float]]] = []
    if item.row_key and item.row_key in by_row:
        row = Join(item.key, "row", f"row {item.row_key}")
        out.append((0, by_row[item.row_key], row, _NO_EVIDENCE))
    seen: set[int] = set()
    by_ref, own_refs = ref_index
    # "#441 Slider jumps again after the #412 workaround": the issue a line leads with
    # is what it is about; another it names joins only with words alike.
    leading = next((r for r in item.refs if ref_in_text(r, item.text)), None)
    for ref in item.refs:
        found = by_ref.get(ref, {})
        hub = len(found) >= HUB_THREADS
        # The newest threads only: a reference in thousands of rows stays linear.
        threads = list(islice(reversed(found), MAX_SIMILARITY_CANDIDATES))[::-1]
        in_text = ref_in_text(ref, item.text)
        own = in_text and ref == leading
        for index in threads:
            if index in seen:
                continue
            score = max(
                (vocabulary.similarity(text, t) for t in building[index].texts), default=0.0
            )
            weak = hub or not own or ref not in own_refs[index]
            if weak and score < tracking.similarity - HUB_SIMILARITY:
                continue
            seen.add(index)
            what = (
                "hub reference"
                if hub
                else "shares"
                if not weak
                else "also names"
                if in_text
                else "a detail line shares"
            )
            join = Join(item.key, "ref", f"{what} {ref}", score)
            out.append((2 if weak else 1, index, join, _NO_EVIDENCE))
    candidates, positions = near
    if not text.fuzzy or not candidates.all:
        return out
    follow_up = is_follow_up(item)
    cutoff = max(tracking.similarity - (FOLLOW_UP_SLACK if follow_up else 0), 0)
    # Only texts sharing a word can reach a cutoff above 0 (the score is capped by
    # the weighted overlap); rapidfuzz then picks the close ones among them.
    if cutoff <= 0:
        positions = list(range(len(candidates.all)))[-MAX_SIMILARITY_CANDIDATES:]
    matches = process.extract(
        text.fuzzy,
        [candidates.fuzzy[p] for p in positions],
        scorer=fuzz.token_set_ratio,
        score_cutoff=cutoff,
        limit=None,
    )
    scored: list[tuple[float, tuple[float, float], int, _Candidate]] = []
    # A release's checklist box ("- [ ] changelog" under "Release 2.0 checklist") is that
    # release's: the same box of another release's checklist is other work.
    release = _release_of(item.section) if item.checked is not None else ""
    for _choice, fuzzy_score, at in matches:
        position = positions[at]
        candidate = candidates.all[position]
        if release and _release_of(building[candidate.index].last.section) not in ("", release):
            continue  # "changelog" of the 2.0 checklist is not that of the 1.9 one
        # A one-word text ("Review <link>") matches too much: only when both say the
        # same, or when a note following up on earlier items names a detail line of
        # one ("Work on DNS?" under last time's bullet, now "Work on DNS refactor?").
        one_word = min(len(text.words), len(candidate.text.words)) < 2
        same = text.words == candidate.text.words
        if one_word and not same and not (follow_up and candidate.detail_line):
            continue
        score = vocabulary.similarity(text, candidate.text, float(fuzzy_score))
        if (
            candidate.detail_line
            and not follow_up
            and len(text.words & candidate.text.words) < DETAIL_SHARED_WORDS
        ):
            # A detail line is a part of its thread: a new item it merely appears in
            # ("api docs" in "assign the S3 creds for the api doc deployment") is not
            # that thread, unless the item says little more than the line.
            score = min(score, vocabulary.covered(text, candidate.text))
        if score >= cutoff:
            evidence = (
                vocabulary.shared_weight(text, candidate.text),
                vocabulary.own_weight(candidate.text, text),
            )
            scored.append((score, evidence, position, candidate))
    # Equal scores: the text sharing more (and rarer) words wins, then the newer thread.
    scored.sort(key=lambda s: (-s[0], -s[1][0], s[1][1], -s[3].index, s[2]))
    for score, evidence, _position, candidate in scored[:TEXT_CANDIDATES]:
        if candidate.index in seen:
            continue
        seen.add(candidate.index)
        first = building[candidate.index].first.text
        what = "a detail line of" if candidate.detail_line else "with"
        detail = f"similarity {score:.0f} {what} {_short(first)!r}"
        if follow_up and score < tracking.similarity:
            detail += " (under a follow-up heading)"
        rank = 4 if candidate.detail_line else 3
        out.append((rank, candidate.index, Join(item.key, "text", detail, score), evidence))
    return out


# A release a heading names: "Release 2.0 checklist", "v1.9.1 blockers".
_RELEASE = re.compile(r"(?<![\w.])v?(\d+\.\d+(?:\.\d+)?)(?![\w.]*\d)")


def _release_of(section: Sequence[str]) -> str:
    """The release the innermost heading naming one names ("2.0"), or ""."""
    for heading in reversed(section):
        found = _RELEASE.search(heading)
        if found:
            return found.group(1)
    return ""


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
