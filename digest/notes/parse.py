"""Pipeline stage 2: split a Markdown document into meetings.

A document holds one meeting (`# 2023-11-02 Core Sync (monthly)`, or a date only
in the file name) or many (`# Community Call` then `## 2024-01-24` per meeting,
newest first). Each meeting keeps its sections (heading path inside the meeting)
with their blocks: nested list items, table rows and paragraphs, all with 1-based
source lines, and their inline Markdown source text (links intact).

`parse_document` is a pure function that never raises: whatever cannot be
understood becomes a warning naming "source:path[:line]".

Work per note is linear and bounded, whatever the note holds: a meeting keeps at
most MAX_ITEMS blocks (list items, rows, paragraphs), a block's text at most
MAX_ITEM_CHARS characters (the rest is left out), and a line opening more than
MAX_NESTING levels of lists or quotes is read as if less deep; each with a warning
naming the line where the cap was first hit.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from digest.model import (
    Block,
    DateOrigin,
    Document,
    ListNode,
    Meeting,
    Paragraph,
    Section,
    SeriesOrigin,
    TableRow,
)
from digest.notes.sections import label_meaning
from digest.notes.text import CHAT_LINE, MONTH_NAMES, plain_text
from digest.periods import Period

__all__ = [
    "ParseResult",
    "fallback_series",
    "file_shape",
    "find_date",
    "parse_document",
    "series_name",
]


MAX_ITEMS = 1_000  # blocks (list items, table rows, paragraphs) read per meeting
MAX_ITEM_CHARS = 2_000  # characters of one block's text (each table cell)
MAX_NESTING = 8  # list/quote levels one line may open (markdown-it stops reading at 10)


@dataclass
class ParseResult:
    meetings: list[Meeting] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # one sentence each, "source:path[:line]: …"


# ---- dates -------------------------------------------------------------------

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = rf"(?P<mon>{MONTH_NAMES})\.?"
# Order matters: the first pattern that matches a valid date wins.
_DATE_PATTERNS = [
    # 2023-11-02, 2023-8-30, 2019/06/06, 2019.06.06
    re.compile(r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)"),
    # 2020-Jan-28
    re.compile(rf"(?<!\d)(?P<y>\d{{4}})[-/ ]{_MONTH}[-/ ](?P<d>\d{{1,2}})(?!\d)", re.I),
    # 6 June 2019, 6th June 2019, 08th Jan 2020, 4th Sept 2019
    re.compile(
        rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+{_MONTH},?\s+(?P<y>\d{{4}})(?!\d)",
        re.I,
    ),
    # June 6, 2019 / June 6th 2019
    re.compile(
        rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})(?!\d)",
        re.I,
    ),
    # 06.11.2019: day first, as everywhere dots separate a date's numbers
    re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})(?![\d.])"),
    # 20191106
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?!\d)"),
    # 11/6/2019, 11/06/19, 11-06-2019: month or day first (_DateMatch.day_first)
    re.compile(
        r"(?<![\d/-])(?P<a>\d{1,2})(?:/(?P<b>\d{1,2})/(?P<yy>\d{4}|\d\d)"
        r"|-(?P<b2>\d{1,2})-(?P<y4>\d{4}))(?![\d/-])"
    ),
]


@dataclass(frozen=True)
class _DateMatch:
    value: date | None  # None: looked like a date but is not a valid one
    span: tuple[int, int]
    raw: str
    # "6/11/2019" reads as June 11 (value) or as 6 November (day_first): the note's
    # other dates, its file name or its commit say which (_settle_day_order).
    day_first: date | None = None


def _numbers_date(year: int, month: int, day: int) -> date | None:
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    return value if Period.holds(value) else None


def _either_order(groups: dict[str, str | None]) -> tuple[date | None, date | None]:
    """A date written a/b/year: (its month-first reading, its day-first reading when
    that is another valid date). Month first when both are valid, as in the US."""
    a, b = int(groups["a"] or 0), int(groups["b"] or groups["b2"] or 0)
    year_text = groups["yy"] or groups["y4"] or "0"
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    month_first, day_first = _numbers_date(year, a, b), _numbers_date(year, b, a)
    if month_first is None:
        return day_first, None
    return month_first, day_first if day_first != month_first else None


_DIGIT = re.compile(r"\d")  # what every date pattern needs


def _match_dates(text: str) -> list[_DateMatch]:
    found: list[_DateMatch] = []
    if _DIGIT.search(text) is None:
        return found  # most headings: "Agenda", "Action items"
    taken: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            groups = m.groupdict()
            if groups.get("a"):
                value, day_first = _either_order(groups)
                found.append(_DateMatch(value, m.span(), m.group(0), day_first))
                taken.append(m.span())
                continue
            month = _MONTHS[groups["mon"][:3].lower()] if groups.get("mon") else int(groups["m"])
            # None for an impossible day, or year 9999: no digest period can hold it
            value = _numbers_date(int(groups["y"]), month, int(groups["d"]))
            found.append(_DateMatch(value, m.span(), m.group(0)))
            taken.append(m.span())
    found.sort(key=lambda d: d.span)
    return found


def find_date(text: str) -> date | None:
    """The first valid date written in `text` (ISO, 2020-Jan-28, 6th June 2019, June 6, 2019)."""
    for match in _match_dates(text):
        if match.value is not None:
            return match.value
    return None


_EXTENSION = re.compile(r"\.(md|markdown|mdown|txt|rst|org|html?)$", re.I)
# A year-month folder: "2017-08/", "2024/05/", "2019_03/".
_YEAR_MONTH = re.compile(r"(?<!\d)(?P<y>\d{4})[-/._](?P<m>0?[1-9]|1[0-2])(?!\d)")
# The day in a file inside such a folder: "august-17", "mar-07", "17", "17-august".
_MONTH_DAY = re.compile(
    rf"^(?:{_MONTH}[-_. ]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?"
    rf"(?:[-_. ]*{_MONTH.replace('?P<mon>', '?P<mon2>')})?)(?:[-_. ].*)?$",
    re.I,
)


def path_date(path: str) -> date | None:
    """The date a note's path gives it.

    A date in the file name ("2023-11-02-Core.md", "2019-Oct-02.md") or in the path
    ("2019/06/06.md"); else a year-month folder with the day in the file name
    ("2017-08/august-17.md", "2019-03/mar-07.md", "2024/05/13.md"), where a month
    name in the file that disagrees with the folder gives no date (never a guess).
    """
    folder, _, base = path.rpartition("/")
    base = _EXTENSION.sub("", base)
    found = find_date(base) or find_date(f"{folder}/{base}" if folder else base)
    if found is not None:
        return found
    year_months = list(_YEAR_MONTH.finditer(folder))
    day = _MONTH_DAY.match(base)
    if not year_months or day is None:
        return None
    year, month = int(year_months[-1].group("y")), int(year_months[-1].group("m"))
    named = day.group("mon") or day.group("mon2")
    if named and _MONTHS[named[:3].lower()] != month:
        return None
    try:
        return date(year, month, int(day.group("d") or day.group("d2")))
    except ValueError:
        return None


def _file_date(path: str) -> date | None:
    return path_date(path)


# ---- series names ----------------------------------------------------------

# "(monthly)", "(bi-weekly)", "- Meeting" and the like say how often, not which series.
_CADENCE = re.compile(
    r"\((?:\s*(?:bi-?|semi-?)?(?:weekly|monthly|daily|quarterly|yearly|annual|fortnightly)"
    r"\s*)\)",
    re.I,
)
# A date without a year ("8/17", "Aug 17th", "17 August") or a time ("16:00", "4pm CEST",
# "@ 14 UTC"): part of when, never of which series.
_WEEKDAY = re.compile(
    r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday)?\b\.?", re.I
)
_YEARLESS_DATE = re.compile(
    rf"(?<![\w/])\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?(?![\w/])"
    rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH.replace('?P<mon>', '?:')}"
    r"|(?<!\w)(?:19|20)\d\d(?!\w)",
    re.I,
)
_TIME = re.compile(
    r"@?\s*\b\d{1,2}(?::\d{2})?\s*(?:am|pm)\b|\b\d{1,2}:\d{2}\b"
    r"|(?:@\s*)?\b(?:\d{1,2}\s*)?(?:utc|gmt|cet|cest|eet|eest|bst|ist|jst|aest|aedt|"
    r"e[sd]?t|p[sd]?t|c[sd]?t|m[sd]?t)\b|@",
    re.I,
)
# "#tessellate-meeting: Tessellate steering": the chat channel a meeting bot's minutes
# name first.
_CHANNEL = re.compile(r"^\s*#[\w.-]*[^\W\d_][\w.-]*:\s+")
# Drafts and work-in-progress markers: "DRAFT - Core Sync", "[WIP] Core Sync".
_DRAFT = re.compile(r"[\[(]?\b(?:draft|wip|work in progress)\b[\])]?", re.I)
# Emoji, pictographs and other symbols: decoration.
_SYMBOLS = re.compile(
    "[\u2190-\u21ff\u2300-\u23ff\u2460-\u27bf\u2900-\u2bff\u3000-\u303f"
    "\U0001f000-\U0001faff\ufe0f\u200d]"
)
_EDGE_JUNK = re.compile(r"^[\s\-–—:|,#*_.@/]+|[\s\-–—:|,#*_.@/]+$")
# "… meeting notes"; a shared doc's "… — running notes", "… (running agenda)".
_TRAILING_MEETING = re.compile(
    r"(?:[\s\-–—:|,(]+(?:(?:running|shared|living)\s+(?:notes|agenda|minutes|doc(?:ument)?)\)?"
    r"|meeting|notes|minutes))+$",
    re.I,
)
# A title made only of such words names no series ("# 2016-04-07 Agenda", "# Notes").
_GENERIC_TITLE_WORDS = frozenset(
    {
        "meeting",
        "meetings",
        "notes",
        "minutes",
        "agenda",
        "sync",
        "call",
        "the",
        "a",
        "of",
        "running",
    }
)
_SMALL_WORDS = {"a", "an", "and", "at", "for", "in", "of", "on", "or", "the", "to", "with"}
_GENERIC_FILE_WORDS = {"md", "notes", "meeting", "meetings", "minutes", "to", "release"}
_MONTH_WORD = re.compile(rf"^{_MONTH}$", re.I)


def _title_case(text: str) -> str:
    """Capitalize all-lowercase words, so "Office hours" and "Office Hours" are one series."""
    words = text.split()
    out = []
    for i, word in enumerate(words):
        if word.isalpha() and word.islower() and (i == 0 or word not in _SMALL_WORDS):
            word = word[0].upper() + word[1:]
        out.append(word)
    return " ".join(out)


def _strip_markup(text: str) -> str:
    return plain_text(text)  # "[**Core** sync](url)" -> "Core sync"


@functools.lru_cache(maxsize=4096)  # a file's title, once per meeting under it
def series_name(title: str) -> str:
    """A heading's series: dates, times, cadence, drafts and decoration removed.

    "2023-11-02 Core Sync (monthly)" -> "Core Sync"; "Learn Team Agenda 8/17" ->
    "Learn Team Agenda"; "🚀 DRAFT - Core Sync" -> "Core Sync". A title left with only
    generic words ("2016-04-07 Agenda", "Meeting notes") names no series: "".
    """
    text = _CHANNEL.sub("", _SYMBOLS.sub(" ", _strip_markup(title)))
    dated = False
    for match in reversed(_match_dates(text)):
        text = text[: match.span[0]] + " " + text[match.span[1] :]
        dated = True
    text = _CADENCE.sub(" ", text)
    undated = _YEARLESS_DATE.sub(" ", _YEARLESS_DATE.sub(" ", text))  # "April 2021 26th"
    if dated or undated != text:
        undated = _WEEKDAY.sub(" ", undated)  # "Wednesday, June 12, 2024": its day too
    text = undated
    text = _TIME.sub(" ", text)
    text = _DRAFT.sub(" ", text)
    text = re.sub(r"\s+", " ", text)
    for _ in range(3):  # "- Meeting" left behind by "- Meeting 6th June 2019"
        text = _EDGE_JUNK.sub("", text)
        text = _TRAILING_MEETING.sub("", text)
    text = re.sub(r"\(\s*\)|\[\s*\]", "", text).strip()
    text = re.sub(r"\s+([,;:])", r"\1", re.sub(r"\s+", " ", text))
    text = _EDGE_JUNK.sub("", text)
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", text)]
    if not words or all(w in _GENERIC_TITLE_WORDS for w in words):
        return ""
    return _title_case(text)


def _file_series(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    base = _EXTENSION.sub("", base)
    for match in reversed(_match_dates(base)):  # "2019-Oct-02" too, not only ISO
        base = base[: match.span[0]] + " " + base[match.span[1] :]
    base = re.sub(r"\d+(?:\.\d+)+", " ", base)  # version numbers: release-0.37.0
    words = [
        w
        for w in re.split(r"[^\w]+|_", base)
        if w
        and not w.isdigit()
        and w.lower() not in _GENERIC_FILE_WORDS
        and not _MONTH_WORD.match(w)
        and not re.fullmatch(r"\d+(st|nd|rd|th)", w, re.I)
    ]
    return _title_case(" ".join(words))


def fallback_series(path: str) -> str:
    """The series of a note without a title: its file name's words, else "Meetings"."""
    return _file_series(path) or "Meetings"


