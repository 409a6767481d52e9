"""End to end through Postfix, the most common real MTA, into local Maildirs.

The real product does everything: `digest subscribers add` and `digest send` run
as subprocesses against a notes project in tmp_path, with [mail] transport =
"smtp" pointing at the loopback-only Postfix that tests/postfix/start.sh
configures (CI runs it). Mail for digest.test lands in one Maildir per address
under `postconf virtual_mailbox_base`. Skips, saying why, where that Postfix is
not there.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import mailbox
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest
from notes_project import make_project

from digest.mail.render import RenderedDigest
from digest.mail.tokens import read_link_token

pytestmark = pytest.mark.postfix

DOMAIN = "digest.test"
LIST = f"list@{DOMAIN}"
SUBSCRIBERS = (f"ana@{DOMAIN}", f"bo@{DOMAIN}")
MAILDIRS = {LIST: "list", SUBSCRIBERS[0]: "ana", SUBSCRIBERS[1]: "bo"}
PERIOD = "2026-10"
DIGEST_ID = f"Quillwort Sync|{PERIOD}"
SENDER = "Quillwort digest <digest@quillwort.example.org>"
SUBJECT = "Quillwort Sync digest — October 2026: 1 new, 1 pending, 1 resolved"
UNSUBSCRIBE_PREFIX = "https://quillwort.example.org/unsubscribe?token="
MAILTO = "mailto:leave@quillwort.example.org"
# The secret signing the unsubscribe tokens, handed to the CLI as $DIGEST_SECRET.
SECRET = "postfix-test-secret-for-unsubscribe-links"
# October's digest of tests/notes_project.NOTES, by section, as a reader sees it.
EXPECTED_ENTRIES = [
    ("NEW (1)", "[lin] propose a plugin interface for custom rules"),
    ("STILL PENDING (1)", "[omar] profile the YAML loader on large monorepos -> in progress"),
    ("RESOLVED (1)", "[dana] write the migration guide for the 2.0 rule format"),
]
WAIT_SECONDS = 30.0


# ---- the Postfix set-up ----------------------------------------------------------


def _postfix_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    return f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else None


def _postconf(name: str) -> str:
    postconf = _postfix_tool("postconf")
    if postconf is None:
        return ""
    result = subprocess.run([postconf, "-h", name], capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


@pytest.fixture(scope="module")
def maildir_base() -> Path:
    if _postfix_tool("postconf") is None:
        pytest.skip("Postfix is not installed (apt-get install postfix)")
    try:
        socket.create_connection(("127.0.0.1", 25), timeout=2).close()
    except OSError:
        pytest.skip("Postfix is not listening on 127.0.0.1:25; run tests/postfix/start.sh as root")
    if DOMAIN not in _postconf("virtual_mailbox_domains").replace(",", " ").split():
        pytest.skip(f"Postfix does not deliver {DOMAIN}; run tests/postfix/start.sh as root")
    if _postfix_tool("postqueue") is None:
        pytest.skip("Postfix's postqueue is missing; the test cannot see Postfix's queue")
    base = Path(_postconf("virtual_mailbox_base"))
    if os.geteuid() not in (0, base.stat().st_uid):
        pytest.skip(f"the Maildirs under {base} belong to another user; they cannot be read")
    return base


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll until condition holds: Postfix delivers asynchronously and has no event to wait on."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not so after {WAIT_SECONDS:.0f} s")
        time.sleep(0.05)


def _queued_for_test_domain() -> list[str]:
    """Queue ids of messages Postfix still holds (incoming, active, deferred) for digest.test."""
    postqueue = _postfix_tool("postqueue")
    assert postqueue is not None
    result = subprocess.run([postqueue, "-j"], capture_output=True, text=True, check=True)
    queued = []
    for line in result.stdout.splitlines():
        entry = json.loads(line)
        if any(r["address"].endswith(f"@{DOMAIN}") for r in entry.get("recipients", [])):
            queued.append(entry["queue_id"])
    return queued


def _keys(folder: Path) -> set[str]:
    """Message files in a Maildir (new/ and cur/); Postfix writes each once, in tmp/ first."""
    return {
        p.name
        for sub in ("new", "cur")
        if (folder / sub).is_dir()
        for p in (folder / sub).iterdir()
    }


@pytest.fixture
def maildirs(maildir_base: Path) -> Iterator[dict[str, Path]]:
    """The three Maildirs; the messages this test delivers are removed afterwards."""
    folders = {address: maildir_base / name for address, name in MAILDIRS.items()}
    # Postfix must be idle for digest.test first, or an earlier run's mail would look like ours.
    _wait_until(lambda: not _queued_for_test_domain(), "Postfix's queue is empty for digest.test")
    before = {address: _keys(folder) for address, folder in folders.items()}
    yield folders
    for address, folder in folders.items():
        for key in _keys(folder) - before[address]:
            for sub in ("new", "cur"):
                (folder / sub / key).unlink(missing_ok=True)


# ---- the product, as a user runs it -----------------------------------------------


def _digest(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "CREDENTIALS_"))}
    for name in ("STATE_DIRECTORY", "INVOCATION_ID", "JOURNAL_STREAM"):
        env.pop(name, None)  # no systemd state dir, and terminal-style log lines
    env["DIGEST_SECRET"] = SECRET
    return subprocess.run(
        [sys.executable, "-m", "digest", "--config", str(config), *args],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _ledger(config: Path) -> tuple[dict[str, RenderedDigest], dict[str, str]]:
    """Each recipient's frozen message (the list copy is the series' digest; a
    subscriber's is their monthly message) and Message-ID, from the ledger."""
    with sqlite3.connect(config.parent / "state" / "state.db") as db:
        rows = db.execute(
            "SELECT l.recipient, l.message_id, d.subject, d.text_body, d.html_body "
            "FROM deliveries l JOIN digests d ON d.id = l.digest_id WHERE d.period = ?",
            [PERIOD],
        ).fetchall()
    frozen = {r: RenderedDigest(subject=s, text=t, html=h) for r, _, s, t, h in rows}
    return frozen, {r: m for r, m, *_ in rows}


