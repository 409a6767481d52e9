"""The digest of one series for one month (pipeline stage 5). Pure.

Each thread lands in at most one bucket, decided from its items up to the end of
the period (later notes never change an earlier month's digest) and the state at
the end of the previous period (its items dated before the period):

- late: the thread's only news is in notes of an earlier month that were first
  committed after that month's digest was built (so nobody has seen them yet);
- highlights: items of the period's Highlights sections, plus tracked items of the
  period that record a decision ("agreed", "decided", "decision:") or a release
  ("released X", "X is out"); the thread then appears nowhere else;
- resolved: closed (done/dropped) in the period, after being open or unknown before;
  a thread that is new in the period and already closed there is resolved too (it
  is news that it got done). Closed before and still closed: nowhere;
- new: first mentioned in the period, and worth following: it has an open status,
  an owner, a reference, a task box, or is an action; a bare remark raised once
  is discussion, not an item;
- pending: first mentioned before the period and still open at its end, mentioned
  within the last `quiet_after` months with meetings; an item without any status counts as
  open once it has an owner, a task box, an action, or was raised in two meetings;
- quiet: open but not mentioned in `quiet_after` or more months in which the series
  met (a weekly call's item goes quiet after two silent months, not two weeks; for a
  monthly series months and meetings are the same). Here an item without status must
  have been raised in two meetings to count as open. After `forget_after` such
  months it is dropped from every bucket.

An open question that a later meeting's decision answers (one holding its words:
see _Decisions) is settled there: resolved in that month, with the decision as its
status, closed after. Finally one topic is listed once, even when
it is two threads (see _fill).
"""

from __future__ import annotations

import bisect
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time

from rapidfuzz import fuzz, process

from digest.config.schema import TrackingConfig
from digest.model import Digest, Entry, Item, Meeting, MeetingRef, SourceLink, Status, Thread
from digest.notes.kinds import ACTION_LABEL, NEXT_STEP_LABEL, labelled_decision
from digest.notes.sections import heading_meaning, section_meaning
from digest.notes.text import plain_text, without_time_box
from digest.periods import Period
from digest.tracking.conventions import SeriesConventions, read_as
from digest.tracking.threads import (
    TopicText,
    Vocabulary,
    effective_status,
    follow_up_date,
    is_follow_up,
    normalize_tokens,
    read_echoes,
    ref_in_text,
)

ACTION_SECTIONS = ("action", "actions", "action items", "todo", "to do", "to-do", "next steps")
_DECISION = re.compile(
    r"\b(agreed|decided|decision\s*:|(everybody|everyone|all)\s+agrees?\b)", re.IGNORECASE
)
# "if we all agree we can…", "once everybody agrees…", "agreed?": a proposal, not a decision.
_TENTATIVE = re.compile(
    r"\b(if|once|when|unless|whether|until|maybe|perhaps|should we|can we)\b[^.;!?]*$"
    r"|(\bnot|n't|\bnever)\s+(yet\s+)?$",
    re.IGNORECASE,
)
_RELEASE = re.compile(
    r"\breleased\b\s+\S|\b(is|are)\s+(now\s+)?out\b|\bhas\s+been\s+released\b", re.IGNORECASE
)
MAX_AUTO_HIGHLIGHTS = 8  # decisions/releases found in tracked items; keep the digest short


def is_closed(status: Status) -> bool:
    return status in ("done", "dropped")


def is_action(item: Item) -> bool:
    return item.kind == "action" or item.form == "task"


def has_words(item: Item) -> bool:
    """False for a bare link or markup (a meeting link is never an entry), and for a
    short label that only introduces its sub-bullets ("Requests status:")."""
    words = normalize_tokens(item.text)
    label = item.text.rstrip(" *_").endswith(":") and not item.children
    if label and len(words) <= 4 and item.status == "unknown":
        return False
    return bool(words) or bool(item.refs and item.status != "unknown")


