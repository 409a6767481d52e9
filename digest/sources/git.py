"""Sources: find the note versions that are new since the last sync (pipeline stage 1).

Three kinds, one shape of answer: a `Scan` whose batches are written one
transaction each by digest.sync.

- git: a local clone under `<state_dir>/repos/`, fetched each run. New = blob
  versions added or changed by commits after the last processed commit, read
  from one `git log --raw` walk and one `git cat-file --batch` process. A
  rewritten history (force-push) is reconciled against the new head's tree.
- dir: a folder; new = the sha256 of a file differs from the stored one.
- feed: RSS/Atom (feedparser); one entry = one note; HTML becomes Markdown-ish text.

Problems with one note (binary, not UTF-8, empty, too big) are warnings naming
the source and path, and the run goes on; problems with a whole source (cannot
fetch, folder missing) raise SourceError, one sentence, and other sources still sync.
"""

from __future__ import annotations

import calendar
import hashlib
import os
import re
import shutil
import socket
import subprocess
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

from digest.config.schema import Config, SourceConfig
from digest.errors import UserError
from digest.log import CONTROL_CHARACTERS
from digest.model import Document

FETCH_TIMEOUT = 600.0  # seconds for one `git fetch`; a stalled transfer is cut sooner
LOCAL_GIT_TIMEOUT = 120.0  # seconds for local git commands (log, ls-tree, ...)
FEED_TIMEOUT = 60.0


class SourceError(UserError):
    """A whole source cannot be read this run (one sentence); other sources go on."""


@dataclass(frozen=True)
class NoteVersion:
    """One version of one note, as found in a source.

    `problem` is set when the bytes cannot be used as a note (binary, not UTF-8,
    empty, too big): the version is recorded with that warning and not parsed.
    """

    document: Document
    problem: str | None = None


@dataclass
class Batch:
    """Changes written together in one transaction (one commit, or one file/entry).

    `cursor` is the source position once the batch is stored (git: a commit).
    """

    versions: list[NoteVersion] = field(default_factory=list)
    cursor: str | None = None


@dataclass
class Scan:
    total: int  # number of batches to come (for a progress bar)
    batches: Iterator[Batch]
    warnings: list[str] = field(default_factory=list)
    cursor: str | None = None  # where the source stands once every batch is stored


# ---- small pure helpers -------------------------------------------------------------


def glob_variants(pattern: str) -> list[str]:
    """The pattern with each "**/" kept or dropped: "**/" matches zero or more folders.

    fnmatch alone needs at least one "/" where "**/" stands, so "notes/**/*.md" would
    miss "notes/a.md"; gitignore and shell globstar users expect it to match.
    """
    while "**/**/" in pattern:  # the same folders, and keeps the variants few
        pattern = pattern.replace("**/**/", "**/")
    first, *rest = pattern.split("**/")
    variants = [first]
    for part in rest:
        variants = [v + "**/" + part for v in variants] + [v + part for v in variants]
    return list(dict.fromkeys(variants))


def matches_glob(path: str, globs: Sequence[str]) -> bool:
    """fnmatch-style, on the source-relative path ("*" also matches "/", as in git).

    "**/" also matches no folder at all, so "**/*.md" takes "notes.md" too and
    "notes/**/*.md" takes "notes/a.md".
    """
    return any(
        fnmatchcase(path, variant) for pattern in globs for variant in glob_variants(pattern)
    )


def git_pathspecs(globs: Sequence[str]) -> list[str]:
    """Git pathspecs that select at least what `matches_glob` selects (it then filters).

    Git's default pathspecs are fnmatch without FNM_PATHNAME, like ours; only a
    "**/" (which may match no folder) needs its short forms added, and a
    leading ":" (pathspec magic to git) means "let git list everything".
    """
    specs: list[str] = []
    for pattern in globs:
        if pattern.startswith(":"):
            return []
        for spec in glob_variants(pattern):
            if spec and spec not in specs:
                specs.append(spec)
    return specs


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


def _redact_text(text: str, url: str) -> str:
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
        return None, f"is {len(raw):,} bytes, over max_note_bytes ({max_bytes:,}); skipped"
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


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


# ---- git ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RawChange:
    status: str  # A, M, D, T (renames are split into D + A by --no-renames)
    old_blob: str
    new_blob: str
    new_mode: str
    path: str


