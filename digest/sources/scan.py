"""One entry per question asked of a source, whatever its kind.

- `scan_source`: what is new since the stored state (`digest sync`);
- `list_notes`: the notes it holds now (`digest doctor`), read by the same code.
"""

from __future__ import annotations

from collections.abc import Mapping

from digest.config.schema import Config, SourceConfig
from digest.sources.base import Scan
from digest.sources.feed import scan_feed
from digest.sources.folder import scan_dir
from digest.sources.git import scan_git


def scan_source(
    cfg: Config,
    src: SourceConfig,
    *,
    last_commit: str | None,
    stored_blobs: Mapping[str, str],
) -> Scan:
    """What is new in one source since the stored state (SourceError: the source failed)."""
    if src.kind == "git":
        return scan_git(cfg, src, last_commit=last_commit, stored_blobs=stored_blobs)
    if src.kind == "dir":
        return scan_dir(cfg, src, stored_blobs=stored_blobs)
    return scan_feed(cfg, src, stored_blobs=stored_blobs)