def tracked_open(items: Sequence[Item]) -> bool:
    """Open: an action or topic stays open until something says it is done or dropped."""
    if not items or not any(i.followed for i in items):
        return False
    return not is_closed(effective_status(items))


def worth_following(items: Sequence[Item]) -> bool:
    """What makes a first mention an item rather than a remark: an action or a topic
    that says something."""
    return any(i.followed for i in items) and any(has_words(i) for i in items)


def is_decision_or_release(item: Item) -> bool:
    if _RELEASE.search(item.text):
        return True
    return any(states_decision(text) for text in [item.text, *item.children])


def states_decision(text: str) -> bool:
    """A decision stated as made ("everybody agrees", "decided to…"), not one proposed
    ("if we all agree we can proceed…") or asked about ("agreed?")."""
    for match in _DECISION.finditer(text):
        before = text[: match.start()]
        after = text[match.end() :].lstrip()
        if _TENTATIVE.search(before) or after.startswith("?"):
            continue
        return True
    return False


@dataclass
class _Placed:
    bucket: str
    entry: Entry
    order: tuple[object, ...]
    item: Item  # the item whose text is the entry's title


def build_digest(
    threads: Sequence[Thread],
    meetings: Sequence[Meeting],
    *,
    series: str,
    period: Period,
    tracking: TrackingConfig,
    highlights: Sequence[Item],
    built_at: Mapping[Period, datetime],
    link: Callable[[Item], SourceLink],
    meeting_link: Callable[[Meeting], SourceLink] | None = None,
    conventions: SeriesConventions | None = None,
) -> Digest:
    """The digest of `series` for `period`; same input, same digest.

    `conventions`: the series' habits learnt from its notes up to the period
    (digest.tracking.conventions); each thread is read with them.
    """
    start, end = period.start, period.end
    series_meetings = sorted(
        (m for m in meetings if m.series == series and m.date < end),
        key=lambda m: (m.date, m.id),
    )
    # Quiet/forget count the months in which the series met, not its meetings: a
    # weekly call's item is not "gone quiet" after two weeks of a monthly digest, and
    # for a monthly series the two counts are the same.
    # A month whose meetings were all called off is not one in which it met.
    held = sorted({Period.of(m.date) for m in series_meetings if not m.not_held})
    ordinal = {
        m.id: max(bisect.bisect_right(held, Period.of(m.date)) - 1, 0) for m in series_meetings
    }
    total = len(held)
    earlier = [Period.of(m.date) for m in series_meetings if m.date < start]
    late_meetings = _late_meetings(series_meetings, start, period, built_at)
    meeting_dates = [m.date for m in series_meetings]

    digest = Digest(series=series, period=period, compared_to=max(earlier, default=None))
    for m in series_meetings:
        if m.date >= start:
            src = meeting_link(m) if meeting_link else SourceLink(m.path, m.line, m.commit, "")
            if not src.url:
                src = SourceLink(m.path, m.line, m.commit, f"{m.path}:{m.line}")
            digest.meetings.append(
                MeetingRef(title=m.title, date=m.date, source=src, not_held=m.not_held)
            )

    # Word weights from what was written up to the period only: later notes never
    # change an earlier month's digest.
    vocabulary = Vocabulary(
        normalize_tokens(i.text, i.status_phrase)
        for t in threads
        if t.series == series
        for i in t.items
        if i.meeting_date < end
    )
    decisions = _Decisions(
        [i for i in highlights if i.series == series and i.meeting_date < end], vocabulary
    )
    placed: list[_Placed] = []
    for thread in threads:
        if thread.series != series:
            continue
        upto = [i for i in thread.items if i.meeting_date < end]
        if conventions is not None:
            upto = read_as(upto, conventions)
        upto = read_echoes(upto)
        if not upto:
            continue
        answer = decisions.answer(upto, tracking.similarity)
        if answer is not None:
            # Settled where the decision was taken: its line, the question's words.
            upto = [*upto, _settled(upto[-1], answer)]
        before = [i for i in upto if i.meeting_date < start]
        during = [i for i in upto if i.meeting_date >= start]
        carried = carried_since(thread, meeting_dates)
        entry_of = _entry_maker(thread, upto, before, during, link, carried)

        bucket = _bucket(
            upto,
            before,
            during,
            ordinal,
            total,
            tracking,
            carried=carried is not None and carried < start,
        )
        if bucket is None:
            continue
        entry = entry_of(latest=None)
        # Where the thread started, never its id: the id holds a line number, and a
        # call file's older meetings move down when a newer one is written above.
        start_at = (thread.first.meeting_date, thread.first.meeting_id, thread.first.line)
        seen = entry.first_seen if bucket in ("new", "pending") else entry.last_seen
        order = (seen, *start_at)
        placed.append(_Placed(bucket, entry, order, upto[-1]))

    in_period = [i for i in highlights if i.series == series and start <= i.meeting_date < end]
    # A decision written again in the words of an earlier meeting (a decisions log every
    # meeting copies forward) is that meeting's news, not this month's.
    said_before = {
        _said(i.text) for i in highlights if i.series == series and i.meeting_date < start
    }
    in_period = [i for i in in_period if _said(i.text) not in said_before]
    for item in highlight_bullets(in_period, tracking):
        if has_words(item):
            entry = _item_entry(item, link)
            placed.append(_Placed("highlights", entry, _item_order(item), item))

    _fill(digest, placed, vocabulary, tracking.similarity)
    by_id = {m.id: m for m in series_meetings}
    late = [by_id[i] for i in sorted(late_meetings, key=lambda i: (by_id[i].date, i))]
    for landed in _landed_together(late):
        digest.late.append(_late_entry(landed, meeting_link))
    return digest


