"""SmtpTransport under server faults: transient ones retried and delivered exactly once,
permanent ones failed with the server's reply, never a duplicate."""

from __future__ import annotations

import asyncio
import time

import pytest
from smtp_server import Faults, SMTPTestServer
from test_smtp import digest_message, send_all, smtp_config

from digest.config.secrets import Secret
from digest.delivery.base import DeliveryResult, DeliveryStopped
from digest.delivery.smtp import SmtpTransport
from digest.errors import UserError


def by_recipient(results: list[DeliveryResult]) -> dict[str, DeliveryResult]:
    return {r.recipient: r for r in results}


def test_421_on_connect_is_retried() -> None:
    with SMTPTestServer(faults=Faults(reject_connect_times=2)) as server:
        results = asyncio.run(send_all(smtp_config(server, retries=3), ["ana@example.test"]))
        server.wait_for(1)
    assert results[0].status == "sent"
    assert server.connections == 3
    assert server.count_by_recipient() == {"ana@example.test": 1}


def test_a_server_that_always_refuses_connections_stops_the_run() -> None:
    with (
        SMTPTestServer(faults=Faults(reject_connect_times=100)) as server,
        pytest.raises(UserError) as caught,
    ):
        asyncio.run(send_all(smtp_config(server, retries=2), ["ana@example.test"]))
    assert str(caught.value).startswith(
        f"127.0.0.1:{server.port}: cannot open an SMTP session after 3 attempts (421 4.3.2 "
    )


def test_451_on_rcpt_is_retried_until_accepted() -> None:
    faults = Faults(rcpt_tempfail={"bo@example.test": 2})
    with SMTPTestServer(faults=faults) as server:
        results = asyncio.run(
            send_all(smtp_config(server, retries=3), ["ana@example.test", "bo@example.test"])
        )
        server.wait_for(2)
    assert {r.status for r in results} == {"sent"}
    assert server.rcpts["bo@example.test"] == 3
    assert server.count_by_recipient() == {"ana@example.test": 1, "bo@example.test": 1}


def test_550_fails_with_the_reply_and_is_not_retried() -> None:
    faults = Faults(rcpt_permfail={"gone@example.test"})
    recipients = ["ana@example.test", "gone@example.test", "bo@example.test"]
    with SMTPTestServer(faults=faults) as server:
        results = by_recipient(
            asyncio.run(send_all(smtp_config(server, max_connections=1), recipients))
        )
        server.wait_for(2)
    assert results["gone@example.test"] == DeliveryResult(
        "gone@example.test", "failed", "550 5.1.1 <gone@example.test>: mailbox unavailable"
    )
    assert results["ana@example.test"].status == results["bo@example.test"].status == "sent"
    assert server.rcpts["gone@example.test"] == 1
    assert server.connections == 1  # RSET after the refusal; the session stays in use


def test_connection_dropped_mid_data_is_retried_once_delivered() -> None:
    with SMTPTestServer(faults=Faults(drop_in_data_times=1)) as server:
        results = asyncio.run(send_all(smtp_config(server), ["ana@example.test"]))
        server.wait_for(1)
    assert results[0].status == "sent"
    assert server.connections == 2
    assert server.count_by_recipient() == {"ana@example.test": 1}


def test_a_stalled_server_times_out_and_the_retry_delivers() -> None:
    faults = Faults(stall_seconds=30, stall_times=1)
    with SMTPTestServer(faults=faults) as server:
        started = time.monotonic()
        results = asyncio.run(send_all(smtp_config(server, timeout=0.5), ["ana@example.test"]))
        elapsed = time.monotonic() - started
        server.wait_for(1)
    assert results[0].status == "sent"
    assert elapsed < 10  # the client's timeout fired, not the server's stall
    assert server.count_by_recipient() == {"ana@example.test": 1}


def test_exhausted_retries_leave_the_recipient_pending() -> None:
    faults = Faults(rcpt_tempfail={"full@example.test"})  # a set: 451 every time
    with SMTPTestServer(faults=faults) as server:
        results = by_recipient(
            asyncio.run(
                send_all(smtp_config(server, retries=2), ["full@example.test", "ana@example.test"])
            )
        )
        server.wait_for(1)
    assert results["full@example.test"] == DeliveryResult(
        "full@example.test", "retry", "451 4.3.0 <full@example.test>: try again later"
    )
    assert results["ana@example.test"].status == "sent"
    assert server.rcpts["full@example.test"] == 3  # first attempt + 2 retries


