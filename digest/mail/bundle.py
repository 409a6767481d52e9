"""A subscriber's monthly message: the frozen digests of the series they chose, in one.

A reader who follows three series of a project wants one email a month, not three:
one subject in the inbox, one table of contents, one footer with their links. So a
bundle is composed from the series digests exactly as they were frozen (their
HTML body and plain text; nothing is rendered again), each as a section under its
own heading, with one footer that has the reader's preferences and unsubscribe
links (as placeholders: RenderedDigest.personalize fills them in per reader).

Pure: strings in, strings out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from digest.mail.inline import clean_line
from digest.mail.message import subject_line
from digest.mail.render import (
    _LINK_END,
    _LINK_START,
    _LIST_END,
    _LIST_START,
    _PREFS_END,
    _PREFS_START,
    PREFERENCES_URL,
    UNSUBSCRIBE_URL,
    RenderedDigest,
    _cut_between,
    _tidy_text,
)


@dataclass(frozen=True)
class Part:
    """One series' frozen digest, as a bundle shows it."""

    series: str
    subject: str
    text: str
    html: str
    archive_url: str | None = None  # its page in the web archive, when published


_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)
_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.DOTALL | re.IGNORECASE)
_PREHEADER = re.compile(r'<div class="preheader"[^>]*>.*?</div>', re.DOTALL)


def _anchor(series: str) -> str:
    return "s-" + (re.sub(r"[^a-z0-9]+", "-", series.lower()).strip("-") or "series")


def _without_footers(body: str) -> str:
    """A part without its own reader paragraphs: the bundle has one footer for all."""
    for start, end in ((_LINK_START, _LINK_END), (_LIST_START, _LIST_END)):
        body = _cut_between(body, start, end)
    return _cut_between(body, _PREFS_START, _PREFS_END)


def bundle_subject(title: str, month: str, parts: Sequence[Part]) -> str:
    if len(parts) == 1:
        return parts[0].subject
    names = ", ".join(clean_line(p.series) for p in parts)
    return subject_line(f"{clean_line(title)} — {month}: {names}")


def compose_bundle(title: str, month: str, parts: Sequence[Part]) -> RenderedDigest:
    """One message of several frozen digests (at least one), with one reader footer."""
    assert parts, "a bundle has at least one part"
    e = html.escape
    names = [clean_line(p.series) for p in parts]
    style = ""
    found = _STYLE.search(parts[0].html)
    if found:
        style = found.group(0)  # the @media (dark mode) rules the parts' inline CSS lacks
    sections = []
    for part in parts:
        match = _BODY.search(part.html)
        inner = _PREHEADER.sub("", match.group(1) if match else part.html)
        sections.append(f'<div id="{_anchor(part.series)}">{_without_footers(inner)}</div>')
    contents = " · ".join(
        f'<a href="#{_anchor(p.series)}" style="color:#0a58ca">{e(n)}</a>'
        for p, n in zip(parts, names, strict=True)
    )
    chosen = e(", ".join(names))
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f"<title>{e(clean_line(title))} — {e(month)}</title>\n{style}\n</head>\n"
        '<body style="margin:0;padding:0;background:#eef1f4;color:#1f2328;'
        "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;"
        'font-size:15px;line-height:1.5">\n'
        '<div class="preheader" style="display:none;max-height:0;overflow:hidden">'
        f"{e(month)}: {chosen}</div>\n"
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        'style="background:#eef1f4;width:100%"><tr>'
        '<td align="center" style="padding:16px 8px 0 8px">'
        '<table role="presentation" width="640" cellpadding="0" cellspacing="0" '
        'style="width:100%;max-width:640px"><tr><td style="padding:8px 12px">'
        f'<p style="margin:0;font-size:13px;color:#57606a">{e(clean_line(title))} — '
        f"{e(month)}: {contents}</p>"
        "</td></tr></table></td></tr></table>\n"
        + "\n".join(sections)
        + '\n<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        'style="background:#eef1f4;width:100%"><tr>'
        '<td align="center" style="padding:0 8px 24px 8px">'
        '<table role="presentation" width="640" cellpadding="0" cellspacing="0" '
        'style="width:100%;max-width:640px"><tr><td class="footer" '
        'style="padding:12px;font-size:12px;color:#57606a">'
        f"{_LINK_START}<p>You are receiving this because you subscribed to {chosen}. "
        f'{_PREFS_START}<a href="{PREFERENCES_URL}" style="color:#57606a">Choose your series '
        f"or pause</a> · {_PREFS_END}"
        f'<a href="{UNSUBSCRIBE_URL}" style="color:#57606a">Unsubscribe</a>.</p>{_LINK_END}'
        f"{_LIST_START}<p>You are receiving this because you subscribed to {chosen}.</p>"
        f"{_LIST_END}"
        "</td></tr></table></td></tr></table>\n</body>\n</html>\n"
    )
    rule = "=" * 72
    texts = []
    for part, name in zip(parts, names, strict=True):
        head = f"{rule}\n{name.upper()}\n{rule}\n"
        if part.archive_url:
            head += f"View in browser: {part.archive_url}\n"
        texts.append(head + "\n" + _without_footers(part.text).strip("\n") + "\n")
    text = (
        f"{clean_line(title)} — {month}\n{', '.join(names)}\n\n"
        + "\n".join(texts)
        + f"\n--\n{_LINK_START}\nYou are receiving this because you subscribed to "
        f"{', '.join(names)}.\n{_PREFS_START}\nChoose your series or pause: {PREFERENCES_URL}\n"
        f"{_PREFS_END}\nUnsubscribe: {UNSUBSCRIBE_URL}\n{_LINK_END}\n"
        f"{_LIST_START}\nYou are receiving this because you subscribed to "
        f"{', '.join(names)}.\n{_LIST_END}\n"
    )
    return RenderedDigest(
        subject=bundle_subject(title, month, parts), text=_tidy_text(text), html=page
    )
