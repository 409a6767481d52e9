"""Render a Digest into a subject, a plain-text body and an HTML body (Jinja2).

The body is built ONCE per digest. It carries a placeholder for the reader's
unsubscribe URL and two marked variants of the unsubscribe paragraph (with a link,
or "how to leave the list"); `RenderedDigest.personalize` picks one and fills in the
URL with plain string operations, so mailing 10,000 subscribers costs 10,000
`str.replace` calls, not 10,000 template renders. The markers and the placeholder
are constants, so a body stored in the state DB can be personalized by a later run.

Templates: `[digest] templates_dir` first (a user may override just one file), then
the templates shipped with the program (see `package_templates_dir`).
"""

from __future__ import annotations

import html
import importlib.resources
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import css_inline
import jinja2

from digest.config.schema import Config, ConfigError
from digest.errors import UserError
from digest.mail.inline import clean_line, inline_html, inline_plain, is_safe_url, short_url
from digest.mail.message import subject_line
from digest.model import Digest, Entry, MeetingRef, SourceLink
from digest.periods import month_name

TEXT_WIDTH = 72
# An entry shows its first few references and "+N more": a roadmap row in the real
# notes cites 20 issues, which would drown the digest; the note line has them all.
MAX_REFS = 3

# Constants (not random): a stored body must be personalizable by a later process.
# Note text can never produce them (digest.mail.inline.clean_line defuses them).
UNSUBSCRIBE_URL = "DIGEST-UNSUBSCRIBE-URL-5b1e0c9d"
_LINK_START = "[[DIGEST-UNSUBSCRIBE-LINK-5b1e0c9d]]"
_LINK_END = "[[/DIGEST-UNSUBSCRIBE-LINK-5b1e0c9d]]"
_LIST_START = "[[DIGEST-UNSUBSCRIBE-LIST-5b1e0c9d]]"
_LIST_END = "[[/DIGEST-UNSUBSCRIBE-LIST-5b1e0c9d]]"
# The reader's preferences page (which series, pause): kept only when there is one.
PREFERENCES_URL = "DIGEST-PREFERENCES-URL-5b1e0c9d"
_PREFS_START = "[[DIGEST-PREFERENCES-5b1e0c9d]]"
_PREFS_END = "[[/DIGEST-PREFERENCES-5b1e0c9d]]"

TEMPLATE_NAMES = ("digest.html.j2", "digest.txt.j2", "subject.j2")

_SECTION_TITLES = {
    "highlights": "Highlights",
    "new": "New",
    "pending": "Still pending",
    "resolved": "Resolved",
    "quiet": "Gone quiet",
    "late": "Late notes",
}
_SECTION_BLURBS = {
    "highlights": "",
    "new": "Raised for the first time this month.",
    "pending": "Open before this month and still open.",
    "resolved": "Closed this month.",
    "quiet": "Still open, but not mentioned in recent meetings.",
    "late": "From notes committed after their own month's digest went out.",
}


@dataclass(frozen=True)
class RenderedDigest:
    """A digest rendered once, ready to be personalized per recipient."""

    subject: str  # one line, no CR/LF, length-capped
    text: str  # plain text, wrapped at 72 columns, with unsubscribe markers
    html: str  # full HTML document, CSS inlined, with unsubscribe markers

    def personalize(
        self, unsubscribe_url: str | None, preferences_url: str | None = None
    ) -> tuple[str, str]:
        """(text, html) for one recipient: their unsubscribe link, or how to leave the list;
        and their preferences page when there is one."""
        for url in (unsubscribe_url, preferences_url):
            if url is not None and not is_safe_url(url):
                raise UserError(
                    f"unsubscribe URL or link {url!r} must be an http(s) or mailto URL "
                    "without spaces; check [mail] unsubscribe_url and [web] base_url."
                )
        text, page = self.text, self.html
        if preferences_url:
            for marker in (_PREFS_START, _PREFS_END):
                text, page = text.replace(marker, ""), page.replace(marker, "")
            text = text.replace(PREFERENCES_URL, preferences_url)
            page = page.replace(PREFERENCES_URL, html.escape(preferences_url, quote=True))
        else:
            text = _cut_between(text, _PREFS_START, _PREFS_END)
            page = _cut_between(page, _PREFS_START, _PREFS_END)
        return _personal(text, page, unsubscribe_url)

    def public(self) -> str:
        """The HTML as the web archive shows it: no paragraph about who receives it."""
        page = self.html
        for start, end in ((_LINK_START, _LINK_END), (_LIST_START, _LIST_END)):
            page = _cut_between(page, start, end)
        return _cut_between(page, _PREFS_START, _PREFS_END)