def file_shape(path: str) -> str:
    """The file's path with digits and month names removed: notes named alike belong together.

    "notes/release-0.29.0.md" -> "notes/release-..md"; "notes/2019-Oct-02.md",
    "notes/2019-10-09.md" -> "notes/.md"; "team/2017-08/august-17.md" and
    "team/2019-03/mar-07.md" -> "team/-/-.md". A titleless note takes the series
    of its titled siblings of the same shape (digest.series).
    """
    folder, _, base = path.rpartition("/")
    for match in reversed(_match_dates(base)):
        base = base[: match.span[0]] + base[match.span[1] :]
    base = re.sub(_MONTH, "", base, flags=re.I)
    base = re.sub(r"\d+", "", base)
    folder = re.sub(r"\d+", "", folder)
    return f"{folder}/{base}" if folder else base


# ---- tokens ----------------------------------------------------------------

# Only the block structure is read (inline tokens' `content` is the source text the
# items keep): the inline rules that would split it into spans are turned off, which
# halves the parse time and changes no token this module reads.
_MD = MarkdownIt("commonmark", {"html": False}).enable("table").disable(["inline", "text_join"])
# A note kept as one growing file ("running notes") is read again at every commit
# that adds a meeting to it: parsing each version whole made a cold sync of such a
# history quadratic in its length. A heading at column 0 ends whatever block is
# open — but a fenced code block, whose extent depends on the list or quote it
# may sit in — so up to the first fence the parts that such headings start parse
# alone exactly as within the whole (tests/notes/test_parse.py checks it, on
# generated files and on every version of the corpora). A file of several dated
# meetings is cut at their headings; each part's tokens are kept, and a version
# parses only its new or changed meetings.
_PART_HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
_FENCE_LINE = re.compile(r"^\s*(?:`{3}|~{3})")
PART_CACHE = 1024  # meetings kept (about 25 KiB of tokens each)
MIN_PARTS = 3  # a title and two meetings: fewer, and nothing is read twice


