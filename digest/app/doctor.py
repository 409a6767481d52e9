"""`digest doctor`: check everything a monthly run needs, without sending anything.

Each check gives one PASS or FAIL line; a FAIL says how to fix it. The checks
stop early only when the config itself does not load. Nothing is written: the
state database is opened read-only and SMTP is walked up to NOOP and QUIT.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from digest.config.load import load_config
from digest.config.schema import Config, ConfigError, SourceConfig
from digest.errors import UserError
from digest.model import Digest, Entry, MeetingRef, SourceLink
from digest.periods import Period

GIT_TIMEOUT = 60  # seconds for `git ls-remote`: a slow remote, not a hung one
MIN_SECRET_LENGTH = 16


@dataclass(frozen=True)
class CheckResult:
    name: str  # "config", "source community", "state", "templates", "smtp", "secret"
    ok: bool
    detail: str  # what was found
    fix: str = ""  # on failure (or warning): what to do about it
    # WARN: passes, but worth acting on; SKIP: could not be checked here (offline)
    note: Literal["WARN", "SKIP"] | None = None

    def lines(self) -> list[str]:
        word = "FAIL" if not self.ok else (self.note or "PASS")
        out = [f"{word} {self.name}: {self.detail}"]
        if (not self.ok or self.note == "WARN") and self.fix:
            out.append(f"     fix: {self.fix}")
        return out


# A DNS TXT lookup: the strings of each record, [] when the name has none, None when
# DNS cannot be asked (offline, no resolver): the check is then skipped.
TxtLookup = Callable[[str], list[str] | None]


def dns_txt(name: str) -> list[str] | None:
    """TXT records of a name, through the system's resolver (3 s at most)."""
    if os.environ.get("DIGEST_NO_DNS"):
        return None
    import dns.exception
    import dns.resolver

    try:
        answer = dns.resolver.resolve(name, "TXT", lifetime=3.0)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.DNSException, OSError):
        return None
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


def run_doctor(
    config: str | os.PathLike[str] | None, *, lookup: TxtLookup | None = None
) -> list[CheckResult]:
    try:
        cfg = load_config(config)
    except ConfigError as exc:
        return [CheckResult("config", False, str(exc), "correct the file as the message says.")]
    results = [_check_config(cfg)]
    for src in cfg.sources:
        results.extend(check_source(cfg, src))
    results.append(check_state(cfg))
    results.extend(check_series(cfg))
    results.append(check_templates(cfg))
    results.append(check_recipients(cfg))
    results.extend(check_sender_domain(cfg, lookup or dns_txt))
    if cfg.mail.transport == "smtp":
        results.append(check_smtp(cfg))
    if cfg.mail.subscribers:
        results.append(check_token_secret(cfg))
    return results


def format_results(results: list[CheckResult]) -> str:
    lines = [line for r in results for line in r.lines()]
    failed = sum(not r.ok for r in results)
    lines.append(f"{failed} of {len(results)} checks failed." if failed else "All checks passed.")
    return "\n".join(lines)


# ---- config ------------------------------------------------------------------------


def _check_config(cfg: Config) -> CheckResult:
    if cfg.warnings:
        return CheckResult(
            "config",
            False,
            f"{cfg.path} loaded with {len(cfg.warnings)} warning(s): " + "; ".join(cfg.warnings),
            "fix or remove the keys named above (see docs/reference/configuration.md).",
        )
    return CheckResult("config", True, f"{cfg.path} loaded")


# ---- sources -------------------------------------------------------------------------


def check_source(cfg: Config, src: SourceConfig) -> list[CheckResult]:
    """The source answers, and the notes it holds now, listed by the code `digest sync` uses."""
    from digest.sources.scan import where as source_where

    name = f"source {src.name}"
    where = f"{src.kind} {source_where(cfg, src)}"
    if src.kind == "feed":
        return [_check_feed(cfg, src, name, where)]
    if src.kind == "dir":
        if not cfg.resolve(src.path).is_dir():
            return [
                CheckResult(
                    name,
                    False,
                    f"{where}: no such folder",
                    f"check [[sources]] path in {cfg.path} (relative paths start at the "
                    f"config file's folder).",
                )
            ]
        return [CheckResult(name, True, f"{where}: folder exists"), _check_notes(cfg, src)]
    reach = _check_git_reachable(cfg, src, name, where)
    if not reach.ok:
        return [reach]
    return [reach, _check_notes(cfg, src)]


