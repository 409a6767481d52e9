"""Every entry links to the exact line of the note it came from."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from digest.config.schema import Config, ConfigError, SourceConfig
from digest.model import Item
from digest.tracking.links import permalink, source_link


def test_github_git_sources_get_a_blob_permalink_without_configuration() -> None:
    src = SourceConfig(name="notes", kind="git", url="https://github.com/otterdb/community.git")
    url = permalink(src, "meeting-notes/2031-03-04-maintainers.md", 17, "abc123")
    assert url == (
        "https://github.com/otterdb/community/blob/abc123/"
        "meeting-notes/2031-03-04-maintainers.md#L17"
    )


def test_ssh_clone_urls_work_too() -> None:
    src = SourceConfig(name="notes", kind="git", url="git@github.com:otterdb/community.git")
    assert permalink(src, "a.md", 1, "f00").startswith("https://github.com/otterdb/community/")


def test_odd_file_names_are_url_quoted() -> None:
    src = SourceConfig(name="notes", kind="git", url="https://github.com/otterdb/community")
    url = permalink(src, "meeting-notes/docs(notes): 2031-03-04 maintainers.md", 3, "abc")
    assert url.endswith("/meeting-notes/docs%28notes%29%3A%202031-03-04%20maintainers.md#L3")


def test_web_url_template_wins_and_uses_branch_without_commit() -> None:
    src = SourceConfig(
        name="notes",
        kind="dir",
        path="notes",
        branch="trunk",
        web_url="https://git.example.org/otter/src/{commit}/notes/{path}#L{line}",
    )
    assert (
        permalink(src, "x y.md", 9, None)
        == "https://git.example.org/otter/src/trunk/notes/x%20y.md#L9"
    )


def test_no_web_url_means_path_and_line() -> None:
    src = SourceConfig(name="notes", kind="git", url="/srv/git/notes.git")
    assert permalink(src, "a.md", 4, "abc") == "a.md:4"
    assert permalink(SourceConfig(name="d", kind="dir", path="n"), "a.md", 4, None) == "a.md:4"


def test_unknown_placeholder_is_one_sentence_naming_the_source() -> None:
    src = SourceConfig(name="notes", kind="dir", path="n", web_url="https://x/{file}#L{line}")
    with pytest.raises(ConfigError, match=r'source "notes": web_url .*\{file\}'):
        permalink(src, "a.md", 1, None)


def test_source_link_of_an_item() -> None:
    cfg = Config(
        path=Path("config.toml"),
        sources=[SourceConfig(name="notes", kind="git", url="https://github.com/o/r")],
    )
    it = Item(
        meeting_id="m",
        series="s",
        meeting_date=date(2031, 1, 1),
        form="list",
        meaning="agenda",
        section=(),
        text="t",
        path="n/a.md",
        line=12,
        commit="c1",
        source="notes",
    )
    link = source_link(cfg, it)
    assert (link.path, link.line, link.commit) == ("n/a.md", 12, "c1")
    assert link.url == "https://github.com/o/r/blob/c1/n/a.md#L12"
    gone = Item(**{**it.__dict__, "source": "removed"})
    assert source_link(cfg, gone).url == "n/a.md:12"
