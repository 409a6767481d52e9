"""Rendering a digest: subject, plain text, HTML, personalization, hostile note text."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from digest.config.schema import Config, ConfigError
from digest.mail.inline import inline_html, inline_plain
from digest.mail.render import (
    TEXT_WIDTH,
    UNSUBSCRIBE_URL,
    RenderedDigest,
    age_phrase,
    render_digest,
    template_env,
)
from digest.model import Digest, Entry, MeetingRef, SourceLink, StaleSource
from digest.periods import Period

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
WEB = "https://git.example.org/lanternfish/notes/src/branch/main/"
NOTE = "2026-10-01-lanternfish-maintainers.md"


def link(line: int, path: str = NOTE) -> SourceLink:
    return SourceLink(path=path, line=line, commit="0f3c2a1", url=f"{WEB}{path}#L{line}")


def entry(
    title: str,
    *,
    status: str = "open",
    phrase: str | None = None,
    owners: tuple[str, ...] = (),
    refs: tuple[str, ...] = (),
    first: date = date(2026, 10, 1),
    last: date = date(2026, 10, 1),
    times: int = 1,
    previous: str | None = None,
    line: int = 10,
    source: SourceLink | None = None,
) -> Entry:
    return Entry(
        title=title,
        status=status,  # type: ignore[arg-type]
        status_phrase=phrase,
        owners=list(owners),
        refs=list(refs),
        first_seen=first,
        last_seen=last,
        times_raised=times,
        source=source or link(line),
        previous_status=previous,
    )


def full_digest() -> Digest:
    """A digest with every bucket filled, about the invented Lanternfish project."""
    return Digest(
        series="Lanternfish Maintainers",
        period=Period(2026, 10),
        compared_to=Period(2026, 9),
        meetings=[
            MeetingRef("2026-10-01 Lanternfish Maintainers (monthly)", date(2026, 10, 1), link(1))
        ],
        highlights=[entry("Lanternfish **1.4.0** is out, with the disk spool", line=9)],
        new=[
            entry(
                "[jun] spike the OTLP exporter, "
                "https://github.com/lanternfish-dev/lanternfish/issues/231 -> in flight",
                phrase="in flight",
                owners=("jun",),
                refs=("lanternfish-dev/lanternfish#231",),
                line=24,
            ),
        ],
        pending=[
            entry(
                "Kubernetes metadata enrichment for container logs",
                phrase="in progress",
                owners=("tkemp", "mara"),
                refs=("lanternfish-dev/lanternfish#187",),
                first=date(2026, 8, 6),
                times=3,
                previous="TBD",
                line=19,
            )
        ],
        resolved=[
            entry(
                "Reliability — Disk spool for back-pressure",
                status="done",
                phrase="Done in 1.4",
                first=date(2026, 7, 2),
                times=2,
                line=36,
            )
        ],
        quiet=[
            entry(
                "[jun] Write a blog post about the 1.3 throughput benchmarks",
                owners=("jun",),
                first=date(2026, 7, 2),
                last=date(2026, 8, 6),
                times=2,
                source=link(21, "2026-08-06-lanternfish-maintainers.md"),
            )
        ],
        late=[
            entry(
                "[priya] write the upgrade notes for the spool.dir rename",
                owners=("priya",),
                first=date(2026, 9, 3),
                last=date(2026, 9, 3),
                source=link(30, "2026-09-03-lanternfish-maintainers.md"),
            )
        ],
    )


def config(tmp_path: Path, **mail: str) -> Config:
    cfg = Config(path=tmp_path / "config.toml")
    cfg.digest.title = "Lanternfish meeting digest"
    cfg.mail.list_address = "lanternfish-dev@lists.example.org"
    for key, value in mail.items():
        setattr(cfg.mail, key, value)
    return cfg


class _Tags(HTMLParser):
    """Collects start tags and their attributes; the stdlib parser never executes anything."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


