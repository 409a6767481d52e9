"""Hard bounces: which SMTP replies mark a subscriber bounced, and what `digest send` does then."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from notes_project import SECRET, make_project, run_digest
from smtp_server import Faults, SMTPTestServer

from digest.delivery.bounces import is_hard_bounce
from digest.state.db import open_db
from digest.state.subscribers import (
    add_subscriber,
    get_subscriber,
    mark_bounced,
    unsubscribe_address,
)

GMAIL_NO_SUCH_USER = (
    "550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n"
    "550-5.1.1 double-checking the recipient's email address for typos or\r\n"
    "550-5.1.1 unnecessary spaces. For more information, go to\r\n"
    "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser x1si123456wmb.12 - gsmtp"
)
SPAM_POLICY = "550 5.7.1 Message rejected as spam by content filtering"

HARD_BOUNCES = [
    # Postfix
    "550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown in virtual "
    "mailbox table",
    "550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown in local "
    "recipient table",
    # Exim (cPanel and stock)
    "550 No Such User Here",
    "550 Unrouteable address",
    # Gmail, raw and as stored in the ledger (aiosmtplib joins the lines)
    GMAIL_NO_SUCH_USER,
    "550 5.1.1 The email account that you tried to reach does not exist. Please try 5.1.1 "
    "double-checking the recipient's email address for typos or",
    "550 5.2.1 The email account that you tried to reach is disabled. x1si1 - gsmtp",
    # Microsoft: Exchange Online directory-based edge blocking means "no such recipient"
    "550 5.4.1 Recipient address rejected: Access denied. For more information see "
    "https://aka.ms/EXOSmtpErrors [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]",
    "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    # Outlook.com: an unspecific 5.5.0, decided by the text
    "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302).",
    # Yahoo (554, no enhanced code)
    "554 delivery error: dd This user doesn't have a yahoo.com account (ann@yahoo.com) [0] "
    "- mta1001.mail.bf1.yahoo.com",
    "554 30 Sorry, your message to ann@yahoo.com cannot be delivered. This mailbox is "
    "disabled (554.30).",
    # RFC 5321's own wording, Sendmail, bad syntax, moved, null MX
    "550 Requested action not taken: mailbox unavailable",
    "550 No such user here",
    "550 5.0.0 <ann@example.org>... User unknown",
    "553 5.1.3 <ann@@example.org>... User address required",
    "550 5.1.6 Recipient mailbox has moved, no forwarding address",
    "556 5.1.10 Recipient address has null MX",
    "551 5.1.1 User unknown; mailbox not here",
]

NOT_BOUNCES = [
    # policy and spam: the address is fine, the message or the sender is not
    SPAM_POLICY,
    "550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
    "550-5.7.1 [192.0.2.1] Our system has detected that this message is likely "
    "unsolicited mail. x1si1 - gsmtp",
    "550 5.7.26 This mail has been blocked because the sender is unauthenticated (DMARC)",
    "554 5.7.1 <ann@example.org>: Relay access denied",
    "550 5.7.0 Mailbox unavailable",
    "550 Requested action not taken: mailbox unavailable (blocked as spam)",
    "554 Transaction failed: policy violation",
    # full mailbox: temporary in practice
    "552 5.2.2 The email account that you tried to reach is over quota. x1si1 - gsmtp",
    "552-5.2.2 mailbox full",
    "550 Mailbox full",
    # the sender, not the recipient, is refused (it would bounce every subscriber)
    "553 5.1.8 <digest@example.org>: Sender address rejected: Domain not found",
    "550 5.1.0 <digest@example.org>: Sender address rejected: User unknown in local "
    "recipient table",
    "550 5.1.1 <digest@example.org>: Sender address rejected: User unknown",
    # other permanent trouble: not about the mailbox
    "550 5.4.1 No answer from host",
    "554 5.6.0 Message content rejected",
    "552 5.3.4 Message size exceeds fixed limit",
    "551 User not local; please try <ann@elsewhere.example.org>",
    "554 Service unavailable",
    # transient, success and non-SMTP results
    "451 4.1.1 <ann@example.org>: Recipient address rejected: unverified address",
    "450 4.2.1 The user you are trying to contact is receiving mail at a rate that "
    "prevents additional messages from being delivered.",
    "550 4.1.1 No such user",  # contradicts itself: not taken as permanent
    "250 2.0.0 Ok: queued as 4Bx7Yz1Qm2",
    "the server closed the connection",
    "timed out",
    "/srv/digest/outbox/2026-10-x/ann@example.org.eml: Permission denied",
    "",
]


@pytest.mark.parametrize("reply", HARD_BOUNCES)
def test_a_reply_saying_the_mailbox_is_gone_is_a_hard_bounce(reply: str) -> None:
    assert is_hard_bounce(reply)


@pytest.mark.parametrize("reply", NOT_BOUNCES)
def test_policy_full_sender_and_transient_replies_are_not_bounces(reply: str) -> None:
    assert not is_hard_bounce(reply)


def test_only_an_active_subscriber_is_marked_bounced(tmp_path: Path) -> None:
    db = open_db(tmp_path / "state.db")
    add_subscriber(db, "ann@example.org")
    unsubscribe_address(db, "left@example.org")
    assert mark_bounced(db, "ann@example.org")
    assert not mark_bounced(db, "ann@example.org")  # already bounced
    assert not mark_bounced(db, "left@example.org")  # the reader's own choice stays
    assert not mark_bounced(db, "nobody@example.org")
    ann, left = get_subscriber(db, "ann@example.org"), get_subscriber(db, "left@example.org")
    assert ann is not None and ann.status == "bounced"
    assert left is not None and left.status == "unsubscribed"


# ---- `digest send` against a real SMTP server


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_SECRET", SECRET)


def _ledger(config: Path, period: str) -> dict[str, str]:
    with sqlite3.connect(config.parent / "state" / "state.db") as conn:
        rows = conn.execute(
            "SELECT recipient, status FROM deliveries WHERE digest_id IN (?, ?)",
            [f"Quillwort Sync|{period}", f"subscribers: Quillwort Sync|{period}"],
        ).fetchall()
    return dict(rows)


def _listed(config: Path, *args: str) -> list[str]:
    run = run_digest(config, "subscribers", "list", *args)
    assert run.code == 0
    return run.out.splitlines()


def test_a_hard_bounce_marks_the_subscriber_and_the_next_digest_skips_them(
    tmp_path: Path,
) -> None:
    faults = Faults(
        rcpt_replies={"gone@example.org": GMAIL_NO_SUCH_USER, "strict@example.org": SPAM_POLICY}
    )
    with SMTPTestServer(faults=faults) as server:
        config = make_project(tmp_path, smtp_port=server.port)
        for address in ("ann@example.org", "gone@example.org", "strict@example.org"):
            assert run_digest(config, "subscribers", "add", address).code == 0

        run = run_digest(config, "send", "--period", "2026-09")
        assert run.code == 1
        assert "sent 2, failed 2 (1 bounced), skipped 0 (already sent)" in run.err
        assert (
            "gone@example.org bounced (550 5.1.1 The email account that you tried to reach "
            "does not exist." in run.err
        )
        assert (
            "; no further digests go there; `digest subscribers add gone@example.org` "
            "re-activates" in run.err
        )
        assert "[bounced: no further digests go there]" in run.err
        assert (
            f"  strict@example.org (subscribers: Quillwort Sync|2026-09): {SPAM_POLICY} "
            "[not retried]" in (run.err)
        )
        assert _listed(config, "--status", "bounced") == ["gone@example.org\t\tbounced"]
        assert "strict@example.org\t\tactive" in _listed(config)
        assert _ledger(config, "2026-09") == {
            "quillwort-dev@lists.example.org": "sent",
            "ann@example.org": "sent",
            "gone@example.org": "failed",
            "strict@example.org": "failed",
        }

        # The same month again: nothing to mail, and the bounce is named as such.
        again = run_digest(config, "send", "--period", "2026-09")
        assert again.code == 0
        assert (
            "Quillwort Sync 2026-09: nothing left to send; 1 recipient failed permanently "
            f"(strict@example.org: {SPAM_POLICY}); 1 recipient bounced (gone@example.org: 550 "
            in again.err
        )
        assert (
            "; `digest send --period 2026-09 --resend` mails everyone again; "
            "`digest subscribers add ADDRESS` re-activates a bounced address.\n" in again.err
        )

        # The next month goes to everyone but the bounced address.
        next_month = run_digest(config, "send", "--period", "2026-10")
        assert "sent 2, failed 1, skipped 0 (already sent)" in next_month.err
        assert "gone@example.org" not in _ledger(config, "2026-10")
        assert server.rcpts["gone@example.org"] == 1  # asked for once, in September only
        assert server.rcpts["strict@example.org"] == 2  # a policy refusal is tried again
        assert server.count_by_recipient()["ann@example.org"] == 2

        history = run_digest(config, "history")
        assert history.code == 0
        rows = [line.split()[:9] for line in history.out.splitlines()[1:]]
        # The list's copy of the series digest, and the subscribers' bundle of it.
        assert ["2026-10", "Quillwort", "Sync", "sent", "1", "1", "0", "0"] in [r[:8] for r in rows]
        assert [
            "2026-10",
            "subscribers:",
            "Quillwort",
            "Sync",
            "partial",
            "2",
            "1",
            "1",
            "0",
        ] in rows
        assert [
            "2026-09",
            "subscribers:",
            "Quillwort",
            "Sync",
            "partial",
            "3",
            "1",
            "2",
            "0",
        ] in rows

        # An explicit add brings the address back, and says so.
        readd = run_digest(config, "subscribers", "add", "gone@example.org")
        assert readd.out == "gone@example.org: re-activated.\n"
        assert "gone@example.org\t\tactive" in _listed(config)
        assert _listed(config, "--status", "bounced") == []


def test_the_list_address_is_never_marked_bounced(tmp_path: Path) -> None:
    list_address = "quillwort-dev@lists.example.org"
    faults = Faults(rcpt_replies={list_address: f"550 5.1.1 <{list_address}>: User unknown"})
    with SMTPTestServer(faults=faults) as server:
        config = make_project(tmp_path, smtp_port=server.port)
        run = run_digest(config, "send", "--period", "2026-10")
        assert run.code == 1
        assert "sent 0, failed 1, skipped 0 (already sent)" in run.err
        assert "User unknown [not retried]" in run.err
        assert " bounced" not in run.err
        assert _listed(config) == []  # config, not a subscriber: nothing was added


def test_an_unsubscribed_address_re_added_says_re_activated(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    assert run_digest(config, "subscribers", "add", "ann@example.org").out == (
        "ann@example.org: added.\n"
    )
    assert run_digest(config, "subscribers", "add", "ann@example.org").out == (
        "ann@example.org: unchanged.\n"
    )
    assert run_digest(config, "unsubscribe", "ann@example.org").code == 0
    assert run_digest(config, "subscribers", "add", "ann@example.org").out == (
        "ann@example.org: re-activated.\n"
    )
