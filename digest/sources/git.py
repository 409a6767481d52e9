"""git sources: a bare clone under the state directory, fetched each run.

New = blob versions added or changed by commits after the last processed commit,
read from one `git log --raw` walk and one `git cat-file --batch` process. The walk
takes no pathspec: git would diff every commit twice (once to simplify history,
once to print it) and match every file of a large folder against the globs, three
times the work of printing every change and keeping the notes' here. A local
repository's objects are borrowed, not copied (git's alternates, as `git clone
--shared` does), so fetching it walks no tree. `since` starts a new state part-way
through a long history (`_since_cut`). A rewritten history (force-push) is
reconciled against the new head's tree. The notes a repository holds now
(`list_git_notes`, for doctor) are read by the same clone, tree and blob code, in a
throw-away clone.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO

from digest.config.schema import Config, SourceConfig
from digest.model import Document
from digest.sources.base import (
    Batch,
    Listing,
    NoteVersion,
    Scan,
    SourceError,
    is_remote_url,
    no_file_matches,
    note_version,
    redact_url,
    redact_url_in,
)
from digest.sources.globs import git_pathspecs, matches_glob

FETCH_TIMEOUT = 600.0  # seconds for one `git fetch`; a stalled transfer is cut sooner
LOCAL_GIT_TIMEOUT = 120.0  # seconds for local git commands (log, ls-tree, ...)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


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


def _run_git(args: Sequence[str], *, env: Mapping[str, str], timeout: float) -> bytes:
    """git's stdout; GitError with its stderr when it fails or does not answer in time."""
    try:
        proc = subprocess.run(
            ["git", *args],
            capture_output=True,
            env=env,
            timeout=timeout,
            stdin=subprocess.DEVNULL,  # never wait for input: fail with git's own message
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GitError("", timed_out=True) from None
    if proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace"))
    return proc.stdout


class GitRepo:
    """The source's own bare clone under the state directory."""

    HEAD_REF = "refs/digest/head"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = _git_env()

    def git(self, *args: str, timeout: float = LOCAL_GIT_TIMEOUT) -> bytes:
        return _run_git(["--git-dir", str(self.path), *args], env=self.env, timeout=timeout)

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

    def borrow(self, objects: Path | None) -> None:
        """Read the objects of a local repository where they are (None: copy them).

        A clone that borrowed from another place is made again, empty: its refs may
        name objects it no longer sees.
        """
        file = self.path / "objects" / "info" / "alternates"
        wanted = f"{objects}\n" if objects else ""
        current = file.read_text(encoding="utf-8") if file.is_file() else ""
        if current == wanted:
            return
        if current:
            shutil.rmtree(self.path)
            self.ensure()
        if wanted:
            file.parent.mkdir(parents=True, exist_ok=True)
            tmp = file.with_name("alternates.tmp")
            tmp.write_text(wanted, encoding="utf-8")
            tmp.replace(file)

    def renew(self, objects: Path) -> None:
        """Make the clone again, empty, borrowing `objects`."""
        shutil.rmtree(self.path)
        self.ensure()
        self.borrow(objects)

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
        # git keeps up to 96 MB of unpacked trees by default: on a 20k-note folder that
        # was the sync's peak memory; 32 MB walks it as fast.
        args = ["-c", "core.deltaBaseCacheLimit=32m", "log", "--first-parent", "-m", "--raw"]
        args += ["--no-renames", "--no-abbrev", "-z"]
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


@dataclass(frozen=True)
class Blob:
    size: int
    data: bytes | None  # None: over the size limit, not read


class BlobReader:
    """One `git cat-file --batch` process for every blob of a run; requests are
    written a chunk at a time, so git never waits for the next name."""

    CHUNK = 256  # names written before answers are read: well under a pipe's buffer

    def __init__(self, repo: GitRepo) -> None:
        self.proc = subprocess.Popen(
            ["git", "--git-dir", str(repo.path), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=repo.env,
        )

    def read(self, sha: str) -> bytes:
        data = self.read_many([sha])[0].data
        assert data is not None
        return data

    def read_many(self, shas: Sequence[str], limit: int | None = None) -> list[Blob]:
        """The blobs, in order; one bigger than `limit` is skipped unread (data None).

        GitError when a blob is missing from the clone.
        """
        stdin, stdout = self._pipes()
        blobs: list[Blob] = []
        for start in range(0, len(shas), self.CHUNK):
            chunk = shas[start : start + self.CHUNK]
            stdin.write(b"".join(sha.encode() + b"\n" for sha in chunk))
            stdin.flush()
            for sha in chunk:
                header = stdout.readline().decode().split()
                if len(header) < 3 or header[1] == "missing":
                    raise GitError(f"blob {sha} is missing from the clone")
                size = int(header[2])
                if limit is not None and size > limit:
                    left = size
                    while left:
                        piece = stdout.read(min(left, 1 << 20))
                        if not piece:
                            raise GitError("git cat-file stopped answering")
                        left -= len(piece)
                    blobs.append(Blob(size, None))
                else:
                    blobs.append(Blob(size, stdout.read(size)))
                stdout.read(1)  # the newline after the content
        return blobs

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


def is_local(url: str) -> bool:
    """True for a git source read without a network: a local path, a bundle, file://."""
    return not is_remote_url(url) or url.lower().startswith("file://")


def _fetch_failure(src: SourceConfig, location: str, err: GitError) -> SourceError:
    why = failure_reason(src, location, err, timeout=FETCH_TIMEOUT)
    return SourceError(f'source "{src.name}": cannot fetch {redact_url(location)}: {why}.')


def failure_reason(src: SourceConfig, location: str, err: GitError, *, timeout: float) -> str:
    """Why git could not read `location`, in a few words (no password, no "fatal:")."""
    text = err.stderr.lower()
    if err.timed_out:
        why = f"no answer within {int(timeout)} seconds"
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
        last = redact_url_in(lines[-1], location) if lines else "git failed"
        why = last.removeprefix("fatal: ").rstrip(".")
    return why


def fetch_clone(cfg: Config, src: SourceConfig, path: Path) -> tuple[GitRepo, str]:
    """The source fetched into the bare clone at `path`: the clone and its head commit.

    SourceError, one sentence, when the source cannot be fetched.
    """
    location = git_location(cfg, src)
    if src.url.startswith("-"):  # git would read it as an option
        raise SourceError(f'source "{src.name}": url must not start with "-".')
    if not is_remote_url(src.url) and not Path(location).exists():
        raise SourceError(f'source "{src.name}": cannot fetch {location}: no such file or folder.')
    repo = GitRepo(path)
    try:
        repo.ensure()
        objects = None if is_remote_url(src.url) else _objects_of(location, repo.env)
        repo.borrow(objects)
        try:
            head = repo.fetch(location, src.branch)
        except GitError:
            if objects is None:
                raise
            # The repository lent its objects, then lost some our refs name (a
            # force-push, then gc): every later fetch would fail. A borrowing clone
            # holds nothing of its own, so it is made again, empty, and asked once more.
            repo.renew(objects)
            head = repo.fetch(location, src.branch)
    except GitError as err:
        raise _fetch_failure(src, location, err) from None
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SourceError(
            f'source "{src.name}": cannot make a clone in {repo.path}: {exc}.'
        ) from None
    if not head:
        raise SourceError(f'source "{src.name}": {redact_url(location)} has no commits.')
    return repo, head


def _objects_of(location: str, env: Mapping[str, str]) -> Path | None:
    """The objects folder of the local repository at `location` (None: not one, as a
    bundle file)."""
    if not Path(location).is_dir():
        return None
    try:
        out = _run_git(
            ["-C", location, "rev-parse", "--path-format=absolute", "--git-common-dir"],
            env=env,
            timeout=LOCAL_GIT_TIMEOUT,
        )
    except GitError:
        return None  # git fetch says what is wrong with it
    objects = Path(out.decode("utf-8", "surrogateescape").strip()) / "objects"
    return objects if objects.is_dir() else None


def notes_at(repo: GitRepo, head: str, src: SourceConfig) -> dict[str, str]:
    """path -> blob of the files at `head` that the source's glob selects."""
    return {p: b for p, b in repo.tree(head).items() if matches_glob(p, src.glob, src.exclude)}


def _git_failed(src: SourceConfig, repo: GitRepo, err: GitError) -> SourceError:
    """A git command failed on the clone itself (after the fetch): one sentence."""
    return SourceError(f'source "{src.name}": git failed in {repo.path}: {_said(err)}')


def _said(err: GitError) -> str:
    return err.stderr.strip() or f"no answer within {int(LOCAL_GIT_TIMEOUT)} seconds"


def scan_git(
    cfg: Config,
    src: SourceConfig,
    *,
    last_commit: str | None,
    stored_blobs: Mapping[str, str],
) -> Scan:
    repo, head = fetch_clone(cfg, src, clone_dir(cfg, src))
    try:
        return _scan(cfg, src, repo, head, last_commit, stored_blobs)
    except GitError as err:
        raise _git_failed(src, repo, err) from None


def _scan(
    cfg: Config,
    src: SourceConfig,
    repo: GitRepo,
    head: str,
    last_commit: str | None,
    stored_blobs: Mapping[str, str],
) -> Scan:
    warnings: list[str] = []
    if not stored_blobs and not notes_at(repo, head, src):
        # Only while no note is known: one `ls-tree`, not on every incremental sync.
        warnings.append(no_file_matches(src, redact_url(git_location(cfg, src))))
    since = _since(cfg, src, repo, head) if src.since else None
    meetings_from = since.day if since else None
    if last_commit == head:
        # the cheap "nothing new" path
        return Scan(
            total=0, batches=iter(()), warnings=warnings, cursor=head, meetings_from=meetings_from
        )

    specs = git_pathspecs(src.glob)
    if last_commit and not (repo.rev_parse(last_commit) and repo.is_ancestor(last_commit, head)):
        branch = f'branch "{src.branch}"' if src.branch else "the default branch"
        warnings.append(
            f'source "{src.name}": the history of {branch} was rewritten (commit '
            f"{last_commit[:12]} is no longer in it); comparing the notes at the new head "
            f"{head[:12]} with the stored ones instead."
        )
        scan = _reconcile(src, repo, head, specs, stored_blobs, warnings)
        scan.meetings_from = meetings_from
        return scan

    rev_range = f"{last_commit}..{head}" if last_commit else head
    commits = [
        LogCommit(c.sha, c.committed_at, kept)
        for c in repo.log(rev_range, (), reverse=True)
        if (kept := tuple(ch for ch in c.changes if matches_glob(ch.path, src.glob, src.exclude)))
    ]
    before: list[_Before] = []
    if since and not last_commit:
        commits, before = _since_cut(repo, commits, since)
    return Scan(
        total=len(commits) + bool(before),
        batches=_reading(src, _commit_batches(src, repo, commits, head, before)),
        warnings=warnings,
        cursor=head,
        meetings_from=meetings_from,
    )


@dataclass(frozen=True)
class Since:
    day: date  # meetings held before it are not kept
    moment: datetime  # commits before it are not read (a date: its midnight, UTC)
    commit: str | None  # when `since` names a commit: history up to it is not read


def _since(cfg: Config, src: SourceConfig, repo: GitRepo, head: str) -> Since:
    """The source's `since`, a date or a commit of the branch; SourceError naming the
    config file and key when it names no commit there."""
    try:
        day = date.fromisoformat(src.since)
    except ValueError:
        pass
    else:
        return Since(day, datetime.combine(day, time(), UTC), None)
    commit = repo.rev_parse(src.since)
    if commit is None or not repo.is_ancestor(commit, head):
        index = next((n for n, s in enumerate(cfg.sources, 1) if s is src), 1)
        branch = f'branch "{src.branch}"' if src.branch else "the default branch"
        raise SourceError(
            f'{cfg.path}: [[sources]] #{index} since "{src.since}" is not a commit of '
            f"{branch} of {redact_url(git_location(cfg, src))}; give a commit hash from "
            f'its history or a date like "2024-01-01".'
        )
    when = repo.commit_date(commit)
    return Since(when.date(), when, commit)


@dataclass(frozen=True)
class _Before:
    """The version a note had just before `since`, dated by the note's first commit."""

    change: RawChange
    commit: LogCommit
    first_committed_at: datetime


def _since_cut(
    repo: GitRepo, commits: list[LogCommit], since: Since
) -> tuple[list[LogCommit], list[_Before]]:
    """A first sync with `since`: the commits from it on, and the versions to read first.

    Those are, for each note changed from `since` on, the version it had just before
    (read to know which of its meetings were there already, dated by the note's first
    commit, as a full sync dates them). A note not changed since then is not read. The
    commits before are only looked at, never read.
    """
    if since.commit is not None:
        # The commits up to it (it may have changed no note) are a prefix of the walk.
        upto = set(repo.git("rev-list", "--first-parent", since.commit).decode().split())
        cut = next((k for k, c in enumerate(commits) if c.sha not in upto), len(commits))
    else:
        cut = next(
            (k for k, c in enumerate(commits) if c.committed_at >= since.moment), len(commits)
        )
    changed = {
        ch.path
        for c in commits[cut:]
        for ch in c.changes
        if ch.status != "D" and ch.new_blob != _ZERO
    }
    first_commit: dict[str, datetime] = {}
    at_cut: dict[str, tuple[RawChange, LogCommit]] = {}
    for commit in commits[:cut]:
        for ch in commit.changes:
            if ch.path in changed:
                first_commit.setdefault(ch.path, commit.committed_at)
                at_cut[ch.path] = (ch, commit)
    before = [
        _Before(ch, commit, first_commit[path])
        for path, (ch, commit) in sorted(at_cut.items())
        if ch.status != "D" and ch.new_blob != _ZERO and ch.new_mode in _REGULAR
    ]
    return commits[cut:], before


_REGULAR = ("100644", "100755")  # not symlinks, not submodules


def _commit_batches(
    src: SourceConfig,
    repo: GitRepo,
    commits: list[LogCommit],
    head: str,
    before: Sequence[_Before] = (),
) -> Iterator[Batch]:
    last_change = {ch.path: k for k, c in enumerate(commits) for ch in c.changes}
    reader = BlobReader(repo)
    try:
        if before:
            # No cursor: until a commit after `since` is stored, a next run starts over.
            batch = Batch(cursor=None)
            blobs = reader.read_many([b.change.new_blob for b in before], src.max_note_bytes)
            for b, blob in zip(before, blobs, strict=True):
                raw = blob.data if blob.data is not None else blob.size
                where = f" at {b.commit.sha[:12]}"
                version = note_version(
                    src,
                    b.change.path,
                    raw,
                    b.change.new_blob,
                    b.commit.sha,
                    b.first_committed_at,
                    where,
                    superseded=True,
                )
                batch.versions.append(version)
            yield batch
        for index, commit in enumerate(commits):
            batch = Batch(cursor=head if index == len(commits) - 1 else commit.sha)
            where = f" at {commit.sha[:12]}"
            to_read: list[RawChange] = []
            for change in commit.changes:
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
                elif change.new_mode in _REGULAR:
                    to_read.append(change)
            blobs = reader.read_many([ch.new_blob for ch in to_read], src.max_note_bytes)
            for change, blob in zip(to_read, blobs, strict=True):
                batch.versions.append(
                    note_version(
                        src,
                        change.path,
                        blob.data if blob.data is not None else blob.size,
                        change.new_blob,
                        commit.sha,
                        commit.committed_at,
                        where,
                        superseded=last_change[change.path] > index,
                    )
                )
            yield batch
    finally:
        reader.close()


def _reconcile(
    src: SourceConfig,
    repo: GitRepo,
    head: str,
    specs: Sequence[str],
    stored_blobs: Mapping[str, str],
    warnings: list[str],
) -> Scan:
    """After a rewrite: bring the stored notes to the new head's tree, in one batch."""
    at_head = notes_at(repo, head, src)
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
                    note_version(src, path, raw, at_head[path], sha, when, f" at {sha[:12]}")
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

    return Scan(total=1, batches=_reading(src, batches()), warnings=warnings, cursor=head)


def _reading(src: SourceConfig, batches: Iterator[Batch]) -> Iterator[Batch]:
    """The batches, with a git failure while they are read as a SourceError."""
    try:
        yield from batches
    except GitError as err:
        raise SourceError(f'source "{src.name}": reading stopped: {_said(err)}') from None


def list_git_notes(cfg: Config, src: SourceConfig) -> Listing:
    """Every note at the head of the branch, read by the code that syncs it.

    The source is fetched into a throw-away clone, so the state (and a sync that may
    be running) is never touched. Each note is dated by the head commit.
    """
    location = redact_url(git_location(cfg, src))
    with tempfile.TemporaryDirectory(prefix="digest-list-") as tmp:
        repo, head = fetch_clone(cfg, src, Path(tmp) / "clone")
        versions: list[NoteVersion] = []
        try:
            at_head = notes_at(repo, head, src)
            committed_at = repo.commit_date(head)
            reader = BlobReader(repo)
            try:
                for path, blob in sorted(at_head.items()):
                    raw = reader.read(blob)
                    versions.append(
                        note_version(src, path, raw, blob, head, committed_at, f" at {head[:12]}")
                    )
            finally:
                reader.close()
        except GitError as err:
            raise _git_failed(src, repo, err) from None
    warnings = [] if at_head else [no_file_matches(src, location)]
    return Listing(location, versions, warnings)


def remote_head(cfg: Config, src: SourceConfig, *, timeout: float) -> str | None:
    """The commit the source's branch (else HEAD) points at, asked with `git ls-remote`.

    None when the repository answers but has no such branch; GitError when it does
    not answer (timed_out) or refuses; OSError when git is not installed.
    """
    ref = src.branch or "HEAD"
    out = _run_git(
        ["ls-remote", "--", git_location(cfg, src), ref], env=_git_env(), timeout=timeout
    )
    for line in out.decode("utf-8", "replace").splitlines():
        sha, _, name = line.partition("\t")
        if name in (ref, f"refs/heads/{ref}"):
            return sha
    return None
