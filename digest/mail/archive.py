"""The web archive of sent digests: an index by month and series, and Atom feeds.

Each digest's page is its frozen HTML (RenderedDigest.public: the mailed body,
without the paragraph about who receives it), never a re-render, so the archive
shows what readers got. The index and the feeds are built here from plain
values; `digest archive build` writes them as files and `digest serve` answers
with the same bytes. Atom (RFC 4287) is written with the standard library's
ElementTree: a feed is a dozen elements, and ElementTree escapes every value.

Pure: strings in, strings out.
"""

from __future__ import annotations

import hashlib
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

ATOM = "http://www.w3.org/2005/Atom"


def series_slug(series: str) -> str:
    """A URL- and file-name-safe form of a series name: "Core Maintainers" -> "core-maintainers"."""
    return re.sub(r"[^a-z0-9]+", "-", series.lower()).strip("-") or "series"


@dataclass(frozen=True)
class Published:
    """One sent digest, as the archive lists it."""

    series: str
    period: str  # YYYY-MM
    month: str  # "October 2026"
    subject: str
    built_at: str  # ISO 8601, UTC
    html: str  # the frozen page, public form

    @property
    def path(self) -> str:
        """Its page, relative to the archive's root: "2026-10/core-maintainers.html"."""
        return f"{self.period}/{series_slug(self.series)}.html"


def feed_path(series: str | None) -> str:
    """The Atom feed of one series ("feeds/core-maintainers.atom") or of all ("feed.atom")."""
    return "feed.atom" if series is None else f"feeds/{series_slug(series)}.atom"


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1f2328;background:#fff}"
    "a{color:#0a58ca}h2{margin-top:1.6rem;font-size:1.1rem}ul{padding-left:1.2rem}"
    "@media (prefers-color-scheme: dark){body{background:#0d1117;color:#e6edf3}"
    "a{color:#79b8ff}}"
)


def index_page(title: str, digests: Sequence[Published]) -> str:
    """The archive's front page: every digest, newest month first, then by series."""
    e = html.escape
    months: dict[str, list[Published]] = {}
    for d in sorted(digests, key=lambda d: (d.period, d.series), reverse=True):
        months.setdefault(d.period, []).append(d)
    body = []
    for period, found in months.items():
        items = "".join(
            f'<li><a href="{e(d.path)}">{e(d.series)}</a> · '
            f'<a href="{e(feed_path(d.series))}" title="Atom feed of {e(d.series)}">feed</a></li>'
            for d in sorted(found, key=lambda d: d.series)
        )
        body.append(f'<h2 id="m-{e(period)}">{e(found[0].month)}</h2><ul>{items}</ul>')
    if not body:
        body.append("<p>No digest has been sent yet.</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)} — archive</title>"
        f'<link rel="alternate" type="application/atom+xml" title="{e(title)}" href="feed.atom">'
        f"<style>{_STYLE}</style></head><body>"
        f'<h1>{e(title)}</h1><p>Every digest sent, by month. <a href="feed.atom">Atom feed</a> '
        "of all series.</p>" + "".join(body) + "</body></html>\n"
    )


def _tag_id(base_url: str, what: str) -> str:
    """A stable Atom id: a tag: URI when the archive has no address yet, else the URL."""
    if base_url:
        return base_url + what
    digest = hashlib.sha256(what.encode()).hexdigest()[:16]
    return f"urn:notes-digest:{digest}"


def atom_feed(
    title: str,
    digests: Sequence[Published],
    *,
    base_url: str,
    series: str | None = None,
    limit: int = 24,
) -> str:
    """An Atom feed of the newest digests (of one series, or of all), each entry holding
    the digest's frozen HTML. base_url: the archive's public root ("https://…/archive/"),
    or "" for relative links (a static copy)."""
    ET.register_namespace("", ATOM)
    chosen = [d for d in digests if series is None or d.series == series]
    chosen.sort(key=lambda d: (d.built_at, d.period, d.series), reverse=True)
    chosen = chosen[:limit]
    feed = ET.Element(f"{{{ATOM}}}feed")
    name = title if series is None else f"{title}: {series}"
    ET.SubElement(feed, f"{{{ATOM}}}title").text = name
    ET.SubElement(feed, f"{{{ATOM}}}id").text = _tag_id(base_url, feed_path(series))
    updated = chosen[0].built_at if chosen else "1970-01-01T00:00:00+00:00"
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=base_url + feed_path(series))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=base_url or "./")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = title
    for d in chosen:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = f"{d.series} — {d.month}"
        ET.SubElement(entry, f"{{{ATOM}}}id").text = _tag_id(base_url, d.path)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = d.built_at
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=base_url + d.path)
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = d.subject
        content = ET.SubElement(entry, f"{{{ATOM}}}content", type="html")
        match = re.search(r"<body[^>]*>(.*)</body>", d.html, re.DOTALL | re.IGNORECASE)
        content.text = match.group(1) if match else d.html
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"