class _Visible(HTMLParser):
    """The text a reader sees: no <style>, no <title>, whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "title"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible(page: str) -> str:
    parser = _Visible()
    parser.feed(page)
    return " ".join("".join(parser.parts).split())


def tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser.tags


# ---- the digest a reader gets --------------------------------------------------


def test_subject_counts_the_buckets(tmp_path: Path) -> None:
    rendered = render_digest(full_digest(), config(tmp_path), now=NOW)
    assert rendered.subject == (
        "Lanternfish Maintainers digest — October 2026: "
        "1 new, 1 pending, 1 resolved, 1 quiet, 1 late"
    )


def test_every_bucket_is_in_both_versions(tmp_path: Path) -> None:
    rendered = render_digest(full_digest(), config(tmp_path), now=NOW)
    text, html = rendered.personalize(None)
    page = visible(html)
    for heading in ("Highlights", "New", "Still pending", "Resolved", "Gone quiet", "Late notes"):
        assert f"{heading} (1)" in page
        assert f"{heading.upper()} (1)" in text
    for body in (text, page):
        assert "compared with September 2026" in body
        assert "open 12 weeks" in body  # 2026-08-06 to the end of October
        assert "tkemp, mara" in body
        assert "raised 3 times" in body
        assert "Done in 1.4" in body
        assert "last mentioned 2026-08-06" in body
        assert "from notes of 2026-09-03" in body
    # pending shows the status before the period next to the last one
    assert "last status “in progress” (was “TBD”)" in page
    assert 'last status "in progress" (was "TBD")' in " ".join(text.split())


def test_entries_link_to_their_source_line(tmp_path: Path) -> None:
    text, page = render_digest(full_digest(), config(tmp_path), now=NOW).personalize(None)
    hrefs = [a.get("href") for tag, a in tags(page) if tag == "a"]
    for line in (1, 9, 24, 19, 36):
        assert f"{WEB}{NOTE}#L{line}" in hrefs
    assert f"{WEB}2026-08-06-lanternfish-maintainers.md#L21" in hrefs
    # the text version numbers the same URLs as footnotes
    assert f"[1] {WEB}{NOTE}#L1" in text
    assert "Lanternfish 1.4.0 is out, with the disk spool [2]" in text


def test_source_without_web_url_is_shown_not_linked(tmp_path: Path) -> None:
    digest = full_digest()
    local = SourceLink(path="notes/2026-10-01.md", line=7, commit=None, url="notes/2026-10-01.md:7")
    digest.new = [entry("Ship the arm64 images", source=local)]
    text, page = render_digest(digest, config(tmp_path), now=NOW).personalize(None)
    assert "notes/2026-10-01.md:7" in page
    assert all(a.get("href") != local.url for tag, a in tags(page) if tag == "a")
    assert "notes/2026-10-01.md:7" in text


def test_late_notes_of_several_meetings_give_their_days(tmp_path: Path) -> None:
    digest = full_digest()
    digest.late = [
        entry(
            "9 meetings in release-1.3.md",
            first=date(2026, 1, 29),
            last=date(2026, 5, 21),
            source=link(13, "release-1.3.md"),
        )
    ]
    text, html = render_digest(digest, config(tmp_path), now=NOW).personalize(None)
    for body in (text, visible(html)):
        assert "from notes of 2026-01-29 to 2026-05-21" in " ".join(body.split())


def test_empty_buckets_are_left_out(tmp_path: Path) -> None:
    digest = full_digest()
    digest.quiet = []
    digest.late = []
    text, html = render_digest(digest, config(tmp_path), now=NOW).personalize(None)
    page = visible(html)
    assert "Gone quiet" not in page and "GONE QUIET" not in text
    assert "Late notes" not in page and "LATE NOTES" not in text


def test_a_month_without_meetings_says_so(tmp_path: Path) -> None:
    empty = Digest(
        series="Lanternfish Maintainers", period=Period(2026, 12), compared_to=Period(2026, 10)
    )
    rendered = render_digest(empty, config(tmp_path), now=NOW)
    text, html = rendered.personalize(None)
    page = visible(html)
    assert "No meetings in December 2026" in text
    assert "No meetings in December 2026" in page
    assert rendered.subject == "Lanternfish Maintainers digest — December 2026: no meetings"


def test_a_meeting_that_did_not_take_place_is_listed_as_such_and_not_counted(
    tmp_path: Path,
) -> None:
    digest = full_digest()
    notice = "Cancelled: <b>no quorum</b>"  # the notes' words: untrusted, shown as text
    digest.meetings.append(MeetingRef("2026-10-15", date(2026, 10, 15), link(2), notice))
    rendered = render_digest(digest, config(tmp_path), now=NOW)
    text, html = rendered.personalize(None)
    assert "1 meeting in October 2026 (1 more cancelled), compared with September" in text
    assert "- 2026-10-15, not held: Cancelled: <b>no quorum</b>" in text
    page = visible(html)
    assert "1 meeting in October 2026 (1 more cancelled)" in page
    assert "2026-10-15 not held: Cancelled: <b>no quorum</b>" in page
    assert "<b>no quorum" not in html and "&lt;b&gt;no quorum" in html
    assert "Lanternfish Maintainers, October 2026: 1 meeting; 1 new" in page  # preheader
    digest.meetings = digest.meetings[1:]
    alone = render_digest(digest, config(tmp_path), now=NOW).personalize(None)[0]
    assert "No meetings in October 2026 (1 cancelled)" in alone


def test_html_is_an_email_safe_document(tmp_path: Path) -> None:
    page = render_digest(full_digest(), config(tmp_path), now=NOW).personalize(None)[1]
    assert page.lstrip().lower().startswith("<!doctype html>")
    names = [tag for tag, _ in tags(page)]
    assert "script" not in names and "img" not in names
    assert "table" in names
    # CSS inlined onto the elements, the dark-mode block kept in <style>
    assert 'class="card"' in page and 'style="' in page
    assert "@media (prefers-color-scheme: dark)" in page
    # hidden preheader with the summary, first thing in the body
    preheader = next(a for tag, a in tags(page) if tag == "div" and a.get("class") == "preheader")
    assert "display: none" in (preheader.get("style") or "")
    assert "Lanternfish Maintainers, October 2026: 1 meeting; 1 new" in visible(page)


def test_text_reads_at_72_columns(tmp_path: Path) -> None:
    digest = full_digest()
    digest.new.append(
        entry(
            "A very long agenda item that goes on and on about buffering, batching, retries "
            "and the many ways an output can apply back-pressure to the inputs feeding it",
            owners=("ossi",),
        )
    )
    text = render_digest(digest, config(tmp_path), now=NOW).personalize(None)[0]
    for line in text.splitlines():
        if len(line) > TEXT_WIDTH:
            # only an unbreakable URL may stick out
            assert "://" in line and len(line.split()) <= 2, line
    assert "\r" not in text and "\t" not in text


def test_a_footnote_mark_is_never_alone_on_a_line(tmp_path: Path) -> None:
    digest = full_digest()
    title = "Document the API and the data flow between the agent and its outputs"
    assert len("  * " + title) == TEXT_WIDTH  # the mark would fall on a line of its own
    digest.new = [entry(title, line=27)]
    text = render_digest(digest, config(tmp_path), now=NOW).personalize(None)[0]
    assert not [line for line in text.splitlines() if re.fullmatch(r"\s*\[\d+\]", line)]
    assert "    outputs [" in text


def test_an_entry_shows_three_references_and_counts_the_rest(tmp_path: Path) -> None:
    """A roadmap row citing 20 issues must not drown the digest."""
    digest = full_digest()
    refs = tuple(f"lanternfish-dev/lanternfish#{n}" for n in range(301, 321))
    digest.pending = [entry("Rework the filter language", refs=refs, owners=("ossi",), line=44)]
    text, page = render_digest(digest, config(tmp_path), now=NOW).personalize(None)
    flat = " ".join(text.split())
    assert (
        "lanternfish-dev/lanternfish#301 · lanternfish-dev/lanternfish#302 · "
        "lanternfish-dev/lanternfish#303 · +17 more"
    ) in flat
    assert "#304" not in text
    hrefs = [a.get("href") for tag, a in tags(page) if tag == "a"]
    issues = [h for h in hrefs if h and "/issues/3" in h]
    assert issues == [
        f"https://github.com/lanternfish-dev/lanternfish/issues/{n}" for n in (301, 302, 303)
    ]
    assert "+17 more" in visible(page)
    # "+17 more" leads to the note line, where all of them are listed
    more = page.split("+17 more")[0].rsplit("<a", 1)[1]
    assert f'href="{WEB}{NOTE}#L44"' in more


def test_another_forges_reference_links_to_it_with_a_short_label(tmp_path: Path) -> None:
    digest = full_digest()
    refs = (
        "gitlab.com/lanternfish/core/-/issues/12",
        "gitlab.com/lanternfish/core/-/merge_requests/7",
        "issues.example.org/jira/browse/lant-42",
    )
    digest.pending = [entry("Rework the filter language", refs=refs, line=44)]
    text, page = render_digest(digest, config(tmp_path), now=NOW).personalize(None)
    assert "lanternfish/core#12 · lanternfish/core!7 · LANT-42" in " ".join(text.split())
    hrefs = [a.get("href") for tag, a in tags(page) if tag == "a"]
    assert "https://gitlab.com/lanternfish/core/-/issues/12" in hrefs
    assert "https://gitlab.com/lanternfish/core/-/merge_requests/7" in hrefs
    assert "https://issues.example.org/jira/browse/LANT-42" in hrefs


def test_a_reference_shown_in_the_title_is_not_repeated(tmp_path: Path) -> None:
    digest = full_digest()
    digest.new = [
        entry(
            "Fix the retry loop, see #12",
            refs=("lanternfish-dev/lanternfish#12", "lanternfish-dev/lanternfish#123"),
        )
    ]
    text = render_digest(digest, config(tmp_path), now=NOW).personalize(None)[0]
    assert "lanternfish-dev/lanternfish#123" in text  # "#12" does not hide #123
    assert not re.search(r"lanternfish#12(?!\d)", text)  # already in the title


def test_a_proposal_named_in_the_title_is_not_repeated(tmp_path: Path) -> None:
    digest = full_digest()
    digest.new = [entry("SLEP006: routing for meta-estimators", refs=("SLEP-6", "PEP-703"))]
    text = render_digest(digest, config(tmp_path), now=NOW).personalize(None)[0]
    assert "PEP-703" in text and "SLEP-6" not in text


def test_owners_are_labelled_and_not_repeated_from_the_title(tmp_path: Path) -> None:
    digest = full_digest()
    text, page = render_digest(digest, config(tmp_path), now=NOW).personalize(None)
    for body in (" ".join(text.split()), visible(page)):
        assert "owners: tkemp, mara" in body
        # "[jun] spike the OTLP exporter" already names its owner
        assert "owner: jun" not in body and "owners: jun" not in body


def test_no_earlier_status_is_not_shown_as_unknown(tmp_path: Path) -> None:
    digest = full_digest()
    digest.pending[0].previous_status = "unknown"
    text, page = render_digest(digest, config(tmp_path), now=NOW).personalize(None)
    for body in (" ".join(text.split()), visible(page)):
        assert "last status" in body
        assert "unknown" not in body


def test_bare_github_links_read_short_in_the_text_version(tmp_path: Path) -> None:
    url = "https://github.com/lanternfish-dev/lanternfish/pull/240#issuecomment-1914957979"
    digest = full_digest()
    digest.new = [entry(f"Comment on the spool PR: {url} before Friday", line=27)]
    text = render_digest(digest, config(tmp_path), now=NOW).personalize(None)[0]
    flat = " ".join(text.split())
    assert "Comment on the spool PR: lanternfish-dev/lanternfish#240 before Friday" in flat
    number = next(line for line in text.splitlines() if line.endswith(url)).split("]")[0]
    assert f"links {number}]" in flat  # the exact URL, comment anchor included, is a footnote


def test_linked_sources_are_labelled_by_file_name(tmp_path: Path) -> None:
    digest = full_digest()
    nested = SourceLink(
        path="meeting-notes/2026-10-01.md", line=12, commit="0f3c2a1", url=f"{WEB}x.md#L12"
    )
    digest.new = [entry("Ship the arm64 images", source=nested)]
    page = render_digest(digest, config(tmp_path), now=NOW).personalize(None)[1]
    assert f'href="{WEB}x.md#L12"' in page.split(">2026-10-01.md:12</a>")[0].rsplit("<a ", 1)[1]
    assert "meeting-notes/2026-10-01.md" not in visible(page)


def test_meeting_titles_that_repeat_the_series_are_left_out(tmp_path: Path) -> None:
    digest = full_digest()
    digest.series = "Lanternfish Community Call"
    digest.meetings = [
        MeetingRef("Lanternfish Community Call", date(2026, 10, d), link(d)) for d in (7, 21)
    ]
    text, page = render_digest(digest, config(tmp_path), now=NOW).personalize(None)
    assert "  - 2026-10-07 [1]" in text and "  - 2026-10-21 [2]" in text
    assert "2026-10-07 Lanternfish" not in visible(page)
    assert f'href="{WEB}{NOTE}#L7"' in page.split(">2026-10-07</a>")[0].rsplit("<a ", 1)[1]
    # "Lanternfish Community Call, 2026-10-07": the date and its comma go.
    digest.meetings = [
        MeetingRef("Lanternfish Community Call, 2026-10-07", date(2026, 10, 7), link(7))
    ]
    text, _page = render_digest(digest, config(tmp_path), now=NOW).personalize(None)
    assert "  - 2026-10-07 [1]" in text and "Call," not in text


# ---- per-recipient personalization ------------------------------------------


def test_personalize_puts_the_readers_link_in_both_parts(tmp_path: Path) -> None:
    rendered = render_digest(full_digest(), config(tmp_path), now=NOW)
    url = "https://lanternfish.example.org/unsubscribe?token=abc.def&x=1"
    text, page = rendered.personalize(url)
    assert f"Unsubscribe: {url}" in text
    hrefs = [a.get("href") for tag, a in tags(page) if tag == "a"]
    assert url in hrefs  # the parser unescapes &amp; back
    assert "token=abc.def&amp;x=1" in page
    for body in (text, page):
        assert "DIGEST-UNSUBSCRIBE" not in body
        assert "leave the list" not in body


def test_without_a_link_the_footer_says_how_to_leave_the_list(tmp_path: Path) -> None:
    cfg = config(tmp_path, unsubscribe_mailto="digest-unsubscribe@lanternfish.example.org")
    text, page = render_digest(full_digest(), cfg, now=NOW).personalize(None)
    for body in (" ".join(text.split()), visible(page)):
        assert (
            "This monthly digest sums up the notes of the Lanternfish Maintainers meetings; "
            "every entry links to the line of the note it comes from."
        ) in body
        assert (
            "You are receiving it because you are on the mailing list "
            "lanternfish-dev@lists.example.org. To stop, leave the list."
        ) in body
        # The digest's mailbox cannot take anyone off the list: not advertised there.
        assert "digest-unsubscribe@" not in body
        assert "DIGEST-UNSUBSCRIBE" not in body
        assert "Unsubscribe" not in body and "subscribed to it" not in body
    assert all(not (a.get("href") or "").startswith("DIGEST") for _, a in tags(page))


def test_a_digest_built_without_a_source_says_so_in_its_footer(tmp_path: Path) -> None:
    """`digest send --allow-stale`: the readers learn the digest may miss some notes."""
    stale = [StaleSource("lanternfish", "cannot fetch https://notes.internal.test/x.git")]
    digest = dataclasses.replace(full_digest(), stale=stale)
    text, page = render_digest(digest, config(tmp_path), now=NOW).personalize(None)
    sentence = (
        "Note: this digest was built while the notes of source lanternfish could not be "
        "read, so it may miss what they said lately."
    )
    for body in (" ".join(text.split()), visible(page)):
        assert sentence in body
        assert "notes.internal.test" not in body  # the reason is for the operator
    assert text.index("Note: this digest") > text.index("This monthly digest sums up")
    fresh_text, fresh_page = render_digest(full_digest(), config(tmp_path), now=NOW).personalize(
        None
    )
    assert "could not be read" not in fresh_text + visible(fresh_page)


def test_a_notice_comes_before_everything_else(tmp_path: Path) -> None:
    notice = 'Source "lanternfish" could not be read (no such folder): this preview may miss notes.'
    rendered = render_digest(full_digest(), config(tmp_path), now=NOW, notice=[notice])
    text, page = rendered.personalize(None)
    assert " ".join(text.split()).startswith(f"! {notice} Lanternfish meeting digest")
    shown = visible(page)  # after the hidden preheader, the notice, then the header
    assert f"1 late. {notice} Lanternfish meeting digest" in shown


def test_a_subscriber_footer_does_not_mention_the_list(tmp_path: Path) -> None:
    url = "https://lanternfish.example.org/u?token=t1"
    text, page = render_digest(full_digest(), config(tmp_path), now=NOW).personalize(url)
    for body in (" ".join(text.split()), visible(page)):
        assert "You are receiving it because you subscribed to it." in body
        assert "lanternfish-dev@lists.example.org" not in body
        assert "mailing list" not in body


def test_without_list_or_link_the_footer_says_how_to_stop(tmp_path: Path) -> None:
    cfg = config(tmp_path, list_address="")
    text, page = render_digest(full_digest(), cfg, now=NOW).personalize(None)
    for body in (" ".join(text.split()), visible(page)):
        assert "To stop receiving it, reply and ask to be removed." in body
        assert "mailing list" not in body


def test_a_stored_body_can_be_personalized_later(tmp_path: Path) -> None:
    """send stores subject/text/html; a later run rebuilds RenderedDigest from them."""
    first = render_digest(full_digest(), config(tmp_path), now=NOW)
    stored = RenderedDigest(subject=first.subject, text=first.text, html=first.html)
    url = "https://lanternfish.example.org/u?token=t1"
    assert stored.personalize(url) == first.personalize(url)
    assert UNSUBSCRIBE_URL in stored.html


def test_personalize_refuses_a_non_web_unsubscribe_link(tmp_path: Path) -> None:
    rendered = render_digest(full_digest(), config(tmp_path), now=NOW)
    with pytest.raises(Exception, match="unsubscribe URL"):
        rendered.personalize("javascript:alert(1)")


# ---- hostile note text ------------------------------------------------------

HOSTILE = [
    "<script>alert('x')</script> release notes",
    '<img src=x onerror="alert(1)"> broken image',
    "[click me](javascript:alert(document.cookie)) and [data](data:text/html,hi)",
    "![tracking pixel](https://evil.example/p.gif) pixel",
    "Subject line\r\nBcc: victim@example.org",
    "<a href='https://evil.example'>raw link</a>",
]


def hostile_digest() -> Digest:
    digest = full_digest()
    digest.series = "Evil\r\nBcc: x@y"
    digest.new = [entry(title, owners=("mallory\r\nx",)) for title in HOSTILE]
    digest.meetings = [MeetingRef("<b>bold</b>\nmeeting", date(2026, 10, 1), link(1))]
    return digest


def test_hostile_titles_cannot_inject_html(tmp_path: Path) -> None:
    page = render_digest(hostile_digest(), config(tmp_path), now=NOW).personalize(None)[1]
    found = tags(page)
    names = [tag for tag, _ in found]
    assert "script" not in names and "img" not in names and "b" not in names
    for _, attrs in found:
        assert not any(k.startswith("on") for k in attrs), attrs
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("https://", "http://", "mailto:")), href
    assert "&lt;script&gt;" in page  # shown as text, harmlessly
    assert (
        "click me" in page
        and "javascript:" not in page.split("<body", 1)[1].split("click me")[0][-80:]
    )
    assert "tracking pixel pixel" in page  # the image became its alt text


def test_hostile_titles_cannot_break_the_subject_or_text(tmp_path: Path) -> None:
    rendered = render_digest(hostile_digest(), config(tmp_path), now=NOW)
    assert "\r" not in rendered.subject and "\n" not in rendered.subject
    assert rendered.subject.startswith("Evil Bcc: x@y digest — October 2026")
    text = rendered.personalize(None)[0]
    assert "\r" not in text
    assert not any(line.startswith("Bcc:") for line in text.splitlines())
    assert "Subject line Bcc: victim@example.org" in text
    assert "click me and data" in text  # unsafe links become their words


def test_subject_is_capped(tmp_path: Path) -> None:
    digest = full_digest()
    digest.series = "Lanternfish " * 30
    subject = render_digest(digest, config(tmp_path), now=NOW).subject
    assert len(subject) <= 150 and subject.endswith("…")


def test_inline_markdown_keeps_only_safe_links() -> None:
    html = inline_html(
        "See [docs](https://x.example/d), [mail](mailto:a@x.example), [f](file:///etc)"
    )
    assert '<a href="https://x.example/d">docs</a>' in html
    assert '<a href="mailto:a@x.example">mail</a>' in html
    assert "file:" not in html and ", f" in html
    plain = inline_plain("**Bold** `code` [docs](https://x.example/d)")
    assert plain.text == "Bold code docs"
    assert plain.links == ("https://x.example/d",)


def test_a_struck_through_action_is_struck_in_the_html_and_plain_in_the_text() -> None:
    assert str(inline_html("~~send the survey~~ done")) == "<s>send the survey</s> done"
    assert inline_plain("~~send the survey~~ done").text == "send the survey done"
    assert str(inline_html("~~<b>x</b>~~")) == "<s>&lt;b&gt;x&lt;/b&gt;</s>"  # still text


def test_bare_github_links_are_shortened() -> None:
    html = inline_html("flaky test https://github.com/lanternfish-dev/lanternfish/issues/201.")
    assert (
        '<a href="https://github.com/lanternfish-dev/lanternfish/issues/201">'
        "lanternfish-dev/lanternfish#201</a>." in html
    )


def test_age_is_said_the_way_people_say_it() -> None:
    start = date(2026, 8, 1)
    assert age_phrase(start, date(2026, 8, 2)) == "open 1 day"
    assert age_phrase(start, date(2026, 10, 3)) == "open 9 weeks"
    assert age_phrase(start, date(2027, 2, 1)) == "open 6 months"
    assert age_phrase(start, date(2029, 8, 1)) == "open 3 years"


# ---- templates --------------------------------------------------------------


def test_a_templates_dir_overrides_single_templates(tmp_path: Path) -> None:
    custom = tmp_path / "my-templates"
    custom.mkdir()
    (custom / "subject.j2").write_text("{{ series }} in {{ period_name }}\n")
    cfg = config(tmp_path)
    cfg.digest.templates_dir = "my-templates"
    rendered = render_digest(full_digest(), cfg, now=NOW)
    assert rendered.subject == "Lanternfish Maintainers in October 2026"
    assert "Still pending" in rendered.html  # the shipped HTML template is still used


def test_a_missing_templates_dir_is_a_config_error(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    cfg.digest.templates_dir = "nowhere"
    with pytest.raises(ConfigError, match=r"\[digest\] templates_dir"):
        template_env(cfg)


def test_a_broken_template_names_its_line(tmp_path: Path) -> None:
    custom = tmp_path / "t"
    custom.mkdir()
    (custom / "subject.j2").write_text("fine\n{% if %}\n")
    cfg = config(tmp_path)
    cfg.digest.templates_dir = str(custom)
    with pytest.raises(Exception, match=r"subject.j2, line 2"):
        render_digest(full_digest(), cfg, now=NOW)


def test_an_items_own_short_references_link_to_the_issue_in_html() -> None:
    from digest.mail.inline import inline_html

    refs = ("lanternfish-dev/lanternfish#187",)
    html = str(inline_html("Metadata lanternfish#187, not lanternfish#18 or other#187", refs))
    url = "https://github.com/lanternfish-dev/lanternfish/issues/187"
    assert f'<a href="{url}">lanternfish#187</a>' in html
    assert html.count("<a ") == 1  # unknown refs are never guessed into links
    assert "<script>" not in str(inline_html("<script>x</script> lanternfish#187", refs))


def test_a_long_section_shows_the_first_entries_in_full_and_lists_the_rest(
    tmp_path: Path,
) -> None:
    """A digest read in two minutes: max_entries in full, the others one line each."""
    digest = full_digest()
    digest.new = [entry(f"Topic number {n} about the tide model", line=n) for n in range(1, 13)]
    cfg = config(tmp_path)
    cfg.digest.max_entries = 9
    text, page = render_digest(digest, cfg, now=NOW).personalize(None)
    flat = " ".join(text.split())
    assert "NEW (12)" in text
    assert "And 3 more: - Topic number 10 about the tide model" in flat
    assert all(f"Topic number {n} about" in flat for n in range(1, 13))
    assert "`digest items` lists every followed item" in flat
    compact = [a for tag, a in tags(page) if tag == "ul" and a.get("class") == "compact"]
    assert len(compact) == 2  # the new section's rest, and the gone-quiet list
    assert "And 3 more:" in visible(page)
    # A higher cap shows them all in full.
    cfg.digest.max_entries = 20
    text, _page = render_digest(digest, cfg, now=NOW).personalize(None)
    assert "And 3 more" not in text


# ---- phone-proof HTML ---------------------------------------------------------------


def test_a_long_bare_url_is_shown_short_and_linked_whole() -> None:
    url = "https://docs.google.com/document/d/1xQ9vRk2LmN8pZa7Tb3Cc4Dd5Ee6Ff7Gg8/edit#heading=h.4f"
    html_ = str(inline_html(f"design notes: {url}"))
    assert f'href="{url}"' in html_
    assert ">docs.google.com/document/d/1xQ9vRk2LmN8…</a>" in html_
    # the plain-text mail keeps the URL whole: it is the only way to follow it there
    assert url in inline_plain(f"design notes: {url}").text


def test_short_urls_and_named_links_are_left_as_written() -> None:
    html_ = str(
        inline_html("see https://example.org/a and [the long guide](https://example.org/b)")
    )
    assert ">example.org/a</a>" in html_ and ">the long guide</a>" in html_
    assert ">lanternfish-dev/lanternfish#187</a>" in str(
        inline_html("https://github.com/lanternfish-dev/lanternfish/issues/187")
    )


def test_an_arrow_stays_with_its_words() -> None:
    """No line may end in "-" and start the next with ">": the arrow is glued."""
    html_ = str(inline_html("pod watcher -> in progress, x->y"))
    assert "watcher\u00a0-\u2060&gt;\u00a0in progress" in html_
    assert "x-\u2060&gt;y" in html_
    assert "-&gt;" not in str(inline_html("`a -> b`")).replace("<code>a -&gt; b</code>", "")


def test_meta_charset_comes_first_in_head(tmp_path: Path) -> None:
    """css-inline writes the kept @media rules at the top of <head>; the W3C checker
    wants the charset declared before anything else."""
    page = render_digest(full_digest(), config(tmp_path), now=NOW).html
    head = page[page.index("<head>") + len("<head>") :]
    assert head.startswith('<meta charset="utf-8">')
    assert page.count("<meta charset") == 1 and "@media (prefers-color-scheme: dark)" in head