def _check_git_reachable(cfg: Config, src: SourceConfig, name: str, where: str) -> CheckResult:
    from digest.sources.git import GitError, failure_reason, git_location, remote_head

    try:
        head = remote_head(cfg, src, timeout=GIT_TIMEOUT)
    except FileNotFoundError:
        return CheckResult(name, False, "git is not installed", "install git.")
    except GitError as err:
        if err.timed_out:
            return CheckResult(
                name,
                False,
                f"{where}: no answer within {GIT_TIMEOUT} s",
                "check the url and that this host can reach it.",
            )
        reason = failure_reason(src, git_location(cfg, src), err, timeout=GIT_TIMEOUT)
        return CheckResult(
            name,
            False,
            f"{where}: cannot be reached ({reason})",
            f"check [[sources]] url in {cfg.path}, the network and any credentials git needs.",
        )
    if head is None:
        return CheckResult(
            name,
            False,
            f"{where}: has no branch {src.branch or 'HEAD'}",
            f"check [[sources]] branch in {cfg.path}.",
        )
    return CheckResult(name, True, f"{where}: reachable")


def _check_notes(cfg: Config, src: SourceConfig) -> CheckResult:
    """What `digest sync` would read: the same listing, decoding and parsing."""
    from digest.notes.parse import parse_document
    from digest.sources.base import SourceError
    from digest.sources.scan import list_notes

    name = f"source {src.name} notes"
    try:
        listing = list_notes(cfg, src)
    except SourceError as exc:
        return CheckResult(
            name, False, str(exc), f"check [[sources]] url and branch in {cfg.path}."
        )
    if listing is None:
        return _check_synced_notes(cfg, src, name)
    globs = ", ".join(f'"{g}"' for g in src.glob)
    if not listing.versions:
        return CheckResult(
            name,
            False,
            f"no file matches glob {globs}",
            f"check [[sources]] glob in {cfg.path}: patterns are relative to the "
            f"{'folder' if src.kind == 'dir' else 'repository root'}.",
        )
    problems = [v.problem for v in listing.versions if v.problem]
    notes = meetings = undated = 0
    for version in listing.versions:
        if version.problem:
            continue
        notes += 1
        parsed = parse_document(version.document, series=src.series, source_kind=src.kind)
        meetings += len(parsed.meetings)
        undated += sum(m.date_origin == "commit" for m in parsed.meetings)
    detail = f"{notes} note(s) match {globs}, {meetings} meeting(s)"
    if undated:
        detail += f", {undated} without a date in the note (dated by their commit or file time)"
    if problems:
        detail += f"; {len(problems)} file(s) skipped, as sync skips them: {problems[0]}"
    if meetings == 0:
        return CheckResult(
            name,
            False,
            detail,
            "start each note with a dated heading like `# 2026-01-08 Core sync` "
            "or put the date in the file name.",
        )
    return CheckResult(name, True, detail)


def _check_synced_notes(cfg: Config, src: SourceConfig, name: str) -> CheckResult:
    """A remote repository is read through the state DB that `digest sync` fills."""
    from digest.state.db import open_read_only
    from digest.state.notes import synced_counts

    try:
        if not cfg.db_path.exists():
            return CheckResult(
                name, True, "remote repository: notes are counted after `digest sync`"
            )
        with open_read_only(cfg.db_path) as conn:
            documents, meetings, undated = synced_counts(conn, src.name)
    except (OSError, sqlite3.Error):
        # The state check names what is wrong with the state; here the notes are unknown.
        return CheckResult(name, True, "remote repository: notes cannot be counted (see state)")
    if documents == 0:
        return CheckResult(
            name,
            True,
            "remote repository: no note synced yet (run `digest sync`; if it finds none, "
            "check glob)",
        )
    detail = f"{documents} note(s) synced, {meetings} meeting(s)"
    if undated:
        detail += f", {undated} without a date in the note (dated by their commit)"
    return CheckResult(name, True, detail)


def _check_feed(cfg: Config, src: SourceConfig, name: str, where: str) -> CheckResult:
    from digest.sources.base import SourceError
    from digest.sources.scan import list_notes

    fix = f"check [[sources]] url in {cfg.path} and that it is an RSS or Atom feed."
    try:
        listing = list_notes(cfg, src)
    except SourceError as exc:
        return CheckResult(name, False, str(exc), fix)
    entries = len(listing.versions) if listing else 0
    if entries == 0:
        return CheckResult(name, False, f"{where}: no entries could be read", fix)
    return CheckResult(name, True, f"{where}: {entries} entries")


# ---- state ---------------------------------------------------------------------------


