"""Pipeline stage 3: the lines of one meeting, each with its kind (pure).

Every top-level list item, task box and table row of a section becomes an Item:
its own text, owners, references, status and source lines, its form (how it is
written) and its kind (digest.kinds: action, topic, decision, discussion,
attendance, boilerplate, placeholder) with the reason. Its sub-bullets are its
context (they may carry its outcome: "-> merged", "done"), never items of their
own, except where they are work of their own, all seen in real notes:

- a grouping bullet ("Some items to check in from last time:", "(Julien)" over a
  list of PRs) gives its children as the items;
- "ACTION:" / "AI:" / "TODO:" lines, at any depth, are actions;
- a person with "Done: …", "Blocked: …", "Next: …" children gives stand-up actions;
- a heading that names an issue ("### Add the cache [#12](…)") is a topic whose
  bullets are its minutes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from digest.config.schema import TrackingConfig
from digest.model import (
    Item,
    ItemForm,
    ListNode,
    Meeting,
    Paragraph,
    Section,
    SectionMeaning,
    Status,
    TableRow,
)
from digest.notes.kinds import (
    ACTION_LABEL,
    Kind,
    classify_line,
    decided_in_sentence,
    is_speaker_line,
    labelled_decision,
    labelled_next_step,
    owner_to_verb,
    plain,
    says_not_held,
    stated_decision,
    voted_motion,
)
from digest.notes.owners import dash_owner, find_owners, project_names
from digest.notes.refs import canonical_refs, plain_links, proposal_refs
from digest.notes.sections import (
    READING_VERSION,
    heading_meaning,
    label_meaning,
    legacy_names,
    reading_settings,
    section_meaning,
)
from digest.notes.status import ANSWERS, find_outcome, find_status, reported_done
from digest.notes.text import plain_text, without_time_box

__all__ = [
    "READING_VERSION",
    "extract_items",
    "reading_settings",
    "repo_of_heading",
    "section_names",
]


def _action_owner_text(text: str) -> str:
    """The text to read an action's owners from: without its "ACTION:" label, but with
    the owner the label names ("AI(@femi): file an issue" -> "@femi: file an issue"),
    and not struck through ("~~Lena: update the doc~~" is still Lena's)."""
    if "~~" in text:
        text = text.replace("~~", "")
    m = ACTION_LABEL.match(text)
    if m is None:
        return text
    who = m.group("who") or m.group("who_b")
    rest = text[m.end() :]
    if not who:
        return rest
    name = who.strip()
    return f"{name if name.startswith('@') else '@' + name.replace(' ', '')}: {rest}"


# A stand-up's labels, on one person's lines: what got done, what comes, what is stuck.
_PERSON_LABEL = re.compile(
    r"^\s*(?:\*\*|__)?(?P<label>done|did|completed|yesterday|last week|blocked|blockers?|"
    r"impediments?|next|up next|doing|in progress|today|tomorrow|this week|plans?)"
    r"\s*(?::\s*(?:\*\*|__)?|(?:\*\*|__)\s*:)\s*",
    re.I,
)
# An entry under a done label that says it is not: "still trying to …", "almost …".
_UNFINISHED = re.compile(
    r"(?:^\W*|[,;:]\s+|\s[-–—]\s+)((?:still|not yet|not done|almost|nearly|partly|partially|"
    r"half|started|began|continued|kept)\b(?:\s+\w+)?)",
    re.I,
)
_DONE_LABELS = frozenset({"done", "did", "completed", "yesterday", "last week"})


def _person_meaning(label: str) -> SectionMeaning:
    """done, blocked or next: what a stand-up label says its entries are."""
    label = label.lower()
    if label in _DONE_LABELS:
        return "done"
    return "blocked" if label.startswith(("block", "imped")) else "next"


# Words that name a list of things: "Main projects for 0.41", "Falco 0.38 priorities".
_GROUP_WORDS = {
    "items",
    "topics",
    "projects",
    "priorities",
    "updates",
    "goals",
    "proposals",
    "tasks",
    "follow-ups",
    "check-ins",
    "todos",
    "actions",
    "steps",
    "notes",
}
_LINK_OR_URL = re.compile(r"\]\(|https?://")
_OWNER_PREFIX = re.compile(r"^\s*(?:\[[^\[\]()]{1,80}\]\s*)+(?!\()")
_STATUS_BOX = {True: "[x]", False: "[ ]"}
_MAX_STATUS_CHILD_WORDS = 6
# Words that say nothing next to a status: "- PR merged", "- it is done now".
_STATUS_FILLER = frozenset(
    {"pr", "prs", "it", "is", "was", "are", "now", "already", "all", "the", "this", "that", "here"}
    | {"has", "have", "been", "got", "issue", "finally", "just"}
)
_ROW_OWNER_HEADERS = {"owner", "owners", "assignee", "assignees", "who", "lead", "leads", "dri"}
# Who brings an agenda row: its owner, but the row stays a topic (not an action).
_ROW_PRESENTER_HEADERS = {"presenter", "presenters", "speaker", "driver", "champion"} | {
    "proposed by",
    "raised by",
    "requested by",
}
_ROW_NOTE_HEADERS = {"notes", "note", "comment", "comments", "details", "links", "link", "eta"} | {
    "due",
    "deadline",
    "date",
    "when",
    "target",
    "by",
    "updated",
    "next step",
    "next steps",
}
_ROW_STATUS_HEADERS = {"status", "state", "progress"}
# A column numbering the rows ("#", "No.", "ID"): "2", "A-12", "D1)" there is a label,
# not what the row says; renumbered from one meeting to the next, it is no key either.
_ROW_ID_HEADERS = {"#", "no", "no.", "nr", "nr.", "n°", "№", "id", "num", "number"}
# When in the meeting a row's topic comes ("10:05", "15 min"): no part of its title.
_ROW_TIME_HEADERS = {"time", "slot", "duration", "timebox", "time box", "time slot", "start"}
# The column naming an agenda's topics: beside it, "Who" or "Owner" is who brings one.
_ROW_TOPIC_HEADERS = {"topic", "topics", "item", "items", "subject", "agenda item", "title"}
_ROW_ID = re.compile(r"[A-Za-z]{0,3}[-_]?\d{1,4}[.)]?")

_PARENS = re.compile(r"\([^()]*\)")
_NOT_HEADING_CHAR = re.compile(r"[^\w\s/&+'-]")
_HEADING_PARTS = re.compile(r"\s*(?:/|&|\+|\band\b)\s*")
_WORD = re.compile(r"[^\W_][\w'.-]*")
_BOLD_MARKS = re.compile(r"(\*\*|__)")
_ALL_BOLD = re.compile(r"(\*\*|__)[^*_]+\1:?")
_PERSON_NAME = re.compile(r"[A-Z][\w.-]*(?: [A-Z][\w.-]*)?")
_REF = re.compile(r"[\w./-]*#\d+")
_HANDLES_AND_BRACKETS = re.compile(r"@[\w-]+|\[[^\]]*\]")
_HEADING_MARKUP = re.compile(r"[\[\]*_]")
_OWNER_SEPARATORS = re.compile(r"[,/&]")
# An owner cell that names nobody in particular: the row has no owner.
_NO_OWNER = frozenset(
    {"all", "everyone", "everybody", "team", "the team", "anyone", "someone", "somebody"}
    | {"tbd", "tba", "n/a", "na", "none", "nobody", "unassigned", "volunteer", "volunteers"}
)

_LINKS_AND_URLS = re.compile(r"!?\[[^\]]*\]\([^)]*\)|https?://\S+")
_MENTIONED = re.compile(r"(?<![\w@/.])@[A-Za-z0-9][\w-]{0,38}")
_REPO_HEADING = re.compile(r"^\s*(?P<repo>[A-Za-z0-9][\w.-]*/[\w.-]+)\s*$")
# A bare number ending an agenda title under a repository heading: "Fix the cache - 52370",
# "Update meeting times? 1528" (three digits or more: "V8 10.1" is no issue).
_TRAILING_NUMBER = re.compile(r"(?:\s[-–—]\s*|\?\s+|\s)#?(?P<num>\d{3,})\s*$")
_BARE_NUMBER = re.compile(r"(?<![\w#/.-])#(?P<num>\d+)\b")


def section_names(tracking: TrackingConfig, series: str) -> dict[str, list[str]]:
    """Heading names the config adds, by meaning, for a series: [tracking.sections],
    the series' own [[tracking.series]] sections, and the older sections_* keys."""
    names = legacy_names(tracking)
    settings = tracking.for_series(series)
    for extra in (tracking.sections, settings.sections if settings else None):
        if extra is None:
            continue
        for meaning, more in extra.by_meaning().items():
            names[meaning] = [*names.get(meaning, []), *more]
    return names


def repo_of_heading(path: Sequence[str]) -> str:
    """The repository a heading path names ("nodejs/node"), innermost first; else ""."""
    for heading in reversed(path):
        m = _REPO_HEADING.match(heading)
        if m:
            return m.group("repo").lower()
    return ""


def _words(text: str) -> list[str]:
    return _WORD.findall(plain_text(text, urls=False))


def _label(text: str) -> str:
    """Text without a leading owner bracket and emphasis: "[jason] **Topics:**" -> "Topics:"."""
    text = _OWNER_PREFIX.sub("", text)
    text = re.sub(r"^\s*\((?:@?[A-Z][\w .,/&-]{0,40})\)\s*", "", text)  # "(Julien) …"
    return _BOLD_MARKS.sub("", text).strip()


def _has_own_reference(node: ListNode) -> bool:
    return bool(_LINK_OR_URL.search(node.text) or _REF.search(node.text))


def _titled_work(node: ListNode) -> bool:
    """A piece of work with its own link: "Fix the cache [#12](…)", "#12 mount race".
    Not references under a label ("Issues opened: #12, #13"): news of the subject above."""
    if not _has_own_reference(node) or len(_words(node.text)) < 3:
        return False
    return _REFS_UNDER_LABEL.match(plain_text(node.text, urls=False)) is None


_REFS_UNDER_LABEL = re.compile(r"^[^:#]{1,40}:\s*(?:[\w./-]*#\d+(?:\s*(?:[,;&]|and)\s*|\s*$)){2,}$")
_HEADER_END = re.compile(r":\W*$")


def _is_group(ctx: _Context, node: ListNode) -> bool:
    """A bullet that only heads a list of items (its children are the items).

    In real notes such a header names a list ("Some items to check in from last
    time (see notes from 2023-10-05):", "Main projects for 0.41", "Notes:"), is
    all bold ("**Proposed roadmap items**"), names only who brings the items
    ("(Julien)", "[name=Julien]"), or heads several pieces of work each with its
    own link ("Some PRs waiting for reviewers:"). A bullet stating something, with
    a link or a question ("Status on memleaks … what else can we do? https://…"),
    or a subject with its outcome below ("Security report on the CI:" over
    "- fixed") is a topic whose children are its discussion.
    """
    if not node.children or ACTION_LABEL.match(node.text):
        return False
    label = _label(node.text)
    if not label or not _words(label):
        return True
    children = node.children
    # Children that are work of their own: a titled link each ("Fix the cache [#12](…)"),
    # a task box, not a bare link (that is the parent's reference).
    own = [_titled_work(c) for c in children]
    titled = sum(own)
    linked = sum(1 for c, o in zip(children, own, strict=True) if o or c.checked is not None)
    if (
        linked >= 2
        and linked * 2 >= len(children)
        # A subject over one link, one task and a remark ("Dark theme review (Ana)")
        # is a topic with its discussion: pieces of work are each linked, or all the
        # children are work, or the bullet reads as a list's header ("…:").
        and (titled >= 2 or linked == len(children) or _HEADER_END.search(label))
        and not _LINK_OR_URL.search(label)
        and "?" not in label
    ):
        return True  # "IMO, some valuable PRs … waiting for reviewers:" over PR links
    if _LINK_OR_URL.search(label) or "?" in label:
        return False
    if _names_a_list(label) and (len(children) >= 2 or len(_words(label)) <= 3):
        # "Scorecard v5 roadmap (Carla)" over what was said of it and an action: a
        # subject someone brought, with its minutes; not a list of work they bring
        # ("Community initiatives (Jo & Li)" over "Go over the best practices", …).
        return not (
            _presenter(ctx, label)
            and label_meaning(label, leading=True) is None
            and _minutes_like(ctx, children)
        )
    bare = _OWNER_PREFIX.sub("", node.text).strip()
    if _ALL_BOLD.fullmatch(bare):
        return True
    if any(_is_person_list(c) for c in node.children):
        return True  # "Updates" over "[chen]" over "Done: …"
    if label.rstrip().endswith(":") and len(children) >= 2:
        # "Items we discussed:" over several statements; not "Subject:" over its outcome.
        return all(len(_words(c.text)) >= 3 and not is_speaker_line(c.text) for c in children)
    return False


def _names_a_list(label: str) -> bool:
    """Whether a bullet's label says it heads a list: "Action items:", "Notes",
    "Main projects for 0.41", "Some items to check in from last time"."""
    words = [w.lower().strip(".:") for w in _words(label)]
    if not words:
        return False
    if label_meaning(label) is not None:
        return True
    # The list's word ends the label or its noun phrase ("Falco 0.38 priorities",
    # "Main projects for 0.41"); followed by a noun it qualifies it ("Release notes
    # tooling", "Updates page redesign").
    return len(words) <= 6 and any(
        w in _GROUP_WORDS and (i == len(words) - 1 or words[i + 1] in _AFTER_A_LIST)
        for i, w in enumerate(words)
    )


_AFTER_A_LIST_TEXT = """for from to of on in at about since this last before after by with and
    or forward"""
_AFTER_A_LIST = frozenset(_AFTER_A_LIST_TEXT.split())


def _attendance_words(meeting: Meeting, extra: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """The words of the meeting's attendance lists ("Ana Lima (Acme)", "@bo"): who a
    bullet that is only a name can be."""
    words: set[str] = set()
    for section in meeting.sections:
        listed = section_meaning(section.path, extra) == "attendance"
        for block in section.blocks:
            text = block.text if isinstance(block, (ListNode, Paragraph)) else ""
            if listed:
                words.update(w.lower() for w in _words(text))
            elif ":" in text:
                # "Present: Ana, Bo" or "**Attendees:** ana, bo" on a line of its own.
                for line in text.splitlines():
                    label = _LABELLED_LINE.match(line)
                    if label and label_meaning(label.group(1), leading=True) == "attendance":
                        words.update(w.lower() for w in _words(line[label.end() :]))
    return frozenset(words)


_LABELLED_LINE = re.compile(r"^\W*([A-Za-z][\w ]{0,30}?)\W*:\W*(?=\w)")
_NICK_TO_VERB = re.compile(r"^\s*+([a-z][\w.-]{1,30}+)\s+(?:to|will)\s+[a-z]")
# "kestrel: draft the policy" in a list of actions or a task box.
_NICK_LABEL = re.compile(r"^\s*+([a-z][\w.-]{1,30}+):\s+\S")
_WORK_LISTS: frozenset[SectionMeaning] = frozenset({"actions", "next", "blocked", "done"})


def _reporter(ctx: _Context, node: ListNode) -> str:
    """ "- Michael" over "- survey closes this week": a bullet that is only the name of
    someone on the meeting's attendance list, over sub-bullets, is their report. The
    name, or "" when the bullet is no such thing."""
    if not node.children or not ctx.present or ctx.meaning in ("attendance", "boilerplate"):
        return ""
    name = plain_text(_label(node.text)).rstrip(":").strip()
    words = name.lstrip("@").split()
    # Lower case too under a list of actions: "Action items, by person" over
    # "- kestrel", as chat-meeting bots write a nick.
    listed = ctx.meaning in _WORK_LISTS and len(words) == 1
    person = (
        1 <= len(words) <= 3
        and (name[:1].isupper() or name.startswith("@") or listed)
        and all(w.lower() in ctx.present for w in words)
        and not ctx.refs(node.text)
    )
    return name if person else ""


def _is_person_list(node: ListNode) -> bool:
    labelled = [c for c in node.children if _PERSON_LABEL.match(c.text)]
    if not labelled or len(labelled) != len(node.children):
        return False
    # The parent names a person: "[luca]", "@luca", "Luca", "**Luca Rossi**:".
    name = _label(node.text).rstrip(":").strip()
    return bool(find_owners(node.text)) or bool(_PERSON_NAME.fullmatch(name))


@dataclass
class _Context:
    meeting: Meeting
    tracking: TrackingConfig
    org: str
    meaning: SectionMeaning
    section: tuple[str, ...]
    repo: str = ""  # "org/repo" a heading of the section names: bare "#12" refers to it
    not_people: frozenset[str] = frozenset()  # the project's own names ("falco")
    present: frozenset[str] = frozenset()  # words of the meeting's attendance list
    agenda_listed: bool = False  # the meeting lists its topics under an agenda heading
    project_repo: str = ""  # [[sources]] repo: elsewhere, bare "#12" refers to it

    def owners(self, text: str) -> list[str]:
        # "(Bo, 10 min)" names who brings it, as "(Bo)" does.
        found = find_owners(without_time_box(text), not_people=self.not_people)
        if not found and self.present and text[:1].islower():
            # "kestrel to draft the policy", "kestrel: draft the policy": a lower-case
            # nick, as chat meetings write them, names its owner when it is on the
            # meeting's attendance list.
            bare = ACTION_LABEL.sub("", text, count=1)
            nick = _NICK_TO_VERB.match(bare) or _NICK_LABEL.match(bare)
            if nick and nick.group(1) in self.present:
                return [nick.group(1)]
        if not found and self.meaning in _WORK_LISTS and " " in text:
            named = dash_owner(text, not_people=self.not_people)
            return [named] if named else []
        return found

    def capitalized_nick(self, text: str) -> str | None:
        """ "Kestrel will draft the policy" for "kestrel will …", "Ronag: …" for
        "ronag: …" when the nick is on the attendance list (chat nicks are written in
        lower case), else None."""
        if not self.present:
            return None
        nick = _NICK_TO_VERB.match(text) or _NICK_LABEL.match(text)
        if nick is None or nick.group(1) not in self.present:
            return None
        return text[: nick.start(1)] + nick.group(1).capitalize() + text[nick.end(1) :]

    def nick_takes_work(self, text: str) -> bool:
        """ "kestrel will draft the policy": someone on the attendance list takes on work."""
        named = self.capitalized_nick(text)
        return named is not None and owner_to_verb(named)

    def nick_speaks(self, text: str) -> bool:
        """ "ronag: we can't do option 5": someone on the attendance list speaking."""
        named = self.capitalized_nick(text)
        return named is not None and is_speaker_line(named)

    def refs(self, text: str, *, head: bool = False) -> list[str]:
        """References in `text`; under a repository heading, bare "#12" (and, for an
        entry's own title, a trailing "- 1234") name an issue of that repository.
        Elsewhere a bare "#12" is an issue of the source's `repo`, or, when none is
        set, of the project's own repository, unnamed: "#12" in every meeting."""
        found = canonical_refs(text, self.org) + proposal_refs(text)
        if "#" not in text and not (self.repo and head):
            return found
        plain = _LINKS_AND_URLS.sub(" ", text)
        numbers = [m.group("num") for m in _BARE_NUMBER.finditer(plain)]
        if self.repo:
            trailing = _TRAILING_NUMBER.search(plain) if head else None
            if trailing and not numbers and not found:
                numbers.append(trailing.group("num"))
        repo = self.repo or self.project_repo
        found += [f"{repo}#{int(n)}" for n in numbers]
        return list(dict.fromkeys(found))


def _item(
    ctx: _Context,
    *,
    form: ItemForm,
    kind: Kind,
    text: str,
    children: list[str],
    line: int,
    end_line: int,
    status: tuple[Status, str | None] | None = None,
    owners: list[str] | None = None,
    section: tuple[str, ...] | None = None,
    row_key: str | None = None,
    parent: str | None = None,
    checked: bool | None = None,
    meaning: SectionMeaning | None = None,
) -> Item:
    m = ctx.meeting
    status_value: Status
    phrase: str | None
    followed = kind.kind in ("action", "topic")
    if not followed:
        status_value, phrase = status if status is not None else ("unknown", None)
        who = owners if owners is not None else []
    else:
        if status is not None:
            status_value, phrase = status
        else:
            found = find_status(text, ctx.tracking)
            status_child = None
            if found is None and (lead := _LEADING_STATE.match(text)):
                found = find_status(lead.group(1), ctx.tracking)  # "DONE: publish the survey"
            if found is None:
                status_child = _status_child(children, ctx.tracking)
                found = find_status(status_child, ctx.tracking) if status_child else None
            if found is None and _STRUCK.fullmatch(text):
                # "~~Dee: announce the drop~~": a finished action is struck through, so
                # is a line of a review of earlier work; a struck agenda entry is off
                # the agenda.
                finished = kind.kind == "action" or (meaning or ctx.meaning) == "review"
                found = ("done" if finished else "dropped", "struck through")
            if found is None:  # "Nightly build operational and uploading wheels"
                found = find_outcome(_OWNER_PREFIX.sub("", text))
            if found is None:  # "finished the TLS migration (#71)"
                found = reported_done(_OWNER_PREFIX.sub("", text))
            if found is None:
                found = _outcome_child(text, children)
            status_value, phrase = found if found else ("unknown", None)
            if status_child and owners is not None:
                # "- in progress @luca": who reported the status owns the work.
                owners = owners + [o for o in ctx.owners(status_child) if o not in owners]
        if status_value == "unknown" and kind.kind == "action":
            status_value = "open"
        who = list(owners) if owners is not None else ctx.owners(_action_owner_text(text))
        # "- Michael to open a doc PR" under a topic: Michael owns it; so does Yusuf in
        # "- Needs a certificate; @yusuf to check the budget".
        for child in children:
            if child.startswith(" "):
                continue
            if owner_to_verb(child) or ctx.nick_takes_work(child):
                who.extend(o for o in ctx.owners(child)[:1] if o not in who)
            elif (taken := _work_taken_later(ctx, child)) is not None:
                who.extend(o for o in ctx.owners(_action_owner_text(taken))[:1] if o not in who)
    everything = "\n".join([text, *children])
    refs = ctx.refs(text, head=True)
    for child in children:
        refs.extend(r for r in ctx.refs(child) if r not in refs)
    return Item(
        meeting_id=m.id,
        series=m.series,
        meeting_date=m.date,
        form=form,
        meaning=meaning or ctx.meaning,
        section=section if section is not None else ctx.section,
        text=text.strip(),
        children=children,
        owners=who,
        refs=refs,
        links=plain_links(everything),
        status=status_value,
        status_phrase=phrase,
        row_key=row_key,
        path=m.path,
        line=line,
        end_line=max(end_line, line),
        commit=m.commit,
        committed_at=m.committed_at,
        source=m.source,
        kind=kind.kind,
        why=kind.why,
        parent=parent,
        checked=checked,
    )


_REF_REASON = re.compile(r"\b(?:by|on|for|via)\s+(?=(?:[\w.-]+/[\w.-]+)?#\d|\[#?\d)", re.I)


def _status_child(children: list[str], tracking: TrackingConfig) -> str | None:
    """The first direct child that is mostly a status: "- done", "- in progress @luca".

    Mostly: the status phrase is more than half of the child's words, not counting
    owners, brackets, "(remarks)", links' targets and filler ("PR", "is", "now").
    "- merged: https://…" qualifies; "- Released `tool` https://…/v0.7.1" (a
    sentence about another thing that happens to start with a status word) does not.
    """
    for child in children:
        if child.startswith(" "):
            continue  # a grandchild: detail of the detail
        # "(wohoo)" is a remark, "(already merged)" the status itself.
        bare = _PARENS.sub(
            lambda m: m.group(0) if find_status(m.group(0)[1:-1], tracking) else " ", child
        )
        # "Blocked by #456", "waiting on org/repo#12": the reference is the reason.
        bare = _REF_REASON.sub(" ", bare)
        bare = _REF.sub(" ", _HANDLES_AND_BRACKETS.sub(" ", bare))
        words = [w for w in _words(bare) if w.lower() not in _STATUS_FILLER]
        if not 0 < len(words) <= _MAX_STATUS_CHILD_WORDS:
            continue
        found = find_status(child, tracking)
        if found is None:
            continue
        # Of the whole child, or of its first clause: "not started, need a volunteer".
        said = len(_words(found[1]))
        first = [
            w for w in _words(_CLAUSE_END.split(bare, 1)[0]) if w.lower() not in _STATUS_FILLER
        ]
        in_first = found[1] in _CLAUSE_END.split(child, 1)[0]
        if 2 * said > len(words) or (in_first and 2 * said > len(first)):
            return child
    return None


_CLAUSE_END = re.compile(r"[,;]\s")


_SAID_BY = re.compile(r"^(?:\*\*|__)?(?:[A-Z][a-z]{1,20}|[A-Z]{2,4})(?:\*\*|__)?\s*:\s+")
# A state written as the line's label: "DONE: publish the survey", "WIP: the loader".
# (A status module reading "Done:" alone takes it for a stand-up list's header.)
_LEADING_STATE = re.compile(
    r"^\W*((?:done|completed|finished|wip|in\s+progress|blocked|dropped|cancell?ed))"
    r"\W*?\s*:\**\s+\S",
    re.IGNORECASE,
)
# A line struck through whole (GitHub's ~~strikethrough~~).
_STRUCK = re.compile(r"\s*~~(?!~)[^~]+~~\s*")
# A topic asked as a question ("Should we drop Python 3.9? (Dee)"): a decision
# under it answers it, where under another topic it only says how to go on.
_QUESTION_TOPIC = re.compile(r"\?\s*(?:\([^()]{1,40}\)|[-—–]\s*@?[\w .'-]{1,40})?\s*$")
_ASKED = re.compile(
    r"\?|\bobjections?\b|\bconcerns?\b|\bpropos|\bvote\b|\bconsensus\b|\bagree\b|\bapprov",
    re.I,
)


# "Release 3.2 status (Tomasz)", "Update on the CI migration", "Board meetings:
# tracking issue": a standing report. Its sub-bullets tell how parts of the work
# went ("Docs build flake fixed"), which does not end the report.
_REPORT_TITLE = re.compile(
    r"\b(?:status|updates?|progress|report|round-?up)\s*+(?:$|[(\[:\-–—])|"
    r"^\s*+(?:\[[^\]]{1,40}\]\s*+)?\W*+(?:(?:quick|brief|short|weekly|monthly)\s+)?"
    r"(?:status|updates?|progress|report)\s+(?:on|about|of|from|for)\b|\btracking\s+issue\b",
    re.I,
)
# A nomination the meeting answered with a welcome was accepted.
_NOMINATION = re.compile(
    r"\bnominat(?:e|es|ed|ing|ion)\b|\bas\s+(?:an?\s+)?(?:new\s+)?(?:collaborator|maintainer|"
    r"committer|reviewer|member)s?\b",
    re.I,
)
_WELCOMED = re.compile(
    r"^(?::[\w+-]+:|\W)*+(?:welcome|congrat(?:s|ulations))\b(?!\s+(?:to\s+)?(?:comment|feedback|"
    r"review|input|ideas?|suggestions?)\b)",
    re.I,
)
REPORT_OUTCOME_WORDS = 3  # "Closed.", "Resolved and closed": said of the report itself


def _outcome_child(text: str, children: list[str]) -> tuple[Status, str] | None:
    """The outcome the last sub-bullet reporting one states ("Has been merged", "No
    objections.", "removed from the agenda"): minutes end with what was decided.

    A direct child counts; a deeper line only as the answer to the line above it
    ("Any objections to …?" over "No objections.", "Agree?" over "everybody agrees").
    "No objections" closes an item only as such an answer: after "next step is to …"
    it is consent to go on.
    """
    report = _REPORT_TITLE.search(plain_text(text, urls=False)) is not None
    if _NOMINATION.search(text) and any(_WELCOMED.search(c) for c in children):
        return "done", "welcomed"  # "Nominating Ada as collaborator" over "welcome Ada!"
    if _QUESTION_TOPIC.search(plain_text(text, urls=False)) and any(
        not c.startswith(" ") and labelled_decision(c) and plain_text(c.partition(":")[2]).strip()
        for c in children
    ):
        return "done", "decided"  # "Should we drop 3.9?" over "Decision: drop it in 3.0"
    for k in range(len(children) - 1, -1, -1):
        child = children[k]
        depth = (len(child) - len(child.lstrip(" "))) // 2
        # Without its box and without who said it ("Ana: 2.0 is out").
        body = _SAID_BY.sub("", re.sub(r"^\[[ xX]\]\s*", "", child.strip()), count=1)
        # The outcome leads a sub-bullet ("now closed as the vote was to …"); further
        # into a long one it is about something else ("…, matplotlib has done it").
        found = find_outcome(body, lead_words=0 if len(body.split()) <= 10 else 4)
        if found is None:
            continue
        if report and found[0] == "done" and len(body.split()) > REPORT_OUTCOME_WORDS:
            continue
        asked = _ASKED.search(children[k - 1] if k > 0 else text) is not None
        if ANSWERS.match(found[1]):
            if asked:
                return found
            continue
        if depth == 0 or asked:  # "**Agree?**" over "everybody agrees"
            return found
    return None


def _flatten(nodes: list[ListNode]) -> list[str]:
    """Child texts, depth-first, nested ones indented by two spaces per level."""
    out: list[str] = []

    def walk(node: ListNode, depth: int) -> None:
        box = "" if node.checked is None else _STATUS_BOX[node.checked] + " "
        out.append("  " * depth + box + node.text)
        for child in node.children:
            walk(child, depth + 1)

    for n in nodes:
        walk(n, 0)
    return out


def _box_status(
    ctx: _Context, node: ListNode, kind: Kind
) -> tuple[ItemForm, tuple[Status, str | None] | None]:
    """A task box is a status of its own: ticked done, unticked open (the series'
    own habit decides later whether a tick meant "done" or "discussed")."""
    if node.checked is None:
        return ("action" if ACTION_LABEL.match(node.text) else "list"), None
    if kind.kind not in ("action", "topic"):
        return "task", None
    status: tuple[Status, str | None] = (
        ("done", _STATUS_BOX[True]) if node.checked else ("open", _STATUS_BOX[False])
    )
    later = find_status(node.text, ctx.tracking)
    if node.checked is False and later and later[0] != "done":
        status = later  # "- [ ] Docs -> postponed" keeps its phrase
    return "task", status


def _node_item(
    ctx: _Context,
    node: ListNode,
    section: tuple[str, ...],
    inherited: list[str],
    *,
    meaning: SectionMeaning | None = None,
    parent: str | None = None,
    kind: Kind | None = None,
    taken: str | None = None,
) -> Item:
    """One bullet as an item. `taken`: the sentence of it in which someone takes the
    work on ("… @eli will investigate."), whose owner the item's is."""
    text = node.text
    meaning = meaning or ctx.meaning
    if kind is None:
        # "ronag: …", "kestrel will …": a lower-case nick on the attendance list reads
        # as the capitalized name would.
        named = ctx.capitalized_nick(text)
        kind = classify_line(
            named or text, meaning, checked=node.checked, has_children=bool(node.children)
        )
        if kind.kind == "topic" and meaning == "review" and _labelled_by_someone_present(ctx, text):
            # "Lena: update the ladder doc", "Aiyana: summary circulated": under a review
            # of earlier actions, the line of someone at the meeting is their action.
            kind = Kind(
                "action", "someone present's earlier action, under a heading reviewing them"
            )
        if kind.kind == "discussion" and meaning in ("minutes", "other"):
            taken = _work_taken_later(ctx, text)
            if taken is not None:
                kind = Kind("action", "a later sentence says who takes it on (‘… @eli will look.’)")
            elif _decided_later(text):
                kind = Kind("decision", "a later sentence states a decision (‘… Decision: …’)")
    form, status = _box_status(ctx, node, kind)
    owners = (ctx.owners(_action_owner_text(taken)) if taken else []) or (
        ctx.owners(_action_owner_text(text)) or list(inherited)
    )
    if meaning in ("minutes", "other") and kind.kind == "discussion":
        owners = []  # a speaker is who spoke, not who owns work
    if meaning == "done" and kind.kind == "action" and status is None:
        status = _done_list_status(ctx, text, section[-1] if section else "done")
    return _item(
        ctx,
        form=form,
        kind=kind,
        text=text,
        children=_flatten(node.children),
        line=node.line,
        end_line=node.end_line,
        status=status,
        owners=owners,
        section=section,
        parent=parent,
        checked=node.checked,
        meaning=meaning,
    )


def _nested_items(ctx: _Context, node: ListNode, item: Item) -> Iterator[Item]:
    """Sub-bullets that are work of their own: ACTION/TODO lines at any depth."""
    for child in node.children:
        if ACTION_LABEL.match(child.text):
            rest = ACTION_LABEL.sub("", child.text, count=1).strip()
            section = (*item.section, _label(node.text))
            action = Kind("action", "starts with ACTION / AI / TODO")
            if rest:
                yield _node_item(ctx, child, section, [], parent=item.key, kind=action)
            else:  # "- TODO:" heading its own list
                for grandchild in child.children:
                    yield _node_item(ctx, grandchild, section, [], parent=item.key, kind=action)
        elif (
            labelled_decision(child.text) or _decided_here(child.text) or _decided_later(child.text)
        ):
            # "Outcome: deprecate in 1.34", "Agreed to adopt the Covenant 2.1": what the
            # meeting decided on the item above.
            section = (*item.section, _label(node.text))
            decided = Kind("decision", "a decision recorded under the item above")
            yield _node_item(ctx, child, section, [], parent=item.key, kind=decided)
        elif not item.followed and (taken := _work_taken_in(ctx, child.text)):
            # "Matteo will open an issue to collect votes." under a remark: nobody follows
            # the remark, so the work taken on is an item of its own.
            section = (*item.section, _label(node.text))
            action = Kind("action", "under a remark, someone named takes work on")
            yield _node_item(ctx, child, section, [], parent=item.key, kind=action, taken=taken)
        else:
            yield from _nested_items(ctx, child, item)


# "Agreed to adopt …", "We decided not to backport it", "The board approved …": a
# sub-bullet that opens with the decision (not one mentioning it further on).
_DECIDED_LEAD = re.compile(
    r"^\W*(?:(?:we|everyone|everybody|all|the\s+[\w-]+)\s+)?(?:have\s+|has\s+)?"
    r"(?:agreed|decided|approved|resolved)\s+(?:to|that|on|not\s+to)\b",
    re.I,
)
# How to go on is no news: "agreed to remove it from the agenda", "decided to wait until
# next week", "agreed to take it back to GitHub", "agreed to remove tsc_agenda" (not "agreed
# to mark the job optional until the image is fixed": that is a decision).
_HOW_TO_GO_ON = re.compile(
    r"\b(?:\w*agenda|defer|wait|hold\s+off|park|next\s+(?:week|meeting|time|call)|github|"
    r"discuss\w*|revisit|loop\s+back|come\s+back|later|offline)\b",
    re.I,
)


def _decided_here(text: str) -> bool:
    bare = plain_text(text)
    return (
        _DECIDED_LEAD.match(bare) is not None
        and _HOW_TO_GO_ON.search(bare) is None
        and not bare.rstrip().endswith("?")
    )


# Where a line's later sentence or clause starts: "Prototype looks good. Decision: …",
# "No decision yet; Hedda to prototype it".
_SENTENCE_OR_CLAUSE = re.compile(r"(?<=[.!?;])\s+")


def _decided_later(text: str) -> bool:
    """ "Prototype looks good. Decision: migrate after 3.2 ships.": a later sentence of
    the line opens with the decision made, as a line of its own would."""
    if text.rstrip().endswith("?"):
        return False
    later = _SENTENCE_OR_CLAUSE.split(plain_text(text))[1:]
    return any(labelled_decision(s) or _decided_here(s) for s in later)


def _person_items(ctx: _Context, node: ListNode, section: tuple[str, ...]) -> Iterator[Item]:
    person = ctx.owners(node.text) or [_label(node.text).rstrip(":").strip().lower()]
    heading = _HEADING_MARKUP.sub("", node.text).rstrip(":").strip()
    for child in node.children:
        yield from _labelled_entries(ctx, child, person, (*section, heading))


def _heading_person(ctx: _Context) -> list[str]:
    """The person a section's own heading names ("## Lena", "### @omar"), or none."""
    if not ctx.section:
        return []
    name = _HEADING_MARKUP.sub("", ctx.section[-1]).strip()
    if heading_meaning(name) is not None:
        return []
    return ctx.owners(name) or ([name.lower()] if _PERSON_NAME.fullmatch(name) else [])


def _done_list_status(ctx: _Context, text: str, label: str) -> tuple[Status, str | None]:
    """A line of a list of what got done ("Yesterday", "Done") is done, as the list
    says, unless the line says otherwise: "still trying to reproduce the crash",
    "⏳ watch mode, about half done", "cache eviction fix: #440, WIP"."""
    unfinished = _UNFINISHED.search(text)
    if unfinished is not None:
        return "open", unfinished.group(1)
    own = find_status(text, ctx.tracking)
    if own is not None and own[0] != "done":
        return own
    return "done", label


def _labelled_entries(
    ctx: _Context, child: ListNode, person: list[str], section: tuple[str, ...]
) -> Iterator[Item]:
    """One person's stand-up line ("Done: the parser PR", "Today:" over a list): its
    entries as that person's work, done, next or blocked as the label says."""
    m = _PERSON_LABEL.match(child.text)
    if not m:
        return
    label = m.group("label").lower()
    entries = [child.text[m.end() :].strip()] if child.text[m.end() :].strip() else []
    nodes: list[tuple[str, ListNode]] = [(e, child) for e in entries]
    nodes += [(g.text, g) for g in child.children]
    meaning = _person_meaning(label)
    for text, source in nodes:
        kind = classify_line(text, meaning, has_children=bool(source.children))
        if meaning == "done":
            status: tuple[Status, str | None] = _done_list_status(ctx, text, m.group("label"))
        elif meaning == "blocked":
            status = ("open", m.group("label"))
        else:
            status = find_status(text, ctx.tracking) or ("open", m.group("label"))
        # The person owns it; "XFS: spool files grow" names a subject, not a person,
        # so only an @mention in the entry adds an owner.
        mentioned = [h.lstrip("@").lower() for h in _MENTIONED.findall(text)]
        yield _item(
            ctx,
            form="person",
            kind=kind,
            text=text,
            children=_flatten(source.children) if source is not child else [],
            line=source.line,
            end_line=source.end_line,
            status=status if kind.kind == "action" else None,
            owners=list(dict.fromkeys(person + mentioned)),
            section=section,
            meaning=meaning,
        )


def _list_items(ctx: _Context, node: ListNode) -> Iterator[Item]:
    if _PERSON_LABEL.match(node.text) and (person := _heading_person(ctx)):
        # "## Lena" over "- Yesterday: …", "- Today: …": a stand-up by person headings.
        yield from _labelled_entries(ctx, node, person, ctx.section)
        return
    if _is_person_list(node):
        yield from _person_items(ctx, node, ctx.section)
        return
    if name := _reporter(ctx, node):
        # Their report is minutes (an action or decision among it is still one), and
        # what they take on is theirs: "- Ana Lima" over "- Ana to fix the index".
        section = (*ctx.section, name)
        reporter = ctx.owners(node.text) or [name.lstrip("@").split()[0].lower()]
        # Under a list of actions, what is listed under them is theirs to do.
        read_as: SectionMeaning = ctx.meaning if ctx.meaning in _WORK_LISTS else "minutes"
        for child in node.children:
            item = _node_item(ctx, child, section, reporter, meaning=read_as)
            yield item
            yield from _nested_items(ctx, child, item)
        return
    if _is_group(ctx, node):
        # The header's text is kept as context in the section path; an owner on the
        # header ("[jason] **Topics**") is the owner of children that name none. A
        # header naming a kind of list ("Action items:") gives its children that meaning.
        label = _label(node.text).rstrip(":").strip()
        section = (*ctx.section, label)
        # The label names the list ("Action items:", "Review of last week:"), but it
        # never makes news under Highlights or Decisions into minutes.
        meaning = label_meaning(label) if label else None
        if ctx.meaning in ("announcements", "decisions") and meaning == "minutes":
            meaning = None
        inherited = ctx.owners(node.text)
        for child in node.children:
            if _is_person_list(child):
                yield from _person_items(ctx, child, section)
                continue
            item = _node_item(ctx, child, section, inherited, meaning=meaning or ctx.meaning)
            yield item
            yield from _nested_items(ctx, child, item)
        return
    item = _node_item(ctx, node, ctx.section, _handle_heading(ctx))
    yield item
    yield from _nested_items(ctx, node, item)


def _handle_heading(ctx: _Context) -> list[str]:
    """ "### @ana" over her updates: what is listed there is hers (a bare name might
    be a topic, "### Docs"; a handle is a person). So is what a stand-up label under
    her name lists ("## Ana" over "**Yesterday**" over "- landed the allocator PR"):
    a name over the labels of a stand-up is a person."""
    heading = _HEADING_MARKUP.sub("", ctx.section[-1]).strip() if ctx.section else ""
    if heading.startswith("@"):
        return _heading_person(ctx)
    if len(ctx.section) >= 2 and _STAND_UP_LABEL.fullmatch(heading):
        person = _heading_person(replace(ctx, section=ctx.section[:-1]))
        # With an attendance list, only someone on it.
        if not ctx.present or all(w in ctx.present for p in person for w in p.split()):
            return person
    return []


# What only a person's stand-up says (a component's notes have "Done" and "Next" too).
_STAND_UP_LABEL = re.compile(r"\s*(?:yesterday|today|tomorrow|did|doing)\s*:?\s*", re.I)


@functools.lru_cache(maxsize=1024)
def _header_kind(name: str) -> str:
    if plain_text(name).strip().lower() in _ROW_ID_HEADERS:
        return "id"
    low = _norm_heading(name)
    first = low.split()[0] if low.split() else ""
    if low in _ROW_TIME_HEADERS:
        return "time"
    if low in _ROW_STATUS_HEADERS or first in _ROW_STATUS_HEADERS:
        return "status"
    if low in _ROW_OWNER_HEADERS or first in _ROW_OWNER_HEADERS:
        return "owner"
    if low in _ROW_PRESENTER_HEADERS or first in _ROW_PRESENTER_HEADERS:
        return "presenter"
    if low in _ROW_NOTE_HEADERS or first in _ROW_NOTE_HEADERS:
        return "note"
    return "key"


@functools.lru_cache(maxsize=4096)
def _norm_heading(text: str) -> str:
    text = _PARENS.sub(" ", plain_text(text))  # "Agenda (please add items)", "Notes (optional)"
    text = text.lower()
    text = _NOT_HEADING_CHAR.sub(" ", text)
    return " ".join(text.split())


def _row_key(values: list[str]) -> str:
    plain = [" ".join(_norm_heading(v).split()) for v in values]
    return " / ".join(p for p in plain if p)


def _row_kind(ctx: _Context, header: Sequence[str], kinds: dict[str, str], text: str) -> Kind:
    # A table under Decisions records decisions, whoever its Owner column names.
    if ctx.meaning in ("attendance", "boilerplate", "decisions", "announcements"):
        return classify_line(text, ctx.meaning)
    agenda_table = ctx.meaning == "agenda" and any(
        _norm_heading(h) in _ROW_TOPIC_HEADERS for h in header
    )
    if "status" in kinds.values() or ("owner" in kinds.values() and not agenda_table):
        return Kind("action", "a row of a status table (it has a status or owner column)")
    return classify_line(text, "agenda" if ctx.meaning == "other" else ctx.meaning)


def _row_text(
    keys: list[str],
    header: Sequence[str],
    kinds: dict[str, str],
    cells: dict[str, str],
    tracking: TrackingConfig,
) -> str:
    """What a row says, as its item's text: its key cells, then each note cell named by
    its column ("Draft the guide — Due: Oct 21"). The owner and status cells are read
    into the item's owners and status, not repeated in its title; nor is a note cell
    holding only a state ("Due: Done"), nor one saying nothing ("Due: —")."""
    notes = [
        f"{h}: {cell}"
        for h in header
        if kinds[h] == "note"
        and _says_something(cell := cells[h].strip())
        and not _is_state(cell, tracking)
    ]
    return " — ".join(v for v in (*keys, *notes) if v)


# Where a status cell's state ends and its explanation starts: "Dropped — we use
# cibuildwheel instead", "Done (late)".
_CELL_STATE_END = re.compile(r"\s[-–—]+\s|\(")


def _cell_status(cell: str, tracking: TrackingConfig) -> tuple[Status, str] | None:
    """A status cell's state: its leading words decide where they state one (what
    follows only explains it), else the whole cell."""
    lead = _CELL_STATE_END.split(cell, maxsplit=1)[0].strip()
    found = find_status(lead, tracking) if lead and lead != cell else None
    return found or find_status(cell, tracking)


def _says_something(cell: str) -> bool:
    return any(c.isalnum() for c in cell)


def _is_state(cell: str, tracking: TrackingConfig) -> bool:
    """A cell that is only a state: "Done", "✅", "in review"."""
    found = find_status(cell, tracking)
    return found is not None and len(_words(found[1])) >= len(_words(cell))


def _table_items(ctx: _Context, rows: list[TableRow]) -> Iterator[Item]:
    carried: dict[str, str] = {}
    for row in rows:
        kinds = {h: _header_kind(h) for h in row.header}
        cells = dict(row.cells)
        for h in row.header:
            if kinds[h] == "id":
                # "#1412" or a link in a "#" column names an issue: a key like any other.
                kinds[h] = "label" if _ROW_ID.fullmatch(plain_text(cells[h]).strip()) else "key"
        key_headers = [h for h in row.header if kinds[h] == "key"]
        # An empty first key cell repeats the row above ("|      | Streamlining … |").
        if key_headers:
            first = key_headers[0]
            if cells.get(first, "").strip():
                carried[first] = cells[first]
            elif first in carried and any(cells.get(h, "").strip() for h in key_headers[1:]):
                cells[first] = carried[first]
        keys = [cells.get(h, "").strip() for h in key_headers]
        if not any(keys):
            continue
        text = _row_text(keys, row.header, kinds, cells, ctx.tracking)
        kind = _row_kind(ctx, row.header, kinds, text)
        status: tuple[Status, str | None] | None = None
        for h in row.header:
            cell = cells.get(h, "").strip()
            if kinds[h] == "status" and cell:
                found = _cell_status(cell, ctx.tracking)
                status = (found[0], cell) if found else ("unknown", cell)
                break
        if status is None:
            # No status column: a state written in another cell ("Due: Done"), else
            # one the row's words say.
            stated = (
                cell
                for h in row.header
                if kinds[h] == "note" and _is_state(cell := cells[h], ctx.tracking)
            )
            found = find_status(next(stated, text), ctx.tracking)
            # Else what its notes say came of it ("Notes: Agreed: drop it in 2.5"), as
            # a topic's sub-bullets would.
            found = found or _row_outcome(
                " ".join(keys), [c for h in row.header if kinds[h] == "note" and (c := cells[h])]
            )
            status = found if found else ("unknown", None)
        owners: list[str] = []
        for h in row.header:
            if kinds[h] in ("owner", "presenter"):
                owners.extend(n for n in _names_given(ctx, cells.get(h, "")) if n not in owners)
        if not owners:
            owners = ctx.owners(" ".join(keys))
        yield _item(
            ctx,
            form="row",
            kind=kind,
            text=text,
            children=[],
            line=row.line,
            end_line=row.line,
            status=status,
            owners=owners,
            row_key=_row_key(keys),
        )


def _row_outcome(key: str, notes: list[str]) -> tuple[Status, str] | None:
    """What a row's note cells say came of it, the last saying so first: "Agreed: drop
    it in 2.5", "Released 2024-08-23"; "No objections" only under a question."""
    for cell in reversed(notes):
        found = find_outcome(cell, lead_words=0 if len(cell.split()) <= 10 else 4)
        if found is not None and (not ANSWERS.match(found[1]) or _ASKED.search(key)):
            return found
        if labelled_decision(cell) or voted_motion(cell) or _decided_here(cell):
            # "Decision: migrate in two steps, Linux first": the row's topic is settled,
            # as a topic heading is by its minutes' decision.
            return "done", _short_phrase(cell)
    return None


_LABEL_LINK = re.compile(
    r"^\s*[\w .&/+-]{1,40}:\s*(?:<https?://[^>\s]+>|\[[^\]]*\]\([^)]*\)|https?://\S+)\s*$"
)


def _own_work(ctx: _Context, node: ListNode, heading: Item) -> bool:
    """A bullet naming an issue of its own, other than the heading's: a title with its
    link ("Faster importer [#12](…)") or a label and a link ("Workers: <…/pull/20876>"),
    not what someone said about it."""
    named = set(ctx.refs(heading.text, head=True))
    if not named:
        return False  # under "### Plugin API freeze", "Two proposals, #210 and #214" is minutes
    own = [r for r in ctx.refs(node.text, head=True) if r not in named]
    if not own:
        return False
    if _LABEL_LINK.match(node.text):
        return True
    return not is_speaker_line(node.text) and len(_words(node.text)) >= 2


def _minutes_like(ctx: _Context, blocks: Sequence[object]) -> bool:
    """Whether a section's bullets read as minutes of one topic: most are what someone
    said, a decision or an action, not titles of topics of their own."""
    nodes = [b for b in blocks if isinstance(b, ListNode)]
    if not nodes:
        return False
    said = sum(
        1
        for n in nodes
        if is_speaker_line(n.text)
        or ctx.nick_speaks(n.text)
        or ctx.nick_takes_work(n.text)
        or stated_decision(n.text)
        or labelled_decision(n.text)
        or ACTION_LABEL.match(n.text)
        or owner_to_verb(n.text)
        or _SENTENCE.search(plain_text(n.text))
        or ANSWERS.match(plain_text(n.text))
    )
    return said * 2 >= len(nodes)


# What someone said ends like a sentence ("Merged yesterday.", "Can we wait?"); a
# topic's title rarely does.
_SENTENCE = re.compile(r"\w\W*\s\S+[.!?]\)?$")
# "### 2. Deprecate the old loader", "### 3) Docs": an entry of a numbered agenda.
_NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s+\S")
_ORDINAL = re.compile(r"^\s*\d{1,2}[.)]\s+(?=\S)")
# "### 2.1 Signing" under "## 2. Discussion": numbered a level down, as its parent says
# (alone, "### 2.0 release" names a version).
_SUB_ORDINAL = re.compile(r"^\s*(\d{1,2})\.\d{1,2}\.?\s+(?=\S)")


def _sub_numbered(path: Sequence[str]) -> re.Match[str] | None:
    """The "2.1 " of a heading whose parent is "2. …" (or "2 …"), else None."""
    found = _SUB_ORDINAL.match(path[-1]) if len(path) >= 2 else None
    if found is None or re.match(rf"\s*{found.group(1)}(?:[.)]|\s)", path[-2]) is None:
        return None
    return found


# "### Topic: CI runners", "### Agenda item 3: Docs", "### Item: …": labelled an entry.
_TOPIC_LABEL = re.compile(r"^\s*(?:topic|(?:agenda\s+)?item)(?:\s+\d{1,2})?\s*:\s*(?=\S)", re.I)
# "@kira will look at it", "Ana to take this to the board": an action whose object
# is the topic above, its next step (its owner is the topic's), not work of its own.
_ON_THE_TOPIC = re.compile(
    r"^\s*+\S++(?:\s++\S++)?\s++(?:to|will|shall)\s+(?:[a-z]+\s+){1,3}?(?:it|this|that|them)\b"
    r"(?=\s*(?:$|[.;,:!)(]|\s(?:to|with|for|in|on|at|by|before|after|next|this|tomorrow|"
    r"today|later|again)\b))",
    re.I,
)


def _heading_item(
    ctx: _Context, section: Section, extra: Mapping[str, Sequence[str]]
) -> Item | None:
    """The topic a heading itself is, its bullets (or paragraphs) being its minutes:
    a heading naming an issue ("### Add a cache [#12](…)") under an agenda, the
    minutes or no named section; or a topic heading under an agenda ("### Release
    2.0" over "- Ana: RC1 is ready", "- Decision: …") that names nothing else."""
    heading, line, blocks = section.heading, section.line, section.blocks
    if ctx.meaning not in ("agenda", "minutes", "other") or not heading:
        return None
    names_issue = bool(ctx.refs(heading, head=True))
    # "## Array grouping" over "Presenter: Bo Chen (BCN)": someone presents it.
    presented = _presented_by(blocks) if not _procedure_heading(heading) else None
    # "### [Ana] Release of 4.2": who brings it, as an agenda bullet names them.
    bracket = _OWNER_PREFIX.match(heading) if presented is None else None
    bracketed = bracket is not None and bool(ctx.owners(heading))
    bringers = _names_given(ctx, presented) if presented else []
    if bracket is not None and bracketed:
        bringers = ctx.owners(bracket.group(0))
    # "### 2. Resolver fix status": a numbered entry of the agenda, unless it is little
    # more than a list's name ("### 3. Announcements").
    sub = _sub_numbered(section.path)
    numbered = (_NUMBERED.match(heading) is not None or sub is not None) and (
        label_meaning(heading[sub.end() :] if sub else heading) is None
    )
    # "### Topic: CI runners (Bo, 10 min)": the heading says it is a topic.
    numbered = numbered or _TOPIC_LABEL.match(heading) is not None
    topic_heading = (
        not names_issue
        and not ctx.repo
        and (
            (
                (presented is not None or bracketed)
                and heading_meaning(_label(heading), extra) is None
                and bool(blocks)
            )
            or (
                ctx.meaning == "agenda"
                and len(section.path) >= 2
                and (
                    numbered
                    or (
                        heading_meaning(section.path[-1], extra) is None
                        and not _handle_heading(ctx)  # "### @ana": a person, not a topic
                        and _minutes_like(ctx, blocks)
                    )
                )
            )
            # Minutes numbered by their agenda, with no agenda heading above ("## 1.
            # Trademark policy" over what was said): each is a topic.
            or (ctx.meaning == "other" and len(section.path) == 1 and numbered)
            # Without an agenda, a heading per topic under the minutes ("## Notes" >
            # "### Release 0.9" over what was said of it) is the topic; not one per
            # person ("### Ana"). Where an agenda lists them, it names the topics and
            # such headings only head their minutes, often in other words.
            or (
                ctx.meaning == "minutes"
                and not ctx.agenda_listed
                and len(section.path) >= 2
                # Not "### Notes"; "### Roadmap for 2.0" is minutes of that topic.
                and heading_meaning(section.path[-1], extra) != "minutes"
                and not ctx.owners(heading)
                and not {w.lower() for w in _words(heading)} <= ctx.present  # "### Ana Lima"
            )
        )
    )
    if not names_issue and not topic_heading:
        return None
    # Its minutes, bullets or paragraphs ("Ana: the FCP is done." / "Consensus: …").
    minutes: list[str] = []
    end = line
    for block in blocks:
        # An "Action: …" line is an item of its own (its owner's), not the topic's words.
        if isinstance(block, ListNode):
            if not ACTION_LABEL.match(block.text):
                minutes += _flatten([block])
            end = max(end, block.end_line)
        elif isinstance(block, Paragraph):
            if not ACTION_LABEL.match(block.text):
                minutes.append(block.text)
            end = max(end, block.line)
    if not names_issue and not minutes and end > line:
        # "## 1. Hosting" over only "Action: Noor to bring a proposal": the action is
        # the item, and the heading only says what it is about.
        return None
    kind = Kind(
        "topic",
        "a heading that names an issue: its bullets are its minutes"
        if names_issue
        else "a numbered or labelled topic heading: its bullets and paragraphs are its minutes"
        if numbered
        else "a topic heading: its bullets and paragraphs are its minutes",
    )
    return _item(
        ctx,
        form="heading",
        kind=kind,
        # "2. Docs migration", "Topic: Docs migration": the number and label are the agenda's
        text=_TOPIC_LABEL.sub("", _ORDINAL.sub("", heading[sub.end() :] if sub else heading)),
        children=minutes,
        line=line,
        end_line=end,
        owners=_presenter(ctx, heading) or bringers or _owner_lines(ctx, blocks),
    )


# "**Owner:** @felix", "DRI: Ana" on a line of a topic's minutes.
_OWNER_LINE = re.compile(
    r"^\W*(?:owners?|dri|leads?|assignees?|assigned\s+to)\W*:\W*(?P<names>\S.*)$", re.I
)


def _owner_lines(ctx: _Context, blocks: Sequence[object]) -> list[str]:
    """Who a topic's minutes say own it, on a labelled line of their own (a wiki-style
    topic: "**Status:** …" over "**Owner:** @felix")."""
    owners: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            for text in block.source_lines():
                if found := _OWNER_LINE.match(text):
                    owners += [o for o in _names_given(ctx, found["names"]) if o not in owners]
    return owners


_TRAILING_NAME = re.compile(r"\([^()]{1,60}\)\s*$")


def _names_given(ctx: _Context, value: str) -> list[str]:
    """The people an Owner or Presenter cell or label names: "@ana", "Bo Chen (BCN)",
    "Ana, Bo" (each name whole; "TBD" and "All" are nobody)."""
    return ctx.owners(value) or [
        name
        for p in _OWNER_SEPARATORS.split(value)
        if (name := plain_text(p).strip().lstrip("@").lower()) not in _NO_OWNER
        and any(c.isalpha() for c in name)
    ]


# "Opening & Welcome", "Roll call", "Adjournment": a part of the meeting, not a topic.
_PROCEDURE_WORDS_TEXT = """opening open welcome introductions intro intros roll call adjourn
    adjournment closing close remarks housekeeping and of the meeting"""
_PROCEDURE_WORDS = frozenset(_PROCEDURE_WORDS_TEXT.split())


def _procedure_heading(heading: str) -> bool:
    words = [w.lower() for w in _words(heading)]
    return bool(words) and all(w in _PROCEDURE_WORDS for w in words)


def _presented_by(blocks: Sequence[object]) -> str | None:
    """Who a section's first line says presents it ("Presenter: Bo Chen (BCN)",
    "**Champions:** Ana, Bo"), or None when it does not open so."""
    first = blocks[0] if blocks else None
    if not isinstance(first, Paragraph):
        return None
    found = _LABELLED_LINE.match(first.text)
    if found is None or found.group(1).strip().lower() not in _ROW_PRESENTER_HEADERS:
        return None
    return first.text[found.end() :]


def _presenter(ctx: _Context, heading: str) -> list[str]:
    """Who brings a topic heading, named last: "### Release 2.0 (Ana, 10 min)". Not a
    name elsewhere in it: a title starts with a subject ("WG: …", "Motion to …")."""
    named = _TRAILING_NAME.search(without_time_box(heading))
    return ctx.owners(named.group(0)) if named else []


def extract_items(
    meeting: Meeting, tracking: TrackingConfig, *, org: str = "", repo: str = ""
) -> list[Item]:
    """The lines of `meeting`, in document order, each with its kind (module docstring).
    `org`: the GitHub org of bare "repo#12"; `repo`: the repository of bare "#12"."""
    items: list[Item] = []
    not_people = project_names(org)
    extra = section_names(tracking, meeting.series)
    # A meeting written without sub-headings is all agenda.
    headingless = all(not s.path for s in meeting.sections)
    present = _attendance_words(meeting, extra) if not headingless else frozenset()
    meanings: list[SectionMeaning] = [
        "agenda" if headingless else section_meaning(s.path, extra) for s in meeting.sections
    ]
    if "agenda" not in meanings and "minutes" not in meanings:
        # The meeting's own bullets above a heading that only lists its work ("## 2026-05-19"
        # over topics, then "### Action items"): its agenda, as without any heading.
        meanings = [
            "agenda" if not s.path else m for s, m in zip(meeting.sections, meanings, strict=True)
        ]
    agenda_listed = any(
        m == "agenda" and s.blocks for m, s in zip(meanings, meeting.sections, strict=True)
    )
    for section, meaning in zip(meeting.sections, meanings, strict=True):
        ctx = _Context(
            meeting,
            tracking,
            org,
            meaning,
            section.path,
            repo_of_heading(section.path),
            not_people,
            present,
            agenda_listed,
            repo.lower(),
        )
        heading = _heading_item(ctx, section, extra)
        if heading is not None:
            at = len(items)  # the heading's, then its minutes' items
            items.append(heading)
            # Its bullets are its minutes: only explicit actions and decisions among
            # them are items, and pieces of work of their own ("Workers: <…/pull/20876>"
            # under a tracking issue's heading), tied to it.
            for node in (b for b in section.blocks if isinstance(b, ListNode)):
                decided = (
                    stated_decision(node.text) and not node.text.rstrip().endswith("?")
                ) or voted_motion(node.text)
                if _ON_THE_TOPIC.search(node.text) and not decided:
                    # "@kira will look at it": the topic's next step, not an item ("Agreed
                    # to try it for a month" is a decision)
                    continue
                taken = _work_taken_later(ctx, node.text)
                if (
                    ACTION_LABEL.match(node.text)
                    or owner_to_verb(node.text)
                    or labelled_next_step(node.text)
                ):
                    action = Kind("action", "an action in the minutes of the topic above")
                    items.append(
                        _node_item(ctx, node, ctx.section, [], parent=heading.key, kind=action)
                    )
                elif decided:
                    decision = Kind("decision", "a decision in the minutes of the topic above")
                    items.append(
                        _node_item(ctx, node, ctx.section, [], parent=heading.key, kind=decision)
                    )
                elif taken is not None and not _ON_THE_TOPIC.search(taken):
                    # "Comments are due by 3 June. Priya will summarise them.": the sentence
                    # in which someone takes work on names the owner.
                    action = Kind("action", "a later sentence says who takes it on")
                    items.append(
                        _node_item(
                            ctx, node, ctx.section, [], parent=heading.key, kind=action, taken=taken
                        )
                    )
                elif _decided_later(node.text):
                    decision = Kind("decision", "a later sentence states a decision made")
                    items.append(
                        _node_item(ctx, node, ctx.section, [], parent=heading.key, kind=decision)
                    )
                elif _own_work(ctx, node, heading):
                    work = Kind("topic", "work of its own (its own issue) under an issue's heading")
                    items.append(
                        _node_item(ctx, node, ctx.section, [], parent=heading.key, kind=work)
                    )
                else:
                    items.extend(_nested_items(ctx, node, heading))
            # "Action: Kemal to revise the draft." or "RESOLUTION: …" written as a
            # paragraph of its minutes.
            for said in section.blocks:
                if isinstance(said, Paragraph):
                    items.extend(_paragraph_items(ctx, said, parent=heading.key))
            items[at:] = _settled_by_its_decision(items[at:])
            continue
        pending_rows: list[TableRow] = []
        for block in [*section.blocks, None]:
            if isinstance(block, TableRow):
                if pending_rows and block.header != pending_rows[-1].header:
                    items.extend(_table_items(ctx, pending_rows))
                    pending_rows = []
                pending_rows.append(block)
                continue
            if pending_rows:
                items.extend(_table_items(ctx, pending_rows))
                pending_rows = []
            if isinstance(block, ListNode):
                items.extend(_list_items(ctx, block))
            elif isinstance(block, Paragraph):
                items.extend(_paragraph_items(ctx, block))
    if not_held(meeting, items):
        # "No topic, skipping the meeting" is about the meeting, not news of the project.
        items = [
            replace(it, kind="placeholder", why="says the meeting did not take place")
            if says_not_held(it.text)
            else it
            for it in items
        ]
    return items


# What a meeting that did not take place may still have recorded: who would have
# come, the template's empty slots, a calendar link.
_NOT_CONTENT = frozenset({"attendance", "boilerplate", "placeholder"})
_DAY_IN_TITLE = re.compile(r"\d{4}-\d\d-\d\d")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def not_held(meeting: Meeting, items: Sequence[Item]) -> str:
    """The line saying `meeting` did not take place ("No topic, skipping the meeting",
    a heading "2026-03-04 No call"), or "" when it did.

    The notice must be all the meeting recorded besides who came, empty template
    slots, bare links and the notice's own sub-bullets: a meeting that also heard,
    decided or assigned something was held, whatever one of its lines says.
    """
    title = _DAY_IN_TITLE.sub(" ", meeting.title)
    paragraphs = [
        (b.line, b.text) for s in meeting.sections for b in s.blocks if isinstance(b, Paragraph)
    ]
    said = [(meeting.line, title), *paragraphs, *((it.line, it.text) for it in items)]
    notices_said = [(line, text) for line, text in said if says_not_held(text)]
    if not notices_said:
        return ""
    notice = min(notices_said, key=lambda pair: pair[0])[1]  # the first in the note
    notices = {it.key for it in items if says_not_held(it.text)}
    for it in items:
        if it.key in notices or it.parent in notices or it.kind in _NOT_CONTENT:
            continue
        if plain(it.text):  # a line with words (a bare link has none)
            return ""
    # Its first sentence: "This call is cancelled.", not the apology after it.
    return _SENTENCE_END.split(plain(notice).strip(" *_"), maxsplit=1)[0]


def _paragraph_items(ctx: _Context, block: Paragraph, parent: str | None = None) -> list[Item]:
    """A paragraph (not a bullet) is an item only when labelled one: "ACTION: …" an
    action, "RESOLUTION: …" / "Decision: …" a decision; the rest is what was said."""
    if ACTION_LABEL.match(block.text):
        form: ItemForm = "action"
        kind = Kind("action", "starts with ACTION / AI / TODO")
    elif (
        labelled_decision(block.text)
        and ctx.meaning not in ("attendance", "boilerplate")
        and plain_text(block.text.partition(":")[2]).strip(" *_")  # not a bare "Conclusion:"
    ):
        form = "paragraph"
        kind = Kind("decision", "a paragraph labelled a decision (‘RESOLUTION: …’)")
    elif parent is not None and decided_in_sentence(block.text):
        # In a topic's minutes, a sentence stating what was decided.
        form = "paragraph"
        kind = Kind("decision", "a sentence of the topic's minutes states a decision made")
    else:
        return _prose_actions(ctx, block, parent)
    return [
        _item(
            ctx,
            form=form,
            kind=kind,
            text=block.text,
            children=[],
            line=block.line,
            end_line=block.line,
            parent=parent,
        )
    ]


# A paragraph that may state a decision ("the group agreed to pause them").
_DECIDED_WORD = re.compile(r"\b(?:agreed|decided|approved|resolved)\b", re.I)
# Where a sentence of prose is the meeting's record of work taken on.
_PROSE_WORK: frozenset[SectionMeaning] = frozenset(
    {"minutes", "other", "agenda", "review", "actions", "next", "blocked"}
)


# "Ana will be important for this": what someone is, not work (but "will be leading").
_WILL_BE = re.compile(r"\bwill\s+be\s+(?!\w+ing\b)", re.I)


def _someone_takes_work(ctx: _Context, sentence: str) -> bool:
    """ "Bruno will write to the authors", "@jo to open the issue": in prose, where any
    sentence starts with a capital ("Solution is to …", "Hoping to …"), only someone
    named by handle or on the meeting's attendance list."""
    if not (owner_to_verb(sentence) or ctx.nick_takes_work(sentence)):
        return False
    first = plain_text(sentence).lstrip("*_ ").split(" ", 1)[0].rstrip(",")
    named = first.startswith("@") or first.lower() in ctx.present
    return named and _WILL_BE.search(sentence) is None


def _work_taken_later(ctx: _Context, text: str) -> str | None:
    """ "We should look at caching headers. @eli will investigate.": the later sentence
    of a remark in which someone takes it on, or None."""
    if " will " not in text and " to " not in text and ":" not in text:
        return None
    later = [s.strip() for s in _SENTENCE_OR_CLAUSE.split(text)[1:]]
    # "Vendor picked. AI: Bo to share the SOW." is labelled so.
    return next((s for s in later if ACTION_LABEL.match(s) or _someone_takes_work(ctx, s)), None)


def _settled_by_its_decision(heading: list[Item]) -> list[Item]:
    """A topic heading's item and its minutes' (`heading`), the topic settled by a
    decision its minutes record ("RESOLVED: the summit is at the university venue",
    "Motion to …: passed 4-0"): done, with the decision as its status. Not by "agreed
    to try it for a month", which goes on; nor by a decision of a question under it."""
    topic, *minutes = heading
    if topic.status in ("done", "dropped"):
        return heading
    decision = next(
        (
            i
            for i in minutes
            if i.parent == topic.key
            and i.kind == "decision"
            and (labelled_decision(i.text) or voted_motion(i.text))
        ),
        None,
    )
    if decision is None:
        return heading
    done = replace(topic, status="done", status_phrase=_short_phrase(decision.text))
    return [done, *minutes]


def _short_phrase(text: str, words: int = 12) -> str:
    said = plain_text(text).split()
    return " ".join(said[:words]) + (" …" if len(said) > words else "")


def _labelled_by_someone_present(ctx: _Context, text: str) -> bool:
    """ "Aiyana: summary circulated. Closed.", "**Lena Park**: docs PR merged": a line
    labelled with the name of someone on the meeting's attendance list, then the state
    of their work; not what they said of the last meeting ("Bert: Discussed adding a
    WG"), nor a report a later mention's words may answer ("marek: hardware ordered")."""
    label, colon, rest = plain_text(text).partition(":")
    words = [w.lower() for w in _words(label)]
    if not colon or not 0 < len(words) <= 3 or not all(w in ctx.present for w in words):
        return False
    return find_status(rest.strip(" *_~"), ctx.tracking) is not None


def _work_taken_in(ctx: _Context, text: str) -> str | None:
    """The sentence of a line (its first or a later one) in which someone named takes
    work on; never in a question."""
    if text.rstrip().endswith("?"):
        return None
    if _someone_takes_work(ctx, text.strip()):
        return text
    return _work_taken_later(ctx, text)


def _prose_actions(ctx: _Context, block: Paragraph, parent: str | None) -> list[Item]:
    """Minutes written as prose ("The council reviewed the proposal. Bruno will write
    to its authors."): each sentence in which someone takes on work is an action, and
    each that opens with what the meeting decided ("… rollouts; the group agreed to
    pause them until the cause is known.") a decision."""
    if ctx.meaning not in _PROSE_WORK or not (
        " to " in block.text or " will " in block.text or _DECIDED_WORD.search(block.text)
    ):
        return []
    out: list[Item] = []
    at = 0
    for sentence in _SENTENCE_OR_CLAUSE.split(block.text):
        at = block.text.find(sentence, at)
        kind: Kind | None = None
        if _someone_takes_work(ctx, sentence.strip()):
            kind = Kind("action", "a sentence of the minutes in which someone takes on work")
        elif _decided_here(sentence):
            kind = Kind("decision", "a sentence of the minutes states what was decided")
        if kind is not None:
            line = block.line_of(at)  # the line the sentence starts on
            out.append(
                _item(
                    ctx,
                    form="paragraph",
                    kind=kind,
                    text=sentence,
                    children=[],
                    line=line,
                    end_line=line,
                    parent=parent,
                )
            )
        at += len(sentence)
    return out
