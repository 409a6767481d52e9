"""A synthetic meeting-notes history for the benchmarks (invented project, invented text).

"Kestrel" is a made-up project. Its notes have the shapes the parser meets in real
histories: one meeting per file with H2 sections, and a community call file with
many dated H2 meetings; agenda bullets that come back meeting after meeting with a
new status, task boxes with owners, issue references, grouping bullets and a
status table whose rows are re-stated. Everything is drawn from a seeded RNG, so a
given (meetings, seed) always gives the same documents.
"""

from __future__ import annotations

import hashlib
import io
import random
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from digest.model import Document

PEOPLE = ["ana", "bruno", "chen", "dara", "eli", "femi", "gus", "hana", "ivo", "jun"]
AREAS = [
    "probe loader",
    "rule compiler",
    "event ring buffer",
    "docs site",
    "helm chart",
    "metrics exporter",
    "release tooling",
    "arm64 builds",
    "plugin registry",
    "config reloader",
    "syscall filter",
    "container enricher",
    "audit sink",
    "grpc output",
    "test matrix",
    "website search",
]
VERBS = [
    "refactor",
    "benchmark",
    "document",
    "migrate",
    "deprecate",
    "stabilize",
    "split",
    "package",
    "review",
    "profile",
    "harden",
    "rewrite",
]
DETAILS = [
    "before the next minor release",
    "for the new kernel versions",
    "so downstream packagers can follow",
    "with a compatibility shim",
    "behind a feature flag",
    "and publish the numbers",
    "after the storage rework lands",
    "including the upgrade guide",
]
OPEN_PHRASES = ["-> in progress", "(in flight)", "- WIP", "TBD", "-> blocked on review", ""]
DONE_PHRASES = ["-> done", "(merged)", "- shipped in 0.{minor}", "done (finally)"]
DROPPED_PHRASES = ["-> dropped", "(won't do)", "- out of scope"]
HIGHLIGHTS = [
    "Kestrel 0.{minor} is out, thanks to everyone who tested the release candidates",
    "The project reached {n} contributors this quarter",
    "A new adopter wrote about running Kestrel on a large fleet",
    "The conference talk proposal on the rule compiler was accepted",
]


@dataclass
class _Topic:
    text: str
    owner: str
    ref: int | None
    status: str  # "open" | "done" | "dropped"
    age: int = 0


def _new_topic(rng: random.Random, counter: int) -> _Topic:
    text = f"{rng.choice(VERBS).capitalize()} the {rng.choice(AREAS)} {rng.choice(DETAILS)}"
    ref = 100 + counter if rng.random() < 0.35 else None
    return _Topic(text, rng.choice(PEOPLE), ref, "open")


def _reword(rng: random.Random, text: str) -> str:
    """The same topic written a little differently, as notes do from week to week."""
    roll = rng.random()
    if roll < 0.15:
        return text.replace(" the ", " our ", 1)
    if roll < 0.25:
        return text + " (follow-up)"
    return text


def _topic_line(rng: random.Random, topic: _Topic, minor: int) -> str:
    if topic.status == "done":
        phrase = rng.choice(DONE_PHRASES).format(minor=minor)
    elif topic.status == "dropped":
        phrase = rng.choice(DROPPED_PHRASES)
    else:
        phrase = rng.choice(OPEN_PHRASES)
    ref = ""
    if topic.ref is not None:
        ref = (
            f" kestrel#{topic.ref}"
            if rng.random() < 0.5
            else f" https://github.com/kestrel-dev/kestrel/pull/{topic.ref}"
        )
    owner = f"[{topic.owner}] " if rng.random() < 0.6 else ""
    return f"- {owner}{_reword(rng, topic.text)}{ref} {phrase}".rstrip()