def _said(text: str) -> str:
    return " ".join(text.split()).casefold()


def _landed_together(meetings: Sequence[Meeting]) -> list[list[Meeting]]:
    """Late meetings (in date order) grouped by the note and the day they arrived: a
    release's archive of nine calls is one entry, not nine."""
    groups: dict[tuple[str, str, date | None], list[Meeting]] = {}
    for m in meetings:
        landed = m.committed_at.date() if m.committed_at else None
        groups.setdefault((m.source, m.path, landed), []).append(m)
    return sorted(groups.values(), key=lambda g: (g[0].date, g[0].id))


# The question a line asks: its first sentence, when that ends with "?" ("Should we
# drop Python 3.9 in 2.0? Let's decide next time.").
# Not after "e.g.", "i.e.", "etc.", "vs.", "cf.": abbreviations end no sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!e\.g\.)(?<!i\.e\.)(?<!etc\.)(?<!vs\.)(?<!cf\.)\s+", re.I)


def _settled(question: Item, answer: Item) -> Item:
    """The mention that closes a question its decision answered: the decision's line
    and meeting, the question's words, done with the decision as its status."""
    said = " ".join(plain_text(answer.text).split())
    phrase = said if len(said) <= ANSWER_PHRASE else said[: ANSWER_PHRASE - 1] + "…"
    return replace(
        answer,
        kind=question.kind,
        text=question.text,
        status="done",
        status_phrase=phrase,
        owners=question.owners,
        refs=question.refs,
        children=[],
    )


ANSWER_PHRASE = 80  # characters of the decision kept as a settled question's status


