"""Who an item belongs to, as written in meeting notes.

Forms understood: "[luca]", "[melissa, jason]", "[FedeDP/leogr]" at any place
(not link texts "[text](url)", not tags like "[to-do]" or "[proposal]", not
footnotes "[^1]"); "@handle" (also as a link text "[@handle](https://…)");
a trailing "(Melissa)", "(JK)" or "(in flight @luca)"; a leading speaker
"Luca:" / "SC:" / "**Luca**:"; a leading "Melissa to …" / "Luca will …".
Names are normalized: "@" removed, lower-case.

Only "@handle" is unambiguous; every other form is also how people write tags
("[URGENT]", "[driverkit]"), places ("(London)"), labels ("Decided: …") and
sentence starts ("Try to open …", "Items to be reviewed …"). So a name found in
those forms must also look like a person (`_looks_like_person`): not a word of
the stop lists below (common words that start a note's sentence or label it,
software and event words, places, tags), not the project's own name (see
`project_names`), not shouting ("URGENT": initials are two or three letters),
not an "-ing" word ("Tracking"), not an identifier ("CVE-2021-3156").
"""

from __future__ import annotations

import re
from collections.abc import Collection

from digest.notes.status import DEFAULT_DONE, DEFAULT_DROPPED, DEFAULT_OPEN
from digest.notes.text import ZULIP_MENTION, blank_links

__all__ = ["find_owners", "project_names"]

