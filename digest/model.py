"""Plain dataclasses passed between the pipeline stages.

source -> Document -> Meeting (Section/Block tree) -> Item -> Thread -> Digest (Entry)
Every stage is a pure function of the previous stage's output, apart from
sources (git/dir/feed) and the state store, which are the I/O edges.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from digest.periods import Period

Status = Literal["open", "done", "dropped", "unknown"]
DateOrigin = Literal["heading", "front matter", "filename", "commit", "feed"]
# What a section is for, from its headings (digest.sections).
SectionMeaning = Literal[
    "attendance",
    "boilerplate",
    "review",
    "agenda",
    "actions",
    "blocked",
    "done",
    "next",
    "decisions",
    "announcements",
    "minutes",
    "other",
]
# How a line is written: a list item, a task box, a table row, an ACTION: paragraph,
# another paragraph (a decision), a stand-up entry under a person, or a heading.
ItemForm = Literal["list", "task", "row", "action", "paragraph", "person", "heading"]
# What a line is (digest.kinds): only actions and topics are followed.
LineKind = Literal[
    "action", "topic", "decision", "discussion", "attendance", "boilerplate", "placeholder"
]
FOLLOWED_KINDS: tuple[LineKind, ...] = ("action", "topic")
# Where a meeting's series name came from: a title heading, the source's `series`
# setting, or a guess (file-name words, else "Meetings") that sync may replace by
# the series of the note's siblings (digest.app.sync).
SeriesOrigin = Literal["title", "override", "fallback"]


@dataclass(frozen=True)
class Document:
    """One note file (or feed entry) at one version."""

    source: str  # the source's name from config
    path: str  # path inside the source (repo-relative for git); feed: entry id
    text: str  # decoded UTF-8 text; Markdown
    blob: str  # git blob sha, or sha256 of the content for dir/feed
    commit: str | None = None  # git commit that brought this version
    committed_at: datetime | None = None  # aware UTC; feed: entry date; dir: mtime
    deleted: bool = False


# ---- parse tree (digest.notes.parse builds it, digest.notes.items reads it) ------


@dataclass
class ListNode:
    """A list item with its own text (children excluded) and nested items."""

    text: str  # own inline Markdown text, one line, task box removed
    line: int  # 1-based line in the document
    end_line: int  # last line of this item including children
    checked: bool | None = None  # task box: True [x], False [ ], None no box
    children: list[ListNode] = field(default_factory=list)


@dataclass
class TableRow:
    cells: dict[str, str]  # header -> cell text (inline Markdown)
    header: list[str]
    line: int


@dataclass
class Paragraph:
    text: str  # its lines joined by a space
    line: int
    # Where each of its lines after the first starts in `text`: a sentence found in a
    # paragraph links to its own line (line_of).
    starts: tuple[int, ...] = ()

    def line_of(self, offset: int) -> int:
        """The note's line holding the character at `offset` of `text`."""
        return self.line + bisect.bisect_right(self.starts, offset)

    def source_lines(self) -> list[str]:
        """Its lines as the note has them (the whole text when they are not known)."""
        cuts = [0, *self.starts, len(self.text)]
        return [self.text[a:b].strip() for a, b in itertools.pairwise(cuts)]


Block = ListNode | TableRow | Paragraph


@dataclass
class Section:
    """A heading inside a meeting and the blocks directly under it."""

    path: tuple[str, ...]  # heading path inside the meeting, e.g. ("Agenda",)
    line: int
    blocks: list[Block] = field(default_factory=list)
    heading: str = ""  # the last heading as written (links intact), "" for none


@dataclass(frozen=True)
class Meeting:
    id: str  # stable: "{source}:{path}:{date}" (+ ":{n}" when a file repeats a date)
    source: str
    path: str
    series: str
    title: str
    date: date
    date_origin: DateOrigin
    line: int  # heading line (1 when the whole file is the meeting)
    end_line: int
    commit: str | None
    committed_at: datetime | None
    sections: list[Section] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    series_origin: SeriesOrigin = "title"
    # What the notes say when the meeting did not take place ("No topic, skipping the
    # meeting"; digest.notes.items.not_held), else "".
    not_held: str = ""


# ---- items -----------------------------------------------------------------


