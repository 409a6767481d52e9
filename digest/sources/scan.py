"""One entry per question asked of a source, whatever its kind.

- `scan_source`: what is new since the stored state (`digest sync`);
- `list_notes`: the notes it holds now (`digest doctor`), read by the same code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from digest.config.schema import Config, SourceConfig
from digest.sources.base import Listing, Scan, redact_url

# Each kind's module is imported when a source of that kind is read: a `digest
# sync` of one folder never pays for the feed reader's HTML parser or git's code.


def scan_source(
    cfg: Config,
    src: SourceConfig,
    *,
    last_commit: str | None,
    stored_blobs: Mapping[str, str],
    known_files: Mapping[str, tuple[str, str]] | None = None,
    now: datetime | None = None,
) -> Scan:
    """What is new in one source since the stored state (SourceError: the source failed).

    `known_files`: a folder's last `Scan.files`, so that unchanged files are not read;
    `now`: the sync's clock (a folder trusts no file changed just before it).
    """
    if src.kind == "git":
        from digest.sources.git import scan_git

        return scan_git(cfg, src, last_commit=last_commit, stored_blobs=stored_blobs)
    if src.kind == "dir":
        from digest.sources.folder import scan_dir

        now_ns = None if now is None else int(now.timestamp() * 1_000_000_000)
        return scan_dir(cfg, src, stored_blobs=stored_blobs, known_files=known_files, now_ns=now_ns)
    from digest.sources.feed import scan_feed

    return scan_feed(cfg, src, stored_blobs=stored_blobs)


def list_notes(cfg: Config, src: SourceConfig) -> Listing | None:
    """The notes a source holds now, each read as `digest sync` reads it.

    None for a git source that lives across a network: listing it would mean
    fetching it, which `digest sync` does (doctor then counts the synced notes).
    SourceError, one sentence, when the source cannot be read.
    """
    if src.kind == "git":
        from digest.sources.git import is_local, list_git_notes

        return list_git_notes(cfg, src) if is_local(src.url) else None
    if src.kind == "dir":
        from digest.sources.folder import list_dir_notes

        return list_dir_notes(cfg, src)
    from digest.sources.feed import list_feed_notes

    return list_feed_notes(cfg, src)


def where(cfg: Config, src: SourceConfig) -> str:
    """Where a source's notes are read from, as shown to a user (never a password)."""
    if src.kind == "git":
        from digest.sources.git import git_location

        return redact_url(git_location(cfg, src))
    if src.kind == "dir":
        return str(cfg.resolve(src.path))
    from digest.sources.feed import feed_location

    return redact_url(feed_location(cfg, src))
