"""The message a reader gets: headers mail systems rely on, both bodies, no injection."""

from __future__ import annotations

import email
import email.policy
import hashlib
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from digest.config.schema import Config, DigestConfig, MailConfig
from digest.errors import UserError
from digest.mail.message import SUBJECT_MAX, build_message, message_id, message_ids, subject_line
from digest.mail.render import RenderedDigest, render_digest
from digest.model import Digest, DigestId
from digest.periods import Period

NOW = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
DIGEST = DigestId("Quillwort Sync", Period(2026, 10))
URL = "https://quillwort.example.org/unsubscribe?token=YWxpY2VAZXhhbXBsZS5vcmc.c2lnbmF0dXJl"
MAILTO = "mailto:leave@quillwort.example.org?subject=unsubscribe%20YWxpY2VAZXhhbXBsZS5vcmc.c2ln"


def _cfg(**mail: str) -> Config:
    return Config(
        path=Path("config.toml"),
        digest=DigestConfig(title="Quillwort digest"),
        mail=MailConfig(sender="Quillwort digest <digest@quillwort.example.org>", **mail),  # type: ignore[arg-type]
    )


def _rendered(subject: str = "Quillwort Sync digest — October 2026") -> RenderedDigest:
    return RenderedDigest(
        subject=subject,
        text="Hello, readers. Déjà vu.\n",
        html="<html><body><p>Hello, readers. Déjà vu.</p></body></html>\n",
    )


def _build(
    cfg: Config | None = None,
    rendered: RenderedDigest | None = None,
    *,
    recipient: str = "alice@example.org",
    url: str | None = URL,
    mailto: str | None = MAILTO,
) -> EmailMessage:
    return build_message(
        rendered or _rendered(),
        cfg or _cfg(),
        digest_id=DIGEST,
        recipient=recipient,
        unsubscribe_url=url,
        unsubscribe_mailto=mailto,
        now=NOW,
    )


def _wire(msg: EmailMessage) -> bytes:
    """The bytes a transport sends."""
    return msg.as_bytes(policy=email.policy.SMTP)