@dataclass
class Item:
    """One trackable thing said in one meeting."""

    meeting_id: str
    series: str
    meeting_date: date
    form: ItemForm
    meaning: SectionMeaning  # what its section is for
    section: tuple[str, ...]
    text: str  # own text, inline Markdown, without children
    children: list[str] = field(default_factory=list)  # child texts (detail, never entries)
    owners: list[str] = field(default_factory=list)  # normalized handles/names, lower-case
    refs: list[str] = field(default_factory=list)  # canonical "org/repo#123"
    links: list[str] = field(default_factory=list)  # other http(s) links, fragment-free
    status: Status = "unknown"
    status_phrase: str | None = None  # the raw words the status came from
    row_key: str | None = None  # table rows: stable key, e.g. "engine / streamlining falco.yaml"
    path: str = ""
    line: int = 0
    end_line: int = 0
    commit: str | None = None
    committed_at: datetime | None = None
    source: str = ""
    kind: LineKind = "topic"
    why: str = ""  # why it has that kind (`digest items --explain`)
    parent: str | None = None  # key of the item it is a sub-item of
    checked: bool | None = None  # task box: ticked, unticked, or no box

    @property
    def followed(self) -> bool:
        """Actions and topics are followed from meeting to meeting."""
        return self.kind in FOLLOWED_KINDS

    @property
    def key(self) -> str:
        """Stable identity of this item inside the state DB."""
        return f"{self.meeting_id}#L{self.line}"


# ---- threads and digests -----------------------------------------------------


@dataclass
class Join:
    """Why an item joined a thread (shown by `digest items --explain`)."""

    item_key: str
    reason: Literal["first", "ref", "row", "text"]
    detail: str  # e.g. "shares falcosecurity/falco#1340" or "similarity 91 with ..."
    score: float = 100.0


@dataclass
class Thread:
    id: str  # stable: key of the first item
    series: str
    items: list[Item] = field(default_factory=list)  # in meeting order
    joins: list[Join] = field(default_factory=list)

    @property
    def first(self) -> Item:
        return self.items[0]

    @property
    def last(self) -> Item:
        return self.items[-1]


@dataclass(frozen=True)
class SourceLink:
    path: str
    line: int
    commit: str | None
    url: str  # permalink, or "path:line" when the source has no web URL


@dataclass
class Entry:
    title: str  # inline Markdown (rendered safely by digest.mail.render)
    status: Status
    status_phrase: str | None
    owners: list[str]
    refs: list[str]
    first_seen: date
    last_seen: date
    times_raised: int
    source: SourceLink
    thread_id: str = ""
    previous_status: str | None = None  # last status before the period
    late: bool = False  # came from a note committed after its period's digest


@dataclass
class MeetingRef:
    """A meeting of the digest's month, as its list of meetings shows it."""

    title: str
    date: date
    source: SourceLink
    not_held: str = ""  # the notes' words when it did not take place ("Call cancelled")


@dataclass(frozen=True, order=True)
class DigestId:
    """Which digest: one series, one period.

    str() is the key the state stores ("series|period", the digests table's id and
    each delivery's digest_id) and hashes into Message-IDs. It is only ever
    written: code that needs the series or the period reads the fields.
    """

    series: str
    period: Period

    def __str__(self) -> str:
        return f"{self.series}|{self.period}"


@dataclass(frozen=True)
class StaleSource:
    """A source the sync before a digest could not read: the digest may miss its notes."""

    source: str  # the source's name from config
    reason: str  # why, e.g. "cannot fetch https://…: repository not found or needs credentials"


@dataclass
class Digest:
    series: str
    period: Period
    compared_to: Period | None  # the latest earlier period with meetings of the series
    meetings: list[MeetingRef] = field(default_factory=list)
    highlights: list[Entry] = field(default_factory=list)
    new: list[Entry] = field(default_factory=list)
    pending: list[Entry] = field(default_factory=list)
    resolved: list[Entry] = field(default_factory=list)
    quiet: list[Entry] = field(default_factory=list)
    late: list[Entry] = field(default_factory=list)
    # Sources feeding this series that could not be read when it was built (only
    # `digest preview` and `digest send --allow-stale` build such a digest).
    stale: list[StaleSource] = field(default_factory=list)

    BUCKETS = ("highlights", "new", "pending", "resolved", "quiet", "late")

    @property
    def id(self) -> DigestId:
        return DigestId(self.series, self.period)

    def is_empty(self) -> bool:
        return not any(getattr(self, b) for b in self.BUCKETS)
