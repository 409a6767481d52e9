"""Which meetings form one series, whatever their titles say (pure).

The parser names a meeting's series from its title ("Core Sync"); real notes vary
that title over the years. `resolve_series` groups the meetings a reader would
call one series:

1. a note with no title takes the series most of its titled siblings have (same
   source, same file shape once digits and month names are gone:
   `release-0.29.0.md` ~ `release-0.37.0.md`, `2017-08/august-17.md` ~ `2019-03/mar-07.md`);
2. titles with the same key are one series: generic words (meeting, notes, agenda,
   sync, call, weekly…) and a spelled-out acronym ("Technical Steering Committee
   (TSC)" is "tsc") do not count;
3. a renamed series continues: a later title whose key contains or is contained in
   an earlier one's ("Node Foundation TSC" -> "Node.js Foundation TSC"), or that
   shares most of its words and starts after the earlier one's last meeting
   ("… Foundation TSC" -> "… TSC").

A series is named by its newest title. Everything is computed from the meetings
passed in: give it only the meetings up to a period and later notes never change
that period's series.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from digest.notes.parse import file_shape

__all__ = ["SeriesMeeting", "SeriesResolution", "resolve_series", "series_key"]

# Words that say what kind of gathering, or how often, not which one.
_GENERIC_TEXT = """
    meeting meetings notes note minutes agenda agendas sync syncs call calls session
    weekly biweekly bi fortnightly monthly quarterly daily annual yearly semi
    the a an of for and with to on in at
    """
_GENERIC = frozenset(_GENERIC_TEXT.split())
_GROUP_ACRONYMS = (
    (("technical", "steering", "committee"), "tsc"),
    (("technical", "oversight", "committee"), "toc"),
    (("special", "interest", "group"), "sig"),
    (("working", "group"), "wg"),
)
_WORD = re.compile(r"[^\W_]+")
# Keys that share fewer words than this are never one series: one shared word is the
# project's own name more often than not ("Falco Community Call", "Falco Core").
MIN_SHARED = 2


@dataclass(frozen=True)
class SeriesMeeting:
    """What the resolver needs to know of a meeting."""

    id: str
    source: str
    path: str
    series: str  # as the parser named it
    origin: str  # "title", "override" or "fallback" (see model.SeriesOrigin)
    date: date


def _fold(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=4096)  # one series name, thousands of meetings
def series_key(name: str) -> frozenset[str]:
    """The words that identify a series name (see the module docstring)."""
    words = [w.lower() for w in _WORD.findall(name)]
    # "Tidepool working group" is the "Tidepool WG": kinds of groups every project
    # writes either way.
    for spelled, acronym in _GROUP_ACRONYMS:
        n = len(spelled)
        for i in range(len(words) - n, -1, -1):
            if tuple(words[i : i + n]) == spelled:
                words[i : i + n] = [acronym]
    # "Technical Steering Committee (TSC)": the acronym stands for the words before it.
    for i, word in enumerate(words):
        n = len(word)
        if 2 <= n <= 6 and i >= n:
            run = words[i - n : i]
            if "".join(w[0] for w in run) == word:
                words[i - n : i] = [""] * n
    return frozenset(_fold(w) for w in words if w and w not in _GENERIC and not w.isdigit())


def _related(a: frozenset[str], b: frozenset[str]) -> tuple[bool, bool]:
    """(same words one way: a spelling variant, mostly the same words: a rename)."""
    shared = len(a & b)
    if shared < MIN_SHARED:
        return False, False
    small = min(len(a), len(b))
    variant = shared == small
    renamed = shared * 2 >= len(a | b)
    return variant, renamed or variant


@dataclass
class _Name:
    """One series name as written, and where and when it was used."""

    name: str
    key: frozenset[str]
    sources: set[str] = field(default_factory=set)
    first: date = date.max
    last: date = date.min


@dataclass
class _Chain:
    names: list[_Name] = field(default_factory=list)

    @property
    def last(self) -> date:
        return max(n.last for n in self.names)

    @property
    def sources(self) -> set[str]:
        return {s for n in self.names for s in n.sources}


@dataclass
class SeriesResolution:
    """meeting id -> series name, and each series name's other names (aliases)."""

    by_meeting: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, set[str]] = field(default_factory=dict)  # name -> raw names in it

    def of(self, meeting_id: str, default: str) -> str:
        return self.by_meeting.get(meeting_id, default)

    def names(self) -> list[str]:
        return sorted(self.aliases)

    def matching(self, wanted: str) -> list[str]:
        """Series whose name or any earlier name contains `wanted` (case-insensitive)."""
        low = wanted.lower()
        return [
            name
            for name in self.names()
            if low in name.lower() or any(low in alias.lower() for alias in self.aliases[name])
        ]


