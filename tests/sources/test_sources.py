"""Sources: what is new in a git repo, a folder or a feed, and what is refused."""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from git_notes import GitNotes, git_source, make_config, note

from digest.config.schema import Config, SourceConfig
from digest.model import Document
from digest.notes.parse import parse_document
from digest.sources.base import Batch, Scan, SourceError, decode_note, guess_org, redact_url
from digest.sources.feed import scan_feed
from digest.sources.folder import note_files, scan_dir
from digest.sources.git import parse_raw_log, scan_git
from digest.sources.globs import git_pathspecs, matches_glob
from digest.sources.html_markdown import html_to_markdown


def batches(scan: Scan) -> list[Batch]:
    return list(scan.batches)


def paths(batch: Batch) -> list[tuple[str, bool]]:
    return [(v.document.path, v.document.deleted) for v in batch.versions]


# ---- pure helpers --------------------------------------------------------------------


def test_glob_is_fnmatch_on_the_relative_path_and_double_star_matches_no_folder() -> None:
    assert matches_glob("meeting-notes/2024-01-04.md", ["meeting-notes/*.md"])
    assert not matches_glob("README.md", ["meeting-notes/*.md"])
    assert matches_glob("top.md", ["**/*.md"])
    assert matches_glob("a/b/deep.md", ["**/*.md"])
    assert not matches_glob("a/b/deep.txt", ["**/*.md"])
    assert git_pathspecs(["**/*.md", "notes/*.md"]) == ["**/*.md", "*.md", "notes/*.md"]


def test_a_password_in_a_url_is_never_shown() -> None:
    assert redact_url("https://bob:hunter2@git.example.org/x.git") == (
        "https://bob:***@git.example.org/x.git"
    )
    assert (
        redact_url("https://ghp_token@github.com/o/r.git") == "https://ghp_token@github.com/o/r.git"
    )
    assert redact_url("/srv/notes") == "/srv/notes"


def test_org_is_guessed_from_a_github_url() -> None:
    assert guess_org("https://github.com/KelpieOrg/community.git") == "kelpieorg"
    assert guess_org("git@github.com:kelpieorg/community.git") == "kelpieorg"
    assert guess_org("https://git.example.org/kelpie/notes") == ""


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"# notes\x00\x01\x02", "binary file"),
        ("# caf\u00e9".encode("latin-1"), "not UTF-8 text (invalid byte at offset 5)"),
        (b"  \n\n", "is empty"),
        (b"# x\n" + b"y" * 200, "over max_note_bytes (100)"),
    ],
)
def test_unusable_bytes_are_refused_with_the_reason(raw: bytes, problem: str) -> None:
    text, why = decode_note(raw, max_bytes=100)
    assert text is None
    assert why is not None and problem in why


def test_bom_and_crlf_are_normalized() -> None:
    text, why = decode_note("\ufeff# Kelpie\r\n\r\n- item\r\n".encode(), max_bytes=100)
    assert why is None
    assert text == "# Kelpie\n\n- item\n"


def test_raw_log_parsing_keeps_odd_paths(tmp_path: Path) -> None:
    repo = GitNotes(tmp_path / "repo")
    odd = "notes/docs(notes): 2026-01-08 Kelpie sync ü.md"
    repo.write(odd, note("2026-01-08", "[ ] [ana] odd name"))
    sha = repo.commit("odd", "2026-01-09T10:00:00+02:00")
    out = subprocess.run(
        [
            "git",
            "-C",
            str(repo.path),
            "log",
            "--raw",
            "--no-renames",
            "--no-abbrev",
            "-z",
            "--format=%x1e%H %cI",
        ],
        capture_output=True,
        check=True,
    ).stdout
    (commit,) = parse_raw_log(out)
    assert commit.sha == sha
    assert commit.committed_at == datetime(2026, 1, 9, 8, 0, tzinfo=UTC)
    assert [(c.status, c.path) for c in commit.changes] == [("A", odd)]