def _parts(lines: Sequence[str]) -> list[int]:
    """The 0-based lines where a part starts: 0, then each column-0 heading with a
    date in it before the first line that may open a fenced code block."""
    starts = [0]
    for k, line in enumerate(lines):
        if ("`" in line or "~" in line) and _FENCE_LINE.match(line):
            break
        if k and line.startswith("#") and _PART_HEADING.match(line) and _match_dates(line):
            starts.append(k)
    return starts


_Placed = tuple[Token, int, int]  # a token and its lines within its part


def _placed(tokens: Sequence[Token]) -> tuple[_Placed, ...]:
    return tuple((t, t.map[0], t.map[1]) if t.map else (t, -1, -1) for t in tokens)


@functools.lru_cache(maxsize=PART_CACHE)
def _part_tokens(part: str) -> tuple[_Placed, ...]:
    return _placed(_MD.parse(part))


def block_tokens(text: str) -> list[Token]:
    """markdown-it's block tokens of `text`, each part parsed once (see _parts).

    The tokens are lent: a part's kept tokens get the lines of the file they are
    used in, so they hold until the next call (copying them cost more than parsing).
    """
    lines = text.split("\n")
    starts = _parts(lines)
    if len(starts) < MIN_PARTS:
        return _MD.parse(text)
    tokens: list[Token] = []
    used: set[str] = set()
    for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        part = "\n".join(lines[start:end]) + ("\n" if end < len(lines) else "")
        # The same part twice in one file (a meeting pasted twice) cannot lend
        # the same tokens twice: the second is parsed on its own.
        placed = _part_tokens(part) if part not in used else _placed(_MD.parse(part))
        used.add(part)
        for token, first, last in placed:
            if first >= 0:
                token.map = [first + start, last + start]
            tokens.append(token)
    return tokens


_TASK_BOX = re.compile(r"^\[( |x|X)\]\s+")
# A box written at the end instead: "Write the migration guide [ ]", "… [x]".
_TRAILING_TASK_BOX = re.compile(r"\s+\[( |x|X)\]\s*$")
# "(oriel, 15:18:30)" closing a line: who said it and when, as chat-meeting bots
# (MeetBot) stamp every line of their minutes. The log's bookkeeping, not the line's.
_CHAT_STAMP = re.compile(
    r"\s*+\(\s*+[\w.\-\[\]|`^{}]{1,32}+,\s*+\d{1,2}:\d{2}(?::\d{2})?\s*+\)\s*+$"
)
# A bold-only short paragraph used as a heading: "**Who joined**", "**Discussion**:".
_PSEUDO_HEADING = re.compile(r"^\s*(\*\*|__)(?P<label>[^*_\n]{1,60}?):?\s*\1\s*:?\s*$")


# A line that is only a section's name and a colon: "Attendees:", "Agenda:" over a list.
_LABEL_LINE = re.compile(r"^\s*(?P<label>[^\W\d_][^:\n]{0,50}?)\s*:\s*$")
_NAME_LINE = re.compile(r"^\s*(?P<label>[^\W\d_][^:.!?\n]{0,40}?)\s*$")


def _list_follows(tokens: Sequence[Token], paragraph: int) -> bool:
    """Whether the block after the paragraph opening at `paragraph` is a list."""
    after = _close_index(tokens, paragraph) + 1
    return after < len(tokens) and tokens[after].type in ("bullet_list_open", "ordered_list_open")


def _section_label(text: str, *, colon: bool = True) -> re.Match[str] | None:
    """ "Attendees:" or "Action items:" alone on a line: a heading written as a label
    (only the names of sections: "Note:" or "Ana:" is not one). `colon=False`: the
    name alone ("Action items" over a list, as a document exported as text has it)."""
    found = (_LABEL_LINE if colon else _NAME_LINE).match(text)
    if found is None or (not colon and len(found.group("label").split()) > 3):
        return None
    # Not "Notes:" or "Discussion:": under "## Agenda" that still introduces the agenda.
    meaning = label_meaning(found.group("label"), leading=True)
    return found if meaning is not None and meaning not in ("minutes", "other") else None


def _settle_day_order(headings: Sequence[_Heading], doc: Document) -> None:
    """Read a note's a/b/year dates all one way: day first when one of them can only
    be read so ("25/11/2019") or when that reading gives the file name's date, or
    is nearer the commit; else month first, as written in the US ("11/25/2019").
    One note keeps one habit, so its 6/11 and 25/11 are the same month."""
    either = [d for h in headings for d in h.dates if d.day_first is not None]
    if not either:
        return
    numbers = [_first_two(d.raw) for h in headings for d in h.dates if d.value]
    only_day_first = any(a > 12 for a, _ in numbers)
    only_month_first = any(b > 12 for _, b in numbers)
    if only_day_first != only_month_first:
        day_first = only_day_first
    else:
        anchor = path_date(doc.path) or (doc.committed_at.date() if doc.committed_at else None)
        if anchor is None:
            return
        nearer = sum(
            abs((d.day_first - anchor).days) - abs((d.value - anchor).days)
            for d in either
            if d.value is not None and d.day_first is not None
        )
        day_first = nearer < 0
    if not day_first:
        return
    for h in headings:
        h.dates = [
            replace(d, value=d.day_first, day_first=None) if d.day_first is not None else d
            for d in h.dates
        ]


# "## June 5", "### Wed, 5 June", "## Jan 8th (cancelled)": a day without its year.
_YEARLESS_HEADING = re.compile(
    rf"^\W*(?:(?:{_WEEKDAY.pattern}),?\s+)?(?:{_MONTH}\s+(?P<d>\d{{1,2}})"
    rf"(?:st|nd|rd|th)?|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?"
    rf"{_MONTH.replace('?P<mon>', '?P<mon2>')})(?![\w/:.-]|,?\s*\d)",
    re.I,
)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def _date_yearless(headings: Sequence[_Heading], doc: Document) -> None:
    """Running notes that write each meeting's day without its year ("## June 5")
    under a heading that gives it ("# 2024", "## Meetings in 2024") or in a file or
    folder named by it ("notes/2024.md"): their headings take that year. Two such
    headings at least (one is a meeting's own heading, dated by its file); never a
    year guessed from the commit, which for a growing file is its first."""
    found = {id(h): m for h in headings if (m := _YEARLESS_HEADING.match(_strip_markup(h.text)))}
    if len(found) < 2:
        return
    in_path = _YEAR.findall(doc.path)
    year_of_path = int(in_path[-1]) if in_path else None
    years: list[tuple[int, int]] = []  # (level, year) of the headings above
    for h in headings:
        while years and years[-1][0] >= h.level:
            years.pop()
        match = found.get(id(h))
        if match is None:
            stated = _YEAR.findall(_strip_markup(h.text))
            if stated:
                years.append((h.level, int(stated[-1])))
            continue
        year = years[-1][1] if years else year_of_path
        if year is None:
            continue
        month = match.group("mon") or match.group("mon2")
        day = int(match.group("d") or match.group("d2"))
        value = _numbers_date(year, _MONTHS[month[:3].lower()], day)
        h.dates = [_DateMatch(value, match.span(), match.group(0))]