def test_every_fault_at_once_no_duplicates_no_losses() -> None:
    readers = [f"reader{i}@example.test" for i in range(24)]
    faults = Faults(
        reject_connect_times=2,
        rcpt_tempfail={"reader3@example.test": 1, "reader7@example.test": 2},
        rcpt_permfail={"gone@example.test"},
        drop_in_data_times=2,
        stall_seconds=30,
        stall_times=1,
    )
    with SMTPTestServer(tls="starttls", auth={"digest": "pw"}, faults=faults) as server:
        cfg = smtp_config(server, max_connections=3, retries=4, timeout=0.5)
        results = by_recipient(
            asyncio.run(send_all(cfg, [*readers, "gone@example.test"], Secret("pw", "test")))
        )
        server.wait_for(len(readers))
        server.wait_idle()
    assert results.pop("gone@example.test").status == "failed"
    assert {r.status for r in results.values()} == {"sent"}
    assert server.count_by_recipient() == {r: 1 for r in readers}
    assert server.peak_connections <= 3


def test_implicit_tls_against_a_plain_server_stops_at_once_naming_the_setting() -> None:
    """A TLS handshake that fails is the configuration, not bad luck: retrying it six
    times, as a transient failure, only made the run longer."""
    with SMTPTestServer(tls="none") as server:
        cfg = smtp_config(server, security="tls", retries=5, max_connections=1)
        with pytest.raises(UserError) as caught:
            asyncio.run(send_all(cfg, ["ana@example.test", "bo@example.test"]))
        assert server.connections == 1  # not retried, and no one else tried
    assert str(caught.value) == (
        f"127.0.0.1:{server.port}: the TLS handshake failed (wrong version number); check "
        '[smtp] security and port: security = "tls" speaks TLS from the first byte (usually '
        "port 465); for a server that starts in plain text (port 587 or 25) use security = "
        '"starttls".'
    )


def test_replies_never_open_the_circuit_breaker() -> None:
    """451 to five readers, three times each, is fifteen failures but the server is
    answering: only their own retries run out, and everyone else is mailed."""
    busy = {f"busy{i}@example.test" for i in range(5)}
    readers = [f"reader{i}@example.test" for i in range(5)]
    with SMTPTestServer(faults=Faults(rcpt_tempfail=set(busy))) as server:
        results = by_recipient(
            asyncio.run(send_all(smtp_config(server, retries=2), [*sorted(busy), *readers]))
        )
        server.wait_for(len(readers))
    assert {results[r].status for r in busy} == {"retry"}
    assert {results[r].status for r in readers} == {"sent"}


def test_failures_between_accepted_messages_do_not_add_up() -> None:
    """Each reader's first RCPT hangs, its retry is accepted: six timeouts, never two in
    a row without a reply, so the breaker (open after 2) stays shut."""
    readers = [f"reader{i}@example.test" for i in range(6)]
    faults = Faults(hang_rcpt_of=dict.fromkeys(readers, 1))
    with SMTPTestServer(faults=faults) as server:
        cfg = smtp_config(server, retries=1, timeout=0.3, max_connections=1)
        results = asyncio.run(send_all(cfg, readers))
        server.wait_for(6)
    assert {r.status for r in results} == {"sent"}
    assert faults.stalls["rcpt"] == 6


def test_an_open_breaker_raises_for_readers_not_tried_and_keeps_the_reason() -> None:
    faults = Faults(hang_after_data_times=1_000_000)
    readers = [f"reader{i}@example.test" for i in range(10)]
    with SMTPTestServer(faults=faults) as server:
        cfg = smtp_config(server, retries=2, timeout=0.3, max_connections=1)

        async def run() -> tuple[list[DeliveryResult], str | None]:
            results = []
            async with SmtpTransport(cfg, None) as transport:
                for reader in readers:
                    try:
                        results.append(await transport.send(digest_message(reader), reader))
                    except DeliveryStopped:
                        break
                return results, transport.stopped

        results, stopped = asyncio.run(run())
    # The first reader used its three attempts, and they were the breaker's three.
    assert [r.status for r in results] == ["retry"]
    assert results[0].reply.startswith("timed out in DATA")
    assert stopped is not None and "3 connection failures or timeouts in a row" in stopped
    assert faults.stalls["after_data"] == 3
