"""SmtpTransport against a real aiosmtpd server on loopback: TLS, auth, pooling, errors."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Sequence
from dataclasses import replace
from email.message import EmailMessage

import pytest
from smtp_server import SMTPTestServer

from digest.config.schema import SmtpConfig
from digest.config.secrets import Secret
from digest.delivery.base import DeliveryResult
from digest.delivery.smtp import SmtpTransport, check, envelope_sender, is_loopback, smtp_port
from digest.errors import UserError

PASSWORD = "correct horse battery staple"
SECRET = Secret(PASSWORD, "$DIGEST_SMTP_PASSWORD")


def digest_message(recipient: str = "list@lists.example.test") -> EmailMessage:
    """A small two-part digest, with non-ASCII text in the subject and both bodies."""
    msg = EmailMessage()
    msg["From"] = "Ørsted digest <digest@example.test>"
    msg["To"] = recipient
    msg["Subject"] = "Digest — März 2026: 3 open items"
    msg["Message-ID"] = "<2026-03.digest@example.test>"
    msg.set_content("Still pending: résumé of the build matrix (owner: @kim)\n")
    msg.add_alternative(
        "<p>Still pending: <b>résumé</b> of the build matrix (owner: @kim)</p>", subtype="html"
    )
    return msg


def smtp_config(server: SMTPTestServer, **overrides: object) -> SmtpConfig:
    cfg = SmtpConfig(
        host=server.host,
        port=server.port,
        security=server.tls,
        username="digest" if server.auth else "",
        ca_file=server.cert_file or "",
        timeout=5.0,
        retries=2,
        retry_base_seconds=0.01,
        max_per_second=1000.0,
    )
    return replace(cfg, **overrides)  # type: ignore[arg-type]


async def send_all(
    cfg: SmtpConfig,
    recipients: Sequence[str],
    password: Secret | None = SECRET,
) -> list[DeliveryResult]:
    """Send like the send loop does: up to `concurrency` sends at once."""
    async with SmtpTransport(cfg, password) as transport:
        limit = asyncio.Semaphore(transport.concurrency)

        async def one(recipient: str) -> DeliveryResult:
            async with limit:
                return await transport.send(digest_message(recipient), recipient)

        return list(await asyncio.gather(*(one(r) for r in recipients)))


@pytest.mark.parametrize(
    ("tls", "mechanism"),
    [("starttls", "PLAIN"), ("starttls", "LOGIN"), ("tls", "PLAIN"), ("tls", "LOGIN")],
)
def test_tls_and_auth_deliver_an_intact_message(tls: str, mechanism: str) -> None:
    with SMTPTestServer(
        tls=tls,  # type: ignore[arg-type]
        auth={"digest": PASSWORD},
        auth_mechanisms=(mechanism,),
    ) as server:
        results = asyncio.run(send_all(smtp_config(server), ["ana@example.test"]))
        server.wait_for(1)

    assert results == [DeliveryResult("ana@example.test", "sent", "250 2.0.0 OK queued")]
    assert server.logins == [("digest", mechanism)]
    (received,) = server.messages
    assert received.mail_from == "digest@example.test"
    assert received.rcpt_tos == ["ana@example.test"]
    msg = received.message
    assert msg["Subject"] == "Digest — März 2026: 3 open items"
    assert msg["To"] == "ana@example.test"
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and html is not None
    assert "résumé of the build matrix" in plain.get_content()
    assert "<b>résumé</b>" in html.get_content()
    assert b"\r\n" in received.data and b"\n\n" not in received.data.replace(b"\r\n", b"")


def test_wrong_password_is_one_clear_sentence_without_the_password() -> None:
    wrong = Secret("not-the-password", "$DIGEST_SMTP_PASSWORD")
    with SMTPTestServer(tls="starttls", auth={"digest": PASSWORD}) as server:
        with pytest.raises(UserError) as caught:
            asyncio.run(send_all(smtp_config(server), ["ana@example.test"], wrong))
        assert not server.messages
    assert str(caught.value) == (
        f"127.0.0.1:{server.port}: authentication failed for user 'digest' "
        "(535 5.7.8 Authentication credentials invalid); check the password in "
        "$DIGEST_SMTP_PASSWORD."
    )
    assert "not-the-password" not in str(caught.value)


@pytest.mark.parametrize("tls", ["starttls", "tls"])
def test_untrusted_certificate_is_refused_and_points_at_ca_file(tls: str) -> None:
    with SMTPTestServer(tls=tls, auth={"digest": PASSWORD}) as server:  # type: ignore[arg-type]
        cfg = smtp_config(server, ca_file="")  # the system CAs do not know our test cert
        with pytest.raises(UserError) as caught:
            asyncio.run(send_all(cfg, ["ana@example.test"]))
        assert not server.messages and not server.logins
    sentence = str(caught.value)
    assert sentence.startswith(f"127.0.0.1:{server.port}: the server's TLS certificate cannot")
    assert "self-signed certificate" in sentence
    assert sentence.endswith("point [smtp] ca_file at that CA's certificate.")


def test_verify_false_delivers_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    import digest.delivery.smtp

    digest.delivery.smtp._warned_unverified = False
    with SMTPTestServer(tls="tls") as server:
        cfg = smtp_config(server, ca_file="", verify=False)
        with caplog.at_level(logging.WARNING, logger="digest"):
            asyncio.run(send_all(cfg, ["a@example.test"]))
            asyncio.run(send_all(cfg, ["b@example.test"]))
        server.wait_for(2)
    warnings = [r for r in caplog.records if "verify = false" in r.getMessage()]
    assert len(warnings) == 1


def test_starttls_required_but_not_offered() -> None:
    with SMTPTestServer(tls="none") as server:
        cfg = smtp_config(server, security="starttls")
        with pytest.raises(UserError, match="the server does not offer STARTTLS"):
            asyncio.run(send_all(cfg, ["ana@example.test"]))
        assert not server.messages


def test_plain_text_login_is_refused_unless_the_relay_is_loopback() -> None:
    cfg = SmtpConfig(host="smtp.example.org", port=25, security="none", username="digest")
    with pytest.raises(UserError) as caught:
        asyncio.run(send_all(cfg, ["ana@example.test"]))
    assert "unencrypted to smtp.example.org" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    # On loopback (a local Postfix) plain AUTH is allowed.
    with SMTPTestServer(tls="none", auth={"digest": PASSWORD}) as server:
        assert asyncio.run(send_all(smtp_config(server), ["ana@example.test"]))[0].status == "sent"


def test_username_without_password_says_where_to_put_it() -> None:
    cfg = SmtpConfig(host="smtp.example.org", username="digest")
    with pytest.raises(UserError, match="DIGEST_SMTP_PASSWORD"):
        asyncio.run(send_all(cfg, ["ana@example.test"], password=None))


def test_server_that_requires_auth_when_none_is_configured() -> None:
    with SMTPTestServer(tls="none", auth={"digest": PASSWORD}) as server:
        cfg = smtp_config(server, username="")
        with pytest.raises(UserError, match=r"requires authentication \(530 "):
            asyncio.run(send_all(cfg, ["ana@example.test"], password=None))


def test_connections_are_reused_up_to_max_connections() -> None:
    recipients = [f"reader{i}@example.test" for i in range(30)]
    with SMTPTestServer(tls="starttls", auth={"digest": PASSWORD}) as server:
        results = asyncio.run(send_all(smtp_config(server, max_connections=3), recipients))
        server.wait_for(30)
        server.wait_idle()  # QUIT went out when the transport closed
    assert {r.status for r in results} == {"sent"}
    assert 1 <= server.connections <= 3
    assert server.peak_connections <= 3
    assert len(server.logins) == server.connections  # one login per session, not per message
    assert server.count_by_recipient() == {r: 1 for r in recipients}


def test_a_connection_is_renewed_after_messages_per_connection() -> None:
    recipients = [f"reader{i}@example.test" for i in range(10)]
    with SMTPTestServer() as server:
        cfg = smtp_config(server, max_connections=1, messages_per_connection=4)
        asyncio.run(send_all(cfg, recipients))
        server.wait_for(10)
    assert server.connections == 3  # 4 + 4 + 2


def test_rate_limit_spaces_messages() -> None:
    recipients = [f"reader{i}@example.test" for i in range(6)]
    with SMTPTestServer() as server:
        cfg = smtp_config(server, max_connections=3, max_per_second=20.0)
        started = time.monotonic()
        asyncio.run(send_all(cfg, recipients))
        elapsed = time.monotonic() - started
        server.wait_for(6)
    assert elapsed >= 5 / 20.0 * 0.9  # six starts, at least 50 ms apart


def test_nothing_listening_names_host_and_port() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, now closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cfg = SmtpConfig(host="127.0.0.1", port=port, security="none", retries=1, timeout=2.0)
    cfg = replace(cfg, retry_base_seconds=0.01)
    with pytest.raises(UserError) as caught:
        asyncio.run(send_all(cfg, ["ana@example.test"]))
    sentence = str(caught.value)
    assert sentence.startswith(f"127.0.0.1:{port}: cannot open an SMTP session after 2 attempts")
    assert "check [smtp] host, port and security" in sentence


def test_check_walks_the_session_without_sending() -> None:
    with SMTPTestServer(tls="starttls", auth={"digest": PASSWORD}) as server:
        steps = asyncio.run(check(smtp_config(server), SECRET))
        server.wait_idle()
        assert not server.messages
    assert steps[0].startswith(f"connected to 127.0.0.1:{server.port} (plain text): 220")
    assert steps[1].startswith("TLSv1.")
    assert steps[2:] == [
        "authenticated as 'digest'",
        "NOOP answered 250 OK",
        "QUIT: session closed, no mail sent",
    ]


def test_check_reports_a_wrong_password() -> None:
    with (
        SMTPTestServer(tls="tls", auth={"digest": PASSWORD}) as server,
        pytest.raises(UserError, match="authentication failed for user 'digest'"),
    ):
        asyncio.run(check(smtp_config(server), Secret("nope", "/run/creds/smtp-password")))


def test_defaults_and_helpers() -> None:
    assert smtp_port(SmtpConfig(security="starttls")) == 587
    assert smtp_port(SmtpConfig(security="tls")) == 465
    assert smtp_port(SmtpConfig(security="none")) == 25
    assert smtp_port(SmtpConfig(security="tls", port=2465)) == 2465
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("smtp.example.org") and not is_loopback("192.0.2.1")
    assert envelope_sender(digest_message()) == "digest@example.test"
    with pytest.raises(UserError, match=r"set \[mail\] from"):
        envelope_sender(EmailMessage())