class History:
    """Meetings of two invented series, generated in date order."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.counter = 0
        self.topics: list[_Topic] = []
        self.rows = {area: "planned" for area in AREAS[:6]}

    def _advance(self) -> None:
        rng = self.rng
        for topic in self.topics:
            topic.age += 1
            if topic.status == "open":
                roll = rng.random()
                if roll < 0.15:
                    topic.status = "done"
                elif roll < 0.18:
                    topic.status = "dropped"
        # Resolved topics are said once more, then disappear; new ones come up.
        self.topics = [t for t in self.topics if t.status == "open" or t.age < 2]
        while len([t for t in self.topics if t.status == "open"]) < 9:
            self.counter += 1
            self.topics.append(_new_topic(rng, self.counter))
        for area in self.rows:
            if rng.random() < 0.2:
                self.rows[area] = rng.choice(["in progress", "done", "blocked", "postponed"])

    def core_meeting(self, day: date, minor: int) -> str:
        """One maintainers' meeting, in a file of its own."""
        self._advance()
        rng = self.rng
        who = ", ".join(rng.sample(PEOPLE, 4))
        lines = [
            f"# {day.isoformat()} Kestrel Maintainers (monthly)",
            "",
            "## Who joined",
            "",
            f"- {who}",
            "",
            "## Highlights",
            "",
        ]
        for template in rng.sample(HIGHLIGHTS, 2):
            lines.append("- " + template.format(minor=minor, n=rng.randint(40, 400)))
        lines += ["", "## Agenda", "", "- Items to check in from last time:"]
        shown = rng.sample(self.topics, min(len(self.topics), 8))
        for topic in shown[:4]:
            lines.append("  " + _topic_line(rng, topic, minor))
        for topic in shown[4:]:
            lines.append(_topic_line(rng, topic, minor))
            if rng.random() < 0.3:
                lines.append(f"  - {rng.choice(PEOPLE).capitalize()} will write a short proposal")
        lines += ["", "## Roadmap", "", "| Area | Goal | Status |", "| --- | --- | --- |"]
        for area, status in self.rows.items():
            lines.append(f"| {area} | {rng.choice(VERBS)} it for 0.{minor + 1} | {status} |")
        lines += ["", "## Action items", ""]
        for topic in rng.sample(self.topics, min(len(self.topics), 3)):
            box = "x" if topic.status == "done" else " "
            lines.append(f"- [{box}] [{topic.owner}] {topic.text}")
        lines.append("")
        return "\n".join(lines)

    def call_meeting(self, day: date, minor: int) -> str:
        """One community call, as a dated H2 block of a many-meetings file."""
        self._advance()
        rng = self.rng
        lines = [f"## {day.isoformat()}", "", "### Agenda", ""]
        for topic in rng.sample(self.topics, min(len(self.topics), 5)):
            lines.append(_topic_line(rng, topic, minor))
        lines += [
            "",
            "### Notes",
            "",
            f"ACTION: [{rng.choice(PEOPLE)}] {rng.choice(VERBS)} the {rng.choice(AREAS)}",
            "",
        ]
        return "\n".join(lines)


def documents(meetings: int, *, seed: int = 7, source: str = "kestrel") -> list[Document]:
    """`meetings` meetings as Documents: 2/3 one-per-file, 1/3 in call files of 20 meetings."""
    history = History(seed)
    docs: list[Document] = []
    day = date(2015, 1, 6)
    calls: list[str] = []
    call_file = 0
    committed = datetime(2015, 1, 7, 12, tzinfo=UTC)

    def flush_calls() -> None:
        nonlocal call_file, calls
        if not calls:
            return
        call_file += 1
        # Newest first, as real call files are written.
        text = "# Kestrel Community Call\n\n" + "\n".join(reversed(calls))
        docs.append(_doc(source, f"notes/community-call-{call_file:04d}.md", text, committed))
        calls = []

    for n in range(meetings):
        minor = 10 + n // 40
        if n % 3 == 2:
            calls.append(history.call_meeting(day, minor))
            if len(calls) == 20:
                flush_calls()
        else:
            name = f"notes/{day.isoformat()}-Kestrel-Maintainers.md"
            docs.append(_doc(source, name, history.core_meeting(day, minor), committed))
        day += timedelta(days=3)
        committed = datetime(day.year, day.month, day.day, 12, tzinfo=UTC) + timedelta(days=1)
    flush_calls()
    return docs


def _doc(source: str, path: str, text: str, committed: datetime) -> Document:
    blob = hashlib.sha1(f"{path}\n{text}".encode()).hexdigest()
    return Document(source=source, path=path, text=text, blob=blob, committed_at=committed)


# ---- a git history of generated notes (the sync benchmark) ----------------------

TEAMS = ["Maintainers", "Release", "Docs", "Security", "Plugins", "Infra", "Community"]


@dataclass
class GitHistoryStats:
    commits: int
    notes: int  # note files at the head
    versions: int  # note versions committed (every blob a cold sync reads)
    head_bytes: int  # bytes of the notes at the head
    version_bytes: int  # bytes of every version