def _parsed(msg: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(_wire(msg), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_every_header_a_mail_system_expects() -> None:
    parsed = _parsed(_build())
    assert parsed["From"] == "Quillwort digest <digest@quillwort.example.org>"
    assert parsed["To"] == "alice@example.org"
    assert parsed["Subject"] == "Quillwort Sync digest — October 2026"
    assert parsed["Date"] == "Sun, 01 Nov 2026 06:30:00 +0000"
    assert parsed["Message-ID"] == message_id(
        DIGEST, "alice@example.org", "digest@quillwort.example.org"
    )
    assert parsed["MIME-Version"] == "1.0"
    assert parsed["List-Id"] == "Quillwort digest <digest.quillwort.example.org>"
    assert parsed["List-Unsubscribe"] == f"<{URL}>, <{MAILTO}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Precedence"] == "list"
    assert parsed["Reply-To"] is None


def test_message_id_keeps_the_stored_digest_key() -> None:
    """Message-IDs of digests sent by earlier versions must stay the same: the key
    hashed is still "series|period|recipient"."""
    seed = b"Quillwort Sync|2026-10|alice@example.org"
    expected = f"<{hashlib.sha256(seed).hexdigest()[:32]}@quillwort.example.org>"
    assert message_id(DIGEST, "Alice@example.org", "d <digest@quillwort.example.org>") == (expected)
    assert str(DIGEST) == "Quillwort Sync|2026-10"
    # The send loop's maker, which hashes the shared part once, gives the same ids.
    of = message_ids(DIGEST, "d <digest@quillwort.example.org>")
    assert of("Alice@example.org") == expected
    assert of("bob@example.org") == message_id(
        DIGEST, "bob@example.org", "digest@quillwort.example.org"
    )


def test_message_id_is_stable_per_digest_and_recipient() -> None:
    first = _build()["Message-ID"]
    assert _build()["Message-ID"] == first
    assert _build(recipient="bob@example.org")["Message-ID"] != first
    assert str(first).endswith("@quillwort.example.org>")
    assert len(str(first)) == len("<@quillwort.example.org>") + 32


def test_wire_format_is_crlf_and_seven_bit() -> None:
    wire = _wire(_build())
    assert b"\r\n" in wire and b"\n" not in wire.replace(b"\r\n", b"")
    assert wire.isascii()  # quoted-printable bodies, encoded headers: no 8BITMIME needed


def test_multipart_alternative_plain_first_html_last_both_utf8() -> None:
    parsed = _parsed(_build())
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert parts[0].get_content() == "Hello, readers. Déjà vu.\r\n"  # CRLF on the wire
    assert "Déjà vu" in parts[1].get_content()
    assert all(p["MIME-Version"] is None for p in parts)


def test_non_ascii_subject_and_title_round_trip() -> None:
    cfg = _cfg()
    cfg.digest.title = "Quillwort — résumé"
    parsed = _parsed(_build(cfg, _rendered("Réunion d’octobre: 3 nouveautés ✓")))
    assert parsed["Subject"] == "Réunion d’octobre: 3 nouveautés ✓"
    assert parsed["List-Id"] == "Quillwort — résumé <digest.quillwort.example.org>"


def test_subject_prefix_and_reply_to_and_list_id_from_config() -> None:
    cfg = _cfg(
        subject_prefix="[quillwort]", reply_to="dev@lists.example.org", list_id="qw.example.org"
    )
    parsed = _parsed(_build(cfg))
    assert parsed["Subject"] == "[quillwort] Quillwort Sync digest — October 2026"
    assert parsed["Reply-To"] == "dev@lists.example.org"
    assert parsed["List-Id"] == "Quillwort digest <qw.example.org>"


def test_one_subject_rule_caps_the_header_prefix_included() -> None:
    """The Subject was capped at 150 characters by render and at 200 by the message
    builder (and again in send's dry run): a long subject with a prefix reached 157."""
    cfg = _cfg(subject_prefix="[quillwort]")
    long_subject = subject_line("Quillwort Sync digest — October 2026: " + "new item, " * 20)
    assert len(long_subject) == SUBJECT_MAX  # what render stores
    header = _parsed(_build(cfg, _rendered(long_subject)))["Subject"]
    assert header == subject_line(long_subject, "[quillwort]")
    assert len(header) == SUBJECT_MAX
    assert header.startswith("[quillwort] Quillwort Sync digest") and header.endswith("…")


def test_a_hostile_title_cannot_add_headers() -> None:
    hostile = "Roadmap\r\nBcc: everyone@example.org\r\n\r\n<script>x</script>\nX-Evil: 1"
    wire = _wire(_build(rendered=_rendered(hostile)))
    parsed = email.message_from_bytes(wire, policy=email.policy.default)
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    assert parsed["Subject"] == "Roadmap Bcc: everyone@example.org <script>x</script> X-Evil: 1"
    assert parsed.get_content_type() == "multipart/alternative"


def test_a_hostile_recipient_or_sender_is_refused_in_one_sentence() -> None:
    with pytest.raises(UserError, match="recipient"):
        _build(recipient="alice@example.org\r\nBcc: all@example.org")
    cfg = _cfg()
    cfg.mail.sender = "not an address"
    with pytest.raises(UserError) as err:
        _build(cfg)
    assert str(err.value) == (
        "config.toml: [mail] from: 'not an address' is not a valid email address for From."
    )


def test_long_unsubscribe_links_stay_clickable_not_encoded() -> None:
    long_url = "https://quillwort.example.org/unsubscribe?token=" + "A" * 300
    wire = _wire(_build(url=long_url, mailto=None)).decode("ascii")
    assert f"List-Unsubscribe: <{long_url}>\r\n" in wire
    assert (
        "=?utf-8?" not in wire.split("\r\n\r\n")[0].split("List-Unsubscribe:")[1].split("\r\n")[0]
    )


def test_list_message_has_no_personal_link_and_no_one_click() -> None:
    parsed = _parsed(
        _build(
            recipient="quillwort-dev@lists.example.org",
            url=None,
            mailto="mailto:leave@quillwort.example.org?subject=unsubscribe",
        )
    )
    assert parsed["List-Unsubscribe"] == "<mailto:leave@quillwort.example.org?subject=unsubscribe>"
    assert parsed["List-Unsubscribe-Post"] is None
    assert parsed["List-Id"] == "Quillwort digest <digest.quillwort.example.org>"
    bare = _parsed(_build(url=None, mailto=None))
    assert bare["List-Unsubscribe"] is None and bare["List-Unsubscribe-Post"] is None


def test_plain_http_link_gets_no_one_click_header() -> None:
    parsed = _parsed(_build(url="http://quillwort.example.org/u?t=x", mailto=None))
    assert parsed["List-Unsubscribe"] == "<http://quillwort.example.org/u?t=x>"
    assert parsed["List-Unsubscribe-Post"] is None


def test_the_body_shows_the_readers_own_unsubscribe_link() -> None:
    rendered = render_digest(
        Digest(series="Quillwort Sync", period=Period(2026, 10), compared_to=None),
        _cfg(),
        now=NOW,
    )
    url = "https://quillwort.example.org/unsubscribe?token=abc.def&lang=en"
    parsed = _parsed(_build(rendered=rendered, url=url))
    text, html = (p.get_content() for p in parsed.iter_parts())
    assert f"Unsubscribe: {url}" in text
    assert 'href="https://quillwort.example.org/unsubscribe?token=abc.def&amp;lang=en"' in html
