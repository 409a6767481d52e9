"""dir sources: a folder; a note is new when its content's sha256 changed.

Hidden folders are skipped. A missing folder is a SourceError, never "every note
deleted" (it may be an unmounted disk).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from digest.config.schema import Config, SourceConfig
from digest.model import Document
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


def scan_dir(cfg: Config, src: SourceConfig, *, stored_blobs: Mapping[str, str]) -> Scan:
    root = _folder(cfg, src)
    found = note_files(root, src.glob, src.exclude)
    gone = sorted(p for p in stored_blobs if p not in found)
    warnings: list[str] = []  # filled while the batches are read
    if not found:
        warnings.append(no_file_matches(src, str(root)))

    def batches() -> Iterator[Batch]:
        for rel, full in found.items():
            read = _read(src, rel, full, warnings)
            if read is None:
                continue
            raw, mtime = read
            blob = sha256_hex(raw)
            if stored_blobs.get(rel) == blob:
                continue
            yield Batch(versions=[note_version(src, rel, raw, blob, None, mtime)])
        for rel in gone:
            doc = Document(src.name, rel, "", stored_blobs[rel], None, None, deleted=True)
            yield Batch(versions=[NoteVersion(doc)])

    # Hashing is cheap next to parsing; the total is an upper bound for the progress bar.
    return Scan(total=len(found) + len(gone), batches=batches(), warnings=warnings)


def list_dir_notes(cfg: Config, src: SourceConfig) -> Listing:
    """Every note the folder holds now, read as scan_dir reads it."""
    root = _folder(cfg, src)
    warnings: list[str] = []
    found = note_files(root, src.glob, src.exclude)
    versions: list[NoteVersion] = []
    for rel, full in found.items():
        read = _read(src, rel, full, warnings)
        if read is not None:
            raw, mtime = read
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


def note_files(root: Path, globs: Sequence[str], exclude: Sequence[str] = ()) -> dict[str, Path]:
    """Relative path -> file, for the files under root that the globs select.

    Hidden folders (".git", ".obsidian") are never entered.
    """
    found: dict[str, Path] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        # Plain strings, not a Path per file: a no-op sync of a folder of thousands
        # of notes is mostly this loop.
        prefix = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        for name in sorted(files):
            rel = prefix + name
            if matches_glob(rel, globs, exclude):
                full = os.path.join(folder, name)
                if os.path.isfile(full):
                    found[rel] = Path(full)
    return found


def _read(
    src: SourceConfig, rel: str, full: Path, warnings: list[str]
) -> tuple[bytes, datetime] | None:
    """A file's bytes and modification time (its date), or None and a warning."""
    try:
        with open(full, "rb") as file:
            return file.read(), datetime.fromtimestamp(os.fstat(file.fileno()).st_mtime, UTC)
    except OSError as exc:
        warnings.append(f'source "{src.name}": {rel} cannot be read ({exc.strerror}).')
        return None
