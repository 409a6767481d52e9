"""Safe rendering of one line of untrusted inline Markdown (an item's text from a note).

Note text comes from anyone who can commit to the notes repository, and it ends up
in people's mailboxes, so it is treated as hostile:

- raw HTML is never passed through (markdown-it "commonmark" with html disabled
  escapes it as text);
- links survive only for http, https and mailto; any other scheme (javascript:,
  data:, file:, vbscript:, relative paths ...) becomes its plain link text;
- images are never loaded: an image becomes its alt text;
- bare http(s) URLs are turned into links, GitHub issue/PR URLs shown short
  ("org/repo#12"), because notes paste them bare all the time; in the HTML a
  link whose text is its own long URL shows it shortened ("docs.example.org/
  very/long/pa…"), the link keeps the whole URL, so a phone need not scroll;
- an arrow ("X -> done") stays with the words on both sides in the HTML, so a
  line never ends in "-" and starts the next with ">";
- line breaks and control characters are flattened to single spaces, so a title
  can never break out of a line (a Subject header, a list bullet).

`inline_html` gives HTML for the HTML digest, `inline_plain` gives the same text with
the markup stripped for the plain-text digest and the subject line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

SAFE_SCHEMES = ("http://", "https://", "mailto:")

# Characters that must never reach a header or break a line: C0/C1 controls, DEL,
# and the Unicode line/paragraph separators. Tabs and newlines become spaces too.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085]+")
_SPACES = re.compile(r"[ \t]{2,}")
# A bare URL inside text; trailing punctuation is trimmed below.
_BARE_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""
_GITHUB_REF = re.compile(
    r"^https?://github\.com/([\w.-]+)/([\w.-]+)/(?:issues|pull|discussions)/(\d+)(?:[/?#].*)?$",
    re.IGNORECASE,
)

# Internal sentinels of digest.mail.render must never be forgeable from note text.
_FORBIDDEN_SENTINEL = "DIGEST-UNSUBSCRIBE-"


def clean_line(text: str) -> str:
    """One line of text: control characters and line breaks become single spaces."""
    text = _CONTROL.sub(" ", text)
    text = text.replace(_FORBIDDEN_SENTINEL, "DIGEST UNSUBSCRIBE ")
    return _SPACES.sub(" ", text).strip()


def is_safe_url(url: str) -> bool:
    """True for http(s) and mailto URLs, the only ones a digest ever links to."""
    candidate = url.strip().lower()
    if not candidate.startswith(SAFE_SCHEMES):
        return False
    # A URL with whitespace or controls inside is not one we wrote or can trust.
    return not any(ch.isspace() or ord(ch) < 32 for ch in url.strip())


def short_url(url: str) -> str:
    """Display text for a bare URL: GitHub issues/PRs as "org/repo#N", else the URL."""
    m = _GITHUB_REF.match(url)
    if m:
        return f"{m.group(1)}/{m.group(2)}#{m.group(3)}"
    return url


# A link text that is its own URL is shown at most this long in the HTML.
URL_DISPLAY_CHARS = 40


def display_url(url: str, limit: int = URL_DISPLAY_CHARS) -> str:
    """Link text for a URL in the HTML: GitHub issues short, others without the
    scheme and "www.", cut to `limit` characters with "…" (the link keeps it all)."""
    shown = short_url(url)
    if shown != url:
        return shown
    if url.lower().startswith("mailto:"):
        return url[len("mailto:") :]
    text = re.sub(r"^https?://(www\.)?", "", url, flags=re.IGNORECASE).rstrip("/")
    if len(text) > limit:
        text = text[: limit - 1].rstrip("/.?#&=-_") + "…"
    return text


# "->", "=>" or "→" between words; in HTML each is glued to the words around it.
_ARROW = re.compile(r"(\s*)(->|=>|→)(\s*)")
_NBSP, _WORD_JOINER = "\u00a0", "\u2060"


def _keep_arrows(tokens: list[Token]) -> list[Token]:
    """No line break inside an arrow or on either side of it (HTML only).

    A browser may break "->" after its hyphen; a word joiner between the two
    characters and no-break spaces around it keep "#187 -> in progress" readable.
    """
    out: list[Token] = []
    for token in tokens:
        if token.type == "text" and _ARROW.search(token.content):
            token = _text(
                _ARROW.sub(
                    lambda m: (
                        (_NBSP if m.group(1) else "")
                        + _WORD_JOINER.join(m.group(2))
                        + (_NBSP if m.group(3) else "")
                    ),
                    token.content,
                )
            )
        out.append(token)
    return out


def _shorten_link_texts(tokens: list[Token]) -> list[Token]:
    """A link whose text is its own URL shows `display_url` (HTML only)."""
    out = list(tokens)
    for i, token in enumerate(out[:-2]):
        text, close = out[i + 1], out[i + 2]
        if token.type != "link_open" or text.type != "text" or close.type != "link_close":
            continue
        href = str(token.attrs.get("href", ""))
        bare = re.sub(r"^(https?://|mailto:)", "", href, flags=re.IGNORECASE)
        if text.content in (href, bare, short_url(href)):
            out[i + 1] = _text(display_url(href))
    return out


@dataclass(frozen=True)
class PlainInline:
    """The plain-text form of inline Markdown: the text and the links it held."""

    text: str
    links: tuple[str, ...]


class _AllLinksMarkdown(MarkdownIt):
    """Accepts every link at parse time, so that an unsafe one still parses as a link
    (and becomes its plain text in _safe_tokens) instead of staying as
    "[text](javascript:...)" source text."""

    def validateLink(self, url: str) -> bool:
        return True


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Strikethrough too: notes strike a finished action through ("~~send the survey~~").
    return _AllLinksMarkdown("commonmark", {"html": False, "typographer": False}).enable(
        "strikethrough"
    )


def _text(content: str) -> Token:
    return Token("text", "", 0, content=content)


def _linkify(content: str) -> list[Token]:
    """Split a text token on bare http(s) URLs into text and link tokens."""
    out: list[Token] = []
    pos = 0
    for m in _BARE_URL.finditer(content):
        url = m.group(0)
        trimmed = url.rstrip(_TRAILING)
        # Keep a closing parenthesis that belongs to the URL (wiki-style links).
        while trimmed.count("(") > trimmed.count(")") and len(trimmed) < len(url):
            trimmed = url[: len(trimmed) + 1]
        if not trimmed or not is_safe_url(trimmed):
            continue
        start = m.start()
        if start > pos:
            out.append(_text(content[pos:start]))
        link = Token("link_open", "a", 1, attrs={"href": trimmed}, markup="linkify")
        out += [link, _text(short_url(trimmed)), Token("link_close", "a", -1)]
        pos = start + len(trimmed)
    if pos < len(content):
        out.append(_text(content[pos:]))
    return out


# "lanternfish#187" or "org/repo#187", not inside a word, a path or a longer number.
_SHORT_REF = re.compile(r"(?<![\w/.#-])(?:([\w.-]+)/)?([\w.-]+)#(\d+)(?!\d)")


def _link_refs(tokens: list[Token], refs: tuple[str, ...]) -> list[Token]:
    """Link the item's own references written short in its text ("repo#187").

    Only references the item already resolved (canonical "org/repo#N") are linked,
    so "#3 of the agenda" or a ref to an unknown org never becomes a guessed link.
    """
    if not refs:
        return tokens
    by_short: dict[tuple[str, str], str] = {}
    for ref in refs:
        m = re.fullmatch(r"([\w.-]+)/([\w.-]+)#(\d+)", ref)
        if m:
            org, repo, number = m.group(1).lower(), m.group(2).lower(), m.group(3)
            url = f"https://github.com/{m.group(1)}/{m.group(2)}/issues/{number}"
            by_short[(repo, number)] = url
            by_short[(f"{org}/{repo}", number)] = url
    out: list[Token] = []
    depth = 0
    for token in tokens:
        if token.type == "link_open":
            depth += 1
        elif token.type == "link_close":
            depth -= 1
        if token.type != "text" or depth:
            out.append(token)
            continue
        pos = 0
        content = token.content
        for m in _SHORT_REF.finditer(content):
            org, repo, number = m.group(1), m.group(2), m.group(3)
            key = (f"{org}/{repo}" if org else repo).lower()
            target = by_short.get((key, number))
            if target is None:
                continue
            if m.start() > pos:
                out.append(_text(content[pos : m.start()]))
            link = Token("link_open", "a", 1, attrs={"href": target}, markup="ref")
            out += [link, _text(m.group(0)), Token("link_close", "a", -1)]
            pos = m.end()
        if pos < len(content):
            out.append(_text(content[pos:]))
    return out


def _safe_tokens(text: str) -> list[Token]:
    """Inline tokens with unsafe links unwrapped, images as alt text, bare URLs linked."""
    parsed = _parser().parseInline(clean_line(text))
    children = parsed[0].children or [] if parsed else []
    out: list[Token] = []
    unwrap_depth = 0  # > 0 while inside an unsafe link whose tags are dropped
    link_depth = 0  # > 0 while inside any kept link: no nested linkify there
    for token in children:
        if token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            if unwrap_depth or link_depth or not is_safe_url(href):
                unwrap_depth += 1
                continue
            link_depth += 1
            out.append(token)
        elif token.type == "link_close":
            if unwrap_depth:
                unwrap_depth -= 1
                continue
            link_depth -= 1
            out.append(token)
        elif token.type == "image":
            out.append(_text(_plain_of(token.children or [])))
        elif token.type in ("softbreak", "hardbreak"):
            out.append(_text(" "))
        elif token.type == "text" and not link_depth and not unwrap_depth:
            out += _linkify(token.content)
        elif token.type in ("html_inline", "html_block"):
            # html is disabled, so these never appear; keep the guarantee anyway.
            out.append(_text(token.content))
        else:
            out.append(token)
    return out


def _plain_of(tokens: list[Token]) -> str:
    parts: list[str] = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type == "image":
            parts.append(_plain_of(token.children or []))
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


@lru_cache(maxsize=4096)
def inline_html(text: str, refs: tuple[str, ...] = ()) -> Markup:
    """Safe HTML for one line of inline Markdown from a note.

    `refs` are the item's canonical references; written short in the text
    ("lanternfish#187") they become links to the issue.
    """
    md = _parser()
    tokens = _keep_arrows(_shorten_link_texts(_link_refs(_safe_tokens(text), refs)))
    rendered = md.renderer.render(tokens, md.options, {})
    return Markup(rendered.strip())


@lru_cache(maxsize=4096)
def inline_plain(text: str) -> PlainInline:
    """The text with Markdown markup stripped, and the safe links it held, in order.

    A link whose text is not its URL keeps its URL in `links` (the plain-text digest
    shows it as a footnote). A bare GitHub issue/PR URL is shown short, "org/repo#N"
    as in the HTML digest, and its full URL (comment anchor included) goes to `links`;
    any other bare URL stays in the text as written.
    """
    tokens = _safe_tokens(text)
    parts: list[str] = []
    links: list[str] = []
    skip_until_close = False  # inside a bare/autolinked URL: its text is the URL itself
    for token in tokens:
        if token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            if token.markup in ("linkify", "autolink"):
                shown = short_url(href)
                parts.append(shown)
                if shown != href and href not in links:
                    links.append(href)
                skip_until_close = True
            elif href not in links:
                links.append(href)
        elif token.type == "link_close":
            skip_until_close = False
        elif token.type in ("text", "code_inline") and not skip_until_close:
            parts.append(token.content)
    return PlainInline(clean_line("".join(parts)), tuple(links))
