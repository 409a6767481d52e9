"""Inline Markdown as the words a reader sees: one home for the patterns every reader
of notes strips (links, bare URLs, code spans, emphasis marks).

`plain_text` is the one conversion; the few readers that need another shape of the
same thing (offsets kept for owners, word boundaries kept for thread tokens) use the
same patterns. Output Markdown (HTML or plain text of a digest) is digest.mail.inline,
a real parser: these are for reading notes, where speed and robustness matter more.
"""

from __future__ import annotations

import re

# [text](url) and ![alt](src); group 1 is the text.
MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# A bare URL, up to the next white space ("www.example.org/x" is one too).
URL = re.compile(r"(?:https?://|www\.)\S+")
CODE = re.compile(r"`[^`]*`")
EMPHASIS = re.compile(r"[*_`~]+")


# Zulip's mentions, as notes kept beside a Zulip stream write them (Rust's teams).
ZULIP_MENTION = re.compile(r"@_?\*\*([^*\n|]{1,40}?)(?:\|\d+)?\*\*")
# A line of a chat log, who said it in angle brackets: "<ana> we have two proposals".
CHAT_LINE = r"<[\w.'|-]{1,30}>\s+\S"

# Most lines have no link, URL, code span or emphasis: each substitution below is
# skipped where a string its pattern needs is absent (same result, a fraction of the
# time of a substitution that finds nothing).


def link_text(text: str) -> str:
    """`text` with each Markdown link (and image) replaced by its text, and each Zulip
    mention ("@**Ana Lima**", silent "@_**Bo**") written as a plain one ("@Ana Lima")."""
    if "](" in text:
        text = MD_LINK.sub(r"\1", text)
    return ZULIP_MENTION.sub(r"@\1", text) if "@" in text and "**" in text else text


def has_url(text: str) -> bool:
    """Whether `text` may hold a bare URL (False only when URL cannot match)."""
    return "://" in text or "www." in text


def _has_emphasis(text: str) -> bool:
    return "*" in text or "_" in text or "`" in text or "~" in text


def plain_text(text: str, *, urls: bool = True, code: bool = True) -> str:
    """`text` without Markdown markup: a link becomes its text, emphasis marks go.

    urls=False also drops bare URLs (each becomes a space: they are not words);
    code=False drops code spans whole (a status word in `code` is not a status).
    """
    text = link_text(text)
    if not urls and has_url(text):
        text = URL.sub(" ", text)
    if not code and "`" in text:
        text = CODE.sub(" ", text)
    return EMPHASIS.sub("", text) if _has_emphasis(text) else text


def blank_links(text: str) -> str:
    """Links and bare URLs replaced by as many spaces: the other words keep their offsets."""
    if "](" in text:
        text = MD_LINK.sub(lambda m: " " * len(m.group(0)), text)
    return URL.sub(lambda m: " " * len(m.group(0)), text) if has_url(text) else text


# The months' names, as dates in notes write them ("Nov", "November", "Sept."): an
# alternation without a group, for the patterns that read or recognize a date.
MONTH_NAMES = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)

# "(10 min)", "[5m]", "(~10-15 mins)", "(1h)": how long an agenda gave a topic.
_TIME_BOX = re.compile(
    r"\s*[(\[]\s*~?\d{1,3}(?:\s*[-–]\s*\d{1,3})?\s*(?:m|mins?|minutes|h|hrs?|hours?)\.?\s*[)\]]",
    re.I,
)


# "(Bo, 10 min)", "(10 mins, @ana)": who brings the topic, and its time.
_TIME_WITH_NAME = re.compile(
    r"\(\s*(?:(?P<before>[^(),\d][^(),]{0,40}?)\s*,\s*)?~?\d{1,3}\s*"
    r"(?:m|mins?|minutes|h|hrs?|hours?)\.?(?:\s*,\s*(?P<after>[^(),]{1,40}?))?\s*\)",
    re.I,
)


# "10:50 – ", "14h00-14h30 ", "9:05am | ": the agenda's slot before a topic.
_CLOCK_SLOT = re.compile(
    r"^\s*(?:\*\*|__)?\d{1,2}[:h]\d{2}\s*(?:[ap]\.?m\.?)?"
    r"(?:\s*[-–—]\s*\d{1,2}[:h]\d{2}\s*(?:[ap]\.?m\.?)?)?(?:\s+UTC)?(?:\*\*|__)?"
    r"\s*(?:[-–—:|]\s+|\s+)(?=\S)",
    re.I,
)


def without_time_box(text: str) -> str:
    """The title without the agenda's time box: "Beta status (10 min)" -> "Beta status",
    "Beta status (Bo, 10 min)" -> "Beta status (Bo)", "10:50 – Beta status" -> "Beta
    status"."""
    if ":" in text[:6] or "h" in text[:6]:
        text = _CLOCK_SLOT.sub("", text, count=1) or text
    if "(" in text:
        text = _TIME_WITH_NAME.sub(
            lambda m: f"({who})" if (who := m.group("before") or m.group("after")) else m[0],
            text,
        )
    return _TIME_BOX.sub("", text).strip() or text
