"""Where an item came from, as a link a reader can click: the exact line of the note.

A source may set `web_url`, a template with {commit}, {path} and {line}. Git sources
cloned from github.com need none: their permalink is derived from the clone URL.
Anything else falls back to "path:line", which still tells a reader where to look.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from digest.config.schema import Config, ConfigError, SourceConfig
from digest.model import Item, Meeting, SourceLink

PLACEHOLDERS = ("commit", "path", "line")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# https://github.com/org/repo(.git), git@github.com:org/repo.git, ssh://git@github.com/org/repo
_GITHUB = re.compile(
    r"^(?:https?://(?:[^@/]+@)?|ssh://git@|git@)github\.com[:/]"
    r"(?P<org>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)


def github_template(url: str) -> str:
    """The permalink template for a github.com clone URL, or "" for any other URL."""
    match = _GITHUB.match(url.strip())
    if not match:
        return ""
    return f"https://github.com/{match['org']}/{match['repo']}/blob/{{commit}}/{{path}}#L{{line}}"


def web_template(src: SourceConfig) -> str:
    """The source's web_url, else the github.com default for git sources, else ""."""
    if src.web_url:
        unknown = [p for p in _PLACEHOLDER.findall(src.web_url) if p not in PLACEHOLDERS]
        if unknown:
            raise ConfigError(
                f'source "{src.name}": web_url has an unknown placeholder {{{unknown[0]}}}; '
                f"use {{commit}}, {{path}} and {{line}}."
            )
        return src.web_url
    if src.kind == "git":
        return github_template(src.url)
    return ""


def permalink(src: SourceConfig, path: str, line: int, commit: str | None) -> str:
    """A URL to `path` at `line` (at `commit` when known), or "path:line" without a web URL."""
    template = web_template(src)
    if not template:
        return f"{path}:{line}"
    # Without a commit (dir sources) the branch, else HEAD, still points at the file.
    revision = commit or src.branch or "HEAD"
    values = {"commit": revision, "path": quote(path, safe="/"), "line": str(line)}
    # Plain substitution, not str.format: a template may legitimately contain other braces.
    return _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), template)


def source_link(cfg: Config, item: Item) -> SourceLink:
    """The link for one item; items of a source no longer configured get "path:line"."""
    src = next((s for s in cfg.sources if s.name == item.source), None)
    url = permalink(src, item.path, item.line, item.commit) if src else f"{item.path}:{item.line}"
    return SourceLink(path=item.path, line=item.line, commit=item.commit, url=url)


def meeting_link(cfg: Config, meeting: Meeting) -> SourceLink:
    """The link to a meeting's heading line."""
    src = next((s for s in cfg.sources if s.name == meeting.source), None)
    line = meeting.line
    url = permalink(src, meeting.path, line, meeting.commit) if src else f"{meeting.path}:{line}"
    return SourceLink(path=meeting.path, line=line, commit=meeting.commit, url=url)