def _subscriber_of(config: Path, token: str) -> str | None:
    """The address whose link carries `token`, as the unsubscribe page finds it."""
    sid = read_link_token(token, SECRET, "s")
    with sqlite3.connect(config.parent / "state" / "state.db") as db:
        row = db.execute("SELECT address FROM subscribers WHERE sid = ?", [sid]).fetchone()
    return None if row is None else str(row[0])


# ---- reading what arrived ---------------------------------------------------------


def _read(folder: Path, key: str) -> EmailMessage:
    raw = mailbox.Maildir(folder, create=False).get_bytes(key)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _text_entries(text: str) -> list[tuple[str, str]]:
    """(section heading, entry title) pairs of the text part: "NEW (1)" then "  * title"."""
    entries: list[tuple[str, str]] = []
    section = ""
    for line in text.splitlines():
        if re.fullmatch(r"[A-Z][A-Z ]+ \(\d+\)", line):
            section = line
        elif line.startswith("  * "):
            entries.append((section, line[4:]))
    return entries


class _HtmlEntries(HTMLParser):
    """(section heading, entry title) pairs of the HTML part: <h2> then <p class="entry-title">."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[tuple[str, str]] = []
        self._section = ""
        self._capturing: str | None = None  # "h2" or "entry" while inside one
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "h2" or (tag == "p" and "entry-title" in classes):
            self._capturing, self._buffer = ("h2" if tag == "h2" else "entry"), []

    def handle_data(self, data: str) -> None:
        if self._capturing:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._capturing and tag in ("h2", "p"):
            text = " ".join("".join(self._buffer).split())
            if self._capturing == "h2":
                self._section = text.upper()
            else:
                self.entries.append((self._section, text))
            self._capturing = None


def _html_entries(page: str) -> list[tuple[str, str]]:
    parser = _HtmlEntries()
    parser.feed(page)
    parser.close()
    return parser.entries


def _as_sent(body: str) -> str:
    """A body as digest.message puts it on the wire: LF lines, one final newline."""
    return body.replace("\r\n", "\n").rstrip("\n") + "\n"


# ---- the test ----------------------------------------------------------------------


def test_digest_send_through_postfix_reaches_the_list_and_two_subscribers_once(
    tmp_path: Path, maildirs: dict[str, Path]
) -> None:
    config = make_project(tmp_path, list_address=LIST, smtp_port=25)
    for address in SUBSCRIBERS:
        added = _digest(config, "subscribers", "add", address)
        assert added.returncode == 0, added.stderr
    before = {address: _keys(folder) for address, folder in maildirs.items()}

    started = datetime.now(UTC).replace(microsecond=0)
    run = _digest(config, "send", "--period", PERIOD)
    finished = datetime.now(UTC)
    assert run.returncode == 0, run.stderr
    assert "sent 3, failed 0, skipped 0 (already sent)" in run.stderr

    def arrived() -> dict[str, set[str]]:
        return {a: _keys(folder) - before[a] for a, folder in maildirs.items()}

    _wait_until(lambda: all(arrived().values()), "a message in each of the three Maildirs")
    # Exactly one each, once Postfix has nothing left to deliver for digest.test.
    _wait_until(lambda: not _queued_for_test_domain(), "Postfix's queue is empty for digest.test")
    new = arrived()
    assert {a: len(keys) for a, keys in new.items()} == dict.fromkeys(MAILDIRS, 1)

    frozen, message_ids = _ledger(config)
    assert sorted(message_ids) == sorted(MAILDIRS)
    assert len(set(message_ids.values())) == 3  # one Message-ID per recipient
    for recipient, folder in maildirs.items():
        msg = _read(folder, next(iter(new[recipient])))
        is_list = recipient == LIST

        # Headers, as a mail client and a list filter see them.
        assert msg["From"] == SENDER
        assert msg["To"] == recipient
        assert msg["Subject"] == frozen[recipient].subject
        sent_at = email.utils.parsedate_to_datetime(msg["Date"])
        assert started <= sent_at <= finished + timedelta(seconds=1)
        assert msg["Message-ID"] == message_ids[recipient]
        assert re.fullmatch(r"<[0-9a-f]{32}@quillwort\.example\.org>", msg["Message-ID"])
        assert msg["Received"] is not None  # it really went through Postfix
        if is_list:
            # A post to a list: the list manager sets List-Id and the leaving headers
            # (RFC 2919), and some refuse posts marked Auto-Submitted.
            assert msg["Subject"] == SUBJECT
            for header in ("List-Id", "Auto-Submitted", "Precedence", "List-Unsubscribe"):
                assert msg[header] is None, header
            link = None
        else:
            assert msg["List-Id"] == "Quillwort digest <digest.quillwort.example.org>"
            assert msg["Auto-Submitted"] == "auto-generated"
            assert msg["Precedence"] == "list"
            https, mailto = (part.strip() for part in msg["List-Unsubscribe"].split(","))
            assert https.startswith(f"<{UNSUBSCRIBE_PREFIX}") and https.endswith(">")
            link = https[1:-1]
            token = link.removeprefix(UNSUBSCRIBE_PREFIX)
            # Personal but opaque: the signed id of this reader, never the address.
            assert recipient not in link
            assert _subscriber_of(config, token) == recipient
            assert mailto == f"<{MAILTO}?subject=unsubscribe%20{token}>"
            assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        # Body: text/plain then text/html, both UTF-8, the same entries in each.
        assert msg.get_content_type() == "multipart/alternative"
        parts = list(msg.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
        assert all(p.get_content_charset() == "utf-8" for p in parts)
        plain, page = (str(p.get_content()) for p in parts)
        # (an arrow is glued to its words with a word joiner, so it never breaks apart)
        assert _text_entries(plain.replace("\u2060", "")) == EXPECTED_ENTRIES
        assert _html_entries(page.replace("\u2060", "")) == EXPECTED_ENTRIES
        # Intact: exactly the digest frozen in the ledger, with this reader's link
        # (the list's copy has the "how to leave the list" footer instead).
        expected_plain, expected_page = frozen[recipient].personalize(link)
        assert plain == _as_sent(expected_plain)
        assert page == _as_sent(expected_page)
        if is_list:
            assert UNSUBSCRIBE_PREFIX not in plain and UNSUBSCRIBE_PREFIX not in page
            assert "you subscribed" not in plain and "you subscribed" not in page
        else:
            assert f"Unsubscribe: {link}" in plain
            assert f'href="{link}"' in page

    # A second run mails no one again, and says so.
    again = _digest(config, "send", "--period", PERIOD)
    assert again.returncode == 0, again.stderr
    assert f"Quillwort Sync {PERIOD}: everyone has it already" in again.stderr
    assert "sent 0, failed 0, skipped 3 (already sent)" in again.stderr
    _wait_until(lambda: not _queued_for_test_domain(), "Postfix's queue is empty for digest.test")
    assert arrived() == new
