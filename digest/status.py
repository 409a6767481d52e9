"""Status words in a note's text: open / done / dropped, and the raw phrase.

People write status in many ways ("-> in flight", "done (wohoo)", "Done in 0.38",
"[to-do]", "postponed to 0.40"). To avoid false positives ("what can be done
about X", "the pending PR"), a status is looked for where people put it: after
"->", in trailing parentheses or brackets, after " - ", at the end of the text,
or as the whole of a short text (a table cell, a "- done" child).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from digest.config import TrackingConfig
from digest.model import Status

__all__ = ["DEFAULT_DONE", "DEFAULT_DROPPED", "DEFAULT_OPEN", "find_status", "status_words"]

# Built-in defaults; [tracking] done_words / open_words / dropped_words add to them.
DEFAULT_DONE = [
    "done",
    "completed",
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
_END_ONLY = {"open", "late", "started", "assigned", "planned", "closed", "fixed", "stable"}
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
    r"\b(?:tentatively|tenatively|almost|nearly|mostly|partially|partly|maybe|hopefully|"
    r"not yet|soon)\b",
    re.I,
)
_MAX_SHORT_WORDS = 6


def status_words(tracking: TrackingConfig | None = None) -> list[tuple[str, Status]]:
    """All phrases with their status, longest first (so "not done" beats "done")."""
    extra_done = tracking.done_words if tracking else []
    extra_open = tracking.open_words if tracking else []
    extra_dropped = tracking.dropped_words if tracking else []
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
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"[*_~]+", "", text)
    return text


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    body = re.escape(phrase).replace(r"\ ", r"[\s-]+")
    start = r"(?<![\w'-])" if phrase[0].isalnum() else ""
    end = r"(?![\w'-])" if phrase[-1].isalnum() else ""
    return re.compile(start + body + end, re.I)


_PATTERN_CACHE: dict[str, re.Pattern[str]] = {}


def _pattern(phrase: str) -> re.Pattern[str]:
    if phrase not in _PATTERN_CACHE:
        _PATTERN_CACHE[phrase] = _phrase_pattern(phrase)
    return _PATTERN_CACHE[phrase]


def _zones(text: str) -> Iterable[tuple[int, int]]:
    """Spans of `text` where a status is written, most telling first."""
    arrows = list(re.finditer(r"->|→|=>", text))
    if arrows:
        yield arrows[-1].end(), len(text)
    for m in reversed(list(re.finditer(r"\(([^()]*)\)", text))):
        yield m.start(1), m.end(1)
    for m in re.finditer(r"\[([^\[\]]*)\]", text):
        yield m.start(1), m.end(1)
    dashes = list(re.finditer(r"\s(?:-|--|–|—)\s", text))
    if dashes:
        yield dashes[-1].end(), len(text)
    if len(text.split()) <= _MAX_SHORT_WORDS:
        yield 0, len(text)
    # The end of the sentence, before trailing "(remarks)" and "[owners]":
    # "… overrides in flight / assigned", "ia32 support done".
    tail = re.search(r"(?:\s*(?:\([^()]*\)|\[[^\[\]]*\]))+\s*[.!]?\s*$", text)
    end = tail.start() if tail else len(text)
    words = list(re.finditer(r"\S+", text[:end]))
    if words:
        yield words[-min(4, len(words))].start(), end


def _search(
    text: str, span: tuple[int, int], words: list[tuple[str, Status]]
) -> tuple[Status, str] | None:
    lo, hi = span
    zone = text[lo:hi]
    best: tuple[int, int, Status, str] | None = None  # (start, -length, status, phrase)
    for phrase, status in words:
        for m in _pattern(phrase).finditer(zone):
            after = zone[m.end() :]
            if phrase in _END_ONLY and after.strip(" .!:;,"):
                continue
            if status == "done" and re.match(r"\s*:", after):
                continue  # "Done: …" heads a list, it is no status of its own
            if _NOT_A_STATUS_BEFORE.search(text[: lo + m.start()]):
                continue
            candidate = (m.start(), -(m.end() - m.start()), status, m.group(0))
            if best is None or candidate[:2] < best[:2]:
                best = candidate
            break
    if best is None:
        return None
    start, _, status, phrase = best
    questioned = zone[start + len(phrase) :].startswith("?")
    if phrase.lower().split()[0] in _EXTENDABLE:
        # Keep the words that say when: "Done in 0.38", "ETA end of November 2023".
        rest = re.split(r"[,;()\[\]]|\s(?:-|--|–|—)\s|->", zone[start:], maxsplit=1)[0]
        extended = " ".join(rest.split()[:6]).rstrip(".:!?")
        if extended.lower().startswith(phrase.lower()):
            phrase = extended
    if status == "done" and (questioned or _TENTATIVE.search(zone)):
        status = "open"  # "stable tentatively for 0.40", "merged?"
    return status, phrase.strip()


def find_status(text: str, tracking: TrackingConfig | None = None) -> tuple[Status, str] | None:
    """(status, raw phrase) written in `text`, or None when it states none."""
    plain = _plain(text).strip()
    if not plain:
        return None
    words = status_words(tracking)
    for span in _zones(plain):
        found = _search(plain, span, words)
        if found:
            return found
    return None
