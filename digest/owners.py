"""Who an item belongs to, as written in meeting notes.

Forms understood: "[luca]", "[melissa, jason]", "[FedeDP/leogr]" at any place
(not link texts "[text](url)", not tags like "[to-do]" or "[proposal]", not
footnotes "[^1]"); "@handle" (also as a link text "[@handle](https://…)");
a trailing "(Melissa)", "(JK)" or "(in flight @luca)"; a leading speaker
"Luca:" / "SC:" / "**Luca**:". Names are normalized: "@" removed, lower-case.
"""

from __future__ import annotations

import re

from digest.status import DEFAULT_DONE, DEFAULT_DROPPED, DEFAULT_OPEN

__all__ = ["find_owners"]

# Bracket and prefix words that are tags, labels or acronyms, never people.
_NOT_PEOPLE = {
    *(w.lower() for w in DEFAULT_DONE + DEFAULT_OPEN + DEFAULT_DROPPED),
    "action",
    "ai",
    "all",
    "answer",
    "api",
    "ask",
    "breaking",
    "bug",
    "ci",
    "context",
    "decision",
    "deprecated",
    "draft",
    "edit",
    "eg",
    "everyone",
    "example",
    "experimental",
    "faq",
    "feature",
    "fix",
    "follow-up",
    "followup",
    "fyi",
    "goal",
    "idea",
    "ie",
    "important",
    "info",
    "link",
    "mc",
    "new",
    "next",
    "no",
    "note",
    "notes",
    "nb",
    "ok",
    "optional",
    "oss",
    "others",
    "outcome",
    "pr",
    "prs",
    "proposal",
    "ps",
    "question",
    "re",
    "reminder",
    "result",
    "rfc",
    "see",
    "status",
    "team",
    "tip",
    "update",
    "updates",
    "warning",
    "what",
    "when",
    "where",
    "who",
    "why",
    "how",
    "x",
    "yes",
    "k8s",
    "cncf",
    "toc",
    "lsm",
    "eta",
    "tbd",
    "wip",
    "ga",
    "lts",
    "q1",
    "q2",
    "q3",
    "q4",
}
_HANDLE = r"@?[A-Za-z][\w.-]{0,38}"
_HANDLE_ONLY = re.compile(_HANDLE)
# "[luca]", "[melissa, jason]" — not followed by "(" or "[" (links, reference links).
_BRACKETS = re.compile(r"(?<![\]!\\])\[(?P<inner>[^\[\]\n]{1,80})\](?![(\[:])")
_LINKED_MENTION = re.compile(r"\[(@[A-Za-z0-9][\w-]{0,38})\]\([^)]*\)")
_LINK = re.compile(r"!?\[[^\]]*\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_MENTION = re.compile(r"(?<![\w@/.])@(?P<handle>[A-Za-z0-9][\w-]{0,38})\b")
_TRAILING_PARENS = re.compile(r"\((?P<inner>[^()]{1,80})\)\s*[.!]?\s*$")
_SPEAKER = re.compile(
    r"^\s*(?:\*\*|__)?(?P<name>[A-Z][\w.-]{0,30})(?::(?:\*\*|__)|(?:\*\*|__)?:)\s+\S"
)
# "Melissa to provide updates", "Jacque is to add the event", "Luca will check".
_VOLUNTEER = re.compile(
    r"^\s*(?P<name>[A-Z][a-z][\w-]{0,30})\s+(?:is\s+to|to|will|volunteer(?:s|ed)?)\s+\w"
)
_SEPARATORS = re.compile(r"\s*(?:,|/|&|\+|\band\b)\s*")


def _as_people(inner: str) -> list[str] | None:
    """The names in "melissa, jason" or None when any part is not a name."""
    parts = [p.strip() for p in _SEPARATORS.split(inner.strip()) if p.strip()]
    if not parts:
        return None
    names = []
    for part in parts:
        if not _HANDLE_ONLY.fullmatch(part):
            return None
        if part.lstrip("@").lower() in _NOT_PEOPLE or part.lstrip("@").isdigit():
            return None
        names.append(part)
    return names


def _normal(name: str) -> str:
    return name.strip().lstrip("@").lower()


def find_owners(text: str) -> list[str]:
    """Owners named in `text`, normalized (no "@", lower-case), first seen first."""
    found: list[tuple[int, str]] = []
    for m in _LINKED_MENTION.finditer(text):
        found.append((m.start(), m.group(1)))
    bare = _LINK.sub(lambda m: " " * len(m.group(0)), text)  # keep offsets
    bare = _URL.sub(lambda m: " " * len(m.group(0)), bare)
    for m in _BRACKETS.finditer(bare):
        people = _as_people(m.group("inner"))
        if people and not m.group("inner").startswith("^"):
            found.extend((m.start(), p) for p in people)
    for m in _MENTION.finditer(bare):
        found.append((m.start(), m.group("handle")))
    trailing = _TRAILING_PARENS.search(bare)
    if trailing:
        people = _as_people(trailing.group("inner"))
        # "(Melissa)", "(JK)", "(@luca)" — a lower-case "(wohoo)" is a remark, not a name.
        if people and all(p[0].isupper() or p[0] == "@" for p in people):
            found.extend((trailing.start(), p) for p in people)
    volunteer = _VOLUNTEER.match(bare)
    if volunteer and volunteer.group("name").lower() not in _NOT_PEOPLE:
        found.append((volunteer.start(), volunteer.group("name")))
    speaker = _SPEAKER.match(bare)
    if speaker and speaker.group("name").lower() not in _NOT_PEOPLE:
        found.append((speaker.start(), speaker.group("name")))
    ordered = [_normal(name) for _, name in sorted(found, key=lambda f: f[0])]
    return list(dict.fromkeys(n for n in ordered if n))
