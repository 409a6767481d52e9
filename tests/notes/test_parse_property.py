"""parse_document and extract_items never raise, whatever the text."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from digest.config.schema import TrackingConfig
from digest.model import Document
from digest.notes.items import extract_items
from digest.notes.parse import parse_document

MARKDOWNISH = st.lists(
    st.sampled_from(
        [
            "# ",
            "## ",
            "### 2024-01-0",
            "2023-13-45",
            "- ",
            "  - ",
            "* [ ] ",
            "[x] ",
            "| a | Status |\n|---|---|\n",
            "| ",
            " |",
            "**",
            "[",
            "](",
            ")",
            "-> ",
            "done",
            "ACTION:",
            "@",
            "#12",
            "https://github.com/a/b/issues/1",
            "\n",
            "\n\n",
            "> ",
            "```",
            "\t",
            "\r",
        ]
    )
    | st.text(max_size=8),
    max_size=60,
).map("".join)


def run(text: str, path: str) -> None:
    doc = Document(
        source="s",
        path=path,
        text=text,
        blob="b",
        committed_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    result = parse_document(doc)
    assert all(isinstance(w, str) and w for w in result.warnings)
    for meeting in result.meetings:
        assert 1 <= meeting.line <= max(meeting.end_line, 1)
        extract_items(meeting, TrackingConfig(), org="o")


@settings(max_examples=300, deadline=None)
@given(st.text(), st.sampled_from(["n.md", "2024-02-30-x.md", "2024-01-05.md", "dir/a b.md"]))
def test_arbitrary_text(text: str, path: str) -> None:
    run(text, path)


@settings(max_examples=300, deadline=None)
@given(MARKDOWNISH)
def test_markdown_like_text(text: str) -> None:
    run(text, "notes.md")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes(raw: bytes) -> None:
    run(raw.decode("utf-8", errors="replace"), "2024-03-01.md")