class _Decisions:
    """The series' decisions and announcements up to the period, to find the one that
    answers an open question: a later meeting's "Decision: we drop Python 3.9 in 2.0"
    answers "Should we drop Python 3.9 in 2.0? Let's decide next time.", which is
    settled there. A decision recorded under the question in its own meeting does not
    settle it: it says how to go on ("Decision: try 1Password's plan; Loïc applies"),
    and is a highlight beside it."""

    def __init__(self, items: Sequence[Item], vocabulary: Vocabulary) -> None:
        self.items = sorted(items, key=lambda i: (i.meeting_date, i.line))
        self.vocabulary = vocabulary
        self._texts: list[TopicText] | None = None  # made when a question first asks
        self.fuzzy: list[str] = []
        self.dates = [i.meeting_date for i in self.items]

    def answer(self, upto: Sequence[Item], cutoff: float) -> Item | None:
        """The decision of a later meeting than the thread's last mention that answers
        the question the thread last asked (it holds the question's words, by the
        share a join needs), or None."""
        last = upto[-1]
        if not self.items or last.status in ("done", "dropped"):
            return None
        asked = _SENTENCE_END.split(plain_text(last.text).strip(), maxsplit=1)[0]
        if not asked.endswith("?"):
            return None
        question = self.vocabulary.text(asked, None, last.section)
        if len(question.words) < 2:
            return None  # "Thoughts?": too little to know what was decided
        later = bisect_right(self.dates, last.meeting_date)
        if later == len(self.items):
            return None
        if self._texts is None:
            self._texts = [self.vocabulary.item_text(i) for i in self.items]
            self.fuzzy = [t.fuzzy for t in self._texts]
        for _choice, _score, at in process.extract(
            question.fuzzy,
            self.fuzzy[later:],
            scorer=fuzz.token_set_ratio,
            score_cutoff=cutoff,
            limit=MAX_ALIKE,
        ):
            # The decision names what was asked: the question's words are in it.
            if self.vocabulary.covered(question, self._texts[later + at]) >= cutoff:
                return self.items[later + at]
        return None


def _late_entry(
    landed: Sequence[Meeting], meeting_link: Callable[[Meeting], SourceLink] | None
) -> Entry:
    """Notes that arrived after their month's digest: listed once, their items are in
    the other buckets like any earlier meeting's. Several meetings that landed in one
    note on one day are one entry, linked to the top of the note."""
    meeting = min(landed, key=lambda m: m.line)
    src = (
        meeting_link(meeting)
        if meeting_link
        else SourceLink(meeting.path, meeting.line, meeting.commit, "")
    )
    if not src.url:
        src = SourceLink(
            meeting.path, meeting.line, meeting.commit, f"{meeting.path}:{meeting.line}"
        )
    day = meeting.date.isoformat()
    title = meeting.title if day in meeting.title else f"{meeting.title} ({day})"
    if len(landed) > 1:
        title = f"{len(landed)} meetings in {meeting.path.rsplit('/', 1)[-1]}"
    added = meeting.committed_at.date().isoformat() if meeting.committed_at else None
    return Entry(
        title=title,
        status="unknown",
        status_phrase=f"notes added {added}" if added else None,
        owners=[],
        refs=[],
        first_seen=min(m.date for m in landed),
        last_seen=max(m.date for m in landed),
        times_raised=1,
        source=src,
        thread_id=meeting.id,
        late=True,
    )


def carried_since(thread: Thread, meeting_dates: Sequence[date]) -> date | None:
    """When a thread that starts under a follow-up heading was, by the note's own word,
    first raised: the meeting the heading names ("see notes from 2023-10-05"), else
    the series' previous meeting (`meeting_dates`: the series' meetings, sorted). None
    for any other thread."""
    first = thread.first
    if not is_follow_up(first):
        return None
    named = follow_up_date(first)
    if named is None:
        at = bisect_left(meeting_dates, first.meeting_date)
        named = meeting_dates[at - 1] if at else None
    return named if named is not None and named < first.meeting_date else None


