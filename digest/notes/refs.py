"""References to issues and pull requests, and other links, in a note's text.

GitHub numbers issues, pull requests and discussions from one counter per
repository, so "org/repo#N" names any of them: the issue URL, the PR URL with
/files or #discussion_r…, and "repo#N" written by hand all become one key.
Another forge's issue or merge request (GitLab, Gitea, Forgejo, Codeberg, Jira) is
keyed by its address without the scheme, which is also its link.
"""

from __future__ import annotations

import re

__all__ = ["canonical_refs", "plain_links", "proposal_refs", "proposal_written"]

_GITHUB_URL = re.compile(
    r"https?://(?:www\.)?github\.com/(?P<org>[A-Za-z0-9][\w.-]*)/(?P<repo>[\w.-]+?)(?:\.git)?"
    r"/(?:issues|pull|pulls|discussions)/(?P<num>\d+)(?!\d)[^\s<>()\[\]\"'`]*",
    re.I,
)
# Another forge's issue or merge request: GitLab (gitlab.com, a self-hosted one, which
# its "/-/" says), Gitea, Forgejo and Codeberg. Its key is the address without the
# scheme, "gitlab.gnome.org/GNOME/gtk/-/issues/12": one per issue, and its own link.
_FORGE_URL = re.compile(
    r"https?://(?P<key>(?:[\w-]+\.)+[a-z]{2,}(?:/[\w.-]+)+/-/(?:issues|merge_requests|work_items)"
    r"/\d+|(?:codeberg\.org|gitea\.com|(?:[\w-]+\.)*(?:gitea|forgejo)(?:\.[\w-]+)+)"
    r"/[\w.-]+/[\w.-]+/(?:issues|pulls)/\d+"
    # A Jira issue: "https://issues.apache.org/jira/browse/KAFKA-1234".
    r"|(?:[\w-]+\.)+[a-z]{2,}(?:/[\w.-]+)*/browse/[A-Z][A-Z0-9_]+-\d+)(?!\d)",
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
    """Issue, PR and discussion references in `text`, first seen first: GitHub's as
    "org/repo#N", another forge's as its address without the scheme."""
    # Each pattern is tried only where what it needs is in the text: most lines have
    # neither a URL nor a "#".
    has_url, has_hash = "://" in text, "#" in text
    positions: list[tuple[int, str]] = []
    if has_url:
        for m in _GITHUB_URL.finditer(text):
            positions.append((m.start(), _key(m["org"], m["repo"], m["num"])))
        for m in _FORGE_URL.finditer(text):
            # Gitea numbers issues and pulls from one counter, and /issues/N finds either.
            key = m["key"].lower()
            if "/-/" not in key:
                key = key.replace("/pulls/", "/issues/")
            positions.append((m.start(), key))
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


# Numbered proposals, as projects name them: "RFC 12", "PEP 703", "KEP-2433",
# "SLEP006", "NEP 50", "SPEC 0", "ADR-0007". Keyed "SLEP-6": one key however the
# number is written (zero-padded, with a space, a dash or "#").
_PROPOSAL_KINDS = "RFC|PEP|KEP|SLEP|NEP|JEP|TEP|ADR|FLIP|SPEC|BIP|EIP|XEP|CEP|GEP|HEP|DEP|FEP"
_PROPOSAL = re.compile(
    rf"(?<![\w/.-])(?P<kind>{_PROPOSAL_KINDS})[- ]?#?(?P<num>\d{{1,5}})(?![\w.]*\d)(?!\.\d)"
)
_PROPOSAL_KEY = re.compile(rf"(?P<kind>{_PROPOSAL_KINDS})-(?P<num>\d+)")


def proposal_refs(text: str) -> list[str]:
    """The numbered proposals `text` names ("RFC 12" -> "RFC-12"), first seen first."""
    if not any(c.isdigit() for c in text):
        return []
    return list(dict.fromkeys(f"{m['kind']}-{int(m['num'])}" for m in _PROPOSAL.finditer(text)))


def proposal_written(ref: str, text: str) -> bool | None:
    """Whether proposal `ref` ("SLEP-6") is written in `text` in any of its forms
    ("SLEP006", "SLEP 6"); None when `ref` is no proposal."""
    key = _PROPOSAL_KEY.fullmatch(ref)
    if key is None:
        return None
    found = re.search(rf"(?<![\w/.-]){key['kind']}[- ]?#?0*{key['num']}(?!\d)", text)
    return found is not None


def _clean_url(url: str) -> str:
    url = url.rstrip(_TRAILING_PUNCT)
    return url.split("#", 1)[0]


def plain_links(text: str) -> list[str]:
    """Other http(s) links in `text` (not issues or PRs), fragment removed, deduplicated."""
    links: list[str] = []
    if "://" not in text:
        return links
    for m in _URL.finditer(text):
        url = _clean_url(m.group(0))
        if _GITHUB_URL.match(m.group(0)) or _FORGE_URL.match(m.group(0)):
            continue
        if _SCHEME_ONLY.fullmatch(url):
            continue
        links.append(url)
    return list(dict.fromkeys(links))