def _personal(text: str, page: str, unsubscribe_url: str | None) -> tuple[str, str]:
    """Keep the unsubscribe paragraph's variant for this reader and fill in the link."""
    keep, drop = (
        ((_LINK_START, _LINK_END), (_LIST_START, _LIST_END))
        if unsubscribe_url
        else ((_LIST_START, _LIST_END), (_LINK_START, _LINK_END))
    )
    text = _cut_between(text, *drop)
    page = _cut_between(page, *drop)
    for marker in keep:
        text = text.replace(marker, "")
        page = page.replace(marker, "")
    if unsubscribe_url:
        text = text.replace(UNSUBSCRIBE_URL, unsubscribe_url)
        page = page.replace(UNSUBSCRIBE_URL, html.escape(unsubscribe_url, quote=True))
    return _tidy_text(text), page


def _cut_between(body: str, start: str, end: str) -> str:
    """Remove every start...end span (markers included)."""
    out: list[str] = []
    pos = 0
    while True:
        i = body.find(start, pos)
        if i < 0:
            break
        j = body.find(end, i)
        if j < 0:
            break
        out.append(body[pos:i])
        pos = j + len(end)
    out.append(body[pos:])
    return "".join(out)


_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy_text(text: str) -> str:
    """Collapse the blank lines left where a marked paragraph was removed."""
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n") + "\n"


# ---- templates ---------------------------------------------------------------


def package_templates_dir() -> Path:
    """The templates shipped with the program.

    In a source checkout or an editable install they are the repository's
    `templates/` folder next to the `digest` package. In an installed wheel they are
    package data at `digest/templates/` (pyproject maps `templates/` there).
    """
    package = Path(__file__).resolve().parents[1]  # digest/, this file is digest/mail/
    beside = package.parent / "templates"
    if (beside / "digest.html.j2").is_file():
        return beside
    shipped = Path(str(importlib.resources.files("digest") / "templates"))
    if (shipped / "digest.html.j2").is_file():
        return shipped
    raise UserError(
        f"the digest templates are missing (looked in {beside} and {shipped}); "
        "reinstall notes-digest or set [digest] templates_dir."
    )


def _autoescape(name: str | None) -> bool:
    # HTML templates escape everything; text and subject templates must not (no "&amp;").
    return name is None or name.endswith((".html.j2", ".html", ".htm"))


def template_env(cfg: Config) -> jinja2.Environment:
    """The Jinja2 environment: the user's templates_dir first, then the shipped ones."""
    search: list[str] = []
    if cfg.digest.templates_dir:
        custom = cfg.resolve(cfg.digest.templates_dir)
        if not custom.is_dir():
            raise ConfigError(
                f"{cfg.path}: [digest] templates_dir {cfg.digest.templates_dir!r} is not a "
                f"folder ({custom})."
            )
        search.append(str(custom))
    search.append(str(package_templates_dir()))
    return _environment(tuple(search))


@lru_cache(maxsize=8)
def _environment(search: tuple[str, ...]) -> jinja2.Environment:
    # Cached: compiling the templates costs more than rendering them. Jinja still
    # reloads a template whose file changed (auto_reload).
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(search)),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.do"],
    )
    env.filters["md"] = inline_html
    env.filters["plain"] = lambda text: inline_plain(str(text)).text
    env.filters["wrap"] = wrap
    env.filters["month"] = month_name
    return env