def _late_meetings(
    series_meetings: Sequence[Meeting],
    start: date,
    period: Period,
    built_at: Mapping[Period, datetime],
) -> set[str]:
    """Meetings of earlier months that missed their own digest and no later one showed.

    A month's digest was built when `built_at` says; a month never built (before the
    schedule started, or only previewed) counts as built on the 1st of the next
    month, when the timer would have sent it: a note committed (in git) after that
    is late.
    """

    def built(p: Period) -> datetime:
        return built_at.get(p) or datetime.combine(p.end, time(), tzinfo=UTC)

    late: set[str] = set()
    for m in series_meetings:
        if m.date >= start or m.committed_at is None:
            continue
        if m.commit is None and Period.of(m.date) not in built_at:
            # A folder's file times say when a copy was made, not when the note was
            # written: only a digest really built can have missed such a note.
            continue
        own = Period.of(m.date)
        if m.committed_at <= built(own):
            continue
        # A digest being built now sees everything; one built (or, for git, due)
        # before the note arrived did not: the next one shows it.
        this_built = built_at.get(period) or (built(period) if m.commit else None)
        if this_built is not None and m.committed_at > this_built:
            continue
        # An intermediate digest built after the note arrived has shown it already.
        between = own.next()
        while between < period and built(between) < m.committed_at:
            between = between.next()
        if between < period:
            continue
        late.add(m.id)
    return late


def _bucket(
    upto: list[Item],
    before: list[Item],
    during: list[Item],
    ordinal: Mapping[str, int],
    total: int,
    tracking: TrackingConfig,
    *,
    carried: bool = False,
) -> str | None:
    end_status = effective_status(upto)
    if not before and carried:
        # Listed as carried over from a meeting before the period, under a heading
        # like "Items to check in from last time": open before by the humans' word.
        if is_closed(end_status):
            return "resolved"
        return "pending" if any(has_words(i) for i in upto) else None
    if not before:  # first mentioned in the period
        if not worth_following(during):
            return None
        return "resolved" if is_closed(end_status) else "new"
    if is_closed(end_status):
        reopened = any(i.status == "open" for i in during)
        if during and (not is_closed(effective_status(before)) or reopened):
            return "resolved"
        return None
    if not tracked_open(upto) or not any(has_words(i) for i in upto):
        return None
    last = ordinal.get(upto[-1].meeting_id)
    # Months with series meetings since the month of the last mention, up to the period.
    gap = total - 1 - last if last is not None else 0
    if gap >= tracking.forget_after:
        return None
    if gap >= tracking.quiet_after:
        # A topic raised once with no word on it since is listed as gone quiet once,
        # then let go; what was clearly open (said so, or raised again) stays longer.
        raised = len({i.meeting_id for i in upto})
        if raised < 2 and effective_status(upto) != "open" and gap > tracking.quiet_after:
            return None
        return "quiet"
    return "pending"


def _entry_maker(
    thread: Thread,
    upto: list[Item],
    before: list[Item],
    during: list[Item],
    link: Callable[[Item], SourceLink],
    carried: date | None = None,
) -> Callable[..., Entry]:
    def make(latest: Item | None) -> Entry:
        last = latest or upto[-1]
        shown = latest or (during[-1] if during else upto[-1])
        owners: list[str] = []
        for item in reversed(upto):
            owners.extend(o for o in item.owners if o not in owners)
        refs: list[str] = []
        for item in upto:
            refs.extend(r for r in item.refs if r not in refs)
        status = effective_status(upto) if latest is None else latest.status
        # The words of a mention saying that status: a task reopened ("still fails on
        # iOS 17") must not show the tick that had closed it.
        phrase = next(
            (i.status_phrase for i in reversed(upto) if i.status_phrase and i.status == status),
            None,
        )
        if latest is not None:
            phrase = latest.status_phrase
        return Entry(
            title=entry_title(last.text),
            status=status,
            status_phrase=phrase,
            owners=owners,
            refs=refs,
            first_seen=min(upto[0].meeting_date, carried or upto[0].meeting_date),
            last_seen=upto[-1].meeting_date,
            times_raised=len({i.meeting_id for i in upto}),
            source=link(shown),
            thread_id=thread.id,
            previous_status=_previous_status(before),
        )

    return make


def _previous_status(before: list[Item]) -> str | None:
    if not before:
        return None
    for item in reversed(before):
        if item.status != "unknown":
            return item.status_phrase or item.status
    return None  # raised before, but never with a status: nothing to compare with


