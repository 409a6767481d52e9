"""Pipeline stage 3: the trackable items said in one meeting.

Each top-level list item or status-table row of a tracked (or highlight, or
other) section becomes one Item with its own text, owners, references, status
and source lines; nested list items are its detail. Ignored sections (MC, Who
joined, links) give no items. Exceptions, all seen in real notes:

- a grouping bullet ("Some items to check in from last time:") gives its
  children as the items;
- "ACTION:" / "AI:" / "TODO:" lines, at any depth, are items of kind "action";
- a person with "Done: …", "Blocked: …", "Next: …" children gives "person" items.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from digest.config.schema import TrackingConfig
from digest.model import Item, ItemKind, ListNode, Meeting, Paragraph, SectionRole, Status, TableRow
from digest.notes.owners import find_owners, project_names
from digest.notes.refs import canonical_refs, plain_links
from digest.notes.status import find_status
from digest.notes.text import plain_text

__all__ = ["extract_items", "section_role"]

_ACTION = re.compile(
    r"^\s*(?:\*\*|__)?(?:ACTION|Action|action|AI|TODO|ToDo|Todo|todo)(?:\s+items?)?\s*:\s*(?:\*\*|__)?\s*"
)
_PERSON_LABEL = re.compile(
    r"^\s*(?:\*\*|__)?(?P<label>done|blocked|blockers?|next|doing|in progress)"
    r"\s*(?::\s*(?:\*\*|__)?|(?:\*\*|__)\s*:)\s*",
    re.I,
)
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
)
_ROW_OWNER_HEADERS = {"owner", "owners", "assignee", "assignees", "who", "lead", "leads", "dri"}
_ROW_NOTE_HEADERS = {"notes", "note", "comment", "comments", "details", "links", "link", "eta"}
_ROW_STATUS_HEADERS = {"status", "state", "progress"}

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

# Headings repeat from meeting to meeting, and every section asks for its role:
# their normalized forms are cached (pure functions of a string).


@functools.lru_cache(maxsize=4096)
def _norm_heading(text: str) -> str:
    text = _PARENS.sub(" ", plain_text(text))  # "Agenda (please add items)", "Notes (optional)"
    text = text.lower()
    text = _NOT_HEADING_CHAR.sub(" ", text)
    return " ".join(text.split())


@functools.lru_cache(maxsize=4096)
def _singular(words: str) -> str:
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words.split())


@functools.lru_cache(maxsize=64)
def _open_sections(names: tuple[str, ...]) -> frozenset[str]:
    """[tracking] sections_open, normalized like headings (cached per config)."""
    return frozenset(_singular(_norm_heading(name)) for name in names)


@functools.lru_cache(maxsize=64)
def _wanted(names: tuple[str, ...]) -> tuple[str, ...]:
    """Configured section names as headings are compared: normalized, singular."""
    return tuple(w for w in (_singular(_norm_heading(name)) for name in names) if w)


def _matches(heading: str, names: Sequence[str], *, suffix: bool) -> bool:
    """Heading equals a configured name, or (suffix=True) ends with it as whole words."""
    head = _singular(heading)
    for want in _wanted(tuple(names)):
        if head == want or (suffix and head.endswith(" " + want)):
            return True
    return False


def section_role(path: tuple[str, ...], tracking: TrackingConfig) -> SectionRole:
    """Role of a section from its last heading: "This week's highlights:" -> highlight.

    Exact names win over suffix matches ("Next week MC" ends with "MC": ignored);
    a heading like "Proposals / Discussions" matches by any of its parts. A name in
    both sections_highlight and sections_tracked (the default "decisions") is a highlight.
    """
    if not path:
        return "other"
    heading = _norm_heading(path[-1])
    candidates = [heading, *(p.strip() for p in _HEADING_PARTS.split(heading))]
    candidates = [c for c in dict.fromkeys(candidates) if c]
    order: list[tuple[SectionRole, list[str]]] = [
        ("ignored", tracking.sections_ignored),
        ("highlight", tracking.sections_highlight),
        ("tracked", tracking.sections_tracked),
    ]
    for suffix in (False, True):
        for role, names in order:
            if any(_matches(c, names, suffix=suffix) for c in candidates):
                return role
    return "other"


def _words(text: str) -> list[str]:
    return _WORD.findall(plain_text(text, urls=False))


def _label(text: str) -> str:
    """Text without a leading owner bracket and emphasis: "[jason] **Topics:**" -> "Topics:"."""
    text = _OWNER_PREFIX.sub("", text)
    return _BOLD_MARKS.sub("", text).strip()


def _is_group(node: ListNode) -> bool:
    """A top-level bullet that only heads a list of items (its children are the items).

    In real notes such a header ends with ":" ("Some items to check in from last
    time (see notes from 2023-10-05):", "Notes:"), is all bold ("**Proposed
    roadmap items**"), or is a short label naming a list ("Main projects for 0.41").
    A bullet carrying a link, a question or a statement ("Status on memleaks …
    what else can we do? https://…") is a topic whose children are its discussion.
    """
    if not node.children or _ACTION.match(node.text):
        return False
    label = _label(node.text)
    if not label:
        return True
    if label.rstrip().endswith(":") and not _LINK_OR_URL.search(label):
        return True
    if label.endswith(":") and len(_words(label)) <= 12:
        return True
    if _LINK_OR_URL.search(label) or "?" in label:
        return False
    bare = _OWNER_PREFIX.sub("", node.text).strip()
    if _ALL_BOLD.fullmatch(bare):
        return True
    if any(_is_person_list(c) for c in node.children):
        return True  # "Updates" over "[chen]" over "Done: …"
    words = [w.lower() for w in _words(label)]
    return (
        len(node.children) >= 2
        and len(words) <= 6
        and any(w in _GROUP_WORDS for w in words)
        and all(len(_words(c.text)) >= 2 for c in node.children)
    )


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
    role: SectionRole
    section: tuple[str, ...]
    default_status: Status
    not_people: frozenset[str] = frozenset()  # the project's own names ("falco")

    def owners(self, text: str) -> list[str]:
        return find_owners(text, not_people=self.not_people)


def _item(
    ctx: _Context,
    *,
    kind: ItemKind,
    text: str,
    children: list[str],
    line: int,
    end_line: int,
    status: tuple[Status, str | None] | None = None,
    owners: list[str] | None = None,
    section: tuple[str, ...] | None = None,
    row_key: str | None = None,
) -> Item:
    m = ctx.meeting
    status_value: Status
    phrase: str | None
    if status is not None:
        status_value, phrase = status
    else:
        found = find_status(text, ctx.tracking)
        status_child = None
        if found is None:
            status_child = _status_child(children, ctx.tracking)
            found = find_status(status_child, ctx.tracking) if status_child else None
        status_value, phrase = found if found else (ctx.default_status, None)
        if status_value == "unknown" and kind == "action":
            status_value = "open"
        if status_child and owners is not None:
            # "- in progress @luca": who reported the status owns the work.
            owners = owners + [o for o in ctx.owners(status_child) if o not in owners]
    everything = "\n".join([text, *children])
    who = list(owners) if owners is not None else ctx.owners(_ACTION.sub("", text, count=1))
    return Item(
        meeting_id=m.id,
        series=m.series,
        meeting_date=m.date,
        kind=kind,
        role=ctx.role,
        section=section if section is not None else ctx.section,
        text=text.strip(),
        children=children,
        owners=who,
        refs=list(dict.fromkeys(r for t in [text, *children] for r in canonical_refs(t, ctx.org))),
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
    )


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
        bare = _REF.sub(" ", _HANDLES_AND_BRACKETS.sub(" ", bare))
        words = [w for w in _words(bare) if w.lower() not in _STATUS_FILLER]
        if not 0 < len(words) <= _MAX_STATUS_CHILD_WORDS:
            continue
        found = find_status(child, tracking)
        if found and 2 * len(_words(found[1])) > len(words):
            return child
    return None


def _flatten(nodes: list[ListNode]) -> list[str]:
    """Child texts, depth-first, nested ones indented by two spaces per level."""
    out: list[str] = []

    def walk(node: ListNode, depth: int) -> None:
        out.append("  " * depth + node.text)
        for child in node.children:
            walk(child, depth + 1)

    for n in nodes:
        walk(n, 0)
    return out


def _node_item(
    ctx: _Context, node: ListNode, section: tuple[str, ...], inherited: list[str]
) -> Item:
    text = node.text
    action = _ACTION.match(text)
    kind: ItemKind = "list"
    status: tuple[Status, str | None] | None = None
    if node.checked is not None:
        kind = "task"
        status = ("done", _STATUS_BOX[True]) if node.checked else ("open", _STATUS_BOX[False])
        later = find_status(text, ctx.tracking)
        if node.checked is False and later and later[0] != "done":
            status = later  # "- [ ] Docs -> postponed" keeps its phrase
    elif action:
        kind = "action"
    owners = ctx.owners(_ACTION.sub("", text, count=1)) or list(inherited)
    return _item(
        ctx,
        kind=kind,
        text=text,
        children=_flatten(node.children),
        line=node.line,
        end_line=node.end_line,
        status=status,
        owners=owners,
        section=section,
    )


def _nested_actions(ctx: _Context, node: ListNode, section: tuple[str, ...]) -> Iterator[Item]:
    """ACTION/TODO lines below a top-level item: actions even when written as detail."""
    for child in node.children:
        if _ACTION.match(child.text):
            rest = _ACTION.sub("", child.text, count=1).strip()
            if rest:
                yield _node_item(ctx, child, (*section, _label(node.text)), [])
            else:  # "- TODO:" heading its own list
                for grandchild in child.children:
                    yield _node_item(ctx, grandchild, (*section, _label(node.text)), [])
        else:
            yield from _nested_actions(ctx, child, section)


def _person_items(ctx: _Context, node: ListNode, section: tuple[str, ...]) -> Iterator[Item]:
    person = ctx.owners(node.text) or [_label(node.text).rstrip(":").strip().lower()]
    heading = _HEADING_MARKUP.sub("", node.text).rstrip(":").strip()
    for child in node.children:
        m = _PERSON_LABEL.match(child.text)
        if not m:
            continue
        label = m.group("label").lower()
        entries = [child.text[m.end() :].strip()] if child.text[m.end() :].strip() else []
        nodes: list[tuple[str, ListNode]] = [(e, child) for e in entries]
        nodes += [(g.text, g) for g in child.children]
        for text, source in nodes:
            if label == "done":
                status: tuple[Status, str | None] = ("done", m.group("label"))
            elif label.startswith("block"):
                status = ("open", m.group("label"))
            else:
                status = find_status(text, ctx.tracking) or ("open", m.group("label"))
            yield _item(
                ctx,
                kind="person",
                text=text,
                children=_flatten(source.children) if source is not child else [],
                line=source.line,
                end_line=source.end_line,
                status=status,
                owners=list(dict.fromkeys(person + ctx.owners(text))),
                section=(*section, heading),
            )


def _list_items(ctx: _Context, node: ListNode) -> Iterator[Item]:
    if _is_person_list(node):
        yield from _person_items(ctx, node, ctx.section)
        return
    if _is_group(node):
        # The header's text is kept as context in the section path; an owner on the
        # header ("[jason] **Topics**") is the owner of children that name none.
        section = (*ctx.section, _label(node.text).rstrip(":").strip())
        inherited = ctx.owners(node.text)
        for child in node.children:
            if _is_person_list(child):
                yield from _person_items(ctx, child, section)
                continue
            yield _node_item(ctx, child, section, inherited)
            yield from _nested_actions(ctx, child, section)
        return
    yield _node_item(ctx, node, ctx.section, [])
    yield from _nested_actions(ctx, node, ctx.section)


@functools.lru_cache(maxsize=1024)
def _header_kind(name: str) -> str:
    low = _norm_heading(name)
    first = low.split()[0] if low.split() else ""
    if low in _ROW_STATUS_HEADERS or first in _ROW_STATUS_HEADERS:
        return "status"
    if low in _ROW_OWNER_HEADERS or first in _ROW_OWNER_HEADERS:
        return "owner"
    if low in _ROW_NOTE_HEADERS or first in _ROW_NOTE_HEADERS:
        return "note"
    return "key"


def _row_key(values: list[str]) -> str:
    plain = [" ".join(_norm_heading(v).split()) for v in values]
    return " / ".join(p for p in plain if p)


def _table_items(ctx: _Context, rows: list[TableRow]) -> Iterator[Item]:
    carried: dict[str, str] = {}
    for row in rows:
        kinds = {h: _header_kind(h) for h in row.header}
        key_headers = [h for h in row.header if kinds[h] == "key"]
        cells = dict(row.cells)
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
        shown = [cells.get(h, "").strip() for h in row.header if kinds[h] != "status"]
        text = " — ".join(v for v in shown if v)
        status: tuple[Status, str | None] | None = None
        for h in row.header:
            cell = cells.get(h, "").strip()
            if kinds[h] == "status" and cell:
                found = find_status(cell, ctx.tracking)
                status = (found[0], cell) if found else ("unknown", cell)
                break
        if status is None:
            found = find_status(text, ctx.tracking)
            status = found if found else (ctx.default_status, None)
        owners: list[str] = []
        for h in row.header:
            if kinds[h] == "owner":
                cell = cells.get(h, "")
                named = ctx.owners(cell) or [
                    p.strip().lstrip("@").lower()
                    for p in _OWNER_SEPARATORS.split(cell)
                    if p.strip()
                ]
                owners.extend(n for n in named if n not in owners)
        if not owners:
            owners = ctx.owners(" ".join(keys))
        yield _item(
            ctx,
            kind="row",
            text=text,
            children=[],
            line=row.line,
            end_line=row.line,
            status=status,
            owners=owners,
            row_key=_row_key(keys),
        )


def extract_items(meeting: Meeting, tracking: TrackingConfig, *, org: str = "") -> list[Item]:
    """Items of `meeting`, in document order, according to the section rules in `tracking`."""
    items: list[Item] = []
    not_people = project_names(org)
    # A meeting written without sub-headings is all agenda: its lists are tracked.
    headingless = all(not s.path for s in meeting.sections)
    for section in meeting.sections:
        role = "tracked" if headingless else section_role(section.path, tracking)
        if role == "ignored":
            continue
        last = _norm_heading(section.path[-1]) if section.path else ""
        open_names = _open_sections(tuple(tracking.sections_open))
        default: Status = "open" if _singular(last) in open_names else "unknown"
        ctx = _Context(meeting, tracking, org, role, section.path, default, not_people)
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
            elif isinstance(block, Paragraph) and _ACTION.match(block.text):
                items.append(
                    _item(
                        ctx,
                        kind="action",
                        text=block.text,
                        children=[],
                        line=block.line,
                        end_line=block.line,
                    )
                )
    return items