@dataclass(frozen=True)
class LogCommit:
    sha: str
    committed_at: datetime
    changes: tuple[RawChange, ...]


_LOG_FORMAT = "--format=%x1e%H %cI"
_ZERO = "0" * 40


def parse_raw_log(output: bytes) -> list[LogCommit]:
    """Parse `git log --raw -z --no-abbrev --format=%x1e%H %cI` output (pure)."""
    commits: list[LogCommit] = []
    for record in output.split(b"\x1e"):
        if not record.strip():
            continue
        header, _, rest = record.partition(b"\0")
        sha, _, when = header.decode().strip().partition(" ")
        fields = rest.split(b"\0")
        changes: list[RawChange] = []
        i = 0
        while i < len(fields):
            meta = fields[i].strip()
            if not meta.startswith(b":"):
                i += 1
                continue
            parts = meta[1:].decode().split()
            path = fields[i + 1].decode("utf-8", "surrogateescape") if i + 1 < len(fields) else ""
            i += 2
            if len(parts) < 5:
                continue
            _old_mode, new_mode, old_blob, new_blob, status = parts[:5]
            changes.append(RawChange(status[:1], old_blob, new_blob, new_mode, path))
        commits.append(LogCommit(sha, _utc(datetime.fromisoformat(when)), tuple(changes)))
    return commits


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"  # a URL needing credentials fails at once, never prompts
    env["LC_ALL"] = "C"  # stable messages to classify
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=30")
    return env


class GitError(Exception):
    def __init__(self, stderr: str, timed_out: bool = False) -> None:
        super().__init__(stderr)
        self.stderr = stderr
        self.timed_out = timed_out


class GitRepo:
    """The source's own bare clone under the state directory."""

    HEAD_REF = "refs/digest/head"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = _git_env()

    def git(self, *args: str, timeout: float = LOCAL_GIT_TIMEOUT) -> bytes:
        try:
            proc = subprocess.run(
                ["git", "--git-dir", str(self.path), *args],
                capture_output=True,
                env=self.env,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise GitError("", timed_out=True) from None
        if proc.returncode != 0:
            raise GitError(proc.stderr.decode("utf-8", "replace"))
        return proc.stdout

    def ensure(self) -> None:
        """Create the bare clone (atomically: a half-made one is replaced)."""
        if (self.path / "HEAD").is_file() and (self.path / "objects").is_dir():
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(self.path, ignore_errors=True)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "init", "--bare", "--quiet", str(tmp)],
            check=True,
            capture_output=True,
            env=self.env,
        )
        tmp.rename(self.path)

    def fetch(self, url: str, branch: str) -> str:
        """Fetch the branch (default: the remote's HEAD) and return its commit."""
        ref = f"refs/heads/{branch}" if branch else "HEAD"
        self.git(
            "-c",
            "http.lowSpeedLimit=1000",
            "-c",
            "http.lowSpeedTime=60",
            "fetch",
            "--quiet",
            "--no-tags",
            "--force",
            url,
            f"+{ref}:{self.HEAD_REF}",
            timeout=FETCH_TIMEOUT,
        )
        return self.rev_parse(self.HEAD_REF) or ""

    def rev_parse(self, rev: str) -> str | None:
        try:
            return (
                self.git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
            )
        except GitError:
            return None

    def is_ancestor(self, older: str, newer: str) -> bool:
        try:
            self.git("merge-base", "--is-ancestor", older, newer)
        except GitError:
            return False
        return True

    def log(self, rev_range: str, pathspecs: Sequence[str], *, reverse: bool) -> list[LogCommit]:
        args = ["log", "--first-parent", "-m", "--raw", "--no-renames", "--no-abbrev", "-z"]
        if reverse:
            args.append("--reverse")
        out = self.git(*args, _LOG_FORMAT, rev_range, "--", *pathspecs)
        return parse_raw_log(out)

    def tree(self, commit: str) -> dict[str, str]:
        """path -> blob of the regular files at a commit (ls-tree takes no globs: all)."""
        out = self.git("ls-tree", "-r", "-z", "--full-tree", commit)
        blobs: dict[str, str] = {}
        for entry in out.split(b"\0"):
            if not entry:
                continue
            meta, _, path = entry.partition(b"\t")
            mode, kind, sha = meta.decode().split()
            if kind == "blob" and mode in ("100644", "100755"):
                blobs[path.decode("utf-8", "surrogateescape")] = sha
        return blobs

    def commit_date(self, commit: str) -> datetime:
        out = self.git("show", "-s", "--format=%cI", commit).decode().strip()
        return _utc(datetime.fromisoformat(out))