# Bracket and prefix words that are tags, labels or acronyms, never people.
_NOT_PEOPLE = {
    *(w.lower() for w in DEFAULT_DONE + DEFAULT_OPEN + DEFAULT_DROPPED),
    # An owner's label, not its name: "Owner: Ana — write the guide".
    "owner",
    "owners",
    "assignee",
    "assignees",
    "dri",
    "action",
    "ai",
    "all",
    "agreement",
    "answer",
    "api",
    "ask",
    "breaking",
    "bug",
    "ci",
    "conclusion",
    "consensus",
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
    "resolution",
    "result",
    "rfc",
    "see",
    "status",
    "team",
    "tip",
    "update",
    "updates",
    "voted",
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
# Words that start a sentence or label a line in meeting notes ("Decided: …", "Try to
# …", "Items to be reviewed …", "We will …"), software, event and place words seen in
# brackets and parentheses ("[userspace]", "(KubeCon)", "(London)"). First names that
# are also words (Mark, Will, May, Grace, Jack) are deliberately absent.
_COMMON_WORDS_TEXT = """
    a about above after again all also an and another any anyone anything are as at
    be because been before being both but by can cannot could did do does doing each
    either even every everybody everything few for from had has have having he her
    here hers him his how i if in into is it its itself just least less let like many
    me might more most must my neither never no nobody none nor not nothing now of
    off often on once one only or other others our ours out over own perhaps please
    quite rather same several shall she should since so some someone something soon
    still such than that the their them then there these they this those though
    through thus to too under until up upon us very was we were what whatever when
    where whether which while who whom whose why with within without would yes yet
    you your
    today tomorrow yesterday later earlier next last first second third finally
    overall generally currently recently basically already again maybe probably
    accept accepted add added adding agree agreed aligned announce announced approve
    approved ask asked bring build built call called cancel change changed check
    checked close collect confirm confirmed consider continue create created cutover
    decide decided define deprecate deprecated discuss discussed discussing document
    drop enable ensure explore finish follow gather get give go going help implement
    implemented improve include included investigate keep look make mention
    mentioned merge move moved moving need needed needs noted open organize plan
    planned prepare propose proposed provide publish push reach remember remind
    remove reply request requested review reviewed run schedule scheduled see send
    set share start started stop submit support switch take talk test think track
    try update updated upgrade use vote wait want work write
    big current different early general good great happy important main new old
    possible recent same small upcoming urgent
    action actions agenda announcement announcements answer area background blocker
    blockers bug bugs comment comments concern context correction decision decisions
    default demo description design discussion discussions doc docs document
    documentation event events example feature features feedback goal goals idea
    ideas issue issues item items link links meeting meetings milestone milestones
    minutes news note notes outcome overview plan planning plans preview problem
    problems proposal proposals question questions recap recording reference
    references related release releases reminder request requests requirements
    resources result results roadmap summary survey task tasks thanks thank topic
    topics tracker tracking welcome
    solution solutions suggestion suggestions option options approach aim intent
    thought thoughts point step focus priority expectation
    api apis app apps arm arm64 build builds ci cd cli cloud cluster code config
    container containers core cve dashboard dependencies deps docker driver drivers
    driverkit ebpf engine golang helm infra infrastructure java kernel kubernetes
    libs library libraries linux macos metrics module modules performance plugin
    plugins python rule rules rust scala sdk security server shadow test tests
    testing tooling ui userspace website windows
    cncf toc incubation graduation kubecon cloudnativecon fosdem summit conference
    meetup webinar workshop online virtual remote
    london paris amsterdam barcelona berlin valencia copenhagen chicago detroit
    boston seattle austin tokyo shanghai china india japan europe ireland emea apac
    usa uk eu
    poc mvp dbg qa rc os vm
    """
_COMMON_WORDS = frozenset(_COMMON_WORDS_TEXT.split())
_SHOUTING = re.compile(r"[A-Z][A-Z0-9]{3,}")  # "URGENT", "MITRE"; initials are 2-3 letters
_IDENTIFIER = re.compile(r"[A-Za-z]+-\d[\d-]*|v?\d+(?:\.\d+)*")  # "CVE-2021-3156", "v1.2"
_ING_WORD = re.compile(r"[A-Za-z][a-z]{2,}ing")  # "Tracking", "Moving" (handles are kept)
_FILE_NAME = re.compile(
    r"[\w.-]+\.(?:md|markdown|rst|txt|adoc|py|js|ts|go|rs|java|rb|sh|ya?ml|json|toml|cfg|ini|"
    r"lock|html?|css|xml|csv)",
    re.IGNORECASE,
)
# Org name endings that are not part of the project's name: "falcosecurity" -> "falco".
_ORG_SUFFIXES = ("security", "project", "projects", "community", "foundation", "labs", "dev", "hq")


def project_names(org: str) -> frozenset[str]:
    """The project's own names from its GitHub org, never a person: {"falcosecurity", "falco"}."""
    org = org.strip().lower()
    if not org:
        return frozenset()
    names = {org}
    for suffix in _ORG_SUFFIXES:
        stem = org.removesuffix(suffix).rstrip("-_.")
        if stem != org and len(stem) >= 3:
            names.add(stem)
    return frozenset(names)


def _looks_like_person(name: str, not_people: Collection[str] = ()) -> bool:
    """Whether a word in brackets, parentheses or a speaker prefix can be a person."""
    bare = name.lstrip("@")
    low = bare.lower()
    if not bare or low in _NOT_PEOPLE or low in _COMMON_WORDS or _IDENTIFIER.fullmatch(bare):
        return False
    if _FILE_NAME.fullmatch(bare):
        return False  # "(SECURITY.md)", "[CHANGELOG.rst]"
    # The project and its components: "Falco", "falcoctl", "Falcosidekick".
    if any(low == p or (len(p) >= 4 and low.startswith(p)) for p in not_people):
        return False
    if name.startswith("@"):
        return True  # an explicit handle: "[@jk]"
    return not (_SHOUTING.fullmatch(bare) or _ING_WORD.fullmatch(bare))


# "[owner: Ana]", "(assignee: @bo, cleo)", "Owner: Ana — write the guide": the names
# a label gives, up to a closing bracket, a dash or the end of the clause.
_OWNER_LABEL = re.compile(
    r"(?:^|[\[(]|\s[-—–]\s)\s*(?:owners?|assignees?|assigned\s+to|dri)\s*:\s*"
    r"(?P<names>[^\[\]()\n;:]{1,60}?)\s*(?=$|[\])\n;]|\s[-—–]\s)",
    re.IGNORECASE,
)
_HANDLE = r"@?[A-Za-z][\w.-]{0,38}"
_HANDLE_ONLY = re.compile(_HANDLE)
# "[luca]", "[melissa, jason]" — not followed by "(" or "[" (links, reference links).
_BRACKETS = re.compile(r"(?<![\]!\\])\[(?P<inner>[^\[\]\n]{1,80})\](?![(\[:])")
_LINKED_MENTION = re.compile(r"\[(@[A-Za-z0-9][\w-]{0,38})\]\([^)]*\)")
_MENTION = re.compile(
    r"(?<![\w@/.])@ ?(?P<handle>[A-Za-z0-9][\w-]{0,38})\b(?P<initial> [A-Z](?![\w'-]))?"
)
# HackMD's "[name=Julien]" and a leading "(Thomas) topic".
_HACKMD_NAME = re.compile(r"\[name=@?(?P<name>[^\]\n]{1,60})\]")
_LEADING_PARENS = re.compile(r"^\s*\((?P<inner>[^()]{1,60})\)\s+\S")
# "RM, KG: …", "TJ/RM: …", "RM, Teddy, Jessica: …" (several names before a colon).
_SPEAKERS = re.compile(
    r"^\s*(?:\*\*|__)?(?P<names>[A-Z][\w.-]{0,30}(?:\s*(?:,|/|&|\band\b)\s*[A-Z][\w.-]{0,30})+)"
    r"(?:\*\*|__)?\s*:\s+\S"
)
_TRAILING_PARENS = re.compile(r"\((?P<inner>[^()]{1,80})\)\s*[.!]?\s*$")
# "Ana — follow up with the CDN", "Bo - book the room": a list of actions naming
# each one's owner first, with a dash.
_DASH_OWNER = re.compile(
    r"^\s*(?:\*\*|__)?(?P<name>[A-Z][\w.'-]{0,30}(?:\s[A-Z][\w.'-]{0,30})?)(?:\*\*|__)?"
    r"\s+[-–—]\s+[a-z]"
)
_SPEAKER = re.compile(
    r"^\s*(?:\*\*|__)?(?P<name>[A-Z][\w.-]{0,30})(?::(?:\*\*|__)|(?:\*\*|__)?:)\s+\S"
)
# "Melissa to provide updates", "Jacque is to add the event", "Luca will check", "Rod
# and Mikeal to try it", "TJ is going to set it up".
_VOLUNTEER_NAME = r"[A-Z][a-z][\w-]{0,30}|[A-Z]{2,3}"
_VOLUNTEER = re.compile(
    rf"^\s*(?P<names>(?:{_VOLUNTEER_NAME})(?:\s*(?:,|&|\band\b)\s*(?:{_VOLUNTEER_NAME}))*)"
    # Not the passive "SharedArrayBuffers are going to be disabled".
    r"\s+(?:(?:is|are)\s+(?:going\s+)?to|to|will|volunteer(?:s|ed)?|agreed\s+to|offered\s+to)"
    r"\s+(?!be\b)\w"
)
_SEPARATORS = re.compile(r"\s*(?:,|/|&|\+|\band\b)\s*")


# "(Ana, due Friday)", "[owner: Mirela, by 2026-04-24]": when it is due, beside who.
_DUE = re.compile(r"(?:due|by|eta|deadline|until|before)\b", re.IGNORECASE)


def _as_people(inner: str, not_people: Collection[str] = ()) -> list[str] | None:
    """The names in "melissa, jason" or None when any part is not a name (a due date
    after them is no part: "ana, due Friday")."""
    parts = [p.strip() for p in _SEPARATORS.split(inner.strip()) if p.strip()]
    if len(parts) > 1 and _DUE.match(parts[-1]):
        parts = parts[:-1]
    if not parts:
        return None
    names = []
    for part in parts:
        if not _HANDLE_ONLY.fullmatch(part):
            return None
        if not _looks_like_person(part, not_people):
            return None
        names.append(part)
    return names


def _normal(name: str) -> str:
    return name.strip().lstrip("@").lower()


def find_owners(text: str, *, not_people: Collection[str] = ()) -> list[str]:
    """Owners named in `text`, normalized (no "@", lower-case), first seen first.

    `not_people`: lower-case names that are never owners, e.g. `project_names(org)`.
    """
    found: list[tuple[int, str]] = []
    # The patterns that search the whole line are tried only where the character they
    # need is in it ("[", "@", ")"): most lines name nobody.
    bracket = "[" in text
    if bracket and "[@" in text:
        for m in _LINKED_MENTION.finditer(text):
            found.append((m.start(), m.group(1)))
    if "**" in text and "@" in text:
        for m in ZULIP_MENTION.finditer(text):
            found.append((m.start(), m.group(1)))
    bare = blank_links(text)  # offsets kept
    if bracket:
        for m in _BRACKETS.finditer(bare):
            people = _as_people(m.group("inner"), not_people)
            if people and not m.group("inner").startswith("^"):
                found.extend((m.start(), p) for p in people)
    if bracket and "[name=" in text:
        for m in _HACKMD_NAME.finditer(text):
            found.append((m.start(), m.group("name").strip()))
        bare = _HACKMD_NAME.sub(lambda m: " " * len(m.group(0)), bare)
    if "@" in bare:
        for m in _MENTION.finditer(bare):
            handle = m.group("handle")
            if m.group("initial") and handle[:1].isupper():
                handle += m.group("initial")  # "@Chris M": a display name with an initial
            if handle.lower() not in ("everyone", "all", "here", "channel", "team"):
                found.append((m.start(), handle))
    leading = _LEADING_PARENS.match(bare)
    if leading:
        people = _as_people(leading.group("inner"), not_people)
        if people and all(p[0].isupper() or p[0] == "@" for p in people):
            found.extend((leading.start(), p) for p in people)
    speakers = _SPEAKERS.match(bare)
    if speakers:
        people = _as_people(speakers.group("names"), not_people)
        if people:
            found.extend((speakers.start(), p) for p in people)
    trailing = _TRAILING_PARENS.search(bare) if ")" in bare else None
    if trailing:
        people = _as_people(trailing.group("inner"), not_people)
        # "(Melissa)", "(JK)", "(@luca)" — a lower-case "(wohoo)" is a remark, not a name.
        if people and all(p[0].isupper() or p[0] == "@" for p in people):
            found.extend((trailing.start(), p) for p in people)
    if ":" in bare:
        for m in _OWNER_LABEL.finditer(bare):
            people = _as_people(m.group("names"), not_people)
            if people:
                found.extend((m.start("names"), p) for p in people)
    volunteer = _VOLUNTEER.match(bare)
    if volunteer:
        people = _as_people(volunteer.group("names"), not_people)
        if people:
            found.extend((volunteer.start(), p) for p in people)
    speaker = _SPEAKER.match(bare)
    if speaker and _looks_like_person(speaker.group("name"), not_people):
        found.append((speaker.start(), speaker.group("name")))
    ordered = [_normal(name) for _, name in sorted(found, key=lambda f: f[0])]
    return list(dict.fromkeys(n for n in ordered if n))


def dash_owner(text: str, *, not_people: Collection[str] = ()) -> str | None:
    """The owner an action list names before a dash ("Ana — follow up with the
    CDN"), normalized, or None. Only for lists of actions: elsewhere "Governance -
    update the charter" names a subject the same way."""
    m = _DASH_OWNER.match(text)
    if m is None or not _looks_like_person(m.group("name"), not_people):
        return None
    return _normal(m.group("name")) or None