def check_state(cfg: Config) -> CheckResult:
    from digest.state.db import SCHEMA_VERSION, health, open_read_only

    path = cfg.db_path
    try:
        exists = path.exists()
    except OSError as exc:  # a state folder this user may not enter
        return CheckResult(
            "state",
            False,
            f"{path} cannot be read ({exc.strerror or exc})",
            "run digest as the user that owns the state (under systemd: the service's).",
        )
    if not exists:
        folder = next((p for p in [path.parent, *path.parent.parents] if p.exists()), None)
        if folder is None or not os.access(folder, os.W_OK):
            return CheckResult(
                "state",
                False,
                f"{path} does not exist and {path.parent} cannot be created",
                "set [digest] state_dir to a folder this user can write "
                "(under systemd, StateDirectory= provides one).",
            )
        return CheckResult("state", True, f"{path} will be created by the first run")
    try:
        with open_read_only(path) as conn:  # a doctor never changes what it examines
            version, integrity = health(conn)
    except sqlite3.Error as exc:
        return CheckResult(
            "state",
            False,
            f"{path} cannot be read as SQLite ({exc})",
            "restore it from a backup, or move it away to start afresh "
            "(digests already sent would then be sent again).",
        )
    if integrity != ["ok"]:
        return CheckResult(
            "state",
            False,
            f"{path} is damaged: {'; '.join(integrity[:3])}",
            "restore it from a backup, or try `sqlite3 state.db .recover`.",
        )
    if version > SCHEMA_VERSION:
        return CheckResult(
            "state",
            False,
            f"{path} has schema version {version}, newer than this digest ({SCHEMA_VERSION})",
            "upgrade notes-digest.",
        )
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return CheckResult(
            "state",
            False,
            f"{path} is not writable by this user",
            "run digest as the user that owns the state (under systemd: the service's).",
        )
    if version < SCHEMA_VERSION:
        return CheckResult(
            "state",
            True,
            f"{path} integrity ok, schema version {version} (the next run upgrades it to "
            f"{SCHEMA_VERSION})",
        )
    return CheckResult("state", True, f"{path} integrity ok, schema version {version} (latest)")


# ---- templates -------------------------------------------------------------------------


def check_series(cfg: Config) -> list[CheckResult]:
    """What was learnt of each series' way of writing notes (after a sync): one line
    each, so a maintainer sees how their notes are read and what to set if it is wrong."""
    import sqlite3

    from digest.app.digests import followed_items, load_notes, series_conventions
    from digest.state.db import StateDB, open_read_only
    from digest.tracking.threads import build_threads

    try:
        if not cfg.db_path.exists():
            return []
        with open_read_only(cfg.db_path) as conn:
            _meetings, items, resolution = load_notes(StateDB(conn))
    except (OSError, sqlite3.Error):
        return []  # the state check says what is wrong with the state
    items = followed_items(cfg, items)
    threads = build_threads(items, cfg.tracking)
    found = series_conventions(items, threads, cfg.tracking)
    results = []
    for name in sorted(found):
        c = found[name]
        parts = [f"{c.meetings} meeting(s)"]
        others = sorted(resolution.aliases.get(name, set()) - {name})
        if others:
            parts.append("also titled " + ", ".join(f'"{o}"' for o in others))
        parts.append(f"ticked boxes mean {c.boxes} ({c.boxes_why})")
        if c.owner_forms:
            parts.append(
                "owners written as " + ", ".join(f"{form} ({n})" for form, n in c.owner_forms)
            )
        if c.action_sections:
            parts.append("actions under " + ", ".join(f'"{h}" ({n})' for h, n in c.action_sections))
        if c.recurring:
            parts.append(f"{len(c.recurring)} template line(s) or chore(s) not followed")
        results.append(CheckResult(f"series {name}", True, "; ".join(parts)))
    return results


def sample_digest() -> Digest:
    """A small digest with every bucket filled, to render the templates once."""
    link = SourceLink(
        path="2026-03-05-core-sync.md",
        line=12,
        commit="0" * 40,
        url="https://example.org/notes/blob/main/2026-03-05-core-sync.md#L12",
    )

    def entry(title: str, status: str, **extra: object) -> Entry:
        fields: dict[str, object] = {
            "title": title,
            "status": status,
            "status_phrase": None,
            "owners": ["ada"],
            "refs": ["example/project#12"],
            "first_seen": date(2026, 1, 8),
            "last_seen": date(2026, 3, 5),
            "times_raised": 3,
            "source": link,
            "thread_id": f"sample#{title}",
        }
        fields.update(extra)
        return Entry(**fields)  # type: ignore[arg-type]

    return Digest(
        series="Core sync",
        period=Period(2026, 3),
        compared_to=Period(2026, 2),
        meetings=[MeetingRef(title="Core sync", date=date(2026, 3, 5), source=link)],
        highlights=[entry("Release 2.0 is out", "unknown")],
        new=[entry("Write the **upgrade** guide", "open")],
        pending=[entry("Move CI to the new runners", "open", status_phrase="in progress")],
        resolved=[entry("Fix the flaky test", "done", previous_status="open")],
        quiet=[entry("Decide on a logo", "open")],
        late=[entry("Note from February", "open", late=True)],
    )