class BlobReader:
    """One `git cat-file --batch` process for every blob of a run."""

    def __init__(self, repo: GitRepo) -> None:
        self.proc = subprocess.Popen(
            ["git", "--git-dir", str(repo.path), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=repo.env,
        )

    def read(self, sha: str) -> bytes:
        stdin, stdout = self._pipes()
        stdin.write(sha.encode() + b"\n")
        stdin.flush()
        header = stdout.readline().decode().split()
        if len(header) < 3 or header[1] == "missing":
            raise GitError(f"blob {sha} is missing from the clone")
        size = int(header[2])
        data = stdout.read(size)
        stdout.read(1)  # the newline after the content
        return data

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        return self.proc.stdin, self.proc.stdout

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def clone_dir(cfg: Config, src: SourceConfig) -> Path:
    """`<state_dir>/repos/<name>`, the name made safe for a folder (hash keeps it unique)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", src.name).strip("._") or "source"
    if safe != src.name:
        safe = f"{safe}-{hashlib.sha1(src.name.encode()).hexdigest()[:8]}"
    return cfg.state_dir / "repos" / safe


def git_location(cfg: Config, src: SourceConfig) -> str:
    """What git fetches from: a URL as written, or a local path resolved from the config."""
    if is_remote_url(src.url):
        return src.url
    return str(cfg.resolve(src.url))


def _fetch_failure(src: SourceConfig, location: str, err: GitError) -> SourceError:
    shown = redact_url(location)
    text = err.stderr.lower()
    if err.timed_out:
        why = f"no answer within {int(FETCH_TIMEOUT)} seconds"
    elif "couldn't find remote ref" in text:
        why = f'the branch "{src.branch}" does not exist there'
    elif "could not resolve host" in text or "name or service not known" in text:
        why = "the host name cannot be resolved (no network, or a typo in url?)"
    elif any(
        s in text
        for s in (
            "terminal prompts disabled",
            "authentication failed",
            "could not read username",
            "could not read password",
            "repository not found",
            "permission denied",
            "access denied",
            "the requested url returned error: 40",
        )
    ):
        why = "repository not found or needs credentials"
    elif any(
        s in text
        for s in ("does not appear to be a git repository", "not a git repository", "no such")
    ):
        why = "it is not a git repository (or does not exist)"
    elif "connection refused" in text or "timed out" in text or "could not connect" in text:
        why = "the server does not answer"
    else:
        lines = [ln.strip() for ln in err.stderr.splitlines() if ln.strip()]
        last = _redact_text(lines[-1], location) if lines else "git failed"
        why = last.removeprefix("fatal: ").rstrip(".")
    return SourceError(f'source "{src.name}": cannot fetch {shown}: {why}.')


def scan_git(
    cfg: Config,
    src: SourceConfig,
    *,
    last_commit: str | None,
    stored_blobs: Mapping[str, str],
) -> Scan:
    location = git_location(cfg, src)
    if src.url.startswith("-"):  # git would read it as an option
        raise SourceError(f'source "{src.name}": url must not start with "-".')
    if not is_remote_url(src.url) and not Path(location).exists():
        raise SourceError(f'source "{src.name}": cannot fetch {location}: no such file or folder.')
    repo = GitRepo(clone_dir(cfg, src))
    try:
        repo.ensure()
        head = repo.fetch(location, src.branch)
    except GitError as err:
        raise _fetch_failure(src, location, err) from None
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SourceError(
            f'source "{src.name}": cannot make a clone in {repo.path}: {exc}.'
        ) from None
    if not head:
        raise SourceError(f'source "{src.name}": {redact_url(location)} has no commits.')
    warnings: list[str] = []
    if not stored_blobs and not any(matches_glob(p, src.glob) for p in repo.tree(head)):
        # Only while no note is known: one `ls-tree`, not on every incremental sync.
        warnings.append(no_file_matches(src, redact_url(location)))
    if last_commit == head:
        # the cheap "nothing new" path
        return Scan(total=0, batches=iter(()), warnings=warnings, cursor=head)

    specs = git_pathspecs(src.glob)
    if last_commit and not (repo.rev_parse(last_commit) and repo.is_ancestor(last_commit, head)):
        branch = f'branch "{src.branch}"' if src.branch else "the default branch"
        warnings.append(
            f'source "{src.name}": the history of {branch} was rewritten (commit '
            f"{last_commit[:12]} is no longer in it); comparing the notes at the new head "
            f"{head[:12]} with the stored ones instead."
        )
        return _reconcile(src, repo, head, specs, stored_blobs, warnings)

    rev_range = f"{last_commit}..{head}" if last_commit else head
    try:
        commits = repo.log(rev_range, specs, reverse=True)
    except GitError as err:
        raise SourceError(
            f'source "{src.name}": git log failed in {repo.path}: {err.stderr.strip()}'
        ) from None
    commits = [c for c in commits if any(matches_glob(ch.path, src.glob) for ch in c.changes)]
    return Scan(
        total=len(commits),
        batches=_commit_batches(src, repo, commits, head),
        warnings=warnings,
        cursor=head,
    )


def _commit_batches(
    src: SourceConfig, repo: GitRepo, commits: list[LogCommit], head: str
) -> Iterator[Batch]:
    reader = BlobReader(repo)
    try:
        for index, commit in enumerate(commits):
            batch = Batch(cursor=head if index == len(commits) - 1 else commit.sha)
            for change in commit.changes:
                if not matches_glob(change.path, src.glob):
                    continue
                if change.status == "D" or change.new_blob == _ZERO:
                    doc = Document(
                        source=src.name,
                        path=change.path,
                        text="",
                        blob=change.old_blob,
                        commit=commit.sha,
                        committed_at=commit.committed_at,
                        deleted=True,
                    )
                    batch.versions.append(NoteVersion(doc))
                elif change.new_mode in ("100644", "100755"):  # not symlinks, not submodules
                    raw = reader.read(change.new_blob)
                    batch.versions.append(
                        _version(
                            src,
                            change.path,
                            raw,
                            change.new_blob,
                            commit.sha,
                            commit.committed_at,
                            f" at {commit.sha[:12]}",
                        )
                    )
            yield batch
    finally:
        reader.close()


def _version(
    src: SourceConfig,
    path: str,
    raw: bytes,
    blob: str,
    commit: str | None,
    committed_at: datetime | None,
    where: str = "",
) -> NoteVersion:
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
    return NoteVersion(doc)


def _reconcile(
    src: SourceConfig,
    repo: GitRepo,
    head: str,
    specs: Sequence[str],
    stored_blobs: Mapping[str, str],
    warnings: list[str],
) -> Scan:
    """After a rewrite: bring the stored notes to the new head's tree, in one batch."""
    at_head = {p: b for p, b in repo.tree(head).items() if matches_glob(p, src.glob)}
    changed = sorted(p for p, b in at_head.items() if stored_blobs.get(p) != b)
    gone = sorted(p for p in stored_blobs if p not in at_head)
    # The commit that brought each changed blob, so permalinks and dates are right.
    brought: dict[str, tuple[str, datetime]] = {}
    if changed:
        wanted = set(changed)
        for commit in repo.log(head, specs, reverse=False):
            for ch in commit.changes:
                if ch.path in wanted and ch.path not in brought and ch.new_blob == at_head[ch.path]:
                    brought[ch.path] = (commit.sha, commit.committed_at)
    head_date = repo.commit_date(head)

    def batches() -> Iterator[Batch]:
        batch = Batch(cursor=head)
        reader = BlobReader(repo)
        try:
            for path in changed:
                sha, when = brought.get(path, (head, head_date))
                raw = reader.read(at_head[path])
                batch.versions.append(
                    _version(src, path, raw, at_head[path], sha, when, f" at {sha[:12]}")
                )
        finally:
            reader.close()
        for path in gone:
            batch.versions.append(
                NoteVersion(
                    Document(src.name, path, "", stored_blobs[path], head, head_date, deleted=True)
                )
            )
        yield batch

    return Scan(total=1, batches=batches(), warnings=warnings, cursor=head)


# ---- dir ---------------------------------------------------------------------------


def scan_dir(cfg: Config, src: SourceConfig, *, stored_blobs: Mapping[str, str]) -> Scan:
    root = cfg.resolve(src.path)
    if not root.is_dir():
        # Never read a missing folder as "every note deleted": it may be an unmounted disk.
        what = "is not a folder" if root.exists() else "does not exist"
        raise SourceError(f'source "{src.name}": the folder {root} {what}.')
    found: dict[str, Path] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            full = Path(folder, name)
            rel = full.relative_to(root).as_posix()
            if matches_glob(rel, src.glob) and full.is_file():
                found[rel] = full
    gone = sorted(p for p in stored_blobs if p not in found)
    warnings: list[str] = []  # filled while the batches are read
    if not found:
        warnings.append(no_file_matches(src, str(root)))

    def batches() -> Iterator[Batch]:
        for rel, full in found.items():
            try:
                raw = full.read_bytes()
                mtime = datetime.fromtimestamp(full.stat().st_mtime, UTC)
            except OSError as exc:
                warnings.append(f'source "{src.name}": {rel} cannot be read ({exc.strerror}).')
                continue
            blob = sha256_hex(raw)
            if stored_blobs.get(rel) == blob:
                continue
            yield Batch(versions=[_version(src, rel, raw, blob, None, mtime)])
        for rel in gone:
            doc = Document(src.name, rel, "", stored_blobs[rel], None, None, deleted=True)
            yield Batch(versions=[NoteVersion(doc)])

    # Hashing is cheap next to parsing; the total is an upper bound for the progress bar.
    return Scan(total=len(found) + len(gone), batches=batches(), warnings=warnings)


# ---- feed --------------------------------------------------------------------------


def scan_feed(cfg: Config, src: SourceConfig, *, stored_blobs: Mapping[str, str]) -> Scan:
    import feedparser

    remote = src.url.startswith(("http://", "https://"))
    target = src.url if remote else str(cfg.resolve(src.url))
    if not remote and not Path(target).is_file():
        # feedparser would read a missing path as the feed's text itself.
        raise SourceError(f'source "{src.name}": the feed file {target} does not exist.')
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(FEED_TIMEOUT)  # feedparser's own fetching has no timeout knob
    try:
        parsed: Any = feedparser.parse(target)
    finally:
        socket.setdefaulttimeout(previous)
    entries = list(parsed.get("entries", []))
    if parsed.get("bozo") and not entries:
        reason = str(parsed.get("bozo_exception", "")).strip().rstrip(".") or "no entries"
        raise SourceError(
            f'source "{src.name}": {redact_url(target)} is not a readable RSS/Atom feed ({reason}).'
        )
    versions: list[NoteVersion] = []
    for entry in entries:
        version = feed_entry_version(src, entry)
        if version and stored_blobs.get(version.document.path) != version.document.blob:
            versions.append(version)
    # Entries that left the feed are not deletions: feeds only show the latest ones.
    return Scan(total=len(versions), batches=(Batch(versions=[v]) for v in versions))


def feed_entry_version(src: SourceConfig, entry: Mapping[str, Any]) -> NoteVersion | None:
    """One feed entry as a note (pure: feedparser's entry dict in, NoteVersion out)."""
    path = str(entry.get("id") or entry.get("link") or entry.get("title") or "")
    if not path:
        return None
    body, kind = "", "text/html"
    contents = entry.get("content") or []
    if contents:
        body = str(contents[0].get("value", ""))
        kind = str(contents[0].get("type", kind))
    elif entry.get("summary"):
        body = str(entry.get("summary"))
        detail = entry.get("summary_detail") or {}
        kind = str(detail.get("type", kind))
    text = html_to_markdown(body) if "html" in kind else body
    title = str(entry.get("title") or "").strip()
    if title and not re.search(r"^# ", text, re.MULTILINE):
        text = f"# {title}\n\n{text}"
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    committed_at = datetime.fromtimestamp(calendar.timegm(when), UTC) if when else None
    raw = text.encode("utf-8")
    return _version(src, path, raw, sha256_hex(raw), None, committed_at)


class _MarkdownWriter(HTMLParser):
    """HTML to the Markdown the parser reads: headings, nested lists, links, tables."""

    BLOCKS = frozenset({"p", "div", "section", "article", "blockquote", "pre", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line = ""
        self.lists: list[tuple[str, int]] = []  # (tag, items so far) per open list
        self.indent = ""  # continuation indent of the current list item
        self.links: list[str | None] = []
        self.row: list[str] | None = None
        self.cell: str | None = None
        self.rows_in_table = 0
        self.pre = 0
        self.skip = 0  # inside <script>/<style>

    # lines
    def _flush(self) -> None:
        text = self.line.rstrip()
        if text.strip():
            self.lines.append(text)
        self.line = ""

    def _blank(self) -> None:
        self._flush()
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def _emit(self, text: str) -> None:
        if not self.pre and text.startswith(" ") and (self.cell or self.line).endswith(" "):
            text = text.lstrip(" ")  # HTML collapses whitespace runs
        if self.cell is not None:
            self.cell += text
            return
        if not self.line:
            text = text.lstrip() if not self.pre else text
            if not text:
                return
            self.line = self.indent
        self.line += text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._blank()
            self.line = "#" * int(tag[1]) + " "
        elif tag in ("ul", "ol"):
            if not self.lists:
                self._blank()
            else:
                self._flush()
            self.lists.append((tag, 0))
        elif tag == "li":
            self._flush()
            depth = max(len(self.lists) - 1, 0)
            kind, count = self.lists[-1] if self.lists else ("ul", 0)
            if self.lists:
                self.lists[-1] = (kind, count + 1)
            marker = f"{count + 1}. " if kind == "ol" else "- "
            self.line = " " * (4 * depth) + marker
            self.indent = " " * (4 * depth + len(marker))
        elif tag == "input" and dict(attrs).get("type") == "checkbox":
            self._emit("[x] " if "checked" in dict(attrs) else "[ ] ")
        elif tag == "br":
            self._flush()
        elif tag in self.BLOCKS:
            if tag == "pre":
                self.pre += 1
            if not self.lists:
                self._blank()
            else:
                self._flush()
        elif tag == "table":
            self._blank()
            self.rows_in_table = 0
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = ""
        elif tag == "a":
            href = dict(attrs).get("href")
            self.links.append(href if href and href.startswith(("http", "mailto:")) else None)
            if self.links[-1]:
                self._emit("[")
        elif tag in ("strong", "b"):
            self._emit("**")
        elif tag in ("em", "i"):
            self._emit("*")
        elif tag == "code" and not self.pre:
            self._emit("`")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._flush()
            self.lines.append("")
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
            self.indent = " " * (4 * len(self.lists)) if self.lists else ""
            if not self.lists:
                self.lines.append("")
        elif tag == "li":
            self._flush()
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self._blank()
        elif tag in ("td", "th"):
            if self.row is not None and self.cell is not None:
                self.row.append(" ".join(self.cell.split()).replace("|", "\\|"))
            self.cell = None
        elif tag == "tr":
            if self.row:
                self.lines.append("| " + " | ".join(self.row) + " |")
                if self.rows_in_table == 0:
                    self.lines.append("|" + " --- |" * len(self.row))
                self.rows_in_table += 1
            self.row = None
        elif tag == "table":
            self.lines.append("")
        elif tag in self.BLOCKS:
            self._blank()
        elif tag == "a":
            href = self.links.pop() if self.links else None
            if href:
                self._emit(f"]({href})")
        elif tag in ("strong", "b"):
            self._emit("**")
        elif tag in ("em", "i"):
            self._emit("*")
        elif tag == "code" and not self.pre:
            self._emit("`")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            for i, part in enumerate(data.split("\n")):
                if i:
                    self._flush()
                self._emit(part)
            return
        text = re.sub(r"\s+", " ", data)
        if text.strip() or (self.line.strip() and text == " "):
            self._emit(text)

    def result(self) -> str:
        self._flush()
        out: list[str] = []
        for line in self.lines:
            if line == "" and (not out or out[-1] == ""):
                continue
            out.append(line)
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out) + "\n" if out else ""


def html_to_markdown(html: str) -> str:
    """HTML (a feed entry) as Markdown-ish text that digest.parse understands (pure)."""
    writer = _MarkdownWriter()
    writer.feed(html)
    writer.close()
    return writer.result()


# ---- dispatch ----------------------------------------------------------------------


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


def source_org(src: SourceConfig) -> str:
    return src.org or (guess_org(src.url) if src.kind == "git" else "")


def source_location(src: SourceConfig) -> str:
    """How the source is identified in the state (never with a password)."""
    return redact_url(src.url) if src.kind in ("git", "feed") else src.path


def source_settings(src: SourceConfig) -> str:
    """The settings that change what is read or how: when they change, re-read everything."""
    parts = [src.kind, source_location(src), src.branch, ",".join(src.glob), src.series]
    parts.append(source_org(src))
    return "\x1f".join(parts)