# What _either_order reads: "6/11/2019", "06-11-2019", "6/11/19".
_ORDERED = re.compile(r"(\d{1,2})([/-])(\d{1,2})\2\d{2,4}")


def _first_two(raw: str) -> tuple[int, int]:
    """The two numbers before the year of an a/b/year date; (0, 0) for other dates."""
    found = _ORDERED.fullmatch(raw)
    return (int(found.group(1)), int(found.group(3))) if found else (0, 0)


@dataclass
class _Heading:
    index: int  # token index of heading_open (of paragraph_open for a bold date line)
    level: int
    text: str
    line: int  # 1-based
    dates: list[_DateMatch]
    bold_line: bool = False  # a paragraph that is only a bold date: "**Nov 17, 2026**"


def _inline_text(tokens: Sequence[Token], index: int) -> str:
    """Content of the inline token following tokens[index] (an *_open token)."""
    if index + 1 < len(tokens) and tokens[index + 1].type == "inline":
        # One character over the cap, so _bound still sees (and reports) a long cell.
        content = tokens[index + 1].content[: 2 * MAX_ITEM_CHARS]
        return " ".join(content.split("\n")).strip()[: MAX_ITEM_CHARS + 1]
    return ""


def _close_index(tokens: Sequence[Token], index: int) -> int:
    """Index of the token closing tokens[index] (same nesting)."""
    depth = 0
    for j in range(index, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _last_line(lines: Sequence[str], start0: int, end0: int) -> int:
    """1-based last non-blank line of the 0-based half-open range [start0, end0)."""
    end = min(end0, len(lines))
    while end - 1 > start0 and not lines[end - 1].strip():
        end -= 1
    return max(end, start0 + 1)


_BOX_LINE = re.compile(r"^\s*\[( |x|X)\]\s+\S")
# A line that starts a statement of its own: minutes written a line per statement
# without list markers, which Markdown joins into one paragraph. An action or a
# resolution ("ACTION: Cleo to draft …", "RESOLUTION: adopt …", "AI(@femi): …",
# "[DONE] ACTION: …") or a line of a chat log ("<ana> we have two proposals").
# Speakers' "Ana: …" lines are not cut: a transcript kept as one paragraph reads as
# the minutes it is.
_STATEMENT_START = re.compile(
    rf"^\s*(?:{CHAT_LINE}|(?:\[(?:new|pending|done)\]\s*)?(?:\*\*|__)?"
    r"(?:action(?:\s+(?:items?|points?))?|ai|todo|resolution|resolved|decision|decided|agreed)"
    r"(?:\s*[(\[][^()\[\]\n]{1,40}[)\]])?(?:\*\*|__)?\s*:)",
    re.IGNORECASE,
)


def _line_starts(own: str, raw: list[str]) -> tuple[int, ...]:
    """Where each line of `raw` after the first starts in `own` (its lines joined by
    a space, up to any task box), or () when `own` is not that."""
    starts: list[int] = []
    at = len(raw[0]) + 1 if raw else 0
    for text in raw[1:]:
        if at >= len(own):
            break
        starts.append(at)
        at += len(text) + 1
    return tuple(starts) if own.startswith(" ".join(raw)[: len(own)]) else ()


def _statements(own: str, raw: list[str], line: int) -> list[Paragraph]:
    """A paragraph's own text (`own`, its lines `raw` up to any task box), one block
    per statement written on a line of its own (_STATEMENT_START), each at its line."""
    if len(raw) < 2 or not any(_STATEMENT_START.match(text) for text in raw[1:]):
        return [Paragraph(text=own, line=line, starts=_line_starts(own, raw))]
    groups: list[tuple[int, list[str]]] = []
    for k, text in enumerate(raw):
        if k and _BOX_LINE.match(text):
            break  # the task boxes below are blocks of their own already
        if not groups or _STATEMENT_START.match(text):
            groups.append((k, [text]))
        else:
            groups[-1][1].append(text)
    joined = [(line + k, " ".join(texts).strip(), texts) for k, texts in groups]
    return [
        Paragraph(text=text, line=at, starts=_line_starts(text, texts))
        for at, text, texts in joined
        if text
    ]


def _split_box_lines(
    tokens: Sequence[Token], index: int, *, keep_first_box: bool = False
) -> tuple[str, list[ListNode]]:
    """A paragraph's own text, and the task boxes written on lines of their own.

    "- Review last week's action items" followed by "  [x] Ana: send the survey"
    lines with no list marker: Markdown reads them as one paragraph, people mean a
    list of boxes under the bullet.
    """
    if index + 1 >= len(tokens) or tokens[index + 1].type != "inline":
        return "", []
    raw = tokens[index + 1].content
    content = raw.split("\n")
    span = tokens[index].map
    first = span[0] + 1 if span else 1
    # In a list item the first line is the item's own (its box is read by the caller).
    start = 0 if keep_first_box else 1
    cut = len(content)
    if "[" in raw:  # a box needs one: most paragraphs have none
        cut = next(
            (k for k, text in enumerate(content) if k >= start and _BOX_LINE.match(text)), cut
        )
    own = " ".join(content[:cut]).strip()
    boxes: list[ListNode] = []
    for k in range(cut, len(content)):
        text = content[k].strip()
        box = _TASK_BOX.match(text)
        if box:
            boxes.append(
                ListNode(
                    text=text[box.end() :].strip(),
                    line=first + k,
                    end_line=first + k,
                    checked=box.group(1) != " ",
                )
            )
        elif boxes and text:
            boxes[-1].text += " " + text  # a box's text wrapped onto the next line
    return own, boxes


def _list_items(
    tokens: Sequence[Token], start: int, end: int, lines: Sequence[str]
) -> list[ListNode]:
    """ListNodes for the list whose *_list_open is tokens[start] and close tokens[end]."""
    nodes: list[ListNode] = []
    i = start + 1
    while i < end:
        tok = tokens[i]
        if tok.type != "list_item_open":
            i += 1
            continue
        close = _close_index(tokens, i)
        texts: list[str] = []
        children: list[ListNode] = []
        j = i + 1
        while j < close:
            inner = tokens[j]
            if inner.type == "paragraph_open":
                own, boxes = _split_box_lines(tokens, j)
                if own:
                    texts.append(own)
                children.extend(boxes)
                j = _close_index(tokens, j) + 1
            elif inner.type in ("bullet_list_open", "ordered_list_open"):
                inner_close = _close_index(tokens, j)
                children.extend(_list_items(tokens, j, inner_close, lines))
                j = inner_close + 1
            elif inner.nesting == 1:
                j = _close_index(tokens, j) + 1  # blockquotes, tables in items: quoted detail
            else:
                j += 1
        text = " ".join(t for t in texts if t)
        checked: bool | None = None
        box = _TASK_BOX.match(text)
        trailing_box = _TRAILING_TASK_BOX.search(text) if "]" in text else None
        if box:
            checked = box.group(1) != " "
            text = text[box.end() :]
        elif trailing_box and trailing_box.start() > 0:
            checked = trailing_box.group(1) != " "
            text = text[: trailing_box.start()]
        stamp = _CHAT_STAMP.search(text) if text.endswith(")") else None
        if stamp and stamp.start() > 0:
            text = text[: stamp.start()]
        line0, end0 = tok.map if tok.map else (0, 1)
        nodes.append(
            ListNode(
                text=text.strip(),
                line=line0 + 1,
                end_line=_last_line(lines, line0, end0),
                checked=checked,
                children=children,
            )
        )
        i = close + 1
    return nodes


def _table_rows(tokens: Sequence[Token], start: int, end: int) -> list[TableRow]:
    header: list[str] = []
    rows: list[TableRow] = []
    in_head = False
    current: list[str] = []
    row_line = 0
    for j in range(start, end + 1):
        tok = tokens[j]
        if tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            current = []
            row_line = tok.map[0] + 1 if tok.map else 0
        elif tok.type in ("th_open", "td_open"):
            current.append(_inline_text(tokens, j))
        elif tok.type == "tr_close":
            if in_head:
                header = _unique_headers(current)
            else:
                cells = {h: (current[k] if k < len(current) else "") for k, h in enumerate(header)}
                rows.append(TableRow(cells=cells, header=list(header), line=row_line))
    return rows


def _unique_headers(cells: list[str]) -> list[str]:
    names: list[str] = []
    for k, cell in enumerate(cells, 1):
        name = _strip_markup(cell).strip() or f"column {k}"
        while name in names:
            name = f"{name} {k}"
        names.append(name)
    return names


def _sections(
    tokens: Sequence[Token],
    start: int,
    end: int,
    base_level: int,
    lines: Sequence[str],
    first_line: int,
    *,
    titled: bool = True,
) -> list[Section]:
    """Sections of the token range [start, end): headings deeper than base_level.
    `titled`: the range starts with the meeting's own heading (not a section's)."""
    sections: list[Section] = [Section(path=(), line=first_line)]
    # Notes without sub-headings (a shared document exported as text) name their
    # sections on plain lines: "Action items" over a list.
    plain_labels = not any(t.type == "heading_open" for t in tokens[start + 1 : end])
    stack: list[tuple[int, str]] = []  # (level, text) of the open headings
    pseudo = False  # the current section came from a bold-only paragraph
    i = start
    while i < end:
        tok = tokens[i]
        if tok.level != 0:
            i += 1
            continue
        if tok.type == "heading_open" and i == start and titled:
            i = _close_index(tokens, i) + 1  # the meeting's own heading
            continue
        if tok.type == "heading_open":
            # A heading as shallow as the title, inside a whole-file meeting, is a section.
            level = max(int(tok.tag[1:]) if tok.tag[1:].isdigit() else 6, base_level + 1)
            text = _inline_text(tokens, i)
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, _strip_markup(text).strip()))
            line = tok.map[0] + 1 if tok.map else first_line
            sections.append(
                Section(path=tuple(t for _, t in stack), line=line, heading=text.strip())
            )
            pseudo = False
            i = _close_index(tokens, i) + 1
        elif tok.type == "paragraph_open":
            text = _inline_text(tokens, i)
            line = tok.map[0] + 1 if tok.map else first_line
            raw = tokens[i + 1].content.split("\n") if tokens[i + 1].type == "inline" else []
            bold = _PSEUDO_HEADING.match(text)
            heading = bold or _section_label(raw[-1] if raw else text)
            if heading is None and plain_labels and len(raw) == 1 and _list_follows(tokens, i):
                heading = _section_label(raw[0], colon=False)  # "Action items" over a list
            if heading and len(heading.group("label").split()) <= 6:
                if not bold and len(raw) > 1:
                    # "Host: Ilse" then "Attendees:" on the next line: the last line heads
                    # the list below, the lines above stay a paragraph where they were.
                    above = " ".join(raw[:-1]).strip()
                    sections[-1].blocks.append(Paragraph(text=above, line=line))
                    line += len(raw) - 1
                path = sections[-1].path[:-1] if pseudo else sections[-1].path
                sections.append(Section(path=(*path, heading.group("label").strip()), line=line))
                pseudo = True
            elif text:
                own, boxes = _split_box_lines(tokens, i, keep_first_box=True)
                if own:
                    sections[-1].blocks.extend(_statements(own, raw, line))
                sections[-1].blocks.extend(boxes)
            i = _close_index(tokens, i) + 1
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            close = _close_index(tokens, i)
            sections[-1].blocks.extend(_list_items(tokens, i, close, lines))
            i = close + 1
        elif tok.type == "table_open":
            close = _close_index(tokens, i)
            blocks: list[Block] = list(_table_rows(tokens, i, close))
            sections[-1].blocks.extend(blocks)
            i = close + 1
        elif tok.nesting == 1:
            i = _close_index(tokens, i) + 1  # blockquote, html: not trackable
        else:
            i += 1
    # An empty leading section says nothing; keep the others even when empty.
    if not sections[0].blocks and len(sections) > 1:
        sections.pop(0)
    return sections