GROUPED_SHOWN = 5  # sub-bullets of a grouping highlight shown in its title
GROUPING_WORDS = 6  # a label at most this long ("Recently adopted sub-projects:")
GROUPED_WORDS = 12  # each thing it groups at most this long (a name, a link)


def _grouped(item: Item) -> tuple[list[str], bool]:
    """What a grouping label ("Recently adopted sub-projects:") lists under it; none
    for a sentence ending in a colon, whose sub-bullets are its discussion. A decision
    labelled so is not whole without the list its sentence runs on into ("Conclusion:
    accept both of" over two proposals; "Decision: we will publish:" over what). With
    whether more are left out."""
    label = item.text.rstrip()
    listed = item.children
    direct = [c for c in item.children if not c.startswith(" ")]  # not their details
    if labelled_decision(label) and (label.endswith(":") or _runs_on(label, direct)):
        listed = direct
    elif not label.endswith(":") or len(plain_text(label).split()) > GROUPING_WORDS:
        return [], False
    shown = [c.strip() for c in listed[:GROUPED_SHOWN]]
    if any(len(plain_text(c).split()) > GROUPED_WORDS for c in shown):
        return [], False
    return shown, len(listed) > len(shown)


def _runs_on(text: str, children: Sequence[str]) -> bool:
    """Whether a sentence goes on in the list under it: it stops on a word that needs
    more ("accept both of"), or it has no full stop and each entry continues it in
    lower case ("we will publish" over "- the deprecation notice")."""
    if _RUNS_ON.search(text):
        return True
    bare = plain_text(text).rstrip()
    return (
        bool(children)
        and not bare.endswith((".", "!", "?", ")"))
        and all(plain_text(c).strip()[:1].islower() for c in children)
    )


# A sentence cut off where its list starts: "accept both of", "the changes are".
_RUNS_ON = re.compile(
    r"\b(?:of|the|both|either|these|following|to|for|with|and|or|are|is|include|"
    r"includes|including|between|like)\W*$",
    re.I,
)


def entry_title(text: str) -> str:
    """What an entry of followed work is called: its text without the agenda's time box
    ("Beta status (10 min)") and without the label that marked it an action ("ACTION:
    Ana to review the plan", "[DONE] AI(@femi): …", "Next steps: …"): its bucket and
    owners say that."""
    title = without_time_box(text)
    label = ACTION_LABEL.match(title) or NEXT_STEP_LABEL.match(title)
    if label is None:
        return title
    rest = title[label.end() :].strip()
    for mark in ("**", "__"):
        # "**ACTION: send the outline**": the bold the label opened closes in the rest.
        if title[: label.end()].count(mark) % 2:
            rest = rest.replace(mark, "", 1)
    if rest and title[: label.end()].count("~~") % 2:
        rest = "~~" + rest  # "~~AI: write the plan~~ done": still struck through
    return rest.strip() or title


def _item_entry(item: Item, link: Callable[[Item], SourceLink]) -> Entry:
    title = without_time_box(item.text)
    grouped, more = _grouped(item)
    if grouped:
        # "Recently adopted sub-projects:" says nothing without what it groups.
        title = f"{title.rstrip()} {'; '.join(grouped)}{'; …' if more else ''}"
    return Entry(
        title=title,
        status=item.status,
        status_phrase=item.status_phrase,
        owners=list(item.owners),
        refs=list(item.refs),
        first_seen=item.meeting_date,
        last_seen=item.meeting_date,
        times_raised=1,
        source=link(item),
    )


