"""The settings, as plain dataclasses: what every stage may read of the config.

digest.config.load fills them from config.toml and checks every value once, so a
stage that holds a Config can trust it. The TOML names of tables and keys are the
field names, except where `RENAMED` says otherwise (`from` is a Python keyword).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal

from digest.errors import UserError
from digest.periods import Period

# Tracked sections whose items are open until said otherwise.
DEFAULT_SECTIONS_OPEN = [
    "action items",
    "actions",
    "action",
    "todo",
    "to do",
    "to-do",
    "follow-ups",
    "follow ups",
    "follow-up",
    "next steps",
    "open items",
]
DEFAULT_SECTIONS_TRACKED = [
    "agenda",
    *DEFAULT_SECTIONS_OPEN,
    "discussion",
    "topics",
    "notes",
    "items",
    "decisions",
    "status",
    "updates",
    "roadmap",
    # Seen in real notes: "Proposals", "Proposals/Issues", "Agenda / Open Discussion",
    # "Follow-ups from last meeting", "Items from last time".
    "proposals",
    "issues",
    "open discussion",
    "check-ins",
    "from last meeting",
    "from last time",
    "from the last meeting",
    "from previous meeting",
    "carried over",
]
DEFAULT_SECTIONS_HIGHLIGHT = [
    "highlights",
    "weekly highlights",
    "announcements",
    "news",
    "decisions",
]
DEFAULT_SECTIONS_IGNORED = [
    "mc",
    "host",
    "facilitator",
    "who joined",
    "attendees",
    "attendance",
    "participants",
    "present",
    "links",
    "resources",
    "recording",
    "zoom link",
    "more information",
]


class ConfigError(UserError):
    """A user-fixable configuration problem, as one sentence."""


@dataclass
class SourceConfig:
    """One [[sources]] table: where a project's notes are and how to read them."""

    name: str = ""
    kind: Literal["git", "dir", "feed"] = "dir"
    glob: list[str] = field(default_factory=lambda: ["**/*.md"])
    exclude: list[str] = field(default_factory=list)  # globs of files that are not notes
    url: str = ""  # git: path or clone URL; feed: file path or http(s) URL
    path: str = ""  # dir: folder
    branch: str = ""  # git: default branch of the remote when empty
    series: str = ""  # force a series name for every meeting of this source
    web_url: str = ""  # "https://host/org/repo/blob/{commit}/{path}#L{line}"
    org: str = ""  # GitHub org for bare "repo#123" references; guessed from url
    repo: str = ""  # "org/name": the repository a bare "#123" in the notes is an issue of
    max_note_bytes: int = 5_000_000  # a bigger note is skipped with a warning
    since: str = ""  # git: a date "2024-01-01" or a commit; older history is not read


@dataclass
class SectionNames:
    """Heading names added to the built-in ones (digest.notes.sections), by what the
    section is for. Compared as whole words, case-insensitive; a configured name wins."""

    agenda: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    next: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    announcements: list[str] = field(default_factory=list)
    minutes: list[str] = field(default_factory=list)
    attendance: list[str] = field(default_factory=list)
    boilerplate: list[str] = field(default_factory=list)

    def by_meaning(self) -> dict[str, list[str]]:
        return {f.name: list(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name)}


BoxSetting = Literal["auto", "done", "discussed", "none"]


@dataclass
class SeriesSettings:
    """[[tracking.series]]: how one series' notes are read, where it differs."""

    name: str = ""  # the series (any of its names; case-insensitive, contained)
    boxes: BoxSetting = "auto"
    sections: SectionNames = field(default_factory=SectionNames)

    def matches(self, series: str) -> bool:
        return bool(self.name) and self.name.lower() in series.lower()


