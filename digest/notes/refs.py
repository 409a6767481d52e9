"""GitHub references and other links in a note's text.

GitHub numbers issues, pull requests and discussions from one counter per
repository, so "org/repo#N" names any of them: the issue URL, the PR URL with
/files or #discussion_r…, and "repo#N" written by hand all become one key.
"""

from __future__ import annotations

import re

__all__ = ["canonical_refs", "plain_links"]

_GITHUB_URL = re.compile(
    r"https?://(?:www\.)?github\.com/(?P<org>[A-Za-z0-9][\w.-]*)/(?P<repo>[\w.-]+?)(?:\.git)?"
    r"/(?:issues|pull|pulls|discussions)/(?P<num>\d+)(?!\d)[^\s<>()\[\]\"'`]*",
    re.I,
)
_URL = re.compile(r"https?://[^\s<>()\[\]\"'`]+", re.I)
# "org/repo#123" and "repo#123", not inside a word or a path ("a/b/c#1").
_FULL_REF = re.compile(r"(?<![\w./-])(?P<org>[A-Za-z0-9][\w.-]*)/(?P<repo>[\w.-]+)#(?P<num>\d+)\b")
_SHORT_REF = re.compile(r"(?<![\w./#-])(?P<repo>[A-Za-z][\w.-]*)#(?P<num>\d+)\b")
_SCHEME_ONLY = re.compile(r"https?://", re.I)
_TRAILING_PUNCT = ".,;:!?*_'\""


def _key(org: str, repo: str, num: str) -> str:
    return f"{org.lower()}/{repo.lower().rstrip('.')}#{int(num)}"


def canonical_refs(text: str, default_org: str = "") -> list[str]:
    """GitHub issue/PR/discussion references in `text` as "org/repo#N", first seen first."""
    # Each pattern is tried only where what it needs is in the text: most lines have
    # neither a URL nor a "#".
    has_url, has_hash = "://" in text, "#" in text
    positions: list[tuple[int, str]] = []
    if has_url:
        for m in _GITHUB_URL.finditer(text):
            positions.append((m.start(), _key(m["org"], m["repo"], m["num"])))
    if has_hash:
        # Short forms are looked for outside URLs (blanked, keeping offsets), so
        # ".../blob/main/x.md#L10" is no reference.
        rest = _URL.sub(lambda m: " " * len(m.group(0)), text) if has_url else text
        for m in _FULL_REF.finditer(rest):
            positions.append((m.start(), _key(m["org"], m["repo"], m["num"])))
        if default_org:
            for m in _SHORT_REF.finditer(rest):
                positions.append((m.start(), _key(default_org, m["repo"], m["num"])))
    return list(dict.fromkeys(key for _, key in sorted(positions)))


def _clean_url(url: str) -> str:
    url = url.rstrip(_TRAILING_PUNCT)
    return url.split("#", 1)[0]


def plain_links(text: str) -> list[str]:
    """Other http(s) links in `text` (not GitHub issues/PRs), fragment removed, deduplicated."""
    links: list[str] = []
    if "://" not in text:
        return links
    for m in _URL.finditer(text):
        url = _clean_url(m.group(0))
        if _GITHUB_URL.fullmatch(url) or _GITHUB_URL.match(m.group(0)):
            continue
        if _SCHEME_ONLY.fullmatch(url):
            continue
        links.append(url)
    return list(dict.fromkeys(links))