def _titled_by_shape(meetings: Sequence[SeriesMeeting]) -> dict[tuple[str, str], Counter[str]]:
    shapes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for m in meetings:
        if m.origin != "fallback":
            shapes[(m.source, file_shape(m.path))][m.series] += 1
    return shapes


def resolve_series(meetings: Iterable[SeriesMeeting]) -> SeriesResolution:
    """Group meetings into series (module docstring); deterministic."""
    ordered = sorted(meetings, key=lambda m: (m.date, m.id))
    # Only a meeting whose note gave no name looks at its titled neighbours.
    shapes = _titled_by_shape(ordered) if any(m.origin == "fallback" for m in ordered) else {}
    raw: dict[str, str] = {}  # meeting id -> its series before grouping
    names: dict[str, _Name] = {}
    overrides = {m.series for m in ordered if m.origin == "override"}
    for m in ordered:
        name = m.series
        if m.origin == "fallback":
            titled = shapes.get((m.source, file_shape(m.path)))
            if titled:
                name = min(titled, key=lambda s: (-titled[s], s))
        raw[m.id] = name
        entry = names.setdefault(name, _Name(name, series_key(name)))
        entry.sources.add(m.source)
        entry.first = min(entry.first, m.date)
        entry.last = max(entry.last, m.date)

    chains: list[_Chain] = []
    chain_of: dict[str, int] = {}
    for entry in sorted(names.values(), key=lambda n: (n.first, n.name)):
        index = None if entry.name in overrides else _find_chain(chains, entry, overrides)
        if index is None:
            chains.append(_Chain())
            index = len(chains) - 1
        chains[index].names.append(entry)
        chain_of[entry.name] = index

    # A chain is named after its newest meeting's name (the latest date, then the
    # greatest name); each name belongs to one chain, so each final name to one.
    newest: dict[int, tuple[date, str]] = {}
    for m in ordered:
        index = chain_of[raw[m.id]]
        newest[index] = max(newest.get(index, (date.min, "")), (m.date, raw[m.id]))
    result = SeriesResolution()
    for m in ordered:
        index = chain_of[raw[m.id]]
        final = newest[index][1]
        result.by_meeting[m.id] = final
        if final not in result.aliases:
            result.aliases[final] = {n.name for n in chains[index].names}
    return result


def _find_chain(chains: Sequence[_Chain], entry: _Name, overrides: set[str]) -> int | None:
    """The series a name continues, or None: a new series."""
    if not entry.key:
        return None
    best: tuple[int, date, int] | None = None
    for index, chain in enumerate(chains):
        if not (entry.sources & chain.sources) or any(n.name in overrides for n in chain.names):
            continue
        for other in chain.names:
            if other.key == entry.key:
                return index
            variant, renamed = _related(entry.key, other.key)
            # A rename continues a series that stopped before it started; a spelling
            # variant may alternate with the other spelling.
            if variant or (renamed and chain.last < entry.first):
                candidate = (len(entry.key & other.key), chain.last, index)
                if best is None or candidate > best:
                    best = candidate
    return best[2] if best else None
