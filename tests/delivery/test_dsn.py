"""Bounces after acceptance: `digest bounces import FILE.mbox` reads the bounce messages
(DSNs) an MTA mailed back later and marks the subscribers they report `bounced`.

The fixtures are written here, in the shapes MTAs send: an RFC 3464 report as
Postfix writes it, the same for a delay, and Exim's plain-text notice.
"""

from __future__ import annotations

import mailbox
from email import message_from_string
from email.message import Message
from pathlib import Path

import pytest
from notes_project import SECRET, make_project, run_digest

from digest.delivery.bounces import dsn_failures

SENDER = "digest@quillwort.example.org"


def postfix_dsn(recipient: str, *, action: str = "failed", status: str = "5.1.1") -> str:
    """A multipart/report (RFC 3464) as Postfix's bounce daemon writes it."""
    code = "550" if status.startswith("5") else "450"
    return f"""\
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: {SENDER}
Subject: Undelivered Mail Returned to Sender
Date: Mon, 02 Nov 2026 06:00:00 +0000
Message-ID: <20261102060000.4Bx7Yz1Qm2@mx.example.net>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
 boundary="4Bx7Yz1Qm2.1793512800/mx.example.net"

This is a MIME-encapsulated message.

--4Bx7Yz1Qm2.1793512800/mx.example.net
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

--4Bx7Yz1Qm2.1793512800/mx.example.net
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
X-Postfix-Queue-ID: 4Bx7Yz1Qm2
X-Postfix-Sender: rfc822; {SENDER}
Arrival-Date: Mon,  2 Nov 2026 05:59:58 +0000 (UTC)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mail.example.net
Diagnostic-Code: smtp; {code} {status} <{recipient}>: Recipient address rejected:
    User unknown in virtual mailbox table

--4Bx7Yz1Qm2.1793512800/mx.example.net
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Quillwort digest <{SENDER}>
To: {recipient}
Subject: =?utf-8?q?Quillwort_digest_=E2=80=94_October_2026?=

--4Bx7Yz1Qm2.1793512800/mx.example.net--
"""


def exim_bounce(recipient: str) -> str:
    """Exim's plain-text notice: no delivery-status part at all."""
    return f"""\
From: Mail Delivery System <Mailer-Daemon@mx.example.com>
To: {SENDER}
Subject: Mail delivery failed: returning message to sender
Date: Mon, 02 Nov 2026 06:01:00 +0000
Message-Id: <E1q2w3e-0001Ab-Cd@mx.example.com>
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {recipient}
    SMTP error from remote mail server after RCPT TO:<{recipient}>:
    550 5.1.1 No such user here

------ This is a copy of the message, including all the headers. ------

From: Quillwort digest <{SENDER}>
To: {recipient}
Subject: =?utf-8?q?Quillwort_digest_=E2=80=94_October_2026?=
"""


def write_mbox(path: Path, *messages: str) -> Path:
    box = mailbox.mbox(str(path), create=True)
    for text in messages:
        box.add(mailbox.mboxMessage(message_from_string(text)))
    box.flush()
    box.close()
    return path


def _message(text: str) -> Message:
    return message_from_string(text)


# ---- the parser: pure, on the fixtures


def test_a_postfix_dsn_reports_its_failed_recipient() -> None:
    assert dsn_failures(_message(postfix_dsn("Gone@Example.net"))) == {"gone@example.net"}


def test_a_delay_notice_is_no_bounce() -> None:
    delayed = postfix_dsn("slow@example.net", action="delayed", status="4.4.1")
    assert dsn_failures(_message(delayed)) == set()


def test_an_exim_notice_without_a_report_part_is_read_too() -> None:
    assert dsn_failures(_message(exim_bounce("left@example.com"))) == {"left@example.com"}


def test_an_ordinary_reply_is_no_bounce() -> None:
    reply = (
        f"From: Ann <ann@example.org>\nTo: {SENDER}\nSubject: Re: Quillwort digest\n\n"
        "Thanks! I am no longer at example.net, write to ann@example.org.\n"
    )
    assert dsn_failures(_message(reply)) == set()


# ---- `digest bounces import`


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_SECRET", SECRET)


def _statuses(config: Path) -> dict[str, str]:
    run = run_digest(config, "subscribers", "list")
    assert run.code == 0
    rows = [line.split("\t") for line in run.out.splitlines()]
    return {row[0]: row[-1] for row in rows}


def test_import_marks_the_reported_subscribers_bounced_and_leaves_the_rest(
    tmp_path: Path,
) -> None:
    config = make_project(tmp_path)
    for address in ("ann@example.org", "gone@example.net", "slow@example.net"):
        assert run_digest(config, "subscribers", "add", address).code == 0
    assert run_digest(config, "unsubscribe", "left@example.com").code == 0
    box = write_mbox(
        tmp_path / "bounces.mbox",
        postfix_dsn("gone@example.net"),
        postfix_dsn("slow@example.net", action="delayed", status="4.4.1"),
        exim_bounce("left@example.com"),  # unsubscribed: stays so
        postfix_dsn("stranger@example.org"),  # not a subscriber
    )

    run = run_digest(config, "bounces", "import", str(box))

    assert run.code == 0, run.err
    assert run.out == "gone@example.net: bounced; no further digests go there.\n"
    assert run.err == (
        f"{box}: 4 message(s) read, 1 subscriber(s) marked bounced, "
        "2 other address(es) left alone.\n"
    )
    assert _statuses(config) == {
        "ann@example.org": "active",
        "gone@example.net": "bounced",
        "slow@example.net": "active",
        "left@example.com": "unsubscribed",
    }
    # Imported again: nothing changes.
    again = run_digest(config, "bounces", "import", str(box))
    assert again.code == 0 and again.out == ""
    assert _statuses(config)["gone@example.net"] == "bounced"


def test_the_next_send_skips_an_imported_bounce(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    for address in ("ann@example.org", "gone@example.net"):
        assert run_digest(config, "subscribers", "add", address).code == 0
    box = write_mbox(tmp_path / "bounces.mbox", postfix_dsn("gone@example.net"))
    assert run_digest(config, "bounces", "import", str(box)).code == 0

    run = run_digest(config, "send", "--period", "2026-10", "--dry-run")

    assert run.code == 0, run.err
    recipients = {line.split("\t")[0] for line in run.out.splitlines()}
    assert "ann@example.org" in recipients
    assert "gone@example.net" not in recipients


def test_a_missing_file_or_one_that_is_no_mbox_is_one_sentence(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    missing = run_digest(config, "bounces", "import", str(tmp_path / "nope.mbox"))
    assert missing.code == 1
    assert missing.err == (
        f"digest: {tmp_path / 'nope.mbox'}: no such file; give an mbox file of bounce messages."
    )
    not_mbox = tmp_path / "bounces.csv"
    not_mbox.write_text("address,status\ngone@example.net,bounced\n", encoding="utf-8")
    run = run_digest(config, "bounces", "import", str(not_mbox))
    assert run.code == 1
    assert run.err == (
        f"digest: {not_mbox}: holds no message; is it an mbox file (each starting 'From ')?"
    )