@dataclass
class TrackingConfig:
    """[tracking]: which sections hold what, and how items are followed."""

    sections_tracked: list[str] = field(default_factory=lambda: list(DEFAULT_SECTIONS_TRACKED))
    sections_highlight: list[str] = field(default_factory=lambda: list(DEFAULT_SECTIONS_HIGHLIGHT))
    sections_ignored: list[str] = field(default_factory=lambda: list(DEFAULT_SECTIONS_IGNORED))
    # Tracked sections whose items count as open without a status word.
    sections_open: list[str] = field(default_factory=lambda: list(DEFAULT_SECTIONS_OPEN))
    # Extra status words, added to the built-in defaults (digest.notes.status).
    done_words: list[str] = field(default_factory=list)
    open_words: list[str] = field(default_factory=list)
    dropped_words: list[str] = field(default_factory=list)
    # What a ticked box means: "auto" (learnt from each series' history), "done",
    # "discussed" (a tick says the entry was talked about) or "none" (no status).
    boxes: BoxSetting = "auto"
    sections: SectionNames = field(default_factory=SectionNames)
    series: list[SeriesSettings] = field(default_factory=list)
    # Regular expressions: an item whose text matches one is never followed.
    ignore: list[str] = field(default_factory=list)
    similarity: int = 85  # rapidfuzz score (0-100) above which two texts are the same item
    # Counted in months in which the series met (not meetings), so a weekly call
    # and a monthly one age alike in a monthly digest.
    quiet_after: int = 2  # such months without mention before an open item is "quiet"
    forget_after: int = 6  # such months without mention before a quiet item is dropped

    def for_series(self, series: str) -> SeriesSettings | None:
        """The [[tracking.series]] table naming this series, if any (the first)."""
        return next((s for s in self.series if s.matches(series)), None)

    def boxes_of(self, names: Iterable[str]) -> BoxSetting:
        """What a tick means in a series known by these names (its aliases)."""
        for name in names:
            found = self.for_series(name)
            if found is not None and found.boxes != "auto":
                return found.boxes
        return self.boxes


@dataclass
class MailConfig:
    """[mail]: who the digest is from and to, and how it travels."""

    sender: str = "notes-digest <digest@localhost>"  # TOML key: from
    list_address: str = ""
    subscribers: bool = False  # also mail each active subscriber
    list_id: str = ""  # RFC 2919, e.g. "acme-dev.example.org"; derived from sender when empty
    unsubscribe_url: str = ""  # https://.../unsubscribe?token={token}
    unsubscribe_mailto: str = ""  # mailto address for List-Unsubscribe
    reply_to: str = ""
    subject_prefix: str = ""
    transport: Literal["outbox", "smtp"] = "outbox"
    # Headers the copy posted to list_address carries besides From/To/Subject/Date/
    # Message-ID: the list manager sets its own List-* headers (RFC 2919, RFC 2369),
    # and some refuse posts marked Auto-Submitted. Any of LIST_COPY_HEADERS.
    list_headers: list[str] = field(default_factory=list)


# The headers [mail] list_headers may add to the list copy.
LIST_COPY_HEADERS = ("List-Id", "List-Unsubscribe", "List-Archive", "Precedence", "Auto-Submitted")


@dataclass
class WebConfig:
    """`digest serve`: the subscribe, preferences and unsubscribe pages and the archive."""

    # The public https:// address the TLS proxy serves `digest serve` at; links in
    # every message (unsubscribe, preferences, view in browser) start with it.
    base_url: str = ""
    confirm_days: int = 7  # a confirmation link is valid this many days
    # X-Forwarded-For is believed only from these peers (the TLS proxy).
    trusted_proxies: list[str] = field(default_factory=lambda: ["127.0.0.1", "::1"])
    subscribe_per_ip: int = 20  # subscribe requests per client address per hour
    subscribe_per_address: int = 3  # confirmation mails per address per day


@dataclass
class DkimConfig:
    """Optional DKIM signing (dkimpy), for a relay that does not sign."""

    domain: str = ""  # d=, normally the domain of [mail] from
    selector: str = ""  # s=: the key is published at <selector>._domainkey.<domain>
    # PEM RSA private key; else $DIGEST_DKIM_KEY or the credential dkim-key
    key_file: str = ""


