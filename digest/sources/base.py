"""What every kind of source answers with, and the helpers they share.

A scan yields `Batch`es of `NoteVersion`s (digest.app.sync writes one transaction
per batch); a listing is the `NoteVersion`s a source holds now (digest.app.doctor).
Problems with one note (binary, not UTF-8, empty, too big) are a version's
`problem`, one sentence naming the source and path, and the run goes on; problems
with a whole source (cannot fetch, folder missing) raise SourceError, one sentence,
and other sources still sync.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from digest.config.schema import SourceConfig
from digest.errors import UserError
from digest.log import CONTROL_CHARACTERS

if TYPE_CHECKING:
    from digest.model import Document


class SourceError(UserError):
    """A whole source cannot be read this run (one sentence); other sources go on."""


@dataclass(frozen=True)
class NoteVersion:
    """One version of one note, as found in a source.

    `problem` is set when the bytes cannot be used as a note (binary, not UTF-8,
    empty, too big): the version is recorded with that warning and not parsed.
    `superseded` is set when a later version of the same note comes in the same
    scan: only its meetings matter (when each first appeared), not its items.
    """

    document: Document
    problem: str | None = None
    superseded: bool = False


@dataclass
class Batch:
    """Changes written together in one transaction (one commit, or one file/entry).

    `cursor` is the source position once the batch is stored (git: a commit).
    """

    versions: list[NoteVersion] = field(default_factory=list)
    cursor: str | None = None


@dataclass
class Scan:
    """A source's new note versions, in batches stored one at a time."""

    total: int  # number of batches to come (for a progress bar)
    batches: Iterator[Batch]
    warnings: list[str] = field(default_factory=list)
    cursor: str | None = None  # where the source stands once every batch is stored
    meetings_from: date | None = None  # git `since`: meetings held before it are not kept
    # A folder: path -> (stat signature, hash) of each file found to hold its stored
    # version, filled as the batches are read; the next scan skips reading those.
    files: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class Listing:
    """The notes a source holds now, each read as a sync would read it (for doctor).

    `versions` includes the files a sync skips, each with its `problem`.
    """

    where: str  # the folder, or the repository as git reads it (no password)
    versions: list[NoteVersion]
    warnings: list[str] = field(default_factory=list)


def no_file_matches(src: SourceConfig, where: str) -> str:
    """The warning for a source whose globs select nothing: almost always a wrong glob."""
    globs = ", ".join(f'"{g}"' for g in src.glob)
    subject = f"glob {globs} matches" if len(src.glob) == 1 else f"globs {globs} match"
    return f'source "{src.name}": {subject} no file in {where}; check [[sources]] glob.'


def redact_url(url: str) -> str:
    """The URL without any password or token embedded in it (user@ is kept)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    shown = f"{user}:***@{host}" if ":" in userinfo or not user else f"{user}@{host}"
    return urllib.parse.urlunsplit(parts._replace(netloc=shown))


def redact_url_in(text: str, url: str) -> str:
    return text.replace(url, redact_url(url)) if url else text


_GITHUB = re.compile(r"github\.com[:/]+([A-Za-z0-9][A-Za-z0-9-]*)/", re.IGNORECASE)


def guess_org(url: str) -> str:
    """The GitHub organisation of a github.com clone URL, else ""."""
    match = _GITHUB.search(url)
    return match.group(1).lower() if match else ""


def is_remote_url(url: str) -> bool:
    """True for URLs git treats as remote (scheme://, or scp-like user@host:path)."""
    if "://" in url:
        return True
    head, sep, _ = url.partition(":")
    return bool(sep) and "/" not in head and len(head) > 1


def decode_note(raw: bytes, *, max_bytes: int) -> tuple[str, None] | tuple[None, str]:
    """(text, None) for a usable note, else (None, why not) — never guesses an encoding."""
    if len(raw) > max_bytes:
        return None, too_big(len(raw), max_bytes)
    if b"\0" in raw:
        return None, "is a binary file (it contains NUL bytes); skipped"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, f"is not UTF-8 text (invalid byte at offset {exc.start}); skipped"
    if not text.strip():
        return None, "is empty; skipped"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Terminal escapes and bidi overrides are never Markdown: dropped here, once, so no
    # output (terminal, JSON, email) ever carries them from a note.
    return CONTROL_CHARACTERS.sub("", text), None


def too_big(size: int, max_bytes: int) -> str:
    return f"is {size:,} bytes, over max_note_bytes ({max_bytes:,}); skipped"


def sha256_hex(data: bytes) -> str:
    import hashlib  # here: a sync with nothing new hashes nothing

    return hashlib.sha256(data).hexdigest()


def note_version(
    src: SourceConfig,
    path: str,
    raw: bytes | int,
    blob: str,
    commit: str | None,
    committed_at: datetime | None,
    where: str = "",
    *,
    superseded: bool = False,
) -> NoteVersion:
    """One version read from its bytes (or from its size alone, when a source did not
    read a blob over max_note_bytes)."""
    from digest.model import Document

    text: str | None
    problem: str | None
    if isinstance(raw, int):
        text, problem = None, too_big(raw, src.max_note_bytes)
    else:
        text, problem = decode_note(raw, max_bytes=src.max_note_bytes)
    doc = Document(
        source=src.name,
        path=path,
        text=text or "",
        blob=blob,
        commit=commit,
        committed_at=committed_at,
    )
    if problem:
        return NoteVersion(doc, f'source "{src.name}": {path}{where} {problem}.')
    return NoteVersion(doc, superseded=superseded)


def source_org(src: SourceConfig) -> str:
    return src.org or (guess_org(src.url) if src.kind == "git" else "")


def source_location(src: SourceConfig) -> str:
    """How the source is identified in the state (never with a password)."""
    return redact_url(src.url) if src.kind in ("git", "feed") else src.path


def source_settings(src: SourceConfig) -> str:
    """The settings that change what is read or how: when they change, re-read everything."""
    parts = [src.kind, source_location(src), src.branch, ",".join(src.glob), src.series]
    if src.exclude:  # only when set, so states synced before `exclude` existed stay valid
        parts.append("exclude " + ",".join(src.exclude))
    if src.since:  # the same: only when set
        parts.append("since " + src.since)
    parts.append(source_org(src))
    if src.repo:  # only when set, as above
        parts.append("repo " + src.repo.lower())
    return "\x1f".join(parts)
