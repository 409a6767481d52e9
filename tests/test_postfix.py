"""End to end through Postfix, the most common real MTA, into local Maildirs.

Needs the loopback-only Postfix that tests/postfix/start.sh configures (CI runs
it): mail for digest.test lands in Maildirs under `postconf virtual_mailbox_base`.
Skips, saying why, where that Postfix is not there.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import mailbox
import os
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from digest.config import Config, SmtpConfig
from digest.message import build_message
from digest.smtp import SmtpTransport

pytestmark = pytest.mark.postfix

DOMAIN = "digest.test"
RECIPIENTS = {"list": f"list@{DOMAIN}", "ana": f"ana@{DOMAIN}", "bo": f"bo@{DOMAIN}"}
ENTRIES = [
    "Publish the 0.9 release notes (owner: @kim) — still pending, 3 months",
    "Move the CI runners to the new cluster — resolved",
]


@dataclass
class SampleDigest:
    """A rendered digest as digest.message.build_message expects it (subject + bodies)."""

    subject: str

    def personalize(self, unsubscribe_url: str | None) -> tuple[str, str]:
        text = "\n".join(f"- {entry}" for entry in ENTRIES)
        html = "<ul>" + "".join(f"<li>{entry}</li>" for entry in ENTRIES) + "</ul>"
        if unsubscribe_url:
            text += f"\n\nUnsubscribe: {unsubscribe_url}\n"
            html += f'<p><a href="{unsubscribe_url}">Unsubscribe</a></p>'
        return text, html


def _postconf(name: str) -> str:
    postconf = shutil.which("postconf") or "/usr/sbin/postconf"
    result = subprocess.run([postconf, "-h", name], capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


@pytest.fixture(scope="module")
def maildir_base() -> Path:
    if not (shutil.which("postconf") or os.path.exists("/usr/sbin/postconf")):
        pytest.skip("Postfix is not installed (apt-get install postfix)")
    try:
        socket.create_connection(("127.0.0.1", 25), timeout=2).close()
    except OSError:
        pytest.skip("Postfix is not listening on 127.0.0.1:25; run tests/postfix/start.sh as root")
    if DOMAIN not in _postconf("virtual_mailbox_domains").replace(",", " ").split():
        pytest.skip(f"Postfix does not deliver {DOMAIN}; run tests/postfix/start.sh as root")
    base = Path(_postconf("virtual_mailbox_base"))
    if os.geteuid() not in (0, base.stat().st_uid):
        pytest.skip(f"the Maildirs under {base} belong to another user; they cannot be read")
    return base


def _wait_for_message(maildir: Path, token: str, timeout: float = 30.0) -> EmailMessage:
    """Poll the Maildir until the message carrying token arrives (Postfix queues first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (maildir / "new").is_dir():
            box = mailbox.Maildir(maildir, create=False)
            for key in box.iterkeys():
                raw = box.get_bytes(key)
                if token.encode() in raw:
                    parsed = email.message_from_bytes(raw, policy=email.policy.default)
                    assert isinstance(parsed, EmailMessage)
                    return parsed
        time.sleep(0.05)  # polling a directory Postfix writes: there is no event to wait on
    raise AssertionError(f"no message with {token} in {maildir} after {timeout} s")


def test_digest_through_postfix_reaches_three_maildirs(maildir_base: Path) -> None:
    token = uuid.uuid4().hex
    cfg = Config()
    cfg.mail.sender = "Lanternfish digest <digest@lanternfish.example.test>"
    cfg.mail.list_id = "lanternfish-dev.example.test"
    cfg.mail.unsubscribe_url = "https://lanternfish.example.test/unsubscribe?token={token}"
    rendered = SampleDigest(subject="Lanternfish digest — März 2026")
    smtp = SmtpConfig(host="127.0.0.1", port=25, security="none", retry_base_seconds=0.1)

    async def send_three() -> list[str]:
        statuses: list[str] = []
        async with SmtpTransport(smtp, None) as transport:
            for recipient in RECIPIENTS.values():
                msg = build_message(
                    rendered,
                    cfg,
                    digest_id=f"2026-03-{token}",
                    recipient=recipient,
                    unsubscribe_url=f"https://lanternfish.example.test/u?t={token}",
                    unsubscribe_mailto=None,
                    now=datetime(2026, 4, 1, 6, 0, tzinfo=UTC),
                )
                statuses.append((await transport.send(msg, recipient)).status)
        return statuses

    assert asyncio.run(send_three()) == ["sent", "sent", "sent"]

    for box, recipient in RECIPIENTS.items():
        msg = _wait_for_message(maildir_base / box, token)
        assert msg["To"] == recipient
        assert msg["From"] == "Lanternfish digest <digest@lanternfish.example.test>"
        assert msg["Subject"] == "Lanternfish digest — März 2026"
        assert msg["List-Id"] is not None
        assert msg["List-Unsubscribe"] == f"<https://lanternfish.example.test/u?t={token}>"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert msg["Auto-Submitted"] == "auto-generated"
        assert msg["Received"] is not None  # it really went through Postfix
        assert msg.get_content_type() == "multipart/alternative"
        plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
        assert plain is not None and html is not None
        for entry in ENTRIES:
            assert entry in plain.get_content()
            assert entry in html.get_content()