# ---- meetings --------------------------------------------------------------


def _where(doc: Document, line: int | None = None) -> str:
    return f"{doc.source}:{doc.path}" + (f":{line}" if line else "")


def _headings(tokens: Sequence[Token]) -> list[_Heading]:
    found = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.level == 0:
            text = _inline_text(tokens, i)
            level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 6
            line = tok.map[0] + 1 if tok.map else 1
            found.append(_Heading(i, level, text, line, _match_dates(_strip_markup(text))))
    return found


# A bold line standing for a meeting's heading, as notes kept in a shared document
# and exported write them: "**November 17, 2026**", "**Tue 2026-11-17, 16:00 UTC**".
# Deeper than any real heading: a real heading after it ends its meeting.
BOLD_DATE_LEVEL = 7
_BOLD_DATE_EXTRA_WORDS = 3  # besides the date: a weekday, a time, "UTC"


def _bold_date_lines(tokens: Sequence[Token]) -> list[_Heading]:
    """Paragraphs that are only a bold date, as meeting headings (see BOLD_DATE_LEVEL).
    Only the date, a weekday or a time: "**Next meeting: November 24, 2026**" is not one."""
    found = []
    for i, tok in enumerate(tokens):
        if tok.type != "paragraph_open" or tok.level != 0:
            continue
        bold = _PSEUDO_HEADING.match(_inline_text(tokens, i))
        if bold is None:
            continue
        label = bold.group("label").strip()
        dates = _dated_line(label, _BOLD_DATE_EXTRA_WORDS)
        if dates is None:
            continue
        line = tok.map[0] + 1 if tok.map else 1
        found.append(_Heading(i, BOLD_DATE_LEVEL, label, line, dates, bold_line=True))
    return found


def _dated_line(label: str, extra_words: int) -> list[_DateMatch] | None:
    """The dates of a line standing for a meeting's heading: exactly one valid date,
    at most `extra_words` words besides it, none naming another day ("Next …")."""
    dates = _match_dates(label)
    valid = [d for d in dates if d.value is not None]
    if len(valid) != 1:
        return None
    rest = label[: valid[0].span[0]] + " " + label[valid[0].span[1] :]
    if len(_WORDS.findall(rest)) > extra_words or _NOT_A_MEETING_DAY.search(rest):
        return None
    return dates


