"""How one series writes its notes, learnt from its own history (pure).

Teams differ in habits no single line shows:

- what a ticked box means: most teams tick an action when it is done (ticked in a
  later meeting, then often left on the list for weeks); some tick an agenda entry
  when it was discussed (ticked in the very meeting it first appears in); some
  never tick a box at all (the box only marks a task);
- which lines are template text: the same words in most meetings of the series,
  with no owner, issue or sub-bullets ("Review last week's action items"), or a
  chore ticked every time it is listed ("[x] The facilitator adds the notes");
- where owners are written and which sections hold the actions (`digest doctor`
  prints both).

`infer_conventions` reads only the items it is given: give it a series' items up
to the end of a period and later notes never change that period's reading. A
config setting ([tracking] boxes, per series too) overrides the inferred box meaning.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from digest.model import Item, Thread
from digest.notes.text import MD_LINK, plain_text

__all__ = [
    "BoxMeaning",
    "SeriesConventions",
    "ignored",
    "infer_box_meaning",
    "infer_conventions",
    "read_as",
    "recurring_texts",
]

BoxMeaning = Literal["done", "discussed", "none"]

# A template line repeats in this share of the series' meetings since it first
# appeared, over at least this many meetings.
RECURRING_SHARE = 0.6
RECURRING_MIN_MEETINGS = 6
# A chore: ticked the first time it is listed and every time after, this often.
CHORE_MIN_MEETINGS = 3
# "discussed": nearly every ticked box was ticked in the meeting it first appeared in.
DISCUSSED_SHARE = 0.8
DISCUSSED_MIN_THREADS = 5


# Who is named on a line changes while the line stays the same chore: "… AL", "… @jessica".
_NAMES = re.compile(
    r"@ ?[\w.-]+(?: [A-Z]\b)?|\[[^\]]*\](?!\()|^\s*(?:[A-Z]{1,4}(?:\s*[,/&]\s*[A-Z]{1,4})*)\s*:"
    r"|\s[A-Z]{2,3}\s*$"
)


def _norm(text: str) -> str:
    """A line's words for comparing repeats: links as their text, no markup, no names."""
    text = _NAMES.sub(" ", MD_LINK.sub(r"\1", text))
    return " ".join(plain_text(text).lower().split()).strip(" .,;:-")


@dataclass(frozen=True)
class SeriesConventions:
    series: str
    boxes: BoxMeaning = "done"
    boxes_why: str = ""
    recurring: frozenset[str] = frozenset()  # normalized texts that are template lines
    owner_forms: tuple[tuple[str, int], ...] = ()  # (how owners are written, lines)
    action_sections: tuple[tuple[str, int], ...] = ()  # (heading, action lines)
    meetings: int = 0


def recurring_texts(items: Sequence[Item]) -> frozenset[str]:
    """Template lines of one series: texts repeated unchanged in most of its meetings.

    A carried action repeats too, so repetition alone is not enough: a template line
    names no owner and no issue and never has sub-bullets; a chore (ticked at its
    first listing and every time after) is one whatever it says.
    """
    meetings = sorted({(i.meeting_date, i.meeting_id) for i in items})
    order = {m: n for n, (_, m) in enumerate(meetings)}
    seen: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        if item.followed:
            seen[_norm(item.text)].append(item)
    found: set[str] = set()
    for text, mentions in seen.items():
        if not text:
            continue
        where = {order[i.meeting_id] for i in mentions}
        since = len(meetings) - min(where)
        boxes = [i.checked for i in mentions]
        chore = len(where) >= CHORE_MIN_MEETINGS and all(b is True for b in boxes)
        template = (
            len(where) >= RECURRING_MIN_MEETINGS
            and len(where) >= RECURRING_SHARE * since
            and not any(i.owners or i.refs or i.children for i in mentions)
        )
        if chore or template:
            found.add(text)
    return frozenset(found)


def read_as(items: Sequence[Item], conventions: SeriesConventions) -> list[Item]:
    """A thread's items as its series means them: template lines and chores are not
    followed (dropped), and a tick that only means "discussed" is no status."""
    out: list[Item] = []
    for item in items:
        if item.followed and _norm(item.text) in conventions.recurring:
            continue
        if (
            conventions.boxes == "discussed"
            and item.checked is True
            and item.status_phrase == "[x]"
        ):
            item = replace(item, status="unknown", status_phrase=None)
        out.append(item)
    return out