def check_templates(cfg: Config) -> CheckResult:
    from digest.mail.render import render_digest

    where = cfg.digest.templates_dir or "the templates shipped with notes-digest"
    try:
        rendered = render_digest(sample_digest(), cfg)
    except Exception as exc:  # a template bug of any kind is a FAIL, not a traceback
        reason = str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
        return CheckResult(
            "templates",
            False,
            f"{where}: a sample digest does not render ({reason})",
            "fix the template named above, or remove [digest] templates_dir to use the "
            "shipped ones.",
        )
    return CheckResult(
        "templates",
        True,
        f"{where}: a sample digest renders (subject {rendered.subject!r})",
    )


# ---- delivery ---------------------------------------------------------------------------


def check_recipients(cfg: Config) -> CheckResult:
    m = cfg.mail
    if not m.list_address and not m.subscribers:
        return CheckResult(
            "recipients",
            False,
            "[mail] has no list_address and subscribers = false: a digest would reach nobody",
            f"set [mail] list_address or subscribers = true in {cfg.path}.",
        )
    one_click = cfg.web.base_url.startswith("https://") or (
        m.unsubscribe_url.startswith("https://") and "{token}" in m.unsubscribe_url
    )
    if m.subscribers and not one_click:
        found = (
            "only unsubscribe_mailto, which nothing reads"
            if m.unsubscribe_mailto and not (m.unsubscribe_url or cfg.web.base_url)
            else "no https:// link to `digest serve`"
        )
        return CheckResult(
            "recipients",
            False,
            f"[mail] subscribers = true needs a one-click unsubscribe link (RFC 8058, "
            f"required by Gmail and Yahoo for bulk mail); found {found}",
            f"run `digest serve` behind your TLS proxy and set [web] base_url = "
            f'"https://…/" in {cfg.path}.',
        )
    who = [f"list {m.list_address}"] if m.list_address else []
    if m.subscribers:
        who.append("active subscribers")
    return CheckResult("recipients", True, f"{' and '.join(who)}, via {m.transport}")


def check_smtp(cfg: Config) -> CheckResult:
    from digest.config.secrets import SMTP_PASSWORD, find_secret
    from digest.delivery.smtp import check
    from digest.log import register_secret

    try:
        password = find_secret(SMTP_PASSWORD, cfg.smtp.password_file, "[smtp] password_file")
        if password is not None:
            register_secret(password.value)
        steps = asyncio.run(check(cfg.smtp, password))
    except UserError as exc:
        return CheckResult(
            "smtp",
            False,
            str(exc),
            "check [smtp] host, port, security and username, and the password in "
            "$DIGEST_SMTP_PASSWORD, [smtp] password_file or the credential smtp-password.",
        )
    return CheckResult("smtp", True, "; ".join(steps) if steps else "session ok, no mail sent")


def check_token_secret(cfg: Config) -> CheckResult:
    from digest.config.secrets import token_secret
    from digest.log import register_secret

    fix = (
        "set DIGEST_SECRET, [digest] secret_file, or the systemd credential digest-secret "
        "to a long random string (e.g. `openssl rand -hex 32`); changing it later breaks "
        "unsubscribe links already mailed."
    )
    try:
        secret = token_secret(cfg)
    except UserError as exc:
        return CheckResult("secret", False, str(exc), fix)
    if secret is None:
        return CheckResult(
            "secret",
            False,
            "[mail] subscribers = true needs a secret to sign unsubscribe links; none is set",
            fix,
        )
    register_secret(secret)
    if len(secret) < MIN_SECRET_LENGTH:
        return CheckResult(
            "secret",
            False,
            f"the unsubscribe-link secret is only {len(secret)} characters long",
            fix,
        )
    return CheckResult("secret", True, "the unsubscribe-link secret is set")


# ---- the From: domain: SPF, DMARC, DKIM, lists ------------------------------------------

# Mailbox providers whose DMARC policy is reject or quarantine: a digest sent "From:"
# them through your own relay fails DMARC, and lists rewrite their posts.
PROVIDER_DOMAINS = {
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "ymail.com",
    "aol.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.de",
    "web.de",
    "yandex.ru",
    "mail.ru",
}
# Names that never resolve on the internet: nothing to look up.
_RESERVED = ("localhost", "local", "test", "example", "invalid", "internal", "lan", "home.arpa")