def highlight_bullets(items: Sequence[Item], tracking: TrackingConfig) -> list[Item]:
    """The meeting's own highlight bullets: the children of a grouping bullet under a
    Highlights heading ("Falco issue discussion:" over "feel free to comment…", "if we
    all agree…") are its discussion, so the group is one highlight, titled by its label
    and linked to its first line, with the children's references and owners.

    Items are taken in note order whatever order they come in, so the same notes
    always give the same group (its link, owners and references come from the first
    sub-bullet on)."""
    out: list[Item] = []
    groups: dict[tuple[str, tuple[str, ...]], Item] = {}
    for item in sorted(items, key=lambda i: (i.meeting_date, i.meeting_id, i.line, i.key)):
        grouped = (
            len(item.section) >= 2
            and heading_meaning(item.section[-1]) not in ("announcements", "decisions")
            and section_meaning(item.section[:-1]) in ("announcements", "decisions")
        )
        if not grouped:
            out.append(_with_subject(item))
            continue
        key = (item.meeting_id, item.section)
        group = groups.get(key)
        if group is None:
            group = replace(
                item,
                form="list",
                text=item.section[-1],
                section=item.section[:-1],
                children=[item.text],
                owners=list(item.owners),
                refs=list(item.refs),
                status="unknown",
                status_phrase=None,
            )
            groups[key] = group
            out.append(group)
            continue
        group.children.append(item.text)
        group.owners.extend(o for o in item.owners if o not in group.owners)
        group.refs.extend(r for r in item.refs if r not in group.refs)
        group.end_line = max(group.end_line, item.end_line)
    return out


def _with_subject(item: Item) -> Item:
    """A decision recorded under a topic's own Conclusion heading ("## Array grouping"
    > "### Conclusion" > "- Stage 3") says what it decided only with the topic: it is
    titled "Array grouping: Stage 3"."""
    if (
        len(item.section) < 2
        or heading_meaning(item.section[-1]) != "decisions"
        or heading_meaning(item.section[-2]) is not None
    ):
        return item
    subject = item.section[-2].strip().rstrip(":")
    if not subject or subject.lower() in item.text.lower():
        return item
    return replace(item, text=f"{subject}: {item.text}")


def _item_order(item: Item) -> tuple[object, ...]:
    # The humans' own highlights come before the decisions and releases found for them.
    return (0, item.meeting_date, item.meeting_id, item.line)


# Which of two entries about one topic stays: the humans' highlights, then the most
# recent news, then the more telling bucket, then the longer (more informative) title.
_KEEP_FIRST = ("highlights", "resolved", "new", "pending", "quiet", "late")


def _fill(digest: Digest, placed: list[_Placed], vocabulary: Vocabulary, cutoff: float) -> None:
    """Drop an entry whose topic is already in the digest, then sort each bucket.

    Two threads can be one topic: a status-table row and a bullet about the same
    work in the same meeting (one meeting never joins a thread twice), or a wording
    too different to join. `cutoff` is `similarity` less FOLLOW_UP_SLACK.
    """
    preference = sorted(
        placed,
        key=lambda p: (
            p.bucket != "highlights",
            -p.entry.last_seen.toordinal(),
            _KEEP_FIRST.index(p.bucket),
            -len(p.entry.title),
            _sortable(p.order),
        ),
    )
    kept: list[tuple[_Placed, TopicText]] = []
    seen = _Kept()
    for p in preference:
        text = vocabulary.item_text(p.item)
        if cutoff <= 0:
            near = kept
        elif seen.says_the_same(p, text):
            continue
        else:
            near = [kept[k] for k in seen.alike(text, cutoff)]
        if not any(_same_topic(p, text, q, other, vocabulary, cutoff) for q, other in near):
            kept.append((p, text))
            seen.add(p, text)
    rank = {b: n for n, b in enumerate(Digest.BUCKETS)}
    for p, _text in sorted(
        kept, key=lambda k: (rank[k[0].bucket], _importance(k[0]), _sortable(k[0].order))
    ):
        getattr(digest, p.bucket).append(p.entry)


def _own_refs(item: Item) -> set[str]:
    return {r for r in item.refs if ref_in_text(r, item.text)}


# Kept entries a new one is checked against, at most: the closest by rapidfuzz. A real
# month has a handful alike; a 1,000-row table of near-identical rows must stay linear.
MAX_ALIKE = 50