def infer_box_meaning(threads: Sequence[Thread]) -> tuple[BoxMeaning, str]:
    """What a ticked box means in these threads of one series, and the evidence."""
    ticked_first = ticked_later = never = 0
    for thread in threads:
        boxes = [i.checked for i in thread.items if i.checked is not None]
        if not boxes:
            continue
        if boxes[0] is True:
            ticked_first += 1
        elif True in boxes:
            ticked_later += 1
        else:
            never += 1
    ticked = ticked_first + ticked_later
    if ticked == 0:
        if never:
            return "none", f"no box of {never} was ever ticked: a box only marks a task"
        return "done", "no task boxes yet"
    if (
        ticked_first >= DISCUSSED_MIN_THREADS
        and ticked_first >= DISCUSSED_SHARE * ticked
        and never <= ticked_first
    ):
        return "discussed", (
            f"{ticked_first} of {ticked} ticked boxes were ticked in the meeting they first "
            "appeared in: a tick means discussed"
        )
    return "done", (
        f"{ticked_later} of {ticked} ticked boxes were ticked in a later meeting than the "
        "one they first appeared in: a tick means done"
    )


_OWNER_FORM_TABLE = (
    ("[name=…] before the text", r"^\s*\[name="),
    ("[handle] before the text", r"^\s*\[@?[\w.-]+(?:\s*[,/&+]\s*@?[\w.-]+)*\](?!\()"),
    ("@handle", r"(?<![\w@/.])@\s?[\w-]"),
    (
        "initials or a name and a colon (‘JW: …’)",
        r"^\s*(?:[A-Z]{2,4}|[A-Z][a-z]+)(?:/[A-Z]{2,4})*:",
    ),
    ("(Name) before or after the text", r"^\s*\([A-Z][\w .]{0,30}\)|\([A-Z][\w .]{0,30}\)\s*$"),
    ("‘Name to …’", r"^\s*[A-Z][a-z]+\s+(?:to|will)\s+[a-z]"),
)
_OWNER_FORMS = tuple((name, re.compile(rx)) for name, rx in _OWNER_FORM_TABLE)


def ignored(item: Item, patterns: Sequence[str]) -> bool:
    """Whether [tracking] ignore drops this item: one of the regular expressions
    (case-insensitive) is found in its text."""
    return any(re.search(p, item.text, re.IGNORECASE) for p in patterns)


def infer_conventions(
    by_series: Mapping[str, Sequence[Item]],
    threads: Mapping[str, Sequence[Thread]] | None = None,
    *,
    boxes: Mapping[str, str] | None = None,
) -> dict[str, SeriesConventions]:
    """The conventions of each series, from its items (and its threads for the boxes);
    `boxes`: the config's word for what a tick means, by series, when not "auto"."""
    out: dict[str, SeriesConventions] = {}
    for series, items in by_series.items():
        owners: Counter[str] = Counter()
        sections: Counter[str] = Counter()
        for item in items:
            if not item.followed:
                continue
            if item.owners:
                form = next((name for name, rx in _OWNER_FORMS if rx.search(item.text)), None)
                if form:
                    owners[form] += 1
            if item.kind == "action" and item.form == "person":
                sections["stand-up entries (Done / Next / Blocked)"] += 1
            elif item.kind == "action" and item.section:
                sections[item.section[0]] += 1
        meaning, why = infer_box_meaning((threads or {}).get(series, ()))
        setting = (boxes or {}).get(series, "auto")
        if setting != "auto":
            meaning, why = setting, "set in the config ([tracking] boxes)"  # type: ignore[assignment]
        out[series] = SeriesConventions(
            series=series,
            boxes=meaning,
            boxes_why=why,
            recurring=recurring_texts(items),
            owner_forms=tuple(owners.most_common(3)),
            action_sections=tuple(sections.most_common(3)),
            meetings=len({i.meeting_id for i in items}),
        )
    return out