class _FastImport:
    """Commits written as one `git fast-import` stream (fast for thousands of commits)."""

    def __init__(self, when: datetime) -> None:
        self.stream = io.BytesIO()
        self.when = when
        self.stats = GitHistoryStats(0, 0, 0, 0, 0)
        self.files: dict[str, str] = {}
        self.pending: list[tuple[str, str]] = []  # (path, text) written, not committed yet

    def write(self, path: str, text: str) -> None:
        self.files[path] = text
        self.pending[:] = [(p, t) for p, t in self.pending if p != path]
        self.pending.append((path, text))

    def commit(self, message: str) -> None:
        if not self.pending:
            return
        self.stats.commits += 1
        stamp = f"{int(self.when.timestamp())} +0000"
        body = message.encode()
        self.stream.write(
            f"commit refs/heads/main\ncommitter Bench <b@example.org> {stamp}\n".encode()
        )
        self.stream.write(f"data {len(body)}\n".encode() + body + b"\n")
        for path, text in self.pending:
            data = text.encode()
            self.stats.versions += 1
            self.stats.version_bytes += len(data)
            self.stream.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        self.stream.write(b"\n")
        self.pending.clear()

    def finish(self, repo: Path) -> GitHistoryStats:
        repo.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        subprocess.run(
            ["git", "-C", str(repo), "fast-import", "--quiet"],
            input=self.stream.getvalue(),
            check=True,
        )
        subprocess.run(["git", "-C", str(repo), "repack", "-adq"], check=True)
        self.stats.notes = len(self.files)
        self.stats.head_bytes = sum(len(t.encode()) for t in self.files.values())
        return self.stats


def running_history(repo: Path, meetings: int, *, seed: int = 7) -> GitHistoryStats:
    """A git repository whose one note, `notes/community-call.md`, is kept as running
    notes: each commit adds a dated meeting on top, and one commit in three also
    writes up the action items of the meeting below it. Same (meetings, seed), same
    repository."""
    rng = random.Random(seed + 2)
    history = History(seed)
    out = _FastImport(datetime(2008, 1, 8, 12, tzinfo=UTC))
    calls: list[str] = []
    day = date(2008, 1, 7)
    for k in range(meetings):
        calls.append(history.call_meeting(day, 10 + k // 50))
        if len(calls) > 1 and rng.random() < 0.3:
            calls[-2] += f"- [ ] [{rng.choice(PEOPLE)}] follow up on {rng.choice(AREAS)}\n"
        out.write(
            "notes/community-call.md", "# Kestrel Community Call\n\n" + "\n".join(reversed(calls))
        )
        out.commit(f"call of {day.isoformat()}")
        day += timedelta(days=7)
        out.when = datetime(day.year, day.month, day.day, 18, tzinfo=UTC)
    return out.finish(repo)


def git_history(repo: Path, notes: int, *, seed: int = 7) -> GitHistoryStats:
    """A git repository at `repo` whose history adds `notes` generated notes to one flat
    folder, `notes/`, committed in realistic batches (written with `git fast-import`).

    Most notes are one meeting per file, committed one to six at a time a day to a few
    weeks after the meeting; about one in six is edited in a later commit (an action
    item added); a community-call file gets a new dated meeting on top in most commits
    and a new file after 20 meetings. Same (notes, seed), same repository.
    """
    rng = random.Random(seed + 1)
    history = History(seed)
    out = _FastImport(datetime(2008, 1, 8, 12, tzinfo=UTC))
    files, write, commit = out.files, out.write, out.commit
    day = date(2008, 1, 7)
    calls: list[str] = []
    call_file = 0

    written = 0
    while written < notes:
        # One batch: the meetings of the last few days, written up together.
        for _ in range(rng.randint(1, 6)):
            if written >= notes:
                break
            minor = 10 + written // 200
            team = TEAMS[rng.randrange(len(TEAMS))]
            name = f"notes/{day.isoformat()}-Kestrel-{team}.md"
            if name in files:
                day += timedelta(days=1)
                continue
            text = history.core_meeting(day, minor).replace(
                "Kestrel Maintainers", f"Kestrel {team}"
            )
            write(name, text)
            written += 1
            if rng.random() < 0.5:
                day += timedelta(days=1)
        if rng.random() < 0.7:
            calls.append(history.call_meeting(day, 10 + written // 200))
            if len(calls) == 1:
                call_file += 1
                written += 1
            text = "# Kestrel Community Call\n\n" + "\n".join(reversed(calls))
            write(f"notes/community-call-{call_file:04d}.md", text)
            if len(calls) == 20:
                calls = []
        if rng.random() < 0.3 and len(files) > 10:
            # An earlier note gets its action items written up later.
            old = rng.choice(sorted(files)[-60:])
            if not old.startswith("notes/community-call"):
                addendum = f"- [ ] [{rng.choice(PEOPLE)}] follow up on {rng.choice(AREAS)}\n"
                write(old, files[old].rstrip("\n") + "\n" + addendum)
        commit(f"notes up to {day.isoformat()}")
        gap = timedelta(days=rng.choice([1, 1, 2, 3, 7, 21]), hours=rng.randint(0, 8))
        out.when = max(out.when, datetime(day.year, day.month, day.day, 12, tzinfo=UTC)) + gap
        day += timedelta(days=1)
    commit("last notes")
    return out.finish(repo)