# ---- git ---------------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> GitNotes:
    return GitNotes(tmp_path / "kelpie-notes")


def scan(cfg: Config, last: str | None = None, blobs: dict[str, str] | None = None) -> Scan:
    return scan_git(cfg, cfg.sources[0], last_commit=last, stored_blobs=blobs or {})


def test_first_scan_walks_every_commit_in_order_with_its_date(
    tmp_path: Path, repo: GitNotes
) -> None:
    repo.write("notes/2026-01-08.md", note("2026-01-08", "[ ] [ana] tide model"))
    repo.write("README.md", "not a note\n")
    first = repo.commit("first", "2026-01-09T12:00:00Z")
    repo.write("notes/2026-02-05.md", note("2026-02-05", "[ ] [bo] moon phases"))
    second = repo.commit("second", "2026-02-06T12:00:00Z")
    repo.write("README.md", "still not a note\n")
    third = repo.commit("readme only", "2026-02-07T12:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))

    result = scan(cfg)
    found = batches(result)
    assert result.total == 2
    assert [paths(b) for b in found] == [
        [("notes/2026-01-08.md", False)],
        [("notes/2026-02-05.md", False)],
    ]
    doc = found[0].versions[0].document
    assert (doc.commit, doc.committed_at) == (first, datetime(2026, 1, 9, 12, tzinfo=UTC))
    assert doc.text.startswith("# 2026-01-08 Kelpie Sync")
    assert found[1].versions[0].document.commit == second
    # The last batch moves the cursor to the head, past commits outside the glob.
    assert found[-1].cursor == third == result.cursor
    assert (cfg.state_dir / "repos" / "kelpie" / "HEAD").is_file()


def test_later_scans_see_only_new_commits_and_deletions(tmp_path: Path, repo: GitNotes) -> None:
    repo.write("notes/a.md", note("2026-01-08", "one"))
    repo.write("notes/b.md", note("2026-01-15", "two"))
    base = repo.commit("base", "2026-01-16T00:00:00Z")
    repo.write("notes/a.md", note("2026-01-08", "one, edited"))
    repo.remove("notes/b.md")
    repo.commit("edit a, drop b", "2026-01-20T00:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))

    result = scan(cfg, last=base)
    (only,) = batches(result)
    assert sorted(paths(only)) == [("notes/a.md", False), ("notes/b.md", True)]
    assert scan(cfg, last=repo.head).total == 0


def test_a_rewritten_history_is_reconciled_with_the_new_head(
    tmp_path: Path, repo: GitNotes
) -> None:
    repo.write("notes/a.md", note("2026-01-08", "one"))
    repo.commit("a", "2026-01-09T00:00:00Z")
    repo.write("notes/b.md", note("2026-01-15", "two"))
    old_head = repo.commit("b", "2026-01-16T00:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))
    batches(scan(cfg))  # the clone now has the old history
    stored = {
        "notes/a.md": repo.git("rev-parse", f"{old_head}:notes/a.md"),
        "notes/b.md": repo.git("rev-parse", f"{old_head}:notes/b.md"),
    }
    repo.git("reset", "-q", "--hard", "HEAD~1")
    repo.write("notes/c.md", note("2026-01-22", "three"))
    new_head = repo.commit("c instead of b", "2026-01-23T00:00:00Z")

    result = scan(cfg, last=old_head, blobs=stored)
    assert any("rewritten" in w and old_head[:12] in w for w in result.warnings)
    (batch,) = batches(result)
    assert sorted(paths(batch)) == [("notes/b.md", True), ("notes/c.md", False)]
    assert batch.cursor == new_head


def test_a_clone_whose_lender_pruned_its_objects_is_made_again(
    tmp_path: Path, repo: GitNotes
) -> None:
    """A local repository's objects are borrowed: after a force-push and a gc there,
    the clone's own ref names a commit nobody has. The next sync still reads the new
    history (once reconciled) instead of failing at every run."""
    repo.write("notes/a.md", note("2026-01-08", "one"))
    repo.commit("a", "2026-01-09T00:00:00Z")
    repo.write("notes/b.md", note("2026-01-15", "two"))
    old_head = repo.commit("b", "2026-01-16T00:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))
    batches(scan(cfg))
    stored = {p: repo.git("rev-parse", f"{old_head}:{p}") for p in ("notes/a.md", "notes/b.md")}
    repo.git("reset", "-q", "--hard", "HEAD~1")
    repo.write("notes/c.md", note("2026-01-22", "three"))
    new_head = repo.commit("c instead of b", "2026-01-23T00:00:00Z")
    repo.git("reflog", "expire", "--expire=now", "--all")
    repo.git("gc", "-q", "--prune=now")
    with pytest.raises(subprocess.CalledProcessError):  # the old commit is gone for good
        repo.git("cat-file", "-e", old_head)

    result = scan(cfg, last=old_head, blobs=stored)
    assert any("rewritten" in w for w in result.warnings)
    (batch,) = batches(result)
    assert sorted(paths(batch)) == [("notes/b.md", True), ("notes/c.md", False)]
    assert batch.cursor == new_head
    assert scan(cfg, last=new_head, blobs=stored).total == 0


def test_bad_files_are_warnings_naming_source_and_path(tmp_path: Path, repo: GitNotes) -> None:
    repo.write("notes/binary.md", b"\x89PNG\r\n\x1a\n\x00\x00")
    repo.write("notes/latin1.md", "# 2026-01-08 caf\u00e9\n".encode("latin-1"))
    repo.write("notes/empty.md", "")
    repo.write("notes/huge.md", "# 2026-01-08 big\n" + "- item\n" * 100)
    repo.write("notes/fine (copy): ü.md", note("2026-01-08", "fine"))
    repo.commit("mixed", "2026-01-09T00:00:00Z")
    cfg = make_config(tmp_path, git_source(repo, max_note_bytes=300))

    (batch,) = batches(scan(cfg))
    problems = {v.document.path: v.problem for v in batch.versions}
    assert problems["notes/fine (copy): ü.md"] is None
    for path, words in [
        ("notes/binary.md", "binary"),
        ("notes/latin1.md", "not UTF-8"),
        ("notes/empty.md", "empty"),
        ("notes/huge.md", "max_note_bytes"),
    ]:
        problem = problems[path]
        assert problem and problem.startswith(f'source "kelpie": {path} at ') and words in problem


def test_a_local_repository_is_read_in_place_not_copied(tmp_path: Path, repo: GitNotes) -> None:
    repo.write("notes/a.md", note("2026-01-08", "one"))
    repo.commit("a", "2026-01-09T00:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))
    batches(scan(cfg))
    clone = cfg.state_dir / "repos" / "kelpie"
    alternates = clone / "objects" / "info" / "alternates"
    assert alternates.read_text().strip() == str((repo.path / ".git" / "objects").resolve())
    assert not list((clone / "objects").glob("pack/*.pack"))  # nothing copied

    # Moved: the clone is made again, borrowing from the new place.
    moved = tmp_path / "moved"
    repo.path.rename(moved)
    repo.path = moved
    repo.write("notes/b.md", note("2026-01-15", "two"))
    repo.commit("b", "2026-01-16T00:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))
    found = [p for b in batches(scan(cfg)) for p in paths(b)]
    assert found == [("notes/a.md", False), ("notes/b.md", False)]
    assert alternates.read_text().strip() == str((moved / ".git" / "objects").resolve())


def test_symlinks_are_not_notes(tmp_path: Path, repo: GitNotes) -> None:
    repo.write("notes/real.md", note("2026-01-08", "real"))
    os.symlink("real.md", repo.path / "notes/link.md")
    repo.commit("link", "2026-01-09T00:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))
    (batch,) = batches(scan(cfg))
    assert paths(batch) == [("notes/real.md", False)]


def test_a_branch_can_be_chosen(tmp_path: Path, repo: GitNotes) -> None:
    repo.write("notes/main.md", note("2026-01-08", "on main"))
    repo.commit("main", "2026-01-09T00:00:00Z")
    repo.git("checkout", "-q", "-b", "archive")
    repo.write("notes/archive.md", note("2026-01-15", "on archive"))
    repo.commit("archive", "2026-01-16T00:00:00Z")
    repo.git("checkout", "-q", "main")
    cfg = make_config(tmp_path, git_source(repo, branch="archive"))
    found = [p for b in batches(scan(cfg)) for p in paths(b)]
    assert ("notes/archive.md", False) in found

    missing = make_config(tmp_path / "other", git_source(repo, branch="nope"))
    with pytest.raises(SourceError, match=r'cannot fetch .*: the branch "nope" does not exist'):
        scan(missing)


def test_a_missing_repository_is_one_sentence(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, git_source(tmp_path / "nowhere"))
    with pytest.raises(SourceError) as err:
        scan(cfg)
    message = str(err.value)
    assert (
        message == f'source "kelpie": cannot fetch {tmp_path / "nowhere"}: no such file or folder.'
    )

    not_git = tmp_path / "plain"
    not_git.mkdir()
    cfg = make_config(tmp_path / "x", git_source(not_git))
    with pytest.raises(SourceError, match="it is not a git repository"):
        scan(cfg)


class _NeedsCredentials(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="kelpie"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def auth_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NeedsCredentials)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_url_that_needs_credentials_fails_at_once_without_showing_the_password(
    tmp_path: Path, auth_server: str
) -> None:
    cfg = make_config(tmp_path, git_source(f"http://{auth_server}/kelpie/notes.git"))
    with pytest.raises(SourceError) as err:
        scan(cfg)  # never prompts: GIT_TERMINAL_PROMPT=0
    assert str(err.value) == (
        f'source "kelpie": cannot fetch http://{auth_server}/kelpie/notes.git: '
        "repository not found or needs credentials."
    )

    url = f"http://bob:hunter2@{auth_server}/kelpie/notes.git"
    cfg = make_config(tmp_path / "2", git_source(url))
    with pytest.raises(SourceError) as err:
        scan(cfg)
    assert "hunter2" not in str(err.value)
    assert "needs credentials" in str(err.value)


# ---- dir ---------------------------------------------------------------------------------


def dir_config(tmp_path: Path, folder: Path) -> Config:
    return make_config(tmp_path, {"name": "folder", "kind": "dir", "path": str(folder)})


def test_dir_changes_are_found_by_content_hash(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "2026-01-08.md").write_text(note("2026-01-08", "one"))
    (folder / "sub" / "2026-01-15.md").write_text(note("2026-01-15", "two"))
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "x.md").write_text(note("2026-01-01", "hidden"))
    os.utime(folder / "2026-01-08.md", (1767866400, 1767866400))
    cfg = dir_config(tmp_path, folder)
    src = cfg.sources[0]

    first = [v.document for b in scan_dir(cfg, src, stored_blobs={}).batches for v in b.versions]
    assert sorted(d.path for d in first) == ["2026-01-08.md", "sub/2026-01-15.md"]
    by_path = {d.path: d for d in first}
    assert by_path["2026-01-08.md"].committed_at == datetime.fromtimestamp(1767866400, UTC)
    stored = {d.path: d.blob for d in first}

    assert list(scan_dir(cfg, src, stored_blobs=stored).batches) == []
    os.utime(folder / "2026-01-08.md")  # touched, same bytes: not new
    (folder / "sub" / "2026-01-15.md").unlink()
    (folder / "2026-01-08.md").write_text(note("2026-01-08", "one, edited"))
    changed = [p for b in scan_dir(cfg, src, stored_blobs=stored).batches for p in paths(b)]
    assert changed == [("2026-01-08.md", False), ("sub/2026-01-15.md", True)]


def _scan_all(scan: Scan) -> list[tuple[str, bool]]:
    return [p for b in scan.batches for p in paths(b)]


def test_a_folder_file_is_read_again_only_when_its_stat_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A no-op sync of a big folder stats its files instead of reading them; an edit
    is still found when it keeps the size and the modification time (cp -p, rsync -t)."""
    import digest.sources.folder as folder_source

    folder = tmp_path / "notes"
    folder.mkdir()
    for day in ("2026-01-08", "2026-01-15"):
        (folder / f"{day}.md").write_text(note(day, "tide tables"))
    cfg = dir_config(tmp_path, folder)
    src = cfg.sources[0]
    later = time.time_ns() + 60_000_000_000  # a sync a minute on: nothing is too recent
    reads: list[str] = []
    real_read = folder_source._read

    def counted_read(*args: Any) -> Any:
        reads.append(args[1])
        return real_read(*args)

    monkeypatch.setattr(folder_source, "_read", counted_read)

    first = scan_dir(cfg, src, stored_blobs={}, now_ns=later)
    stored = {d.path: d.blob for b in first.batches for v in b.versions for d in [v.document]}
    assert first.files == {}  # nothing was stored yet: nothing to vouch for
    second = scan_dir(cfg, src, stored_blobs=stored, now_ns=later)
    assert _scan_all(second) == [] and sorted(second.files) == sorted(stored)
    reads.clear()
    third = scan_dir(cfg, src, stored_blobs=stored, known_files=second.files, now_ns=later)
    assert _scan_all(third) == [] and reads == [] and third.files == second.files

    edited = folder / "2026-01-08.md"
    before = edited.stat()
    edited.write_text(note("2026-01-08", "tide tablez"))  # same size ...
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))  # ... same mtime
    assert edited.stat().st_size == before.st_size
    fourth = scan_dir(cfg, src, stored_blobs=stored, known_files=third.files, now_ns=later)
    assert _scan_all(fourth) == [("2026-01-08.md", False)] and reads == ["2026-01-08.md"]
    assert "2026-01-08.md" not in fourth.files  # its new version is not stored yet

    # An entry vouches only for the version it was made with: after a start over
    # (nothing stored) or with another stored hash, the file is read.
    reads.clear()
    other = {**stored, "2026-01-15.md": "0" * 64}
    assert _scan_all(scan_dir(cfg, src, stored_blobs=other, known_files=third.files)) == [
        ("2026-01-08.md", False),
        ("2026-01-15.md", False),
    ]
    assert reads == ["2026-01-08.md", "2026-01-15.md"]


def test_a_folder_file_changed_just_before_the_scan_is_not_vouched_for(tmp_path: Path) -> None:
    """Written in the clock tick the scan reads it, a file could change again without
    its stat changing: such a file is read by the next scan too."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "2026-01-08.md").write_text(note("2026-01-08", "one"))
    cfg = dir_config(tmp_path, folder)
    src = cfg.sources[0]
    first = scan_dir(cfg, src, stored_blobs={})
    stored = {v.document.path: v.document.blob for b in first.batches for v in b.versions}
    now = scan_dir(cfg, src, stored_blobs=stored)
    assert _scan_all(now) == [] and now.files == {}  # written just now
    later = scan_dir(cfg, src, stored_blobs=stored, now_ns=time.time_ns() + 60_000_000_000)
    assert _scan_all(later) == [] and list(later.files) == ["2026-01-08.md"]


def test_a_folder_is_listed_files_first_then_subfolders_without_links_to_folders(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "notes"
    (folder / "b").mkdir(parents=True)
    (folder / "a").mkdir()
    (folder / ".obsidian").mkdir()
    for rel in ("z.md", "a/y.md", "b/x.md", ".obsidian/w.md", "b/notes.txt"):
        (folder / rel).write_text(note("2026-01-08", rel))
    (folder / "linked").symlink_to(folder / "a")  # a link to a folder is not walked
    (folder / "alias.md").symlink_to(folder / "z.md")  # a link to a file is that file
    (folder / "broken.md").symlink_to(folder / "missing.md")
    assert list(note_files(folder, ["**/*.md"])) == ["alias.md", "z.md", "a/y.md", "b/x.md"]


def test_a_missing_folder_is_an_error_not_a_deletion(tmp_path: Path) -> None:
    cfg = dir_config(tmp_path, tmp_path / "unmounted")
    with pytest.raises(SourceError, match=r"the folder .*unmounted does not exist\.$"):
        scan_dir(cfg, cfg.sources[0], stored_blobs={"a.md": "x"})


# ---- feed --------------------------------------------------------------------------------

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Kelpie meeting notes</title>
  <id>urn:kelpie:notes</id>
  <updated>2026-02-06T10:00:00Z</updated>
  <entry>
    <title>2026-02-05 Kelpie Sync</title>
    <id>urn:kelpie:notes:2026-02-05</id>
    <published>2026-02-06T10:00:00Z</published>
    <updated>2026-02-06T10:00:00Z</updated>
    <content type="html">&lt;h2&gt;Action items&lt;/h2&gt;&lt;ul&gt;&lt;li&gt;[ana] publish the
      tide tables &amp;mdash; in progress&lt;ul&gt;&lt;li&gt;needs the &lt;a
      href="https://example.org/moon"&gt;moon data&lt;/a&gt;&lt;/li&gt;&lt;/ul&gt;&lt;/li&gt;
      &lt;li&gt;[bo] fix the DST bug -&amp;gt; done&lt;/li&gt;&lt;/ul&gt;</content>
  </entry>
</feed>
"""

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
  <title>Kelpie calls</title><link>https://example.org/</link><description>notes</description>
  <item>
    <title>Kelpie Community Call</title>
    <guid>https://example.org/calls/2026-03-04</guid>
    <pubDate>Wed, 04 Mar 2026 18:00:00 GMT</pubDate>
    <description><![CDATA[<h1>2026-03-04 Kelpie Community Call</h1>
      <h2>Agenda</h2><p>Notes first.<br>Second line.</p>
      <table><tr><th>Area</th><th>Status</th></tr><tr><td>Tides</td><td>done</td></tr></table>
    ]]></description>
  </item>
</channel></rss>
"""


def feed_config(tmp_path: Path, text: str, name: str = "feed.xml") -> tuple[Config, SourceConfig]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    cfg = make_config(tmp_path, {"name": "calls", "kind": "feed", "url": name})
    return cfg, cfg.sources[0]


def test_atom_entries_become_notes_the_parser_reads(tmp_path: Path) -> None:
    cfg, src = feed_config(tmp_path, ATOM)
    (batch,) = list(scan_feed(cfg, src, stored_blobs={}).batches)
    doc = batch.versions[0].document
    assert doc.path == "urn:kelpie:notes:2026-02-05"
    assert doc.committed_at == datetime(2026, 2, 6, 10, tzinfo=UTC)
    assert doc.text.startswith("# 2026-02-05 Kelpie Sync\n")
    assert "- [ana] publish the tide tables — in progress" in doc.text
    assert "    - needs the [moon data](https://example.org/moon)" in doc.text
    (meeting,) = parse_document(doc).meetings
    assert meeting.date.isoformat() == "2026-02-05"
    assert [s.path for s in meeting.sections] == [("Action items",)]
    # Unchanged entries are not new on the next scan.
    assert list(scan_feed(cfg, src, stored_blobs={doc.path: doc.blob}).batches) == []


def test_rss_html_with_its_own_heading_and_a_table(tmp_path: Path) -> None:
    cfg, src = feed_config(tmp_path, RSS, "calls.rss")
    (batch,) = list(scan_feed(cfg, src, stored_blobs={}).batches)
    doc = batch.versions[0].document
    assert doc.path == "https://example.org/calls/2026-03-04"
    assert doc.text.count("# ") == 2  # its own H1 kept, the title not prepended
    assert "Notes first.\nSecond line." in doc.text
    assert "| Area | Status |\n| --- | --- |\n| Tides | done |" in doc.text


def test_a_malformed_feed_is_one_warning_sentence(tmp_path: Path) -> None:
    cfg, src = feed_config(tmp_path, "this is <not a feed")
    with pytest.raises(SourceError, match=r'^source "calls": .* is not a readable RSS/Atom feed'):
        scan_feed(cfg, src, stored_blobs={})
    missing = make_config(tmp_path, {"name": "calls", "kind": "feed", "url": "gone.xml"})
    with pytest.raises(SourceError, match="does not exist"):
        scan_feed(missing, missing.sources[0], stored_blobs={})


def test_html_to_markdown_shapes() -> None:
    html = (
        "<h3>Next steps</h3><ol><li>first<ol><li>nested</li></ol></li><li>second</li></ol>"
        '<ul><li><input type="checkbox" checked> shipped</li><li><input type="checkbox"> '
        "open</li><li><del>Ana: send the survey</del></li></ul><script>alert(1)</script>"
        "<p>a &amp; b</p>"
    )
    assert html_to_markdown(html) == (
        "### Next steps\n\n1. first\n    1. nested\n2. second\n\n"
        "- [x] shipped\n- [ ] open\n- ~~Ana: send the survey~~\n\na & b\n"
    )


def test_feed_documents_are_documents() -> None:
    # The feed path and sha256 blob fit the Document contract used by every stage.
    doc = Document("calls", "urn:x", "# t\n", "0" * 64)
    assert not doc.deleted


def test_double_star_slash_anywhere_matches_zero_or_more_folders() -> None:
    assert matches_glob("meeting-notes/2026-01-08.md", ["meeting-notes/**/*.md"])
    assert matches_glob("meeting-notes/2026/01/08.md", ["meeting-notes/**/*.md"])
    assert matches_glob("a/b.md", ["a/**/**/b.md"])
    assert not matches_glob("other/2026-01-08.md", ["meeting-notes/**/*.md"])
    assert git_pathspecs(["notes/**/*.md"]) == ["notes/**/*.md", "notes/*.md"]


def test_exclude_drops_files_the_glob_would_select() -> None:
    assert not matches_glob("notes/README.md", ["notes/*.md"], ["**/README.md"])
    assert not matches_glob("notes/_template.md", ["**/*.md"], ["**/*template*"])
    assert matches_glob("notes/2026-01-08.md", ["notes/*.md"], ["**/README.md"])
    # fnmatch ranges, as the issue asks of globs: the 2016-2019 folders only.
    assert matches_glob("201[6-9]/a.md", ["201[[]6-9]/*.md"])
    assert matches_glob("2017/a.md", ["201[6-9]/*.md"])
    assert not matches_glob("2015/a.md", ["201[6-9]/*.md"])


def test_excluded_files_are_never_read_from_git_or_a_folder(tmp_path: Path, repo: GitNotes) -> None:
    repo.write("notes/2026-01-08.md", note("2026-01-08", "one"))
    repo.write("notes/README.md", "# About these notes\n\n- Be kind\n")
    repo.commit("notes and a readme", "2026-01-09T00:00:00Z")
    cfg = make_config(tmp_path, git_source(repo, exclude=["**/README.md"]))
    read = [p for b in batches(scan(cfg)) for p in paths(b)]
    assert read == [("notes/2026-01-08.md", False)]

    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "2026-01-08.md").write_text(note("2026-01-08", "one"))
    (folder / "template.md").write_text("# Sync YYYY-MM-DD\n")
    cfg = make_config(
        tmp_path / "d",
        {"name": "folder", "kind": "dir", "path": str(folder), "exclude": "template.md"},
    )
    found = [p for b in scan_dir(cfg, cfg.sources[0], stored_blobs={}).batches for p in paths(b)]
    assert found == [("2026-01-08.md", False)]