def _title_line(tokens: Sequence[Token]) -> _Heading | None:
    """A plain first line naming the meeting and its date, as notes written or exported
    without Markdown headings open: "Tidepool WG – 13 May 2026" over the notes. Only
    a line of its own, first in the file, with one date and a few words besides."""
    first = next((i for i, t in enumerate(tokens) if t.level == 0 and t.nesting == 1), None)
    if first is None or tokens[first].type != "paragraph_open":
        return None
    inline = tokens[first + 1]
    if inline.type != "inline" or "\n" in inline.content.strip():
        return None
    label = _strip_markup(_inline_text(tokens, first)).strip()
    dates = _dated_line(label, _TITLE_LINE_WORDS)
    if dates is None:
        return None
    where = tokens[first].map
    return _Heading(first, BOLD_DATE_LEVEL, label, where[0] + 1 if where else 1, dates, True)


_TITLE_LINE_WORDS = 8  # besides the date: the group's name, "meeting notes", a time
_WORDS = re.compile(r"[^\W\d_]{2,}")  # words of letters, besides a date's digits
# A bold date that names another day than the meeting's own.
_NOT_A_MEETING_DAY = re.compile(
    r"\b(?:next|upcoming|previous|last|due|deadline|until|by|before|after|since|from)\b", re.I
)


def _meeting_level(headings: list[_Heading]) -> int | None:
    """Heading level of the meeting headings: the shallowest level holding a dated heading.

    Exception: a single dated title at the top of the file (e.g. "# 2020-08-12 to
    2020-12-16") over two or more dated headings one level down is a title, not a meeting.
    """
    by_level: dict[int, list[_Heading]] = {}
    for h in headings:
        if any(d.value for d in h.dates):
            by_level.setdefault(h.level, []).append(h)
    if not by_level:
        return None
    levels = sorted(by_level)
    top = levels[0]
    if len(by_level[top]) == 1 and by_level[top][0] is headings[0] and len(levels) > 1:
        deeper = by_level[levels[1]]
        if len(deeper) >= 2 and len(by_level[top][0].dates) >= 2:
            return levels[1]
    return top


SourceKind = Literal["git", "dir", "feed"]

# What doc.committed_at is, by source kind: named in the "no date" warnings.
_FALLBACK_DATE = {
    "git": ("the commit date", "the commit"),
    "dir": ("the file's modification date", "the file's modification date"),
    "feed": ("the entry's date", "the entry"),
}


def parse_document(
    doc: Document, *, series: str = "", source_kind: SourceKind = "git"
) -> ParseResult:
    """Split `doc` into meetings; never raises (problems become warnings).

    source_kind says what doc.committed_at is (commit, file time, entry date), for
    the warning about a note dated by it.
    """
    if doc.deleted:
        return ParseResult()
    try:
        return _parse(doc, series, source_kind)
    except Exception as exc:  # a parser bug must not stop a whole sync
        return ParseResult(
            warnings=[
                f"{_where(doc)}: could not be read as Markdown ({type(exc).__name__}: {exc}); "
                "skipped."
            ]
        )


# A note of a static site starts with YAML front matter ("---", "title: …",
# "date: 2026-09-10", "---"): the page's metadata, not Markdown, which would read
# it as a rule and a heading. Only its top-level title and date are read.
FRONT_MATTER_LINES = 100  # a front matter longer than this is not looked for
_FRONT_KEY = re.compile(r"([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*)")


@dataclass(frozen=True)
class _FrontMatter:
    title: str
    date: date | None
    line: int  # 1-based line of its "date:", for a warning
    attendees: str = ""  # "ana, bruno" from "attendees: [ana, bruno]" or a list below it
    attendees_line: int = 0


# The front matter's keys that list who came.
_FRONT_ATTENDANCE = ("attendees", "attendance", "participants", "present")
_FRONT_LIST_ENTRY = re.compile(r"[ \t]+-[ \t]+(.+)")


def _front_matter(lines: list[str]) -> _FrontMatter | None:
    """The front matter at the top of `lines`, blanked in place (line numbers kept),
    or None when the note has none."""
    if not lines or lines[0].rstrip() != "---":
        return None
    end = next(
        (
            k
            for k in range(1, min(len(lines), FRONT_MATTER_LINES))
            if lines[k].rstrip() in ("---", "...")
        ),
        None,
    )
    if end is None:
        return None
    keys: dict[str, tuple[str, int]] = {}
    for k in range(1, end):
        found = _FRONT_KEY.fullmatch(lines[k].rstrip())  # top level: not indented
        if found:
            keys.setdefault(found.group(1).lower(), (found.group(2).strip(), k + 1))
    if not keys:
        return None  # a rule, then a paragraph, then a rule: Markdown after all
    raw = lines[: end + 1]
    for k in range(end + 1):
        lines[k] = ""
    title, _ = keys.get("title", ("", 0))
    if len(title) >= 2 and title[0] == title[-1] and title[0] in "\"'":
        title = title[1:-1]
    elif title[:1] in ("|", ">", "[", "{", "&", "*"):
        title = ""  # a block, list or alias: not a one-line title to show
    raw_date, date_line = keys.get("date", ("", 0))
    attendees, attendees_line = next((keys[k] for k in _FRONT_ATTENDANCE if k in keys), ("", 0))
    if attendees_line and not attendees.strip():
        # A block list: "attendees:" over "  - ana".
        entries = []
        for k in range(attendees_line, end):
            entry = _FRONT_LIST_ENTRY.fullmatch(raw[k].rstrip())
            if entry is None:
                break
            entries.append(entry.group(1))
        attendees = ", ".join(entries)
    return _FrontMatter(
        title=title.strip(),
        date=find_date(raw_date),
        line=date_line,
        attendees=attendees.strip("[] "),
        attendees_line=attendees_line,
    )


# What opens nested blocks at the start of a line: indentation, list markers, quotes.
_NESTING_PREFIX = re.compile(r"(?:[ \t]*(?:[-*+]|\d{1,9}[.)])(?=[ \t])|[ \t]*>)*[ \t]*")
_MARKER = re.compile(r"[-*+>]|\d{1,9}[.)]")