@dataclass
class SmtpConfig:
    """[smtp]: the relay, its security, and the pace of a send."""

    host: str = "localhost"
    port: int = 0  # 0: 587 for starttls, 465 for tls, 25 for none
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    password_file: str = ""  # else $DIGEST_SMTP_PASSWORD or $CREDENTIALS_DIRECTORY/smtp-password
    timeout: float = 30.0
    verify: bool = True
    ca_file: str = ""
    max_connections: int = 2
    max_per_second: float = 5.0
    retries: int = 5  # retries of a transient failure, after the first attempt
    retry_base_seconds: float = 0.5  # first backoff; doubles each retry, capped at 30 s
    messages_per_connection: int = 100
    # Send MAIL, RCPT and DATA together when the server offers PIPELINING (RFC 2920).
    pipelining: bool = True
    # Seconds one `digest send` may spend mailing, all digests together; then it starts
    # no more attempts and everyone not mailed stays pending. systemd/digest.service's
    # TimeoutStartSec= is this plus a margin for the sync (tests/test_systemd.py).
    run_timeout: float = 1200.0


@dataclass
class OutboxConfig:
    """[outbox]: the folder the outbox transport writes .eml files to."""

    path: str = "outbox"


@dataclass
class ScheduleConfig:
    """[schedule]: the first month that may be sent, and when a month is skipped."""

    start: Period | None = None  # "YYYY-MM": first period that may be sent; None: last month
    skip_if_no_new_notes: bool = True


@dataclass
class DigestConfig:
    """[digest]: the digest's title, state, templates and time zone."""

    title: str = "Meeting notes digest"
    state_dir: str = ""  # default: $STATE_DIRECTORY, else $XDG_STATE_HOME/notes-digest
    templates_dir: str = ""  # default: the templates shipped with the package
    timezone: str = "UTC"
    secret_file: str = ""  # else $DIGEST_SECRET or $CREDENTIALS_DIRECTORY/digest-secret
    # Entries of a section shown in full (the most telling first); the rest are listed
    # one line each. Gone-quiet items are always one compact list.
    max_entries: int = 9


@dataclass
class Config:
    """The whole validated config.toml."""

    path: Path = field(default_factory=lambda: Path("config.toml"))
    digest: DigestConfig = field(default_factory=DigestConfig)
    sources: list[SourceConfig] = field(default_factory=list)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    outbox: OutboxConfig = field(default_factory=OutboxConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    web: WebConfig = field(default_factory=WebConfig)
    dkim: DkimConfig = field(default_factory=DkimConfig)
    warnings: list[str] = field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        """Relative paths in the config are relative to the config file."""
        return self.path.resolve().parent

    def resolve(self, value: str) -> Path:
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else self.base_dir / p

    @property
    def state_dir(self) -> Path:
        if self.digest.state_dir:
            return self.resolve(self.digest.state_dir)
        if os.environ.get("STATE_DIRECTORY"):
            # systemd may pass several, colon-separated; the first is ours.
            return Path(os.environ["STATE_DIRECTORY"].split(":")[0])
        xdg = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
        return Path(xdg) / "notes-digest"

    @property
    def db_path(self) -> Path:
        return self.state_dir / "state.db"

    @property
    def outbox_dir(self) -> Path:
        return self.resolve(self.outbox.path)


# TOML key -> dataclass attribute, where a TOML key is a Python keyword.
RENAMED = {"from": "sender"}
# TOML table -> its settings; [[sources]] is a list of SourceConfig tables.
TABLES: dict[str, type] = {
    "digest": DigestConfig,
    "tracking": TrackingConfig,
    "mail": MailConfig,
    "smtp": SmtpConfig,
    "outbox": OutboxConfig,
    "schedule": ScheduleConfig,
    "web": WebConfig,
    "dkim": DkimConfig,
}


def toml_key(attr: str) -> str:
    """The TOML key of a settings field (its name, but `from` for `sender`)."""
    for key, value in RENAMED.items():
        if value == attr:
            return key
    return attr


def toml_keys(cls: type) -> list[str]:
    """The TOML keys of one table's settings class, in declaration order."""
    return [toml_key(f.name) for f in fields(cls)]