class _Kept:
    """The entries kept so far, indexed so that a new one is compared only with those
    that may be its topic (never with all of them: a month may list thousands)."""

    def __init__(self) -> None:
        self.refs: set[str] = set()
        self.wordings: set[frozenset[str]] = set()
        self.fuzzy: list[str] = []
        self._by_word: dict[str, list[int]] = {}  # word or context word -> positions
        self._by_own_word: dict[str, list[int]] = {}

    def add(self, p: _Placed, text: TopicText) -> None:
        position = len(self.fuzzy)
        self.refs |= _own_refs(p.item)
        if text.words:
            self.wordings.add(text.words)
        self.fuzzy.append(text.fuzzy)
        for word in text.words | text.context:
            self._by_word.setdefault(word, []).append(position)
        for word in text.words:
            self._by_own_word.setdefault(word, []).append(position)

    def says_the_same(self, p: _Placed, text: TopicText) -> bool:
        """A kept entry names the same issue, or says the same words (_same_topic)."""
        return bool(_own_refs(p.item) & self.refs) or text.words in self.wordings

    def alike(self, text: TopicText, cutoff: float) -> list[int]:
        """Kept entries that may look alike: sharing a word (the weighted overlap of
        texts sharing none is 0), then close by rapidfuzz (the similarity's other
        bound), computed in C; _same_topic decides."""
        found: set[int] = set()
        for word in text.words:
            found.update(self._by_word.get(word, ()))
        for word in text.context:
            found.update(self._by_own_word.get(word, ()))
        if not found or not text.fuzzy:
            return []
        positions = sorted(found)
        return [
            positions[at]
            for _choice, _score, at in process.extract(
                text.fuzzy,
                [self.fuzzy[k] for k in positions],
                scorer=fuzz.token_set_ratio,
                score_cutoff=cutoff,
                limit=MAX_ALIKE,
            )
        ]


def _importance(p: _Placed) -> tuple[object, ...]:
    """What a maintainer reads first in new, pending and resolved: work with an owner,
    then with an issue, then raised more often, then older, then with a status. The
    humans' highlights and the other buckets keep their order."""
    if p.bucket not in ("new", "pending", "resolved"):
        return ()
    e = p.entry
    return (
        not e.owners,
        not e.refs,
        -e.times_raised,
        e.first_seen,
        e.status == "unknown",
    )


def _same_topic(
    a: _Placed,
    a_text: TopicText,
    b: _Placed,
    b_text: TopicText,
    vocabulary: Vocabulary,
    cutoff: float,
) -> bool:
    """Whether two entries are one topic: they share a reference, or say the same
    words, or look alike while neither names an issue the other does not."""
    # Only references the titles themselves name: one named in a sub-bullet is a
    # related issue, not the topic.
    refs_a = {r for r in a.item.refs if ref_in_text(r, a.item.text)}
    refs_b = {r for r in b.item.refs if ref_in_text(r, b.item.text)}
    if refs_a & refs_b:
        return True
    if a_text.words == b_text.words and a_text.words:
        return True  # "Falco 0.36.1 patch release" said in two calls of the month
    if refs_a and refs_b:
        return False  # two different issues
    if min(len(a_text.words), len(b_text.words)) < 2:
        return False  # too few words to tell ("Update meeting times?" is just "time")
    if (a.bucket == "highlights") != (b.bucket == "highlights") and (
        a.entry.last_seen != b.entry.last_seen
    ):
        # A decision of one meeting and what a later one said of the work it is about
        # ("resolver fix goes in if merged by the 18th", then "Resolver fix: merged")
        # are two pieces of news.
        return False
    return vocabulary.similarity(a_text, b_text) >= cutoff


def _sortable(order: tuple[object, ...]) -> tuple[tuple[int, object], ...]:
    """An order comparable across buckets: dates, numbers and words each by their own
    kind (a line 9 comes before a line 13, whatever the digits)."""
    kinds = (date, int, str)
    return tuple(
        next((n, x) for n, kind in enumerate(kinds) if isinstance(x, kind))
        if isinstance(x, kinds)
        else (len(kinds), str(x))
        for x in order
    )