def _flatten_deep_lines(lines: list[str]) -> int | None:
    """Rewrite, in place, the lines that could open more than MAX_NESTING levels of
    lists or quotes (each level takes two columns of indentation or one marker) so
    they open at most that many; the 1-based first such line, or None.

    markdown-it stops reading a document at its own nesting limit, losing the rest
    of the note; this keeps every line read, and the parse linear.
    """
    first = None
    for k, line in enumerate(lines):
        prefix = _NESTING_PREFIX.match(line)
        if prefix is None or prefix.end() <= MAX_NESTING or prefix.end() == len(line):
            continue  # shallow, or a blank line of spaces: no nesting
        head = prefix.group()
        markers = _MARKER.findall(head)
        columns = len(head) - len(head.lstrip(" \t")) + 3 * head.count("\t")
        if columns // 2 + len(markers) <= MAX_NESTING:
            continue
        indent = min(columns, MAX_NESTING)  # half the levels from indentation, at most
        kept = markers[: MAX_NESTING - indent // 2]
        lines[k] = " " * indent + "".join(m + " " for m in kept) + line[prefix.end() :]
        first = first or k + 1
    return first


# A line that is only the markup of a collapsed section or a layout box: "<details>",
# "<summary>Raw chat log</summary>", "</div>". GitHub shows none of it as text.
_MARKUP_LINE = re.compile(
    r"^[ \t]*(?:</?(?:details|summary|div|center|section|br|hr)\b[^<>\n]*>[ \t]*)+"
    r"(?:[^<>\n]*</summary>[ \t]*)?$",
    re.I | re.M,
)


def without_comments(text: str) -> str:
    """`text` without each closed HTML comment ("<!-- add your topic below -->", over
    several lines too: its line breaks are kept) and with each line of collapsible-
    section markup ("<details>", "<summary>…</summary>") blanked: a template's instructions are not
    what the meeting said. An unclosed "<!--" and what follows it are kept."""
    if "<" not in text:
        return text
    if "<!--" in text:
        parts: list[str] = []
        done = 0
        while (start := text.find("<!--", done)) >= 0:
            end = text.find("-->", start + 4)
            if end < 0:
                break
            parts += [text[done:start], "\n" * text.count("\n", start, end)]
            done = end + 3
        text = "".join([*parts, text[done:]])
    return _MARKUP_LINE.sub("", text)


def _parse(doc: Document, series_override: str, source_kind: SourceKind) -> ParseResult:
    result = ParseResult()
    text = doc.text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
    if not text.strip():
        return result
    text = _as_markdown_lists(without_comments(text))
    lines = text.split("\n")
    front = _front_matter(lines)
    deep = _flatten_deep_lines(lines)
    if deep is not None or front is not None:
        text = "\n".join(lines)
    if deep is not None:
        result.warnings.append(
            f"{_where(doc, deep)}: lists or quotes nested deeper than {MAX_NESTING} levels; "
            "read as if less deep."
        )
    tokens = block_tokens(text)
    headings = _headings(tokens)
    _settle_day_order(headings, doc)
    if not any(d.value for h in headings for d in h.dates):
        _date_yearless(headings, doc)
    if not any(d.value for h in headings for d in h.dates):
        # No dated heading: meetings may be headed by bold date lines instead.
        bold = _bold_date_lines(tokens)
        if bold:
            headings = sorted([*headings, *bold], key=lambda h: h.index)
        elif (title := _title_line(tokens)) is not None:
            headings = sorted([*headings, title], key=lambda h: h.index)
    for h in headings:
        for d in h.dates:
            if d.value is None:
                result.warnings.append(
                    f"{_where(doc, h.line)}: heading {h.text!r} has {d.raw!r}, which is not "
                    "a valid date; ignored."
                )
    level = _meeting_level(headings)
    if level is None:
        _whole_file_meeting(
            doc, tokens, headings, lines, series_override, source_kind, result, front
        )
    else:
        _dated_meetings(doc, tokens, headings, lines, level, series_override, result, front)
    for meeting in result.meetings:
        result.warnings.extend(_bound(doc, meeting))
    return result


# Lists as a shared document exports them as text: "● item", "○ nested item", "☐ task".
_DOCUMENT_BULLET = re.compile(r"^([ \t]*)(?:[●○■▪◦•‣∙]|(☐)|([☑☒]))[ \t\u00a0]+(?=\S)", re.M)
_DOCUMENT_BULLET_CHARS = frozenset("●○■▪◦•‣∙☐☑☒")


def _as_markdown_lists(text: str) -> str:
    """`text` with a document export's bullets and boxes as Markdown's ("- ", "- [ ] "),
    line for line."""
    if _DOCUMENT_BULLET_CHARS.isdisjoint(text):
        return text

    def bullet(m: re.Match[str]) -> str:
        box = " [ ]" if m.group(2) else " [x]" if m.group(3) else ""
        return f"{m.group(1)}-{box} "

    return _DOCUMENT_BULLET.sub(bullet, text)


def _dated_meetings(
    doc: Document,
    tokens: Sequence[Token],
    headings: list[_Heading],
    lines: list[str],
    level: int,
    series_override: str,
    result: ParseResult,
    front: _FrontMatter | None = None,
) -> None:
    """The meetings of a document with a dated heading per meeting."""

    meeting_heads = [h for h in headings if h.level == level and any(d.value for d in h.dates)]
    file_date = _file_date(doc.path)
    first_index = meeting_heads[0].index
    # The title: the last shallower heading before the first meeting ("# Community Call").
    # Not one that names no series: "## 2024" over its meetings, under "# Kiln sync".
    title_heads = [h for h in headings if h.index < first_index and h.level < level]
    named = [h for h in title_heads if series_name(h.text)] or title_heads
    doc_title = named[-1].text if named else front.title if front else ""
    seen: dict[date, int] = {}
    # One pass each way over the headings, not one per meeting (a note may hold
    # thousands of dated headings).
    heads = {id(h) for h in meeting_heads}
    # A meeting spans to the next dated heading of its level, or any shallower heading
    # (a repeated "# Community Call"). An undated "## Agenda" at the meeting's level is
    # a section written one level too high, so it stays inside.
    ends: dict[int, _Heading | None] = {}
    boundary: _Heading | None = None
    for o in reversed(headings):
        ends[id(o)] = boundary
        if o.level < level or id(o) in heads:
            boundary = o
    # Titles repeated before each meeting count too ("# Community Call" per meeting).
    titles: dict[int, str] = {}
    shallower: str | None = None
    for o in headings:
        titles[id(o)] = doc_title if shallower is None else shallower
        if o.level < level and series_name(o.text):
            shallower = o.text
    for h in meeting_heads:
        end_heading = ends[id(h)]
        end_index = end_heading.index if end_heading else len(tokens)
        end_line0 = end_heading.line - 1 if end_heading else len(lines)
        title = titles[id(h)]
        meeting_date = next(d.value for d in h.dates if d.value)
        date_origin: DateOrigin = "heading"
        if len(meeting_heads) == 1 and file_date is not None and file_date != meeting_date:
            # A note copied from last week's keeps last week's title; the file name was
            # typed for this meeting. Seen in real notes far more often than the reverse.
            result.warnings.append(
                f"{_where(doc, h.line)}: the heading says {meeting_date.isoformat()} but the "
                f"file name says {file_date.isoformat()}; using the file name's date."
            )
            meeting_date, date_origin = file_date, "filename"
        own_series = series_name(h.text)
        # The heading's own words name the series only when it is the document's title
        # ("# 2023-11-02 Core Sync"), not in "## 2025-09-10 No call this week!".
        heading_is_title = level == 1 or len(meeting_heads) == 1
        titled = (series_name(title) if title else "") or (own_series if heading_is_title else "")
        name = series_override or titled or fallback_series(doc.path)
        origin: SeriesOrigin = "override" if series_override else "title" if titled else "fallback"
        heading_title = _CHANNEL.sub("", _strip_markup(h.text)).strip()
        # A heading that is only its date ("## Nov 10, 2026") titles the meeting
        # with the series and that date, written once the way every digest writes it.
        meeting_title = heading_title if own_series else f"{name} {meeting_date.isoformat()}"
        n = seen[meeting_date] = seen.get(meeting_date, 0) + 1
        meeting_id = f"{doc.source}:{doc.path}:{meeting_date.isoformat()}"
        if n > 1:
            meeting_id += f":{n}"
        result.meetings.append(
            Meeting(
                id=meeting_id,
                source=doc.source,
                path=doc.path,
                series=name,
                title=meeting_title,
                date=meeting_date,
                date_origin=date_origin,
                line=h.line,
                end_line=_last_line(lines, h.line - 1, end_line0),
                commit=doc.commit,
                committed_at=doc.committed_at,
                sections=_sections(
                    tokens,
                    _close_index(tokens, h.index) + 1 if h.bold_line else h.index,
                    end_index,
                    level,
                    lines,
                    h.line,
                ),
                series_origin=origin,
            )
        )


def _bound(doc: Document, meeting: Meeting) -> list[str]:
    """Apply the caps of the module docstring to a meeting's blocks, in place; one
    warning per cap hit, naming the first line where it was."""
    hit: dict[str, int] = {}  # which cap -> first line it was hit at
    count = 0

    def clip(text: str, line: int) -> str:
        if len(text) <= MAX_ITEM_CHARS:
            return text
        hit.setdefault("chars", line)
        return text[: MAX_ITEM_CHARS - 1] + "…"

    def keep(block: Block) -> bool:
        nonlocal count
        count += 1
        if count > MAX_ITEMS:
            hit.setdefault("items", block.line)
            return False
        return True

    for section in meeting.sections:
        kept: list[Block] = []
        for block in section.blocks:
            if not keep(block):
                break
            kept.append(block)
            if isinstance(block, TableRow):
                block.cells = {h: clip(c, block.line) for h, c in block.cells.items()}
            elif isinstance(block, Paragraph):
                block.text = clip(block.text, block.line)
            else:
                # Nested list items, level by level (no recursion).
                level: list[ListNode] = [block]
                while level:
                    below: list[ListNode] = []
                    for node in level:
                        node.text = clip(node.text, node.line)
                        children = []
                        for child in node.children:
                            if not keep(child):
                                break
                            children.append(child)
                        node.children = children
                        below.extend(children)
                    level = below
        section.blocks = kept
    messages = {
        "items": f"more than {MAX_ITEMS:,} items in one meeting; the rest is not read",
        "chars": f"a line longer than {MAX_ITEM_CHARS:,} characters; only its start is read",
    }
    return [
        f"{_where(doc, line)}: {messages[cap]}."
        for cap, line in sorted(hit.items(), key=lambda h: h[1])
    ]


# Files that sit beside meeting notes without being one, by their name's stem.
_NOT_MEETING_NAMES = {
    "readme": "a README",
    "index": "an index page",
    "_index": "an index page",
    "contributing": "a contributing guide",
    "license": "a licence",
    "changelog": "a changelog",
    "code_of_conduct": "a code of conduct",
    "code-of-conduct": "a code of conduct",
    "security": "a security policy",
}
# A title a template leaves to be filled in: "Meeting YYYY-MM-DD", "Sync <date>",
# "Notes {{date}}", "Call DD/MM/YYYY".
_DATE_PLACEHOLDER = re.compile(
    r"\b(?:YYYY|yyyy)\b|\bYYYY|\bMM[-/.]DD\b|\bDD[-/.]MM\b|<\s*date\s*>|\{\{?\s*date|\[\s*date\s*\]",
    re.I,
)


def _not_a_meeting(path: str, headings: Sequence[_Heading]) -> str:
    """What an undated file is when it is plainly not a meeting note ("a README", "a
    template"), else ""."""
    stem = _EXTENSION.sub("", path.rsplit("/", 1)[-1]).lower()
    if stem in _NOT_MEETING_NAMES:
        return _NOT_MEETING_NAMES[stem]
    if "template" in stem or any(_DATE_PLACEHOLDER.search(h.text) for h in headings[:1]):
        return "a template"
    return ""


def _whole_file_meeting(
    doc: Document,
    tokens: Sequence[Token],
    headings: list[_Heading],
    lines: list[str],
    series_override: str,
    source_kind: SourceKind,
    result: ParseResult,
    front: _FrontMatter | None = None,
) -> None:
    origin: DateOrigin
    fallback, fallback_source = _FALLBACK_DATE[source_kind]
    file_date = _file_date(doc.path)
    front_date = front.date if front else None
    if front and front_date and file_date and front_date != file_date:
        # As with a heading: a note copied from last week's keeps last week's date.
        result.warnings.append(
            f"{_where(doc, front.line)}: the front matter says {front_date.isoformat()} but "
            f"the file name says {file_date.isoformat()}; using the file name's date."
        )
    if file_date is None and front_date is None and (what := _not_a_meeting(doc.path, headings)):
        # Dating it by its commit would make the folder's README a meeting series.
        result.warnings.append(
            f"{_where(doc)}: no date, and {what}, not a meeting note; skipped (list it in "
            "the source's `exclude` to skip it without this warning)."
        )
        return
    if file_date is not None:
        meeting_date, origin = file_date, "filename"
    elif front_date is not None:
        meeting_date, origin = front_date, "front matter"
    elif doc.committed_at is not None and Period.holds(doc.committed_at):
        meeting_date, origin = doc.committed_at.date(), "commit"
        result.warnings.append(
            f"{_where(doc)}: no date in the headings or the file name; using {fallback} "
            f"{meeting_date.isoformat()}."
        )
    else:
        result.warnings.append(
            f"{_where(doc)}: no date in the headings, the file name or {fallback_source}; skipped."
        )
        return
    # The first heading, when it is the only one as shallow, is the title, not a
    # section; one naming a section ("# Topics", "# Previously") or one of several
    # alike ("#### Andreas", "#### Adrin": a heading per person) is a section.
    title_head = None
    if headings:
        top = min(h.level for h in headings)
        first = headings[0]
        alike = sum(1 for h in headings if h.level == top)
        if first.level == top and alike == 1 and label_meaning(first.text, leading=True) is None:
            title_head = first
    title = _CHANNEL.sub("", _strip_markup(title_head.text)).strip() if title_head else ""
    title = title or (front.title if front else "")
    titled = series_name(title)
    name = series_override or titled or fallback_series(doc.path)
    series_origin: SeriesOrigin = (
        "override" if series_override else "title" if titled else "fallback"
    )
    start = title_head.index if title_head else 0
    base_level = title_head.level if title_head else 0
    warnings: list[str] = []
    if origin == "commit":
        warnings.append(result.warnings[-1])
    result.meetings.append(
        Meeting(
            id=f"{doc.source}:{doc.path}:{meeting_date.isoformat()}",
            source=doc.source,
            path=doc.path,
            series=name,
            title=title or f"{name} {meeting_date.isoformat()}",
            date=meeting_date,
            date_origin=origin,
            line=1,
            end_line=_last_line(lines, 0, len(lines)),
            commit=doc.commit,
            committed_at=doc.committed_at,
            sections=_front_attendance(front)
            + _sections(
                tokens, start, len(tokens), base_level, lines, 1, titled=title_head is not None
            ),
            warnings=warnings,
            series_origin=series_origin,
        )
    )


def _front_attendance(front: _FrontMatter | None) -> list[Section]:
    """The front matter's "attendees:" as the meeting's attendance list."""
    if front is None or not front.attendees:
        return []
    line = front.attendees_line
    return [Section(path=("Attendees",), line=line, blocks=[Paragraph(front.attendees, line)])]