def _reserved(domain: str) -> bool:
    last = domain.rsplit(".", 1)[-1]
    return (
        "." not in domain
        or last in _RESERVED
        or domain.endswith(".home.arpa")
        or domain in ("example.org", "example.com", "example.net")
        or domain.endswith((".example.org", ".example.com", ".example.net"))
    )


def _tag(record: str, name: str) -> str:
    for part in record.split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == name:
            return value.strip().lower()
    return ""


def check_sender_domain(cfg: Config, lookup: TxtLookup) -> list[CheckResult]:
    """SPF and DMARC of the From: domain (and DKIM's key), where DNS answers; and the
    ways a From: domain gets digests rejected or rewritten."""
    domain = email.utils.parseaddr(cfg.mail.sender)[1].rpartition("@")[2].lower()
    name = f"sender {domain}"
    if not domain:
        return []
    if domain in PROVIDER_DOMAINS:
        return [
            CheckResult(
                name,
                False,
                f"[mail] from is at {domain}, a mailbox provider: your relay cannot sign for "
                "it, so receivers reject the digest (DMARC) and lists rewrite it",
                "send from an address at a domain you control, with SPF, DKIM and DMARC set "
                "up (see docs/how-to/deliverability.md).",
            )
        ]
    if _reserved(domain):
        return [
            CheckResult(
                name,
                True,
                f"{domain} is not a public domain; SPF and DMARC not checked",
                note="SKIP",
            )
        ]
    spf_records = lookup(domain)
    if spf_records is None:
        return [
            CheckResult(
                name,
                True,
                "DNS cannot be reached from here; SPF and DMARC not checked",
                note="SKIP",
            )
        ]
    results = []
    spf = [r for r in spf_records if r.lower().startswith("v=spf1")]
    if spf:
        results.append(CheckResult(f"{name} SPF", True, spf[0][:120]))
    else:
        results.append(
            CheckResult(
                f"{name} SPF",
                False,
                f"{domain} publishes no SPF record, so receivers cannot tell that your relay "
                "may send for it",
                f"publish a TXT record at {domain} such as \"v=spf1 include:<your relay's "
                'domain> -all" (your provider documents the include).',
            )
        )
    dmarc_records = lookup(f"_dmarc.{domain}") or []
    dmarc = [r for r in dmarc_records if r.lower().startswith("v=dmarc1")]
    if not dmarc:
        results.append(
            CheckResult(
                f"{name} DMARC",
                not cfg.mail.subscribers,
                f"{domain} publishes no DMARC record (Gmail and Yahoo require one from bulk "
                "senders)",
                f'publish a TXT record at _dmarc.{domain}, starting with "v=DMARC1; p=none; '
                f'rua=mailto:…" and tighten it once reports look right.',
                note=None if cfg.mail.subscribers else "WARN",
            )
        )
    else:
        policy = _tag(dmarc[0], "p") or "none"
        if policy in ("reject", "quarantine") and cfg.mail.list_address:
            results.append(
                CheckResult(
                    f"{name} DMARC",
                    True,
                    f"p={policy}: list managers such as Mailman rewrite a post from {domain} "
                    f"(From: becomes the list's address, 'X via the list'), and lists that do "
                    f"not are refused by receivers",
                    "expect the rewrite, or post to the list from an address at the list's "
                    "own domain.",
                    note="WARN",
                )
            )
        else:
            results.append(CheckResult(f"{name} DMARC", True, f"p={policy}"))
    if cfg.dkim.domain:
        where = f"{cfg.dkim.selector}._domainkey.{cfg.dkim.domain}"
        keys = lookup(where)
        if keys is None:
            pass
        elif any("p=" in k for k in keys):
            results.append(CheckResult(f"{name} DKIM", True, f"key published at {where}"))
        else:
            results.append(
                CheckResult(
                    f"{name} DKIM",
                    False,
                    f"no DKIM key is published at {where}",
                    "publish the public key of [dkim] key_file there (`openssl rsa -pubout`), "
                    'as "v=DKIM1; k=rsa; p=<base64>".',
                )
            )
        if cfg.dkim.domain.lower() != domain and not domain.endswith("." + cfg.dkim.domain):
            results.append(
                CheckResult(
                    f"{name} DKIM",
                    False,
                    f"[dkim] domain {cfg.dkim.domain} is not aligned with the From: domain "
                    f"{domain}, so DMARC ignores the signature",
                    "set [dkim] domain to the From: domain (or a parent of it).",
                )
            )
    return results
