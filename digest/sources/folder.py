"""dir sources: a folder; a note is new when its content's sha256 changed.

Hidden folders are skipped. A missing folder is a SourceError, never "every note
deleted" (it may be an unmounted disk).

A file is read only when it may have changed: as git's index does, a sync keeps
each file's size, times and inode beside the stored version's hash (`Scan.files`),
and the next sync reads only files whose `os.stat` differs. A file changed within
RACY_NS of the scan that recorded it is never trusted this way: a write in the
same clock tick would leave its stat unchanged.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from digest.config.schema import Config, SourceConfig
from digest.sources.base import (
    Batch,
    Listing,
    NoteVersion,
    Scan,
    SourceError,
    no_file_matches,
    note_version,
    sha256_hex,
)
from digest.sources.globs import matches_glob

if TYPE_CHECKING:
    pass

# Coarser than any file system's timestamps (FAT: 2 s) and than the clock's step.
RACY_NS = 3_000_000_000


def scan_dir(
    cfg: Config,
    src: SourceConfig,
    *,
    stored_blobs: Mapping[str, str],
    known_files: Mapping[str, tuple[str, str]] | None = None,
    now_ns: int | None = None,
) -> Scan:
    """What changed in the folder since the stored versions (`stored_blobs`).

    `known_files` is the last scan's `Scan.files` (path -> stat signature, hash):
    a file whose signature and stored hash are both unchanged is not read again.
    """
    root = _folder(cfg, src)
    found = note_files(root, src.glob, src.exclude)
    gone = sorted(p for p in stored_blobs if p not in found)
    known = known_files or {}
    trusted_before = (time.time_ns() if now_ns is None else now_ns) - RACY_NS
    warnings: list[str] = []  # filled while the batches are read
    if not found:
        warnings.append(no_file_matches(src, str(root)))
    scan = Scan(total=len(found) + len(gone), batches=iter(()), warnings=warnings)

    def batches() -> Iterator[Batch]:
        for rel, full in found.items():
            stored = stored_blobs.get(rel)
            if stored is not None and rel in known:
                try:
                    signature = _signature(os.stat(full), trusted_before)
                except OSError:
                    signature = None
                if signature is not None and known[rel] == (signature, stored):
                    scan.files[rel] = known[rel]
                    continue
            read = _read(src, rel, full, warnings, trusted_before)
            if read is None:
                continue
            raw, mtime, signature = read
            blob = sha256_hex(raw)
            if stored == blob:
                if signature is not None:
                    scan.files[rel] = (signature, blob)
                continue
            yield Batch(versions=[note_version(src, rel, raw, blob, None, mtime)])
        if gone:
            from digest.model import Document
        for rel in gone:
            doc = Document(src.name, rel, "", stored_blobs[rel], None, None, deleted=True)
            yield Batch(versions=[NoteVersion(doc)])

    # Hashing is cheap next to parsing; the total is an upper bound for the progress bar.
    scan.batches = batches()
    return scan


def list_dir_notes(cfg: Config, src: SourceConfig) -> Listing:
    """Every note the folder holds now, read as scan_dir reads it."""
    root = _folder(cfg, src)
    warnings: list[str] = []
    found = note_files(root, src.glob, src.exclude)
    versions: list[NoteVersion] = []
    for rel, full in found.items():
        read = _read(src, rel, full, warnings)
        if read is not None:
            raw, mtime, _signature = read
            versions.append(note_version(src, rel, raw, sha256_hex(raw), None, mtime))
    if not found:
        warnings.append(no_file_matches(src, str(root)))
    return Listing(str(root), versions, warnings)


def _folder(cfg: Config, src: SourceConfig) -> Path:
    root = cfg.resolve(src.path)
    if not root.is_dir():
        # Never read a missing folder as "every note deleted": it may be an unmounted disk.
        what = "is not a folder" if root.exists() else "does not exist"
        raise SourceError(f'source "{src.name}": the folder {root} {what}.')
    return root


def note_files(root: Path, globs: Sequence[str], exclude: Sequence[str] = ()) -> dict[str, str]:
    """Relative path -> file, for the files under root that the globs select.

    A folder's files come before its sub-folders, each in name order. Hidden
    folders (".git", ".obsidian") are never entered, nor are links to folders; a
    link to a file is that file; a folder that cannot be listed is skipped.
    """
    found: dict[str, str] = {}

    # Plain strings and DirEntry types, no Path or stat per file: a no-op sync of a
    # folder of thousands of notes is mostly this loop.
    def walk(folder: str, prefix: str) -> None:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            return
        folders = []
        for entry in entries:
            if entry.is_dir():
                if not entry.name.startswith(".") and not entry.is_symlink():
                    folders.append(entry)
            elif entry.is_file():
                rel = prefix + entry.name
                if matches_glob(rel, globs, exclude):
                    found[rel] = entry.path
        for entry in folders:
            walk(entry.path, prefix + entry.name + "/")

    walk(str(root), "")
    return found


def _signature(stat: os.stat_result, trusted_before: int) -> str | None:
    """What changes when a file is written (size, times, inode); None while too recent."""
    if stat.st_mtime_ns >= trusted_before or stat.st_ctime_ns >= trusted_before:
        return None
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"


def _read(
    src: SourceConfig, rel: str, full: str, warnings: list[str], trusted_before: int = 0
) -> tuple[bytes, datetime, str | None] | None:
    """A file's bytes, modification time (its date) and stat signature taken before
    it was read (None if too recent to trust), or None and a warning."""
    try:
        with open(full, "rb") as file:
            stat = os.fstat(file.fileno())
            raw = file.read()
    except OSError as exc:
        warnings.append(f'source "{src.name}": {rel} cannot be read ({exc.strerror}).')
        return None
    return raw, datetime.fromtimestamp(stat.st_mtime, UTC), _signature(stat, trusted_before)