def wrap(
    text: str, indent: str = "", subsequent: str | None = None, width: int = TEXT_WIDTH
) -> str:
    """Wrap a paragraph at `width` columns; URLs are never broken, only moved.

    A footnote mark stays on the line of the word before it: a lone "[4]" on a line
    of its own reads like a stray. (textwrap breaks only at ASCII whitespace, so a
    NUL, which clean_line keeps out of note text, glues the two until the end.)
    """
    import textwrap

    lines = textwrap.wrap(
        _FOOTNOTE_MARK.sub("\0\\1", text),
        width=width,
        initial_indent=indent,
        subsequent_indent=indent if subsequent is None else subsequent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return "\n".join(line.replace("\0", " ") for line in lines) if lines else indent.rstrip()


_FOOTNOTE_MARK = re.compile(r" (\[\d+\])")


def age_phrase(since: date, until: date) -> str:
    """How long something has been open, the way a person says it: "open 9 weeks"."""
    days = max((until - since).days, 0)
    if days < 14:
        amount = f"{days} day" + ("" if days == 1 else "s")
    elif days < 91:
        amount = f"{days // 7} weeks"
    elif days < 730:
        months = round(days / 30.44)
        amount = f"{months} months"
    else:
        years = days // 365
        amount = f"{years} years"
    return f"open {amount}"


def times_phrase(n: int) -> str:
    return {1: "raised once", 2: "raised twice"}.get(n, f"raised {n} times")


# ---- the view model handed to templates -------------------------------------


@dataclass
class Link:
    """A link as the templates see it: text, safe URL (or None), footnote number."""

    label: str
    url: str | None
    note: int | None = None  # footnote number in the text version


@dataclass
class EntryView:
    title_html: Any  # Markup
    title_text: str
    status: str
    status_phrase: str
    previous_status: str
    owners: list[str]
    owners_in_title: bool  # every owner is already named in the title ("[jun] ...")
    refs: list[Link]  # all references not already visible in the title
    first_seen: date
    last_seen: date
    times_raised: int
    times: str
    age: str
    late: bool
    source: Link
    where: str  # "path:line"
    title_links: list[Link] = field(default_factory=list)  # links inside the title

    @property
    def shown_refs(self) -> list[Link]:
        """The references the digest shows: the first MAX_REFS."""
        return self.refs[:MAX_REFS]

    @property
    def more_refs(self) -> int:
        """How many references are left out ("+17 more")."""
        return max(len(self.refs) - MAX_REFS, 0)

    @property
    def title_notes(self) -> str:
        """Footnote marks of the title's own links, e.g. "[4] [5]" (text version)."""
        return " ".join(f"[{link.note}]" for link in self.title_links if link.note)


@dataclass
class SectionView:
    key: str
    title: str
    blurb: str
    entries: list[EntryView]  # shown in full
    more: list[EntryView] = field(default_factory=list)  # listed one line each

    @property
    def total(self) -> int:
        return len(self.entries) + len(self.more)


class _Footnotes:
    """Numbers URLs for the plain-text version: each distinct URL gets one number."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def number(self, url: str | None) -> int | None:
        if not url:
            return None
        if url not in self.urls:
            self.urls.append(url)
        return self.urls.index(url) + 1


def _source_link(source: SourceLink, notes: _Footnotes) -> Link:
    """The note line an entry comes from; linked only when the URL is http(s).

    A linked source is labelled with the file name only ("release-0.37.0.md:118"):
    the folder is the same for every entry and the link holds the full path. Without
    a link the full path is the only way to find the line, so it is kept.
    """
    url = source.url if is_safe_url(source.url) and source.url.startswith("http") else None
    path = source.path.rsplit("/", 1)[-1] if url else source.path
    return Link(label=clean_line(f"{path}:{source.line}"), url=url, note=notes.number(url))


# Task boxes are statuses too, but "[x]" reads badly in a sentence.
_BOX_PHRASES = {"[x]": "box ticked", "[ ]": "open task", "[]": "open task"}


def status_words(phrase: str | None) -> str:
    """A status phrase as shown to readers: one clean line, task boxes in words."""
    text = clean_line(phrase or "")
    return _BOX_PHRASES.get(text.lower(), text)


def _previous_words(phrase: str | None) -> str:
    # "unknown" means the item had no status word before; "(was “unknown”)" says nothing.
    words = status_words(phrase)
    return "" if words.lower() == "unknown" else words


def _named_in(owners: Sequence[str], text: str) -> bool:
    """True when every owner already appears in the text as a word ("[Andrea] ...")."""
    return bool(owners) and all(
        re.search(rf"(?<![\w-]){re.escape(owner)}(?![\w-])", text, re.IGNORECASE)
        for owner in owners
    )


# A numbered proposal's key, "SLEP-6" (digest.notes.refs): shown when the title writes
# it in any form ("SLEP006", "SLEP 6").
_PROPOSAL_KEY = re.compile(r"(?P<kind>[A-Z]{2,5})-(?P<num>\d+)")


def _proposal_shown(ref: str, text: str) -> bool:
    key = _PROPOSAL_KEY.fullmatch(ref)
    return key is not None and (
        re.search(rf"(?<![\w/.-]){key['kind']}[- ]?#?0*{key['num']}(?!\d)", text) is not None
    )


def _trailing_number(ref: str) -> str:
    """ "12" of "org/repo#12" and of "gitlab.com/g/p/-/issues/12"."""
    found = re.search(r"\d+$", ref)
    return found.group(0) if found else ref


def _ref_link(ref: str) -> Link:
    # Canonical refs are "org/repo#N", normalized from GitHub URLs by digest.notes.refs,
    # or another forge's address without its scheme ("gitlab.com/g/p/-/issues/12").
    m = re.fullmatch(r"([\w.-]+)/([\w.-]+)#(\d+)", ref)
    if m:
        url = f"https://github.com/{m.group(1)}/{m.group(2)}/issues/{m.group(3)}"
        return Link(label=clean_line(ref), url=url)
    jira = _JIRA_REF.fullmatch(ref)
    if jira:  # the key as Jira writes it, in the link too
        key = jira["key"].upper()
        return Link(label=clean_line(key), url=f"https://{ref[: jira.start('key')]}{key}")
    forge = _FORGE_REF.fullmatch(ref)
    if forge:
        mark = "!" if forge["kind"] == "merge_requests" else "#"
        label = f"{forge['path']}{mark}{forge['num']}"
        return Link(label=clean_line(label), url=f"https://{ref}")
    return Link(label=clean_line(ref), url=None)


# "issues.apache.org/jira/browse/kafka-1234" -> "KAFKA-1234"
_JIRA_REF = re.compile(r"[\w./-]+/browse/(?P<key>[a-z][a-z0-9_]+-\d+)")
# "gitlab.com/group/proj/-/issues/12" -> "group/proj#12"; "…/-/merge_requests/7" -> "…!7"
_FORGE_REF = re.compile(
    r"[\w.-]+/(?P<path>[\w.-]+(?:/[\w.-]+)*?)(?:/-)?/(?P<kind>issues|merge_requests|work_items)"
    r"/(?P<num>\d+)"
)


def _entry_view(entry: Entry, end: date, notes: _Footnotes) -> EntryView:
    plain = inline_plain(entry.title)
    source = _source_link(entry.source, notes)
    title_links = [Link(label=short_url(u), url=u, note=notes.number(u)) for u in plain.links]
    mentioned = plain.text + " " + " ".join(plain.links)
    # A ref already visible in the title (as a link or "repo#N") is not repeated;
    # "#12" must not hide a ref to #123, hence the digit look-ahead.
    refs = [
        _ref_link(r)
        for r in entry.refs
        if not (
            _proposal_shown(r, mentioned)
            or re.search(rf"[#/!-]{re.escape(_trailing_number(r))}(?!\d)", mentioned)
        )
    ]
    owners = [clean_line(o) for o in entry.owners if clean_line(o)]
    return EntryView(
        title_html=inline_html(entry.title, tuple(entry.refs)),
        title_text=plain.text,
        status=entry.status,
        status_phrase=status_words(entry.status_phrase),
        previous_status=_previous_words(entry.previous_status),
        owners=owners,
        owners_in_title=_named_in(owners, plain.text),
        refs=refs,
        first_seen=entry.first_seen,
        last_seen=entry.last_seen,
        times_raised=entry.times_raised,
        times=times_phrase(entry.times_raised),
        age=age_phrase(entry.first_seen, end),
        late=entry.late,
        source=source,
        where=clean_line(f"{entry.source.path}:{entry.source.line}"),
        title_links=title_links,
    )


def _meeting_view(meeting: MeetingRef, series: str, notes: _Footnotes) -> dict[str, Any]:
    source = _source_link(meeting.source, notes)
    title = inline_plain(meeting.title).text
    # Titles usually start with their own date ("2026-10-01 Maintainers"); say it once.
    day = meeting.date.isoformat()
    said_once = title.replace(f"({day})", "").removeprefix(day).removesuffix(day)
    title = said_once.strip(" -—:,")  # "" when the title was only the date
    # A title that only repeats the series ("Falco Community Call" five times in the
    # same digest) is left out: the date says which meeting it is.
    if title.casefold() == clean_line(series).casefold():
        title = ""
    not_held = clean_line(meeting.not_held)
    if not_held and title.casefold().strip(" !.") in not_held.casefold():
        title = ""  # "2026-03-04 No call!" as heading and as notice: once
    return {
        "title": title,
        "date": meeting.date,
        "source": source,
        "not_held": not_held,
    }


def summary_counts(digest: Digest) -> list[tuple[int, str]]:
    """(count, word) for the subject and preheader, zero counts omitted."""
    counts = [
        (len(digest.new), "new"),
        (len(digest.pending), "pending"),
        (len(digest.resolved), "resolved"),
        (len(digest.quiet), "quiet"),
        (len(digest.late), "late"),
    ]
    return [(n, word) for n, word in counts if n]


def build_context(
    digest: Digest,
    cfg: Config,
    *,
    now: datetime | None = None,
    notice: Sequence[str] = (),
    archive_url: str | None = None,
) -> dict[str, Any]:
    """Everything the templates see. Pure: same digest, config and now, same context.

    `notice`: sentences shown above the digest (a preview says so when a source could
    not be read); a mailed digest has none. `archive_url`: where the web archive
    publishes this digest ("view in browser").
    """
    now = now or datetime.now(UTC)
    end = digest.period.last_day
    notes = _Footnotes()
    meetings = [
        _meeting_view(m, digest.series, notes)
        for m in sorted(digest.meetings, key=lambda m: m.date)
    ]
    sections: list[SectionView] = []
    for key in Digest.BUCKETS:
        entries: Sequence[Entry] = getattr(digest, key)
        if entries:
            # A digest read in two minutes: the most telling entries in full (buckets
            # order them), the rest one line each; what went quiet is one short list.
            shown = 0 if key == "quiet" else max(cfg.digest.max_entries, 0)
            views = [_entry_view(e, end, notes) for e in entries]
            sections.append(
                SectionView(
                    key=key,
                    title=_SECTION_TITLES[key],
                    blurb=_SECTION_BLURBS[key],
                    entries=views[:shown],
                    more=views[shown:],
                )
            )
    counts = summary_counts(digest)
    summary = ", ".join(f"{n} {word}" for n, word in counts)
    mail = cfg.mail
    return {
        "title": clean_line(cfg.digest.title),
        "series": clean_line(digest.series),
        "period": str(digest.period),
        "period_name": digest.period.name,
        "compared_to": str(digest.compared_to) if digest.compared_to else None,
        "compared_to_name": month_name(digest.compared_to),
        "meetings": meetings,
        "sections": sections,
        "more_anywhere": any(s.more and s.key != "quiet" for s in sections),
        "is_empty": digest.is_empty() and not digest.meetings,
        "counts": counts,
        "summary": summary,
        "preheader": _preheader(digest, summary),
        "intro": _intro(digest),
        "footnotes": list(enumerate(notes.urls, 1)),
        "built_on": now.date(),
        # Sources feeding this series that could not be read: the footer says so.
        "stale": [clean_line(s.source) for s in digest.stale],
        "notice": [clean_line(n) for n in notice],
        "archive_url": archive_url if archive_url and is_safe_url(archive_url) else None,
        "preferences": {
            "url": PREFERENCES_URL,
            "start": _PREFS_START,
            "end": _PREFS_END,
        },
        "unsubscribe": {
            "url": UNSUBSCRIBE_URL,
            "link_start": _LINK_START,
            "link_end": _LINK_END,
            "list_start": _LIST_START,
            "list_end": _LIST_END,
            "list_address": clean_line(mail.list_address),
            "mailto": clean_line(mail.unsubscribe_mailto),
            "sender": clean_line(mail.sender),
        },
        "width": TEXT_WIDTH,
    }


def _intro(digest: Digest) -> str:
    """ "2 meetings in October 2026, compared with September 2026." """
    month = digest.period.name
    n = _held(digest)
    said = f"{n} meeting{'' if n == 1 else 's'} in {month}" if n else f"No meetings in {month}"
    if called_off := len(digest.meetings) - n:
        said += f" ({called_off}{' more' if n else ''} cancelled)"
    if digest.compared_to:
        said += f", compared with {month_name(digest.compared_to)}"
    return said + "."


def _held(digest: Digest) -> int:
    """The meetings that took place (not those the notes say were cancelled)."""
    return sum(1 for m in digest.meetings if not m.not_held)


def _preheader(digest: Digest, summary: str) -> str:
    month = digest.period.name
    if not digest.meetings and digest.is_empty():
        return f"No meetings in {month}."
    n = _held(digest)
    meetings = f"{n} meeting" + ("" if n == 1 else "s")
    return f"{digest.series}, {month}: {meetings}" + (f"; {summary}." if summary else ".")


def render_digest(
    digest: Digest,
    cfg: Config,
    *,
    now: datetime | None = None,
    notice: Sequence[str] = (),
    archive_url: str | None = None,
) -> RenderedDigest:
    """Subject, text and HTML of one digest (built once; see RenderedDigest.personalize)."""
    env = template_env(cfg)
    context = build_context(digest, cfg, now=now, notice=notice, archive_url=archive_url)
    subject = subject_line(_render(env, "subject.j2", context))
    text = _tidy_text(_render(env, "digest.txt.j2", context))
    page = inline_css(_render(env, "digest.html.j2", context))
    return RenderedDigest(subject=subject, text=text, html=page)


def _render(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise UserError(
            f"template {exc.filename or name}, line {exc.lineno}: {exc.message}."
        ) from None
    except jinja2.TemplateNotFound:
        raise UserError(f"template {name} is missing from the templates folder.") from None
    except jinja2.UndefinedError as exc:
        raise UserError(f"template {name}: {exc.message}.") from None


_INLINER = css_inline.CSSInliner(
    # @media (prefers-color-scheme: dark) cannot be inlined: keep it in <style>.
    keep_style_tags=False,
    keep_at_rules=True,
    load_remote_stylesheets=False,
)


def inline_css(page: str) -> str:
    """Move the <style> rules onto the elements (many mail clients drop <style>)."""
    try:
        inlined = str(_INLINER.inline(page))
    except ValueError as exc:  # css_inline raises InlineError (a ValueError) on bad CSS
        raise UserError(f"the HTML template's CSS cannot be inlined: {exc}.") from None
    return charset_first(inlined)


_HEAD = re.compile(r"<head(?:\s[^>]*)?>", re.IGNORECASE)
_CHARSET = re.compile(r"<meta\s+charset\s*=\s*[\"']?[\w-]+[\"']?\s*/?>", re.IGNORECASE)


def charset_first(page: str) -> str:
    """Put <meta charset> first in <head>, where HTML wants it (within the first 1024
    bytes, before any text): css-inline writes the @media rules it keeps at the top."""
    head, charset = _HEAD.search(page), _CHARSET.search(page)
    if head is None or charset is None or charset.start() < head.end():
        return page
    if not page[head.end() : charset.start()].strip():
        return page  # already first
    tag = charset.group(0)
    page = page[: charset.start()] + page[charset.end() :]
    return page[: head.end()] + tag + page[head.end() :]


def render_all(
    digests: Iterable[Digest], cfg: Config, *, now: datetime | None = None
) -> list[RenderedDigest]:
    return [render_digest(d, cfg, now=now) for d in digests]
